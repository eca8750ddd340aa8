#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the kernel-matrix guest: an uncompressed newc cpio with busybox, the static skbdrop, a static udp_sender,
# iproute2's ip (as ipr: busybox ash would pick its own ip applet) and nft with their libraries, the kernel's
# network modules with their dependency closure, the guest test as /test.sh, and an /init that runs it.
# Usage: mkinitramfs.sh KERNEL_CACHE_DIR OUT_CPIO
#   KERNEL_CACHE_DIR is CACHE/<suite> (CACHE/arm64/<suite>) of fetch-kernels.sh (its info file names the kernel
#   and its architecture).
#   env: KMATRIX_BUILD (default <repo>/build: skbdrop is taken from there, BUILD/arm64/skbdrop for arm64;
#        udp_sender and sockhold are built into its kmatrix/, kmatrix/arm64/ for arm64),
#        KMATRIX_MODULES (extra modules), KMATRIX_EXTRA_BINS (extra host executables, copied with their libraries;
#        amd64 only), KMATRIX_SYSROOT (arm64: fetch-userland.sh's DIR/sysroot, where busybox, ip, tc, nft and
#        their libraries come from; the host's own serve amd64)
# LATE_MODULES are shipped but not loaded at boot: the guest test loads them after skbdrop started.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${KMATRIX_BUILD:-$REPO/build}
# nft_counter is a module on 5.10 only; nf_tables_inet was merged into nf_tables long before 5.10
# inet_diag, tcp_diag, udp_diag: sock_diag, which finds a drop's socket by address before 6.11 (on a host the
# kernel loads them on the first request)
MODULES="veth nf_tables nft_reject nft_reject_inet nf_reject_ipv4 nf_reject_ipv6 nft_counter nf_tables_inet
inet_diag tcp_diag udp_diag sch_tbf
${KMATRIX_MODULES:-}"
# bridge: drops in its own code (br_handle_frame, a port in the disabled state) name a module loaded late
# openvswitch: its drop reasons (6.4+) are named in its own BTF, read while it is loaded (loaded
# for that check and removed again)
LATE_MODULES="bridge openvswitch"
WATCHDOG=150

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || { echo "usage: mkinitramfs.sh KERNEL_CACHE_DIR OUT_CPIO" >&2; exit 2; }
KDIR=$1 OUT=$2
[ -f "$KDIR/info" ] || die "$KDIR/info missing (run fetch-kernels.sh first)"
VER=$(sed -n 's/^version=//p' "$KDIR/info")
ARCH=$(sed -n 's/^arch=//p' "$KDIR/info")
ARCH=${ARCH:-amd64}
MODDIR=$(sed -n 's/^modules=//p' "$KDIR/info")
{ [ -n "$VER" ] && [ -d "$MODDIR" ]; } || die "$KDIR/info: no version or modules directory"

# per architecture: where skbdrop, busybox, ip, tc and nft come from, the compiler of the static helpers, and
# the ELF machine every guest executable must have
case "$ARCH" in
amd64)	SKBDROP=$BUILD/skbdrop HELPERS=$BUILD/kmatrix CC_STATIC=gcc MACHINE="X86-64" SYSROOT=""
	BUSYBOX=/bin/busybox IPBIN=$(command -v ip) TCBIN=$(command -v tc) NFTBIN=$(command -v nft) ;;
arm64)	SKBDROP=$BUILD/arm64/skbdrop HELPERS=$BUILD/kmatrix/arm64 CC_STATIC=aarch64-linux-gnu-gcc MACHINE=AArch64
	SYSROOT=${KMATRIX_SYSROOT:-}
	[ -n "$SYSROOT" ] && [ -d "$SYSROOT" ] || die "arm64: KMATRIX_SYSROOT (fetch-userland.sh's sysroot) missing"
	BUSYBOX=$SYSROOT/bin/busybox IPBIN=$SYSROOT/bin/ip TCBIN=$SYSROOT/sbin/tc NFTBIN=$SYSROOT/usr/sbin/nft
	TRIPLET=aarch64-linux-gnu ;;
