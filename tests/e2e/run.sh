#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests: the real static binary against the real kernel, as root.
# Each test causes an exact number of drops (unique comm, own netns) and
# checks what skbdrop printed. TAP output. With CI=true a skip is a failure.
set -u
BUILD=${1:-build}
SKBDROP=$(readlink -f "$BUILD/skbdrop")
SENDER=$(readlink -f "$BUILD/e2e/udp_sender")
DROPGEN=$(readlink -f "$BUILD/bench/dropgen")
TMP=$(mktemp -d /tmp/skbdrop-e2e.XXXXXX)
# skbdrop runs as nobody once tracing (-Z's default): it may pass through
# TMP, and writes its Prometheus files in PROMDIR
chmod 711 "$TMP"
PROMDIR=$TMP/prom
install -d -o nobody -m 755 "$PROMDIR"
NS=skbdt$$
N=300
pass=0 fail=0 skip=0 num=0
TRACER_PID=

ok()   { num=$((num + 1)); pass=$((pass + 1)); echo "ok $num - $1"; }
nok()  { num=$((num + 1)); fail=$((fail + 1)); echo "not ok $num - $1"; [ $# -gt 1 ] && echo "# $2"; }
skip() {
	num=$((num + 1))
	if [ "${CI:-}" = true ]; then fail=$((fail + 1)); echo "not ok $num - $1 # SKIP in CI is a failure: $2"
	else skip=$((skip + 1)); echo "ok $num - $1 # SKIP $2"; fi
}
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected '$2', got '$3'"; fi
}

cleanup() {
	[ -n "$TRACER_PID" ] && kill -KILL "$TRACER_PID" 2>/dev/null
	type cleanup_ctx_ns >/dev/null 2>&1 && cleanup_ctx_ns
	type cleanup_flt_ns >/dev/null 2>&1 && cleanup_flt_ns
	type cleanup_own >/dev/null 2>&1 && cleanup_own
	type cleanup_priv >/dev/null 2>&1 && cleanup_priv
	type cleanup_faults >/dev/null 2>&1 && cleanup_faults
	type cleanup_cnt >/dev/null 2>&1 && cleanup_cnt
	type cleanup_metrics >/dev/null 2>&1 && cleanup_metrics
	type cleanup_pcapng >/dev/null 2>&1 && cleanup_pcapng
	type cleanup_otlp >/dev/null 2>&1 && cleanup_otlp
	ip netns del "$NS" 2>/dev/null
	ip link del "v${NS}a" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# start_tracer OUTFILE ARGS...: run skbdrop in the background, wait for the
# "skbdrop: tracing" line (bounded: 10 s). Sets TRACER_PID.
start_tracer() {
	local out=$1; shift
	# empty first: a file reused from an earlier run still holds its tracing line
	# until the new process opens it, and the wait below must not see that one
	: >"$out"; : >"$out.err"
	"$SKBDROP" "$@" >"$out" 2>"$out.err" &
	TRACER_PID=$!
	for _ in $(seq 100); do
		grep -q '^skbdrop: tracing' "$out.err" 2>/dev/null && return 0
		kill -0 "$TRACER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# tracer did not start: $(cat "$out.err")"
	return 1
}

# wait_names OUTFILE: for a tracer started with -v, until kallsyms is read and
# the benign rules by function are in force (bounded: 10 s)
wait_names() {
	for _ in $(seq 100); do
		grep -q '^skbdrop: kallsyms read: benign rules by function in force' "$1.err" && return 0
		sleep 0.1
	done
	echo "# names not ready: $(cat "$1.err")"
	return 1
}

# stop_tracer [SIG]: signal it (default INT) after the rings drained, wait
# (bounded: 10 s), set RC to its exit status.
stop_tracer() {
	sleep 0.4 # > one poll period: everything sent is in the rings
	kill "-${1:-INT}" "$TRACER_PID" 2>/dev/null
	wait_tracer
}
wait_tracer() {
	local i
	for i in $(seq 100); do
		kill -0 "$TRACER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$TRACER_PID" 2>/dev/null; then
		kill -KILL "$TRACER_PID"; echo "# tracer hung"
	fi
	wait "$TRACER_PID"; RC=$?
	TRACER_PID=
}

# jcount FILE JQ-FILTER: number of json lines matching
jcount() { jq -c "select($2)" "$1" 2>/dev/null | wc -l | tr -d ' '; }

HOSTNS=$(stat -L -c %i /proc/self/ns/net)

if [ "$(id -u)" != 0 ]; then
	skip "all end-to-end tests" "not root"
	echo "1..$num"; echo "# e2e: $pass passed, $fail failed, $skip skipped"
	[ $fail -eq 0 ]; exit
fi

# ---- UDP to a closed port over loopback: exactly N NO_SOCKET, IPv4 and IPv6
for fam in 4 6; do
	comm=sk$fam-$$; addr=127.0.0.1; fn='(__udp4_lib_rcv|udp_rcv)'
	[ $fam = 6 ] && { addr=::1; fn='(__udp6_lib_rcv|udpv6_rcv)'; }
	if start_tracer "$TMP/u$fam.json" -o json; then
		"$SENDER" "$comm" "$addr" 9 $N & spid=$!; wait $spid
		stop_tracer
		f="$TMP/u$fam.json"
		check "udp$fam: tracer exits 0 on SIGINT" 0 "$RC"
		check "udp$fam: exactly $N NO_SOCKET events for comm $comm" $N \
			"$(jcount "$f" ".comm==\"$comm\" and .reason==\"NO_SOCKET\"")"
		check "udp$fam: no other events for comm $comm" $N "$(jcount "$f" ".comm==\"$comm\"")"
		check "udp$fam: all attributed to pid $spid" $N "$(jcount "$f" ".comm==\"$comm\" and .pid==$spid and .tid==$spid")"
		check "udp$fam: location in $fn" $N \
			"$(jcount "$f" ".comm==\"$comm\" and (.location|test(\"^$fn\\\\+0x[0-9a-f]+$\"))")"
		want=IPv4; [ $fam = 6 ] && want=IPv6
		check "udp$fam: protocol $want" $N "$(jcount "$f" ".comm==\"$comm\" and .protocol==\"$want\"")"
		# context from the kernel's structs: UDP header + 16 bytes, on lo, in our netns
		check "udp$fam: len 24, ifindex 1 (lo), netns $HOSTNS" $N \
			"$(jcount "$f" ".comm==\"$comm\" and .len==24 and .ifindex==1 and .netns==$HOSTNS")"
		check "udp$fam: json keys and types" $N "$(jcount "$f" ".comm==\"$comm\" and
			(.time|test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\\\.[0-9]{9}Z$\")) and
			(.ts_ns|type)==\"number\" and (.cpu|type)==\"number\" and (.reason_code|type)==\"number\" and
			(.location_addr|test(\"^0x[0-9a-f]+$\"))")"
		# wall time derived from the kernel stamp is within a minute of now
		now=$(date +%s)
		check "udp$fam: time is wall-clock now" $N "$(jcount "$f" ".comm==\"$comm\" and
			((.time|sub(\"\\\\.[0-9]+Z$\";\"Z\")|fromdate) - $now | fabs) < 60")"
		grep -q "^skbdrop: .*events delivered" "$f.err" && ok "udp$fam: exit summary" || nok "udp$fam: exit summary" "$(cat "$f.err")"
		grep -q "^skbdrop: by reason:.*NO_SOCKET [0-9]" "$f.err" && ok "udp$fam: summary counts per reason" \
			|| nok "udp$fam: summary counts per reason" "$(cat "$f.err")"
		check "udp$fam: exactly one 'skbdrop: tracing' line" 1 "$(grep -c '^skbdrop: tracing' "$f.err")"
	else
		nok "udp$fam: tracer starts"
	fi
done

# ---- TCP connect to a closed port: exactly one NO_SOCKET per SYN
for fam in 4 6; do
	comm=skc$fam-$$; addr=127.0.0.1; [ $fam = 6 ] && addr=::1
	if start_tracer "$TMP/tcp$fam.json" -o json; then
		"$SENDER" "$comm" "tcp:$addr" 9 100
		stop_tracer
		# by port, family and namespace: on a loaded host the SYNs' softirq work runs in ksoftirqd
		# (another comm), which is not what this checks
		check "tcp$fam: closed port, exactly 100 NO_SOCKET in tcp_v${fam}_rcv" 100 \
			"$(jcount "$TMP/tcp$fam.json" ".layers.tcp.dport==9 and .layers.tcp.flags==\"SYN\" and .netns==$HOSTNS and .layers.ipv$fam.src==\"$addr\" and .reason==\"NO_SOCKET\" and (.location|startswith(\"tcp_v${fam}_rcv+\"))")"
	else nok "tcp$fam: tracer starts"; fi
done

# ---- text output
comm=skt-$$
if start_tracer "$TMP/t.txt"; then
	"$SENDER" "$comm" 127.0.0.1 40123:9 $N
	stop_tracer
	check "text: exit 0" 0 "$RC"
	check "text: $N lines 'TIME cpu N comm[pid/tid] NO_SOCKET func+0xoff udp 127.0.0.1.40123 > 127.0.0.1.9 len 24 dev lo netns INODE'" $N \
		"$(grep -cE "^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} cpu [0-9]+ $comm\[[0-9]+/[0-9]+\] NO_SOCKET (__udp4_lib_rcv|udp_rcv)\+0x[0-9a-f]+ udp 127\.0\.0\.1\.40123 > 127\.0\.0\.1\.9 len 24 dev lo netns $HOSTNS$" "$TMP/t.txt")"
else nok "text: tracer starts"; fi

# ---- the ring buffer transport: the same exact count over IPv4 loopback
comm=skrb-$$
if start_tracer "$TMP/rb.json" -o json --transport ringbuf; then
	"$SENDER" "$comm" 127.0.0.1 9 $N & spid=$!; wait $spid
	stop_tracer
	f="$TMP/rb.json"
	check "ringbuf: tracer exits 0 on SIGINT" 0 "$RC"
	check "ringbuf: exactly $N NO_SOCKET events for comm $comm" $N \
		"$(jcount "$f" ".comm==\"$comm\" and .reason==\"NO_SOCKET\"")"
	check "ringbuf: no other events for comm $comm" $N "$(jcount "$f" ".comm==\"$comm\"")"
	check "ringbuf: all attributed to pid $spid" $N "$(jcount "$f" ".comm==\"$comm\" and .pid==$spid and .tid==$spid")"
	check "ringbuf: location in (__udp4_lib_rcv|udp_rcv), protocol IPv4" $N "$(jcount "$f" ".comm==\"$comm\" and
		(.location|test(\"^(__udp4_lib_rcv|udp_rcv)\\\\+0x[0-9a-f]+$\")) and .protocol==\"IPv4\"")"
	check "ringbuf: exit summary names the transport" 1 \
		"$(grep -cE '^skbdrop: transport ringbuf, wakeup bytes:[1-9][0-9]*, [0-9]+ wakeups, [1-9][0-9]* polls$' "$f.err")"
	delivered=$(sed -nE 's/^skbdrop: ([0-9]+) events delivered, 0 lost \(ring buffer full: 0 failed outputs\), [0-9]+ filtered in kernel, 0 rate-limited$/\1/p' "$f.err")
	[ -n "$delivered" ] && [ "$delivered" -ge $N ] && ok "ringbuf: summary '$delivered events delivered, 0 lost (ring buffer full: 0 failed outputs)'" \
		|| nok "ringbuf: summary '>= $N events delivered, 0 lost (ring buffer full: ...)'" "$(cat "$f.err")"
	check "ringbuf: no perf wording in the summary" 0 "$(grep -c 'perf ring full' "$f.err")"
	check "ringbuf: exactly one 'skbdrop: tracing' line" 1 "$(grep -c '^skbdrop: tracing' "$f.err")"
else nok "ringbuf: tracer starts"; fi

# ---- wakeup policies, both transports: every event arrives, the summary names the policy
i=0
for cfg in "ringbuf none" "ringbuf events:1" "ringbuf bytes:4096" "perf events:1" "perf none" "perf bytes:4096"; do
	set -- $cfg; tr=$1 wk=$2; i=$((i + 1)); comm=skw$i-$$
	if start_tracer "$TMP/w$i.json" -o json --transport "$tr" --wakeup "$wk"; then
		"$SENDER" "$comm" 127.0.0.1 9 $N
		stop_tracer
		check "--transport $tr --wakeup $wk: exit 0" 0 "$RC"
		check "--transport $tr --wakeup $wk: exactly $N events for comm $comm" $N \
			"$(jcount "$TMP/w$i.json" ".comm==\"$comm\" and .reason==\"NO_SOCKET\"")"
		check "--transport $tr --wakeup $wk: summary 'transport $tr, wakeup $wk, ...'" 1 \
			"$(grep -cE "^skbdrop: transport $tr, wakeup $wk, [0-9]+ wakeups, [1-9][0-9]* polls$" "$TMP/w$i.json.err")"
	else nok "--transport $tr --wakeup $wk: tracer starts"; fi
