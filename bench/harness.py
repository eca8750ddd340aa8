#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# The bench harness behind `make bench` (bench/run.sh): exact-count drops on CPU 0, each tracer configuration on
# CPU 1, configurations interleaved across repetitions, medians written to bench/results/ (markdown + gnuplot).
"""usage: harness.py --build DIR --ns NAME [--count N] [--reps N] [--slow-count N] [--anchor-count N] [--out DIR] [--quick]
       harness.py --replot DIR"""

import argparse
import datetime
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PRODUCER_CPU = 0
TRACER_CPU = 1
GEN_MAX_SEC = 30          # every generator run is bounded by this (dropgen -t)
READY_TIMEOUT = 30.0      # tracer start (bpftrace compiles its program with LLVM)
DRAIN_MAX = 15.0          # after the generator: wait for the tracer to go idle, at most this long
STOP_TIMEOUT = 20.0       # SIGINT to exit, then SIGKILL
PERF_SETTLE = 1.5         # perf record prints nothing when attached: wait this long
IPI_ROWS = ("CAL", "RES", "IWI")
CLK_TCK = os.sysconf("SC_CLK_TCK")

started = []              # Popen objects of tracers/generators this harness started (cleanup kills by pid)


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def sh(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, text=True, **kw)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------------------------------------------------
# namespaces

class Netns:
    """Namespace NS: lo with an nft prerouting drop on UDP ports 9-10 (NETFILTER_DROP), port 7 closed
    (NO_SOCKET), and a veth pair into NS-b whose prerouting drops UDP port 9 (NETFILTER_DROP over veth)."""

    def __init__(self, name):
        self.name, self.peer = name, name + "-b"
        self.made = []

    def setup(self):
        for ns in (self.name, self.peer):
            sh(["ip", "netns", "add", ns])
            self.made.append(ns)
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        sh(["ip", "-n", self.name, "link", "add", "vbench0", "type", "veth", "peer", "name", "vbench1",
            "netns", self.peer])
        sh(["ip", "-n", self.name, "addr", "add", "10.231.0.1/30", "dev", "vbench0"])
        sh(["ip", "-n", self.peer, "addr", "add", "10.231.0.2/30", "dev", "vbench1"])
        sh(["ip", "-n", self.name, "link", "set", "vbench0", "up"])
        sh(["ip", "-n", self.peer, "link", "set", "vbench1", "up"])
        # a permanent neighbour: no ARP, so no datagram waits in (or is dropped from) the neighbour queue
        out = sh(["ip", "-n", self.peer, "-br", "link", "show", "vbench1"], capture_output=True).stdout
        mac = out.split()[2]
        sh(["ip", "-n", self.name, "neigh", "replace", "10.231.0.2", "lladdr", mac, "dev", "vbench0",
            "nud", "permanent"])
        rules = ("table ip skbdbench {\n chain pre {\n  type filter hook prerouting priority -300;\n"
                 "  udp dport 9-10 drop\n }\n}\n")
        for ns in (self.name, self.peer):
            sh(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules)

    def cleanup(self):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self.made = []


# ---------------------------------------------------------------------------------------------------------
# measurement helpers

def read_ipis():
    """{(row, cpu): count} for the CAL, RES and IWI rows of /proc/interrupts."""
    res = {}
    with open("/proc/interrupts") as f:
        ncpu = len(f.readline().split())
        for line in f:
            parts = line.split()
            row = parts[0].rstrip(":") if parts else ""
            if row in IPI_ROWS:
                for cpu in range(ncpu):
                    res[(row, cpu)] = int(parts[1 + cpu])
    return res


def proc_cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])       # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def proc_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class LineWatcher(threading.Thread):
    """Reads a pipe line by line, keeps the lines, and stamps the first line matching READY."""

    def __init__(self, stream, ready=None):
        super().__init__(daemon=True)
        self.stream, self.ready = stream, re.compile(ready) if ready else None
        self.lines, self.ready_at = [], None
        self.event = threading.Event()

    def run(self):
        for raw in self.stream:
            line = raw.decode(errors="replace").rstrip("\n")
            if len(self.lines) < 10000:
                self.lines.append(line)
            if self.ready and self.ready_at is None and self.ready.search(line):
                self.ready_at = time.monotonic()
                self.event.set()
        self.event.set()


class PtyDrain(threading.Thread):
    """The terminal: reads and discards everything written to the pty (like a terminal emulator would)."""

    def __init__(self, master):
        super().__init__(daemon=True)
        self.master, self.bytes = master, 0

    def run(self):
        while True:
            try:
                b = os.read(self.master, 1 << 16)
            except OSError:
                return
            if not b:
                return
            self.bytes += len(b)


