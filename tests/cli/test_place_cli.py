"""Integration: `computebroker place` through the real CLI entry point, on the shipped catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from computebroker.cli.app import run
from tests.handoff.schemas import skypilot_errors
from tests.sim.test_inputs import _offer, plan_json


def test_place_h100_2_rents_a_two_gpu_instance(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["place", "h100:2", "--top", "3", "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["chips_per_node"] == 2 and r["num_nodes"] == 1 for r in rows)
    assert [r["cost_hour"] for r in rows] == sorted(r["cost_hour"] for r in rows)


def test_place_nodes_and_a_missing_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["place", "h100", "--chips", "8", "--num-nodes", "4", "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(
        r["cost_hour"] == pytest.approx(4 * r["parts"][0]["price_chip_hour"] * 8) for r in rows
    )
    assert run(["place", "h100:32"]) == 2
    assert "1, 2, 4, 8 chips per instance" in capsys.readouterr().err


def _plan(tmp_path: Path) -> Path:
    """A plan whose commitment c holds 16 H100s in 2026Q1 and 24 in 2026Q2; its matrix has
    workload w on trn2 only."""
    doc = plan_json(
        [_offer("c", "h100", "commit-1y", 2.5), _offer("od", "h100", "on-demand", 6.0)],
        [
            {"offer": "c", "start_index": 0, "chips": 16.0, "term_periods": 2},
            {"offer": "c", "start_index": 1, "chips": 8.0, "term_periods": 1},
        ],
    )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    return path


def test_place_uses_the_plans_committed_capacity_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = str(_plan(tmp_path))
    assert run(["place", "h100:8", "--num-nodes", "3", "--plan", plan, "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    # 16 committed chips = 2 nodes of 8; the third node is rented in the pool's cloud (aws)
    assert rows[0]["where"].startswith("committed 2 x 8 on c; rented 1 x 8 on aws/")
    assert (rows[0]["committed_nodes"], rows[0]["rented_nodes"]) == (2, 1)
    args = ["place", "h100:8", "--num-nodes", "3", "--plan", plan, "--period", "2026Q2"]
    assert run([*args, "--in-use", "c=4", "-f", "json"]) == 0  # 24 - 4 = 20 free: 2 nodes
    assert json.loads(capsys.readouterr().out)[0]["committed_nodes"] == 2
    assert run([*args, "-f", "json"]) == 0  # 24 free: the whole gang, $0 added
    best = json.loads(capsys.readouterr().out)[0]
    assert best["committed_nodes"] == 3 and best["cost_hour"] == 0.0
    assert run(["place", "h100:8", "--plan", plan, "--period", "2031Q1"]) == 2
    assert "its periods are 2026Q1, 2026Q2, 2026Q3" in capsys.readouterr().err
    assert run(["place", "h100:8", "--in-use", "c=1"]) == 2
    assert "--in-use needs --plan" in capsys.readouterr().err


def test_place_ranks_by_usd_per_unit_of_the_workloads_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    matrix = tmp_path / "m.csv"
    matrix.write_text(
        "workload,accelerator,work_per_chip_hour,unit\nllm,h100,1000,tokens\nllm,h200,1e6,tokens\n"
    )
    args = ["place", "h100:8,h200:8", "--workload", "llm", "--throughputs", str(matrix)]
    assert run([*args, "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["accelerator"] == "h200"  # 1,000x the work per chip-hour
    assert rows[0]["cost_per_work"] == pytest.approx(rows[0]["cost_hour"] / 8e6)
    assert run(["place", "h100:8", "--workload", "llm"]) == 2
    assert "give --throughputs" in capsys.readouterr().err
    plan = str(_plan(tmp_path))
    assert run(["place", "h100:8", "--plan", plan, "--workload", "w"]) == 2  # w runs on trn2 only
    assert "no rate for workload 'w' on h100" in capsys.readouterr().err


def test_place_writes_the_best_as_a_skypilot_task(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = tmp_path / "task.yaml"
    assert run(["place", "h100:2", "--skypilot", str(task), "--name", "ft"]) == 0
    import yaml

    got = yaml.safe_load(task.read_text())
    assert skypilot_errors(got) == []
    assert got["name"] == "ft" and got["resources"]["accelerators"] == {"H100": 2}
    capsys.readouterr()
    plan = str(_plan(tmp_path))
    out = tmp_path / "split.yaml"
    assert run(["place", "h100:8", "--num-nodes", "3", "--plan", plan, "--skypilot", str(out)]) == 2
    assert "--no-split" in capsys.readouterr().err and not out.exists()


def test_place_prices_attached_gpus_with_their_host_and_lists_what_is_left_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """T4:1: GCP's T4 row is the GPU alone ($0.35); with its n1-highmem-4 host ($0.23661) it
    costs $0.58661, so Azure's NC4as_T4_v3 at $0.526 is the answer. MI300X:8 lists the per-GPU
    rows it left out (on stderr with -f json, so stdout stays the rows); the SkyPilot task of an
    attached GPU launches the host VM with the GPUs as accelerators."""
    assert run(["place", "t4", "--cloud", "gcp", "--top", "1", "-f", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["cost_hour"] == pytest.approx(0.35 + 0.23661)
    assert row["parts"][0]["instance_type"] == "n1-highmem-4"
    assert run(["place", "t4", "--top", "1", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["cost_hour"] == pytest.approx(0.526)
    assert run(["place", "mi300x:8", "-f", "json"]) == 0
    got = capsys.readouterr()
    assert json.loads(got.out)[0]["cost_hour"] == pytest.approx(19.12)
    assert "left out 2 catalog row(s)" in got.err and "vultr/(unspecified)/MI300X" in got.err
    assert run(["place", "mi300x:8"]) == 0
    assert "left out 2 catalog row(s)" in capsys.readouterr().out
    task = tmp_path / "t.yaml"
    assert run(["place", "v100", "--skypilot", str(task)]) == 0
    text = task.read_text()
    assert "instance_type: n1-highmem-8" in text and "V100: 1" in text
