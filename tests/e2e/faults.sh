# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run.sh: faults (issue 15). A ring far too small under a flood
# loses events, and every one is counted: delivered + lost == generated,
# exactly, on both transports. SIGKILL leaves no program or map loaded. A
# reader that stops reading does not keep SIGINT from ending the run within
# a second. Namespaces deleted while their devices are being looked up.
# The drops are identified by namespace and port.
FA=skbdfa$$ FB=skbdfb$$

cleanup_faults() {
	[ -n "${FIFO_FD_OPEN:-}" ] && exec 9>&-
	ip netns del $FA 2>/dev/null
	ip netns del $FB 2>/dev/null
}

# udp_noports NS: the namespace's UdpNoPorts counter
udp_noports() { ip netns exec "$1" awk '/^Udp:/ { if (h) { print $3; exit } h = 1 }' /proc/net/snmp; }

# exit_counts FILE: "DELIVERED LOST" from the exit summary
exit_counts() { sed -nE 's/^skbdrop: ([0-9]+) events delivered, ([0-9]+) lost .*/\1 \2/p' "$1"; }

if ip netns add $FA && ip -n $FA link set lo up; then
	# ---- ring overflow is exact: --pages 1 (one page per CPU) against the fastest generator;
	# perf with 4 pages gathers 7 records a sample (an eighth of the ring), and a lost sample
	# is 7 drops: counted by the kernel's failed outputs, not the ring's LOST records
	for spec in "perf 1" "perf 4" "ringbuf 1"; do
		set -- $spec; t=$1 pg=$2
		f=$TMP/ovf-$t-$pg.json
		before=$(udp_noports $FA)
		if start_tracer "$f" --pages $pg --transport $t -v -o json --netns $FA "udp dst port 9"; then
			gen=$(ip netns exec $FA "$DROPGEN" -k noport -t 20 50000 127.0.0.1 9 | sed -nE 's/.* drops ([0-9]+) in .*/\1/p')
			stop_tracer
			read -r del lost <<<"$(exit_counts "$f.err")"
			check "ring overflow ($t, --pages $pg): the kernel counted the generator's $gen drops (UdpNoPorts)" \
				"${gen:-none}" "$(( $(udp_noports $FA) - before ))"
			check "ring overflow ($t, --pages $pg): delivered + lost == $gen generated, exactly" "${gen:-none}" \
				"$(( ${del:-0} + ${lost:-0} ))"
			[ "${lost:-0}" -gt 0 ] && ok "ring overflow ($t, --pages $pg): the ring overflowed ($del delivered, $lost lost)" \
				|| nok "ring overflow ($t, --pages $pg): the ring overflowed" "$(cat "$f.err")"
			check "ring overflow ($t, --pages $pg): every delivered event written ($del)" "${del:-none}" \
				"$(jcount "$f" '.layers.udp.dport==9 and .reason=="NO_SOCKET"')"
			check "ring overflow ($t, --pages $pg): exit 0" 0 "$RC"
			[ "$t" = perf ] && check "ring overflow ($t, --pages $pg): records per sample" \
				"skbdrop: perf samples gather up to $([ "$pg" = 1 ] && echo "1 record" || echo "7 records") (--batch)" \
				"$(grep '^skbdrop: perf samples gather' "$f.err")"
		else nok "ring overflow ($t, --pages $pg): tracer starts"; fi
	done

	# ---- SIGKILL: the kernel frees what skbdrop held; nothing of ours stays loaded
	if command -v bpftool >/dev/null; then
		for mode in perf ringbuf summary; do
			case $mode in
			perf) args= name=skbd_kfree_skb ;;
			ringbuf) args="--transport ringbuf" name=skbd_kfree_rb ;;
			summary) args="--summary 1" name=skbd_kfree_skb ;;
			esac
			before=$(prog_ids $name)
			# shellcheck disable=SC2086
			if start_tracer "$TMP/kill-$mode.txt" $args; then
				id=$(comm -13 <(echo "$before" | sort) <(prog_ids $name | sort))
				maps=
				[ "$(echo "$id" | grep -c .)" = 1 ] && maps=$(bpftool -j prog show id "$id" | jq -r '.map_ids // [] | .[]')
				check "SIGKILL ($mode): one program of ours loaded while tracing" 1 "$(echo "$id" | grep -c .)"
				kill -KILL "$TRACER_PID"
				wait_tracer
				check "SIGKILL ($mode): killed" 137 "$RC"
				# shellcheck disable=SC2086
				left=$(still_loaded "$id" $maps)
				check "SIGKILL ($mode): program and its $(echo $maps | wc -w) maps gone (by id)" 0 "$left"
				check "SIGKILL ($mode): no perf event or link of it left on the tracepoint" "" \
					"$(bpftool -j perf show 2>/dev/null | jq -r ".[] | select(.prog_id == ${id:-0}) | .prog_id")"
			else nok "SIGKILL ($mode): tracer starts"; fi
		done
	else skip "SIGKILL leaves nothing loaded" "bpftool not installed"; fi

	# ---- stdout to a pipe nobody reads: SIGINT still ends the run within a second
	rm -f "$TMP/stall.fifo"; mkfifo "$TMP/stall.fifo"
	exec 9<>"$TMP/stall.fifo"; FIFO_FD_OPEN=1 # open for reading, never read
	"$SKBDROP" -o json --netns $FA "udp dst port 9" >"$TMP/stall.fifo" 2>"$TMP/stall.err" & spid=$!
	for _ in $(seq 100); do grep -q '^skbdrop: tracing' "$TMP/stall.err" && break; sleep 0.1; done
	ip netns exec $FA "$DROPGEN" -k noport -t 10 20000 127.0.0.1 9 >/dev/null
	# blocked writing: the pipe's 64 KiB hold a small part of 20000 JSON lines
	for _ in $(seq 40); do grep -q pipe_write "/proc/$spid/wchan" 2>/dev/null && break; sleep 0.05; done
	check "stalled reader: skbdrop blocks writing to the pipe" pipe_write "$(grep -o pipe_write "/proc/$spid/wchan" 2>/dev/null)"
	kill -INT $spid
	gone=0
	for _ in $(seq 20); do kill -0 $spid 2>/dev/null || { gone=1; break; }; sleep 0.05; done
	check "stalled reader: SIGINT ends the run within a second" 1 $gone
	kill -KILL $spid 2>/dev/null; wait $spid; rc=$?
	check "stalled reader: exit 0 (the stop was asked for)" 0 $rc
	grep -qE '^skbdrop: stopped while stdout was not being read: [1-9][0-9]* formatted lines not written$' "$TMP/stall.err" \
		&& ok "stalled reader: says how many formatted lines were not written" \
		|| nok "stalled reader: says how many formatted lines were not written" "$(cat "$TMP/stall.err")"
	grep -q '^skbdrop: every drop accounted\|^skbdrop: [0-9]* drops seen, [0-9]* of them not read' "$TMP/stall.err" \
		&& ok "stalled reader: the exit summary still accounts for the drops" \
		|| nok "stalled reader: the exit summary still accounts for the drops" "$(cat "$TMP/stall.err")"
	exec 9>&-; FIFO_FD_OPEN=
