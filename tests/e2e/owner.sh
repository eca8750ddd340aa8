# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run.sh: the socket's owner (issue 13). A receiver whose buffer is
# full, sent to by another process, over loopback and over veth into another
# namespace; a listener whose accept queue is full; a receiver in a cgroup
# named like a docker scope; --owner PID; --summary --by owner,container.
# The test's drops are identified by namespace and port. Each case also
# prints an "# accuracy:" line: drops, % with the right owner, % whose
# context pid is the sender (the README's table).

HOLD=$(readlink -f "$BUILD/e2e/sockhold")
OA=skbdoa$$ OB=skbdob$$
OWN_CG=

cleanup_own() {
	[ -n "${HOLD_FD_OPEN:-}" ] && exec 7>&-
	ip netns del $OA 2>/dev/null
	ip netns del $OB 2>/dev/null
	[ -n "$OWN_CG" ] && { rmdir "$OWN_CG/$OWN_SCOPE" 2>/dev/null; rmdir "$OWN_CG" 2>/dev/null; }
}

# hold_start LABEL NS MODE ADDR PORT [ARG] [CGROUP_DIR]: a sockhold in NS
# (comm own-PID), stdin from a fifo we keep open on fd 7; sets HPID, HINO.
hold_start() {
	local label=$1 ns=$2 mode=$3 addr=$4 port=$5 arg=${6:-} cg=${7:-} i
	rm -f "$TMP/hold-$label" "$TMP/hold-$label.out"
	mkfifo "$TMP/hold-$label"
	if [ -n "$cg" ]; then
		sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" ip netns exec "$ns" \
			"$HOLD" own-$$ "$mode" "$addr" "$port" $arg <"$TMP/hold-$label" >"$TMP/hold-$label.out" &
	else
		ip netns exec "$ns" "$HOLD" own-$$ "$mode" "$addr" "$port" $arg \
			<"$TMP/hold-$label" >"$TMP/hold-$label.out" &
	fi
	HPID=$!
	exec 7>"$TMP/hold-$label"; HOLD_FD_OPEN=1
	for i in $(seq 100); do
		[ -s "$TMP/hold-$label.out" ] && break
		sleep 0.05
	done
	read -r _ HINO <"$TMP/hold-$label.out"
	[ -n "$HINO" ]
}

# hold_stop: close its stdin, wait (bounded); sets DRAINED (udp)
hold_stop() {
	local i
	exec 7>&-; HOLD_FD_OPEN=
	for i in $(seq 100); do kill -0 $HPID 2>/dev/null || break; sleep 0.05; done
	kill $HPID 2>/dev/null
	wait $HPID 2>/dev/null
	DRAINED=$(sed -n 's/^drained //p' "$TMP/hold-$1.out")
}

accuracy() { # accuracy CASE TOTAL RIGHT_OWNER RIGHT_CONTEXT
	local o=0 c=0
	[ "$2" -gt 0 ] && { o=$(( $3 * 100 / $2 )); c=$(( $4 * 100 / $2 )); }
	echo "# accuracy: $1: $2 drops, owner right $o %, context pid = sender $c %"
}

# owner_udp LABEL RECV_NS SEND_NS ADDR PORT: N datagrams to a full buffer
owner_udp() {
	local label=$1 nsr=$2 nss=$3 addr=$4 port=$5 f=$TMP/own-$1.json nsino want spid sel
	nsino=$(ip netns exec "$nsr" stat -L -c %i /proc/self/ns/net)
	if ! hold_start "$label" "$nsr" udp "$addr" "$port"; then nok "owner $label: receiver starts"; return; fi
	if ! start_tracer "$f" -o json "udp port $port"; then nok "owner $label: tracer starts"; hold_stop "$label"; return; fi
	ip netns exec "$nss" "$SENDER" snd-$$ "$addr" "$port" $N & spid=$!
	wait $spid
	stop_tracer
	hold_stop "$label"
	want=$((N - ${DRAINED:-0}))
	sel=".netns==$nsino and .layers.udp.dport==$port"
	check "owner $label: exactly $want SOCKET_RCVBUFF drops ($N sent, $DRAINED queued)" $want \
		"$(jcount "$f" "$sel and .reason==\"SOCKET_RCVBUFF\"")"
	check "owner $label: every drop's owner is the receiver (pid, comm, uid, inode)" $want \
		"$(jcount "$f" "$sel and .owner.pid==$HPID and .owner.comm==\"own-$$\" and .owner.uid==0 and .owner.inode==$HINO")"
	check "owner $label: with its receive queue against its buffer" $want \
		"$(jcount "$f" "$sel and .owner.sock.rcvq_bytes > 0 and .owner.sock.rcvbuf > 0 and .owner.port==$port and .owner.netns==$nsino")"
	check "owner $label: the receiver is never the context" 0 "$(jcount "$f" "$sel and .pid==$HPID")"
	accuracy "UDP receive buffer full, $label" "$want" \
		"$(jcount "$f" "$sel and .owner.pid==$HPID")" "$(jcount "$f" "$sel and .pid==$spid")"
}

