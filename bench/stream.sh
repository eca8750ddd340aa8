#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Streaming bench: exact-count drops at full speed on CPU 0 (nft prerouting
# drop on loopback in a namespace this script creates), skbdrop on CPU 1 in
# each output mode, side by side in one run; median of REPS runs.
# Usage: bench/stream.sh [BUILD] [COUNT] [REPS]    prints a markdown table
set -eu
BUILD=${1:-build}; COUNT=${2:-3000000}; REPS=${3:-3}
SKBDROP=$(readlink -f "$BUILD/skbdrop"); GEN=$(readlink -f "$BUILD/bench/dropgen")
NS=skbdbench$$; TMP=$(mktemp -d /tmp/skbdrop-bench.XXXXXX)
TP=
cleanup() { [ -n "$TP" ] && kill -KILL "$TP" 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
ip netns add "$NS"; ip -n "$NS" link set lo up
ip netns exec "$NS" nft -f - <<NFT
table ip bench {
	chain pre {
		type filter hook prerouting priority -300;
		udp dport 9 drop
	}
}
NFT
gen() { ip netns exec "$NS" taskset -c 0 "$GEN" "$COUNT" 127.0.0.1 9 60 | awk '{print $6}' | tr -d '(/s)'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A rate delivered lost
modes=("none" "text>file" "json>file" "--no-output" "--count-only")
for rep in $(seq "$REPS"); do
	for m in "${modes[@]}"; do
		if [ "$m" = none ]; then
			rate[$m]+="$(gen) "; continue
		fi
		case $m in
		"text>file") args=() ;;
		"json>file") args=(-o json) ;;
		*) args=("$m") ;;
		esac
		taskset -c 1 "$SKBDROP" "${args[@]}" >"$TMP/out" 2>"$TMP/err" & TP=$!
		for _ in $(seq 100); do grep -q '^skbdrop: tracing' "$TMP/err" && break; sleep 0.05; done
		rate[$m]+="$(gen) "
		sleep 0.3; kill -INT "$TP"; wait "$TP"; TP=
		# only our generator's drops: the host may drop other packets meanwhile
		d=$(sed -n 's/^skbdrop: \([0-9]*\) events delivered, \([0-9]*\) lost.*/\1 \2/p' "$TMP/err")
		delivered[$m]+="${d% *} "; lost[$m]+="${d#* } "
		rm -f "$TMP/out"
	done
done
base=$(echo ${rate[none]} | tr ' ' '\n' | median)
echo "| mode | drops/s (median of $REPS) | ratio to no tracer | events delivered | events lost |"
echo "|---|---|---|---|---|"
for m in "${modes[@]}"; do
	r=$(echo ${rate[$m]} | tr ' ' '\n' | median)
	if [ "$m" = none ]; then echo "| no tracer | $r | 1.00 | - | - |"; continue; fi
	echo "| skbdrop $m | $r | $(awk -v a="$r" -v b="$base" 'BEGIN{printf "%.2f", a/b}') | $(echo ${delivered[$m]} | tr ' ' '/') | $(echo ${lost[$m]} | tr ' ' '/') |"
done
echo
echo "$COUNT drops per run; kernel $(uname -r); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
