"""Real processes, really killed: ``computebroker serve`` with two worker processes (two job
slots each) runs 20 plan jobs of two teams while, at moments drawn from a seeded generator,
workers and the server get kill -9 and SIGTERM; each time the server is killed it is started
again at once on the same port. In the end no job is lost (each is done, failed with a reason,
or cancelled as asked), the database is intact, and no process is left behind. On SQLite and on
PostgreSQL (``CB_TEST_POSTGRES_URL``).

``CB_KILL_SEED`` draws another schedule of kills (the default is fixed so CI is repeatable).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from computebroker.planner.document import PlanDocument
from computebroker.store import close_store, connect_store
from computebroker.store.models import Job, Report
from tests.servers import team_tokens
from tests.service.test_api import SCENARIO

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("CB_KILL_SEED", "18"))
JOBS_PER_TEAM = 10  # two teams: 20 plan jobs in all
# small plans, so 20 of them finish in minutes on two shared cores
BODY = {"scenario": "tiny", "scenarios": 8, "out_of_sample": 0, "frontier": False}
# what is done to whom: each kind of kill at least once, in an order the seed draws
KILLS = [
    ("worker", signal.SIGKILL),
    ("worker", signal.SIGTERM),
    ("server", signal.SIGKILL),
    ("server", signal.SIGTERM),
    ("worker", signal.SIGKILL),
    ("server", signal.SIGKILL),
]
MAX_GAP_S = 4.0  # the longest wait between two kills
BUSY_WAIT_S = 90.0  # how long a worker kill waits for a worker with a job (then kills any)
# a killed worker's job is queued again once its lease runs out; long enough that a worker
# starved of CPU on a loaded machine (workers run at nice 10) still renews it in time
LEASE_S = 8
RESTART_S = 60.0  # "at once": up and answering health within this (imports, on a loaded machine)
FINISHED = ("done", "failed", "cancelled")


def _call(port: int, method: str, path: str, token: str, body: Any = None) -> Any:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def _left_behind(url: str) -> list[int]:
    """Processes of this test's store still alive: a server (``--db URL`` in its command line)
    or a worker, fork server or job process (``COMPUTEBROKER_DB=URL`` in its environment)."""
    out = []
    env = b"COMPUTEBROKER_DB=" + url.encode() + b"\0"
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                cmd, environ = (d / "cmdline").read_bytes(), (d / "environ").read_bytes()
            except OSError:
                continue
            if url.encode() + b"\0" in cmd or env in environ:
                out.append(int(d.name))
    return out


def _start(url: str, port: int, log: Path) -> tuple[subprocess.Popen[bytes], float]:
    """``serve`` on ``url``; the process and how long it took to answer health."""
    argv = [sys.executable, "-m", "computebroker", "serve", "--db", url, "--port", str(port)]
    argv += ["--workers", "2", "--slots", "2", "--lease", str(LEASE_S), "--heartbeat", "1"]
    t0 = time.monotonic()
    with log.open("ab") as f:
        proc = subprocess.Popen(argv, stdout=f, stderr=f)
    while True:  # up as soon as it binds: the port is free at once after a kill
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2):
                return proc, time.monotonic() - t0
        except OSError:
            assert time.monotonic() - t0 < RESTART_S, "the server did not come up at once"
            time.sleep(0.1)


@contextmanager
def _serving(url: str, port: int, log: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """The server (a one-item list: a kill replaces it), killed at the end if still up."""
    proc, _ = _start(url, port, log)
    box = [proc]
    try:
        yield box
    finally:
        if box[0].poll() is None:
            box[0].kill()
            box[0].wait()


def _workers(server: subprocess.Popen[bytes], n: int = 2) -> list[int]:
    deadline = time.monotonic() + 60
    while len(pids := _children(server.pid)) < n:
        assert time.monotonic() < deadline, "the server did not start its workers"
        time.sleep(0.1)
    return pids


def _holders(url: str) -> dict[int, str]:
    """Running jobs by the pid of the worker holding their lease (``host:pid:nonce``)."""
    store = connect_store(url)
    try:
        with store() as s:
            rows = s.execute(select(Job.lease_owner, Job.id).where(Job.status == "running")).all()
    finally:
        close_store(store)
    return {int(owner.split(":")[1]): job for owner, job in rows if owner}


@dataclass(slots=True)
class Chaos:
    """What the schedule did: the kills, the restarts' times, the jobs whose worker died."""

    done: list[str] = field(default_factory=list)
    restarts_s: list[float] = field(default_factory=list)
    hit_jobs: list[str] = field(default_factory=list)


