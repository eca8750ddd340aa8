#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The guest userland of a foreign architecture (the host's own ip, tc, nft and busybox serve amd64): Debian's
# busybox-static, iproute2 and nftables for ARCH with the libraries they depend on, downloaded with
# apt-get download through a private apt configuration (/etc/apt untouched) and unpacked with dpkg -x into
# DIR/sysroot. DIR/info names the packages; a second run with the same versions downloads nothing.
# Usage: fetch-userland.sh ARCH DIR   (env: KMATRIX_USERLAND_SUITE, default bookworm; KMATRIX_MIRROR)
set -euo pipefail

SUITE=${KMATRIX_USERLAND_SUITE:-bookworm}
MIRROR=${KMATRIX_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
WANT="busybox-static iproute2 nftables"

die() { echo "fetch-userland: error: $*" >&2; exit 1; }
# shellcheck source=scripts/apt-private.sh
. "$(dirname "$0")/../../scripts/apt-private.sh"

[ $# -eq 2 ] || { echo "usage: fetch-userland.sh ARCH DIR" >&2; exit 2; }
ARCH=$1
mkdir -p "$2" || die "cannot create $2"
DIR=$(cd "$2" && pwd)

# the host's dpkg status is left out: its packages are of another architecture
apt_private "$DIR/apt" "deb [signed-by=$KEYRING] $MIRROR $SUITE main" "$ARCH" -o Dir::State::status=/dev/null ||
	die "cannot fetch the $SUITE $ARCH index from $MIRROR: $(apt_error)"

# the wanted packages and, of everything they depend on, the libraries (lib*, zlib*; the rest, such as debconf or
# perl-base, holds nothing the binaries load; a library missed here shows as an unresolved DT_NEEDED in
# mkinitramfs.sh)
pkgs=$(apt-cache "${APTOPT[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
	--no-replaces --no-enhances $WANT | grep -v '^ ' | grep -v '^<' | sed 's/:'"$ARCH"'$//' | sort -u |
	grep -E "^(lib|zlib|$(echo $WANT | tr ' ' '|')$)" | grep -v -- '-dev$' || true)
for w in $WANT; do grep -qx "$w" <<<"$pkgs" || die "$SUITE $ARCH has no package $w"; done
want=""
for p in $pkgs; do
	v=$(pkg_field "$p" Version)
	[ -n "$v" ] || continue # a virtual package
	want+="${want:+ }$p=$v"
done
if [ "$(sed -n 's/^packages=//p' "$DIR/info" 2>/dev/null || true)" = "$want" ] && [ -d "$DIR/sysroot" ]; then
	echo "fetch-userland: $ARCH $SUITE: $(wc -w <<<"$want") packages (cached)"
	exit 0
fi
rm -rf "$DIR/debs" "$DIR/sysroot.new" "$DIR/info"
mkdir -p "$DIR/debs" "$DIR/sysroot.new"
# shellcheck disable=SC2086
(cd "$DIR/debs" && timeout 600 apt-get "${APTOPT[@]}" -qq download $want) >"$DIR/apt/download.log" 2>&1 ||
	die "cannot download $want: $(grep -m1 -E '^(E|W):' "$DIR/apt/download.log" || true)"
for deb in "$DIR"/debs/*.deb; do
	dpkg -x "$deb" "$DIR/sysroot.new" || die "cannot extract $deb"
done
size=$(du -sk "$DIR/debs" | cut -f1)
rm -rf "$DIR/sysroot" "$DIR/debs"
mv "$DIR/sysroot.new" "$DIR/sysroot"
printf 'arch=%s\nsuite=%s\npackages=%s\n' "$ARCH" "$SUITE" "$want" >"$DIR/info"
echo "fetch-userland: $ARCH $SUITE: $(wc -w <<<"$want") packages (downloaded $((size / 1024)) MiB)"
