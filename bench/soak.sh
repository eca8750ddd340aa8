#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Soak: skbdrop streams JSON to a file for SECONDS (default 600) while the fastest generator (dropgen -k send,
# an nft prerouting drop on loopback) runs back to back in its own namespace, and every second a namespace
# pair joined by veth is created, 5 datagrams are dropped on the veth (a closed port: NO_SOCKET, the device
# named in a namespace that is deleted a second later), and the previous pair is deleted; and every second the
# metrics endpoint (--metrics 127.0.0.1:MPORT) is scraped. The output file is emptied every 10 s (as logrotate's
# copytruncate would: skbdrop appends), so the disk does not fill. skbdrop's VmRSS, VmHWM and open fds are
# sampled every second.
# It passes when, after the warm-up (WARMUP s, default 60): the heap's peak (RssAnon) grows by at most 1 MiB
# (RSS is shown too: it also counts ring pages as they are first written), the open fds do
# not grow (the last minute's most at most 2 above the first minute's: namespaces open at once), and
# delivered + lost == generated, exactly, every scrape answered, and the last scrape's count (taken after the
# generator stopped) equals the drops generated. Figures go to stdout (bench/README.md quotes them).
# Usage: bench/soak.sh [BUILD_DIR] [SECONDS] [WARMUP]     as root
set -u
BUILD=${1:-build}
DUR=${2:-600}
WARMUP=${3:-60}
SKBDROP=$(readlink -f "$BUILD/skbdrop")
DROPGEN=$(readlink -f "$BUILD/bench/dropgen")
SENDER=$(readlink -f "$BUILD/e2e/udp_sender")
NS=skbdsoak$$
GPORT=7419 CPORT=7420 # the generator's (nft drop) and the churn's (closed) UDP ports
MPORT=17549           # the metrics endpoint
TMP=$(mktemp -d /tmp/skbdrop-soak.XXXXXX)
OUT=$TMP/events.json
chmod 711 "$TMP"
SKPID= CHPID=