done
# every event forces a wakeup: the reader, asleep in epoll, was woken at least once
check "--transport ringbuf --wakeup events:1: woken by the kernel" 1 \
	"$(grep -cE '^skbdrop: transport ringbuf, wakeup events:1, [1-9][0-9]* wakeups' "$TMP/w2.json.err" 2>/dev/null)"

# ---- NETFILTER_DROP over veth into a namespace with an nft drop rule
setup_ns() {
	ip netns add "$NS" &&
	ip link add "v${NS}a" type veth peer name "v${NS}b" &&
	ip link set "v${NS}b" netns "$NS" &&
	ip addr add 10.213.0.1/30 dev "v${NS}a" && ip link set "v${NS}a" up &&
	ip -n "$NS" addr add 10.213.0.2/30 dev "v${NS}b" && ip -n "$NS" link set "v${NS}b" up &&
	ip -n "$NS" link set lo up &&
	# a permanent neighbour: no ARP queue to overflow or drop
	ip neigh replace 10.213.0.2 lladdr "$(ip -n "$NS" -j link show "v${NS}b" | jq -r '.[0].address')" \
		dev "v${NS}a" nud permanent &&
	ip netns exec "$NS" nft -f - <<NFT
table inet skbdt {
	chain in {
		type filter hook input priority 0;
		udp dport 7777 drop
	}
}
NFT
}
if ! command -v nft >/dev/null; then skip "netfilter: nft drop over veth" "nft not installed"
elif setup_ns; then
	comm=skn-$$
	if start_tracer "$TMP/nf.json" -o json; then
		"$SENDER" "$comm" 10.213.0.2 7777 $N
		stop_tracer
		check "netfilter: exit 0" 0 "$RC"
		# our drops are the ones in our namespace: other hosts' drops do not count
		nsino=$(stat -L -c %i "/run/netns/$NS"); vifx=$(ip -n "$NS" -j link show "v${NS}b" | jq '.[0].ifindex')
		# (the namespace has drops of its own too: IPv6 autoconf multicast is
		# dropped in ip6_mc_input, NOT_SPECIFIED, once its veth comes up)
		check "netfilter: exactly $N NETFILTER_DROP events in our netns" $N "$(jcount "$TMP/nf.json" ".netns==$nsino and .reason==\"NETFILTER_DROP\"")"
		check "netfilter: all on the namespace's veth (ifindex $vifx) in its netns ($nsino)" $N \
			"$(jcount "$TMP/nf.json" ".reason==\"NETFILTER_DROP\" and .ifindex==$vifx and .netns==$nsino and .len==44")"
	else nok "netfilter: tracer starts"; fi
	# reason filter in the kernel: only NETFILTER_DROP, while UDP NO_SOCKET drops also happen
	if start_tracer "$TMP/r.json" -o json -r NETFILTER_DROP; then
		"$SENDER" "$comm" 10.213.0.2 7777 $N
		"$SENDER" "$comm" 127.0.0.1 9 $N
		stop_tracer
		check "--reason NETFILTER_DROP: exactly $N events in our netns" $N "$(jcount "$TMP/r.json" ".reason==\"NETFILTER_DROP\" and .netns==$nsino")"
		check "--reason NETFILTER_DROP: no other reason" 0 "$(jcount "$TMP/r.json" '.reason!="NETFILTER_DROP"')"
		grep -qE "[1-9][0-9]* filtered in kernel" "$TMP/r.json.err" && ok "--reason: summary reports kernel-filtered events" \
			|| nok "--reason: summary reports kernel-filtered events" "$(cat "$TMP/r.json.err")"
	else nok "--reason: tracer starts"; fi
	if start_tracer "$TMP/x.json" -o json --exclude-reason NO_SOCKET,TCP_CSUM; then
		"$SENDER" "$comm" 10.213.0.2 7777 $N
		"$SENDER" "$comm" 127.0.0.1 9 $N
		stop_tracer
		check "--exclude-reason NO_SOCKET: $N NETFILTER_DROP kept in our netns" $N "$(jcount "$TMP/x.json" ".reason==\"NETFILTER_DROP\" and .netns==$nsino")"
		check "--exclude-reason NO_SOCKET: none delivered" 0 "$(jcount "$TMP/x.json" '.reason=="NO_SOCKET"')"
	else nok "--exclude-reason: tracer starts"; fi
	ip netns del "$NS"; ip link del "v${NS}a" 2>/dev/null
else
	nok "netfilter: namespace setup"
fi

