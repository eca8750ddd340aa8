#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside each kernel-matrix VM (busybox sh): the host e2e checks with
# exact counts, written so they hold on every kernel: reason names only where
# the kernel has reasons, function names not hard-coded where kernels differ.
# Prints TAP lines and "# kmatrix: N passed, N failed".
PATH=/usr/bin:/usr/sbin:/bin:/sbin
SKBDROP=${SKBDROP:-/usr/bin/skbdrop}
SENDER=${SENDER:-/usr/bin/udp_sender}
HOLD=${HOLD:-/usr/bin/sockhold}
IP=${IP:-/usr/sbin/ipr}
T=/tmp/kmt
N=200
pass=0 fail=0 num=0 TP=
mkdir -p $T

ok()  { num=$((num + 1)); pass=$((pass + 1)); echo "ok $num - $1"; }
nok() { num=$((num + 1)); fail=$((fail + 1)); echo "not ok $num - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected '$2', got '$3'"; fi; }

# jcount FILE PATTERN...: lines containing every pattern (fixed strings;
# "re:X" is an extended regex)
jcount() {
	f=$1; shift
	cp "$f" $T/jc
	for p in "$@"; do
		case $p in
		re:*) grep -E -- "${p#re:}" $T/jc >$T/jc2 ;;
		*) grep -F -- "$p" $T/jc >$T/jc2 ;;
		esac
		mv $T/jc2 $T/jc
	done
	wc -l <$T/jc | tr -d ' '
}

start() { # start OUT ARGS...
	out=$1; shift
	: >"$out"; : >"$out.err" # a reused file's old tracing line must not end the wait below
	$SKBDROP "$@" >"$out" 2>"$out.err" &
	TP=$!
	i=0
	while [ $i -lt 100 ]; do
		grep -q '^skbdrop: tracing' "$out.err" 2>/dev/null && return 0
		kill -0 $TP 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	echo "# tracer did not start: $(cat "$out.err")"
	return 1
}
stop() {
	sleep 0.5
	kill -INT $TP 2>/dev/null
	i=0
	while kill -0 $TP 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL $TP 2>/dev/null
	wait $TP; RC=$?
}

KREL=$(uname -r)
# this kernel's build options that decide what to expect (mkinitramfs.sh copies them from its config)
if grep -qx 'CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y' /etc/kmatrix-kconfig 2>/dev/null; then TRAMP=1; else TRAMP=0; fi
FORMAT=/sys/kernel/tracing/events/skb/kfree_skb/format
if grep -q 'reason;' $FORMAT 2>/dev/null; then HAS_REASON=1; else HAS_REASON=0; fi
echo "# kernel $KREL ($(uname -m)), tracepoint reason field: $HAS_REASON, BPF trampolines: $TRAMP, vmlinux BTF $(wc -c </sys/kernel/btf/vmlinux 2>/dev/null | tr -d ' ') bytes"
[ $HAS_REASON = 1 ] && echo "# reason codes here: $($SKBDROP --list-reasons | awk '$2 == "NO_SOCKET" || $2 == "NETFILTER_DROP" { printf "%s=%s ", $2, $1 }')"

# ---- this kernel's counter files and the qdisc_drop format, for the unit tests' fixtures
# (tests/kmatrix/run.sh KMATRIX_DUMP=1 saves them)
if [ "${KMATRIX_DUMP:-0}" = 1 ] || grep -q kmatrix_dump /proc/cmdline; then
	for f in /proc/net/snmp /proc/net/netstat /proc/net/snmp6 /proc/net/softnet_stat \
		 /sys/kernel/tracing/events/qdisc/qdisc_drop/format; do
		[ -r $f ] || continue
		echo "KMATRIX-FILE $f"; cat $f; echo "KMATRIX-FILE-END"
	done
fi

# ---- start, tracing line, --list-reasons
if start $T/s.txt -d 15; then
	grep -q "^skbdrop: tracing skb:kfree_skb on [0-9]* CPUs, kernel $KREL" $T/s.txt.err && ok "tracing line names kernel $KREL" \
		|| nok "tracing line names kernel $KREL" "$(cat $T/s.txt.err)"
	if [ $HAS_REASON = 0 ]; then
		grep -q "no drop reasons before 5.17" $T/s.txt.err && ok "says reasons are unavailable" || nok "says reasons are unavailable"
	fi
	# -Z's default: nobody (65534 without /etc/passwd) once tracing, with CAP_DAC_READ_SEARCH,
	# CAP_SYS_PTRACE, CAP_SYS_ADMIN, CAP_SYSLOG and CAP_BPF; every check below runs so
	# (after kallsyms is read, which under TCG takes seconds: bounded by 12 s)
	i=0
	# (no_new_privs is the change's last step)
	while [ $i -lt 240 ] && ! grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$TP/status 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
	check "-Z: nobody once tracing, with exactly the five capabilities and no_new_privs" "65534 0000008400280004 1" \
		"$(awk '/^Uid:/ { u = $2 } /^CapEff:/ { c = $2 } /^NoNewPrivs:/ { n = $2 } END { print u, c, n }' /proc/$TP/status 2>/dev/null)"
	kill -INT $TP; wait $TP; check "runs and exits 0 (SIGINT)" 0 $?
