"""The job runner: worker processes that claim jobs from the store and run each in a child
process (``computebroker worker``; ``computebroker serve`` starts some by default).

A worker loops: renew the leases of its running jobs (and learn which were cancelled), stop the
child of a job it no longer holds or whose cancel was asked, queue again the jobs of workers
that died (expired leases), and claim new jobs while it has free slots. Each job runs in a child
process made by a fork server that has the job code imported already (so a job starts in
milliseconds, and a terminated solve takes its memory with it). A job's process leads its own
process group, so stopping it stops whatever it started (a solver's process pool) too.

Stopping: SIGTERM or SIGINT, or its parent (the server) gone, stops the children and gives their
jobs back to the queue at once (the attempt does not count). A worker killed outright leaves
its leases to expire; another worker then queues those jobs again (:mod:`store.queue`).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.context
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field
from types import FrameType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from computebroker.service.jobs import run_job
from computebroker.store import close_store, connect_store, queue

__all__ = ["Worker", "WorkerConfig", "worker_argv"]

log = logging.getLogger("computebroker.worker")

# how long a stopped child has to exit before it is killed
TERMINATE_GRACE_S = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerConfig:
    """How a worker runs jobs."""

    db_url: str
    slots: int = 1  # jobs this worker runs at once (one child process each)
    lease_s: float = 30.0  # a lease not renewed for this long has expired (its worker died)
    heartbeat_s: float = 5.0  # how often leases are renewed (well under lease_s)
    poll_s: float = 0.5  # how often the queue is looked at when idle
    team_limit: int = 2  # running jobs per team, across all workers
    max_attempts: int = queue.MAX_ATTEMPTS
    parent_pid: int | None = None  # stop when this process is gone (the server that started us)
    # CPU priority below the API's (its jobs inherit it), so requests stay quick under load
    nice: int = 10


@dataclass(slots=True)
class Worker:
    """One worker process's loop (:meth:`run`)."""

    config: WorkerConfig
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    children: dict[str, multiprocessing.process.BaseProcess] = field(default_factory=dict)
    stopping: bool = False
    _mp: multiprocessing.context.ForkServerContext | None = None

    def _context(self) -> multiprocessing.context.ForkServerContext:
        if self._mp is None:
            mp = multiprocessing.get_context("forkserver")
            mp.set_forkserver_preload(
                [
                    "computebroker.service.jobs",
                    "computebroker.service.routes.plans",
                    "computebroker.service.routes.simulations",
                    "computebroker.service.routes.evaluations",
                ]
            )
            self._mp = mp
        return self._mp

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self, *, handle_signals: bool = True) -> None:
        """Run jobs until stopped (SIGTERM, SIGINT, or the parent gone; or ``stopping`` set,
        for a worker in a thread, which leaves signals alone)."""
        if handle_signals:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        if self.config.nice:
            os.nice(self.config.nice)
        store = connect_store(self.config.db_url)
        log.info("worker %s started", self.owner)
        last_beat = 0.0
        try:
            while not self.stopping:
                if self.config.parent_pid is not None and os.getppid() != self.config.parent_pid:
                    log.warning("worker %s: the server is gone; stopping", self.owner)
                    break
                try:
                    self.reap(store)
                    if time.monotonic() - last_beat >= self.config.heartbeat_s:
                        self.beat(store)
                        last_beat = time.monotonic()
                    started = self.fill(store)
                except (
                    DBAPIError
                ) as exc:  # the database is busy, away or being replaced: try again soon
                    log.warning("worker %s: %s", self.owner, exc.orig)
                    started = False
                if not started:
                    time.sleep(self.config.poll_s)
        finally:
            self.shutdown(store)
            close_store(store)

    def beat(self, store: sessionmaker[Session]) -> None:
        """Renew leases; stop the children of jobs cancelled or no longer ours; requeue the jobs
        of dead workers."""
        with store.begin() as s:
            held = queue.heartbeat(s, self.owner, self.config.lease_s)
        lost = [j for j in self.children if j not in held]
        ended: set[str] = set()
        if lost:
            with store() as s:
                ended = queue.finished(s, lost)
        for job_id, child in list(self.children.items()):
            if job_id not in held:
                if job_id in ended:  # it wrote its end and is exiting (or another worker did)
                    log.info("job %s ended", job_id)
                else:
                    log.warning("job %s: lease lost; stopping its process", job_id)
                self._terminate(child)
                del self.children[job_id]
            elif held[job_id]:
                self._terminate(child)
                del self.children[job_id]
                with store.begin() as s:
                    queue.finish(
                        s, job_id, self.owner, "cancelled", error="cancelled while running"
                    )
        with store.begin() as s:
            queued, failed = queue.recover_expired(s, self.config.max_attempts)
        if queued or failed:
            log.warning("expired leases: %d jobs queued again, %d failed", queued, failed)

    def reap(self, store: sessionmaker[Session]) -> None:
        """Children that ended: a job whose process died without writing its end fails, with
        the exit code as the reason."""
        for job_id, child in list(self.children.items()):
            if child.exitcode is None:
                continue
            child.join()
            del self.children[job_id]
            code = child.exitcode or 0
            reason = (
                f"the job's process was killed by signal {-code}"
                if code < 0
                else f"the job's process exited with code {code} before it finished"
            )
            with store.begin() as s:  # a no-op when the job wrote its end (it holds no lease)
                queue.finish(s, job_id, self.owner, "failed", error=reason)

    def fill(self, store: sessionmaker[Session]) -> bool:
        """Claim jobs while slots are free and start each in a child; whether one started."""
        started = False
        while len(self.children) < self.config.slots and not self.stopping:
            with store.begin() as s:
                job = queue.claim(
                    s,
                    self.owner,
                    lease_s=self.config.lease_s,
                    team_limit=self.config.team_limit,
                )
                job_id, attempt = (job.id, job.attempts) if job is not None else (None, 0)
            if job_id is None:
                break
            old = self.children.pop(job_id, None)
            if old is not None:  # its lease ran out (we were too slow) and we claimed it again
                log.warning(
                    "job %s: lease lost and claimed again; stopping the old attempt", job_id
                )
                self._terminate(old)
            child = self._context().Process(
                target=run_job, args=(self.config.db_url, job_id, self.owner, attempt)
            )
            child.start()
            self.children[job_id] = child
            log.info("job %s started in process %s", job_id, child.pid)
            started = True
        return started

    def shutdown(self, store: sessionmaker[Session]) -> None:
        """Stop every child and give its job back to the queue."""
        for job_id, child in list(self.children.items()):
            self._terminate(child)
            try:
                with store.begin() as s:
                    queue.release(s, job_id, self.owner)
            except DBAPIError as exc:  # its lease expires instead
                log.warning("job %s: not released (%s)", job_id, exc.orig)
        self.children.clear()
        log.info("worker %s stopped", self.owner)

    @staticmethod
    def _terminate(child: multiprocessing.process.BaseProcess) -> None:
        """Stop a job's process and every process it started (its process group)."""
        _signal_group(child, signal.SIGTERM)
        child.join(TERMINATE_GRACE_S)
        _signal_group(child, signal.SIGKILL)
        child.join()


def _signal_group(child: multiprocessing.process.BaseProcess, sig: int) -> None:
    if child.pid is None:
        return
    try:
        os.killpg(child.pid, sig)  # the job made itself a group leader (jobs.run_job)
    except ProcessLookupError:
        pass
    except PermissionError:  # not yet its own group: the process alone
        os.kill(child.pid, sig)


def worker_argv(cfg: WorkerConfig, parent_pid: int | None = None) -> list[str]:
    """The ``computebroker worker`` arguments that run a worker configured as ``cfg`` (all but
    the store's URL, which may hold a password: it goes in ``COMPUTEBROKER_DB``, never in a
    command line that ``ps`` shows)."""
    argv = [
        "worker",
        "--slots",
        str(cfg.slots),
        "--lease",
        str(cfg.lease_s),
        "--heartbeat",
        str(cfg.heartbeat_s),
        "--poll",
        str(cfg.poll_s),
        "--team-limit",
        str(cfg.team_limit),
        "--max-attempts",
        str(cfg.max_attempts),
        "--nice",
        str(cfg.nice),
    ]
    return argv + (["--parent-pid", str(parent_pid)] if parent_pid is not None else [])
