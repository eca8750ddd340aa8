#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Kernel matrix: boot the same static skbdrop on Debian's cloud kernels (5.10 to 7.x) under QEMU (TCG), x86-64
# and arm64, run the guest test in each, and report per kernel. Exit 1 if any kernel fails.
# Usage: run.sh [BUILD_DIR]   (default build; BUILD_DIR/skbdrop for amd64 and BUILD_DIR/arm64/skbdrop for arm64
#   must exist: an architecture asked for without its binary is an error, never skipped)
#   env: KMATRIX_ARCHES (default "amd64 arm64"), KMATRIX_CACHE (kernels, default /var/cache/skbdrop-kmatrix;
#        arm64's under its arm64/), KMATRIX_SUITES (amd64's), KMATRIX_ARM64_SUITES (arm64's), KMATRIX_JOBS (VMs at
#        a time, 2), KMATRIX_DUMP (1: the guests print their counter files and formats), KMATRIX_TIMEOUT
#        (host-side limit per VM, seconds, 240)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${1:-$REPO/build}
CACHE=${KMATRIX_CACHE:-/var/cache/skbdrop-kmatrix}
ARCHES=${KMATRIX_ARCHES:-"amd64 arm64"}
# shellcheck disable=SC2034 # read through ${!v}
SUITES_amd64=${KMATRIX_SUITES:-"bullseye bookworm bookworm-backports trixie sid"}
# bullseye's arm64 5.10 is left out: its tracepoint gives every drop the location kfree_skb+0x2c (the stacks
# are right), so no check by location can pass there
# shellcheck disable=SC2034
SUITES_arm64=${KMATRIX_ARM64_SUITES:-"bookworm trixie sid"}
JOBS=${KMATRIX_JOBS:-2}
LIMIT=${KMATRIX_TIMEOUT:-240}

die() { echo "kmatrix: error: $*" >&2; exit 1; }

mkdir -p "$BUILD/kmatrix" || die "cannot create $BUILD/kmatrix"
BUILD=$(cd "$BUILD" && pwd)
OUT=$BUILD/kmatrix
[ -n "$ARCHES" ] || die "KMATRIX_ARCHES is empty"
for a in $ARCHES; do
	case "$a" in
	amd64) [ -x "$BUILD/skbdrop" ] || die "$BUILD/skbdrop missing (run make first)" ;;
	arm64) [ -x "$BUILD/arm64/skbdrop" ] ||
		die "$BUILD/arm64/skbdrop missing (run make ARCH=arm64 first, or leave arm64 out of KMATRIX_ARCHES)" ;;
	*) die "KMATRIX_ARCHES: unknown architecture $a (amd64, arm64)" ;;
	esac
done
T0=$(date +%s)

# the VMs to boot, as ARCH/SUITE; each one's files are OUT/NAME.* with NAME the suite for amd64 (as before
# there was arm64) and arm64-SUITE for arm64; its kernel is in kdir
VMS=""
for a in $ARCHES; do
	v=SUITES_$a
	for s in ${!v}; do VMS="$VMS $a/$s"; done
done
name() { case "$1" in amd64/*) echo "${1#*/}" ;; *) echo "${1%%/*}-${1#*/}" ;; esac; }
kdir() { case "$1" in amd64/*) echo "$CACHE/${1#*/}" ;; *) echo "$CACHE/${1%%/*}/${1#*/}" ;; esac; }

"$HERE/install-qemu.sh" $ARCHES || die "cannot install qemu and the initramfs tools"
for a in $ARCHES; do
	v=SUITES_$a
	KMATRIX_SUITES=${!v} "$HERE/fetch-kernels.sh" --arch "$a" "$CACHE" || die "cannot fetch the $a kernels"
