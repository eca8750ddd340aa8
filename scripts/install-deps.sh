#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian packages skbdrop needs to build and test, if any is missing.
# Usage: install-deps.sh [arm64]   arm64: also what `make ARCH=arm64` cross-builds with (Debian's aarch64
# toolchain, the :arm64 libraries of the static link through multiarch) and qemu-user-static to run the result
set -eu
# libclang-rt-dev: libFuzzer and the sanitizer runtimes for clang (make fuzz, fuzz-smoke), only
# recommended by clang
pkgs="make gcc libc6-dev clang llvm libclang-rt-dev libelf-dev zlib1g-dev libzstd-dev libmnl-dev libpcap-dev
libcunit1-dev iproute2 nftables jq bpftool strace file util-linux dpkg-dev debian-archive-keyring
tmux prometheus-node-exporter prometheus tshark curl man-db python3-yaml systemd"
foreign=""
case "${1:-}" in
"") ;;
arm64)
	# an :arm64 library must be the same version as its amd64 twin: apt upgrades the host's to match
	foreign=arm64
	pkgs="$pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross libelf-dev:arm64 zlib1g-dev:arm64
libzstd-dev:arm64 libpcap-dev:arm64 qemu-user-static" ;;
*) echo "usage: install-deps.sh [arm64]" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
if [ -n "$foreign" ] && ! dpkg --print-foreign-architectures | grep -qx "$foreign"; then
	dpkg --add-architecture "$foreign"
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
