"""Service load (issues 8, 18): reads of a stored plan over HTTP on loopback; health latency
while plan jobs run in worker processes, and the API server's memory across those jobs.

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


# plan jobs run while health is measured, and the jobs over which the server's memory is watched
PLAN_JOBS = int(os.environ.get("CB_BENCH_PLAN_JOBS", "20"))


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _post(port: int, path: str, token: str, body: object) -> dict[str, object]:
    import json

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(
        "POST",
        path,
        body=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    out: dict[str, object] = json.loads(c.getresponse().read())
    return out


def _job_states(port: int, token: str) -> list[str]:
    import json

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/v1/jobs?limit=500", headers={"Authorization": f"Bearer {token}"})
    return [str(j["status"]) for j in json.loads(c.getresponse().read())]


def run_under_plans() -> list[Result]:
    """Health latency while ``PLAN_JOBS`` plan jobs of examples/startup.yaml run (two worker
    processes), and the API server's RSS before and after them."""
    from computebroker.examples import example_path

    tmp = tempfile.mkdtemp()
    url = f"sqlite:///{Path(tmp) / 'load.db'}"
    token, _ = _prepare(url)
    port = PORT + 1
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "computebroker",
            "serve",
            "--port",
            str(port),
            "--db",
            url,
            "--workers",
            "2",
            "--team-limit",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_up(port)
        text = example_path("startup.yaml").read_text()
        _post(port, "/v1/scenarios", token, {"name": "startup", "yaml": text})
        body = {"scenario": "startup", "scenarios": 30, "out_of_sample": 0, "frontier": False}
        _post(port, "/v1/plans", token, body)  # the first job warms the workers up
        while _job_states(port, token).count("done") < 2:
            time.sleep(0.5)
        rss0 = _rss_mib(server.pid)
        idle = _health_latencies(port, 200)
        for _ in range(PLAN_JOBS):
            _post(port, "/v1/plans", token, body)
        lat = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while True:
            states = _job_states(port, token)
            if all(x in ("done", "failed", "cancelled") for x in states):
                break
            for _ in range(20):
                t = time.perf_counter()
                conn.request("GET", "/v1/health")
                conn.getresponse().read()
                lat.append(time.perf_counter() - t)
                time.sleep(0.02)
        rss1 = _rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    p99 = float(np.percentile(lat, 99)) * 1000
    p99_idle = float(np.percentile(idle, 99)) * 1000
    growth = (rss1 - rss0) / rss0
    print(
        f"    health p99 {p99:.1f} ms over {len(lat)} requests while {PLAN_JOBS} plans ran "
        f"({p99_idle:.1f} ms with none); "
        f"server RSS {rss0:.0f} -> {rss1:.0f} MiB ({growth:+.1%}); "
        f"{states.count('done')} of {len(states)} jobs done",
        flush=True,
    )
    return [
        Result(
            name=f"health p99 while {PLAN_JOBS} plans run",
            value=p99,
            unit="ms",
            target=below(20),
            notes=f"{len(lat)} requests; plans in 2 worker processes; idle p99 {p99_idle:.1f} ms",
        ),
        Result(
            name=f"server RSS growth over {PLAN_JOBS} plan jobs",
            value=abs(growth) * 100,
            unit="%",
            target=at_most(10, "within ±10%"),
            notes=f"{rss0:.0f} -> {rss1:.0f} MiB ({growth:+.1%})",
        ),
    ]


def _health_latencies(port: int, n: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    out = []
    for _ in range(n):
        t = time.perf_counter()
        conn.request("GET", "/v1/health")
        conn.getresponse().read()
        out.append(time.perf_counter() - t)
        time.sleep(0.01)
    return out


def _wait_up(port: int) -> None:
    for _ in range(600):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/v1/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not come up")


def run() -> list[Result]:
    return run_reads() + run_under_plans()


def run_reads() -> list[Result]:
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
