"""What a job's code sees while it runs in its own process (:class:`JobContext`), and that
process's entry point (:func:`run_job`).

A job runs in a child process of a worker (:mod:`computebroker.service.worker`): the worker can
stop it at once (cancel, lost lease, shutdown) by terminating the process, the solver's output
never reaches the API's stdout, and the memory a solve takes is returned when the process ends.
Every write goes through the lease (:mod:`computebroker.store.queue`): a job whose lease was
taken away writes nothing.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from computebroker.errors import InputError
from computebroker.service.reportfiles import compact_report
from computebroker.store import close_store, connect_store, queue, repo

__all__ = ["JOB_KINDS", "JobContext", "JobFn", "failure_reason", "run_job"]

log = logging.getLogger("computebroker.worker")


@dataclass(frozen=True, slots=True, kw_only=True)
class JobContext:
    """A running job: its id, team and parameters, and the lease its writes go through."""

    store: sessionmaker[Session]
    job_id: str
    team_id: int
    owner: str
    params: dict[str, Any]
    attempt: int | None = None  # the claim's attempt: a fencing token on every write

    def progress(self, share: float, message: str) -> None:
        """Record how far the job is (a fraction in 0..1) and what it does now."""
        with self.store.begin() as s:
            queue.set_progress(s, self.job_id, self.owner, share, message, attempt=self.attempt)

    def scenario_text(self, name: str, version: int | None) -> tuple[str, str]:
        """The text and name of the team's stored scenario ``name`` (its newest version when
        ``version`` is None); an input error naming it when there is none."""
        with self.store() as s:
            sc = repo.get_scenario(s, self.team_id, name, version)
            if sc is None:
                raise InputError.single("scenario", f"no scenario {name!r}")
            return sc.text, sc.name

    def finish(
        self,
        status: str,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        message: str = "",
        report_html: str | None = None,
    ) -> bool:
        """The result, the report and the final state in one transaction (only while the lease
        is held); whether they were written."""
        with self.store.begin() as s:
            ok = queue.finish(
                s,
                self.job_id,
                self.owner,
                status,
                attempt=self.attempt,
                result=result,
                error=error,
                message=message,
                progress=1.0,
            )
            if ok and report_html is not None:
                repo.save_report(s, self.job_id, compact_report(report_html))
            return ok


JobFn = Callable[[JobContext], None]


def failure_reason(exc: BaseException) -> str:
    """The message a failed job carries: an input error's issues, else the error itself."""
    if isinstance(exc, InputError):
        return "; ".join(str(i) for i in exc.issues)
    return f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)


def _job_kinds() -> dict[str, JobFn]:
    from computebroker.service.routes.evaluations import run_evaluation
    from computebroker.service.routes.plans import run_plan
    from computebroker.service.routes.simulations import run_simulation

    return {"plan": run_plan, "simulate": run_simulation, "evaluate": run_evaluation}


JOB_KINDS: Callable[[], dict[str, JobFn]] = _job_kinds


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies (no orphaned solves)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def run_job(db_url: str, job_id: str, owner: str, attempt: int | None = None) -> None:
    """A job's process: run job ``job_id`` under ``owner``'s lease (in its ``attempt``) and
    write how it ended."""
    os.setpgid(0, 0)  # its own process group: the worker stops the job and all it started
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when a job stops
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # a solver's chatter goes nowhere, never to anyone's terminal
    store = connect_store(db_url)
    try:
        with store() as s:
            row = repo.get_job_any_team(s, job_id)
            assert row is not None, job_id
            job = JobContext(
                store=store,
                job_id=job_id,
                team_id=row.team_id,
                owner=owner,
                params=row.params,
                attempt=attempt,
            )
            kind = row.kind
        fn = JOB_KINDS().get(kind)
        if fn is None:
            job.finish("failed", error=f"unknown job kind {kind!r}")
            return
        try:
            fn(job)
        except Exception as exc:  # the job fails with the reason; the worker keeps working
            log.exception("job %s failed", job_id)
            job.finish("failed", error=failure_reason(exc))
    finally:
        close_store(store)
