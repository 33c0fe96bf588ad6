"""`computebroker plan --server URL`: the CLI plans on a real server (uvicorn on loopback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from computebroker.cli.app import run
from tests.servers import serving, team_tokens


def test_plan_on_a_server(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    (token,) = team_tokens(url, "cli")
    with serving(url) as port:
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
