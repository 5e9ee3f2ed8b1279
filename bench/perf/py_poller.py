#!/usr/bin/env python3
"""The alternative omswatch is measured against (make bench-perf).

A straightforward poller in Python 3 with the standard library only: one
thread, http.client with a keep-alive connection, json, sqlite3 (WAL, one
transaction per poll). It polls DescribeProjectProgress for np_sim_000001..N,
stores each reply, and posts a webhook (keep-alive too) when a project's
status differs from the one seen before (the first sight is the baseline).

Every second it prints "tick MONOTONIC_NS POLLS"; it stops after --seconds.
--interval 0 polls as fast as the OMS answers; otherwise the k-th poll is due
at start + k * interval / N, as omswatch spreads its polls.
"""

import argparse
import base64
import http.client
import json
import sqlite3
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", default="omswatch")
    ap.add_argument("--password", default="omswatch")
    ap.add_argument("--projects", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--interval", type=float, default=0)
    ap.add_argument("--db", required=True)
    ap.add_argument("--webhook-port", type=int, default=0)
    args = ap.parse_args()

    auth = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json",
               "Accept": "application/json", "User-Agent": "py-poller"}
    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS samples (project_id TEXT, observed_at REAL, "
               "status TEXT, step TEXT, checkpoint TEXT, reply TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS state (project_id TEXT PRIMARY KEY, status TEXT)")
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    hook = (http.client.HTTPConnection("127.0.0.1", args.webhook_port, timeout=10)
            if args.webhook_port else None)
    last_status = {}
    ids = [f"np_sim_{i:06d}" for i in range(1, args.projects + 1)]
    start = time.monotonic()
    stop = start + args.seconds
    next_tick = start + 1
    polls = 0
    k = 0
    while True:
        now = time.monotonic()
        if now >= stop:
            break
        if now >= next_tick:
            print(f"tick {time.monotonic_ns()} {polls}", flush=True)
            next_tick += 1
        if args.interval > 0:
            due = start + args.interval * k / args.projects
            if due >= stop:
                break
            if due > now:
                time.sleep(min(due, next_tick) - now)
                continue
        pid = ids[k % args.projects]
        k += 1
        try:
            conn.request("POST", "/api/v2?Action=DescribeProjectProgress",
                         body=json.dumps({"id": pid}), headers=headers)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            continue
        if resp.status != 200:
            continue
        reply = json.loads(body)
        data = reply.get("data") or {}
        status = data.get("status")
        with db:
            db.execute("BEGIN")
            db.execute("INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?)",
                       (pid, time.time(), status, data.get("currentStep"),
                        str(data.get("incrSyncCheckpoint")), body.decode()))
            db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (pid, status))
        polls += 1
        before = last_status.get(pid)
        last_status[pid] = status
        if hook and before is not None and before != status:
            payload = json.dumps({"events": [{"project_id": pid, "kind": "status_changed",
                                              "details": {"from": before, "to": status}}]})
            try:
                hook.request("POST", "/", body=payload,
                             headers={"Content-Type": "application/json"})
                hook.getresponse().read()
            except (OSError, http.client.HTTPException):
                hook.close()
    print(f"done {polls} polls", flush=True)


if __name__ == "__main__":
    sys.exit(main())
