"""`computebroker plan --server URL`: the CLI plans on a real server (uvicorn on loopback)."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from computebroker.cli.app import run
from computebroker.service import create_app
from computebroker.store import close_store, open_store, repo


def test_plan_on_a_server(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    factory = open_store(url)
    with factory.begin() as s:
        token = repo.issue_token(s, repo.create_team(s, "cli"))
    close_store(factory)
    port = random.randint(20000, 40000)
    server = uvicorn.Server(
        uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        code = run(
            [
                "plan",
                str(repo_root / "examples" / "startup.yaml"),
                "--server",
                f"http://127.0.0.1:{port}",
                "--token",
                token,
                "--scenarios",
                "30",
                "-o",
                str(tmp_path),
                "-f",
                "json",
            ]
        )
        out = capsys.readouterr()
        assert code == 0, out.err
        doc = json.loads(out.out)
        assert doc["schema"] == "computebroker.plan/1" and doc["scenarios"]["count"] == 30
        assert json.loads((tmp_path / "plan.json").read_text())["commitments"] == doc["commitments"]
        code = run(
            [
                "plan",
                str(repo_root / "examples" / "startup.yaml"),
                "--server",
                f"http://127.0.0.1:{port}",
                "--token",
                "cb_wrong",
            ]
        )
        assert code == 1 and "401" in capsys.readouterr().err
    finally:
        server.should_exit = True
        thread.join(timeout=10)
