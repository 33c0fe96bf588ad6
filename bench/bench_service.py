"""Service load (issue 8): reads of a stored plan over HTTP on loopback.

A uvicorn server (one process, the app as ``computebroker serve`` runs it) serves a SQLite
store holding one finished plan of ``examples/startup.yaml``; a second process — this one —
sends GET /v1/plans/{id} from 8 keep-alive connections for 10 seconds. Target: at least 500
requests/s with p99 latency under 50 ms on 2 cores.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench.harness import Result, at_least, at_most, below

TITLE = "service: stored-plan reads over HTTP, one server process, loopback"
PORT = 8766
SECONDS = 10.0
CONNECTIONS = 8


def _prepare(url: str) -> tuple[str, str]:
    from computebroker.catalog import shipped_catalog
    from computebroker.examples import example_path
    from computebroker.planner import (
        PlanOptions,
        load_scenario,
        metrics,
        prepare_problem,
        solve_plan,
    )
    from computebroker.planner.document import plan_document
    from computebroker.store import close_store, open_store, repo

    cat = shipped_catalog()
    p = prepare_problem(load_scenario(example_path("startup.yaml"), cat), cat, count=50)
    res = solve_plan(p, PlanOptions())
    doc = plan_document(res, metrics(res.plan) if res.plan else None).to_json()
    factory = open_store(url)
    with factory.begin() as s:
        team = repo.create_team(s, "bench")
        token = repo.issue_token(s, team)
        job = repo.create_job(s, team.id, "plan", {"scenario": "startup"})
        repo.set_job(s, job.id, status="done", progress=1.0, result=doc)
        job_id = job.id
    close_store(factory)
    return token, job_id


def run() -> list[Result]:
    tmp = tempfile.mkdtemp()
    url = f"sqlite:///{Path(tmp) / 'bench.db'}"
    token, job_id = _prepare(url)
    env = dict(os.environ)
    server = subprocess.Popen(
        [sys.executable, "-m", "computebroker", "serve", "--port", str(PORT), "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                c.request("GET", "/v1/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        lat: list[float] = []
        errors = [0]
        stop = time.perf_counter() + SECONDS
        headers = {"Authorization": f"Bearer {token}"}

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            mine = []
            while time.perf_counter() < stop:
                t = time.perf_counter()
                conn.request("GET", f"/v1/plans/{job_id}", headers=headers)
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    errors[0] += 1
                mine.append(time.perf_counter() - t)
            lat.extend(mine)

        threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=10)
    rps = len(lat) / elapsed
    p99 = float(np.percentile(lat, 99)) * 1000
    p50 = float(np.percentile(lat, 50)) * 1000
    print(
        f"    {rps:,.0f} requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, {errors[0]} errors",
        flush=True,
    )
    return [
        Result(
            name="stored-plan reads",
            value=rps,
            unit="req/s",
            target=at_least(500),
            notes=f"{len(lat):,} requests from {CONNECTIONS} connections in {elapsed:.1f} s, {errors[0]} errors",
        ),
        Result(
            name="stored-plan reads: p99 latency",
            value=p99,
            unit="ms",
            target=below(50),
            notes=f"p50 {p50:.1f} ms",
        ),
        Result(name="stored-plan reads: errors", value=errors[0], unit="", target=at_most(0, "0")),
    ]
