#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Produce OUT_DIR/libmnl.a for the static link (Debian bookworm's libmnl-dev ships only the .so). First choice:
# Debian's libmnl source package (the version of the installed libmnl-dev), compiled with $CC. When the archive
# cannot serve it, the libmnl.a of a newer Debian release's libmnl-dev (trixie's ships one). Downloads use a
# private apt configuration under OUT_DIR (/etc/apt is untouched), are checked by apt against the signed
# archive index and kept in OUT_DIR/cache with their SHA-256, so later builds reuse them without the network.
# A cross compiler (CC=aarch64-linux-gnu-gcc) gets the same source compiled, or its own architecture's package.
# Usage: build-libmnl.sh OUT_DIR   (env: CC, AR, LIBMNL_FROM=auto|source|deb, LIBMNL_SUITE, LIBMNL_DEB_SUITE,
#                                   LIBMNL_MIRROR)
set -euo pipefail

MIRROR=${LIBMNL_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
CC=${CC:-cc}
AR=${AR:-ar}
FROM=${LIBMNL_FROM:-auto}
# the source of the release we run on (its libmnl-dev provides the headers we compile against)
SRC_SUITE=${LIBMNL_SUITE:-$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")}
SRC_SUITE=${SRC_SUITE:-bookworm}
DEB_SUITE=${LIBMNL_DEB_SUITE:-trixie}
# the Debian architecture $CC builds for (the binary route downloads that one's package)
HOST_ARCH=$(dpkg --print-architecture)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH -t "$($CC -dumpmachine)" 2>/dev/null) || ARCH=$HOST_ARCH

die() { echo "build-libmnl: error: $*" >&2; exit 1; }
note() { echo "build-libmnl: $*"; }
# shellcheck source=scripts/apt-private.sh
. "$(dirname "$0")/apt-private.sh"

[ $# -eq 1 ] || { echo "usage: build-libmnl.sh OUT_DIR" >&2; exit 2; }
mkdir -p "$1" || die "cannot create $1"
OUT=$(cd "$1" && pwd)
CACHE=$OUT/cache
mkdir -p "$CACHE"

# a private apt configuration in $OUT/apt-$1 with sources line $2, its index fetched (sets APTOPT, APTLOG)
apt_config() { apt_private "$OUT/apt-$1" "$2" "$ARCH"; }

# the downloaded files of a cache dir are what was recorded at download time
cache_ok() {
	[ -s "$1/SHA256SUMS" ] && (cd "$1" && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1
}

# Source route: fetch (or reuse) libmnl's source package, unpack it with dpkg-source (which checks the
# .dsc checksums) and compile src/*.c. libmnl needs no configure step: its sources include "config.h"
# only for HAVE_VISIBILITY_HIDDEN, which matters for the shared library alone.
from_source() {
	local dir=$CACHE/source want tree obj f
	# (one line per architecture it is installed for)
	want=$(dpkg-query -W -f='${source:Version}\n' libmnl-dev 2>/dev/null | head -n 1 || true)
	if ! cache_ok "$dir" || { [ -n "$want" ] && [ ! -f "$dir/libmnl_${want#*:}.dsc" ]; }; then
		rm -rf "$dir" && mkdir -p "$dir"
		apt_config src "deb-src [signed-by=$KEYRING] $MIRROR $SRC_SUITE main" ||
			{ note "cannot fetch the $SRC_SUITE source index: $(apt_error)"; return 1; }
		if ! (cd "$dir" && timeout 300 apt-get "${APTOPT[@]}" -qq source --download-only \
			"libmnl${want:+=$want}") >>"$APTLOG" 2>&1; then
			note "libmnl${want:+ $want} source not available from $MIRROR $SRC_SUITE: $(apt_error)"
			rm -rf "$dir"
			return 1
		fi
		(cd "$dir" && sha256sum -- *.dsc *.tar.* >SHA256SUMS)
	fi
	tree=$OUT/tree
	rm -rf "$tree"
	dpkg-source -x "$dir"/libmnl_*.dsc "$tree" >"$OUT/dpkg-source.log" 2>&1 ||
		{ note "dpkg-source cannot unpack $(basename "$dir"/libmnl_*.dsc): $(tail -n 1 "$OUT/dpkg-source.log")"; return 1; }
	if [ ! -f "$tree/include/libmnl/libmnl.h" ] || ! ls "$tree"/src/*.c >/dev/null 2>&1; then
		note "unexpected source layout (no include/libmnl/libmnl.h or src/*.c)"
		return 1
	fi
	obj=$OUT/obj
	rm -rf "$obj" && mkdir -p "$obj"
	: >"$obj/config.h"
	for f in "$tree"/src/*.c; do
		$CC -O2 -g -D_GNU_SOURCE -I"$obj" -I"$tree/include" -c "$f" -o "$obj/$(basename "${f%.c}").o" ||
			{ note "cannot compile $f"; return 1; }
	done
	rm -f "$OUT/libmnl.a.tmp"
	$AR rcs "$OUT/libmnl.a.tmp" "$obj"/*.o || return 1
	ORIGIN="libmnl $(basename "$dir"/libmnl_*.dsc .dsc | sed 's/^libmnl_//') source ($SRC_SUITE), compiled with $CC"
}

# Binary route: the libmnl.a inside a newer release's libmnl-dev package (apt checks the .deb's hash).
from_deb() {
	local dir=$CACHE/deb x a
	if ! cache_ok "$dir"; then
		rm -rf "$dir" && mkdir -p "$dir"
		apt_config deb "deb [signed-by=$KEYRING] $MIRROR $DEB_SUITE main" ||
			{ note "cannot fetch the $DEB_SUITE index: $(apt_error)"; return 1; }
		(cd "$dir" && timeout 300 apt-get "${APTOPT[@]}" -qq download libmnl-dev) >>"$APTLOG" 2>&1 ||
			{ note "cannot download libmnl-dev from $MIRROR $DEB_SUITE: $(apt_error)"; rm -rf "$dir"; return 1; }
		(cd "$dir" && sha256sum -- *.deb >SHA256SUMS)
	fi
	x=$OUT/deb-tree
	rm -rf "$x"
	dpkg-deb -x "$dir"/libmnl-dev_*.deb "$x" || { note "cannot extract $(basename "$dir"/*.deb)"; return 1; }
	a=$(ls "$x"/usr/lib/*/libmnl.a "$x"/usr/lib/libmnl.a 2>/dev/null | head -n 1)
	[ -n "$a" ] || { note "$(basename "$dir"/*.deb) has no libmnl.a"; return 1; }
	cp "$a" "$OUT/libmnl.a.tmp" || return 1
	rm -rf "$x"
	ORIGIN="libmnl.a of $(basename "$dir"/libmnl-dev_*.deb .deb) ($DEB_SUITE)"
}

# The archive must link into a fully static program with our toolchain and C library (and run, when it is
# the host's architecture).
link_test() {
	cat >"$OUT/linktest.c" <<'EOF'
#include <sys/socket.h>
#include <libmnl/libmnl.h>
int main(void)
{
	char buf[64] = { 0 };
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	mnl_attr_put_u32(nlh, 1, 0);
	if (nl)
		mnl_socket_close(nl);
	return !mnl_nlmsg_ok(nlh, (int)sizeof(buf));
}
EOF
	$CC -static -o "$OUT/linktest" "$OUT/linktest.c" "$OUT/libmnl.a.tmp" >"$OUT/linktest.log" 2>&1 &&
		{ [ "$ARCH" != "$HOST_ARCH" ] || "$OUT/linktest"; }
}

start=$SECONDS
ORIGIN=""
case "$FROM" in
auto)
	# a cached download first (no network), then the source, then the binary package
	if cache_ok "$CACHE/source"; then from_source || from_deb
	elif cache_ok "$CACHE/deb"; then from_deb
	else from_source || from_deb; fi || die "no libmnl.a: neither the source package nor a libmnl-dev with libmnl.a could be had (see $OUT/apt-*/apt.log)" ;;
source) from_source || die "no libmnl.a from source (see $OUT/apt-src/apt.log)" ;;
deb) from_deb || die "no libmnl.a from libmnl-dev (see $OUT/apt-deb/apt.log)" ;;
*) die "LIBMNL_FROM must be auto, source or deb" ;;
esac
link_test || die "$OUT/libmnl.a.tmp does not link statically: $(tail -n 3 "$OUT/linktest.log")"
rm -f "$OUT/linktest" "$OUT/linktest.c" "$OUT/linktest.log"
# the archive indexes (~40 MiB) are needed again only if the cached download goes bad
rm -rf "$OUT"/apt-*/lists "$OUT"/apt-*/cache "$OUT/tree" "$OUT/obj"
echo "$ORIGIN" >"$OUT/ORIGIN"
mv "$OUT/libmnl.a.tmp" "$OUT/libmnl.a"
note "$OUT/libmnl.a from $ORIGIN ($((SECONDS - start)) s)"
