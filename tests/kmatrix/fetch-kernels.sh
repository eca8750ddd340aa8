#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fetch the Debian cloud kernel (linux-image-cloud-ARCH) of each suite into KDIR/<suite>/tree (apt-get download +
# dpkg -x, no install) and describe it in KDIR/<suite>/info. KDIR is CACHE_DIR for amd64 and CACHE_DIR/<arch>
# for the others. Each suite gets its own private apt configuration; /etc/apt is untouched.
# Usage: fetch-kernels.sh [--arch amd64|arm64] CACHE_DIR   (env: KMATRIX_SUITES, KMATRIX_MIRROR)
set -euo pipefail

ARCH=amd64
if [ "${1:-}" = --arch ] && [ $# -ge 2 ]; then ARCH=$2; shift 2; fi
SUITES=${KMATRIX_SUITES:-"bullseye bookworm bookworm-backports trixie sid"}
MIRROR=${KMATRIX_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
META=linux-image-cloud-$ARCH

die() { echo "fetch-kernels: error: $*" >&2; exit 1; }
# shellcheck source=scripts/apt-private.sh
. "$(dirname "$0")/../../scripts/apt-private.sh"

[ $# -eq 1 ] || { echo "usage: fetch-kernels.sh [--arch amd64|arm64] CACHE_DIR" >&2; exit 2; }
case "$ARCH" in amd64) CACHE=$1 ;; arm64) CACHE=$1/$ARCH ;; *) die "unknown architecture $ARCH (amd64, arm64)" ;; esac
mkdir -p "$CACHE" || die "cannot create $CACHE"
CACHE=$(cd "$CACHE" && pwd)

# package names of a Depends field, one alternative group per line ("a|b")
dep_groups() {
	pkg_field "$1" Depends | tr ',' '\n' | sed -e 's/([^)]*)//g' -e 's/:any//g' -e 's/[[:space:]]//g' | grep .
}

# Resolve the metapackage to the packages that make up its kernel (sets ABI, IMAGE, PARTS).
# Up to 6.x the image package holds everything. From 7.x (sid) linux-image-<abi> is empty and depends on
# linux-base-<abi>, linux-binary[-unsigned]-<abi> and linux-modules-<abi>, all of which are needed.
resolve() {
	local g p alt
	IMAGE=$(dep_groups "$META" | tr '|' '\n' | grep -m1 '^linux-image-[0-9]') || return 1
	ABI=${IMAGE#linux-image-}
	PARTS=("$IMAGE")
	while read -r g; do
		alt=""
		for p in ${g//|/ }; do
			case "$p" in *-"$ABI") ;; *) continue ;; esac
			if [ -n "$(pkg_field "$p" Version)" ]; then alt=$p; break; fi
		done
		[ -n "$alt" ] && PARTS+=("$alt")
	done < <(dep_groups "$IMAGE")
	return 0
}

total=0
for suite in $SUITES; do
	sdir=$CACHE/$suite
	apt_private "$sdir/apt" "deb [signed-by=$KEYRING] $MIRROR $suite main" "$ARCH" ||
		die "cannot fetch the $suite index from $MIRROR (archive unreachable?): $(apt_error)"
	resolve || die "$suite: $META does not depend on any linux-image-<abi> package"

	want="" size=0
	for p in "${PARTS[@]}"; do
		v=$(pkg_field "$p" Version)
		[ -n "$v" ] || die "$suite: package $p not found"
		want+="${want:+ }${p}_$v"
		size=$((size + $(pkg_field "$p" Size)))
	done
	have=$(sed -n 's/^parts=//p' "$sdir/info" 2>/dev/null || true)
	if [ "$have" = "$want" ] && [ -d "$sdir/tree" ]; then
		how="cached"
	else
		rm -rf "$sdir/debs" "$sdir/tree.new" "$sdir/info"
		mkdir -p "$sdir/debs" "$sdir/tree.new"
		pins=()
		for pv in $want; do pins+=("${pv%%_*}=${pv#*_}"); done
		(cd "$sdir/debs" && timeout 600 apt-get "${APTOPT[@]}" -qq download "${pins[@]}") \
			>"$sdir/apt/download.log" 2>&1 ||
			die "$suite: cannot download ${PARTS[*]}: $(grep -m1 -E '^(E|W):' "$sdir/apt/download.log" || true)"
		for deb in "$sdir"/debs/*.deb; do
			dpkg -x "$deb" "$sdir/tree.new" || die "$suite: cannot extract $deb"
		done
		rm -rf "$sdir/tree" "$sdir/debs"
		mv "$sdir/tree.new" "$sdir/tree"
		how="downloaded $((size / 1048576)) MiB"
		total=$((total + size))
	fi

	# 7.x has no /boot: vmlinuz sits in the modules dir (vmlinuz, or vmlinuz.unsigned)
	mods="" vmlinuz=""
	for d in "$sdir/tree/lib/modules/$ABI" "$sdir/tree/usr/lib/modules/$ABI"; do
		[ -d "$d" ] && mods=$d
	done
	[ -n "$mods" ] || die "$suite: no lib/modules/$ABI in ${PARTS[*]}"
	for f in "$sdir/tree/boot/vmlinuz-$ABI" "$mods/vmlinuz" "$mods/vmlinuz.unsigned"; do
		[ -f "$f" ] && { vmlinuz=$f; break; }
	done
	[ -n "$vmlinuz" ] || die "$suite: no vmlinuz for $ABI in ${PARTS[*]}"
	cat >"$sdir/info.tmp" <<EOF
suite=$suite
arch=$ARCH
version=$ABI
vmlinuz=$vmlinuz
modules=$mods
package=${want%% *}
parts=$want
EOF
	mv "$sdir/info.tmp" "$sdir/info"
	echo "fetch-kernels: $ARCH $suite $ABI ${want%% *} ($how)"
done
[ $total -eq 0 ] || echo "fetch-kernels: downloaded $((total / 1048576)) MiB in all"
