# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run.sh: --metrics (issue 16). The drops are UDP datagrams to a
# closed port inside a namespace of our own, selected by skbdrop's filter
# (udp port P): the kernel counts exactly ours. Debian's Prometheus scrapes
# the endpoint and its HTTP API must return exactly that count; promtool
# accepts the text; the server survives an idle client, a 1 MiB request line,
# 1,000 connections at once and a request sent byte by byte while drops keep
# being delivered and counted exactly.
MNS=skbdm$$
HTTPC=$(readlink -f "$BUILD/e2e/http_client")
MPORT=17541   # skbdrop's endpoint
PPORT=17590   # Prometheus' own
MPROM_PID=

cleanup_metrics() {
	[ -n "$MPROM_PID" ] && kill "$MPROM_PID" 2>/dev/null
	ip netns del $MNS 2>/dev/null
}

# scrape PORT: the metrics text (status line dropped), "" when not 200
scrape() { "$HTTPC" get 127.0.0.1 "$1" /metrics 2>/dev/null | { read -r st; [ "$st" = 200 ] && cat; }; }
# metric TEXT NAME{LABELS}: the value of one series ("" when absent)
metric() { printf '%s\n' "$1" | awk -v s="$2" '$1 == s { print $2 }'; }
# wait_metric PORT SERIES VALUE: until a scrape shows it (bounded: 10 s); prints the last value
wait_metric() {
	local v=
	for _ in $(seq 50); do
		v=$(metric "$(scrape "$1")" "$2")
		[ "$v" = "$3" ] && break
		sleep 0.2
	done
	echo "$v"
}