else
	nok "skbdrop starts" "$(cat $T/s.txt.err)"
fi
want=$(grep -o '{ [0-9]*, "[A-Z0-9_]*" }' $FORMAT | sed 's/{ \([0-9]*\), "\(.*\)" }/\1	\2/')
# (subsystem reasons and our own name for the hook's reason lie past 65535: not in the format)
got=$($SKBDROP --list-reasons | grep -v '^#' | awk -F'\t' '$1 < 65536')
if [ "$want" = "$got" ]; then ok "--list-reasons equals this kernel's format ($(echo "$got" | grep -c .) reasons)"
else nok "--list-reasons equals this kernel's format"; fi

# ---- subsystem reasons (6.4+: the upper 16 bits name a subsystem), named from BTF:
# 7.x has the qdisc subsystem's enum in vmlinux
kmaj=$(echo "$KREL" | cut -d. -f1)
nsub=$($SKBDROP --list-reasons | awk -F'\t' '$1 >= 65536 && $1 < 4278190080' | wc -l | tr -d ' ')
echo "# subsystem reasons named: $nsub ($($SKBDROP --list-reasons | awk -F'\t' '$1 >= 65536 { printf "%s=%s ", $2, $1 }' | head -c 300))"
kmin=$(echo "$KREL" | cut -d. -f2)
if [ "$kmaj" -ge 7 ]; then
	[ "$nsub" -gt 0 ] && ok "--list-reasons names the qdisc subsystem's reasons ($nsub)" || nok "--list-reasons names subsystem reasons"
	sub=$($SKBDROP --list-reasons | awk -F'\t' '$1 >= 65536 && $1 < 4278190080 { print $2; exit }')
	if start $T/sub.txt -d 0.5 -r "$sub"; then wait $TP; check "-r $sub: accepted, filtered in the kernel" 0 $?
	else nok "-r $sub: accepted"; fi
fi

# ---- UDP to a closed port, IPv4 and IPv6: exactly N, attributed to the sender
for fam in 4 6; do
	comm=kmu$fam; addr=127.0.0.1; [ $fam = 6 ] && addr=::1
	# the drops are identified by their source port: under TCG the kernel may
	# defer the receive to ksoftirqd, whose pid and comm the context then shows
	sport=4013$fam
	if start $T/u$fam.json -o json; then
		$SENDER $comm $addr $sport:9 $N & sp=$!; wait $sp
		stop
		check "udp$fam: exit 0 on SIGINT" 0 $RC
		check "udp$fam: exactly $N drops in the UDP receive path from port $sport" $N \
			"$(jcount $T/u$fam.json "\"sport\":$sport," 're:"location":"_*udp')"
		echo "# udp$fam: $(jcount $T/u$fam.json "\"sport\":$sport," "\"pid\":$sp," "\"comm\":\"$comm\"" 're:"location":"_*udp') of $N in the sender's context; located $(grep -F "\"sport\":$sport," $T/u$fam.json | sed -n 's/.*"location":"\([^+"]*\).*/\1/p' | sort | uniq -c | tr '\n' ' ')"
		if [ $HAS_REASON = 1 ]; then
			check "udp$fam: reason NO_SOCKET" $N "$(jcount $T/u$fam.json "\"sport\":$sport," '"reason":"NO_SOCKET"')"
		else
			# before 5.17 every free is a kfree_skb (5.10 frees the looped-back
			# ICMPv6 unreachable with it too): count the UDP receive path only
			check "udp$fam: reason null, reason_code null" $N \
				"$(jcount $T/u$fam.json "\"sport\":$sport," '"reason":null,"reason_code":null' 're:"location":"_*udp')"
		fi
	else nok "udp$fam: tracer starts"; fi
done