def run_generators(build, ns, cpus, count, port0=9, kind="send", addr="127.0.0.1"):
    """Runs one dropgen per CPU in CPUS at the same time. Returns (drops, rate, ipis on those CPUs, notes)."""
    gen = os.path.join(build, "bench", "dropgen")
    before = read_ipis()
    procs = []
    for i, cpu in enumerate(cpus):
        cmd = ["ip", "netns", "exec", ns, gen, "-C", str(cpu), "-t", str(GEN_MAX_SEC), "-k", kind,
               str(count), addr, str(port0 + i)]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(p)
        procs.append(p)
    drops, rate, notes = 0, 0.0, []
    for p in procs:
        try:
            out, err = p.communicate(timeout=GEN_MAX_SEC + 10)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        started.remove(p)
        m = re.search(r"drops (\d+) in ([\d.]+) s \((\d+) drops/s\)", out)
        if not m:
            raise RuntimeError(f"dropgen failed (rc {p.returncode}): {out.strip()} {err.strip()}")
        if p.returncode == 3:
            notes.append(f"generator hit its {GEN_MAX_SEC} s bound")
        drops += int(m.group(1))
        rate += float(m.group(3))
    after = read_ipis()
    ipis = {row: sum(after[(row, c)] - before[(row, c)] for c in cpus) for row in IPI_ROWS}
    # what the producer sends the other CPU (where the tracer sleeps) lands in the other CPU's rows
    ipis["other"] = {row: sum(after[k] - before[k] for k in after if k[0] == row and k[1] not in cpus)
                     for row in IPI_ROWS}
    return drops, rate, ipis, notes


# ---------------------------------------------------------------------------------------------------------
# configurations

class Config:
    def __init__(self, name, tool, argv=None, stdout="null", ready=None, ready_src="stderr",
                 cpus=(PRODUCER_CPU,), tracer_cpus=str(TRACER_CPU), slow=False, group="one core",
                 transport="", wakeup="", mode=""):
        self.name, self.tool, self.argv, self.stdout = name, tool, argv, stdout
        self.ready, self.ready_src = ready, ready_src
        self.cpus, self.tracer_cpus, self.slow, self.group = cpus, tracer_cpus, slow, group
        self.transport, self.wakeup, self.mode = transport, wakeup, mode
        self.skip = None          # reason the row is not run ("not installed", "option absent")
        self.runs = []


SKBDROP_MODES = [  # (mode label, args, stdout)
    ("text>file", [], "file"),
    ("text>pty", [], "pty"),
    ("json>file", ["-o", "json"], "file"),
    ("--no-output", ["--no-output"], "null"),
    ("--count-only", ["--count-only"], "null"),
    ("--summary", ["--summary"], "file"),
]


def build_configs(skbdrop, helptext, quick):
    has = {o: (o in helptext) for o in ("--transport", "--wakeup", "--summary")}
    ready = r"^skbdrop: tracing"
    cfgs = [Config("no tracer", "none", mode="-")]

    def sk(transport, wakeup, mode, args, stdout, cpus=(PRODUCER_CPU,), tracer_cpus=str(TRACER_CPU),
           group="one core", poll_ms=None):
        extra = []
        if has["--transport"]:
            extra += ["--transport", transport]
        if has["--wakeup"] and wakeup != "default":  # default: the tool's own (a quarter of a ring)
            extra += ["--wakeup", wakeup]
        if poll_ms:
            extra += ["--poll-ms", str(poll_ms)]
        label = f"skbdrop {transport} {wakeup}{f'/poll {poll_ms}ms' if poll_ms else ''} {mode}"
        if group != "one core":
            label = f"2 producers: {label}"
        c = Config(label, "skbdrop", [skbdrop] + extra + args, stdout, ready, cpus=cpus,
                   tracer_cpus=tracer_cpus, group=group, transport=transport, wakeup=wakeup, mode=mode)
        default = transport == "perf" and wakeup == "default"
        if not default and not (has["--transport"] and has["--wakeup"]):
            c.skip = "this skbdrop build has no --transport/--wakeup"
        if "--summary" in args and not has["--summary"]:
            c.skip = "this skbdrop build has no --summary (a later issue)"
        return c

    for mode, args, out in SKBDROP_MODES:
        cfgs.append(sk("perf", "default", mode, args, out))
    small = [m for m in SKBDROP_MODES if m[0] in ("json>file", "--count-only")]
    # "none" polls every 10 ms (the issue's reference point: ring buffer, no wakeups, 10 ms poll); the
    # default 100 ms poll is one extra row: at ~1 M drops/s, 100 ms of events outgrow a 2 MiB ring
    for transport, wakeup in [("perf", "events:1"), ("perf", "none"), ("ringbuf", "default"),
                              ("ringbuf", "events:1"), ("ringbuf", "none")]:
        for mode, args, out in small:
            cfgs.append(sk(transport, wakeup, mode, args, out, poll_ms=10 if wakeup == "none" else None))
    cfgs.append(sk("perf", "none", "json>file", ["-o", "json"], "file", poll_ms=100))
    # bpftrace prints "Attaching N probes..." to its output (stdout, or the -o file)
    bt = shutil.which("bpftrace")
    c = Config("bpftrace count", "bpftrace", [bt or "bpftrace", "-e", "tracepoint:skb:kfree_skb { @c = count(); }"],
               "pipe", r"^Attaching \d+ probe", "stdout", mode="count")
    c.skip = None if bt else "not installed"
    cfgs.append(c)
    c = Config("bpftrace printf>file", "bpftrace",
               [bt or "bpftrace", "-o", "@OUT@", "-e",
                'tracepoint:skb:kfree_skb { printf("%d %s\\n", pid, comm); }'],
               "null", r"^Attaching \d+ probe", "outfile", slow=True, mode="printf")
    c.skip = None if bt else "not installed"
    cfgs.append(c)
    pf = shutil.which("perf")
    c = Config("perf record", "perf", [pf or "perf", "record", "-e", "skb:kfree_skb", "-a", "-o", "@OUT@"],
               "null", None, "sleep", mode="record")
    c.skip = None if pf else "not installed"
    cfgs.append(c)
    both = (PRODUCER_CPU, TRACER_CPU)
    cfgs.append(Config("2 producers: no tracer", "none", cpus=both, group="two cores", mode="-"))
    for mode, args, out in small + [m for m in SKBDROP_MODES if m[0] == "--summary"]:
        cfgs.append(sk("perf", "default", mode, args, out, cpus=both,
                       tracer_cpus=f"{PRODUCER_CPU},{TRACER_CPU}", group="two cores"))
    if quick:
        keep = {"no tracer", "skbdrop perf default json>file", "skbdrop perf default --count-only",
                "skbdrop perf events:1 --count-only", "skbdrop perf default --summary"}
        cfgs = [c for c in cfgs if c.name in keep]
    return cfgs


