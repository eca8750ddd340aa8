#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The streaming program's own time per run (kernel.bpf_stats_enabled) for two builds side by side: for each
# repetition and each binary (alternating), skbdrop streams -o json to /dev/null with --netns of a namespace of
# its own while dropgen makes N drops of KIND there (noport: no socket; rcvbuf: a full receive buffer, the drop
# has an owner). Prints one line per run and the medians.
# Usage: bench/bpf-cost.sh OLD_BINARY NEW_BINARY [KIND] [N] [REPS]
set -euo pipefail
OLD=$1 NEW=$2 KIND=${3:-rcvbuf} N=${4:-300000} REPS=${5:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
DROPGEN=${DROPGEN:-$HERE/../build/bench/dropgen}
NS=skbdbc$$
[ "$(id -u)" = 0 ] || { echo "bpf-cost: run as root" >&2; exit 1; }
[ -x "$DROPGEN" ] || { echo "bpf-cost: $DROPGEN missing (make build/bench/dropgen)" >&2; exit 1; }
command -v bpftool >/dev/null && command -v jq >/dev/null || { echo "bpf-cost: needs bpftool and jq" >&2; exit 1; }
TMP=$(mktemp -d)
was=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled=$was; ip netns del $NS 2>/dev/null || true; rm -rf "$TMP"' EXIT
ip netns add $NS && ip -n $NS link set lo up
sysctl -qw kernel.bpf_stats_enabled=1

stats() { bpftool prog show id "$1" -j | jq -r '"\(.run_time_ns) \(.run_cnt)"'; }
# run BINARY: prints ns per run
run() {
	local bin=$1 pid id b a i
	"$bin" -o json --netns $NS -d 60 >/dev/null 2>"$TMP/err" & pid=$!
	for i in $(seq 100); do grep -q tracing "$TMP/err" 2>/dev/null && break; sleep 0.05; done
	id=$(bpftool prog show -j | jq -r '.[] | select(.name=="skbd_kfree_skb") | .id' | tail -n 1)
	b=$(stats "$id")
	ip netns exec $NS "$DROPGEN" -C 0 -t 20 -k "$KIND" "$N" 127.0.0.1 9 >/dev/null
	a=$(stats "$id")
	kill -INT $pid; wait $pid || true
	echo "$b $a" | awk '{ printf "%.0f\n", ($3 - $1) / ($4 - $2) }'
}
declare -a A B
for r in $(seq "$REPS"); do
	if [ $((r % 2)) = 1 ]; then a=$(run "$OLD"); b=$(run "$NEW"); else b=$(run "$NEW"); a=$(run "$OLD"); fi
	echo "rep $r: old $a ns/run, new $b ns/run"
	A+=("$a"); B+=("$b")
done
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "median: old $(med "${A[@]}") ns/run, new $(med "${B[@]}") ns/run ($KIND, $N drops, $REPS reps)"
