#!/usr/bin/env python3
"""make bench-perf: omswatch's polling cost, against a floor and an alternative.

Runs, on this machine, with every program in its own process:
  - omswatch-sim --scenario static --projects N (the OMS),
  - omswatch run (the daemon, a configuration written here),
  - perf_floor (only the HTTP exchanges of a poll, C++/Beast, same concurrency),
  - py_poller.py (a plain Python 3 poller: http.client, json, sqlite3, one thread),
  - perf_sim (the static scenario with a control channel) for the latency run,
and prints Markdown tables (docs/performance.md explains each figure). With
--doc FILE it also replaces the part of FILE between the markers
"<!-- bench-perf:begin -->" and "<!-- bench-perf:end -->" with them.

What is measured, and how:
  CPU   utime+stime from /proc/PID/stat over a steady window (start-up and the
        first poll of every project excluded), divided by the polls of that window.
  polls omswatch: omswatch_polls_total from /metrics, scraped just before the
        window's first CPU reading and just after its last; the floor and the
        Python poller print their own counters every second.
  RSS   VmHWM from /proc/PID/status at the end (the peak of the whole run).
  DB    the bytes of the sample_rows table's pages per row (dbstat) times the
        rows a project stores a day (one per mean gap between a project's
        consecutive rows), in the 1,000-project run.
  drift each project's achieved interval from the samples table (sample_every
        "0s" in that run, so every poll is a row); the Python poller's own rows.
  latency  from the moment the simulator has the first reply carrying the new
        status ready to write, to the moment the receiver has read the whole
        webhook request (both CLOCK_MONOTONIC), group_wait "0s".
"""

import argparse
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLK_TCK = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))


# --- processes ---------------------------------------------------------------

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process whose stdout lines are read by a thread."""

    def __init__(self, argv, stdin=False, stderr=None):
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stderr=stderr if stderr is not None else subprocess.DEVNULL)
        self.pid = self.p.pid
        self.lines = []
        self.cond = threading.Condition()
        self.on_line = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            line = line.rstrip("\n")
            if self.on_line:
                self.on_line(line)
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)
            self.cond.notify_all()

    def wait_line(self, pred, timeout=60):
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                while seen < len(self.lines):
                    line = self.lines[seen]
                    seen += 1
                    if line is None:
                        raise RuntimeError(f"{self.p.args[0]} ended before the expected line")
                    if pred(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{self.p.args[0]}: no expected line within {timeout} s")
                self.cond.wait(left)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def start_sim(argv):
    sim = Proc(argv, stdin=argv[0].endswith("perf_sim"))
    line = sim.wait_line(lambda l: l.startswith("listening on "), timeout=60)
    port = int(line.rsplit(":", 1)[1])
    return sim, port


# --- omswatch ----------------------------------------------------------------

def write_config(path, db, listen_port, sim_port, projects, interval, sample_every="1m",
                 receiver_port=None, max_in_flight=8):
    ids = ", ".join(f'"np_sim_{i:06d}"' for i in range(1, projects + 1))
    text = (f'[daemon]\ndatabase = "{db}"\nlisten = "127.0.0.1:{listen_port}"\n'
            f'log_level = "info"\n'
            f'[[oms]]\nname = "sim"\nurl = "http://127.0.0.1:{sim_port}"\n'
            f'username = "omswatch"\npassword = "omswatch"\ninterval = "{interval}"\n'
            f'timeout = "10s"\nmax_in_flight = {max_in_flight}\nprojects = [{ids}]\n'
            f'[storage]\nsample_every = "{sample_every}"\n')
    if receiver_port:
        text += (f'[routes.MEDIUM]\nreceivers = ["bench"]\ngroup_wait = "0s"\n'
                 f'[[receivers]]\nname = "bench"\ntype = "webhook"\n'
                 f'url = "http://127.0.0.1:{receiver_port}/hook"\n')
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def scrape_polls(listen_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{listen_port}/metrics", timeout=30) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("omswatch_polls_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


class Daemon:
    def __init__(self, binary, workdir, sim_port, projects, interval, sample_every="1m",
                 receiver_port=None):
        self.workdir = workdir
        self.db = os.path.join(workdir, "omswatch.db")
        self.listen = free_port()
        cfg = os.path.join(workdir, "omswatch.toml")
        write_config(cfg, self.db, self.listen, sim_port, projects, interval, sample_every,
                     receiver_port)
        self.log = open(os.path.join(workdir, "omswatch.log"), "w")
        self.proc = Proc([binary, "run", "-c", cfg], stderr=self.log)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 60
        while True:
            try:
                scrape_polls(self.listen)
                break
            except OSError:
                if self.proc.p.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"omswatch did not start; see {self.log.name}")
                time.sleep(0.05)

    def polls(self):
        return scrape_polls(self.listen)

    def stop(self):
        self.proc.stop()
        self.log.close()


# --- measurements ------------------------------------------------------------

def window_daemon(d, warm_polls, warm_s, window_s):
    """Waits for the warm-up, then measures a window: (polls/s, cpu_s, polls)."""
    t0 = time.monotonic()
    while d.polls() < warm_polls or time.monotonic() - t0 < warm_s:
        time.sleep(0.2)
    p0 = d.polls()
    c0, t_start = cpu_seconds(d.pid), time.monotonic()
    time.sleep(window_s)
    c1, t_end = cpu_seconds(d.pid), time.monotonic()
    p1 = d.polls()
    return (p1 - p0) / (t_end - t_start), c1 - c0, p1 - p0, t_end - t_start


def window_ticker(proc, warm_s, window_s):
    """The same for a program printing "tick NS POLLS" each second."""
    marks = []
    lock = threading.Lock()

    def on_line(line):
        if line.startswith("tick "):
            _, ns, polls = line.split()
            try:
                cpu, rss = cpu_seconds(proc.pid), vm_hwm_kib(proc.pid)
            except OSError:
                return
            if rss == 0:
                return  # the program is ending: its figures are gone
            with lock:
                marks.append((int(ns) / 1e9, int(polls), cpu))
                proc.rss = max(proc.rss, rss)
    proc.rss = 0
    proc.on_line = on_line
    time.sleep(warm_s + window_s + 1.5)
    with lock:
        m = [x for x in marks]
    first = next(x for x in m if x[0] - m[0][0] >= warm_s - 1.01)
    last = m[-1]
    elapsed = last[0] - first[0]
    return (last[1] - first[1]) / elapsed, last[2] - first[2], last[1] - first[1], elapsed


def db_bytes(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        size = con.execute("PRAGMA page_size").fetchone()[0]
        return (pages - free) * size
    finally:
        con.close()


def sample_rows(path):
    """(bytes of sample_rows' pages per row, mean seconds between a project's
    consecutive rows)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute("SELECT count(*) FROM sample_rows").fetchone()[0]
        pages = con.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name = 'sample_rows'").fetchone()[0]
        gap = con.execute(
            "SELECT avg(observed_at - previous) / 1000.0 FROM ("
            " SELECT observed_at, lag(observed_at) OVER (PARTITION BY project"
            " ORDER BY observed_at) AS previous FROM sample_rows)"
            " WHERE previous IS NOT NULL").fetchone()[0]
        return pages / max(1, rows), gap
    finally:
        con.close()


