"""Integration: `computebroker place` through the real CLI entry point, on the shipped catalog."""

from __future__ import annotations

import json

import pytest

from computebroker.cli.app import run


def test_place_h100_2_rents_a_two_gpu_instance(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["place", "h100:2", "--top", "3", "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["chips_per_node"] == 2 and r["num_nodes"] == 1 for r in rows)
    assert [r["cost_hour"] for r in rows] == sorted(r["cost_hour"] for r in rows)


def test_place_nodes_and_a_missing_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["place", "h100", "--chips", "8", "--num-nodes", "4", "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(r["cost_hour"] == pytest.approx(4 * r["price_instance_hour"]) for r in rows)
    assert run(["place", "h100:32"]) == 2
    assert "1, 2, 4, 8 chips per instance" in capsys.readouterr().err
