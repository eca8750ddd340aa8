# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run.sh: the kernel's own drop counters beside the traced drops
# (issue 14), each case in a fresh namespace watched with --netns: the exit
# summary's counter deltas against the events and against nstat and tc.
CA=skbdca$$ CB=skbdcb$$

cleanup_cnt() {
	ip netns del $CA 2>/dev/null
	ip netns del $CB 2>/dev/null
}

# moved FILE NAME: the delta the exit summary gives NAME ("" when it did not move)
moved() { sed -n 's/^skbdrop: kernel counters (netns [^)]*)://p' "$1.err" | tr ',' '\n' | awk -v n="$2" '$1 == n { print $2; exit }'; }

if ip netns add $CA && ip -n $CA link set lo up; then
	# UDP to a closed port and into a full buffer: events = UdpNoPorts, UdpRcvbufErrors
	f=$TMP/cnt-udp.json
	hold_start cnt $CA udp 127.0.0.1 7201
	if start_tracer "$f" -o json --netns $CA; then
		ip netns exec $CA "$SENDER" cnt-$$ 127.0.0.1 7202 $N
		ip netns exec $CA "$SENDER" cnt-$$ 127.0.0.1 7201 $N
		stop_tracer
		hold_stop cnt
		nosock=$(jcount "$f" '.reason=="NO_SOCKET"')
		rcvbuf=$(jcount "$f" '.reason=="SOCKET_RCVBUFF"')
		check "counters: $N NO_SOCKET events" $N "$nosock"
		check "counters: UdpNoPorts moved by the NO_SOCKET events" "$nosock" "$(moved "$f" UdpNoPorts)"
		check "counters: UdpRcvbufErrors moved by the SOCKET_RCVBUFF events ($rcvbuf)" "$rcvbuf" "$(moved "$f" UdpRcvbufErrors)"
		grep -q "^skbdrop: kernel counters (netns $CA): " "$f.err" && ok "counters: named by the namespace's name" \
			|| nok "counters: named by the namespace's name" "$(cat "$f.err")"
		grep -q "^skbdrop: every drop accounted: [0-9]* seen = delivered + lost + filtered + benign + rate-limited" "$f.err" \
			&& ok "counters: every drop accounted (seen = delivered + lost + filtered + benign + rate-limited)" \
			|| nok "counters: every drop accounted" "$(cat "$f.err")"
		grep -q "not all of these are traced" "$f.err" && nok "counters: no untraced note when every drop was an event" "$(cat "$f.err")" \
			|| ok "counters: no untraced note when every drop was an event"
	else nok "counters udp: tracer starts"; hold_stop cnt; fi

	# --summary: the counters in every interval's JSON, and in the Prometheus file
	# (a directory of its own: node_exporter's test reads PROMDIR whole)
	install -d -o nobody -m 755 "$TMP/prom-cnt"
	"$SKBDROP" --summary 0.5 -o json --netns $CA -d 2.5 --prom-file "$TMP/prom-cnt/cnt.prom" >"$TMP/cnt-sum.json" 2>"$TMP/cnt-sum.err" & smpid=$!
	sleep 1
	ip netns exec $CA "$SENDER" cnt-$$ 127.0.0.1 7204 $N
	wait $smpid; rc=$?
	check "counters --summary: exit 0" 0 $rc
	check "counters --summary: the last interval's counters say UdpNoPorts $N" $N \
		"$(tail -n 1 "$TMP/cnt-sum.json" | jq -r ".counters[] | select(.netns_name==\"$CA\") | .moved.UdpNoPorts")"
	check "counters --summary: the Prometheus family" 1 \
		"$(grep -c "^skbdrop_kernel_drops_total{netns=\"$CA\",counter=\"UdpNoPorts\"} $N\$" "$TMP/prom-cnt/cnt.prom")"

	# benign frees: a UDP socket closed with datagrams queued. They are counted per
	# rule and set apart by default, streamed and marked with --all
	for mode in default all; do
		f=$TMP/cnt-benign-$mode.json
		opt=; [ $mode = all ] && opt=--all
		# (by port: a queued UDP skb's device field holds UDP's scratch data, so these
		# frees have no namespace)
		# (-v: the rules by function are in force once kallsyms is read, after the tracing line)
		if start_tracer "$f" -o json -v $opt udp portrange 7211-7213 && wait_names "$f"; then
			for port in 7211 7212 7213; do
				SOCKHOLD_NO_DRAIN=1 hold_start benign $CA udp 127.0.0.1 $port
				ip netns exec $CA "$SENDER" cnt-$$ 127.0.0.1 $port 2
				hold_stop benign
			done
			# the queue is freed when the socket is destroyed, after an RCU grace period:
			# with --all, until the 6 events are in (bounded); else as long
			if [ $mode = all ]; then
				for _ in $(seq 50); do [ "$(jcount "$f" '.benign=="teardown"')" -ge 6 ] && break; sleep 0.1; done
			else
				sleep 3
			fi
			stop_tracer
			n=$(sed -n 's/^skbdrop: benign frees.*: teardown \([0-9]*\).*/\1/p' "$f.err")
			check "benign ($mode): the exit summary counts 6 teardown frees" 6 "${n:-0}"
			if [ $mode = all ]; then
				check "benign (--all): streamed, each marked teardown" 6 "$(jcount "$f" '.benign=="teardown"')"
			else
				check "benign (default): none streamed" 0 "$(jcount "$f" 'true')"
			fi
			grep -q "^skbdrop: every drop accounted: " "$f.err" && ok "benign ($mode): every drop accounted" \
				|| nok "benign ($mode): every drop accounted" "$(cat "$f.err")"
		else nok "benign ($mode): tracer starts"; fi
	done

	# the seed tool's demo: a listener that never accepts; SYNs dropped on its full
	# accept queue never reach kfree_skb, the counter says how many there were
	f=$TMP/cnt-listen.json
	hold_start cntl $CA tcp 127.0.0.1 7203 1
	before=$(ip netns exec $CA nstat -az TcpExtListenOverflows | awk '$1 == "TcpExtListenOverflows" { print $2 }')
	if start_tracer "$f" -o json --netns $CA; then
		sleep 1.5 | ip netns exec $CA "$HOLD" cntc-$$ connect 127.0.0.1 7203 300 >/dev/null
		# the listener closed before the tracer stops: no SYN can overflow it any more
		# (a late retransmission would otherwise count after the tracer's last read)
		hold_stop cntl
		sleep 0.3
		stop_tracer
		after=$(ip netns exec $CA nstat -az TcpExtListenOverflows | awk '$1 == "TcpExtListenOverflows" { print $2 }')
		got=$(moved "$f" TcpExtListenOverflows)
		check "counters: TcpExtListenOverflows as nstat reads it ($before -> $after)" "$((after - before))" "$got"
		events=$(jcount "$f" '.reason=="TCP_LISTEN_OVERFLOW"')
		[ "${got:-0}" -gt "$events" ] && ok "counters: more overflows counted ($got) than traced ($events)" \
			|| nok "counters: more overflows counted than traced" "counted ${got:-0}, traced $events"
		# this host has no BPF trampolines: the hook says so, once
		check "counters: one line says SYN overflows are counted, not traced (no fentry here)" 1 \
			"$(grep -c '^skbdrop: SYNs dropped on a full accept queue are counted (TcpExtListenOverflows), not traced: ' "$f.err")"
		grep -q "^skbdrop: not all of these are traced as events here: .*TcpExtListenOverflows (some: SYNs dropped on a full accept queue are freed with consume_skb" "$f.err" \
			&& ok "counters: says which drops were not traced" || nok "counters: says which drops were not traced" "$(cat "$f.err")"
	else nok "counters listen: tracer starts"; hold_stop cntl; fi

	# a qdisc that drops: tbf on a veth, a burst: QDISC_DROP events = the qdisc's drops
	f=$TMP/cnt-qdisc.json
	if ip netns add $CB && ip link add vc$$a netns $CA type veth peer name vc$$b netns $CB &&
		ip -n $CA addr add 10.221.0.1/24 dev vc$$a && ip -n $CB addr add 10.221.0.2/24 dev vc$$b &&
		ip -n $CA link set vc$$a up && ip -n $CB link set vc$$b up &&
		ip -n $CA neigh replace 10.221.0.2 lladdr "$(ip -n $CB link show vc$$b | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')" dev vc$$a nud permanent &&
		ip netns exec $CA tc qdisc replace dev vc$$a root handle 1: tbf rate 1mbit burst 1600 limit 3000; then
		if start_tracer "$f" -o json --netns $CA; then
			ip netns exec $CA "$SENDER" cnt-$$ 10.221.0.2 9 $N
			stop_tracer
			tcdrops=$(ip netns exec $CA tc -s qdisc show dev vc$$a | sed -n 's/.*(dropped \([0-9]*\),.*/\1/p' | head -n 1)
			events=$(jcount "$f" '.reason=="QDISC_DROP"')
			[ "$events" -gt 0 ] && ok "counters: the tbf qdisc dropped $events" || nok "counters: the tbf qdisc dropped" "$(tail -n 3 "$f.err")"
			check "counters: QDISC_DROP events = the qdisc's drop counter in the exit summary" "$events" \
				"$(sed -n "s/.*qdisc vc$$a tbf 1:0 drops \([0-9]*\).*/\1/p" "$f.err")"
			check "counters: = what tc -s reads" "$tcdrops" "$events"
		else nok "counters qdisc: tracer starts"; fi
	else nok "counters qdisc: veth and tbf set up"; fi
else
	nok "counters: namespace set up"
fi
cleanup_cnt