# ---- TCP to a closed port. The SYN's drop runs in softirq; under TCG the
# kernel may defer that to ksoftirqd, so count by place and reason (the VM
# runs nothing else) and show the attribution as a diagnostic.
if start $T/tcp.json -o json; then
	$SENDER kmtcp tcp:127.0.0.1 9 $N
	stop
	if [ $HAS_REASON = 1 ]; then
		check "tcp: exactly $N NO_SOCKET in tcp_v4_rcv" $N \
			"$(jcount $T/tcp.json '"reason":"NO_SOCKET"' '"location":"tcp_v4_rcv+')"
	else
		check "tcp: exactly $N drops in tcp_v4_rcv" $N "$(jcount $T/tcp.json '"location":"tcp_v4_rcv+')"
	fi
	echo "# tcp: $(jcount $T/tcp.json '"comm":"kmtcp"' '"location":"tcp_v4_rcv+') of them in the sender's context"
else nok "tcp: tracer starts"; fi

# ---- text output
if start $T/t.txt; then
	$SENDER kmtxt 127.0.0.1 40123:9 $N
	stop
	if [ $HAS_REASON = 1 ]; then r=NO_SOCKET; else r=-; fi
	# identified by the source port: under TCG the kernel may defer the receive
	# to ksoftirqd, whose comm the context then shows
	check "text: $N lines 'TIME cpu N COMM[pid/tid] $r func+0xoff udp 127.0.0.1.40123 > 127.0.0.1.9 len 24 dev lo netns N'" $N \
		"$(grep -cE "^[0-9:]{8}\.[0-9]{6} cpu [0-9]+ [^ ]+\[[0-9]+/[0-9]+\] $r _*udp[a-z0-9_]*\+0x[0-9a-f]+ udp 127\.0\.0\.1\.40123 > 127\.0\.0\.1\.9 len 24 dev lo netns [0-9]+$" $T/t.txt)"
	echo "# text: $(grep -c ' kmtxt\[' $T/t.txt) of $N in the sender's context; others: $(grep ' 127\.0\.0\.1\.40123 ' $T/t.txt | grep -v ' kmtxt\[' | sed -n 's/^[^ ]* cpu [0-9]* \([^[]*\)\[.*/\1/p' | sort | uniq -c | tr '\n' ' ')"
else nok "text: tracer starts"; fi