*)	die "$KDIR/info: unknown architecture $ARCH" ;;
esac
is_static() { ! readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'; }
# is_arch FILE: an ELF executable for the guest's machine
is_arch() { readelf -h "$1" 2>/dev/null | grep -q "^ *Machine: .*$MACHINE"; }
[ -x "$SKBDROP" ] || die "$SKBDROP missing (run make${SYSROOT:+ ARCH=$ARCH} first)"
is_arch "$SKBDROP" || die "$SKBDROP is not an $ARCH ($MACHINE) executable"
is_static "$SKBDROP" || die "$SKBDROP is not statically linked"
{ [ -x "$BUSYBOX" ] && is_static "$BUSYBOX"; } || die "$BUSYBOX is not a static busybox (install busybox-static)"
for t in cpio depmod modinfo xz zstd "$CC_STATIC" readelf ldd; do
	command -v $t >/dev/null || die "$t not found (tests/kmatrix/install-qemu.sh installs the tools)"
done

# udp_sender and sockhold, static, shared by every kernel's initramfs of the architecture
SENDER=$HELPERS/udp_sender
HOLD=$HELPERS/sockhold
mkdir -p "$HELPERS"
for h in udp_sender sockhold; do
	if [ ! -x "$HELPERS/$h" ] || [ "$REPO/tests/e2e/$h.c" -nt "$HELPERS/$h" ]; then
		"$CC_STATIC" -static -O2 -Wall -o "$HELPERS/$h.tmp" "$REPO/tests/e2e/$h.c" || die "cannot build static $h"
		mv "$HELPERS/$h.tmp" "$HELPERS/$h"
	fi
	is_arch "$HELPERS/$h" || die "$HELPERS/$h is not an $ARCH executable"
done

ROOT=$OUT.root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,run,tmp,root}
# merged /usr, as on the host, so that ldd's paths land where the loader looks
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"
# the kernel opens /dev/console before /init runs, before devtmpfs is mounted
mknod "$ROOT/dev/console" c 5 1
mknod "$ROOT/dev/null" c 1 3

# copy a host executable to DEST in the guest, with every library ldd names (the loader included)
copy_host() {
	local src=$1 dest=$2 lib
	install -D -m 0755 "$src" "$ROOT$dest"
	while read -r lib; do
		[ -e "$ROOT$lib" ] && continue
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$lib" "$ROOT$lib"
	done < <(ldd "$src" | sed -n -e 's/.*=> \(\/[^ ]*\) .*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) .*/\1/p')
}

