#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Kernel matrix: boot the same static skbdrop on Debian's cloud kernels (5.10 to 7.x) under QEMU (TCG), run the
# guest test in each, and report per kernel. Exit 1 if any kernel fails.
# Usage: run.sh [BUILD_DIR]   (default build; BUILD_DIR/skbdrop must exist)
#   env: KMATRIX_CACHE (kernels, default /var/cache/skbdrop-kmatrix), KMATRIX_SUITES, KMATRIX_JOBS (2), KMATRIX_DUMP (1: the guests print their counter files and formats),
#        KMATRIX_TIMEOUT (host-side limit per VM, seconds, 240)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${1:-$REPO/build}
CACHE=${KMATRIX_CACHE:-/var/cache/skbdrop-kmatrix}
export KMATRIX_SUITES=${KMATRIX_SUITES:-"bullseye bookworm bookworm-backports trixie sid"}
JOBS=${KMATRIX_JOBS:-2}
LIMIT=${KMATRIX_TIMEOUT:-240}

die() { echo "kmatrix: error: $*" >&2; exit 1; }

mkdir -p "$BUILD/kmatrix" || die "cannot create $BUILD/kmatrix"
BUILD=$(cd "$BUILD" && pwd)
OUT=$BUILD/kmatrix
[ -x "$BUILD/skbdrop" ] || die "$BUILD/skbdrop missing (run make first)"
T0=$(date +%s)

"$HERE/install-qemu.sh" || die "cannot install qemu and the initramfs tools"
"$HERE/fetch-kernels.sh" "$CACHE" || die "cannot fetch the kernels"
for s in $KMATRIX_SUITES; do
	KMATRIX_BUILD=$BUILD "$HERE/mkinitramfs.sh" "$CACHE/$s" "$OUT/$s.cpio" || die "$s: cannot build the initramfs"
done

now_ms() { date +%s%3N; }

# boot SUITE: one VM, console to OUT/SUITE.log; OUT/SUITE.status gets rc, time and whether the limit hit
boot() {
	local s=$1 vmlinuz start qpid timedout=0 rc
	vmlinuz=$(sed -n 's/^vmlinuz=//p' "$CACHE/$s/info")
	start=$(now_ms)
	qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 512M -nographic -no-reboot -nic none \
		-kernel "$vmlinuz" -initrd "$OUT/$s.cpio" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=3${KMATRIX_DUMP:+ kmatrix_dump}" </dev/null >"$OUT/$s.log" 2>&1 &
	qpid=$!
	while kill -0 $qpid 2>/dev/null; do
		if [ $(($(now_ms) - start)) -ge $((LIMIT * 1000)) ]; then
			timedout=1
			kill -TERM $qpid 2>/dev/null || true
			sleep 2
			kill -KILL $qpid 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	rc=0
	wait $qpid || rc=$?
	printf 'rc=%s\nms=%s\ntimedout=%s\n' $rc $(($(now_ms) - start)) $timedout >"$OUT/$s.status"
}

TB=$(now_ms)
running=0
for s in $KMATRIX_SUITES; do
	rm -f "$OUT/$s.status" "$OUT/$s.log"
	if [ $running -ge "$JOBS" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	running=$((running + 1))
	echo "kmatrix: booting $s ($(sed -n 's/^version=//p' "$CACHE/$s/info"))"
	boot "$s" &
done
wait
BOOT_S=$((($(now_ms) - TB + 500) / 1000))

failed=0
table="| kernel | result | passed | failed |
|---|---|---|---|"
for s in $KMATRIX_SUITES; do
	log=$OUT/$s.log
	clean=$(tr -d '\r' <"$log" 2>/dev/null || true)
	want=$(sed -n 's/^version=//p' "$CACHE/$s/info")
	got=$(sed -n 's/.*KMATRIX-KERNEL \([^ ]*\).*/\1/p' <<<"$clean" | head -n 1)
	ms=$(sed -n 's/^ms=//p' "$OUT/$s.status" 2>/dev/null || echo 0)
	summary=$(grep -o '# kmatrix: [0-9]* passed, [0-9]* failed' <<<"$clean" | tail -n 1 || true)
	np=$(sed -n 's/# kmatrix: \([0-9]*\) passed.*/\1/p' <<<"$summary")
	nf=$(sed -n 's/.* \([0-9]*\) failed/\1/p' <<<"$summary")
	why=""
	grep -q '^timedout=1' "$OUT/$s.status" 2>/dev/null && why="$why; killed after ${LIMIT} s"
	grep -q 'Kernel panic' <<<"$clean" && why="$why; kernel panic"
	grep -q 'KMATRIX-END' <<<"$clean" || why="$why; no KMATRIX-END"
	[ "$got" = "$want" ] || why="$why; booted kernel '${got:-none}', expected $want"
	[ -n "$summary" ] || why="$why; no '# kmatrix: N passed, M failed' line"
	[ -n "$summary" ] && [ "$np" -eq 0 ] && why="$why; no test passed"
	[ -n "$summary" ] && [ "$nf" -ne 0 ] && why="$why; $nf failed"
	grep -q '^not ok' <<<"$clean" && [ -z "$why" ] && why="; a 'not ok' line"
	if [ -z "$why" ]; then res=PASS; else res=FAIL; failed=$((failed + 1)); fi
	printf 'kmatrix: %-18s %-28s %3s passed %3s failed %6.1f s  %s%s\n' "$s" "${got:-$want}" "${np:--}" \
		"${nf:--}" "$(awk "BEGIN { print $ms / 1000 }")" "$res" "${why:+ (${why#; })}"
	if [ $res = FAIL ]; then
		# each failed check with the comment lines that explain it
		awk '/^not ok/ { show = 1; print "    " $0; next }
		     show && /^# / && !/^# kmatrix:/ { print "    " $0; next } { show = 0 }' <<<"$clean"
		echo "    (console log: $log)"
	fi
	table="$table
| $want ($s) | $res | ${np:--} | ${nf:--} |"
done

echo "$table" | tee "$OUT/summary.md"
echo "kmatrix: $(wc -w <<<"$KMATRIX_SUITES") kernels, $failed failed; VMs ${BOOT_S} s, total $(($(date +%s) - T0)) s ($JOBS at a time)"
[ $failed -eq 0 ]
