"""The server's worker processes: ``computebroker serve`` starts them, a thread starts again any
that dies, and they stop with the server.

Each worker is its own process (``python -m computebroker worker``) with stdout on /dev/null
(a solver's chatter never reaches the API's stdout) and no inherited descriptors (never the
listening socket, so a new server can bind the port at once). A worker also stops by itself
when this process is gone (``--parent-pid``), giving its jobs back to the queue.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

from computebroker.service.worker import WorkerConfig, worker_argv

__all__ = ["Supervisor"]

log = logging.getLogger("computebroker.service")

# how often dead workers are noticed and replaced
CHECK_S = 1.0
# how long a stopping worker has to give its jobs back before it is killed
STOP_GRACE_S = 15.0


class Supervisor:
    """``count`` worker processes configured as ``config``."""

    def __init__(self, config: WorkerConfig, count: int) -> None:
        self.config = config
        self.count = count
        self.procs: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _spawn(self) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "computebroker", *worker_argv(self.config, os.getpid())]
        env = {**os.environ, "COMPUTEBROKER_DB": self.config.db_url}
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, close_fds=True, env=env
        )

    def start(self) -> None:
        """Start the workers and the thread that replaces dead ones."""
        if self.count <= 0:
            return
        with self._lock:
            self.procs = [self._spawn() for _ in range(self.count)]
        self._thread = threading.Thread(target=self._watch, name="cb-supervisor", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_S):
            with self._lock:
                for i, p in enumerate(self.procs):
                    if p.poll() is not None and not self._stop.is_set():
                        log.warning("worker %s exited (%s); starting another", p.pid, p.returncode)
                        self.procs[i] = self._spawn()

    def pids(self) -> list[int]:
        """The worker processes' ids now."""
        with self._lock:
            return [p.pid for p in self.procs]

    def stop(self) -> None:
        """Stop the workers (SIGTERM: each gives its jobs back), killing those that linger."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            for p in self.procs:
                p.terminate()
            for p in self.procs:
                try:
                    p.wait(STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            self.procs = []
