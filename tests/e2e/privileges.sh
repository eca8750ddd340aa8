# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run.sh after owner.sh (its hold_start/hold_stop): least
# privilege (-Z). Started as root with no -Z, skbdrop runs as nobody once
# tracing, with exactly the capabilities the README lists and no_new_privs;
# device names in another namespace, socket owners and the kernel counters
# at exit still work. -Z root keeps root; a file nobody may not write, and
# an unknown user, are one clear line.
PA=skbdpa$$ PB=skbdpb$$
# CAP_DAC_READ_SEARCH(2) CAP_SYS_PTRACE(19) CAP_SYS_ADMIN(21) CAP_SYSLOG(34) CAP_BPF(39)
PRIV_CAPS=0000008400280004

cleanup_priv() {
	ip netns del $PA 2>/dev/null
	ip netns del $PB 2>/dev/null
}

# status_of PID FIELD: the field of /proc/PID/status (tabs squeezed)
status_of() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null | tr -s '\t ' ' ' | sed 's/ $//'; }

# wait_changed OUTFILE: until a tracer started with -v says it runs as the
# user it became: the change is complete then (ids, capabilities,
# no_new_privs; it follows the kallsyms read, 100-250 ms here). Bounded: 10 s
wait_changed() {
	for _ in $(seq 200); do
		grep -q '^skbdrop: running as ' "$1.err" && return 0
		sleep 0.05
	done
	return 1
}

if ip netns add $PA && ip netns add $PB && ip -n $PA link set lo up && ip -n $PB link set lo up &&
	ip link add vp$$a netns $PA type veth peer name vp$$b netns $PB &&
	ip -n $PA addr add 10.221.0.1/24 dev vp$$a && ip -n $PB addr add 10.221.0.2/24 dev vp$$b &&
	ip -n $PA link set vp$$a up && ip -n $PB link set vp$$b up; then
	f=$TMP/priv.json
	paino=$(ip netns exec $PA stat -L -c %i /proc/self/ns/net)
	if hold_start priv $PA udp 10.221.0.1 7301 && start_tracer "$f" -o json -v "udp port 7301"; then
		if wait_changed "$f"; then ok "-Z default: root becomes nobody once tracing"
		else nok "-Z default: root becomes nobody once tracing" "Uid: $(status_of $TRACER_PID Uid)"; fi
		check "-Z default: uid real, effective, saved, fs all nobody" "65534 65534 65534 65534" "$(status_of $TRACER_PID Uid)"
		check "-Z default: gid all nobody's" "65534 65534 65534 65534" "$(status_of $TRACER_PID Gid)"
		check "-Z default: supplementary groups only nobody's" 65534 "$(status_of $TRACER_PID Groups)"
		check "-Z default: CapEff is CAP_BPF, CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_SYSLOG" \
			$PRIV_CAPS "$(status_of $TRACER_PID CapEff)"
		check "-Z default: CapPrm the same" $PRIV_CAPS "$(status_of $TRACER_PID CapPrm)"
		check "-Z default: the bounding set the same" $PRIV_CAPS "$(status_of $TRACER_PID CapBnd)"
		check "-Z default: no ambient or inheritable capabilities" "0000000000000000 0000000000000000" \
			"$(status_of $TRACER_PID CapAmb) $(status_of $TRACER_PID CapInh)"
		check "-Z default: no_new_privs" 1 "$(status_of $TRACER_PID NoNewPrivs)"
		# drops after the change: over veth into a full buffer in another namespace
		ip netns exec $PB "$SENDER" priv-$$ 10.221.0.1 7301 $N
		stop_tracer
		hold_stop priv
		want=$((N - ${DRAINED:-0}))
		sel=".netns==$paino and .layers.udp.dport==7301 and .reason==\"SOCKET_RCVBUFF\""
		check "-Z default: exit 0" 0 $RC
		check "-Z default: exactly $want SOCKET_RCVBUFF drops" $want "$(jcount "$f" "$sel")"
		check "-Z default: each names the device in the other namespace and the namespace" $want \
			"$(jcount "$f" "$sel and .dev==\"vp$$a\" and .netns_name==\"$PA\"")"
		check "-Z default: each names the owner (another user's process: CAP_SYS_PTRACE)" $want \
			"$(jcount "$f" "$sel and .owner.pid==$HPID and .owner.comm==\"own-$$\"")"
		check "-Z default: the kernel counters at exit, read in the other namespace: UdpRcvbufErrors $want" $want \
			"$(sed -n "s/^skbdrop: kernel counters (netns $PA)://p" "$f.err" | tr ',' '\n' | awk '$1 == "UdpRcvbufErrors" { print $2 }')"
		check "-Z default: -v says who it runs as and with what" 1 \
			"$(grep -c '^skbdrop: running as nobody (uid 65534, gid 65534), capabilities CAP_DAC_READ_SEARCH,CAP_SYS_PTRACE,CAP_SYS_ADMIN,CAP_SYSLOG,CAP_BPF, no_new_privs$' "$f.err")"
	else nok "-Z default: setup" "$(cat "$f.err" 2>/dev/null)"; hold_stop priv; fi

	# --summary reads its counts from the kernel's maps after the change (CAP_BPF)
	"$SKBDROP" -v --summary 0.5 --by reason -o json -d 3 "udp port 7302" >"$TMP/priv-sum.json" 2>"$TMP/priv-sum.json.err" & smpid=$!
	wait_changed "$TMP/priv-sum.json" || echo "# --summary: no 'running as' line: $(cat "$TMP/priv-sum.json.err")"
	ip netns exec $PA "$SENDER" priv-$$ 127.0.0.1 7302 50
	wait $smpid; rc=$?
	check "-Z default --summary: exit 0" 0 $rc
	check "-Z default --summary: the map's 50 NO_SOCKET drops" 50 \
		"$(tail -n 1 "$TMP/priv-sum.json" | jq -r '.rows[] | select(.reason=="NO_SOCKET") | .total')"

	# -Z root keeps root
	if start_tracer "$TMP/priv-root.json" -v -Z root "udp port 7303" && wait_names "$TMP/priv-root.json"; then
		check "-Z root: still root (after the point where it would have changed)" "0 0 0 0" "$(status_of $TRACER_PID Uid)"
		check "-Z root: capabilities unchanged" "$(status_of $$ CapEff)" "$(status_of $TRACER_PID CapEff)"
		stop_tracer
	else nok "-Z root: tracer starts"; fi
