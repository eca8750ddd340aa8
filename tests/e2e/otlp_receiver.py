#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A strict OTLP/HTTP JSON receiver for the --otlp end-to-end test.

Usage: otlp_receiver.py PORT OUTDIR PLAN
  PLAN: the answers to successive POST /v1/logs requests, comma-separated:
        200, 400, 413, or 503:N / 429:N (with Retry-After: N); then 200.
Enforces the wire rules: POST to /v1/logs or /v1/metrics, Content-Type
application/json, a Content-Length, a JSON body whose object keys are all
lowerCamelCase, 64-bit integer fields (timeUnixNano, observedTimeUnixNano,
startTimeUnixNano, intValue, asInt) as decimal strings, attributes as
{key, value: {stringValue|intValue|...}}. A violation is answered 400 and
written to OUTDIR/violations. Writes OUTDIR/requests (one JSON line per
request: path, status, body sha256, records, monotonic time), OUTDIR/records
(each log record as a JSON line) and OUTDIR/metrics (each metrics body).
"""
import hashlib
import http.server
import json
import os
import re
import sys
import time

PORT, OUT, PLAN = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(",") if sys.argv[3] else []
KEY = re.compile(r"^[a-z][a-zA-Z0-9]*$")
INT64 = {"timeUnixNano", "observedTimeUnixNano", "startTimeUnixNano", "intValue", "asInt"}
VALUE_KINDS = {"stringValue", "intValue", "boolValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue"}
logs_seen = 0


def check(node, where="$"):
    """The wire rules on a decoded body: a list of violations."""
    bad = []
    if isinstance(node, dict):
        for k, v in node.items():
            if not KEY.match(k):
                bad.append(f"{where}: key {k!r} is not lowerCamelCase")
            if k in INT64 and not (isinstance(v, str) and v.isdigit()):
                bad.append(f"{where}.{k}: a 64-bit integer not as a decimal string: {v!r}")
            if k == "attributes":
                for i, a in enumerate(v if isinstance(v, list) else [None]):
                    if not (isinstance(a, dict) and set(a) == {"key", "value"} and isinstance(a["key"], str)
                            and isinstance(a["value"], dict) and len(a["value"]) == 1
                            and set(a["value"]) <= VALUE_KINDS):
                        bad.append(f"{where}.attributes[{i}]: not {{key, value: {{kind: v}}}}: {a!r}")
            bad += check(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            bad += check(v, f"{where}[{i}]")
    return bad


def append(name, line):
    with open(os.path.join(OUT, name), "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, retry_after=None):
        body = b"{}" if status == 200 else b'{"message":"test"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def violation(self, why):
        append("violations", why)
        self.answer(400)

    def do_GET(self):
        self.violation(f"GET {self.path}")

    def do_POST(self):
        global logs_seen
        if self.path not in ("/v1/logs", "/v1/metrics"):
            return self.violation(f"POST to {self.path}")
        if self.headers.get("Content-Type") != "application/json":
            return self.violation(f"Content-Type {self.headers.get('Content-Type')!r}")
        if self.headers.get("Content-Length") is None:
            return self.violation("no Content-Length")
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            doc = json.loads(raw)
        except ValueError as e:
            return self.violation(f"not JSON: {e}")
        bad = check(doc)
        if bad:
            return self.violation("; ".join(bad[:5]))
        status, retry_after = 200, None
        records = []
        if self.path == "/v1/logs":
            for rl in doc.get("resourceLogs", []):
                for sl in rl.get("scopeLogs", []):
                    records += sl.get("logRecords", [])
            if logs_seen < len(PLAN):
                step = PLAN[logs_seen].split(":")
                status = int(step[0])
                retry_after = int(step[1]) if len(step) > 1 else None
            logs_seen += 1
        else:
            append("metrics", json.dumps(doc))
        append("requests", json.dumps({"path": self.path, "status": status, "sha": hashlib.sha256(raw).hexdigest(),
                                       "records": len(records), "t": time.monotonic()}))
        if status == 200:
            for r in records:
                append("records", json.dumps(r))
        self.answer(status, retry_after)


os.makedirs(OUT, exist_ok=True)
srv = http.server.HTTPServer(("127.0.0.1", PORT), Handler)
append("ready", str(os.getpid()))
srv.serve_forever()