if ip netns add $MNS && ip -n $MNS link set lo up; then
	# ---- streaming, with Prometheus scraping
	f=$TMP/metrics.json
	if start_tracer "$f" -o json -v --metrics 127.0.0.1:$MPORT "udp port 7431"; then
		wait_names "$f" >/dev/null
		m=$(scrape $MPORT)
		check "--metrics: GET /metrics answers 200 with skbdrop_build_info" 1 \
			"$(printf '%s\n' "$m" | grep -c '^skbdrop_build_info{version=".*",kernel="'"$(uname -r)"'",transport="perf"} 1$')"
		check "--metrics: served as nobody (-Z's default), after the change" "65534" \
			"$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$TRACER_PID/status)"
		if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
			check "--metrics: promtool check metrics accepts the text" "" \
				"$(printf '%s\n' "$m" | promtool check metrics 2>&1)"
			cat >"$TMP/prometheus.yml" <<-EOF
			global:
			  scrape_interval: 1s
			  scrape_timeout: 1s
			scrape_configs:
			  - job_name: skbdrop
			    static_configs:
			      - targets: ['127.0.0.1:$MPORT']
			EOF
			prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prom-data" \
				--web.listen-address=127.0.0.1:$PPORT >"$TMP/prometheus.log" 2>&1 &
			MPROM_PID=$!
		else skip "Prometheus scrapes --metrics" "prometheus (Debian package) not installed"; fi
		ip netns exec $MNS "$SENDER" skm-$$ 127.0.0.1 7431 $N
		check "--metrics: skbdrop_drops_total{reason=\"NO_SOCKET\"} $N, counted in the kernel" $N \
			"$(wait_metric $MPORT 'skbdrop_drops_total{reason="NO_SOCKET"}' $N)"
		check "--metrics: skbdrop_events_delivered_total $N" $N \
			"$(wait_metric $MPORT skbdrop_events_delivered_total $N)"
		check "--metrics: skbdrop_events_lost_total 0" 0 "$(metric "$(scrape $MPORT)" skbdrop_events_lost_total)"
		# (the kernel's counters are read again at most every 5 s)
		check "--metrics: the kernel's counter UdpNoPorts in our namespace moved by $N" $N \
			"$(wait_metric $MPORT "skbdrop_kernel_drops_total{netns=\"$MNS\",counter=\"UdpNoPorts\"}" $N)"
		if [ -n "$MPROM_PID" ]; then
			q='skbdrop_drops_total{job="skbdrop",reason="NO_SOCKET"}'
			v=
			for _ in $(seq 100); do # bounded: 20 s (Prometheus starts, then scrapes every second)
				v=$(curl -s -G "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$q" |
					jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
				[ "$v" = $N ] && break
				sleep 0.2
			done
			check "Prometheus (Debian's, scraping every 1 s): its API returns exactly our $N drops" $N "$v"
			check "Prometheus: the target is up" 1 \
				"$(curl -s -G "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode 'query=up{job="skbdrop"}' |
					jq -r '.data.result[0].value[1] // empty')"
			kill "$MPROM_PID" 2>/dev/null; wait "$MPROM_PID" 2>/dev/null; MPROM_PID=
		fi

		# ---- the server under abuse, while drops keep flowing (12 x 250 over 6 s)
		fds0=$(ls /proc/$TRACER_PID/fd | wc -l)
		( for _ in $(seq 12); do ip netns exec $MNS "$SENDER" skm2-$$ 127.0.0.1 7431 250; sleep 0.5; done ) & bg=$!
		"$HTTPC" idle 127.0.0.1 $MPORT 12 >"$TMP/idle.out" & idle=$!
		check "--metrics: a 1 MiB request line is answered 414" 414 "$("$HTTPC" bigline 127.0.0.1 $MPORT 1048576)"
		check "--metrics: a request sent byte by byte (2 ms apart) is answered whole" 1 \
			"$("$HTTPC" bytewise 127.0.0.1 $MPORT 2 | awk '$1 == 200 && $2 > 100 { print 1 }')"
		wait $idle
		check "--metrics: a client that sends nothing is closed (408) after the 5 s request timeout" 1 \
			"$(awk '$1 == "closed" && $3 >= 4 && $3 <= 7 { print 1 }' "$TMP/idle.out")"
		fl=$("$HTTPC" flood 127.0.0.1 $MPORT 1000)
		check "--metrics: 1,000 connections at once all connect, the last ones are answered" 1 \
			"$(echo "$fl" | awk '$1 == 1000 && $4 >= 1 { print 1 }')"
		echo "# flood: $fl"
		check "--metrics: GET / is 404" 404 "$("$HTTPC" get 127.0.0.1 $MPORT / | head -n 1)"
		check "--metrics: POST /metrics is 405" 405 "$("$HTTPC" raw 127.0.0.1 $MPORT 'POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n')"
		check "--metrics: HTTP/2.0 is 505" 505 "$("$HTTPC" raw 127.0.0.1 $MPORT 'GET /metrics HTTP/2.0\r\n\r\n')"
		check "--metrics: a bad header line is 400" 400 "$("$HTTPC" raw 127.0.0.1 $MPORT 'GET /metrics HTTP/1.1\r\nno colon\r\n\r\n')"
		wait $bg
		sleep 1.2 # the last connections' linger
		check "--metrics: open fds back to $fds0 afterwards" "$fds0" "$(ls /proc/$TRACER_PID/fd | wc -l)"
		check "--metrics: after all that, the count is exact: $((N + 3000)) NO_SOCKET" $((N + 3000)) \
			"$(wait_metric $MPORT 'skbdrop_drops_total{reason="NO_SOCKET"}' $((N + 3000)))"
		stop_tracer
		check "--metrics: exit 0" 0 "$RC"
		check "--metrics: every one of the $((N + 3000)) drops streamed" $((N + 3000)) \
			"$(jcount "$f" '.layers.udp.dport==7431 and .reason=="NO_SOCKET"')"
		check "--metrics: and accounted at exit" 1 "$(grep -c '^skbdrop: every drop accounted' "$f.err")"
		# the server's own SYN drops (listen queue full under the flood) are the host's: filtered out
	else nok "--metrics: tracer starts" "$(cat "$f.err" 2>/dev/null)"; fi

	# ---- with --summary: the same counts, labels from --by; richer labels on request
	f=$TMP/metrics-sum.txt
	if start_tracer "$f" --summary 0.5 --by reason,netns -v --metrics 127.0.0.1:$((MPORT + 1)) \
		--metrics-labels reason,netns "udp port 7432"; then
		wait_names "$f" >/dev/null
		ip netns exec $MNS "$SENDER" skm3-$$ 127.0.0.1 7432 $N
		check "--summary --metrics --metrics-labels reason,netns: our $N drops under our namespace's name" $N \
			"$(wait_metric $((MPORT + 1)) "skbdrop_drops_total{reason=\"NO_SOCKET\",netns=\"$MNS\"}" $N)"
		check "--summary --metrics: no delivered counter (nothing is streamed)" "" \
			"$(metric "$(scrape $((MPORT + 1)))" skbdrop_events_delivered_total)"
		stop_tracer
		check "--summary --metrics: exit 0" 0 "$RC"
	else nok "--summary --metrics: tracer starts" "$(cat "$f.err" 2>/dev/null)"; fi

	# ---- a port in use: one line, exit 1
	if start_tracer "$TMP/mbusy.txt" --metrics 127.0.0.1:$((MPORT + 2)) "udp port 7433"; then
		"$SKBDROP" --metrics 127.0.0.1:$((MPORT + 2)) -d 1 >/dev/null 2>"$TMP/mbusy2.err"; rc=$?
		check "--metrics on a port in use: exit 1" 1 $rc
		check "--metrics on a port in use: one line naming the address" \
			"skbdrop: error: --metrics 127.0.0.1:$((MPORT + 2)): Address already in use" "$(cat "$TMP/mbusy2.err")"
		stop_tracer
	else nok "--metrics: tracer on a port starts" "$(cat "$TMP/mbusy.txt.err")"; fi
else nok "--metrics: namespace setup"; fi
cleanup_metrics