# ---- packet context (issue 5): 5-tuple, device and netns names, stacks, cgroup
CNS=skbdc$$ CA=ca$$ CB=cb$$ DA=da$$ DB=db$$
setup_ctx_ns() {
	ip netns add "$CNS" &&
	ip link add "$CA" type veth peer name "$CB" && ip link set "$CB" netns "$CNS" &&
	ip link add "$DA" type veth peer name "$DB" && ip link set "$DB" netns "$CNS" &&
	ip addr add 10.214.0.1/30 dev "$CA" && ip addr add fd00:214::1/64 dev "$CA" nodad && ip link set "$CA" up &&
	ip addr add 10.215.0.1/30 dev "$DA" && ip link set "$DA" up &&
	ip -n "$CNS" addr add 10.214.0.2/30 dev "$CB" && ip -n "$CNS" addr add fd00:214::2/64 dev "$CB" nodad &&
	ip -n "$CNS" addr add 10.215.0.2/30 dev "$DB" &&
	ip -n "$CNS" link set "$CB" up && ip -n "$CNS" link set "$DB" up && ip -n "$CNS" link set lo up &&
	CB_MAC=$(ip -n "$CNS" -j link show "$CB" | jq -r '.[0].address') &&
	CA_MAC=$(ip -j link show "$CA" | jq -r '.[0].address') &&
	ip neigh replace 10.214.0.2 lladdr "$CB_MAC" dev "$CA" nud permanent &&
	ip -6 neigh replace fd00:214::2 lladdr "$CB_MAC" dev "$CA" nud permanent &&
	ip neigh replace 10.215.0.2 lladdr "$(ip -n "$CNS" -j link show "$DB" | jq -r '.[0].address')" dev "$DA" nud permanent &&
	ip netns exec "$CNS" nft -f - <<NFT
table inet skbdc {
	chain in {
		type filter hook input priority 0;
		udp dport 7777 drop
		icmp type echo-request drop
		icmpv6 type echo-request drop
	}
}
NFT
}
cleanup_ctx_ns() {
	ip netns del "$CNS" 2>/dev/null; ip link del "$CA" 2>/dev/null; ip link del "$DA" 2>/dev/null
	[ -n "${CGDIR:-}" ] && rmdir "$CGDIR" 2>/dev/null
}
if ! command -v nft >/dev/null; then skip "packet context over veth" "nft not installed"
elif setup_ctx_ns; then
	cnsino=$(stat -L -c %i "/run/netns/$CNS")
	cbidx=$(ip -n "$CNS" -j link show "$CB" | jq '.[0].ifindex'); dbidx=$(ip -n "$CNS" -j link show "$DB" | jq '.[0].ifindex')
	ctx_traffic() { # the same drops for the json and the text tracer
		"$SENDER" skx-$$ 10.214.0.2 40001:7777 50
		"$SENDER" skx-$$ fd00:214::2 40002:7777 50
		"$SENDER" skx-$$ tcp:10.214.0.2 9 20
		"$SENDER" skx-$$ tcp:fd00:214::2 9 20
		"$SENDER" skx-$$ icmp:10.214.0.2 4242 20
		"$SENDER" skx-$$ icmp:fd00:214::2 4243 20
	}
	# kernel fields: bpf_rdonly_cast loads where the kernel has them (6.2+), else probe reads; both ways
	kver=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
	if [ "$kver" -ge 6002 ]; then want_read="bpf_rdonly_cast loads"; else want_read="bpf_probe_read_kernel"; fi
	# and the packet's bytes too where the kernel casts to void (6.17+)
	if [ "$kver" -ge 6017 ]; then want_pkt="bpf_rdonly_cast loads"; else want_pkt="bpf_probe_read_kernel"; fi
	for rd in default probe; do
	if [ "$rd" = probe ]; then export SKBDROP_PROBE_READ=1; want_read="bpf_probe_read_kernel"; want_pkt=$want_read; fi
	if start_tracer "$TMP/ctx.json" -o json -v; then
		ctx_traffic
		stop_tracer
		unset SKBDROP_PROBE_READ
		grep -qx "skbdrop: kernel fields read with $want_read" "$TMP/ctx.json.err" &&
			ok "context ($rd): kernel fields read with $want_read" ||
			nok "context ($rd): kernel fields read with $want_read" "$(head -3 "$TMP/ctx.json.err")"
		grep -qx "skbdrop: packet bytes read with $want_pkt" "$TMP/ctx.json.err" &&
			ok "context ($rd): packet bytes read with $want_pkt" ||
			nok "context ($rd): packet bytes read with $want_pkt" "$(head -4 "$TMP/ctx.json.err")"
		f="$TMP/ctx.json"; in_ns=".netns==$cnsino and .ifindex==$cbidx and .dev==\"$CB\" and .netns_name==\"$CNS\""
		check "context ($rd): udp4 nft drops: 5-tuple 10.214.0.1:40001 > 10.214.0.2:7777, dev $CB, netns_name $CNS" 50 \
			"$(jcount "$f" "$in_ns and .reason==\"NETFILTER_DROP\" and .layers.ipv4.src==\"10.214.0.1\" and .layers.ipv4.dst==\"10.214.0.2\" and .layers.ipv4.protocol==17 and .layers.udp.sport==40001 and .layers.udp.dport==7777 and .layers.udp.len==24")"
		check "context ($rd): udp4 nft drops: ether src $CA_MAC dst $CB_MAC type 0x0800" 50 \
			"$(jcount "$f" "$in_ns and .layers.udp.sport==40001 and .layers.ether.src==\"$CA_MAC\" and .layers.ether.dst==\"$CB_MAC\" and .layers.ether.type==\"0x0800\"")"
		check "context ($rd): udp6 nft drops: fd00:214::1.40002 > fd00:214::2.7777, next_header 17" 50 \
			"$(jcount "$f" "$in_ns and .reason==\"NETFILTER_DROP\" and .layers.ipv6.src==\"fd00:214::1\" and .layers.ipv6.dst==\"fd00:214::2\" and .layers.ipv6.next_header==17 and .layers.udp.sport==40002 and .layers.udp.dport==7777")"
		check "context ($rd): tcp4 SYN to a closed port: NO_SOCKET, flags SYN, dport 9" 20 \
			"$(jcount "$f" "$in_ns and .reason==\"NO_SOCKET\" and .layers.ipv4.dst==\"10.214.0.2\" and .layers.tcp.dport==9 and .layers.tcp.flags==\"SYN\" and .layers.tcp.ack==0")"
		check "context ($rd): tcp6 SYN to a closed port: NO_SOCKET, flags SYN, dport 9" 20 \
			"$(jcount "$f" "$in_ns and .reason==\"NO_SOCKET\" and .layers.ipv6.dst==\"fd00:214::2\" and .layers.tcp.dport==9 and .layers.tcp.flags==\"SYN\"")"
		check "context ($rd): icmp echo requests dropped by nft: type 8 code 0" 20 \
			"$(jcount "$f" "$in_ns and .reason==\"NETFILTER_DROP\" and .layers.ipv4.protocol==1 and .layers.icmp.type==8 and .layers.icmp.code==0")"
		check "context ($rd): icmp6 echo requests dropped by nft: type 128 code 0" 20 \
			"$(jcount "$f" "$in_ns and .reason==\"NETFILTER_DROP\" and .layers.ipv6.next_header==58 and .layers.icmp6.type==128 and .layers.icmp6.code==0")"
		check "context ($rd): cgroup is a path or null, layers an object" 0 \
			"$(jcount "$f" "((.cgroup|type) != \"string\" and .cgroup != null) or ((.layers|type) != \"object\" and .layers != null)")"
	else nok "context ($rd): tracer starts"; unset SKBDROP_PROBE_READ; fi
	done
	if start_tracer "$TMP/ctx.txt"; then
		ctx_traffic
		stop_tracer
		check "context text: 'udp 10.214.0.1.40001 > 10.214.0.2.7777 len 44 dev $CB netns $CNS'" 50 \
			"$(grep -cE " NETFILTER_DROP [a-z_0-9.]+\+0x[0-9a-f]+ udp 10\.214\.0\.1\.40001 > 10\.214\.0\.2\.7777 len 44 dev $CB netns $CNS$" "$TMP/ctx.txt")"
		check "context text: 'tcp 10.214.0.1.PORT > 10.214.0.2.9 [S] ... dev $CB netns $CNS'" 20 \
			"$(grep -cE " NO_SOCKET tcp_v4_rcv\+0x[0-9a-f]+ tcp 10\.214\.0\.1\.[0-9]+ > 10\.214\.0\.2\.9 \[S\].* dev $CB netns $CNS$" "$TMP/ctx.txt")"
		check "context text: 'icmp6 fd00:214::1 > fd00:214::2 echo request ... dev $CB netns $CNS'" 20 \
			"$(grep -cE " NETFILTER_DROP [a-z_0-9.]+\+0x[0-9a-f]+ icmp6 fd00:214::1 > fd00:214::2 echo request.* dev $CB netns $CNS$" "$TMP/ctx.txt")"
	else nok "context text: tracer starts"; fi

	# a drop on a device deleted before the event is read: ifindex N, never a name
	if start_tracer "$TMP/gone.json" -o json && gone_json=$TRACER_PID && start_tracer "$TMP/gone.txt"; then
		gone_txt=$TRACER_PID
		kill -STOP "$gone_json" "$gone_txt"
		"$SENDER" skg-$$ 10.215.0.2 40003:7777 30
		ip link del "$DA"
		kill -CONT "$gone_json" "$gone_txt"
		stop_tracer; TRACER_PID=$gone_json; stop_tracer
		check "deleted device: all 30 drops on ifindex $dbidx in netns $CNS" 30 \
			"$(jcount "$TMP/gone.json" ".netns==$cnsino and .ifindex==$dbidx and .layers.udp.sport==40003")"
		check "deleted device: dev is null for all 30 (never another device's name)" 30 \
			"$(jcount "$TMP/gone.json" ".netns==$cnsino and .ifindex==$dbidx and .layers.udp.sport==40003 and .dev==null and .netns_name==\"$CNS\"")"
		check "deleted device, text: 'ifindex $dbidx netns $CNS'" 30 \
			"$(grep -cE "udp 10\.215\.0\.1\.40003 > 10\.215\.0\.2\.7777 len 44 ifindex $dbidx netns $CNS$" "$TMP/gone.txt")"
	else nok "deleted device: tracers start"; [ -n "${gone_json:-}" ] && kill "$gone_json" 2>/dev/null; fi

	# --stack: the nft drop's stack runs through nf_hook_slow
	if start_tracer "$TMP/stk.json" -o json -s; then
		"$SENDER" sks-$$ 10.214.0.2 40004:7777 20
		stop_tracer
		check "--stack: every nft drop's stack includes nf_hook_slow" 20 \
			"$(jcount "$TMP/stk.json" ".netns==$cnsino and .layers.udp.sport==40004 and .reason==\"NETFILTER_DROP\" and ([.stack[] | select(startswith(\"nf_hook_slow+0x\"))] | length) == 1")"
		check "--stack: frames are 'func+0xoff' strings" 0 \
			"$(jcount "$TMP/stk.json" ".layers.udp.sport==40004 and ([.stack[] | select(test(\"^[A-Za-z0-9_.]+\\\\+0x[0-9a-f]+( \\\\[[a-z0-9_]+\\\\])?$\") | not)] | length) > 0")"
		if grep -qE ' nft_do_chain\s+\[nf_tables\]' /proc/kallsyms; then
			check "--stack: the nft drop's stack names nf_tables' module" 20 \
				"$(jcount "$TMP/stk.json" ".layers.udp.sport==40004 and ([.stack[] | select(test(\"^nft_do_chain\\\\+0x[0-9a-f]+ \\\\[nf_tables\\\\]$\"))] | length) > 0")"
		else # nf_tables built in: no module to name
			check "--stack: the nft drop's stack has nft_do_chain (built in: no module name)" 20 \
				"$(jcount "$TMP/stk.json" ".layers.udp.sport==40004 and ([.stack[] | select(test(\"^nft_do_chain\\\\+0x[0-9a-f]+$\"))] | length) > 0")"
		fi
		grep -qE '^skbdrop: 0 stacks could not be recorded' "$TMP/stk.json.err" && ok "--stack: summary counts stack failures (0)" \
			|| nok "--stack: summary counts stack failures (0)" "$(cat "$TMP/stk.json.err")"
	else nok "--stack: tracer starts"; fi
	if start_tracer "$TMP/stk.txt" -s; then
		"$SENDER" sks-$$ 10.214.0.2 40005:7777 5
		stop_tracer
		check "--stack text: an indented nf_hook_slow frame under each of the 5 lines" 5 \
			"$(grep -A40 "udp 10.214.0.1.40005 >" "$TMP/stk.txt" | grep -cE '^    nf_hook_slow\+0x[0-9a-f]+$')"
	else nok "--stack text: tracer starts"; fi
	cleanup_ctx_ns
else
	nok "context: namespace setup"; cleanup_ctx_ns
fi

# ---- cgroup of the process in context, as a path below the cgroup2 root
CGROOT=
for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ "$(stat -f -c %T $d 2>/dev/null)" = cgroup2fs ] && { CGROOT=$d; break; }
done
if [ -n "$CGROOT" ]; then
	CGDIR=$CGROOT/skbdt$$
	rm -f "$TMP/cg"; mkfifo "$TMP/cg"
	if mkdir "$CGDIR" && start_tracer "$TMP/cg.json" -o json; then
		"$SENDER" skcg-$$ 127.0.0.1 9 25 "$TMP/cg" & cpid=$!
		echo $cpid > "$CGDIR/cgroup.procs"
		echo x > "$TMP/cg"; wait $cpid
		stop_tracer
		check "cgroup: the sender's 25 drops carry cgroup /skbdt$$" 25 "$(jcount "$TMP/cg.json" ".comm==\"skcg-$$\" and .cgroup==\"/skbdt$$\"")"
	else nok "cgroup: setup"; kill $cpid 2>/dev/null; fi
	rmdir "$CGDIR" 2>/dev/null; CGDIR=
else skip "cgroup path" "no cgroup2 at /sys/fs/cgroup or /sys/fs/cgroup/unified"; fi

# ---- the socket's owner (issue 13): tests/e2e/owner.sh
. "$(dirname "$0")/owner.sh"
. "$(dirname "$0")/privileges.sh"

# ---- the kernel's own drop counters (issue 14): tests/e2e/counters.sh
. "$(dirname "$0")/counters.sh"

# ---- --snaplen: nothing captured, or the IPv4 header only
if start_tracer "$TMP/sn0.json" -o json --snaplen 0 && sn0=$TRACER_PID && start_tracer "$TMP/sn34.json" -o json --snaplen 34; then
	sn34=$TRACER_PID
	"$SENDER" sksn-$$ 127.0.0.1 9 10
	stop_tracer; TRACER_PID=$sn0; stop_tracer
	check "--snaplen 0: layers {} for all 10" 10 "$(jcount "$TMP/sn0.json" ".comm==\"sksn-$$\" and .layers=={}")"
	check "--snaplen 34: ether + ipv4 decoded, udp reported truncated" 10 \
		"$(jcount "$TMP/sn34.json" ".comm==\"sksn-$$\" and .layers.ipv4.dst==\"127.0.0.1\" and .layers.udp.truncated==true")"
else nok "--snaplen: tracers start"; fi

# ---- filters in the kernel (issue 6): tcpdump expressions, devices, netns, rate limit
FNS=skbdf$$ FA=fa$$ FB=fb$$ GA=ga$$ GB=gb$$
setup_flt_ns() {
	ip netns add "$FNS" &&
	ip link add "$FA" type veth peer name "$FB" && ip link set "$FB" netns "$FNS" &&
	ip link add "$GA" type veth peer name "$GB" && ip link set "$GB" netns "$FNS" &&
	ip addr add 10.217.0.1/24 dev "$FA" && ip addr add fd00:217::1/64 dev "$FA" nodad && ip link set "$FA" up &&
	ip addr add 10.218.0.1/30 dev "$GA" && ip link set "$GA" up &&
	ip -n "$FNS" addr add 10.217.0.2/24 dev "$FB" && ip -n "$FNS" addr add 10.217.0.3/24 dev "$FB" &&
	ip -n "$FNS" addr add fd00:217::2/64 dev "$FB" nodad && ip -n "$FNS" addr add 10.218.0.2/30 dev "$GB" &&
	ip -n "$FNS" link set "$FB" up && ip -n "$FNS" link set "$GB" up && ip -n "$FNS" link set lo up &&
	fmac=$(ip -n "$FNS" -j link show "$FB" | jq -r '.[0].address') &&
	ip neigh replace 10.217.0.2 lladdr "$fmac" dev "$FA" nud permanent &&
	ip neigh replace 10.217.0.3 lladdr "$fmac" dev "$FA" nud permanent &&
	ip -6 neigh replace fd00:217::2 lladdr "$fmac" dev "$FA" nud permanent &&
	ip neigh replace 10.218.0.2 lladdr "$(ip -n "$FNS" -j link show "$GB" | jq -r '.[0].address')" dev "$GA" nud permanent &&
	echo 'table inet skbdf { chain in { type filter hook input priority 0; icmp type echo-request drop; }; }' |
		ip netns exec "$FNS" nft -f -
}
cleanup_flt_ns() { ip netns del "$FNS" 2>/dev/null; ip link del "$FA" 2>/dev/null; ip link del "$GA" 2>/dev/null; }
# the traffic mix: counts per kind are what each filter's expectation adds up
flt_traffic() {
	"$SENDER" skf-$$ 10.217.0.2 41001:7001 10     # A udp 7001
	"$SENDER" skf-$$ 10.217.0.3 41002:7002 7      # B udp, other host
	"$SENDER" skf-$$ 10.217.0.2 41003:8050 5      # C udp, in portrange 8000-8100
	"$SENDER" skf-$$ 10.217.0.2 41004:9000 4      # D udp 9000
	"$SENDER" skf-$$ tcp:10.217.0.2 443 6         # E tcp SYN 443
	"$SENDER" skf-$$ tcp:10.217.0.2 3306 3        # F tcp SYN 3306
	"$SENDER" skf-$$ icmp:10.217.0.2 77 8         # G icmp echo (nft drop)
	"$SENDER" skf-$$ fd00:217::2 41005:7001 9     # H udp6 7001
	"$SENDER" skf-$$ tcp:fd00:217::2 443 2        # I tcp6 SYN 443
	"$SENDER" skf-$$ 10.218.0.2 41006:7001 5      # J udp 7001 on the second veth
	"$SENDER" skf-$$ 127.0.0.1 7001 10            # K udp 7001 on the host's loopback: another netns
}
if ! command -v nft >/dev/null; then skip "filters over veth" "nft not installed"
elif setup_flt_ns; then
	fbidx=$(ip -n "$FNS" -j link show "$FB" | jq '.[0].ifindex'); gbidx=$(ip -n "$FNS" -j link show "$GB" | jq '.[0].ifindex')
	fnsino=$(stat -L -c %i "/run/netns/$FNS")
	# only our namespace's drops of our two reasons: the namespace's own IPv6
	# autoconf multicast (NOT_SPECIFIED) stays out of the exact counts
	run_filter() { # run_filter NAME EXPECTED ARGS...: exactly EXPECTED events, all in our netns
		local name=$1 want=$2; shift 2
		if start_tracer "$TMP/f.json" -o json --netns "$FNS" -r NO_SOCKET,NETFILTER_DROP "$@"; then
			flt_traffic
			stop_tracer
			got=$(wc -l <"$TMP/f.json" | tr -d ' ')
			check "filter $name: exactly $want drops delivered" "$want" "$got"
			[ "$got" = "$want" ] || echo "# tracer said: $(tr '\n' '|' <"$TMP/f.json.err")"
			FOUT=$TMP/f.json
		else nok "filter $name: tracer starts"; FOUT=/dev/null; fi
	}
	run_filter "'udp'" 40 udp
	check "filter 'udp': all are udp" 40 "$(jcount "$FOUT" '.layers.udp != null')"
	run_filter "'tcp port 443'" 8 tcp port 443
	check "filter 'tcp port 443': all tcp dport 443" 8 "$(jcount "$FOUT" '.layers.tcp.dport == 443')"
	run_filter "'host 10.217.0.3'" 7 host 10.217.0.3
	check "filter 'host 10.217.0.3': all to 10.217.0.3" 7 "$(jcount "$FOUT" '.layers.ipv4.dst == "10.217.0.3"')"
	run_filter "'src net 10.217.0.0/24 and tcp dst port 3306'" 3 'src net 10.217.0.0/24 and tcp dst port 3306'
	run_filter "'portrange 8000-8100'" 5 portrange 8000-8100
	check "filter 'portrange 8000-8100': all dport 8050" 5 "$(jcount "$FOUT" '.layers.udp.dport == 8050')"
	run_filter "'icmp'" 8 icmp
	check "filter 'icmp': all echo requests" 8 "$(jcount "$FOUT" '.layers.icmp.type == 8')"
	run_filter "'tcp[tcpflags] & tcp-syn != 0'" 9 'tcp[tcpflags] & tcp-syn != 0'
	check "filter 'tcp[tcpflags] & tcp-syn != 0': all SYN" 9 "$(jcount "$FOUT" '.layers.tcp.flags == "SYN"')"
	run_filter "'ip6 and udp'" 9 ip6 and udp
	check "filter 'ip6 and udp': all udp over ipv6" 9 "$(jcount "$FOUT" '.layers.ipv6 != null and .layers.udp.dport == 7001')"
	run_filter "'not icmp'" 51 not icmp
	check "filter 'not icmp': no icmp" 0 "$(jcount "$FOUT" '.layers.icmp != null')"
	run_filter "'udp and not port 7001'" 16 udp and not port 7001
	run_filter "'tcp or icmp'" 19 'tcp or icmp'
	run_filter "'ether src' of the host's veth" 54 ether src "$(ip -j link show "$FA" | jq -r '.[0].address')"
	# devices and namespaces, in the kernel
	run_filter "-i $FB" 54 -i "$FB"
	check "-i $FB: all on ifindex $fbidx" 54 "$(jcount "$FOUT" ".ifindex == $fbidx and .dev == \"$FB\"")"
	run_filter "--exclude-device $FB" 5 --exclude-device "$FB"
	check "--exclude-device $FB: all on $GB" 5 "$(jcount "$FOUT" ".ifindex == $gbidx")"
	run_filter "-i $FB,$GB udp port 7001" 24 -i "$FB,$GB" udp port 7001
	if start_tracer "$TMP/n.json" -o json --netns "$fnsino" -r NO_SOCKET udp port 7001; then
		flt_traffic
		stop_tracer
		check "--netns INODE: only the namespace's 24 udp 7001 drops, not the host's 10" 24 "$(wc -l <"$TMP/n.json" | tr -d ' ')"
		grep -qE "^skbdrop: [0-9]+ events delivered, .*, [1-9][0-9]* filtered in kernel, 0 rate-limited$" "$TMP/n.json.err" \
			&& ok "--netns: summary counts the drops filtered in the kernel" || nok "--netns: summary counts the drops filtered in the kernel" "$(cat "$TMP/n.json.err")"
	else nok "--netns INODE: tracer starts"; fi
	# --max-rate: delivered + rate-limited + lost = generated
	if start_tracer "$TMP/m.json" -o json --netns "$FNS" -r NO_SOCKET --max-rate 50 -v udp port 7009; then
		"$SENDER" skm-$$ 10.217.0.2 41009:7009 3000
		sleep 1.2 # at least one -v status line
		stop_tracer
		sumline=$(grep -E '^skbdrop: [0-9]+ events delivered' "$TMP/m.json.err")
		del=$(echo "$sumline" | sed -nE 's/^skbdrop: ([0-9]+) events delivered, ([0-9]+) lost.*, ([0-9]+) rate-limited$/\1/p')
		lost=$(echo "$sumline" | sed -nE 's/^skbdrop: ([0-9]+) events delivered, ([0-9]+) lost.*, ([0-9]+) rate-limited$/\2/p')
		rl=$(echo "$sumline" | sed -nE 's/^skbdrop: ([0-9]+) events delivered, ([0-9]+) lost.*, ([0-9]+) rate-limited$/\3/p')
		check "--max-rate 50: delivered + rate-limited + lost = 3000 generated" 3000 "$(( ${del:-0} + ${rl:-0} + ${lost:-0} ))"
		check "--max-rate 50: lines written = delivered" "${del:-x}" "$(wc -l <"$TMP/m.json" | tr -d ' ')"
		[ -n "$del" ] && [ "$del" -le $((50 * $(nproc) * 4)) ] && [ "$del" -ge 50 ] && ok "--max-rate 50: $del delivered (50 to 50 x CPUs x seconds)" \
			|| nok "--max-rate 50: delivered within the cap" "$sumline"
		grep -qE '^skbdrop: status: [0-9]+ delivered, [0-9]+ lost, [0-9]+ filtered, [0-9]+ rate-limited$' "$TMP/m.json.err" \
			&& ok "-v: periodic status lines" || nok "-v: periodic status lines" "$(cat "$TMP/m.json.err")"
	else nok "--max-rate: tracer starts"; fi
	cleanup_flt_ns
else
	nok "filters: namespace setup"; cleanup_flt_ns
fi
# bad filters: libpcap's message, exit 2; unknown device or netns: exit 1
"$SKBDROP" tcp port >/dev/null 2>"$TMP/fe.err"; rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$TMP/fe.err")" = 1 ] && grep -q "^skbdrop: filter 'tcp port': .*syntax error" "$TMP/fe.err" \
	&& ok "invalid expression: exit 2 with libpcap's message" || nok "invalid expression: exit 2 with libpcap's message" "rc=$rc: $(cat "$TMP/fe.err")"
"$SKBDROP" -i nosuchdev$$ -d 0.1 >/dev/null 2>"$TMP/fd.err"; rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$TMP/fd.err")" = 1 ] && grep -q "nosuchdev$$: no such device" "$TMP/fd.err" \
	&& ok "unknown device: exit 1, one line" || nok "unknown device: exit 1, one line" "rc=$rc: $(cat "$TMP/fd.err")"
"$SKBDROP" --netns /proc/self/ns/mnt -d 0.1 >/dev/null 2>"$TMP/fm.err"; rc=$?
[ $rc = 1 ] && grep -q "not a network namespace" "$TMP/fm.err" \
	&& ok "--netns of a mount namespace: exit 1, 'not a network namespace'" || nok "--netns of a mount namespace: exit 1" "rc=$rc: $(cat "$TMP/fm.err")"
"$SKBDROP" --netns nosuchns$$ -d 0.1 >/dev/null 2>"$TMP/fn.err"; rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$TMP/fn.err")" = 1 ] && grep -q "nosuchns$$" "$TMP/fn.err" \
	&& ok "unknown netns: exit 1, one line" || nok "unknown netns: exit 1, one line" "rc=$rc: $(cat "$TMP/fn.err")"

# ---- --summary (issue 7): exact counts at full speed, Prometheus through node_exporter, a real terminal
SNS=skbds$$
if ip netns add "$SNS" && ip -n "$SNS" link set lo up &&
	echo 'table inet skbds { chain in { type filter hook input priority 0; udp dport 7777 drop; }; }' | ip netns exec "$SNS" nft -f -; then
	sumgen() { # the generator at full speed: exactly $1 NO_SOCKET and $2 NETFILTER_DROP in the namespace
		ip netns exec "$SNS" "$DROPGEN" -t 20 -k noport "$1" 127.0.0.1 9 >"$TMP/g1.out" 2>&1
		ip netns exec "$SNS" "$DROPGEN" -t 20 -k send "$2" 127.0.0.1 7777 >"$TMP/g2.out" 2>&1
		G1=$(sed -nE 's/.* drops ([0-9]+) in .*/\1/p' "$TMP/g1.out"); G2=$(sed -nE 's/.* drops ([0-9]+) in .*/\1/p' "$TMP/g2.out")
	}
	if start_tracer "$TMP/sum.json" --summary 0.5 -o json --netns "$SNS" --by reason --prom-file "$TMP/prom/skbdrop.prom"; then
		sumgen 400000 200000
		sleep 1.2 # one more interval after the last drop
		last=$(tail -n 1 "$TMP/sum.json")
		check "summary: the generator made exactly 400000 NO_SOCKET and 200000 NETFILTER_DROP" "400000 200000" "$G1 $G2"
		check "summary: NO_SOCKET total = $G1 generated" "$G1" "$(echo "$last" | jq '[.rows[] | select(.reason=="NO_SOCKET") | .total] | add')"
		check "summary: NETFILTER_DROP total = $G2 generated" "$G2" "$(echo "$last" | jq '[.rows[] | select(.reason=="NETFILTER_DROP") | .total] | add')"
		check "summary: nothing in an 'other' row" 0 "$(echo "$last" | jq '[.rows[] | select(.other) | .total] | add // 0')"
		check "summary: one JSON object per interval, each with rows, total, rate" 0 \
			"$(jq -c 'select((.rows|type) != "array" or (.counted|type) != "number" or ([.rows[] | select((.total|type) != "number" or (.rate|type) != "number")] | length) > 0)' "$TMP/sum.json" | wc -l | tr -d ' ')"
		nint=$(wc -l <"$TMP/sum.json" | tr -d ' ')
		[ "$nint" -ge 3 ] && ok "summary: $nint intervals printed" || nok "summary: at least 3 intervals printed" "$nint"
		prom=$TMP/prom/skbdrop.prom
		check "prom file: NO_SOCKET counter = $G1" 1 "$(grep -cE "^skbdrop_drops_total\{reason=\"NO_SOCKET\"\} $G1$" "$prom")"
		check "prom file: HELP and TYPE lines" 2 "$(grep -cE '^# (HELP|TYPE) skbdrop_drops_total ' "$prom")"
		# a real node_exporter scrapes it
		if command -v prometheus-node-exporter >/dev/null; then
			port=$((20000 + $$ % 20000))
			prometheus-node-exporter --web.listen-address=127.0.0.1:$port --collector.disable-defaults \
				--collector.textfile --collector.textfile.directory="$TMP/prom" >"$TMP/ne.log" 2>&1 & nep=$!
			metrics=
			for _ in $(seq 50); do
				metrics=$(curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null) && break
				sleep 0.1
			done
			kill $nep 2>/dev/null; wait $nep 2>/dev/null
			check "node_exporter /metrics: skbdrop_drops_total{reason=\"NO_SOCKET\"} $G1" 1 \
				"$(echo "$metrics" | grep -cE "^skbdrop_drops_total\{reason=\"NO_SOCKET\"\} $G1$")"
			check "node_exporter /metrics: skbdrop_drops_total{reason=\"NETFILTER_DROP\"} $G2" 1 \
				"$(echo "$metrics" | grep -cE "^skbdrop_drops_total\{reason=\"NETFILTER_DROP\"\} $G2$")"
			check "node_exporter: our file parsed without error" 0 "$(echo "$metrics" | grep -cE '^node_textfile_scrape_error 1')"
		else skip "node_exporter scrapes the prom file" "prometheus-node-exporter not installed"; fi
		stop_tracer
		check "summary: exit 0" 0 "$RC"
		check "summary: final line at exit names the counted drops" 1 "$(grep -cE "^skbdrop: [0-9]+ drops counted in the kernel" "$TMP/sum.json.err")"
	else nok "summary: tracer starts"; fi
	# the terminal view, in a real terminal (tmux)
	if command -v tmux >/dev/null; then
		tsock=skbdt$$
		tmux -L "$tsock" new-session -d -s sum -x 160 -y 40 "$SKBDROP --summary 0.5 --netns $SNS 2>$TMP/tmux.err; sleep 30"
		sleep 1
		sumgen 30000 20000
		sleep 1.5
		tmux -L "$tsock" capture-pane -p -t sum >"$TMP/pane.txt"
		tmux -L "$tsock" kill-server
		check "tmux: header 'skbdrop summary ... kernel $(uname -r)' on the screen's first line" 1 \
			"$(head -n 1 "$TMP/pane.txt" | grep -cF "kernel $(uname -r)")"
		check "tmux: 'counted 50000' in the header" 1 "$(grep -c 'counted 50000 ' "$TMP/pane.txt")"
		check "tmux: column titles" 1 "$(grep -cE '^ *RATE/s +TOTAL +REASON +LOCATION +DEVICE +NETNS' "$TMP/pane.txt")"
		check "tmux: a NO_SOCKET row with total 30000 on lo in $SNS" 1 "$(grep -cE '^ *[0-9.]+ +30000 +NO_SOCKET +[a-z_0-9.]+\+0x[0-9a-f]+ +lo +'"$SNS"' *$' "$TMP/pane.txt")"
		check "tmux: a NETFILTER_DROP row with total 20000" 1 "$(grep -cE '^ *[0-9.]+ +20000 +NETFILTER_DROP ' "$TMP/pane.txt")"
		check "tmux: redrawn in place (one header on the screen)" 1 "$(grep -c 'skbdrop summary' "$TMP/pane.txt")"
	else skip "summary in a terminal" "tmux not installed"; fi
	ip netns del "$SNS"
else
	nok "summary: namespace setup"; ip netns del "$SNS" 2>/dev/null
fi

# ---- --summary with many keys: each CPU counts its first keys in its own slots (256 of them), the
# rest in the hash map; 300 namespaces of 3 drops each collide in the slots, and every key stays exact.
# The datagrams' drops are NO_SOCKET unless the kernel drops one earlier (a full backlog: CPU_BACKLOG);
# either way they are rows of their namespace, so the check is per namespace whatever the reason. A drop
# the kernel ran no program for (another BPF program on that CPU) is in the header's "lost": then a
# namespace may be short by that many, never silently. --no-default-rules: a datagram still queued when
# its namespace is torn down is freed there, which a default benign rule sets apart from the rows (stop
# 23's CI and a later run each saw one namespace short by its 3, the header saying benign 3); counted as a
# drop, it stays its namespace's row.
BURST=$(readlink -f "$BUILD/e2e/ns_burst")
BPORT=$((40000 + $$ % 5000))
if start_tracer "$TMP/keys.json" --summary 0.5 -o json --no-default-rules --by reason,netns "udp dst port $BPORT"; then
	"$BURST" 300 3 $BPORT >"$TMP/burst.out" 2>&1; brc=$?
	sleep 1.2
	stop_tracer
	last=$(tail -n 1 "$TMP/keys.json")
	check "summary keys: 300 namespaces made" "0 300" "$brc $(sort -u "$TMP/burst.out" | wc -l)"
	# "netns total" per namespace, every reason added
	echo "$last" | jq -r '[.rows[] | select(.other | not)] | group_by(.netns)[] | "\(.[0].netns) \(map(.total) | add)"' |
		sort -n >"$TMP/keys.ns"
	klost=$(echo "$last" | jq '.lost')
	kshort=$(awk -v made="$(sort -n "$TMP/burst.out" | tr '\n' ' ')" '
		BEGIN { n = split(made, m, " "); for (i = 1; i <= n; i++) want[m[i]] = 3 }
		{ got[$1] = $2 }
		END { s = 0; for (k in want) s += 3 - (k in got ? got[k] : 0); print s }' "$TMP/keys.ns")
	[ "$klost" -gt 0 ] 2>/dev/null && echo "# summary keys: the kernel missed $klost drops (another BPF program on the CPU)"
	check "summary keys: rows only of the namespaces made" "" \
		"$(cut -d' ' -f1 "$TMP/keys.ns" | grep -vxF -f "$TMP/burst.out" | tr '\n' ' ')"
	check "summary keys: every namespace's 3 drops counted (or short by no more than the kernel's missed: $klost)" 1 \
		"$(awk -v s="$kshort" -v l="$klost" 'BEGIN { print (s == 0 || (s > 0 && s <= l)) ? 1 : 0 }')"
	check "summary keys: no namespace over 3" 0 "$(awk '$2 > 3' "$TMP/keys.ns" | wc -l)"
	nons=$(echo "$last" | jq -c '[.rows[] | select(.reason != "NO_SOCKET")]')
	[ "$nons" != "[]" ] && echo "# summary keys: rows of another reason: $nons"
	if [ "$kshort" != 0 ]; then
		echo "# summary keys: header: $(echo "$last" | jq -c 'del(.rows, .counters)'); short by $kshort"
		awk '$2 != 3' "$TMP/keys.ns" | head -n 5 | sed 's/^/# summary keys: namespace total: /'
	fi
	check "summary keys: nothing in an 'other' row" 0 "$(echo "$last" | jq '[.rows[] | select(.other) | .total] | add // 0')"
else nok "summary keys: tracer starts"; fi

# ---- -p: only the chosen process, while another sends too
mkfifo "$TMP/go"
"$SENDER" skpa-$$ 127.0.0.1 9 $N "$TMP/go" & apid=$!
if start_tracer "$TMP/p.json" -o json -p $apid; then
	echo x > "$TMP/go"; wait $apid
	"$SENDER" skpb-$$ 127.0.0.1 9 $N
	stop_tracer
	check "-p: exactly $N events of the chosen pid" $N "$(jcount "$TMP/p.json" ".pid==$apid and .reason==\"NO_SOCKET\"")"
	check "-p: no event of any other pid" 0 "$(jcount "$TMP/p.json" ".pid!=$apid")"
else nok "-p: tracer starts"; kill $apid 2>/dev/null; fi

# ---- --count stops by itself after exactly N events
if start_tracer "$TMP/c.txt" -c 7; then
	"$SENDER" skc-$$ 127.0.0.1 9 50
	wait_tracer
	check "--count 7: exit 0 on its own" 0 "$RC"
	check "--count 7: exactly 7 lines" 7 "$(wc -l <"$TMP/c.txt" | tr -d ' ')"
else nok "--count: tracer starts"; fi

# ---- --duration stops by itself
# (from before the start: the duration runs from the end of setup, so the run
# lasts at least 1 s from exec, however late this shell sees the tracing line)
t0=$(date +%s%N)
if start_tracer "$TMP/d.txt" -d 1; then
	wait_tracer; t1=$(date +%s%N)
	check "--duration 1: exit 0" 0 "$RC"
	ms=$(( (t1 - t0) / 1000000 ))
	[ $ms -ge 1000 ] && [ $ms -le 10000 ] && ok "--duration 1: ended after ${ms} ms from exec" || nok "--duration 1: ended after ${ms} ms from exec"
	grep -q "events delivered" "$TMP/d.txt.err" && ok "--duration: summary at exit" || nok "--duration: summary at exit"
else nok "--duration: tracer starts"; fi

# ---- a lone drop shows up without waiting for the wakeup watermark
if start_tracer "$TMP/l.txt"; then
	"$SENDER" skl-$$ 127.0.0.1 9 1
	seen=0
	for _ in $(seq 20); do grep -q "skl-$$" "$TMP/l.txt" && { seen=1; break; }; sleep 0.05; done
	check "lone drop delivered within 1 s" 1 $seen
	stop_tracer
else nok "lone drop: tracer starts"; fi

# ---- ring buffer without wakeups: the reader's timer still finds a lone drop
if start_tracer "$TMP/lr.txt" --transport ringbuf --wakeup none --poll-ms 50; then
	"$SENDER" sklr-$$ 127.0.0.1 9 1
	seen=0
	for _ in $(seq 20); do grep -q "sklr-$$" "$TMP/lr.txt" && { seen=1; break; }; sleep 0.05; done
	check "ringbuf --wakeup none --poll-ms 50: lone drop delivered within 1 s" 1 $seen
	stop_tracer
	check "ringbuf --wakeup none --poll-ms 50: exit 0" 0 "$RC"
	check "ringbuf --wakeup none --poll-ms 50: exactly one line for it" 1 "$(grep -c "sklr-$$" "$TMP/lr.txt")"
else nok "ringbuf lone drop: tracer starts"; fi

# still_loaded PROG_ID MAP_IDS...: how many of these ids the kernel still has.
# Freeing runs asynchronously (RCU, workqueue) after the last fd closes, so
# wait for it, bounded: 3 s.
still_loaded() {
	local prog=$1 n i m; shift
	for i in $(seq 30); do
		n=0
		[ -n "$prog" ] && bpftool prog show id "$prog" >/dev/null 2>&1 && n=$((n + 1))
		for m in "$@"; do bpftool map show id "$m" >/dev/null 2>&1 && n=$((n + 1)); done
		[ $n = 0 ] && break
		sleep 0.1
	done
	echo $n
}

# ---- SIGINT / SIGTERM: exit 0, detach, nothing of ours left loaded
if command -v bpftool >/dev/null; then
	for sig in INT TERM; do
		if start_tracer "$TMP/s.txt"; then
			prog=$(bpftool -j prog show name skbd_kfree_skb 2>/dev/null | jq -s -c 'flatten | .[0] // empty')
			pid_id=$(echo "$prog" | jq -r '.id // empty'); maps=$(echo "$prog" | jq -r '.map_ids // [] | .[]')
			[ -n "$pid_id" ] && ok "SIG$sig: program loaded while tracing (id $pid_id)" || nok "SIG$sig: program visible while tracing"
			stop_tracer $sig
			check "SIG$sig: exit 0" 0 "$RC"
			# shellcheck disable=SC2086
			left=$(still_loaded "$pid_id" $maps)
			check "SIG$sig: program and its $(echo $maps | wc -w) maps gone after exit" 0 $left
		else nok "SIG$sig: tracer starts"; fi
	done
else skip "SIGINT leaves nothing loaded" "bpftool not installed"; fi

# ---- SIGINT with the ring buffer: only its program and maps were loaded, and none is left
# prog_ids NAME: ids of loaded programs named NAME, one a line
prog_ids() { bpftool -j prog show name "$1" 2>/dev/null | jq -s -r 'flatten | .[].id'; }
if command -v bpftool >/dev/null; then
	before_rb=$(prog_ids skbd_kfree_rb); before_perf=$(prog_ids skbd_kfree_skb)
	if start_tracer "$TMP/srb.txt" --transport ringbuf; then
		# ours is the one that was not there before (a bench may run its own)
		id=$(comm -13 <(echo "$before_rb" | sort) <(prog_ids skbd_kfree_rb | sort))
		check "ringbuf SIGINT: exactly one new skbd_kfree_rb program while tracing" 1 "$(echo "$id" | grep -c .)"
		check "ringbuf SIGINT: no skbd_kfree_skb program loaded for it" "" \
			"$(comm -13 <(echo "$before_perf" | sort) <(prog_ids skbd_kfree_skb | sort) | tr '\n' ' ')"
		maps=
		[ "$(echo "$id" | grep -c .)" = 1 ] && maps=$(bpftool -j prog show id "$id" | jq -r '.map_ids // [] | .[]')
		types=$(for m in $maps; do bpftool -j map show id "$m" | jq -r '.name + ":" + .type'; done | sort | tr '\n' ' ')
		check "ringbuf SIGINT: its maps are agg, aggcache, benign_locs, config, devices, owners, qdisc_reasons, rate, reasons, ringbuf, scratch, stacks, stats, subreasons" \
			"agg:percpu_hash aggcache:array benign_locs:array config:array devices:hash owners:hash qdisc_reasons:lru_hash rate:percpu_array reasons:array ringbuf:ringbuf scratch:percpu_array stacks:stack_trace stats:percpu_array subreasons:hash " "$types"
		stop_tracer INT
		check "ringbuf SIGINT: exit 0" 0 "$RC"
		# shellcheck disable=SC2086
		left=$(still_loaded "$id" $maps)
		check "ringbuf SIGINT: program and its $(echo $maps | wc -w) maps gone after exit" 0 $left
	else nok "ringbuf SIGINT: tracer starts"; fi
else skip "ringbuf SIGINT leaves nothing loaded" "bpftool not installed"; fi

# ---- faults (issue 15): tests/e2e/faults.sh (uses still_loaded, prog_ids)
. "$(dirname "$0")/faults.sh"

# ---- --metrics (issue 16): tests/e2e/metrics.sh
. "$(dirname "$0")/metrics.sh"

# ---- -w pcapng (issue 16): tests/e2e/pcapng.sh
. "$(dirname "$0")/pcapng.sh"

# ---- --otlp (issue 16): tests/e2e/otlp.sh
. "$(dirname "$0")/otlp.sh"

# ---- make install, the man page, contrib/ (issue 16): tests/e2e/install.sh
. "$(dirname "$0")/install.sh"

# ---- stdout closed early (| head): exit quietly
( "$SKBDROP" 2>"$TMP/h.err" | head -n 1 >"$TMP/h.out"; echo "${PIPESTATUS[0]}" >"$TMP/h.rc" ) & hp=$!
for _ in $(seq 50); do grep -q tracing "$TMP/h.err" 2>/dev/null && break; sleep 0.1; done
for i in $(seq 20); do
	"$SENDER" skh-$$ 127.0.0.1 9 20
	[ -s "$TMP/h.rc" ] && break
	sleep 0.2
done
for _ in $(seq 50); do [ -s "$TMP/h.rc" ] && break; sleep 0.1; done
check "| head -n 1: one line read" 1 "$(wc -l <"$TMP/h.out" | tr -d ' ')"
check "| head -n 1: skbdrop exits 0" 0 "$(cat "$TMP/h.rc" 2>/dev/null)"
# (and, on a kernel without BPF trampolines such as this host's, the line that says SYN overflows are only counted)
check "| head -n 1: nothing but the tracing line on stderr" 1 \
	"$(grep -v '^skbdrop: SYNs dropped on a full accept queue are counted' "$TMP/h.err" | wc -l | tr -d ' ')"
kill $hp 2>/dev/null; wait $hp 2>/dev/null

# ---- usage errors: exit 2, one line
for args in "-o xml" "-c 0" "-d -1" "-d abc" "--pages 3" "-p abc" "--bogus" "proto" "-r NO_SUCH_REASON" "-c" "-r ," "--help=1" "-x" \
	"--transport foo" "--transport" "--wakeup bytes:0" "--wakeup events:x" "--wakeup sometimes" \
	"--wakeup events:" "--poll-ms 0" "--poll-ms abc" "--snaplen 257" "--snaplen x" "--snaplen" "-s 1" "--max-rate 0" "--max-rate x" "-i ," "--device" \
	"--netns" "-i lo --exclude-device lo" "tcp port" "udp and" "port 99999" "--snaplen 0 udp" "--summary 0.01" \
	"--summary --stack" "--by reason" "--summary --by pid" "--summary 0x10" \
	"--metrics 9100" "--metrics :99999" "--metrics 1.2.3:80" "--metrics [::1:80" "--metrics host.example:80" \
	"--metrics-labels reason" "--metrics :0 --metrics-labels bogus" "--summary --by reason --metrics :0 --metrics-labels dev" \
	"-C 10" "-w f -W 3" "-w f -C 0" "-w f -C 1x" "-w - -C 1" "-w f --summary" "-w f -o json" "-w" "-w f -C 1 -W 0" \
	"--otlp 127.0.0.1:4318" "--otlp https://127.0.0.1:4318" "--otlp http://collector.example:4318" "--otlp http://:4318"; do
	# shellcheck disable=SC2086
	"$SKBDROP" $args >/dev/null 2>"$TMP/u.err"; rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$TMP/u.err")" = 1 ] && ok "usage error '$args': exit 2, one line" \
		|| nok "usage error '$args': exit 2, one line" "rc=$rc: $(cat "$TMP/u.err")"
