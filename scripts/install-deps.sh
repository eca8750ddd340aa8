#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian packages skbdrop needs to build and test, if any is missing.
set -eu
# libclang-rt-dev: libFuzzer and the sanitizer runtimes for clang (make fuzz, fuzz-smoke), only
# recommended by clang
pkgs="make gcc libc6-dev clang llvm libclang-rt-dev libelf-dev zlib1g-dev libzstd-dev libmnl-dev libpcap-dev
libcunit1-dev iproute2 nftables jq bpftool strace file util-linux dpkg-dev debian-archive-keyring
tmux prometheus-node-exporter prometheus tshark curl man-db python3-yaml systemd"
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
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
