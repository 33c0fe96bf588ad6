"""Real processes, really killed: ``computebroker serve`` with two worker processes runs plan jobs
of two teams while a worker gets kill -9, another SIGTERM, and the server kill -9 and then
SIGTERM; each time the server restarts at once on the same port. In the end no job is lost (each
is done, failed with a reason, or cancelled as asked), the database is intact, and no process
is left behind."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.servers import team_tokens
from tests.service.test_api import SCENARIO

pytestmark = pytest.mark.slow


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


def _mentioning(text: str) -> list[int]:
    """Processes whose command line or environment mentions ``text`` (this test's database)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                seen = (d / "cmdline").read_bytes() + (d / "environ").read_bytes()
            except OSError:
                continue
            if text.encode() in seen:
                out.append(int(d.name))
    return out


@contextmanager
def _server(url: str, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "computebroker", "serve", "--db", url, "--port", str(port)]
    argv += ["--workers", "2", "--lease", "3", "--heartbeat", "0.5"]
    with log.open("ab") as f:
        proc = subprocess.Popen(argv, stdout=f, stderr=f)
    try:
        deadline = time.monotonic() + 120
        while True:  # up as soon as it binds: the port is free at once after a kill
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _workers(server: subprocess.Popen[bytes], n: int = 2) -> list[int]:
    deadline = time.monotonic() + 60
    while len(pids := _children(server.pid)) < n:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return pids


def _statuses(port: int, tokens: list[str]) -> dict[str, dict[str, Any]]:
    return {j["id"]: j for t in tokens for j in _call(port, "GET", "/v1/jobs", t)}


def test_no_job_is_lost_when_workers_and_the_server_are_killed(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    url = f"sqlite:///{db}"
    tokens = team_tokens(url, "alpha", "beta", scenarios={})
    port = 20000 + os.getpid() % 20000
    log = tmp_path / "server.log"
    body = {"scenario": "tiny", "scenarios": 40, "out_of_sample": 200, "frontier": True}
    with _server(url, port, log) as server:
        for t in tokens:
            _call(port, "POST", "/v1/scenarios", t, {"name": "tiny", "yaml": SCENARIO})
        jobs = [_call(port, "POST", "/v1/plans", t, body)["id"] for t in tokens for _ in range(5)]
        cancelled = jobs[-1]
        _call(port, "POST", f"/v1/jobs/{cancelled}/cancel", tokens[1])
        w1, w2 = _workers(server)
        deadline = time.monotonic() + 120
        while sum(j["status"] == "running" for j in _statuses(port, tokens).values()) < 2:
            assert time.monotonic() < deadline, "no two jobs started"
            time.sleep(0.2)
        os.kill(w1, signal.SIGKILL)  # its job's lease expires and the job is queued again
        os.kill(w2, signal.SIGTERM)  # gives its job back at once
        time.sleep(3)
        server.kill()  # kill -9: its workers see it gone and give their jobs back
        server.wait()
    with _server(url, port, log) as server:  # restarts at once on the same port
        time.sleep(4)
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises it once it is done
    with _server(url, port, log) as server:
        deadline = time.monotonic() + 400
        while True:
            st = _statuses(port, tokens)
            if all(st[j]["status"] in ("done", "failed", "cancelled") for j in jobs):
                break
            assert time.monotonic() < deadline, st
            time.sleep(1)
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises it once it is done
    for j in jobs:
        s = st[j]
        if j == cancelled:
            assert s["status"] == "cancelled", s
        else:
            assert s["status"] == "done" or (s["status"] == "failed" and s["error"]), s
    done = sum(st[j]["status"] == "done" for j in jobs)
    print(f"{done} of {len(jobs)} done; attempts {[st[j]['attempts'] for j in jobs]}")
    assert done >= len(jobs) - 3
    assert any(st[j]["attempts"] > 1 for j in jobs)  # the killed worker's job was retried
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    deadline = time.monotonic() + 30
    while left := _mentioning(str(db)):  # every worker is gone
        assert time.monotonic() < deadline, left
        time.sleep(0.5)