def _kill_worker(
    box: list[subprocess.Popen[bytes]], url: str, sig: int, rng: random.Random, chaos: Chaos
) -> None:
    pids = _workers(box[0])
    deadline = time.monotonic() + BUSY_WAIT_S
    while not (busy := [p for p in _holders(url) if p in pids]) and time.monotonic() < deadline:
        time.sleep(0.1)  # a worker just started (the server restarted) has no job yet
        pids = _workers(box[0])
    pid = rng.choice(busy or pids)  # one with a job when there is one: that job must survive
    if pid in busy and sig == signal.SIGKILL:
        chaos.hit_jobs.append(_holders(url).get(pid, ""))
    try:
        os.kill(pid, sig)
    except ProcessLookupError:  # it exited meanwhile (the supervisor starts another)
        return
    chaos.done.append(
        f"worker {pid} {signal.Signals(sig).name}" + (" (busy)" if pid in busy else "")
    )


def _kill_server(
    box: list[subprocess.Popen[bytes]], url: str, port: int, log: Path, sig: int, chaos: Chaos
) -> None:
    server = box[0]
    server.send_signal(sig)
    if sig == signal.SIGTERM:  # graceful: its workers give their jobs back, then it exits
        assert server.wait(60) in (0, -signal.SIGTERM), "SIGTERM: the server did not exit"
    else:
        server.wait()
    chaos.done.append(f"server {signal.Signals(sig).name}")
    box[0], took = _start(url, port, log)  # at once, on the same port
    chaos.restarts_s.append(took)


def _run_schedule(
    box: list[subprocess.Popen[bytes]], url: str, port: int, log: Path, rng: random.Random
) -> Chaos:
    chaos = Chaos()
    order = KILLS[:]
    rng.shuffle(order)
    for who, sig in order:
        time.sleep(rng.uniform(0.2, MAX_GAP_S))
        if who == "worker":
            _kill_worker(box, url, sig, rng, chaos)
        else:
            _kill_server(box, url, port, log, sig, chaos)
    return chaos


def _statuses(port: int, tokens: list[str]) -> dict[str, dict[str, Any]]:
    return {j["id"]: j for t in tokens for j in _call(port, "GET", "/v1/jobs?limit=100", t)}


