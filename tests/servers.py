"""Helpers for tests that need the service: teams with tokens in a store, and the app served by
uvicorn on loopback in a background thread."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from computebroker.service import create_app
from computebroker.service.worker import Worker, WorkerConfig
from computebroker.store import close_store, open_store, repo


def team_tokens(url: str, *teams: str, scenarios: dict[str, str] | None = None) -> list[str]:
    """One token per new team in the store at ``url`` (the first team also gets ``scenarios``)."""
    factory = open_store(url)
    with factory.begin() as s:
        rows = [repo.create_team(s, name) for name in teams]
        tokens = [repo.issue_token(s, t) for t in rows]
        for name, text in (scenarios or {}).items():
            repo.save_scenario(s, rows[0].id, name, text)
    close_store(factory)
    return tokens


@contextmanager
def serving(url: str) -> Iterator[int]:
    """The app on a store at ``url``, served on a random loopback port (yielded) until exit,
    with a worker running its jobs."""
    port = random.randint(20000, 50000)
    server = uvicorn.Server(
        uvicorn.Config(create_app(url, workers=0), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        with running_worker(url):
            yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running_worker(url: str, **config: Any) -> Iterator[Worker]:
    """A job worker on the store at ``url`` in a background thread (its jobs still run in child
    processes), with quick leases and polls unless ``config`` says otherwise."""
    cfg = {"lease_s": 3.0, "heartbeat_s": 0.3, "poll_s": 0.05, **config}
    worker = Worker(WorkerConfig(db_url=url, **cfg))
    thread = threading.Thread(target=worker.run, kwargs={"handle_signals": False}, daemon=True)
    thread.start()
    try:
        yield worker
    finally:  # wait until it has stopped: the next test may wipe the database
        worker.stopping = True
        thread.join(timeout=120)
        assert not thread.is_alive(), "the worker did not stop"
