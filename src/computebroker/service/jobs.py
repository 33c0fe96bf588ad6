"""Where the service's long jobs run: a thread pool in the server process, with cancel.

A job is cancelled before it starts (it never runs; the cancel route marks it so in the store)
or at its next check (:meth:`JobRunner.check`, called between the stages of a plan), which
raises :class:`JobCancelled`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["JobCancelled", "JobRunner"]


class JobCancelled(Exception):  # noqa: N818 — a signal, not an error
    """Raised inside a job whose cancel was requested."""


class JobRunner:
    """Jobs by id in a pool of ``workers`` threads (started on first use, again after a
    shutdown)."""

    def __init__(self, workers: int = 1) -> None:
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._cancelled: set[str] = set()

    def submit(self, job_id: str, fn: Callable[..., object], *args: Any) -> None:
        """Queue ``fn(*args)`` as job ``job_id``; it is skipped when cancelled before it starts."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._workers, thread_name_prefix="cb-job"
                )
            self._pool.submit(self._start, job_id, fn, args)

    def _start(self, job_id: str, fn: Callable[..., object], args: tuple[Any, ...]) -> None:
        if self.is_cancelled(job_id):
            return
        fn(*args)

    def cancel(self, job_id: str) -> None:
        """Ask job ``job_id`` to stop (before it starts, or at its next check)."""
        with self._lock:
            self._cancelled.add(job_id)

    def is_cancelled(self, job_id: str) -> bool:
        """Whether a cancel of ``job_id`` was requested."""
        with self._lock:
            return job_id in self._cancelled

    def check(self, job_id: str) -> None:
        """Raise :class:`JobCancelled` when a cancel of ``job_id`` was requested."""
        if self.is_cancelled(job_id):
            raise JobCancelled(job_id)

    def shutdown(self) -> None:
        """Stop the pool: running jobs finish, queued ones are dropped."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
