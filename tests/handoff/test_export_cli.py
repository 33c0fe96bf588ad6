"""``computebroker export kueue`` through the CLI entry point: the file it writes parses as
Kueue manifests that pass Kueue's schemas, with the plan's committed chips as quotas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from computebroker.cli.app import run
from tests.handoff.schemas import kueue_errors
from tests.handoff.test_kueue import plan


def test_export_kueue_writes_valid_manifests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "plan.json"
    src.write_text(json.dumps(plan().to_json()))
    out = tmp_path / "k8s"
    assert run(["export", "kueue", str(src), "-o", str(out), "--period", "2026Q2"]) == 0
    docs = list(yaml.safe_load_all((out / "kueue.yaml").read_text()))
    assert [d["kind"] for d in docs].count("ResourceFlavor") == 2
    assert all(kueue_errors(d) == [] for d in docs)
    text = capsys.readouterr().out
    assert "aws-h100-1y: 24 nvidia.com/gpu" in text and "trn2-3y: 64 aws.amazon.com/neuron" in text
    assert run(["export", "kueue", str(src), "-o", str(tmp_path / "x"), "--period", "2026Q9"]) == 2
    assert "no period '2026Q9'" in capsys.readouterr().err
