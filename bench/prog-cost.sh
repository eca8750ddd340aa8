#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The BPF program's own time per drop, as a multiple of an empty program's in the same run: bench/emptyprog
# (return 0) stays attached to skb:kfree_skb throughout, and for each configuration skbdrop (or bpftrace) runs
# while dropgen makes N nft drops (NETFILTER_DROP) in a namespace of this script's. With
# kernel.bpf_stats_enabled=1 the kernel counts every program's runs and run time; both programs run on the
# same drops, so the machine's speed of the moment divides out of the ratio.
# Usage: bench/prog-cost.sh [BUILD] [N] [REPS] [CONFIG...]   (default build 500000 3, every configuration)
# Prints one line per run and a markdown table of medians. CONFIG: a label of the table below, or a
# configuration of its own, "label|skbdrop|OPTIONS" (or "label|bpftrace|PROGRAM").
set -euo pipefail
BUILD=${1:-build} N=${2:-500000} REPS=${3:-3}
shift $(($# < 3 ? $# : 3))
HERE=$(cd "$(dirname "$0")" && pwd)
SKB=$BUILD/skbdrop DROPGEN=$BUILD/bench/dropgen EMPTY=$BUILD/bench/emptyprog
NS=skbdpc$$ NS2=skbdpc$$-other
[ "$(id -u)" = 0 ] || { echo "prog-cost: run as root" >&2; exit 1; }
for f in "$SKB" "$DROPGEN" "$EMPTY"; do
	[ -x "$f" ] || { echo "prog-cost: $f missing (make all $BUILD/bench/dropgen $BUILD/bench/emptyprog)" >&2; exit 1; }
done

# label|tool|arguments (@NS@: this script's namespace, @NS2@: another one)
CONFIGS=(
	"streaming -o json (perf)|skbdrop|-o json"
	"streaming -o json, ring buffer|skbdrop|-o json --transport ringbuf"
	"streaming -o json --snaplen 0|skbdrop|-o json --snaplen 0"
	"rejected by the packet filter tcp port 443|skbdrop|-o json tcp port 443"
	"rejected by -r NO_SOCKET|skbdrop|-o json -r NO_SOCKET"
	"rejected by the device filter -i lo (the host's)|skbdrop|-o json -i lo"
	"rejected by --netns (another namespace)|skbdrop|-o json --netns @NS2@"
	"--summary (default keys)|skbdrop|--summary 1"
	"--summary --by reason|skbdrop|--summary 1 --by reason"
	"bpftrace @c = count()|bpftrace|tracepoint:skb:kfree_skb { @c = count(); }"
	"bpftrace @c[reason, location] = count()|bpftrace|tracepoint:skb:kfree_skb { @c[args->reason, args->location] = count(); }"
)
want=()
for a in "$@"; do # a whole "label|tool|arguments" is a configuration of its own
	if [[ $a == *"|"* ]]; then CONFIGS+=("$a"); want+=("${a%%|*}"); else want+=("$a"); fi
done
TMP=$(mktemp -d)
was=$(sysctl -n kernel.bpf_stats_enabled)
empty_pid=""
cleanup() {
	[ -n "$empty_pid" ] && kill "$empty_pid" 2>/dev/null && wait "$empty_pid" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$was"
	ip netns del $NS 2>/dev/null || true
	ip netns del $NS2 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add $NS && ip -n $NS link set lo up && ip netns add $NS2
ip netns exec $NS nft -f - <<'EOF'
table ip skbdpc {
	chain pre {
		type filter hook prerouting priority -300; udp dport 9 drop
	}
}
EOF
sysctl -qw kernel.bpf_stats_enabled=1

# prog_stats PID NAME_RE [TIME_RE]: "run_time_ns run_cnt" summed over PID's BPF programs whose name matches
# NAME_RE, the time also over those matching TIME_RE (skbdrop's flush program: its time is the drops', its
# runs are not drops) (/proc/PID/fdinfo of a program's fd has its id and counters; bpftool names the id)
prog_stats() {
	local pid=$1 re=$2 tre=${3:-$2} t=0 c=0 f id name
	for f in /proc/"$pid"/fdinfo/*; do
		id=$(sed -n 's/^prog_id:\s*//p' "$f" 2>/dev/null) || continue
		[ -n "$id" ] || continue
		name=$(bpftool prog show id "$id" 2>/dev/null | sed -n 's/^[0-9]*: [a-z_]*  name \([^ ]*\) .*/\1/p')
		[[ $name =~ $re || $name =~ $tre ]] || continue
		t=$((t + $(sed -n 's/^run_time_ns:\s*//p' "$f")))
		[[ $name =~ $re ]] && c=$((c + $(sed -n 's/^run_cnt:\s*//p' "$f")))
	done
	echo "$t $c"
}

mkfifo "$TMP/fifo"
"$EMPTY" <"$TMP/fifo" >"$TMP/empty.out" 2>&1 &
empty_pid=$!
exec 3>"$TMP/fifo" # emptyprog stays until this closes (or the trap's kill)
for i in $(seq 100); do grep -q attached "$TMP/empty.out" && break; sleep 0.05; done
grep -q attached "$TMP/empty.out" || { echo "prog-cost: $(cat "$TMP/empty.out")" >&2; exit 1; }

# one NAME: prints "ns_per_run empty_ns_per_run runs"
one() {
	local tool=$1 args=$2 pid re tre b e a ea i
	args=${args//@NS2@/$NS2}
	if [ "$tool" = skbdrop ]; then
		# shellcheck disable=SC2086
		"$SKB" $args >/dev/null 2>"$TMP/err" &
		pid=$! re='^skbd_kfree' tre='^skbd_flush$'
		for i in $(seq 200); do grep -q 'skbdrop: tracing' "$TMP/err" && break; sleep 0.05; done
	else
		command -v bpftrace >/dev/null || { echo "- - -"; return; }
		bpftrace -e "$args" >"$TMP/err" 2>&1 &
		pid=$! re='^kfree_skb$' tre='^kfree_skb$'
		for i in $(seq 600); do grep -q '^Attaching' "$TMP/err" && break; sleep 0.05; done
	fi
	if ! kill -0 $pid 2>/dev/null || ! grep -qE '^(skbdrop: tracing|Attaching)' "$TMP/err"; then
		echo "prog-cost: $tool $args did not start: $(head -c 300 "$TMP/err")" >&2
		kill -INT $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		echo "- - -"
		return
	fi
	b=$(prog_stats $pid "$re" "$tre") e=$(prog_stats $empty_pid '^skbd_empty$')
	ip netns exec $NS "$DROPGEN" -C 0 -t 20 "$N" 127.0.0.1 9 >/dev/null
	a=$(prog_stats $pid "$re" "$tre") ea=$(prog_stats $empty_pid '^skbd_empty$')
	kill -INT $pid
	wait $pid || true
	echo "$b $a $e $ea" | awk '{ r = $4 - $2; er = $8 - $6;
		if (r <= 0 || er <= 0) print "- - -"; else printf "%.0f %.0f %d\n", ($3 - $1) / r, ($7 - $5) / er, r }'
}

declare -A NSR ER
labels=()
for r in $(seq "$REPS"); do
	for c in "${CONFIGS[@]}"; do
		IFS='|' read -r label tool args <<<"$c"
		if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qxF -- "$label"; then continue; fi
		[ "$r" = 1 ] && labels+=("$label")
		read -r ns ens runs < <(one "$tool" "$args")
		echo "rep $r: $label: $ns ns/run, empty $ens ns/run, $runs runs" >&2
		NSR[$label]+="$ns " ER[$label]+="$ens "
	done
done
med() { tr ' ' '\n' | grep -v '^-\?$' | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
echo "| program | ns per run | empty program, same runs | × empty |"
echo "|---|---|---|---|"
for label in "${labels[@]}"; do
	# the ratio of each run, then its median (pairs stay pairs)
	ratios=$(paste -d' ' <(echo "${NSR[$label]}" | tr ' ' '\n') <(echo "${ER[$label]}" | tr ' ' '\n') |
		awk '$1 ~ /^[0-9]+$/ && $2 > 0 { printf "%.2f ", $1 / $2 }')
	echo "| $label | $(echo "${NSR[$label]}" | med) | $(echo "${ER[$label]}" | med) | $(echo "$ratios" | med) |"
done