done
"$SKBDROP" -r NO_SUCH_REASON 2>&1 >/dev/null | grep -q "unknown drop reason 'NO_SUCH_REASON'.*NO_SOCKET" \
	&& ok "unknown reason lists the valid ones" || nok "unknown reason lists the valid ones"
# ---- --btf: an unusable file is a runtime error in one line; the kernel's own works
for bad in /nonexistent/vmlinux /proc/self/stat; do
	"$SKBDROP" --btf "$bad" -d 0.2 >/dev/null 2>"$TMP/b.err"; rc=$?
	[ $rc = 1 ] && [ "$(wc -l <"$TMP/b.err")" = 1 ] && grep -q -- "--btf $bad" "$TMP/b.err" \
		&& ok "--btf $bad: exit 1, one line naming it" || nok "--btf $bad: exit 1, one line naming it" "rc=$rc: $(cat "$TMP/b.err")"
done
if start_tracer "$TMP/btf.json" -o json --btf /sys/kernel/btf/vmlinux; then
	"$SENDER" skbtf-$$ 127.0.0.1 9 10
	stop_tracer
	check "--btf /sys/kernel/btf/vmlinux: context reported" 10 "$(jcount "$TMP/btf.json" ".comm==\"skbtf-$$\" and .ifindex==1 and .len==24")"