# ---- NETFILTER_DROP over veth into a namespace with an nft drop rule
ns_ok=0
$IP netns add kmns && $IP link add kmva type veth peer name kmvb && $IP link set kmvb netns kmns &&
	$IP addr add 10.213.0.1/30 dev kmva && $IP link set kmva up &&
	$IP -n kmns addr add 10.213.0.2/30 dev kmvb && $IP -n kmns link set kmvb up && $IP -n kmns link set lo up &&
	mac=$($IP -n kmns link show kmvb | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p') &&
	$IP neigh replace 10.213.0.2 lladdr "$mac" dev kmva nud permanent &&
	printf 'table inet km {\n\tchain in {\n\t\ttype filter hook input priority 0;\n\t\tudp dport 7777 drop\n\t}\n}\n' >$T/rules.nft &&
	$IP netns exec kmns nft -f $T/rules.nft && ns_ok=1
if [ $ns_ok = 1 ]; then
	ok "veth + namespace + nft drop rule set up"
	if start $T/nf.json -o json -v; then
		$SENDER kmnf 10.213.0.2 40124:7777 $N
		stop
		# kernel fields: bpf_rdonly_cast loads from 6.2, probe reads before
		kv=$(echo "$KREL" | awk -F. '{ print $1 * 1000 + $2 }')
		if [ "$kv" -ge 6002 ]; then rd="bpf_rdonly_cast loads"; else rd="bpf_probe_read_kernel"; fi
		check "netfilter: kernel fields read with $rd" 1 "$(grep -cx "skbdrop: kernel fields read with $rd" $T/nf.json.err)"
		# and the packet's bytes from 6.17 (a cast to void)
		if [ "$kv" -ge 6017 ]; then rd="bpf_rdonly_cast loads"; else rd="bpf_probe_read_kernel"; fi
		check "netfilter: packet bytes read with $rd" 1 "$(grep -cx "skbdrop: packet bytes read with $rd" $T/nf.json.err)"
		# every kernel here (5.10+) runs the flush program on a chosen CPU: records go 16 to a perf sample
		check "netfilter: perf samples gather 16 records (the flush runs on a chosen CPU)" 1 \
			"$(grep -cx 'skbdrop: perf samples gather up to 16 records (--batch)' $T/nf.json.err)"
		vifx=$($IP -n kmns link show kmvb | sed -n 's/^\([0-9]*\):.*/\1/p')
		nsino=$(stat -L -c %i /run/netns/kmns)
		check "netfilter: context from BTF: len 44 (IPv4 header included at the hook), dev kmvb (ifindex $vifx) in netns kmns ($nsino)" $N \
			"$(jcount $T/nf.json "\"len\":44,\"ifindex\":$vifx,\"dev\":\"kmvb\",\"netns\":$nsino,\"netns_name\":\"kmns\",")"
		check "netfilter: decoded 10.213.0.1:40124 > 10.213.0.2:7777 after the veth's ethernet header" $N \
			"$(jcount $T/nf.json "\"ether\":{\"src\":" "\"ipv4\":{\"src\":\"10.213.0.1\",\"dst\":\"10.213.0.2\"," "\"udp\":{\"sport\":40124,\"dport\":7777,\"len\":24}")"
		echo "# netfilter: located $(sed -n 's/.*"location":"\([^+"]*\).*/\1/p' $T/nf.json | sort | uniq -c | tr '\n' ' ')"
		if [ $HAS_REASON = 1 ]; then
			check "netfilter: exactly $N NETFILTER_DROP" $N "$(jcount $T/nf.json '"reason":"NETFILTER_DROP"')"
		else
			check "netfilter: exactly $N drops in nf_hook_slow" $N "$(jcount $T/nf.json '"location":"nf_hook_slow+')"
		fi
	else nok "netfilter: tracer starts"; fi
	if start $T/stk.json -o json -s; then
		$SENDER kmnf 10.213.0.2 40125:7777 20
		stop
		check "--stack: each nft drop's stack has nf_hook_slow" 20 "$(jcount $T/stk.json '"sport":40125,' '"nf_hook_slow+0x')"
		# 6.12+ drop inside nf_tables' code (older kernels in nf_hook_slow, after
		# nft_do_chain returned): where its frames show, they name the module
		check "--stack: no nft_do_chain frame without its module name" 0 \
			"$(jcount $T/stk.json '"sport":40125,' 're:"nft_do_chain\+0x[0-9a-f]+"')"
		echo "# --stack: $(jcount $T/stk.json '"sport":40125,' 're:"nft_do_chain\+0x[0-9a-f]+ \[nf_tables\]"') of 20 stacks pass through nft_do_chain [nf_tables]"
	else nok "--stack: tracer starts"; fi
	# a tcpdump expression, translated and linked into the program, filters in the kernel
	if start $T/flt.json -o json --netns kmns 'udp dst port 7777 and src host 10.213.0.1'; then
		$SENDER kmnf 10.213.0.2 40126:7777 $N
		$SENDER kmnf 10.213.0.2 40127:7778 $N
		stop
		check "filter 'udp dst port 7777 and src host 10.213.0.1': exactly the $N drops to 7777" $N "$(wc -l <$T/flt.json | tr -d ' ')"
		check "filter: all of them from port 40126" $N "$(jcount $T/flt.json '"sport":40126,')"
	else nok "filter: tracer starts"; fi
	# --summary: counted in the kernel, exact
	# (the filter keeps the namespace's own IPv6 autoconf drops out of the count)
	if start $T/sum.json --summary 0.5 -o json --netns kmns --by location udp dst port 7777; then
		$SENDER kmnf 10.213.0.2 40128:7777 $N
		sleep 1.2
		stop
		check "--summary with a filter: the last interval counts exactly $N drops" 1 "$(tail -n 1 $T/sum.json | grep -c "\"counted\":$N,")"
		grep -q "\"counted\":$N," $T/sum.json || echo "# last interval: $(tail -n 1 $T/sum.json)"
	else nok "--summary: tracer starts"; fi
	if [ $HAS_REASON = 1 ] && start $T/r.json -o json -r NETFILTER_DROP; then
		$SENDER kmnf 10.213.0.2 7777 $N
		$SENDER kmnf 127.0.0.1 9 $N
		stop
		check "--reason NETFILTER_DROP: exactly $N" $N "$(jcount $T/r.json '"reason":"NETFILTER_DROP"')"
		check "--reason NETFILTER_DROP: nothing else" $N "$(wc -l <$T/r.json | tr -d ' ')"
	fi
else
	nok "veth + namespace + nft drop rule set up"
fi
$IP netns del kmns 2>/dev/null

# ---- a module loaded after skbdrop read /proc/kallsyms: its drops name the module's
# function, "func+0xoff [bridge]", not the previous module's last symbol plus a huge
# offset, not hex. A bridge port in the disabled state (the bridge is down) drops
# every frame in br_handle_frame, inside the module, on every kernel. The symbolizer
# re-reads kallsyms and modules on a miss at most once a second after its last read.
if ! grep -qx bridge /etc/kmatrix-late-modules; then
	nok "late module: bridge is a module here" "it is built in or missing"
elif grep -q '^bridge ' /proc/modules; then
	nok "late module: bridge not loaded before skbdrop starts"
elif start $T/br.json -o json; then
	# skbdrop reads kallsyms after its "tracing" line, and prints events only after
	# that read: wait for a first event before loading the module. The probe is known
	# by its source port: under TCG the kernel may defer its receive to ksoftirqd,
	# whose comm the context then names (this wait once timed out that way)
	$SENDER kmprobe 127.0.0.1 40138:9 1
	i=0
	while ! grep -q '"sport":40138,' $T/br.json && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	br_ok=0
	grep -q '"sport":40138,' $T/br.json || echo "# late module: no first event after 10 s"
	grep -q '"sport":40138,' $T/br.json && modprobe bridge && $IP link add kmbr type bridge && $IP link add kmxa type veth peer name kmxb &&
		$IP link set kmxb master kmbr && $IP link set kmxb up && $IP link set kmxa up &&
		$IP addr add 10.214.0.1/30 dev kmxa &&
		mac=$($IP link show kmxb | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p') &&
		$IP neigh replace 10.214.0.2 lladdr "$mac" dev kmxa nud permanent && br_ok=1
	if [ $br_ok = 1 ]; then
		sleep 1.2 # past the re-read rate limit, counted from skbdrop's read at start
		$SENDER kmbr 10.214.0.2 40129:7779 $N
		stop
		echo "# late module: $(grep '^bridge ' /proc/modules)"
		echo "# late module: first location: $(grep -m 1 '"dport":7779' $T/br.json | sed -n 's/.*"location":"\([^"]*\)".*/\1/p')"
		check "late module: exactly $N drops located 'func+0xoff [bridge]'" $N \
			"$(jcount $T/br.json '"dport":7779,' 're:"location":"[A-Za-z0-9_.]+\+0x[0-9a-f]+ \[bridge\]"')"
		check "late module: $N of them in br_handle_frame" $N \
			"$(jcount $T/br.json '"dport":7779,' 're:"location":"br_handle_frame[A-Za-z0-9_.]*\+0x')"
	else
		stop
		nok "late module: bridge loaded, disabled port set up"
	fi
	$IP link del kmxa 2>/dev/null
	$IP link del kmbr 2>/dev/null
else nok "late module: tracer starts"; fi

# ---- kallsyms: the symbolizer lets a vmlinux symbol outside [_stext, _etext) and
# [_sinittext, _einittext) cover nothing. Outside them must be only: the end markers,
# the init area (.exit.text, freed after boot with the init text), and, on 7.x, whose
# kallsyms types data symbols 't'/'T', data from __start_rodata to _end; on arm64 the image
# header before _stext (_text, __pi__text: [_text, _stext), empty on x86-64, where _text is
# _stext). The markers may have any type (arm64's _etext is 'D'). Addresses are fixed-width
# lower-case hex: compared as strings.
ksym() { awk -v n="$1" '$3 == n { print $1; exit }' /proc/kallsyms; }
awk -v st="$(ksym _stext)" -v et="$(ksym _etext)" -v si="$(ksym _sinittext)" -v ei="$(ksym _einittext)" \
    -v ib="$(ksym __init_begin)" -v ie="$(ksym __init_end)" -v ro="$(ksym __start_rodata)" -v end="$(ksym _end)" \
    -v tx="$(ksym _text)" '
NF == 3 && $2 ~ /^[tTwW]$/ {
	a = $1 ""
	if ((a >= st "" && a < et "") || (a >= si "" && a < ei "")) inside++
	else if (a == et "" || a == ei "") marker++
	else if (a >= ib "" && a < ie "") init++
	else if (a >= ro "" && a < end "") data++
	else if (tx != "" && a >= tx "" && a < st "") head++
	else { other++; print "# outside every range: " $0 }
}
END { printf "# kallsyms: vmlinux t/T/w/W: %d in the text ranges, %d end markers, %d in the freed init area, %d in data, %d in the image header; other %d\n",
	inside, marker, init, data, head, other + 0 }' /proc/kallsyms >$T/ranges
cat $T/ranges
check "kallsyms: no vmlinux text symbol outside the text ranges but markers, freed init, data and image header" 0 \
	"$(grep -c '^# outside every range' $T/ranges)"

# ---- reason filters on a kernel without reasons: a usage error naming 5.17
if [ $HAS_REASON = 0 ]; then
	$SKBDROP -r NO_SOCKET >/dev/null 2>$T/r.err; rc=$?
	[ $rc = 2 ] && grep -q 5.17 $T/r.err && ok "--reason without reasons: exit 2 naming 5.17" \
		|| nok "--reason without reasons: exit 2 naming 5.17" "rc=$rc $(cat $T/r.err)"
fi

# ---- the socket's owner (issue 13): the receiver of a full UDP buffer, not the
# sender; the listener of a full accept queue. 6.11+ name the receiving socket in
# the tracepoint (rx_sk); older kernels leave skb->sk unset on these paths and
# skbdrop finds the socket by the packet's addresses (sock_diag, "lookup").
if grep -q 'rx_sk;' $FORMAT; then src=rx_sk; else src=lookup; fi
# hold NAME NS MODE ADDR PORT [ARG]: a sockhold (comm kmown) with stdin on fd 7; HP, HINO
hold() {
	rm -f $T/h-$1 $T/h-$1.out; mkfifo $T/h-$1
	if [ -n "$2" ]; then $IP netns exec $2 $HOLD kmown $3 $4 $5 $6 <$T/h-$1 >$T/h-$1.out &
	else $HOLD kmown $3 $4 $5 $6 <$T/h-$1 >$T/h-$1.out & fi
	HP=$!
	exec 7>$T/h-$1
	i=0; while [ ! -s $T/h-$1.out ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	read -r _ HINO <$T/h-$1.out
}
unhold() { exec 7>&-; wait $HP; DRAINED=$(sed -n 's/^drained //p' $T/h-$1.out); }
own_udp() { # own_udp LABEL NS ADDR PORT
	hold $1 "$2" udp $3 $4
	if start $T/o-$1.json -o json "udp port $4"; then
		$SENDER kmsnd $3 $4 $N & sp=$!; wait $sp
		stop
		unhold $1
		want=$((N - DRAINED))
		check "owner $1: exactly $want drops at the full buffer ($DRAINED queued)" $want "$(jcount $T/o-$1.json "\"dport\":$4,")"
		check "owner $1: every one names the receiver (pid, comm, uid, inode), source $src" $want \
			"$(jcount $T/o-$1.json "\"dport\":$4," "\"owner\":{\"pid\":$HP,\"comm\":\"kmown\",\"uid\":0,\"inode\":$HINO," "\"source\":\"$src\"")"
		check "owner $1: with its receive queue and buffer" $want "$(jcount $T/o-$1.json "\"dport\":$4," '"sock":{"rcvq_bytes":' '"rcvbuf":')"
		echo "# accuracy: UDP receive buffer full, $1: $want drops, owner right $(jcount $T/o-$1.json "\"dport\":$4," "\"owner\":{\"pid\":$HP,"), context pid = sender $(jcount $T/o-$1.json "\"dport\":$4," "\"pid\":$sp,")"
	else nok "owner $1: tracer starts"; unhold $1; fi
}
own_udp loopback "" 127.0.0.1 7301
if $IP netns add kmo && $IP link add kmoa type veth peer name kmob && $IP link set kmob netns kmo &&
	$IP addr add 10.215.0.1/30 dev kmoa && $IP link set kmoa up &&
	$IP -n kmo addr add 10.215.0.2/30 dev kmob && $IP -n kmo link set kmob up && $IP -n kmo link set lo up &&
	mac=$($IP -n kmo link show kmob | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p') &&
	$IP neigh replace 10.215.0.2 lladdr "$mac" dev kmoa nud permanent; then
	own_udp veth kmo 10.215.0.2 7303
else nok "owner veth: namespace set up"; fi
$IP netns del kmo 2>/dev/null
# a full accept queue: final ACKs (delayed by the clients' TCP_DEFER_ACCEPT) arrive
# after the queue filled; each drop with an owner names the listener
hold listen "" tcp 127.0.0.1 7302 0
lp=$HP
if start $T/o-l.json -o json "tcp dst port 7302"; then
	# the clients hold their connections 2.5 s (SYN-ACK retransmits bring more final ACKs)
	sleep 2.5 | $HOLD kmcli connect 127.0.0.1 7302 40 >/dev/null & cp=$!
	wait $cp
	stop
	all=$(jcount $T/o-l.json '"dport":7302,')
	named=$(jcount $T/o-l.json '"dport":7302,' "\"owner\":{\"pid\":$lp,\"comm\":\"kmown\"," '"backlog":0')
	[ "$named" -gt 0 ] && ok "owner listen: $named of $all drops at the full accept queue name the listener and its backlog 0" \
		|| nok "owner listen: drops name the listener" "$(head -c 800 $T/o-l.json)"
	check "owner listen: no drop names another owner" 0 "$(grep -F '"dport":7302,' $T/o-l.json | grep -F '"owner":{' | grep -vcF "\"owner\":{\"pid\":$lp,")"
	echo "# accuracy: TCP accept queue full: $all drops, $named name the listener; reasons: $(sed -n 's/.*"reason":\("[A-Z_]*"\|null\).*"location":"\([a-z_0-9]*\)+.*/\1@\2/p' $T/o-l.json | sort | uniq -c | tr '\n' ' ')"
else nok "owner listen: tracer starts"; fi
unhold listen

# ---- SYNs dropped on a full accept queue (the seed tool's demo: a listener with backlog 1
# that never accepts, 300 connects): tcp_conn_request frees them with consume_skb, so only
# the fentry hook sees them; every one is an event, as many as TcpExtListenOverflows moved
hold hook "" tcp 127.0.0.1 7304 1
lp=$HP
# the accept queue is filled first (backlog 1: two connections). Else, on a
# loaded host (SYNs processed in a burst by ksoftirqd) SYNs that come while
# it is still filling are answered (with a SYN cookie once the SYN queue of
# one is full), and their final ACKs then overflow it in tcp_v4_syn_recv_sock:
# counted by TcpExtListenOverflows too, never seen by tcp_conn_request
# (5.10 under two VMs: 784 counted, 408 hooked)
rm -f $T/pre; mkfifo $T/pre
SOCKHOLD_NO_DEFER=1 $HOLD kmpre connect 127.0.0.1 7304 2 <$T/pre >/dev/null & pp=$!
exec 8>$T/pre
i=0 # /proc/net/tcp: a listener's rx_queue is its accept queue
while [ "$(awk '$2 ~ /:1C88$/ && $4 == "0A" { split($5, q, ":"); print q[2] }' /proc/net/tcp)" != 00000002 ] && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
check "hook: the listener's accept queue full before the run (2 of backlog 1)" 00000002 \
	"$(awk '$2 ~ /:1C88$/ && $4 == "0A" { split($5, q, ":"); print q[2] }' /proc/net/tcp)"
if start $T/hook.json -o json -v "tcp dst port 7304"; then
	# the hook's location comes from kallsyms, read just after the tracing line
	i=0; while ! grep -q "hook's events are located" $T/hook.json.err && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 1.5 | SOCKHOLD_NO_DEFER=1 $HOLD kmsyn connect 127.0.0.1 7304 300 >/dev/null & cp=$!
	wait $cp
	stop
	hooked=$(jcount $T/hook.json '"hook":"fentry/tcp_conn_request"' '"reason":"TCP_LISTEN_OVERFLOW"')
	counted=$(sed -n 's/^skbdrop: kernel counters (netns [^)]*):.*TcpExtListenOverflows \([0-9]*\).*/\1/p' $T/hook.json.err | head -n 1)
	if [ $TRAMP = 1 ]; then
		grep -q "^skbdrop: SYNs dropped on a full accept queue traced at tcp_conn_request (fentry)" $T/hook.json.err \
			&& ok "hook: attached at tcp_conn_request (fentry)" || nok "hook: attached" "$(cat $T/hook.json.err)"
		[ "$hooked" -gt 0 ] && ok "hook: $hooked SYN drops reported as TCP_LISTEN_OVERFLOW" || nok "hook: SYN drops reported" "$(head -c 600 $T/hook.json)"
		check "hook: as many as TcpExtListenOverflows moved" "${counted:-none}" "$hooked"
	else
		# no fentry on kernel functions (arm64 before 6.4): skbdrop says so and counts them
		grep -q "^skbdrop: SYNs dropped on a full accept queue are counted (TcpExtListenOverflows), not traced: .*no BPF trampolines" $T/hook.json.err \
			&& ok "hook: no BPF trampolines here (no CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS): says so" \
			|| nok "hook: says there are no BPF trampolines" "$(cat $T/hook.json.err)"
		check "hook: no hook events" 0 "$hooked"
		[ "${counted:-0}" -gt 0 ] && ok "hook: TcpExtListenOverflows counted ($counted)" || nok "hook: TcpExtListenOverflows counted" "$(cat $T/hook.json.err)"
	fi
	check "hook: each names the listener as owner" "$hooked" "$(jcount $T/hook.json '"hook":"fentry/tcp_conn_request"' "\"owner\":{\"pid\":$lp," '"source":"listener"')"
