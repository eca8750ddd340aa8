# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Sourced (bash) by scripts/build-libmnl.sh and tests/kmatrix/fetch-kernels.sh and fetch-userland.sh: a private
# apt configuration, its own sources.list, lists and cache under one directory, so that /etc/apt stays as it is.

# apt_private DIR SOURCES_LINE ARCH [-o OPTION...]: the configuration in DIR, and its index fetched (apt-get's
# status; its output in APTLOG). Sets APTOPT, the options every apt-get and apt-cache call of it takes.
apt_private() {
	local dir=$1 sources=$2 arch=$3
	shift 3
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "$sources" >"$dir/sources.list"
	APTOPT=(-o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
		-o Acquire::Languages=none -o Acquire::PDiffs=false -o Acquire::Retries=1 -o Acquire::http::Timeout=30
		-o APT::Architecture="$arch" -o APT::Architectures="$arch" -o APT::Sandbox::User=root "$@")
	APTLOG=$dir/apt.log
	timeout 300 apt-get "${APTOPT[@]}" -qq --error-on=any update >"$APTLOG" 2>&1
}

# The first error or warning of APTLOG, else its last line.
apt_error() { grep -m1 -E '^(E|W):' "$APTLOG" || tail -n 1 "$APTLOG"; }

# pkg_field PACKAGE FIELD: one field of the candidate version of a package
pkg_field() {
	apt-cache "${APTOPT[@]}" show --no-all-versions "$1" 2>/dev/null | sed -n "s/^$2: //p" | head -n 1
}
