#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `make bench`: install the comparison tools if missing (bpftrace, perf, gnuplot), then run the harness
# (bench/harness.py). Results: bench/results/RESULTS.md, ratio.png, ratio.svg.
# Usage: bench/run.sh [BUILD] [harness options: --count N --reps N --slow-count N --quick]
set -eu
BUILD=${1:-build}; [ $# -gt 0 ] && shift
HERE=$(cd "$(dirname "$0")" && pwd)
NS=skbdbench$$
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
[ -x "$BUILD/skbdrop" ] && [ -x "$BUILD/bench/dropgen" ] || { echo "bench: build first (make all $BUILD/bench/dropgen)" >&2; exit 1; }

# the harness deletes its namespaces itself; this is the backstop if it is killed
cleanup() { ip netns del "$NS" 2>/dev/null || true; ip netns del "$NS-b" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# optional tools: a row whose tool cannot be installed is reported as "not installed"
missing=""
command -v bpftrace >/dev/null || missing="$missing bpftrace"
command -v perf >/dev/null || missing="$missing linux-perf"
command -v gnuplot >/dev/null || missing="$missing gnuplot-nox"
if [ -n "$missing" ]; then
	echo "bench: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	timeout 300 apt-get update -qq || true
	for p in $missing; do
		# shellcheck disable=SC2086
		timeout 300 apt-get install -y -qq --no-install-recommends "$p" >/dev/null ||
			echo "bench: $p not installable; its rows will say 'not installed'" >&2
	done
fi
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" "$HERE/harness.py" --build "$BUILD" --ns "$NS" --cmdline "${BENCH_CMDLINE:-bench/run.sh $BUILD $*}" "$@"