def _wait_all(port: int, tokens: list[str], jobs: list[str], limit_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + limit_s
    while True:
        st = _statuses(port, tokens)
        if all(st[j]["status"] in FINISHED for j in jobs):
            return st
        assert time.monotonic() < deadline, {j: st[j]["status"] for j in jobs}
        time.sleep(1)


def _check_store(url: str, jobs: list[str]) -> None:
    """Integrity on the application's terms, on either database: every job finished, no lease
    left, each done job with a plan document and exactly one report, nothing dangling."""
    store = connect_store(url)
    try:
        with store() as s:
            rows = {j.id: j for j in s.execute(select(Job)).scalars()}
            reports = {
                job_id: int(n)
                for job_id, n in s.execute(select(Report.job_id, func.length(Report.html)))
            }
    finally:
        close_store(store)
    assert sorted(rows) == sorted(jobs)  # none lost, none made up
    for j in rows.values():
        assert j.status in FINISHED and j.lease_owner is None and j.lease_until is None, j.id
        assert 0 <= j.attempts <= 3, (j.id, j.attempts)
        if j.status == "done":
            PlanDocument.from_json(j.result, j.id)  # a whole plan document, not a torn write
            assert reports.get(j.id, 0) > 0, f"done job {j.id} has no report"
        else:
            assert j.error, f"{j.status} job {j.id} gives no reason"
    assert set(reports) <= set(rows), "a report of no job"


def _sqlite_integrity(url: str) -> None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def _submit(port: int, tokens: list[str]) -> tuple[list[str], str]:
    """20 plan jobs, the two teams' interleaved; the last is cancelled while queued."""
    for t in tokens:
        _call(port, "POST", "/v1/scenarios", t, {"name": "tiny", "yaml": SCENARIO})
    jobs = [
        _call(port, "POST", "/v1/plans", t, BODY)["id"]
        for _ in range(JOBS_PER_TEAM)
        for t in tokens
    ]
    cancelled = jobs[-1]
    assert _call(port, "POST", f"/v1/jobs/{cancelled}/cancel", tokens[1])["status"] == "cancelled"
    return jobs, cancelled


def _cancel_a_running_one(port: int, tokens: list[str], jobs: list[str]) -> str | None:
    """Ask to cancel a running job (of the first team); its id when the ask was taken."""
    mine = {j["id"]: j for j in _call(port, "GET", "/v1/jobs?limit=100", tokens[0])}
    running = [j for j in jobs[:-1] if j in mine and mine[j]["status"] == "running"]
    if not running:
        return None
    answer = _call(port, "POST", f"/v1/jobs/{running[0]}/cancel", tokens[0])
    return running[0] if answer["cancel_requested"] else None


def test_no_job_is_lost_when_workers_and_the_server_are_killed(db_url: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    tokens = team_tokens(db_url, "alpha", "beta", scenarios={})
    port = 20000 + (os.getpid() * 7 + len(db_url)) % 20000
    log = tmp_path / "server.log"
    t0 = time.monotonic()
    with _serving(db_url, port, log) as box:
        jobs, cancelled = _submit(port, tokens)
        deadline = time.monotonic() + 180
        while not _holders(db_url):  # the schedule starts once work does
            assert time.monotonic() < deadline, "no job started"
            time.sleep(0.1)
        asked = _cancel_a_running_one(port, tokens, jobs)
        chaos = _run_schedule(box, db_url, port, log, rng)
        st = _wait_all(port, tokens, jobs, 600)
        box[0].send_signal(signal.SIGTERM)
        assert box[0].wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises it once it is done
    took = time.monotonic() - t0
    assert st[cancelled]["status"] == "cancelled" and st[cancelled]["error"], st[cancelled]
    if asked is not None:  # stopped, unless it finished before its worker's next heartbeat
        assert st[asked]["status"] in ("cancelled", "done"), st[asked]
    for j in jobs:
        s = st[j]
        assert s["status"] in FINISHED, s
        if s["status"] != "done":
            assert s["error"], s  # the reason
        if j not in (cancelled, asked):
            assert s["status"] != "cancelled", s  # nothing is cancelled that was not asked
    done = sum(st[j]["status"] == "done" for j in jobs)
    attempts = [st[j]["attempts"] for j in jobs]
    failed = {j[:8]: st[j]["error"] for j in jobs if st[j]["status"] == "failed"}
    print(
        f"seed {SEED}: {'; '.join(chaos.done)}; restarts {[round(x, 1) for x in chaos.restarts_s]} s;"
        f" {done} of {len(jobs)} done; attempts {attempts}; failed {failed}; {took:.0f} s"
    )
    assert done >= len(jobs) - 4  # the two cancelled, and at most two tried three times
    assert all(x < RESTART_S for x in chaos.restarts_s)
    hit = [j for j in chaos.hit_jobs if j]
    if hit:  # a job whose worker was killed outright was tried again (or failed with why)
        assert any(st[j]["attempts"] > 1 or st[j]["status"] != "done" for j in hit), hit
    _check_store(db_url, jobs)
    if db_url.startswith("sqlite"):
        _sqlite_integrity(db_url)
    deadline = time.monotonic() + 30
    while left := _left_behind(db_url):  # every worker, fork server and job process is gone
        assert time.monotonic() < deadline, left
        time.sleep(0.5)
