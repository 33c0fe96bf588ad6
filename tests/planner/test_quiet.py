"""Solves keep HiGHS and linopy quiet without touching the process's stdout: overlapping
solves in threads leave stdout working, and a fresh process's JSON output stays clean."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from computebroker.planner import PlanOptions, solve_plan
from computebroker.solvers import linopy_quiet, new_highs
from tests.planner.helpers import commit_and_on_demand, problem_of

REPO = Path(__file__).resolve().parents[2]

DOC = commit_and_on_demand(
    volatility=0.2,
    periods=3,
    count=30,
)


def test_overlapping_solves_in_threads_leave_stdout_working(
    capfd: pytest.CaptureFixture[str],
) -> None:
    problem = problem_of(DOC)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work() -> None:
        try:
            start.wait()
            for _ in range(3):
                assert solve_plan(problem, PlanOptions()).plan is not None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    os.write(1, b"fd 1 still writes\n")
    print("python stdout still writes", flush=True)
    out, err = capfd.readouterr()
    assert "fd 1 still writes" in out and "python stdout still writes" in out
    assert "HiGHS" not in out + err


def test_quiet_linopy_is_per_thread(caplog: pytest.LogCaptureFixture) -> None:
    """Inside ``linopy_quiet`` this thread's linopy warnings are dropped; another thread's
    are not (no process-wide logger level is changed)."""
    log = logging.getLogger("linopy.model")
    seen: list[str] = []

    def other() -> None:
        log.warning("from the other thread")

    with caplog.at_level(logging.WARNING, logger="linopy"), linopy_quiet():
        log.warning("from inside")
        t = threading.Thread(target=other)
        t.start()
        t.join()
        seen = [r.getMessage() for r in caplog.records]
    assert "from the other thread" in seen and "from inside" not in seen
    log.warning("after")
    assert "after" in [r.getMessage() for r in caplog.records]


def test_new_highs_is_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    h = new_highs(presolve="off")
    h.run()
    assert "HiGHS" not in capfd.readouterr().out


def test_fresh_process_json_on_stdout_has_no_banner() -> None:
    """In a new process the first HiGHS instance would print its banner on stdout."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from computebroker.cli.app import run; sys.exit(run(sys.argv[1:]))",
            "plan",
            str(REPO / "examples" / "startup.yaml"),
            "--scenarios",
            "10",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "HiGHS" not in proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["status"] == "optimal"