ip netns add $OA && ip netns add $OB && ip -n $OA link set lo up && ip -n $OB link set lo up &&
	ip link add vo$$a netns $OA type veth peer name vo$$b netns $OB &&
	ip -n $OA addr add 10.219.0.1/24 dev vo$$a && ip -n $OB addr add 10.219.0.2/24 dev vo$$b &&
	ip -n $OA link set vo$$a up && ip -n $OB link set vo$$b up
if [ $? = 0 ]; then
	owner_udp loopback $OA $OA 127.0.0.1 7101
	owner_udp veth $OB $OA 10.219.0.2 7102

	# closed ports: no socket, no owner
	f=$TMP/own-closed.json
	if start_tracer "$f" -o json "port 7103"; then
		ip netns exec $OA "$SENDER" snd-$$ 127.0.0.1 7103 20
		ip netns exec $OA "$SENDER" snd-$$ tcp:127.0.0.1 7103 20
		stop_tracer
		check "owner: UDP and TCP to a closed port: 40 NO_SOCKET drops, owner null" 40 \
			"$(jcount "$f" ".comm==\"snd-$$\" and .reason==\"NO_SOCKET\" and .owner==null")"
		accuracy "UDP and TCP to a closed port (owner null)" 40 \
			"$(jcount "$f" ".comm==\"snd-$$\" and .owner==null")" "$(jcount "$f" ".comm==\"snd-$$\"")"
	else nok "owner closed: tracer starts"; fi

	# TCP accept queue full: the handshakes' final ACKs are dropped with the listener as owner
	f=$TMP/own-listen.json
	obino=$(ip netns exec $OB stat -L -c %i /proc/self/ns/net)
	if hold_start listen $OB tcp 10.219.0.2 7104 0 && start_tracer "$f" -o json "tcp port 7104"; then
		lpid=$HPID lino=$HINO
		# the clients hold their connections 2.5 s: SYN-ACK retransmits bring more final ACKs
		sleep 2.5 | ip netns exec $OA "$HOLD" cli-$$ connect 10.219.0.2 7104 40 >/dev/null & cpid=$!
		wait $cpid
		stop_tracer
		hold_stop listen
		# the final ACKs dropped at the full queue: TCP_LISTEN_OVERFLOW for a request
		# socket's, NO_SOCKET at cookie_v4_check for a syncookie's (which path a
		# handshake takes is the kernel's choice: count both)
		sel=".netns==$obino and .layers.tcp.dport==7104 and (.reason==\"TCP_LISTEN_OVERFLOW\" or (.reason==\"NO_SOCKET\" and (.location|startswith(\"cookie_v4_check\"))))"
		total=$(jcount "$f" "$sel")
		[ "$total" -gt 0 ] && ok "owner listen: $total final ACKs dropped at the full accept queue" \
			|| nok "owner listen: final ACKs dropped at the full accept queue" "none seen: $(head -c 600 "$f")"
		check "owner listen: every one names the listener, its accept queue and backlog 0" "$total" \
			"$(jcount "$f" "$sel and .owner.pid==$lpid and .owner.inode==$lino and .owner.listener_of_request==false and .owner.sock.backlog==0 and .owner.sock.accept_queue >= 1")"
		accuracy "TCP accept queue full (final ACK)" "$total" \
			"$(jcount "$f" "$sel and .owner.pid==$lpid")" "$(jcount "$f" "$sel and .comm==\"cli-$$\"")"
	else nok "owner listen: setup"; hold_stop listen; fi

	# a receiver in a cgroup named like a docker scope: cgroup path and container id
	if [ -n "$CGROOT" ]; then
		OWN_ID=4c0e9b2a1d8c7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f
		OWN_CG=$CGROOT/skbdo$$.slice OWN_SCOPE=docker-$OWN_ID.scope
		f=$TMP/own-docker.json
		if mkdir -p "$OWN_CG/$OWN_SCOPE" && hold_start docker $OA udp 127.0.0.1 7105 "" "$OWN_CG/$OWN_SCOPE" &&
			start_tracer "$f" -o json "udp port 7105"; then
			ip netns exec $OA "$SENDER" snd-$$ 127.0.0.1 7105 50
			stop_tracer
			hold_stop docker
			want=$((50 - ${DRAINED:-0}))
			check "owner docker: $want drops carry the receiver's cgroup path and container id" $want \
				"$(jcount "$f" ".owner.pid==$HPID and .owner.cgroup==\"/skbdo$$.slice/$OWN_SCOPE\" and .owner.container==\"$OWN_ID\"")"
			# --summary --by owner,container: one row, the receiver's, with every drop
			if hold_start docker2 $OA udp 127.0.0.1 7106 "" "$OWN_CG/$OWN_SCOPE"; then
				"$SKBDROP" --summary 0.5 --by owner,container -o json -d 2.5 "udp port 7106" \
					>"$TMP/own-sum.json" 2>"$TMP/own-sum.err" & smpid=$!
				sleep 1
				ip netns exec $OA "$SENDER" snd-$$ 127.0.0.1 7106 50
				wait $smpid; rc=$?
				hold_stop docker2
				want=$((50 - ${DRAINED:-0}))
				check "summary --by owner,container: exit 0" 0 $rc
				check "summary --by owner,container: the receiver's row has all $want drops" 1 \
					"$(tail -n 1 "$TMP/own-sum.json" | jq -c ".rows[] | select(.owner.pid==$HPID and .owner.comm==\"own-$$\" and .container==\"$OWN_ID\" and .total==$want)" | wc -l)"
			else nok "summary --by owner: receiver starts"; fi
		else nok "owner docker: setup"; hold_stop docker; fi
		rmdir "$OWN_CG/$OWN_SCOPE" 2>/dev/null; rmdir "$OWN_CG" 2>/dev/null; OWN_CG=
	else skip "owner in a docker-like cgroup" "no cgroup2 at /sys/fs/cgroup or /sys/fs/cgroup/unified"; fi

	# --owner PID: only its sockets, including one it opens after the start
	f=$TMP/own-filter.json
	if hold_start other $OA udp 127.0.0.1 7108; then
		opid=$HPID
		rm -f "$TMP/hold-late" "$TMP/hold-late.out"; mkfifo "$TMP/hold-late"
		SOCKHOLD_DELAY_MS=800 ip netns exec $OA "$HOLD" own-$$ udp 127.0.0.1 7107 \
			<"$TMP/hold-late" >"$TMP/hold-late.out" & lpid=$!
		exec 8>"$TMP/hold-late"
		if start_tracer "$f" -o json --owner $lpid; then
			for _ in $(seq 60); do [ -s "$TMP/hold-late.out" ] && break; sleep 0.05; done
			sleep 0.3 # > the 100 ms refresh: its new socket is in the kernel's set
			ip netns exec $OA "$SENDER" snd-$$ 127.0.0.1 7107 40
			ip netns exec $OA "$SENDER" snd-$$ 127.0.0.1 7108 40
			stop_tracer
			exec 8>&-; wait $lpid
			late=$((40 - $(sed -n 's/^drained //p' "$TMP/hold-late.out")))
			check "--owner: the $late drops on the socket it opened after the start" $late \
				"$(jcount "$f" ".owner.pid==$lpid and .layers.udp.dport==7107")"
			check "--owner: nothing else" $late "$(jcount "$f" "true")"
		else nok "--owner: tracer starts"; exec 8>&-; fi
		hold_stop other
	else nok "--owner: setup"; fi
	"$SKBDROP" --owner 999999999 -d 1 >/dev/null 2>"$TMP/own-nopid.err"; rc=$?
	check "--owner with no such process: exit 1" 1 $rc
	check "--owner with no such process: one line" "skbdrop: error: --owner 999999999: no such process" \
		"$(cat "$TMP/own-nopid.err")"
else
	nok "owner: namespaces and veth"
fi
cleanup_own
