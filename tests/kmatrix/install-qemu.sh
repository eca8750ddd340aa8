#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Make sure the kernel-matrix tools are present for each architecture asked for (arguments, or KMATRIX_ARCHES,
# default amd64): QEMU >= 10 (bookworm's 7.2 crashes 6.12 guests under TCG) from bookworm-backports,
# qemu-system-x86 for amd64 and qemu-system-arm (qemu-system-aarch64) for arm64, plus busybox-static, cpio, kmod,
# xz-utils and zstd, and for arm64 the cross compiler for the static helpers (gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross). Idempotent.
# The backports source lives in a private apt configuration; the host's /etc/apt is left as it was.
set -eu

QEMU_MIN=10
STATE="${KMATRIX_CACHE:-/var/cache/skbdrop-kmatrix}/apt-qemu"
[ $# -gt 0 ] || set -- ${KMATRIX_ARCHES:-amd64}

die() { echo "install-qemu: error: $*" >&2; exit 1; }

# qemu_major BINARY: its major version, 0 if absent
qemu_major() {
	command -v "$1" >/dev/null 2>&1 || { echo 0; return; }
	"$1" --version 2>/dev/null |
		sed -n 's/^QEMU emulator version \([0-9][0-9]*\)\..*/\1/p' | head -n 1 | grep . || echo 0
}

installed() {
	case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
	*"install ok installed"*) return 0 ;;
	esac
	return 1
}

tools="busybox-static cpio kmod xz-utils zstd"
qemus="" # "binary:package" pairs
for arch in "$@"; do
	case "$arch" in
	amd64) qemus="$qemus qemu-system-x86_64:qemu-system-x86" ;;
	arm64) qemus="$qemus qemu-system-aarch64:qemu-system-arm"
		tools="$tools gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils" ;;
	*) die "unknown architecture $arch (amd64, arm64)" ;;
	esac
done

old="" # qemu packages to install or upgrade
for q in $qemus; do
	[ "$(qemu_major "${q%%:*}")" -ge $QEMU_MIN ] || old="$old ${q#*:}"
done

if [ "$(id -u)" != 0 ]; then
	[ -z "$old" ] && exit 0
	die "not root: cannot install$old"
fi
export DEBIAN_FRONTEND=noninteractive

missing=""
for p in $tools; do
	installed "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-qemu: installing$missing"
	apt-get update -qq || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || die "cannot install$missing"
fi

[ -z "$old" ] && exit 0

# every QEMU from the same source: the qemu-system-* packages share qemu-system-common of their own version
echo "install-qemu: installing$old from bookworm-backports"
mkdir -p "$STATE/lists/partial" "$STATE/cache/archives/partial"
key=/usr/share/keyrings/debian-archive-keyring.gpg
# bookworm itself (with its updates and security fixes) is listed too, so that every dependency resolves
# against the private lists and nothing installed on the host looks newer than anything available.
cat >"$STATE/sources.list" <<EOS
deb [signed-by=$key] http://deb.debian.org/debian bookworm main
deb [signed-by=$key] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=$key] http://deb.debian.org/debian bookworm-backports main
EOS
set -- -o Dir::Etc::SourceList="$STATE/sources.list" -o Dir::Etc::SourceParts=/dev/null \
	-o Dir::State::Lists="$STATE/lists" -o Dir::Cache="$STATE/cache" \
	-o Acquire::Languages=none -o APT::Sandbox::User=root
apt-get "$@" -qq --error-on=any update || die "cannot update the bookworm-backports index (archive unreachable?)"
# shellcheck disable=SC2086
apt-get "$@" install -y -qq -t bookworm-backports --no-install-recommends $old >/dev/null ||
	die "cannot install$old from bookworm-backports"
apt-get "$@" clean
for q in $qemus; do
	[ "$(qemu_major "${q%%:*}")" -ge $QEMU_MIN ] || die "${q%%:*} is still older than $QEMU_MIN after install"
	"${q%%:*}" --version | head -n 1
done