else nok "hook: tracer starts"; fi
exec 8>&-; wait $pp
unhold hook

# ---- a qdisc that drops (tbf on a veth, a burst): the events' reason is the qdisc's (7.x: the
# specific one qdisc:qdisc_drop gives, never plain QDISC_DROP), as many as the qdisc counted.
# 8 kbit/s: the sender need not be fast to overflow it (at 1 mbit, a sender slowed by a busy host
# made under 1 mbit/s, and the qdisc dropped nothing: 2 of 8 runs, 6.1 and 6.12.95). A queue of 100
# bytes: every verdict is taken while the sender sends. No IPv6 on kmqa: the kernel's own ND and MLD
# packets would be dropped by the qdisc too, counted by it, and filtered out here (147 vs 145)
if [ $HAS_REASON = 1 ] && $IP netns add kmq && $IP link add kmqa type veth peer name kmqb &&
	{ echo 1 >/proc/sys/net/ipv6/conf/kmqa/disable_ipv6; true; } 2>/dev/null && $IP link set kmqb netns kmq &&
	$IP addr add 10.216.0.1/30 dev kmqa && $IP link set kmqa up && $IP -n kmq link set kmqb up &&
	mac=$($IP -n kmq link show kmqb | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p') &&
	$IP neigh replace 10.216.0.2 lladdr "$mac" dev kmqa nud permanent &&
	tcr qdisc replace dev kmqa root handle 1: tbf rate 8kbit burst 1600 limit 100; then
	if start $T/q.json -o json "udp dst port 7305"; then
		$SENDER kmq 10.216.0.2 7305 $N
		stop
		qd=$(sed -n 's/.*qdisc kmqa tbf 1:0 drops \([0-9]*\).*/\1/p' $T/q.json.err)
		echo "# qdisc: $(sed -n 's/.*"reason":"\([A-Z_]*\)".*/\1/p' $T/q.json | sort | uniq -c | tr '\n' ' ')"
		[ "${qd:-0}" -gt 0 ] && ok "qdisc: tbf dropped $qd" || nok "qdisc: tbf dropped" "$(cat $T/q.json.err)"
		check "qdisc: its $qd drops and the $((N - ${qd:-0})) it let through (dropped in kmq: no such address) are all $N" $N \
			"$(( ${qd:-0} + $(jcount $T/q.json '"reason":"IP_INADDRERRORS"') ))"
		if [ "$kmaj" -ge 7 ]; then
			check "qdisc: every drop has the qdisc's specific reason (QDISC_DROP_*)" "${qd:-none}" "$(jcount $T/q.json 're:"reason":"QDISC_DROP_[A-Z0-9_]+"')"
		else
			check "qdisc: every drop is QDISC_DROP" "${qd:-none}" "$(jcount $T/q.json '"reason":"QDISC_DROP"')"
		fi
	else nok "qdisc: tracer starts"; fi
elif [ $HAS_REASON = 1 ]; then nok "qdisc: veth and tbf set up"; fi
$IP netns del kmq 2>/dev/null; $IP link del kmqa 2>/dev/null

# ---- -p and --count
# -p selects by the context: the drops that happened while the chosen process
# ran. Under TCG (and on any loaded host) the loopback receive is often
# deferred to ksoftirqd, whose context it then is, so how many of the N drops
# are the sender's is not known in advance: an unfiltered tracer, running at
# the same time, counts them, and -p must deliver exactly those
mkfifo $T/go
$SENDER kmpa 127.0.0.1 40125:9 $N $T/go & ap=$!
if start $T/pall.json -o json && ALLP=$TP && start $T/p.json -o json -p $ap; then
	echo x >$T/go; wait $ap
	$SENDER kmpb 127.0.0.1 9 $N
	stop
	TP=$ALLP; stop
	inctx=$(jcount $T/pall.json '"sport":40125,' "\"pid\":$ap,")
	echo "# -p: $inctx of the $N drops in the sender's context ($(jcount $T/pall.json '"sport":40125,') seen in all)"
	check "-p: the unfiltered tracer saw all $N drops" $N "$(jcount $T/pall.json '"sport":40125,' 're:"location":"_*udp')"
	check "-p: exactly the drops in the chosen process's context" "$inctx" "$(jcount $T/p.json "\"pid\":$ap," '"sport":40125,')"
	check "-p: nothing else" "$inctx" "$(wc -l <$T/p.json | tr -d ' ')"
else nok "-p: tracer starts"; kill $ap; fi
if start $T/c.txt -c 5; then
	$SENDER kmc 127.0.0.1 9 50
	i=0; while kill -0 $TP 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	wait $TP; check "--count 5: exits 0 by itself" 0 $?
	check "--count 5: exactly 5 lines" 5 "$(wc -l <$T/c.txt | tr -d ' ')"
else nok "--count: tracer starts"; fi

# ---- openvswitch's drop reasons (6.4+) from its module BTF, while it is loaded (last: the
# late-module check above wants no module loaded since boot)
if grep -qx openvswitch /etc/kmatrix-late-modules && { [ "$kmaj" -ge 7 ] || { [ "$kmaj" = 6 ] && [ "$kmin" -ge 4 ]; }; } &&
	modprobe openvswitch; then
	novs=$($SKBDROP --list-reasons | grep -c '	OVS_DROP_')
	[ "$novs" -gt 0 ] && ok "--list-reasons names openvswitch's reasons from its module BTF ($novs)" \
		|| nok "--list-reasons names openvswitch's reasons"
fi

echo "# kmatrix: $pass passed, $fail failed"