else
	nok "faults: namespace"
fi

# ---- namespaces deleted while their devices are being looked up: 20 rounds of
# a fresh pair of namespaces joined by veth, 10 drops on the veth, both
# namespaces deleted at once; the names layer finds each gone or not yet gone
f=$TMP/nsdel.json
if start_tracer "$f" -o json "udp dst port 7401"; then
	made=0
	for i in $(seq 20); do
		ip netns add $FB && ip netns add $FA.$i 2>/dev/null || true
		if ip link add vf$$a netns $FB type veth peer name vf$$b netns $FA.$i &&
			ip -n $FB addr add 10.223.0.1/24 dev vf$$a && ip -n $FA.$i addr add 10.223.0.2/24 dev vf$$b &&
			ip -n $FB link set vf$$a up && ip -n $FA.$i link set vf$$b up; then
			if ip netns exec $FA.$i "$SENDER" nsd-$$ 10.223.0.1 7401 10; then
				made=$((made + 10))
				# until the receiver's stack dropped all 10 (softirq may lag on a busy host:
				# a namespace deleted before would free them in its teardown instead)
				for _ in $(seq 40); do [ "$(udp_noports $FB)" -ge 10 ] && break; sleep 0.05; done
			fi
		fi
		ip netns del $FB; ip netns del $FA.$i
	done
	stop_tracer
	check "namespaces deleted under lookup: exit 0" 0 "$RC"
	check "namespaces deleted under lookup: all $made drops delivered" "$made" "$(jcount "$f" '.layers.udp.dport==7401')"
	n=$(jcount "$f" ".layers.udp.dport==7401 and (.dev==\"vf$$a\" or .dev==null)")
	[ "$n" = "$made" ] && ok "namespaces deleted under lookup: each with the veth's name or no name, never another's" \
		|| nok "namespaces deleted under lookup: each with the veth's name or no name, never another's" \
			"$n of $made; the others: $(jq -c "select(.layers.udp.dport==7401 and .dev!=\"vf$$a\" and .dev!=null) | [.netns, .ifindex, .dev, .netns_name]" "$f" | sort | uniq -c | head -5 | tr '\n' ' ')"
	check "namespaces deleted under lookup: no error or warning on stderr" "" \
		"$(grep -iE '^skbdrop: (error|warning)|malformed' "$f.err")"
	[ "$made" -gt 0 ] && ok "namespaces deleted under lookup: drops were made ($made)" || nok "namespaces deleted under lookup: drops were made"
else nok "namespaces deleted under lookup: tracer starts"; fi
cleanup_faults