else nok "--btf: tracer starts"; fi
"$SKBDROP" --help | grep -q -- '--exclude-reason' && ok "--help" || nok "--help"
"$SKBDROP" -V | grep -q '^skbdrop ' && ok "--version" || nok "--version"

# ---- --list-reasons equals the running kernel's format text
tfs=/sys/kernel/tracing; mounted_here=0
if ! [ -d $tfs/events ]; then mount -t tracefs tracefs $tfs && mounted_here=1; fi
want=$(grep -o '{ [0-9]*, "[A-Z0-9_]*" }' $tfs/events/skb/kfree_skb/format | sed 's/{ \([0-9]*\), "\(.*\)" }/\1\t\2/')
[ $mounted_here = 1 ] && umount $tfs
got=$("$SKBDROP" --list-reasons)
[ -n "$want" ] && [ "$want" = "$got" ] && ok "--list-reasons equals the kernel's table ($(echo "$got" | wc -l) reasons)" \
	|| nok "--list-reasons equals the kernel's table"
if [ $mounted_here = 1 ]; then
	mountpoint -q $tfs && nok "tracefs mounted by skbdrop is unmounted again" || ok "tracefs mounted by skbdrop is unmounted again"
fi

# ---- not root: one line naming what is missing, exit 1
if command -v setpriv >/dev/null; then
	cp "$SKBDROP" "$TMP/skbdrop-np"; chmod 755 "$TMP" "$TMP/skbdrop-np"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMP/skbdrop-np" >/dev/null 2>"$TMP/np.err"; rc=$?
	check "not root: exit 1" 1 $rc
	[ "$(wc -l <"$TMP/np.err")" = 1 ] && grep -q "CAP_BPF" "$TMP/np.err" && ok "not root: one line naming CAP_BPF" \
		|| nok "not root: one line naming CAP_BPF" "$(cat "$TMP/np.err")"
	# usage before privileges: an unknown reason is a usage error for everyone (names from BTF)
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMP/skbdrop-np" -r NO_SUCH_REASON \
		>/dev/null 2>"$TMP/np.err"; rc=$?
	check "not root: unknown -r name: exit 2" 2 $rc
	grep -q "unknown drop reason 'NO_SUCH_REASON'" "$TMP/np.err" && ok "not root: unknown -r name named" \
		|| nok "not root: unknown -r name named" "$(cat "$TMP/np.err")"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMP/skbdrop-np" -r NO_SOCKET \
		>/dev/null 2>"$TMP/np.err"; rc=$?
	check "not root: known -r name: exit 1 naming CAP_BPF" "1 1" "$rc $(grep -c CAP_BPF "$TMP/np.err")"
