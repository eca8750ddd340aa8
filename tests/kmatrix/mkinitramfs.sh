#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the kernel-matrix guest: an uncompressed newc cpio with busybox, the static skbdrop, a static udp_sender,
# iproute2's ip (as ipr: busybox ash would pick its own ip applet) and nft with their libraries, the kernel's
# network modules with their dependency closure, the guest test as /test.sh, and an /init that runs it.
# Usage: mkinitramfs.sh KERNEL_CACHE_DIR OUT_CPIO
#   KERNEL_CACHE_DIR is CACHE/<suite> of fetch-kernels.sh (its info file names the kernel).
#   env: KMATRIX_BUILD (default <repo>/build: skbdrop is taken from there, udp_sender built into its kmatrix/),
#        KMATRIX_MODULES (extra modules), KMATRIX_EXTRA_BINS (extra host executables, copied with their libraries)
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
BUSYBOX=/bin/busybox
WATCHDOG=150

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || { echo "usage: mkinitramfs.sh KERNEL_CACHE_DIR OUT_CPIO" >&2; exit 2; }
KDIR=$1 OUT=$2
[ -f "$KDIR/info" ] || die "$KDIR/info missing (run fetch-kernels.sh first)"
VER=$(sed -n 's/^version=//p' "$KDIR/info")
MODDIR=$(sed -n 's/^modules=//p' "$KDIR/info")
{ [ -n "$VER" ] && [ -d "$MODDIR" ]; } || die "$KDIR/info: no version or modules directory"

is_static() { ! readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'; }
[ -x "$BUILD/skbdrop" ] || die "$BUILD/skbdrop missing (run make first)"
is_static "$BUILD/skbdrop" || die "$BUILD/skbdrop is not statically linked"
{ [ -x "$BUSYBOX" ] && is_static "$BUSYBOX"; } || die "$BUSYBOX is not a static busybox (install busybox-static)"
for t in cpio depmod modinfo xz zstd gcc readelf ldd; do
	command -v $t >/dev/null || die "$t not found (tests/kmatrix/install-qemu.sh installs the tools)"
done

# udp_sender and sockhold, static, shared by every kernel's initramfs
SENDER=$BUILD/kmatrix/udp_sender
HOLD=$BUILD/kmatrix/sockhold
mkdir -p "$BUILD/kmatrix"
for h in udp_sender sockhold; do
	if [ ! -x "$BUILD/kmatrix/$h" ] || [ "$REPO/tests/e2e/$h.c" -nt "$BUILD/kmatrix/$h" ]; then
		gcc -static -O2 -Wall -o "$BUILD/kmatrix/$h.tmp" "$REPO/tests/e2e/$h.c" || die "cannot build static $h"
		mv "$BUILD/kmatrix/$h.tmp" "$BUILD/kmatrix/$h"
	fi
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
copy_dynamic() {
	local src=$1 dest=$2 lib
	install -D -m 0755 "$src" "$ROOT$dest"
	while read -r lib; do
		[ -e "$ROOT$lib" ] && continue
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$lib" "$ROOT$lib"
	done < <(ldd "$src" | sed -n -e 's/.*=> \(\/[^ ]*\) .*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) .*/\1/p')
}

install -m 0755 "$BUSYBOX" "$ROOT/bin/busybox"
install -m 0755 "$BUILD/skbdrop" "$ROOT/usr/bin/skbdrop"
install -m 0755 "$SENDER" "$ROOT/usr/bin/udp_sender"
install -m 0755 "$HOLD" "$ROOT/usr/bin/sockhold"
# iproute2's ip reads its argv[0]: a name "ipX" means "ip X" (ipr would be "ip route"), so the binary keeps
# the name ip and /usr/sbin/ipr is a wrapper
copy_dynamic "$(command -v ip)" /usr/lib/kmatrix/ip
printf '#!/bin/sh\nexec /usr/lib/kmatrix/ip "$@"\n' >"$ROOT/usr/sbin/ipr"
chmod 0755 "$ROOT/usr/sbin/ipr"
copy_dynamic "$(command -v nft)" /usr/sbin/nft
# busybox ash runs its own tc applet first: iproute2's tc under another name
copy_dynamic "$(command -v tc)" /usr/lib/kmatrix/tc
printf '#!/bin/sh\nexec /usr/lib/kmatrix/tc "$@"\n' >"$ROOT/usr/sbin/tcr"
chmod 0755 "$ROOT/usr/sbin/tcr"
for b in ${KMATRIX_EXTRA_BINS:-}; do copy_dynamic "$b" "$b"; done
[ -d /etc/iproute2 ] && cp -a /etc/iproute2 "$ROOT/etc/"
# the busybox applets, as `busybox --install -s` would make them; never over a real file
while read -r a; do
	[ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] || ln -s /bin/busybox "$ROOT/$a"
done < <("$BUSYBOX" --list-full)
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
mount -t proc proc /proc
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
echo "mkinitramfs: $OUT ($VER, $(($(stat -c %s "$OUT") / 1024)) KiB, modules:$loaded${missing:+; not found:$missing})"