# sysroot_file PATH: the file PATH names inside SYSROOT, its symlinks followed there (absolute ones too)
sysroot_file() {
	local p=$1 t n=0
	while [ -L "$SYSROOT$p" ] && [ $n -lt 40 ]; do
		t=$(readlink "$SYSROOT$p")
		case "$t" in /*) p=$t ;; *) p=$(dirname "$p")/$t ;; esac
		n=$((n + 1))
	done
	[ -f "$SYSROOT$p" ] && echo "$SYSROOT$p"
}

# copy an executable of SYSROOT (no ldd for another architecture) to DEST in the guest, with its loader
# (PT_INTERP) and the libraries its DT_NEEDED entries name, recursively, looked up in the sysroot's
# library directories and placed in the guest's /usr/lib/TRIPLET (= /lib/TRIPLET)
copy_sysroot() {
	local src=$1 dest=$2 interp f name found d
	local -a queue
	install -D -m 0755 "$src" "$ROOT$dest"
	interp=$(readelf -l "$src" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
	if [ -n "$interp" ] && [ ! -e "$ROOT$interp" ]; then
		f=$(sysroot_file "$interp") || die "$src: loader $interp not in $SYSROOT"
		install -D -m 0755 "$f" "$ROOT$interp"
	fi
	queue=("$src")
	while [ ${#queue[@]} -gt 0 ]; do
		f=${queue[0]}
		queue=("${queue[@]:1}")
		for name in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p'); do
			[ -e "$ROOT/usr/lib/$TRIPLET/$name" ] && continue
			found=""
			for d in /lib/$TRIPLET /usr/lib/$TRIPLET /lib /usr/lib; do
				found=$(sysroot_file "$d/$name") && break
			done
			[ -n "$found" ] || die "$f needs $name, not in $SYSROOT (fetch-userland.sh's package list)"
			is_arch "$found" || die "$found is not an $ARCH library"
			install -D -m 0644 "$found" "$ROOT/usr/lib/$TRIPLET/$name"
			queue+=("$found")
		done
	done
}

copy_dynamic() {
	if [ -n "$SYSROOT" ]; then copy_sysroot "$@"; else copy_host "$@"; fi
}

install -m 0755 "$BUSYBOX" "$ROOT/bin/busybox"
install -m 0755 "$SKBDROP" "$ROOT/usr/bin/skbdrop"
install -m 0755 "$SENDER" "$ROOT/usr/bin/udp_sender"
install -m 0755 "$HOLD" "$ROOT/usr/bin/sockhold"
# iproute2's ip reads its argv[0]: a name "ipX" means "ip X" (ipr would be "ip route"), so the binary keeps
# the name ip and /usr/sbin/ipr is a wrapper
copy_dynamic "$IPBIN" /usr/lib/kmatrix/ip
printf '#!/bin/sh\nexec /usr/lib/kmatrix/ip "$@"\n' >"$ROOT/usr/sbin/ipr"
chmod 0755 "$ROOT/usr/sbin/ipr"
copy_dynamic "$NFTBIN" /usr/sbin/nft
# busybox ash runs its own tc applet first: iproute2's tc under another name
copy_dynamic "$TCBIN" /usr/lib/kmatrix/tc
printf '#!/bin/sh\nexec /usr/lib/kmatrix/tc "$@"\n' >"$ROOT/usr/sbin/tcr"
chmod 0755 "$ROOT/usr/sbin/tcr"
[ -z "$SYSROOT" ] && for b in ${KMATRIX_EXTRA_BINS:-}; do copy_dynamic "$b" "$b"; done
[ -d "$SYSROOT/etc/iproute2" ] && cp -a "$SYSROOT/etc/iproute2" "$ROOT/etc/"
# the busybox applets, as `busybox --install -s` would make them; never over a real file. A foreign busybox
# cannot run here: /init installs its applets in the guest (busybox skips the names that exist)
if [ -z "$SYSROOT" ]; then
	while read -r a; do
		[ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] || ln -s /bin/busybox "$ROOT/$a"
	done < <("$BUSYBOX" --list-full)
fi
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"

# modules: the wanted ones and what their `depends` name, decompressed (6.12+ ships .ko.xz), then depmod
GMOD=$ROOT/lib/modules/$VER
mkdir -p "$GMOD"
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$GMOD/"
done
declare -A index seen
while read -r rel; do
	b=${rel##*/}
	b=${b%%.ko*}
	index[${b//-/_}]=$rel
done < <(cd "$MODDIR" && find kernel -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
[ ${#index[@]} -gt 0 ] || die "no modules under $MODDIR/kernel"
builtin=$(sed -e 's,.*/,,' -e 's,\.ko.*,,' -e 's,-,_,g' "$MODDIR/modules.builtin" 2>/dev/null || true)
read -r -d "" -a queue <<<"$MODULES $LATE_MODULES" || true
loaded="" missing=""
while [ ${#queue[@]} -gt 0 ]; do
	m=${queue[0]//-/_}
	queue=("${queue[@]:1}")
	[ -n "${seen[$m]:-}" ] && continue
	seen[$m]=1
	rel=${index[$m]:-}
	if [ -z "$rel" ]; then
		grep -qx "$m" <<<"$builtin" || missing="$missing $m"
		continue
	fi
	dest=$GMOD/${rel%.ko*}.ko
	mkdir -p "$(dirname "$dest")"
	case "$rel" in
	*.ko.xz) xz -dc "$MODDIR/$rel" >"$dest" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$rel" >"$dest" ;;
	*.ko.gz) gzip -dc "$MODDIR/$rel" >"$dest" ;;
	*) cp "$MODDIR/$rel" "$dest" ;;
	esac
	loaded="$loaded $m"
	for d in $(modinfo -F depends "$dest" | tr ',' ' '); do queue+=("$d"); done
done
depmod -b "$ROOT" "$VER" || die "depmod -b $ROOT $VER failed"
# the guest modprobes the wanted modules that are modules here (the rest are built in or absent)
: >"$ROOT/etc/kmatrix-modules"
for m in $MODULES; do
	m=${m//-/_}
	[ -n "${index[$m]:-}" ] && echo "$m" >>"$ROOT/etc/kmatrix-modules"
done
# what the guest test expects of the kernel, from its config: BPF trampolines on kernel functions (fentry)
# need CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS (x86-64 from 5.5, arm64 from 6.4)
kconfig=""
for f in "$KDIR/tree/boot/config-$VER" "$MODDIR/config"; do
	[ -f "$f" ] && { kconfig=$f; break; }
done
[ -n "$kconfig" ] || die "no kernel config for $VER (boot/config-$VER or config beside the modules)"
grep -E '^CONFIG_(DYNAMIC_FTRACE_WITH_DIRECT_CALLS|DEBUG_INFO_BTF|BPF_JIT|KPROBES)=' "$kconfig" \
	>"$ROOT/etc/kmatrix-kconfig" || true
: >"$ROOT/etc/kmatrix-late-modules"
for m in $LATE_MODULES; do
	[ -n "${index[$m]:-}" ] && echo "$m" >>"$ROOT/etc/kmatrix-late-modules"
done

if [ -f "$HERE/guest-test.sh" ]; then
	install -m 0755 "$HERE/guest-test.sh" "$ROOT/test.sh"
else
	cat >"$ROOT/test.sh" <<'EOF'
#!/bin/sh
# stub until tests/kmatrix/guest-test.sh exists
echo "ok 1 - stub"
echo "# kmatrix: 1 passed, 0 failed"
EOF
	chmod 0755 "$ROOT/test.sh"
fi

cat >"$ROOT/init" <<EOF
#!/bin/busybox sh
# kernel-matrix guest init: mount, load modules, run /test.sh under a watchdog, power off
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
/bin/busybox mount -t proc proc /proc
# a foreign architecture's applets (see above): busybox ash runs only applets that have a link
[ -e /sbin/modprobe ] || /bin/busybox --install -s
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/netns /sys/kernel/tracing
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || echo "# kmatrix: cannot mount tracefs"
for m in \$(cat /etc/kmatrix-modules); do
	modprobe "\$m" || echo "# kmatrix: modprobe \$m failed"
done
ipr link set lo up
echo "KMATRIX-KERNEL \$(uname -r)"
timeout $WATCHDOG /test.sh
rc=\$?
case \$rc in
0) ;;
124|137|143) echo "not ok - kmatrix: /test.sh stopped by the ${WATCHDOG} s watchdog (status \$rc)" ;;
*) echo "not ok - kmatrix: /test.sh exited with status \$rc" ;;
esac
echo KMATRIX-END
sync
poweroff -f
sleep 10
EOF
chmod 0755 "$ROOT/init"

(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$OUT.tmp" ||
	die "cpio failed"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: $OUT ($ARCH $VER, $(($(stat -c %s "$OUT") / 1024)) KiB, modules:$loaded${missing:+; not found:$missing})"
