#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# --summary exactness at full speed: two generators (one per CPU) make exactly 2 x N nft drops in a fresh
# namespace while `skbdrop --summary` counts them in the kernel; prints generated vs counted and the rates.
# Usage: bench/summary-exact.sh [BUILD] [N per CPU, default 9000000]   (root; about 10 s on 2 vCPUs)
set -u
BUILD=${1:-build}; N=${2:-9000000}
SK=$(readlink -f "$BUILD/skbdrop"); GEN=$(readlink -f "$BUILD/bench/dropgen")
NS=skbdx$$; TMP=$(mktemp -d /tmp/skbdrop-sx.XXXXXX); SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
[ -x "$SK" ] && [ -x "$GEN" ] || { echo "summary-exact: build $BUILD/skbdrop and $BUILD/bench/dropgen first" >&2; exit 1; }
ip netns add "$NS" && ip -n "$NS" link set lo up &&
	echo 'table inet sx { chain in { type filter hook input priority 0; udp dport 7777 drop; }; }' | ip netns exec "$NS" nft -f - ||
	{ echo "summary-exact: namespace setup failed" >&2; exit 1; }
"$SK" --summary 1 -o json --netns "$NS" --by reason >"$TMP/sum.json" 2>"$TMP/sum.err" & SPID=$!
for _ in $(seq 100); do grep -q '^skbdrop: tracing' "$TMP/sum.err" 2>/dev/null && break; sleep 0.1; done
t0=$(date +%s.%N)
ip netns exec "$NS" "$GEN" -C 0 -t 60 -k send "$N" 127.0.0.1 7777 >"$TMP/g0" 2>&1 & g0=$!
ip netns exec "$NS" "$GEN" -C 1 -t 60 -k send "$N" 127.0.0.1 7777 >"$TMP/g1" 2>&1 & g1=$!
wait $g0 $g1; t1=$(date +%s.%N)
sleep 2.5; kill -INT "$SPID"; wait "$SPID"; SPID=
gen=$(( $(sed -nE 's/.* drops ([0-9]+) in .*/\1/p' "$TMP/g0") + $(sed -nE 's/.* drops ([0-9]+) in .*/\1/p' "$TMP/g1") ))
counted=$(tail -n 1 "$TMP/sum.json" | jq '[.rows[] | .total] | add // 0')
secs=$(echo "$t1 - $t0" | bc)
echo "summary-exact: generated $gen drops in $secs s ($(echo "$gen / $secs" | bc) drops/s), skbdrop counted $counted"
echo "summary-exact: per-interval rates (drops/s): $(jq -r '.rate | floor' "$TMP/sum.json" | tr '\n' ' ')"
tail -n 1 "$TMP/sum.err"
[ "$gen" = "$counted" ]
