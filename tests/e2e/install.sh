# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run.sh: make install (PREFIX, DESTDIR), the man page and the
# contrib files (issue 16). The installed binary runs; man -l renders the
# page without a warning and it names every option --help lists; systemd
# accepts the unit (pointed at the installed binary) and the DaemonSet is a
# DaemonSet whose scrape annotations match the port it serves.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
inst=$TMP/inst
if make -s -C "$ROOT" BUILD="$(cd "$(dirname "$SKBDROP")" && pwd)" install DESTDIR="$inst" PREFIX=/usr >"$TMP/inst.log" 2>&1; then
	check "make install: sbin/skbdrop 755, share/man/man8/skbdrop.8 644" "755 644" \
		"$(stat -c %a "$inst/usr/sbin/skbdrop") $(stat -c %a "$inst/usr/share/man/man8/skbdrop.8")"
	check "make install: the installed binary runs" 1 "$("$inst/usr/sbin/skbdrop" --version | grep -c '^skbdrop ')"
	if command -v man >/dev/null; then
		MANWIDTH=100 man --warnings -l "$inst/usr/share/man/man8/skbdrop.8" >"$TMP/man.txt" 2>"$TMP/man.err"
		check "man -l skbdrop.8: renders without a warning" "" "$(cat "$TMP/man.err")"
		check "man -l skbdrop.8: SKBDROP(8)" 1 "$(head -n 1 "$TMP/man.txt" | grep -c '^SKBDROP(8)')"
	else skip "man -l renders skbdrop(8)" "man not installed"; fi
	missing=
	for opt in $("$SKBDROP" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u) -w -C -W; do
		sed 's/\\-/-/g' "$ROOT/doc/skbdrop.8" | grep -q -- "$opt" || missing="$missing $opt"
	done
	check "skbdrop.8 names every option --help lists" "" "$missing"
	make -s -C "$ROOT" uninstall DESTDIR="$inst" PREFIX=/usr >/dev/null 2>&1
	check "make uninstall: both files gone" "0" "$(find "$inst" -type f | wc -l | tr -d ' ')"
else nok "make install DESTDIR=... PREFIX=/usr" "$(cat "$TMP/inst.log")"; fi
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/local/sbin/skbdrop|$SKBDROP|" "$ROOT/contrib/skbdrop.service" >"$TMP/skbdrop.service"
	check "contrib/skbdrop.service: systemd-analyze verify accepts it" "" \
		"$(systemd-analyze verify --man=no "$TMP/skbdrop.service" 2>&1)"
	check "contrib/skbdrop.service: runs --summary with --metrics on loopback" 1 \
		"$(grep -c '^ExecStart=/usr/local/sbin/skbdrop --summary [0-9]* --metrics 127.0.0.1:9542$' "$ROOT/contrib/skbdrop.service")"
else skip "contrib/skbdrop.service verified" "systemd-analyze not installed"; fi
if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	check "contrib/skbdrop-daemonset.yaml: a DaemonSet on the node's network and pids, scraped where it serves" \
		"DaemonSet True True 9542 9542" \
		"$(/usr/bin/python3 - "$ROOT/contrib/skbdrop-daemonset.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
spec = d["spec"]["template"]["spec"]
args = spec["containers"][0]["args"]
serve = args[args.index("--metrics") + 1].rsplit(":", 1)[1]
print(d["kind"], spec["hostNetwork"], spec["hostPID"],
      d["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"], serve)
PY
)"
else skip "contrib/skbdrop-daemonset.yaml parsed" "python3-yaml not installed"; fi
