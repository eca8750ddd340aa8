#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Make sure the kernel-matrix tools are present: qemu-system-x86_64 >= 10 (bookworm's 7.2 crashes 6.12
# guests under TCG) from bookworm-backports, plus busybox-static, cpio, kmod, xz-utils and zstd. Idempotent.
# The backports source lives in a private apt configuration; the host's /etc/apt is left as it was.
set -eu

QEMU_MIN=10
STATE="${KMATRIX_CACHE:-/var/cache/skbdrop-kmatrix}/apt-qemu"

die() { echo "install-qemu: error: $*" >&2; exit 1; }

qemu_major() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo 0; return; }
	qemu-system-x86_64 --version 2>/dev/null |
		sed -n 's/^QEMU emulator version \([0-9][0-9]*\)\..*/\1/p' | head -n 1 | grep . || echo 0
}

installed() {
	case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
	*"install ok installed"*) return 0 ;;
	esac
	return 1
}

[ "$(id -u)" = 0 ] || { [ "$(qemu_major)" -ge $QEMU_MIN ] && exit 0; die "not root: cannot install packages"; }
export DEBIAN_FRONTEND=noninteractive

missing=""
for p in busybox-static cpio kmod xz-utils zstd; do
	installed "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-qemu: installing$missing"
	apt-get update -qq || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || die "cannot install$missing"
fi

if [ "$(qemu_major)" -ge $QEMU_MIN ]; then
	exit 0
fi

echo "install-qemu: installing qemu-system-x86 from bookworm-backports"
mkdir -p "$STATE/lists/partial" "$STATE/cache/archives/partial"
key=/usr/share/keyrings/debian-archive-keyring.gpg
# bookworm itself (with its updates and security fixes) is listed too, so that every dependency resolves
# against the private lists and nothing installed on the host looks newer than anything available.
cat >"$STATE/sources.list" <<EOF
deb [signed-by=$key] http://deb.debian.org/debian bookworm main
deb [signed-by=$key] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=$key] http://deb.debian.org/debian bookworm-backports main
EOF
set -- -o Dir::Etc::SourceList="$STATE/sources.list" -o Dir::Etc::SourceParts=/dev/null \
	-o Dir::State::Lists="$STATE/lists" -o Dir::Cache="$STATE/cache" \
	-o Acquire::Languages=none -o APT::Sandbox::User=root
apt-get "$@" -qq --error-on=any update || die "cannot update the bookworm-backports index (archive unreachable?)"
apt-get "$@" install -y -qq -t bookworm-backports --no-install-recommends qemu-system-x86 >/dev/null ||
	die "cannot install qemu-system-x86 from bookworm-backports"
apt-get "$@" clean
[ "$(qemu_major)" -ge $QEMU_MIN ] || die "qemu-system-x86_64 is still older than $QEMU_MIN after install"
qemu-system-x86_64 --version | head -n 1
