"""Integration: `computebroker plan` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from computebroker.cli.app import run
from tests.planner.helpers import tiny


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_startup_plan_json_and_report(
    capsys: pytest.CaptureFixture[str], repo_root: Path, tmp_path: Path
) -> None:
    code, out, err = cli(
        capsys,
        "plan",
        str(repo_root / "examples" / "startup.yaml"),
        "-o",
        str(tmp_path),
        "--scenarios",
        "40",
        "--out-of-sample",
        "100",
        "--set",
        "policy.max_vendor_share=0.6",
        "--format",
        "json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "computebroker.plan/1" and doc["status"] == "optimal"
    assert doc == json.loads((tmp_path / "plan.json").read_text())
    assert doc["commitments"] and all(c["chips"] > 0 for c in doc["commitments"])
    m = doc["metrics"]
    for key in (
        "expected_cost_usd",
        "cvar_usd",
        "p_shortfall",
        "vendor_shares",
        "hhi",
        "utilisation",
    ):
        assert key in m
    assert doc["out_of_sample"]["scenarios"] == 100
    assert max(doc["whatif"]["plan"]["metrics"]["vendor_shares"].values()) <= 0.6 + 1e-6
    html = (tmp_path / "plan.html").read_text()
    assert "Committed capacity" in html and "plotly" in html.lower()
    assert "<script src=" not in html  # works offline: plotly.js is embedded, once
    assert html.count("Plotly.newPlot") >= 3


def test_infeasible_plan_exits_2_with_explanation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = tiny(
        periods=2,
        offers=[
            {
                "id": "c",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 2.0,
                "term_periods": 2,
            }
        ],
        demand={"classes": {"w": {"start": 1e9}}},
        policy={
            "existing": [{"offer": "c", "start": "2026Q1", "chips": 1000}],
            "budget_per_period": 1e6,
        },
    )
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    code, _, err = cli(capsys, "plan", str(path), "--out-of-sample", "0")
    assert code == 2
    assert "no plan: the scenario is infeasible" in err
    assert "budget_per_period $1.0M" in err and "$1.0M more" in err  # 1,000 x $2 x 1,000 h = $2.0M


def test_bad_scenario_exits_2_naming_the_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nhorizon: {start: 2026Q1, periods: 0}\n")
    code, out, err = cli(capsys, "plan", str(path))
    assert code == 2 and out == ""
    assert f"{path}:2: horizon.periods" in err
    assert "Traceback" not in err


def test_as_of_without_signed_plan_and_bad_period(
    capsys: pytest.CaptureFixture[str], repo_root: Path
) -> None:
    code, _, err = cli(
        capsys, "plan", str(repo_root / "examples" / "startup.yaml"), "--as-of", "2031-01"
    )
    assert code == 2 and "--as-of" in err


def test_replan_keeps_what_the_signed_plan_json_committed(
    capsys: pytest.CaptureFixture[str], repo_root: Path, tmp_path: Path
) -> None:
    """`--signed plan.json --as-of P`: the first plan's commitments before P come back as
    signed (existing) in the re-plan, chip for chip; a plan.json naming a period outside the
    scenario is refused at the file."""
    startup = str(repo_root / "examples" / "startup.yaml")
    quick = ["--scenarios", "20", "--out-of-sample", "0", "-f", "json"]
    code, out, err = cli(capsys, "plan", startup, "-o", str(tmp_path), *quick)
    assert code == 0, err
    first = json.loads(out)
    before = [c for c in first["commitments"] if c["start"] < "2026-02"]
    assert before
    signed = str(tmp_path / "plan.json")
    code, out, err = cli(capsys, "plan", startup, "--as-of", "2026-02", "--signed", signed, *quick)
    assert code == 0, err
    again = [c for c in json.loads(out)["commitments"] if c["start"] < "2026-02"]
    expect = sorted((c["offer"], c["start"], round(c["chips"], 3)) for c in before)
    assert sorted((c["offer"], c["start"], round(c["chips"], 3)) for c in again) == expect
    assert all(c["existing"] for c in again)
    bad = json.loads((tmp_path / "plan.json").read_text())
    bad["commitments"][0]["start"] = "2031-01"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    code, _, err = cli(
        capsys, "plan", startup, "--as-of", "2026-02", "--signed", str(tmp_path / "bad.json")
    )
    assert code == 2 and "bad.json: commitments[0].start '2031-01'" in err
