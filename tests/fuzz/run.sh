#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run libFuzzer targets one after the other, each for SECONDS from a scratch
# copy of its committed corpus (what a run adds stays under DIR, not in the
# tree). Fails at the end when a target crashed, leaked or timed out, naming
# it and its reproducer.
#   tests/fuzz/run.sh DIR SECONDS TARGET...     (DIR: build/fuzz, holding fuzz_TARGET)
# FUZZ_RUNS=N also stops a target after N executions (a campaign: see README.md).
set -u
dir=$1
secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
failed=""

# The largest input worth trying per target: a little above its largest
# real input (an ELF object is 200 KiB; a packet at most 256 bytes).
max_len() {
	case $1 in
	elf) echo 262144 ;; # the real object (200 KiB) is a seed too
	btf) echo 65536 ;;
	counters) echo 16384 ;;
	packet) echo 320 ;;
	perfring | ringbuf) echo 4120 ;; # 24 bytes of knobs and positions, a ring of 4 KiB
	tpformat | kallsyms) echo 8192 ;;
	http) echo 8200 ;; # a knob byte, then a whole request head (8 KiB)
	*) echo 4096 ;;
	esac
}

for t in "$@"; do
	bin=$dir/fuzz_$t
	work=$dir/run/$t
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	cp "$here/corpus/$t"/* "$work/corpus/" 2>/dev/null
	log=$work/log
	printf 'fuzz: %-9s %ss ... ' "$t" "$secs"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" >"$log" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 | sed 's/  */ /g')
	if [ $rc -ne 0 ]; then
		repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		echo "FAILED (exit $rc)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: oracle)' "$log" | head -n 3 | sed 's/^/  /'
		echo "  reproducer: ${repro:-none written}; log: $log"
		echo "  again: $bin ${repro:-}"
		failed="$failed $t"
	else
		echo "ok ($stats; corpus $(find "$work/corpus" -type f | wc -l) files)"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed" >&2
	exit 1
fi