done
case " $ARCHES " in
*" arm64 "*) "$HERE/fetch-userland.sh" arm64 "$CACHE/arm64/userland" || die "cannot fetch the arm64 userland" ;;
esac
for vm in $VMS; do
	sysroot=""
	case "$vm" in arm64/*) sysroot=$CACHE/arm64/userland/sysroot ;; esac
	KMATRIX_BUILD=$BUILD KMATRIX_SYSROOT=$sysroot "$HERE/mkinitramfs.sh" "$(kdir "$vm")" "$OUT/$(name "$vm").cpio" ||
		die "$vm: cannot build the initramfs"
done

now_ms() { date +%s%3N; }

# boot ARCH/SUITE: one VM, console to OUT/NAME.log; OUT/NAME.status gets rc, time and whether the limit hit
boot() {
	local vm=$1 n k vmlinuz start qpid timedout=0 rc
	local -a qemu
	n=$(name "$vm") k=$(kdir "$vm")
	vmlinuz=$(sed -n 's/^vmlinuz=//p' "$k/info")
	# -append's extras: loglevel 3 keeps the console to errors; kmatrix_dump asks the guest for its files
	local extra="panic=-1 oops=panic loglevel=3${KMATRIX_DUMP:+ kmatrix_dump}"
	case "$vm" in
	amd64/*) qemu=(qemu-system-x86_64 -accel tcg -cpu max -append "console=ttyS0 $extra") ;;
	# the virt board's PL011 UART is ttyAMA0; QEMU loads Debian's Image as it is (a gzip'd one too).
	# (-cpu max,pauth-impdef=on, cheaper pointer authentication, made no difference: 69-70 s for 7.2 both ways)
	arm64/*) qemu=(qemu-system-aarch64 -machine virt -accel tcg -cpu max -append "console=ttyAMA0 $extra") ;;
	esac
	start=$(now_ms)
	"${qemu[@]}" -smp 1 -m 512M -nographic -no-reboot -nic none -kernel "$vmlinuz" -initrd "$OUT/$n.cpio" \
		</dev/null >"$OUT/$n.log" 2>&1 &
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
	printf 'rc=%s\nms=%s\ntimedout=%s\n' $rc $(($(now_ms) - start)) $timedout >"$OUT/$n.status"
}

TB=$(now_ms)
running=0
for vm in $VMS; do
	n=$(name "$vm")
	rm -f "$OUT/$n.status" "$OUT/$n.log"
	if [ $running -ge "$JOBS" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	running=$((running + 1))
	echo "kmatrix: booting ${vm%%/*} ${vm#*/} ($(sed -n 's/^version=//p' "$(kdir "$vm")/info"))"
	boot "$vm" &
done
wait
BOOT_S=$((($(now_ms) - TB + 500) / 1000))

failed=0
table="| kernel | arch | result | passed | failed | seconds |
|---|---|---|---|---|---|"
for vm in $VMS; do
	s=${vm#*/} a=${vm%%/*} n=$(name "$vm")
	log=$OUT/$n.log
	clean=$(tr -d '\r' <"$log" 2>/dev/null || true)
	want=$(sed -n 's/^version=//p' "$(kdir "$vm")/info")
	got=$(sed -n 's/.*KMATRIX-KERNEL \([^ ]*\).*/\1/p' <<<"$clean" | head -n 1)
	ms=$(sed -n 's/^ms=//p' "$OUT/$n.status" 2>/dev/null || echo 0)
	summary=$(grep -o '# kmatrix: [0-9]* passed, [0-9]* failed' <<<"$clean" | tail -n 1 || true)
	np=$(sed -n 's/# kmatrix: \([0-9]*\) passed.*/\1/p' <<<"$summary")
	nf=$(sed -n 's/.* \([0-9]*\) failed/\1/p' <<<"$summary")
	why=""
	grep -q '^timedout=1' "$OUT/$n.status" 2>/dev/null && why="$why; killed after ${LIMIT} s"
	grep -q 'Kernel panic' <<<"$clean" && why="$why; kernel panic"
	grep -q 'KMATRIX-END' <<<"$clean" || why="$why; no KMATRIX-END"
	[ "$got" = "$want" ] || why="$why; booted kernel '${got:-none}', expected $want"
	[ -n "$summary" ] || why="$why; no '# kmatrix: N passed, M failed' line"
	[ -n "$summary" ] && [ "$np" -eq 0 ] && why="$why; no test passed"
	[ -n "$summary" ] && [ "$nf" -ne 0 ] && why="$why; $nf failed"
	grep -q '^not ok' <<<"$clean" && [ -z "$why" ] && why="; a 'not ok' line"
	if [ -z "$why" ]; then res=PASS; else res=FAIL; failed=$((failed + 1)); fi
	secs=$(awk "BEGIN { printf \"%.1f\", $ms / 1000 }")
	printf 'kmatrix: %-5s %-18s %-28s %3s passed %3s failed %6s s  %s%s\n' "$a" "$s" "${got:-$want}" "${np:--}" \
		"${nf:--}" "$secs" "$res" "${why:+ (${why#; })}"
	if [ $res = FAIL ]; then
		# each failed check with the comment lines that explain it
		awk '/^not ok/ { show = 1; print "    " $0; next }
		     show && /^# / && !/^# kmatrix:/ { print "    " $0; next } { show = 0 }' <<<"$clean"
		echo "    (console log: $log)"
	fi
	table="$table
| $want ($s) | $a | $res | ${np:--} | ${nf:--} | $secs |"
done

echo "$table" | tee "$OUT/summary.md"
echo "kmatrix: $(wc -w <<<"$VMS") kernels ($ARCHES), $failed failed; VMs ${BOOT_S} s, total $(($(date +%s) - T0)) s ($JOBS at a time)"
[ $failed -eq 0 ]
