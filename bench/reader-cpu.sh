#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The reader's CPU time per event, two builds side by side in one run: for each repetition and each binary
# (in alternating order), skbdrop streams N NO_SOCKET drops of a namespace of its own (dropgen noport on its
# loopback) with --netns and the given output options, stdout to /dev/null; the CPU time it used (user + sys,
# from wait4) is divided by the events it delivered. Prints one line per run and the medians.
# Usage: bench/reader-cpu.sh OLD_BINARY NEW_BINARY [N] [REPS] [-- skbdrop options, default: -o json]
# Streaming options only: the count comes from the exit line 'N events delivered', which --summary does not print.
set -euo pipefail
OLD=$1 NEW=$2 N=${3:-300000} REPS=${4:-5}
shift $(( $# < 4 ? $# : 4 )); [ "${1:-}" = -- ] && shift
OPTS=("$@"); [ ${#OPTS[@]} -gt 0 ] || OPTS=(-o json)
HERE=$(cd "$(dirname "$0")" && pwd)
DROPGEN=${DROPGEN:-$HERE/../build/bench/dropgen}
NS=skbdcpu$$
[ "$(id -u)" = 0 ] || { echo "reader-cpu: run as root" >&2; exit 1; }
[ -x "$DROPGEN" ] || { echo "reader-cpu: $DROPGEN missing (make build/bench/dropgen)" >&2; exit 1; }
TMP=$(mktemp -d); trap 'ip netns del $NS 2>/dev/null || true; rm -rf "$TMP"' EXIT
ip netns add $NS && ip -n $NS link set lo up

# run BINARY: prints "ns_per_event delivered"
run() {
	local bin=$1 pid i n
	/usr/bin/time -f '%U %S' -o "$TMP/time" "$bin" --netns $NS -r NO_SOCKET -d 60 "${OPTS[@]}" \
		>/dev/null 2>"$TMP/err" &
	pid=$!
	for i in $(seq 100); do grep -q 'tracing' "$TMP/err" 2>/dev/null && break; sleep 0.05; done
	ip netns exec $NS "$DROPGEN" -C 0 -t 20 -k noport "$N" 127.0.0.1 9 >/dev/null
	sleep 0.3
	pkill -INT -P $pid 2>/dev/null || kill -INT $pid
	wait $pid || true
	n=$(sed -n 's/.*: \([0-9]*\) events delivered.*/\1/p' "$TMP/err")
	if [ -z "$n" ] || [ "$n" = 0 ]; then
		echo "reader-cpu: $bin delivered no events (streaming options only; --summary prints no event count):" >&2
		cat "$TMP/err" >&2
		exit 1
	fi
	awk -v n="$n" '{ printf "%.0f %d\n", ($1 + $2) * 1e9 / n, n }' "$TMP/time"
}
declare -a A B
for r in $(seq "$REPS"); do
	if [ $((r % 2)) = 1 ]; then a=$(run "$OLD"); b=$(run "$NEW"); else b=$(run "$NEW"); a=$(run "$OLD"); fi
	echo "rep $r: old ${a% *} ns/event (${a#* } events), new ${b% *} ns/event (${b#* } events)"
	A+=("${a% *}"); B+=("${b% *}")
done
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "median: old $(med "${A[@]}") ns/event, new $(med "${B[@]}") ns/event (${OPTS[*]}, $N drops, $REPS reps)"