else skip "not root" "setpriv missing"; fi

# ---- the static binary alone, in an empty directory, reads only /proc and /sys
file -L "$SKBDROP" | grep -q "statically linked" && ok "static executable" || nok "static executable" "$(file -L "$SKBDROP")"
size=$(stat -c %s "$SKBDROP")
[ "$size" -lt 2097152 ] && ok "stripped size $size bytes < 2 MiB" || nok "stripped size $size bytes < 2 MiB"
empty=$(mktemp -d "$TMP/empty.XXXXXX"); cp "$SKBDROP" "$empty/"
if command -v strace >/dev/null; then
	# drops during the run: formatting an event must not open anything either
	# (a static glibc's gmtime/localtime would open /etc/localtime)
	(cd "$empty" && env -i strace -f -qq -e trace=open,openat,execve -o "$TMP/strace.log" ./skbdrop -d 1 -o json >"$TMP/st.out" 2>"$TMP/st.err") &
	stp=$!
	for _ in $(seq 50); do grep -q tracing "$TMP/st.err" 2>/dev/null && break; sleep 0.1; done
	"$SENDER" skst-$$ 127.0.0.1 9 5
	"$SENDER" skst-$$ ::1 9 5
	wait $stp; rc=$?
	check "under strace: the 10 drops were formatted" 10 "$(jcount "$TMP/st.out" ".comm==\"skst-$$\"")"
	check "static binary runs from an empty directory with an empty environment" 0 $rc
	bad=$(grep -E 'open(at)?\(' "$TMP/strace.log" | grep -oE '"[^"]*"' | tr -d '"' | grep -vE '^(/(proc|sys)(/|$)|/run/netns$|/run/netns/|/etc/passwd$)' | sort -u | tr '\n' ' ')
	check "opens nothing outside /proc, /sys, /run/netns and /etc/passwd (-Z's user)" "" "$bad"
