# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run.sh: -w (issue 16). Two namespaces joined by veth; in A,
# UDP and TCP SYNs from B to closed ports (received with a MAC header:
# Ethernet) and UDP from A dropped by nft in postrouting (no MAC header yet:
# LINUX_SLL2, with the veth's ifindex). tshark reads the file: exactly the
# test's packets, decoded, each with its reason in frame.comment, the
# interface named after the device. Then -w - into tshark, rotation by size
# (-C, -W), and a ring too small under a flood: every lost event is a drop
# count or in the closing statistics block.
WA=skbdwa$$ WB=skbdwb$$

cleanup_pcapng() {
	ip netns del $WA 2>/dev/null
	ip netns del $WB 2>/dev/null
}

# tcount FILE FILTER: frames tshark reads from FILE that match FILTER
tcount() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l | tr -d ' '; }

if ! command -v tshark >/dev/null; then
	skip "-w: tshark reads the pcapng" "tshark not installed"
elif ip netns add $WA && ip netns add $WB && ip -n $WA link set lo up && ip -n $WB link set lo up &&
	ip link add wa$$ netns $WA type veth peer name wb$$ netns $WB &&
	ip -n $WA addr add 10.223.0.1/24 dev wa$$ && ip -n $WB addr add 10.223.0.2/24 dev wb$$ &&
	ip -n $WA link set wa$$ up && ip -n $WB link set wb$$ up &&
	ip netns exec $WA nft add table inet skbdw &&
	ip netns exec $WA nft add chain inet skbdw post '{ type filter hook postrouting priority 0 ; }' &&
	ip netns exec $WA nft add rule inet skbdw post udp dport 7452 drop; then
	waidx=$(ip -n $WA -o link show wa$$ | cut -d: -f1)
	f=$TMP/drops.pcapng
	flt="udp dst port 7451 or tcp dst port 7453 or udp dst port 7452"
	if start_tracer "$TMP/w.out" -w "$f" --netns $WA "$flt"; then
		ip netns exec $WB "$SENDER" skw1-$$ 10.223.0.1 7451 50
		ip netns exec $WB "$SENDER" skw2-$$ tcp:10.223.0.1 7453 20
		ip netns exec $WA "$SENDER" skw3-$$ 10.223.0.2 7452 30
		stop_tracer
		check "-w: exit 0" 0 "$RC"
		check "-w: nothing on stdout" 0 "$(wc -c <"$TMP/w.out" | tr -d ' ')"
		check "-w: the exit line counts 100 packets in 1 file" 1 \
			"$(grep -c "^skbdrop: -w: 100 packets written to $f (1 file), 0 lost events marked" "$TMP/w.out.err")"
		check "-w: tshark reads exactly the 100 packets" 100 "$(tcount "$f" 'frame')"
		check "-w: 50 UDP to port 7451, Ethernet, on interface wa$$, reason NO_SOCKET in the comment" 50 \
			"$(tcount "$f" "udp.dstport == 7451 && eth && frame.interface_name == \"wa$$\" && frame.comment contains \"reason=NO_SOCKET location=__udp4_lib_rcv\"")"
		# 58 bytes: the copy's last word holds 2 of them (and no byte past the packet)
		check "-w: the 50 UDP packets to 7451 whole: 58 bytes, payload skbdrop-e2e-tail" 50 \
			"$(tcount "$f" "udp.dstport == 7451 && frame.cap_len == 58 && frame.len == 58 && data.data == 73:6b:62:64:72:6f:70:2d:65:32:65:2d:74:61:69:6c")"
		check "-w: 20 TCP SYNs to port 7453 (flags decoded), reason NO_SOCKET" 20 \
			"$(tcount "$f" "tcp.dstport == 7453 && tcp.flags.syn == 1 && tcp.flags.ack == 0 && frame.comment contains \"reason=NO_SOCKET\"")"
		check "-w: 30 UDP to port 7452 as LINUX_SLL2 with the veth's ifindex $waidx, reason NETFILTER_DROP" 30 \
			"$(tcount "$f" "udp.dstport == 7452 && sll.ifindex == $waidx && frame.comment contains \"reason=NETFILTER_DROP location=nft_do_chain\"")"
		check "-w: every packet's interface is named wa$$" "wa$$" \
			"$(tshark -r "$f" -T fields -e frame.interface_name 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//')"
		check "-w: two interface blocks (Ethernet and SLL2), both named wa$$ with the namespace in the description" 2 \
			"$(capinfos "$f" 2>/dev/null | grep -c "Description = netns $WA (")"
		check "-w: the packets have no drop count (nothing lost)" 0 "$(tcount "$f" 'frame.drop_count > 0')"
	else nok "-w: tracer starts" "$(cat "$TMP/w.out.err")"; fi

	# ---- -w - | tshark -r -
	( "$SKBDROP" -w - -c 40 --netns $WA "udp dst port 7454" 2>"$TMP/wpipe.err" |
		tshark -r - -T fields -e udp.dstport -e frame.comment >"$TMP/wpipe.txt" 2>/dev/null ) & wp=$!
	for _ in $(seq 100); do grep -q '^skbdrop: tracing' "$TMP/wpipe.err" 2>/dev/null && break; sleep 0.1; done
	ip netns exec $WB "$SENDER" skw4-$$ 10.223.0.1 7454 40
	for _ in $(seq 100); do kill -0 $wp 2>/dev/null || break; sleep 0.1; done
	kill $wp 2>/dev/null; wait $wp 2>/dev/null
	check "-w - | tshark -r -: the 40 packets, decoded, with their reason" 40 \
		"$(grep -c "^7454	reason=NO_SOCKET " "$TMP/wpipe.txt")"

	# ---- rotation: -C 8k (FILE, FILE1, ...) then -C 8k -W 3 (FILE0..FILE2, reused)
	for w in "" 3; do
		d=$TMP/rot$w
		mkdir -p "$d"; chown nobody "$d" # written as nobody once rotating
		if start_tracer "$TMP/rot$w.out" -w "$d/cap" -C 8k ${w:+-W $w} --netns $WA "udp dst port 7455"; then
			ip netns exec $WB "$SENDER" skw5-$$ 10.223.0.1 7455 50
			stop_tracer
			n=$(ls "$d" | wc -l)
			total=0 big=0 bad=0
			for x in "$d"/*; do
				total=$((total + $(tcount "$x" 'udp.dstport == 7455')))
				[ "$(stat -c %s "$x")" -gt 8192 ] && big=$((big + 1))
				tshark -r "$x" >/dev/null 2>&1 || bad=$((bad + 1))
			done
			check "-C 8k${w:+ -W $w}: exit 0" 0 "$RC"
			check "-C 8k${w:+ -W $w}: no file over 8192 bytes, every file readable" "0 0" "$big $bad"
			if [ -z "$w" ]; then
				check "-C 8k: several files, named cap, cap1, cap2, ..." "cap cap1 cap2" \
					"$(ls "$d" | sort -V | head -n 3 | tr '\n' ' ' | sed 's/ $//')"
				check "-C 8k: all 50 packets across the $n files" 50 "$total"
			else
				check "-C 8k -W 3: exactly cap0, cap1, cap2" "cap0 cap1 cap2" "$(ls "$d" | tr '\n' ' ' | sed 's/ $//')"
				[ "$total" -gt 0 ] && [ "$total" -lt 50 ] && ok "-C 8k -W 3: the last packets kept ($total of 50)" \
					|| nok "-C 8k -W 3: the last packets kept" "total $total"
			fi
		else nok "-C 8k${w:+ -W $w}: tracer starts" "$(cat "$TMP/rot$w.out.err")"; fi
	done

	# ---- lost events are in the file: --pages 1 under a flood; with 4 pages a lost
	# perf sample is 7 drops (a batch), and the file still marks each
	for pg in 1 4; do
		f=$TMP/lost$pg.pcapng
		if start_tracer "$TMP/lost$pg.out" -w "$f" --pages $pg --netns $WA "udp dst port 9"; then
			gen=$(ip netns exec $WA "$DROPGEN" -k noport -t 20 30000 127.0.0.1 9 | sed -nE 's/.* drops ([0-9]+) in .*/\1/p')
			stop_tracer
			read -r del lost <<<"$(sed -nE 's/^skbdrop: ([0-9]+) events delivered, ([0-9]+) lost .*/\1 \2/p' "$TMP/lost$pg.out.err")"
			pk=$(tcount "$f" 'udp.dstport == 9')
			dc=$(tshark -r "$f" -T fields -e frame.drop_count 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
			marked=$(sed -nE 's/^skbdrop: -w: [0-9]+ packets .* ([0-9]+) lost events marked.*/\1/p' "$TMP/lost$pg.out.err")
			check "-w --pages $pg: the ring overflowed and every delivered event is a packet ($del)" "${del:-x}" "$pk"
			check "-w --pages $pg: packets + lost == $gen generated" "${gen:-none}" "$((pk + ${lost:-0}))"
			check "-w --pages $pg: every lost event marked in the file" "${lost:-x}" "$marked"
			[ "$dc" -gt 0 ] && [ "$dc" -le "${lost:-0}" ] && ok "-w --pages $pg: lost events as packet drop counts ($dc of $lost; the rest after the last packet)" \
				|| nok "-w --pages $pg: lost events as packet drop counts" "drop counts $dc, lost $lost"
		else nok "-w --pages $pg: tracer starts" "$(cat "$TMP/lost$pg.out.err")"; fi
	done
else nok "-w: namespace setup"; fi
cleanup_pcapng