def intervals_from(db, table, column, scale, since, until):
    """Per-project gaps between consecutive polls observed in [since, until]."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute(f"SELECT project_id, {column} FROM {table} "
                           f"WHERE {column} >= ? AND {column} <= ? ORDER BY project_id, {column}",
                           (since * scale, until * scale)).fetchall()
    finally:
        con.close()
    gaps, last = [], {}
    for pid, at in rows:
        if pid in last:
            gaps.append((at - last[pid]) / scale)
        last[pid] = at
    return gaps, len(last)


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


# --- the webhook receiver ----------------------------------------------------

class Receiver:
    """Records (project_id, new status) -> CLOCK_MONOTONIC seconds of arrival."""

    def __init__(self):
        self.arrivals = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                at = time.monotonic()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                try:
                    events = json.loads(body).get("events", [])
                except ValueError:
                    return
                with outer.lock:
                    for e in events:
                        to = (e.get("details") or {}).get("to")
                        if e.get("kind") == "status_changed" and to:
                            outer.arrivals.setdefault((e.get("project_id"), to), at)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def latency_run(sim, receiver, projects, changes, interval_s):
    """Sets `changes` projects to SUSPEND and back; returns the latencies in ms."""
    served = {}
    lock = threading.Lock()

    def on_line(line):
        if line.startswith("served "):
            _, pid, status, ns = line.split()
            with lock:
                served[(pid, status)] = int(ns) / 1e9
    sim.on_line = on_line
    chosen = random.Random(8).sample(range(1, projects + 1), changes)
    ids = [f"np_sim_{i:06d}" for i in chosen]
    for status in ("SUSPEND", "RUNNING"):
        for pid in ids:
            sim.p.stdin.write(f"set {pid} {status}\n")
            sim.p.stdin.flush()
            time.sleep(interval_s / changes / 2)
        deadline = time.monotonic() + interval_s * 2 + 10
        while time.monotonic() < deadline:
            with receiver.lock:
                done = sum((pid, status) in receiver.arrivals for pid in ids)
            if done == len(ids):
                break
            time.sleep(0.2)
    latencies, missing = [], 0
    with lock, receiver.lock:
        for key, at in served.items():
            if key in receiver.arrivals:
                latencies.append((receiver.arrivals[key] - at) * 1000)
            else:
                missing += 1
    return latencies, missing


# --- the runs ------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        b = args.build
        self.omswatch = os.path.join(b, "daemon", "omswatch")
        self.sim = os.path.join(b, "oms", "omswatch-sim")
        self.floor = os.path.join(b, "bench", "perf_floor")
        self.perf_sim = os.path.join(b, "bench", "perf_sim")
        self.poller = os.path.join(HERE, "py_poller.py")
        self.tmp = tempfile.mkdtemp(prefix="omswatch-perf-")
        self.results = {}

    def note(self, text):
        print(text, file=sys.stderr, flush=True)

    def workdir(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        return d

    def full_speed(self, n):
        a = self.args
        sim, port = start_sim([self.sim, "--scenario", "static", "--projects", str(n)])
        out = {}
        try:
            self.note(f"full speed, {n} projects: omswatch")
            # The smallest interval the configuration takes: more polls due
            # than the 8 slots serve at 1,000 and 10,000 projects.
            d = Daemon(self.omswatch, self.workdir(f"full-{n}"), port, n, "100ms")
            try:
                rate, cpu, polls, el = window_daemon(d, n + 8, a.warm, a.window)
                out["omswatch"] = dict(rate=rate, cpu=cpu, polls=polls, rss=vm_hwm_kib(d.pid))
            finally:
                d.stop()
            self.note(f"full speed, {n} projects: floor")
            f = Proc([self.floor, "--port", str(port), "--projects", str(n), "--concurrency", "8",
                      "--seconds", str(a.warm + a.window + 1)])
            rate, cpu, polls, el = window_ticker(f, a.warm, a.window)
            out["floor"] = dict(rate=rate, cpu=cpu, polls=polls, rss=f.rss)
            f.stop()
            self.note(f"full speed, {n} projects: Python")
            py = Proc([sys.executable, self.poller, "--port", str(port), "--projects", str(n),
                       "--seconds", str(a.warm + a.window + 1),
                       "--db", os.path.join(self.workdir(f"py-full-{n}"), "py.db")])
            rate, cpu, polls, el = window_ticker(py, a.warm, a.window)
            out["python"] = dict(rate=rate, cpu=cpu, polls=polls, rss=py.rss)
            py.stop()
        finally:
            sim.stop()
        self.results[f"full-{n}"] = out

    def paced(self, n, interval_s, window_s, sample_every, key):
        """n projects every interval_s: CPU share, RSS, database growth, drift."""
        sim, port = start_sim([self.sim, "--scenario", "static", "--projects", str(n)])
        out = {}
        try:
            self.note(f"{n} projects every {interval_s} s: omswatch ({window_s} s window)")
            d = Daemon(self.omswatch, self.workdir(key), port, n, f"{interval_s}s", sample_every)
            try:
                t0 = time.monotonic()
                while d.polls() < n or time.monotonic() - t0 < interval_s + 2:
                    time.sleep(0.2)
                wall0 = time.time()
                p0, b0 = d.polls(), db_bytes(d.db)
                c0, m0 = cpu_seconds(d.pid), time.monotonic()
                time.sleep(window_s)
                c1, m1 = cpu_seconds(d.pid), time.monotonic()
                p1, b1, wall1 = d.polls(), db_bytes(d.db), time.time()
                # A window holds one or two of a project's once-a-minute rows
                # depending on where it starts (the page count moves with it):
                # the growth is the bytes of sample_rows per row times the rows
                # a project stores over the window's length (one per mean gap).
                per_row, gap = sample_rows(d.db)
                growth = per_row * n * (m1 - m0) / gap if gap else b1 - b0
                gaps = []
                if sample_every == "0s":
                    gaps, _ = intervals_from(d.db, "samples", "observed_at", 1000, wall0, wall1)
                out["omswatch"] = dict(cpu=c1 - c0, el=m1 - m0, polls=p1 - p0,
                                       rss=vm_hwm_kib(d.pid), growth=growth, gaps=gaps)
                if key == "drift":
                    out["status_ms"] = self.time_status(d.db)
            finally:
                d.stop()
            self.note(f"{n} projects every {interval_s} s: floor")
            f = Proc([self.floor, "--port", str(port), "--projects", str(n), "--concurrency", "8",
                      "--interval", str(interval_s), "--seconds", str(interval_s + window_s + 1)])
            rate, cpu, polls, el = window_ticker(f, interval_s, window_s)
            out["floor"] = dict(cpu=cpu, el=el, polls=polls, rss=f.rss)
            f.stop()
            self.note(f"{n} projects every {interval_s} s: Python")
            pydb = os.path.join(self.workdir(f"py-{key}"), "py.db")
            py = Proc([sys.executable, self.poller, "--port", str(port), "--projects", str(n),
                       "--interval", str(interval_s), "--seconds", str(interval_s + window_s + 1),
                       "--db", pydb])
            w0 = time.time() + interval_s
            rate, cpu, polls, el = window_ticker(py, interval_s, window_s)
            out["python"] = dict(cpu=cpu, el=el, polls=polls, rss=py.rss)
            py.stop()
            gaps, _ = intervals_from(pydb, "samples", "observed_at", 1, w0, w0 + window_s)
            out["python"]["gaps"] = gaps
            out["python"]["growth_per_poll"] = os.path.getsize(pydb) / max(1, py_total(pydb))
        finally:
            sim.stop()
        self.results[key] = out

    def time_status(self, db):
        runs = []
        for _ in range(3):
            t = time.monotonic()
            subprocess.run([self.omswatch, "status", "--db", db, "--format", "json"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            runs.append((time.monotonic() - t) * 1000)
        return statistics.median(runs)

    def latency(self, n, interval_s, changes):
        out = {}
        for who in ("omswatch", "python"):
            self.note(f"latency, {n} projects every {interval_s} s: {who}")
            sim, port = start_sim([self.perf_sim, "--projects", str(n)])
            receiver = Receiver()
            try:
                if who == "omswatch":
                    d = Daemon(self.omswatch, self.workdir(f"latency-{n}"), port, n,
                               f"{interval_s}s", receiver_port=receiver.port)
                    try:
                        t0 = time.monotonic()
                        while d.polls() < n or time.monotonic() - t0 < interval_s:
                            time.sleep(0.2)
                        out[who] = latency_run(sim, receiver, n, changes, interval_s)
                    finally:
                        d.stop()
                else:
                    run_s = 3 * interval_s + 2 * (2 * interval_s + 10)
                    py = Proc([sys.executable, self.poller, "--port", str(port), "--projects",
                               str(n), "--interval", str(interval_s), "--seconds", str(run_s),
                               "--webhook-port", str(receiver.port),
                               "--db", os.path.join(self.workdir(f"py-latency-{n}"), "py.db")])
                    time.sleep(interval_s + 1)
                    out[who] = latency_run(sim, receiver, n, changes, interval_s)
                    py.stop()
            finally:
                receiver.close()
                sim.p.stdin.close()
                sim.stop()
        self.results["latency"] = out


def py_total(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM samples").fetchone()[0]
    finally:
        con.close()


# --- the report ----------------------------------------------------------------

def machine():
    def run(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    lscpu = run(["lscpu"])
    keep = ("Architecture", "Model name", "CPU(s)", "Thread(s) per core", "CPU max MHz",
            "L2 cache", "L3 cache", "Hypervisor vendor")
    lines = [l for l in lscpu.splitlines() if l.split(":")[0].strip() in keep]
    compiler = run(["c++", "--version"]).splitlines()[:1]
    return ["```", *lines, f"Kernel:              {platform.release()}",
            f"Compiler:            {compiler[0] if compiler else '?'}",
            f"Python:              {platform.python_version()}",
            f"SQLite (Python):     {sqlite3.sqlite_version}", "```"]


def f1(x):
    return f"{x:,.1f}"


def report(bench, quick):
    r = bench.results
    a = bench.args
    out = [f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')}"
           f"{' (quick mode: short windows)' if quick else ''}; "
           f"full-speed window {a.window} s after {a.warm} s of warm-up.", ""]
    out += machine() + [""]

    out += ["### Polling at full speed (8 requests in flight; Python: one at a time)", "",
            "| projects | program | polls/s | CPU µs/poll | CPU s per 1,000 polls | peak RSS MiB "
            "| CPU/poll vs floor | CPU/poll vs Python |",
            "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for n in a.projects:
        res = r.get(f"full-{n}")
        if not res:
            continue
        per = {k: v["cpu"] / max(1, v["polls"]) * 1e6 for k, v in res.items()}
        for who in ("omswatch", "floor", "python"):
            v = res[who]
            out.append(f"| {n:,} | {who} | {v['rate']:,.0f} | {f1(per[who])} | "
                       f"{per[who] / 1000:.3f} | {v['rss'] / 1024:.1f} | "
                       f"{per[who] / per['floor']:.2f}x | {per[who] / per['python']:.2f}x |")
    out += [""]

    for key, title in (("budget", "1,000 projects every 10 s"),
                       ("drift", "10,000 projects every 10 s (every poll stored)")):
        res = r.get(key)
        if not res:
            continue
        out += [f"### {title}", "",
                "| program | CPU % of a core | CPU µs/poll | polls/s | peak RSS MiB "
                "| achieved interval mean / p99 / max s | DB growth per project-day |",
                "|---|---:|---:|---:|---:|---|---:|"]
        for who in ("omswatch", "floor", "python"):
            v = res[who]
            share = v["cpu"] / v["el"] * 100
            per = v["cpu"] / max(1, v["polls"]) * 1e6
            gaps = v.get("gaps") or []
            gap_txt = (f"{statistics.mean(gaps):.3f} / {pct(gaps, 99):.3f} / {max(gaps):.3f}"
                       if gaps else "-")
            if who == "omswatch" and key == "budget":
                growth = f"{v['growth'] / 1e3 / a.projects_budget / (v['el'] / 86400):,.0f} kB"
            elif who == "python" and "growth_per_poll" in v:
                polls_per_day = 86400 / (10 if key == "budget" else 10)
                growth = f"{v['growth_per_poll'] * polls_per_day / 1e3:,.0f} kB"
            else:
                growth = "-"
            out.append(f"| {who} | {share:.2f} % | {f1(per)} | {v['polls'] / v['el']:,.0f} | "
                       f"{v['rss'] / 1024:.1f} | {gap_txt} | {growth} |")
        if "status_ms" in res:
            out += ["", f"`omswatch status --format json` on that database "
                    f"(10,000 projects): {res['status_ms']:.0f} ms (median of 3)."]
        out += [""]

    lat = r.get("latency")
    if lat:
        out += ["### Notification latency (1,000 projects every 10 s, group_wait 0)", "",
                "From the simulator's first reply carrying the new status (ready to write) to "
                "the receiver having read the whole webhook request.", "",
                "| program | transitions | p50 ms | p99 ms | max ms | not delivered |",
                "|---|---:|---:|---:|---:|---:|"]
        for who in ("omswatch", "python"):
            if who not in lat:
                continue
            values, missing = lat[who]
            out.append(f"| {who} | {len(values)} | {pct(values, 50):.2f} | {pct(values, 99):.2f} "
                       f"| {max(values) if values else float('nan'):.2f} | {missing} |")
        out += [""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="the Release build directory")
    ap.add_argument("--quick", action="store_true", help="short windows (about 5 minutes)")
    ap.add_argument("--doc", help="a Markdown file whose bench-perf section is replaced")
    ap.add_argument("--only", default="full,budget,drift,latency")
    args = ap.parse_args()
    args.projects = [100, 1000, 10000]
    args.projects_budget = 1000
    args.warm = 3 if args.quick else 5
    args.window = 5 if args.quick else 15
    # Long enough for the second stored sample of each project (sample_every 1m).
    budget_window = 70 if args.quick else 120
    drift_window = 30 if args.quick else 60
    changes = 50 if args.quick else 200
    only = set(args.only.split(","))

    bench = Bench(args)
    started = time.monotonic()
    if "full" in only:
        for n in args.projects:
            bench.full_speed(n)
    if "budget" in only:
        bench.paced(1000, 10, budget_window, "1m", "budget")
    if "drift" in only:
        bench.paced(10000, 10, drift_window, "0s", "drift")
    if "latency" in only:
        bench.latency(1000, 10, changes)
    text = report(bench, args.quick)
    text += f"\n(make bench-perf ran for {(time.monotonic() - started) / 60:.1f} minutes.)\n"
    print(text)
    with open(os.path.join(bench.tmp, "report.md"), "w") as f:
        f.write(text)
    if args.doc:
        with open(args.doc) as f:
            doc = f.read()
        begin, end = "<!-- bench-perf:begin -->", "<!-- bench-perf:end -->"
        i, j = doc.find(begin), doc.find(end)
        if i < 0 or j < i:
            print(f"{args.doc} has no {begin} ... {end} section; not changed", file=sys.stderr)
        else:
            with open(args.doc, "w") as f:
                f.write(doc[:i + len(begin)] + "\n" + text + doc[j:])


if __name__ == "__main__":
    main()
