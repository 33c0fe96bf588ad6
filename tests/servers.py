"""Helpers for tests that need the service: teams with tokens in a store, and the app served by
uvicorn on loopback in a background thread."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from computebroker.service import create_app
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
    """The app on a store at ``url``, served on a random loopback port (yielded) until exit."""
    port = random.randint(20000, 50000)
    server = uvicorn.Server(
        uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