else
	nok "-Z: namespaces and veth"
fi
cleanup_priv

# a --prom-file directory only root may write: one line naming the user
install -d -m 700 "$TMP/prom-root"
"$SKBDROP" --summary 0.2 -d 1 --prom-file "$TMP/prom-root/x.prom" >/dev/null 2>"$TMP/priv-prom.err"; rc=$?
check "-Z: --prom-file where nobody may not write: exit 1" 1 $rc
check "-Z: --prom-file where nobody may not write: one line naming the user and -Z" 1 \
	"$(grep -c "^skbdrop: error: --prom-file $TMP/prom-root/x.prom: Permission denied as user nobody (give -Z a user who may write there, or -Z root)\$" "$TMP/priv-prom.err")"
check "-Z: ... and nothing else on stderr after the tracing line" 0 "$(grep -vc '^skbdrop: tracing\|^skbdrop: SYNs\|^skbdrop: error: --prom-file' "$TMP/priv-prom.err")"
"$SKBDROP" -Z root --summary 0.2 -d 0.5 --prom-file "$TMP/prom-root/x.prom" >/dev/null 2>&1
check "-Z root: --prom-file there works" 0 $?
# root without CAP_SETUID, CAP_SETGID, CAP_SETPCAP (a container that dropped them): stays, or,
# asked for with -Z, one line before anything is loaded
if command -v setpriv >/dev/null; then
	setpriv --bounding-set -setuid,-setgid,-setpcap -- "$SKBDROP" -v -d 0.5 >/dev/null 2>"$TMP/priv-nosetuid.err"; rc=$?
	check "root without CAP_SETUID/SETGID/SETPCAP: runs (exit 0)" 0 $rc
	check "root without CAP_SETUID/SETGID/SETPCAP: -v says it stays as started" 1 \
		"$(grep -c '^skbdrop: staying as started: no CAP_SETUID, CAP_SETGID or CAP_SETPCAP to become nobody$' "$TMP/priv-nosetuid.err")"
	setpriv --bounding-set -setuid,-setgid,-setpcap -- "$SKBDROP" -Z nobody -d 0.5 >/dev/null 2>"$TMP/priv-nosetuid2.err"; rc=$?
	check "... with -Z nobody: exit 1" 1 $rc
	check "... with -Z nobody: one line, before tracing" "skbdrop: error: -Z nobody: changing user needs CAP_SETUID, CAP_SETGID and CAP_SETPCAP" \
		"$(cat "$TMP/priv-nosetuid2.err")"
else skip "root without CAP_SETUID" "setpriv (util-linux) not installed"; fi
"$SKBDROP" -Z no-such-user-$$ -d 1 >/dev/null 2>"$TMP/priv-user.err"; rc=$?
check "-Z unknown user: exit 2" 2 $rc
check "-Z unknown user: one line" "skbdrop: -Z: no user 'no-such-user-$$' in /etc/passwd (see skbdrop --help)" "$(cat "$TMP/priv-user.err")"