def parse_skbdrop(lines, run):
    for line in lines:
        m = re.match(r"skbdrop: (\d+) events delivered, (\d+) lost", line)
        if m:
            run["delivered"], run["lost"] = int(m.group(1)), int(m.group(2))
        m = re.match(r"skbdrop: (\d+) drops counted in the kernel", line)  # --summary: nothing streamed, nothing lost
        if m:
            run["delivered"], run["lost"] = int(m.group(1)), 0
        m = re.match(r"skbdrop: transport (\S+), wakeup (\S+), (\d+) wakeups, (\d+) polls", line)
        if m:
            run["wakeups"], run["polls"] = int(m.group(3)), int(m.group(4))


def run_once(cfg, args, tmp, count):
    """One generator run under CFG. Returns a dict of raw measurements."""
    run = {"rep": None, "delivered": None, "lost": None, "wakeups": None, "polls": None, "cpu_s": None,
           "rss_kb": None, "startup_ms": None, "notes": []}
    if cfg.tool == "none":
        run["drops"], run["rate"], run["ipis"], run["notes"] = run_generators(args.build, args.ns, cfg.cpus, count)
        return run

    outfile = os.path.join(tmp, "out")
    argv = [a.replace("@OUT@", outfile) for a in cfg.argv]
    stdout, master, drain, outf = subprocess.DEVNULL, None, None, None
    if cfg.stdout == "file":
        outf = open(outfile, "wb")
        stdout = outf
    elif cfg.stdout == "pipe":
        stdout = subprocess.PIPE
    elif cfg.stdout == "pty":
        master, slave = os.openpty()
        stdout = slave
    t0 = time.monotonic()
    p = subprocess.Popen(["taskset", "-c", cfg.tracer_cpus] + argv, stdout=stdout, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    started.append(p)
    if cfg.stdout == "pty":
        os.close(slave)
        drain = PtyDrain(master)
        drain.start()
    if outf:
        outf.close()
    errw = LineWatcher(p.stderr, cfg.ready if cfg.ready_src == "stderr" else None)
    errw.start()
    outw = None
    if cfg.stdout == "pipe":
        outw = LineWatcher(p.stdout, cfg.ready if cfg.ready_src == "stdout" else None)
        outw.start()
    try:
        ready_at = None
        deadline = t0 + READY_TIMEOUT
        if cfg.ready_src == "sleep":
            time.sleep(PERF_SETTLE)
        else:
            watch = errw if cfg.ready_src == "stderr" else outw
            while time.monotonic() < deadline and p.poll() is None:
                if watch:
                    if watch.event.wait(0.002) and watch.ready_at:
                        ready_at = watch.ready_at
                        break
                else:           # the -o file
                    try:
                        with open(outfile, "rb") as f:
                            if re.search(cfg.ready.encode(), f.read(256), re.M):
                                ready_at = time.monotonic()
                                break
                    except OSError:
                        pass
                    time.sleep(0.002)
            if ready_at is None:
                raise RuntimeError(f"{cfg.name}: not ready after {READY_TIMEOUT} s; stderr: "
                                   + " | ".join(errw.lines[-5:]))
            run["startup_ms"] = (ready_at - t0) * 1000
        run["drops"], run["rate"], run["ipis"], run["notes"] = run_generators(args.build, args.ns, cfg.cpus,
                                                                             count)
        # let the tracer drain its rings: wait until its CPU time stops growing
        end = time.monotonic() + DRAIN_MAX
        last = proc_cpu_ticks(p.pid)
        time.sleep(0.2)
        while time.monotonic() < end:
            time.sleep(0.2)
            cur = proc_cpu_ticks(p.pid)
            if cur is None or cur == last:
                break
            last = cur
        run["rss_kb"] = proc_hwm_kb(p.pid)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        status, ru = None, None
        end = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < end:
            pid, st, r = os.wait4(p.pid, os.WNOHANG)
            if pid:
                status, ru = st, r
                break
            time.sleep(0.01)
        if status is None:
            p.kill()
            _, status, ru = os.wait4(p.pid, 0)
            run["notes"].append("killed after SIGINT timeout")
        p.returncode = os.waitstatus_to_exitcode(status)
        started.remove(p)
        errw.join(2)
        if outw:
            outw.join(2)
        if master is not None:
            drain.join(2)
            os.close(master)
    run["cpu_s"] = ru.ru_utime + ru.ru_stime
    if cfg.tool == "skbdrop":
        parse_skbdrop(errw.lines, run)
        if p.returncode != 0:
            run["notes"].append(f"skbdrop exit {p.returncode}: " + " | ".join(errw.lines[-3:]))
    elif cfg.tool == "bpftrace":
        text = "\n".join(errw.lines + (outw.lines if outw else []))
        if cfg.mode == "count":
            m = re.search(r"@c: (\d+)", text)
            run["delivered"] = int(m.group(1)) if m else None
        else:
            n, lost = 0, 0
            with open(outfile, "rb") as f:
                for line in f:
                    if line[:1].isdigit():
                        n += 1
                    else:
                        m = re.search(rb"Lost (\d+) events", line)
                        if m:
                            lost += int(m.group(1))
            m = re.findall(r"Lost (\d+) events", text)
            run["delivered"], run["lost"] = n, lost + sum(int(x) for x in m)
    elif cfg.tool == "perf":
        text = "\n".join(errw.lines)
        m = re.search(r"Woken up (\d+) times", text)
        run["wakeups"] = int(m.group(1)) if m else None
        st = sh(["perf", "report", "-i", outfile, "--stats"], check=False, capture_output=True).stdout
        m = re.search(r"SAMPLE events:\s+(\d+)", st)
        run["delivered"] = int(m.group(1)) if m else None
        m = re.search(r"LOST events:\s+(\d+)", st)
        lost = int(m.group(1)) if m else 0
        m = re.search(r"LOST_SAMPLES events:\s+(\d+)", st)
        run["lost"] = lost + (int(m.group(1)) if m else 0)
        run["notes"].append("lost = PERF_RECORD_LOST records (perf report --stats)")
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    return run


# ---------------------------------------------------------------------------------------------------------
# the programs' own cost: kernel.bpf_stats_enabled counts each BPF program's runs and run time

def measure_prog_cost(args, reps=3, count=500000):
    """The table of bench/prog-cost.sh (markdown lines): each configuration's BPF program's own ns per run as
    a multiple of an empty program's on the same drops (kernel.bpf_stats_enabled), or None."""
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prog-cost.sh")
    r = sh([tool, args.build, str(count), str(reps)], check=False, capture_output=True)
    for line in r.stderr.splitlines():
        log(f"program cost: {line}")
    rows = [line for line in r.stdout.splitlines() if line.startswith("|")]
    return rows if r.returncode == 0 and rows else None


def measure_startup(args, runs=41):
    """[(label, median, fastest, 90th percentile)] from bench/startup (posix_spawn until the tracing line, the
    tool started as an operator starts it, then pinned to the tracer's CPU alone), or None."""
    tool = os.path.join(args.build, "bench", "startup")
    skbdrop = os.path.join(args.build, "skbdrop")
    if not os.access(tool, os.X_OK):
        return None
    rows = []
    for label, prefix in (("unpinned (both CPUs)", []),
                          (f"pinned to CPU {TRACER_CPU} (`taskset -c {TRACER_CPU}`)", ["taskset", "-c", str(TRACER_CPU)])):
        r = sh(prefix + [tool, "-n", str(runs), skbdrop], check=False, capture_output=True)
        m = re.search(r"median ([\d.]+) ms, fastest ([\d.]+), 90th percentile ([\d.]+)", r.stdout)
        if r.returncode or not m:
            log(f"startup: {label}: {r.stderr.strip()[:200]}")
            continue
        rows.append((label, float(m.group(1)), float(m.group(2)), float(m.group(3))))
        log(f"startup {label}: median {m.group(1)} ms")
    return rows or None


def measure_fmt_cost(args, reps=3):
    """{mode: (median ns per event, bytes per event)} from bench/fmtcost on the tracer's CPU, or None."""
    tool = os.path.join(args.build, "bench", "fmtcost")
    if not os.access(tool, os.X_OK):
        return None
    seen = {}
    for _ in range(reps):
        out = sh(["taskset", "-c", str(TRACER_CPU), tool, "1000000"], check=False, capture_output=True).stdout
        for m in re.finditer(r"fmtcost: (\w+) (\d+) ns/event, (\d+) bytes/event", out):
            seen.setdefault(m.group(1), []).append((int(m.group(2)), int(m.group(3))))
    return {k: (median([v[0] for v in vs]), vs[0][1]) for k, vs in seen.items()} or None


# ---------------------------------------------------------------------------------------------------------
# exactness of the generators

def check_exact(args, skbdrop, tmp, count):
    kinds = [  # label, dropgen kind, addr, port, reason
        ("UDP to a closed port, loopback", "noport", "127.0.0.1", 7, "NO_SOCKET"),
        ("UDP into a full receive buffer, loopback", "rcvbuf", "127.0.0.1", 11, "SOCKET_RCVBUFF"),
        ("nft prerouting drop, loopback", "send", "127.0.0.1", 9, "NETFILTER_DROP"),
        ("nft prerouting drop over veth into a 2nd namespace", "send", "10.231.0.2", 9, "NETFILTER_DROP"),
    ]
    rows = []
    for label, kind, addr, port, reason in kinds:
        # 16 MiB rings: a stalled reader (a noisy VM) should not turn this check into a loss test
        p = subprocess.Popen(["taskset", "-c", str(TRACER_CPU), skbdrop, "-r", reason, "--count-only",
                              "--pages", "4096"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(p)
        w = LineWatcher(p.stderr, r"^skbdrop: tracing")
        w.start()
        try:
            if not w.event.wait(READY_TIMEOUT) or not w.ready_at:
                raise RuntimeError("skbdrop did not start: " + " | ".join(w.lines))
            drops, rate, _, notes = run_generators(args.build, args.ns, (PRODUCER_CPU,), count, port, kind, addr)
            time.sleep(0.3)
        finally:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            started.remove(p)
            w.join(2)
        run = {}
        parse_skbdrop(w.lines, run)
        got = run.get("delivered")
        rows.append((label, kind, reason, drops, got, run.get("lost"), rate))
        log(f"exact: {kind} {addr}:{port} {reason}: generated {drops}, skbdrop counted {got}, "
            f"lost {run.get('lost')}")
    return rows


# ---------------------------------------------------------------------------------------------------------
# report

def fmt(x, spec, none="n/a"):
    return none if x is None else format(x, spec)


def summarize(cfg, base_rate):
    runs = cfg.runs
    s = {"rate": median([r["rate"] for r in runs])}
    nprod = len(cfg.cpus)
    paired = [r for r in runs if r.get("anchor_rate")]
    if paired and len(paired) == len(runs):
        # each run against the baseline measured just before it; medians of the pairs
        s["ratio"] = median([r["rate"] / r["anchor_rate"] for r in paired])
        s["ns"] = median([nprod * 1e9 / r["rate"] - nprod * 1e9 / r["anchor_rate"] for r in paired])
        s["paired"] = True
    else:
        s["ratio"] = s["rate"] / base_rate if base_rate and s["rate"] else None
        s["ns"] = (nprod * 1e9 / s["rate"] - nprod * 1e9 / base_rate) if s["ratio"] else None
        s["paired"] = False
    lost_pct = []
    for r in runs:
        if r.get("lost") is not None and r.get("delivered") is not None and r["delivered"] + r["lost"] > 0:
            lost_pct.append(100.0 * r["lost"] / (r["delivered"] + r["lost"]))
    s["lost"] = median(lost_pct)
    s["lost_max"] = max(lost_pct) if lost_pct else None
    s["delivered"] = [r.get("delivered") for r in runs]

    def per_m(key, denom_key):
        vals = []
        for r in runs:
            d = r.get(denom_key) or r.get("drops")
            if r.get(key) is not None and d:
                vals.append(r[key] / d * 1e6)
        return median(vals)

    s["cpu"] = per_m("cpu_s", "delivered")
    s["wake"] = per_m("wakeups", "delivered")
    for r in runs:
        r["ipi_sum"] = sum(r["ipis"][row] for row in IPI_ROWS)
        for row in IPI_ROWS:
            r["ipi_" + row] = r["ipis"][row]
        r["ipi_other"] = sum(r["ipis"]["other"].values()) if len(cfg.cpus) == 1 else None
    s["ipi_other"] = per_m("ipi_other", "drops")
    s["ipi"] = per_m("ipi_sum", "drops")
    s["ipi_rows"] = {row: per_m("ipi_" + row, "drops") for row in IPI_ROWS}
    s["rss"] = median([r["rss_kb"] for r in runs])
    s["startup"] = median([r["startup_ms"] for r in runs])
    s["drops"] = median([r["drops"] for r in runs])
    notes = []
    for r in runs:
        for n in r["notes"]:
            if n not in notes:
                notes.append(n)
    s["notes"] = notes
    return s


def machine_header(skbdrop, argv_line, count, slow_count, reps, anchor_count=0):
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ver = sh([skbdrop, "-V"], check=False, capture_output=True)
    return [
        "# skbdrop bench results",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {model} |",
        f"| nproc | {os.cpu_count()} |",
        f"| kernel | {os.uname().release} ({os.uname().version}) |",
        f"| date | {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')} |",
        f"| skbdrop | {(ver.stdout or ver.stderr).strip()} |",
        f"| command | `{argv_line}` |",
        f"| drops per run | {count:,} ({slow_count:,} for slow tracers: bpftrace printf) |",
        f"| repetitions | {reps}, configurations interleaved in a different order each repetition; medians |",
        "| ratio | " + (f"each traced run ÷ an untraced run of {anchor_count:,} drops just before it (paired); "
                       "median of the pairs" if anchor_count else "median traced ÷ median untraced") + " |",
        "",
    ]


def write_results(args, cfgs, exact_rows, skbdrop, argv_line, versions, prog_rows=None, fmt_cost=None,
                  startup=None):
    os.makedirs(args.out, exist_ok=True)
    lines = machine_header(skbdrop, argv_line, args.count, args.slow_count, args.reps, args.anchor_count)
    if exact_rows:
        lines += ["## Generators: exact drop counts",
                  "",
                  "Each kind alone on CPU 0, counted by `skbdrop -r REASON --count-only --pages 4096` on CPU 1 "
                  f"({args.exact_count:,} drops each).",
                  "",
                  "| drop kind | dropgen -k | reason | generated | skbdrop counted | lost | exact | drops/s (traced) |",
                  "|---|---|---|---|---|---|---|---|"]
        for label, kind, reason, drops, got, lost, rate in exact_rows:
            if got == drops:
                ok = "yes"
            elif got is not None and lost is not None and got + lost == drops:
                ok = "yes, counting the lost"
            else:
                ok = f"**no** ({(got or 0) + (lost or 0) - drops:+d})"
            lines.append(f"| {label} | {kind} | {reason} | {drops} | {got} | {lost} | {ok} | {rate:.0f} |")
        lines.append("")
    for group, title in (("one core", "## One producer (CPU 0), tracer pinned to CPU 1"),
                         ("two cores", "## Both cores producing (generators on CPU 0 and 1), tracer unpinned")):
        gcfgs = [c for c in cfgs if c.group == group]
        if not gcfgs:
            continue
        base = next((c for c in gcfgs if c.tool == "none"), None)
        base_rate = median([r["rate"] for r in base.runs]) if base and base.runs else None
        lines += [title, "",
                  "| configuration | drops/s | ratio | added ns/drop | lost % | CPU s / M events | "
                  "wakeups / M events | IPIs / M drops (CAL/RES/IWI) | IPIs / M drops, tracer CPU | peak RSS MiB | "
                  "startup ms | notes |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for c in gcfgs:
            if c.skip or not c.runs:
                lines.append(f"| {c.name} | | | | | | | | | | | {c.skip or 'no runs'} |")
                continue
            s = summarize(c, base_rate)
            c.summary = s
            lost = fmt(s["lost"], ".2f")
            if s["lost_max"] and s["lost_max"] != s["lost"]:
                lost += f" (max {s['lost_max']:.2f})"
            notes = list(s["notes"])
            if c.slow:
                notes.append(f"{s['drops']:.0f} drops per run")
            if c.tool == "perf":
                notes.append("wakeups: perf's 'Woken up N times'; startup not measurable (fixed 1.5 s wait)")
            if c.tool == "bpftrace":
                notes.append("startup until 'Attaching'")
            lines.append(
                f"| {c.name} | {s['rate']:.0f} | {fmt(s['ratio'], '.2f')} | {fmt(s['ns'], '.0f', '-')} | "
                f"{lost if c.tool != 'none' else '-'} | {fmt(s['cpu'], '.2f', '-')} | "
                f"{fmt(s['wake'], '.0f', 'n/a' if c.tool != 'none' else '-')} | {fmt(s['ipi'], '.0f')} "
                f"({'/'.join(fmt(s['ipi_rows'][k], '.0f') for k in IPI_ROWS)}) | {fmt(s['ipi_other'], '.0f', '-')} | "
                f"{fmt(s['rss'] / 1024 if s['rss'] else None, '.1f', '-')} | "
                f"{fmt(s['startup'], '.0f', '-')} | {'; '.join(notes)} |")
        lines.append("")
    lines += ["Columns: see bench/README.md. Tools: " + "; ".join(versions), ""]
    if prog_rows:
        lines += ["## The BPF program's own cost per drop, as a multiple of an empty program's", "",
                  "`bench/prog-cost.sh BUILD 500000 3` (median of 3): with `kernel.bpf_stats_enabled=1`, an empty "
                  "program (`bench/emptyprog`: return 0) stays attached to skb:kfree_skb while each configuration "
                  "runs on 500,000 nft drops, so both programs run on the same drops and the machine's speed of "
                  "the moment divides out. The time includes the two clock reads bpf_stats adds per run (in the "
                  "empty program's too); it excludes the tracepoint's own work and the reader.", ""] + prog_rows + [""]
    if fmt_cost:
        lines += ["## The reader's formatting cost per event", "",
                  "`bench/fmtcost 1000000` on CPU 1, median of 3: one bench-like event (an nft drop of a UDP "
                  "datagram on loopback) formatted a million times through the tool's cache, names from a fake "
                  "resolver; no kernel, no ring, no write.", "",
                  "| output | ns per event | bytes per event |", "|---|---|---|"]
        for mode in ("text", "json"):
            if mode in fmt_cost:
                lines.append(f"| {mode} | {fmt_cost[mode][0]:.0f} | {fmt_cost[mode][1]} |")
        lines.append("")
    if startup:
        lines += ["## Start-up", "",
                  "`bench/startup -n 41 BUILD/skbdrop` (`-o json`): from just before `posix_spawn` until "
                  "`skbdrop: tracing` is read from its stderr, 41 runs 0.15 s apart, tracefs as this machine has it "
                  "(mounted or not). Unpinned is how an operator starts it: its start-up jobs run on the other CPU "
                  "meanwhile. The tables above pin the tracer to one CPU, where they cannot (their startup column).",
                  "", "| skbdrop | median ms | fastest ms | 90th percentile ms |", "|---|---|---|---|"]
        for label, med, fast, p90 in startup:
            lines.append(f"| {label} | {med:.2f} | {fast:.2f} | {p90:.2f} |")
        lines.append("")
    lines += ["## Raw runs", "",
              "| configuration | rep | drops | drops/s | delivered | lost | wakeups | polls | IPIs CAL/RES/IWI | "
              "other CPU CAL/RES/IWI | CPU s | "
              "VmHWM KiB | startup ms | paired baseline drops/s |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cfgs:
        for r in c.runs:
            lines.append(f"| {c.name} | {r['rep']} | {r['drops']} | {r['rate']:.0f} | {r.get('delivered')} | "
                         f"{r.get('lost')} | {r.get('wakeups')} | {r.get('polls')} | "
                         f"{'/'.join(str(r['ipis'][k]) for k in IPI_ROWS)} | "
                         f"{'/'.join(str(r['ipis']['other'][k]) for k in IPI_ROWS)} | "
                         f"{fmt(r['cpu_s'], '.2f', '-')} | {r['rss_kb']} | {fmt(r['startup_ms'], '.1f', '-')} | "
                         f"{fmt(r.get('anchor_rate'), '.0f', '-')} |")
    with open(os.path.join(args.out, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    plot(args.out, cfgs)


def plot(out, cfgs):
    dat = os.path.join(out, "ratio.dat")
    with open(dat, "w") as f:
        f.write("# configuration\tratio\tlost_pct\n")
        for c in cfgs:
            s = getattr(c, "summary", None)
            if s and c.tool != "none" and s["ratio"] is not None:
                label = c.name.replace("skbdrop ", "").replace("2 producers: ", "2 prod: ")
                f.write(f'"{label}"\t{s["ratio"]:.4f}\t{(s["lost"] or 0):.4f}\n')
    plot_dat(out, dat)


def plot_dat(out, dat):
    """ratio.png and ratio.svg from ratio.dat (harness.py --replot DIR redraws them)."""
    if not shutil.which("gnuplot"):
        log("gnuplot not installed: no plot")
        return
    body = """
set datafile separator "\\t"
set multiplot layout 2,1 title "skbdrop bench: producer rate with tracer / rate alone (median), and events lost"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set xtics rotate by -40 left font ",9" nomirror
set key off
set lmargin 10
set rmargin 18
set bmargin 1
set ylabel "ratio to no tracer"
set yrange [0:1.1]
plot DAT using 2:xtic("") lc rgb "#3465a4", \\
     '' using 0:($2+0.04):(sprintf("%.2f",$2)) with labels font ",8"
set bmargin 16
set ylabel "events lost %"
set yrange [0:*]
plot DAT using 3:xtic(1) lc rgb "#cc0000", \\
     '' using 0:($3):(sprintf("%.1f",$3)) with labels offset 0,0.6 font ",8"
unset multiplot
"""
    for term, name in (('pngcairo size 1400,1000 font ",10"', "ratio.png"), ("svg size 1400,1000", "ratio.svg")):
        script = f'DAT = "{dat}"\nset terminal {term}\nset output "{os.path.join(out, name)}"\n' + body
        r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if r.returncode != 0:
            log(f"gnuplot failed for {name}: {r.stderr.strip()}")


# ---------------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build")
    ap.add_argument("--ns", default=f"skbdbench{os.getpid()}")
    ap.add_argument("--count", type=int, default=2000000)
    ap.add_argument("--slow-count", type=int, default=200000)
    ap.add_argument("--exact-count", type=int, default=500000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--anchor-count", type=int, default=1000000,
                    help="drops of the untraced run just before each traced run (0: none; ratios then use "
                         "the median baseline)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--quick", action="store_true", help="4 configurations only (a smoke test)")
    ap.add_argument("--cmdline", default=" ".join(sys.argv))
    ap.add_argument("--replot", metavar="DIR", help="only redraw DIR/ratio.png and .svg from DIR/ratio.dat")
    args = ap.parse_args()
    if args.replot:
        plot_dat(args.replot, os.path.join(args.replot, "ratio.dat"))
        return
    args.build = os.path.abspath(args.build)
    skbdrop = os.path.join(args.build, "skbdrop")
    if os.cpu_count() < 2:
        sys.exit("bench: needs 2 CPUs (producer on CPU 0, tracer on CPU 1)")
    # the harness itself (stderr readers, the pty's reader) stays off the producer's CPU
    os.sched_setaffinity(0, {TRACER_CPU})
    helptext = sh([skbdrop, "--help"], capture_output=True).stdout
    cfgs = build_configs(skbdrop, helptext, args.quick)
    versions = []
    for tool, cmd in (("bpftrace", ["bpftrace", "--version"]), ("perf", ["perf", "--version"])):
        if shutil.which(tool):
            versions.append(sh(cmd, check=False, capture_output=True).stdout.strip())
        else:
            versions.append(f"{tool} not installed")
    ns = Netns(args.ns)
    tmp = tempfile.mkdtemp(prefix="skbdrop-bench.")
    mounted_debugfs = False

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        # bpftrace 0.17 looks for tracepoints under /sys/kernel/debug/tracing only
        if shutil.which("bpftrace") and not os.path.isdir("/sys/kernel/debug/tracing/events"):
            if sh(["mount", "-t", "debugfs", "debugfs", "/sys/kernel/debug"], check=False).returncode == 0:
                mounted_debugfs = True
        ns.setup()
        t_start = time.monotonic()
        exact_rows = check_exact(args, skbdrop, tmp, args.exact_count) if not args.quick else []
        runnable = [c for c in cfgs if not c.skip]
        for c in cfgs:
            if c.skip:
                log(f"skip {c.name}: {c.skip}")
        rng = random.Random(4)
        base_of = {c.group: c for c in runnable if c.tool == "none"}
        for rep in range(1, args.reps + 1):
            order = runnable[:]
            rng.shuffle(order)
            # the untraced baseline twice per repetition (its own row)
            order.insert(len(order) // 2, next(c for c in runnable if c.tool == "none"))
            for c in order:
                count = args.slow_count if c.slow else args.count
                anchor = None
                if c.tool != "none" and args.anchor_count and c.group in base_of:
                    # the paired baseline, just before: this VM's speed drifts by +-25 % over
                    # seconds, so each run is compared with the untraced rate of its moment
                    anchor = run_once(base_of[c.group], args, tmp, args.anchor_count)
                r = run_once(c, args, tmp, count)
                r["rep"] = rep
                r["anchor_rate"] = anchor["rate"] if anchor else None
                c.runs.append(r)
                log(f"rep {rep} {c.name}: {r['rate']:.0f} drops/s, delivered {r.get('delivered')}, "
                    f"lost {r.get('lost')}, wakeups {r.get('wakeups')}, ipis {r['ipis']}, "
                    f"cpu {fmt(r['cpu_s'], '.2f', '-')} s, startup {fmt(r['startup_ms'], '.0f', '-')} ms "
                    f"{' '.join(r['notes'])}")
        prog_rows = measure_prog_cost(args) if not args.quick else None
        fmt_cost = measure_fmt_cost(args) if not args.quick else None
        startup = measure_startup(args)  # (with --quick too: 82 runs take about 20 s)
        log(f"runs took {time.monotonic() - t_start:.0f} s")
        write_results(args, cfgs, exact_rows, skbdrop, args.cmdline, versions, prog_rows, fmt_cost, startup)
        log(f"wrote {args.out}/RESULTS.md, ratio.png, ratio.svg")
    finally:
        for p in list(started):
            if p.poll() is None:
                p.kill()
                p.wait()
        ns.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
        if mounted_debugfs:
            subprocess.run(["umount", "/sys/kernel/debug"], check=False)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
