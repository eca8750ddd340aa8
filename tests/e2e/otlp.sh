# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run.sh: --otlp (issue 16). A strict OTLP/HTTP JSON receiver of
# our own (tests/e2e/otlp_receiver.py: no collector is packaged for this
# Debian) answers the first batch 200, the second 503 with Retry-After: 1
# and 200 when it comes again, the third 400. The drops are UDP datagrams to a closed port in a
# namespace of our own, selected by skbdrop's filter (plan 200, 503:1, 200
# for the retry, 400). Exactly the accepted
# batches' drops arrive as log records, the 503 batch is sent again after
# at least a second, the 400 batch never again; the counters arrive as a
# cumulative Sum. A collector that is down neither loses a streamed event
# nor holds the exit.
ONS=skbdo$$
OPORT=17601
RECV=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/otlp_receiver.py")
ORECV_PID=

cleanup_otlp() {
	[ -n "$ORECV_PID" ] && kill "$ORECV_PID" 2>/dev/null
	ip netns del $ONS 2>/dev/null
}

# wait_requests DIR N: until the receiver logged N requests to /v1/logs (bounded: 10 s)
wait_requests() {
	local n
	for _ in $(seq 100); do
		n=$(grep -c '"/v1/logs"' "$1/requests" 2>/dev/null)
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# req FIELD N DIR: FIELD of the Nth /v1/logs request
req() { grep '"/v1/logs"' "$3/requests" | sed -n "$2p" | jq -r ".$1"; }

if ! [ -x /usr/bin/python3 ]; then
	skip "--otlp: the receiver runs" "python3 not installed"
elif ip netns add $ONS && ip -n $ONS link set lo up; then
	od=$TMP/otlp
	/usr/bin/python3 "$RECV" $OPORT "$od" "200,503:1,200,400" 2>"$TMP/otlp-recv.err" & ORECV_PID=$!
	for _ in $(seq 50); do [ -s "$od/ready" ] && break; sleep 0.1; done
	f=$TMP/otlp.json
	if [ -s "$od/ready" ] && start_tracer "$f" -o json --otlp http://127.0.0.1:$OPORT --netns $ONS "udp dst port 7461"; then
		ip netns exec $ONS "$SENDER" sko1-$$ 127.0.0.1 7461 40
		wait_requests "$od" 1 || echo "# no first request"
		ip netns exec $ONS "$SENDER" sko2-$$ 127.0.0.1 7461 30
		wait_requests "$od" 3 || echo "# no retried request"
		ip netns exec $ONS "$SENDER" sko3-$$ 127.0.0.1 7461 20
		wait_requests "$od" 4 || echo "# no fourth request"
		sleep 2.5 # a retry of the 400 batch would come within this
		stop_tracer
		check "--otlp: exit 0" 0 "$RC"
		check "--otlp: the receiver saw no violation of the wire rules" "" "$(cat "$od/violations" 2>/dev/null)"
		check "--otlp: 4 requests to /v1/logs: 200, 503, 200, 400" "200 503 200 400" \
			"$(grep '"/v1/logs"' "$od/requests" | jq -r .status | tr '\n' ' ' | sed 's/ $//')"
		check "--otlp: batches of 40, 30, 30 (the same again), 20 records" "40 30 30 20" \
			"$(grep '"/v1/logs"' "$od/requests" | jq -r .records | tr '\n' ' ' | sed 's/ $//')"
		check "--otlp: the 503 batch sent again, the same bytes" "$(req sha 2 "$od")" "$(req sha 3 "$od")"
		check "--otlp: ... after Retry-After's second" 1 \
			"$(awk -v a="$(req t 2 "$od")" -v b="$(req t 3 "$od")" 'BEGIN { print (b - a >= 1.0 && b - a < 3.0) ? 1 : 0 }')"
		check "--otlp: the 400 batch never sent again" 1 "$(grep -c "$(req sha 4 "$od")" "$od/requests")"
		sel='[.attributes[] | {(.key): (.value.stringValue // .value.intValue)}] | add'
		check "--otlp: exactly the 70 accepted drops arrived as log records" 70 \
			"$(jq -c "$sel | select(.\"destination.port\" == \"7461\" and .\"skbdrop.reason\" == \"NO_SOCKET\")" "$od/records" | wc -l | tr -d ' ')"
		check "--otlp: each with semantic-convention attributes (addresses, ports, transport, network type)" 70 \
			"$(jq -c "$sel | select(.\"source.address\" == \"127.0.0.1\" and .\"destination.address\" == \"127.0.0.1\" and .\"network.transport\" == \"udp\" and .\"network.type\" == \"ipv4\" and (.\"source.port\" | test(\"^[0-9]+\$\")))" "$od/records" | wc -l | tr -d ' ')"
		check "--otlp: and skbdrop.* ones (location, netns name, context)" 70 \
			"$(jq -c "$sel | select((.\"skbdrop.location\" | startswith(\"__udp4_lib_rcv\")) and .\"skbdrop.netns_name\" == \"$ONS\" and (.\"skbdrop.context.comm\" | test(\"^(sko[12]-$$|ksoftirqd/[0-9]+)\$\")))" "$od/records" | wc -l | tr -d ' ')"
		check "--otlp: severity WARN, time in nanoseconds as a string" 70 \
			"$(jq -c 'select(.severityNumber == 13 and .severityText == "WARN" and (.timeUnixNano | test("^1[0-9]{18}$")))' "$od/records" | wc -l | tr -d ' ')"
		check "--otlp: the exit line: 90 records, 70 sent, 0 dropped, 20 rejected, 1 retry" 1 \
			"$(grep -c '^skbdrop: otlp: 90 log records, 70 sent, 0 dropped (queue full), 20 rejected, 0 failed .* 1 retries' "$f.err")"
		check "--otlp: every drop also streamed on stdout" 90 "$(jcount "$f" '.layers.udp.dport==7461')"
		check "--otlp: the counters as a cumulative monotonic Sum: skbdrop.drops{skbdrop.reason=NO_SOCKET} 90" 90 \
			"$(tail -n 1 "$od/metrics" | jq -r '.resourceMetrics[0].scopeMetrics[0].metrics[] | select(.name == "skbdrop.drops") | select(.sum.aggregationTemporality == 2 and .sum.isMonotonic) | .sum.dataPoints[] | select(.attributes[0].value.stringValue == "NO_SOCKET") | .asInt')"
	else nok "--otlp: receiver and tracer start" "$(cat "$f.err" "$TMP/otlp-recv.err" 2>/dev/null)"; fi
	kill "$ORECV_PID" 2>/dev/null; wait "$ORECV_PID" 2>/dev/null; ORECV_PID=

	# ---- a collector that is down: every event streamed, the exit not held
	f=$TMP/otlp-down.json
	if start_tracer "$f" -o json --otlp http://127.0.0.1:$((OPORT + 1)) --netns $ONS "udp dst port 7462"; then
		ip netns exec $ONS "$SENDER" sko4-$$ 127.0.0.1 7462 200
		sleep 1.5
		t0=$(date +%s%N)
		stop_tracer
		t1=$(date +%s%N)
		check "--otlp, collector down: exit 0" 0 "$RC"
		check "--otlp, collector down: all 200 events streamed" 200 "$(jcount "$f" '.layers.udp.dport==7462')"
		check "--otlp, collector down: the records counted as failed, none sent" 1 \
			"$(grep -c '^skbdrop: otlp: 200 log records, 0 sent, 0 dropped (queue full), 0 rejected, 200 failed' "$f.err")"
		# stop_tracer sleeps 0.4 s first; the drain takes at most a second
		[ $(( (t1 - t0) / 1000000 )) -lt 2500 ] && ok "--otlp, collector down: SIGINT exits within 2 s ($(( (t1 - t0) / 1000000 - 400 )) ms)" \
			|| nok "--otlp, collector down: SIGINT exits within 2 s" "$(( (t1 - t0) / 1000000 )) ms"
	else nok "--otlp, collector down: tracer starts" "$(cat "$f.err")"; fi
else nok "--otlp: namespace setup"; fi
cleanup_otlp
