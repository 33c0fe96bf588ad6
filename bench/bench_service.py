"""Service load (issues 8, 18): reads of a stored plan over HTTP on loopback; health latency
while 20 plan jobs run in worker processes (and the API server's CPU time meanwhile); the API
server's memory across 100 plan jobs, each fetched as a client does. ``python -m bench service``
runs the reads; ``python -m bench service_load`` the plans and the memory
(:mod:`bench.bench_service_load`).

A uvicorn server (one process, the app as ``computebroker serve`` runs it) serves a SQLite
store holding one finished plan of ``examples/startup.yaml``; a second process — this one —
sends GET /v1/plans/{id} from 8 keep-alive connections for 10 seconds. Target: at least 500
requests/s with p99 latency under 50 ms on 2 cores.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


# plan jobs run while health is measured; plan jobs over which the server's memory is watched
PLAN_JOBS = int(os.environ.get("CB_BENCH_PLAN_JOBS", "20"))
RSS_JOBS = int(os.environ.get("CB_BENCH_RSS_JOBS", "100"))
RSS_WARM = 10  # jobs done before the baseline is taken (imports, caches, connection pools)
TINY = Path(__file__).with_name("data") / "service-tiny.yaml"


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _post(port: int, path: str, token: str, body: object) -> dict[str, object]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(
        "POST",
        path,
        body=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    out: dict[str, object] = json.loads(c.getresponse().read())
    return out


def _get(port: int, path: str, token: str) -> bytes:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    return c.getresponse().read()


def _jobs(port: int, token: str) -> dict[str, str]:
    return {
        str(j["id"]): str(j["status"]) for j in json.loads(_get(port, "/v1/jobs?limit=500", token))
    }


def _finished(states: dict[str, str]) -> bool:
    return all(x in ("done", "failed", "cancelled") for x in states.values())


@contextmanager
def _server(url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``computebroker serve`` with two worker processes (as deployed by default, plus one)."""
    argv = [sys.executable, "-m", "computebroker", "serve", "--port", str(port), "--db", url]
    argv += ["--workers", "2", "--team-limit", "2"]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_up(port)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=60)


def _wait_done(port: int, token: str, n: int) -> None:
    while sum(x == "done" for x in _jobs(port, token).values()) < n:
        time.sleep(0.5)


def _health_while(port: int, stop: threading.Event, lat: list[float]) -> None:
    """GET /v1/health every 20 ms on one keep-alive connection until ``stop``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        t = time.perf_counter()
        conn.request("GET", "/v1/health")
        conn.getresponse().read()
        lat.append(time.perf_counter() - t)
        time.sleep(0.02)


def run_under_plans() -> list[Result]:
    """Health latency while ``PLAN_JOBS`` plan jobs of examples/startup.yaml run in two worker
    processes, a client polling the job list once a second as the dashboard does; and the API
    server's CPU time meanwhile."""
    from computebroker.examples import example_path

    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'load.db'}"
    token, _ = _prepare(url)
    port = PORT + 1
    load0 = os.getloadavg()[0]
    with _server(url, port) as server:
        text = example_path("startup.yaml").read_text()
        _post(port, "/v1/scenarios", token, {"name": "startup", "yaml": text})
        body = {"scenario": "startup", "scenarios": 30, "out_of_sample": 0, "frontier": False}
        _post(port, "/v1/plans", token, body)  # the first job warms the workers up
        _wait_done(port, token, 2)
        idle = _health_latencies(port, 200)
        cpu0, t0 = _cpu_s(server.pid), time.perf_counter()
        for _ in range(PLAN_JOBS):
            _post(port, "/v1/plans", token, body)
        lat: list[float] = []
        stop = threading.Event()
        prober = threading.Thread(target=_health_while, args=(port, stop, lat))
        prober.start()
        while not _finished(states := _jobs(port, token)):
            time.sleep(1.0)
        stop.set()
        prober.join()
        cpu = _cpu_s(server.pid) - cpu0
        wall = time.perf_counter() - t0
    load1 = os.getloadavg()[0]
    p99 = float(np.percentile(lat, 99)) * 1000
    p50 = float(np.percentile(lat, 50)) * 1000
    p99_idle = float(np.percentile(idle, 99)) * 1000
    done = sum(x == "done" for x in states.values())
    print(
        f"    health p50 {p50:.1f} / p99 {p99:.1f} ms over {len(lat)} requests while {PLAN_JOBS} "
        f"plans ran ({p99_idle:.1f} ms with none); API CPU {cpu:.1f} s in {wall:.0f} s; "
        f"{done} of {len(states)} jobs done; load average {load0:.1f} -> {load1:.1f}",
        flush=True,
    )
    return [
        Result(
            name=f"health p99 while {PLAN_JOBS} plans run",
            value=p99,
            unit="ms",
            target=below(20),
            notes=f"{len(lat)} requests, p50 {p50:.1f} ms; p99 {p99_idle:.1f} ms with no plan "
            f"running, on the same machine; plans of startup.yaml in 2 worker processes; load "
            f"average {load0:.1f} -> {load1:.1f}",
        ),
        Result(
            name=f"API server CPU while {PLAN_JOBS} plans run",
            value=cpu / wall * 100,
            unit="% of a core",
            target="reference",
            notes=f"{cpu:.1f} s CPU in {wall:.0f} s, serving {len(lat)} health requests and "
            "a job-list poll a second; the plans' own CPU is in the workers",
        ),
    ]


def run_memory() -> list[Result]:
    """The API server's RSS across ``RSS_JOBS`` small plan jobs, each fetched as a client does
    (its plan document and its HTML report, plotly.js put back in), after ``RSS_WARM``."""
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'mem.db'}"
    token, _ = _prepare(url)
    port = PORT + 2
    load0 = os.getloadavg()[0]
    samples: list[tuple[int, float]] = []
    with _server(url, port) as server:
        _post(port, "/v1/scenarios", token, {"name": "tiny", "yaml": TINY.read_text()})
        body = {"scenario": "tiny", "scenarios": 8, "out_of_sample": 0, "frontier": False}
        ids = [str(_post(port, "/v1/plans", token, body)["id"]) for _ in range(RSS_JOBS)]
        fetched: set[str] = set()
        while True:
            states = _jobs(port, token)
            for j in ids:
                if states[j] == "done" and j not in fetched:
                    _get(port, f"/v1/plans/{j}", token)
                    _get(port, f"/v1/reports/{j}.html", token)
                    fetched.add(j)
            samples.append((len(fetched), _rss_mib(server.pid)))
            if all(states[j] in ("done", "failed", "cancelled") for j in ids):
                break
            time.sleep(0.5)
    load1 = os.getloadavg()[0]
    base = next((r for n, r in samples if n >= RSS_WARM), samples[0][1])
    end = samples[-1][1]
    peak = max(r for _, r in samples)
    growth = (end - base) / base
    print(
        f"    server RSS {base:.0f} MiB after {RSS_WARM} jobs -> {end:.0f} MiB after "
        f"{len(fetched)} ({growth:+.1%}; peak {peak:.0f}); load average {load0:.1f} -> {load1:.1f}",
        flush=True,
    )
    return [
        Result(
            name=f"server RSS growth over {RSS_JOBS} plan jobs",
            value=abs(growth) * 100,
            unit="%",
            target=at_most(10, "within ±10%"),
            notes=f"{base:.0f} MiB after {RSS_WARM} jobs -> {end:.0f} MiB after {len(fetched)} "
            f"done and fetched (plan and report each), peak {peak:.0f} MiB",
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
    for _ in range(1200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/v1/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not come up")


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


def run() -> list[Result]:
    return run_reads()
