"""Integration: `computebroker evaluate` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from computebroker.cli.app import run

TWO_REGIME = str(Path(__file__).parents[1] / "planner" / "data" / "two-regime.yaml")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_evaluate_writes_json_and_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = cli(
        capsys, "evaluate", TWO_REGIME, "--paths", "2", "--executor", "serial", "-o", str(tmp_path)
    )
    assert code == 0, err
    assert "value of flexibility" in out
    doc = json.loads((tmp_path / "evaluation.json").read_text())
    costs = {p["policy"]: p["cost_usd"]["mean"] for p in doc["policies"]}
    assert costs["static"] == pytest.approx(2.88e6, rel=1e-6)
    assert costs["rolling"] == pytest.approx(2.52e6, rel=1e-6)
    assert doc["value_of_flexibility_usd"]["mean"] == pytest.approx(0.36e6, rel=1e-6)
    html = (tmp_path / "evaluation.html").read_text()
    assert "Policies on the same futures" in html and "Commitments signed over time" in html


def test_evaluate_json_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys,
        "evaluate",
        TWO_REGIME,
        "--paths",
        "2",
        "--executor",
        "serial",
        "--policies",
        "rolling",
        "-f",
        "json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert [p["policy"] for p in doc["policies"]] == ["rolling"]
    assert doc["value_of_flexibility_usd"] is None


def test_unknown_policy_exits_2_naming_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "evaluate", TWO_REGIME, "--policies", "static,greedy")
    assert code == 2
    assert "greedy" in err and "static, rolling" in err


def test_ray_executor_gives_the_serial_figures() -> None:
    ray = pytest.importorskip(
        "ray", reason="Ray is an optional extra (pip install computebroker[ray])"
    )
    from computebroker.catalog import shipped_catalog
    from computebroker.planner import load_scenario
    from computebroker.planner.policy_eval import evaluate_policies

    cat = shipped_catalog()
    spec = load_scenario(TWO_REGIME, cat)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        ev = evaluate_policies(spec, cat, ["static", "rolling"], 2, np.random.default_rng(0), "ray")
    finally:
        ray.shutdown()
    assert ev.summary("rolling").cost_usd.mean == pytest.approx(2.52e6, rel=1e-6)
    assert ev.summary("static").cost_usd.mean == pytest.approx(2.88e6, rel=1e-6)


def test_the_extensive_form_re_plans_give_the_decompositions_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Re-plans solve by the decomposition by default; the extensive form is the same LP, so
    the hand-checked figures are the same either way; an unknown method is exit 2."""
    code, out, err = cli(
        capsys,
        *("evaluate", TWO_REGIME, "--paths", "2", "--executor", "serial"),
        *("--replan-method", "extensive", "-f", "json"),
    )
    assert code == 0, err
    costs = {p["policy"]: p["cost_usd"]["mean"] for p in json.loads(out)["policies"]}
    assert costs == {"static": pytest.approx(2.88e6, rel=1e-6), "rolling": pytest.approx(2.52e6)}
    code, _, err = cli(capsys, "evaluate", TWO_REGIME, "--replan-method", "magic")
    assert code == 2 and "--replan-method" in err and "benders or extensive" in err