die() { echo "soak: error: $*" >&2; exit 1; }
cleanup() {
	[ -n "$CHPID" ] && kill "$CHPID" 2>/dev/null && wait "$CHPID" 2>/dev/null
	[ -n "${SCPID:-}" ] && kill "$SCPID" 2>/dev/null && wait "$SCPID" 2>/dev/null
	[ -n "$SKPID" ] && kill -KILL "$SKPID" 2>/dev/null
	ip netns del $NS 2>/dev/null
	for n in $(ip netns list | awk -v p="skbdsoakc$$-" 'index($1, p) == 1 { print $1 }'); do ip netns del "$n"; done
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || die "run as root"
[ -x "$SKBDROP" ] && [ -x "$DROPGEN" ] && [ -x "$SENDER" ] || die "build first: make all $BUILD/bench/dropgen $BUILD/e2e/udp_sender"
command -v nft >/dev/null || die "nft missing (apt-get install nftables)"
command -v curl >/dev/null || die "curl missing (apt-get install curl)"

ip netns add $NS && ip -n $NS link set lo up || die "cannot create namespace $NS"
printf 'table ip soak {\n chain pre {\n  type filter hook prerouting priority -300;\n  udp dport %s drop\n }\n}\n' $GPORT |
	ip netns exec $NS nft -f - || die "cannot add the nft rule"

# skbdrop appends (O_APPEND) so the truncations below leave no hole
: >"$OUT"; chown nobody "$OUT"
# every namespace: the generator's and the churn's drops, by their ports (the tests use port 9)
"$SKBDROP" -o json --metrics 127.0.0.1:$MPORT "udp dst port $GPORT or udp dst port $CPORT" >>"$OUT" 2>"$TMP/skbdrop.err" &
SKPID=$!
for _ in $(seq 100); do grep -q '^skbdrop: tracing' "$TMP/skbdrop.err" && break; sleep 0.1; done
grep -q '^skbdrop: tracing' "$TMP/skbdrop.err" || die "skbdrop did not start: $(cat "$TMP/skbdrop.err")"

# namespace churn: every second a new namespace with a veth pair and 5 drops on it, the previous one
# deleted; each namespace whose 5 datagrams were sent adds a line to TMP/churn. A permanent neighbour
# entry: no ARP, so no datagram waits in the neighbour queue (where a deletion would free it)
: >"$TMP/churn"
(
	prev=
	i=0
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		n=skbdsoakc$$-$i
		if ip netns add "$n" && ip netns add "$n-b" && ip link add vsa netns "$n" type veth peer name vsb netns "$n-b" &&
			ip -n "$n" addr add 10.229.0.1/30 dev vsa && ip -n "$n-b" addr add 10.229.0.2/30 dev vsb &&
			ip -n "$n" link set vsa up && ip -n "$n-b" link set vsb up &&
			mac=$(ip -n "$n-b" -br link show vsb | awk '{ print $3 }') &&
			ip -n "$n" neigh replace 10.229.0.2 lladdr "$mac" dev vsa nud permanent &&
			ip netns exec "$n" "$SENDER" soakc 10.229.0.2 $CPORT 5; then
			echo "$n" >>"$TMP/churn"
		fi
		[ -n "$prev" ] && { ip netns del "$prev"; ip netns del "$prev-b"; }
		prev=$n
		sleep 1
	done
) >/dev/null 2>&1 &
CHPID=$!

# a scrape every second: each answered or not (200, and the drops' series), its bytes
(
	while [ ! -e "$TMP/stop" ]; do
		if t=$(curl -fsS -m 5 -w '%{time_total}' "http://127.0.0.1:$MPORT/metrics" -o "$TMP/scrape" 2>/dev/null); then
			echo "ok $(wc -c <"$TMP/scrape") $t" >>"$TMP/scrapes"
		else
			echo "failed" >>"$TMP/scrapes"
		fi
		sleep 1
	done
) &
SCPID=$!

START=$(date +%s)
gen=0 runs=0
echo "t_s rss_kib hwm_kib fds anon_kib" >"$TMP/samples"
next=$START trunc=$((START + 10))
while [ $(($(date +%s) - START)) -lt "$DUR" ]; do
	# the generator, back to back, on CPU 0, in chunks bounded in time
	d=$(ip netns exec $NS taskset -c 0 "$DROPGEN" -C 0 -t 5 2000000 127.0.0.1 $GPORT 2>/dev/null |
		sed -nE 's/.* drops ([0-9]+) in .*/\1/p')
	gen=$((gen + ${d:-0})); runs=$((runs + 1))
	now=$(date +%s)
	while [ "$next" -le "$now" ]; do
		rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$SKPID/status 2>/dev/null)
		hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/$SKPID/status 2>/dev/null)
		anon=$(awk '/^RssAnon:/ { print $2 }' /proc/$SKPID/status 2>/dev/null)
		fds=$(ls /proc/$SKPID/fd 2>/dev/null | wc -l)
		echo "$((next - START)) ${rss:-0} ${hwm:-0} $fds ${anon:-0}" >>"$TMP/samples"
		next=$((next + 1))
	done
	if [ "$now" -ge "$trunc" ]; then : >"$OUT"; trunc=$((now + 10)); fi
	kill -0 $SKPID 2>/dev/null || die "skbdrop exited early: $(cat "$TMP/skbdrop.err")"
done
# the churn ends after its round (a kill could leave a sender running unrecorded)
touch "$TMP/stop"
for _ in $(seq 100); do kill -0 $CHPID 2>/dev/null || break; sleep 0.1; done
kill $CHPID 2>/dev/null; wait $CHPID 2>/dev/null; CHPID=
sleep 1 # the last datagrams through the softirq (ksoftirqd on a busy host)
for _ in $(seq 30); do kill -0 $SCPID 2>/dev/null || break; sleep 0.1; done
kill $SCPID 2>/dev/null; wait $SCPID 2>/dev/null; SCPID=
# the last scrape, with everything generated: the kernel's count of the two ports' drops
last=$(curl -fsS -m 5 "http://127.0.0.1:$MPORT/metrics" 2>/dev/null | awk '/^skbdrop_drops_total\{/ { s += $2 } END { print s + 0 }')
kill -INT $SKPID
for _ in $(seq 100); do kill -0 $SKPID 2>/dev/null || break; sleep 0.1; done
wait $SKPID; rc=$?
SKPID=