else skip "static binary file accesses" "strace not installed"; fi

# ---- the aarch64 binary (make ARCH=arm64; make check builds it in CI), when there is one: static, under 2 MiB,
# the same BPF object inside, and what runs without bpf(2) (qemu-user has none) under qemu-aarch64-static, which
# install-deps.sh installs with the cross toolchain: the same answers as the host's binary
ARM64=$BUILD/arm64/skbdrop
if [ -e "$ARM64" ]; then
	file -L "$ARM64" | grep -q "ARM aarch64.*statically linked" && ok "arm64: static aarch64 executable" \
		|| nok "arm64: static aarch64 executable" "$(file -L "$ARM64")"
	size=$(stat -c %s "$ARM64")
	[ "$size" -lt 2097152 ] && ok "arm64: stripped size $size bytes < 2 MiB" || nok "arm64: stripped size $size bytes < 2 MiB"
	python3 -c 'import sys; sys.exit(open(sys.argv[2], "rb").read().find(open(sys.argv[1], "rb").read()) < 0)' \
		"$BUILD/skbdrop.bpf.o" "$ARM64" && ok "arm64: embeds the same BPF object" || nok "arm64: embeds the same BPF object"
	q() { qemu-aarch64-static "$ARM64" "$@"; }
	check "arm64: --version as the host's" "$("$SKBDROP" --version)" "$(q --version)"
	check "arm64: --help as the host's" "$("$SKBDROP" --help | md5sum)" "$(q --help | md5sum)"
	check "arm64: --list-reasons -o json (tracefs, BTF) as the host's" "$("$SKBDROP" --list-reasons -o json | md5sum)" \
		"$(q --list-reasons -o json | md5sum)"
	q --no-such-option 2>/dev/null; check "arm64: unknown option: exit 2" 2 $?
	# a usage error found in the kernel's BTF, before privileges are checked
	cp "$ARM64" "$TMP/arm64-np"; chmod 755 "$TMP/arm64-np"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all qemu-aarch64-static "$TMP/arm64-np" \
		-r NO_SUCH_REASON >/dev/null 2>"$TMP/arm64.err"; rc=$?
	check "arm64: not root, unknown -r name: exit 2 naming it" "2 1" "$rc $(grep -c "unknown drop reason 'NO_SUCH_REASON'" "$TMP/arm64.err")"
fi

echo "1..$num"
echo "# e2e: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
