"""The service's job runner: a cancel stops a running job at its next check, and a job cancelled
before it starts never runs."""

from __future__ import annotations

import threading

from computebroker.service.jobs import JobCancelled, JobRunner


def test_a_running_job_stops_at_its_next_check() -> None:
    runner = JobRunner(workers=1)
    started, go = threading.Event(), threading.Event()
    seen: list[str] = []

    def job() -> None:
        started.set()
        assert go.wait(10)
        try:
            runner.check("j")
            seen.append("ran on")
        except JobCancelled:
            seen.append("stopped")

    runner.submit("j", job)
    assert started.wait(10)
    runner.cancel("j")
    go.set()
    runner.shutdown()
    assert seen == ["stopped"]


def test_a_job_cancelled_while_queued_never_runs() -> None:
    runner = JobRunner(workers=1)
    gate = threading.Event()
    seen: list[str] = []
    third = threading.Event()
    runner.submit("first", gate.wait, 10)
    runner.submit("second", seen.append, "second ran")
    runner.submit("third", third.set)
    runner.cancel("second")
    gate.set()
    assert third.wait(10)  # one worker, in order: the second's turn has come and gone
    runner.shutdown()
    assert seen == []