read -r del lost <<<"$(sed -nE 's/^skbdrop: ([0-9]+) events delivered, ([0-9]+) lost .*/\1 \2/p' "$TMP/skbdrop.err")"
# fds: skbdrop keeps a netlink socket for a namespace it names devices in until it sees the
# namespace gone (checked every 2 s), so with a new namespace a second the count moves by a few;
# flat means the last minute's most exceeds the first minute's (after the warm-up) by at most 2
# (a leak of one fd per namespace would add hundreds)
read -r rss0 rssmax hwm_end fds_min fds_max fds_first fds_last <<<"$(awk -v w="$WARMUP" -v d="$DUR" 'NR > 1 && $1 >= w && $2 > 0 {
	if (!n++) { r0 = $2; fmin = $4; fmax = $4 }
	if ($2 > rmax) rmax = $2; if ($4 < fmin) fmin = $4; if ($4 > fmax) fmax = $4; h = $3
	if ($1 < w + 60 && $4 > ff) ff = $4
	if ($1 >= d - 60 && $4 > fl) fl = $4 }
	END { print r0, rmax, h, fmin, fmax, ff, fl }' "$TMP/samples")"
ok=1
churn=$(wc -l <"$TMP/churn")
gen=$((gen + 5 * churn))
echo "soak: $DUR s, generator runs $runs, namespaces with a veth made and deleted $churn, generated $gen (5 in each namespace), delivered ${del:-?}, lost ${lost:-?}, exit $rc"
echo "soak: delivered + lost = $(( ${del:-0} + ${lost:-0} )) (generated $gen)"
[ $(( ${del:-0} + ${lost:-0} )) -eq "$gen" ] || ok=0
# RSS counts the rings' pages as they are first written (16 MiB of perf rings here: more of them resident
# each time the reader falls behind); a leak is in the heap, RssAnon: that one must stay flat
read -r anon0 anonmax <<<"$(awk -v w="$WARMUP" 'NR > 1 && $1 >= w && $5 > 0 { if (!n++) a0 = $5; if ($5 > am) am = $5 } END { print a0, am }' "$TMP/samples")"
echo "soak: after ${WARMUP} s: RSS $rss0 KiB, peak $rssmax KiB (growth $((rssmax - rss0)) KiB: ring pages first touched), VmHWM at the end $hwm_end KiB"
echo "soak: after ${WARMUP} s: RssAnon (heap) $anon0 KiB, peak $anonmax KiB (growth $((anonmax - anon0)) KiB)"
[ $((anonmax - anon0)) -le 1024 ] || ok=0
echo "soak: open fds after the warm-up: $fds_min to $fds_max; most in the first minute $fds_first, in the last minute $fds_last"
[ "$fds_last" -le $((fds_first + 2)) ] || ok=0
scrapes=$(grep -c '^ok' "$TMP/scrapes" 2>/dev/null); sfail=$(grep -c '^failed' "$TMP/scrapes" 2>/dev/null)
lat=$(awk '$1 == "ok" { print $3 }' "$TMP/scrapes" | sort -n |
	awk '{ v[NR] = $1 } END { p = int(NR * 0.99); if (p < 1) p = 1; m = int((NR + 1) / 2); if (NR) printf "median %.3f s, 99th %.3f s, most %.3f s", v[m], v[p], v[NR] }')
echo "soak: metrics endpoint: ${scrapes:-0} scrapes answered (one a second, each waiting for the last: $lat), ${sfail:-0} not; the last one's skbdrop_drops_total $last (generated $gen)"
# every scrape answered (within curl's 5 s), the scraper kept going, and the count exact
[ "${sfail:-0}" = 0 ] && [ "${scrapes:-0}" -ge $((DUR / 2)) ] && [ "$last" = "$gen" ] || ok=0
[ "$rc" = 0 ] || ok=0
grep -v '^skbdrop: tracing\|^skbdrop: SYNs' "$TMP/skbdrop.err" | sed 's/^/soak: stderr: /'
if [ $ok = 1 ]; then echo "soak: PASS"; else echo "soak: FAIL"; exit 1; fi
