"""Integration: `computebroker plan` through the real CLI entry point."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from computebroker.cli.app import run
from computebroker.reports.html import money
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


def _newsvendor(vol: float, count: int, **policy: Any) -> dict[str, Any]:
    """Commit (2-quarter term, so a late start runs past the 3-quarter horizon) or rent."""
    return tiny(
        periods=3,
        offers=[
            {
                "id": "c",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 2.0,
                "term_periods": 2,
            },
            {
                "id": "od",
                "provider": "lambda",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 5.0,
            },
        ],
        demand={"classes": {"w": {"start": 1e9, "volatility": vol}}},
        policy=dict(policy),
        count=count,
    )


def _plan_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, doc: dict[str, Any], *args: str
) -> tuple[str, dict[str, Any], str]:
    """``plan`` in table format with ``-o``: (the output with runs of whitespace as one space,
    plan.json, plan.html)."""
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    out_dir = tmp_path / "out"
    code, out, err = cli(
        capsys, "plan", str(path), "--out-of-sample", "0", "-o", str(out_dir), *args
    )
    assert code == 0, err
    plan = json.loads((out_dir / "plan.json").read_text())
    return " ".join(out.split()), plan, (out_dir / "plan.html").read_text()


def test_summary_and_report_state_each_honest_figure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cost at present value and nominal with the rate, the penalty apart, cash CVaR, volume-
    weighted P(shortfall), what is signed (new, after the horizon, existing) and the
    convergence line — each the plan.json figure, in the CLI summary and in plan.html; the
    signed totals are the sums of the schedule's obligations."""
    monkeypatch.setenv("COLUMNS", "600")  # the convergence line on one line
    doc = _newsvendor(
        0.4,
        10,
        discount_rate=0.08,
        existing=[{"offer": "c", "start": "2026Q1", "chips": 100}],
    )
    out, plan, report = _plan_table(capsys, tmp_path, doc, "--replications", "3")
    m = plan["metrics"]
    rows = plan["commitments"]
    # the schedule's obligations are what is signed now plus what was signed before (a row
    # may hold both: 100 existing chips in 2026Q1 and the new ones of that start)
    assert m["existing_contract_usd"] == pytest.approx(100 * 2.0 * 1000 * 2)  # chips x $ x h x term
    assert m["signed_usd"] + m["existing_contract_usd"] == pytest.approx(
        sum(c["obligation_usd"] for c in rows), rel=1e-9
    )
    assert m["signed_after_horizon_usd"] == pytest.approx(
        sum(c["after_horizon_usd"] for c in rows), rel=1e-9
    )
    assert m["signed_after_horizon_usd"] > 0  # the 2026Q3 start runs one quarter past 2026Q3
    assert m["expected_cost_nominal_usd"] > m["expected_cost_usd"]  # discounted at 8%
    c = m["convergence"]
    assert c is not None and c["replications"] == 3 and not c["converged"]
    figures = [
        f"expected cost {money(m['expected_cost_usd'])} at present value (discount rate 8.0%/year);"
        f" {money(m['expected_cost_nominal_usd'])} nominal",
        f"of which shortfall penalty {money(m['expected_penalty_usd'])}",
        f"cash CVaR95 {money(m['cash_cvar_usd'])} (cash alone; with the shortfall penalty "
        f"{money(m['cvar_usd'])})",
        f"P(shortfall) {m['p_shortfall']:.1%} weighted by volume",
        f"signed (new commitments) {money(m['signed_usd'])} total contract value, of which "
        f"{money(m['signed_after_horizon_usd'])} after the horizon ({money(m['signed_pv_usd'])} "
        "at present value)",
        f"existing contracts {money(m['existing_contract_usd'])} total contract value",
        f"NOT converged at 10 scenarios (3 replications, 95% intervals, target 1.0%): "
        f"expected cost {money(c['expected_cost']['mean'])} ± "
        f"{money(c['expected_cost']['half_width'])}",
        f"CVaR95 {money(c['cvar']['mean'])} ± {money(c['cvar']['half_width'])}, P(shortfall) "
        f"{c['p_shortfall']['mean']:.1%} ± {c['p_shortfall']['half_width']:.1%};",
        f"optimality gap ≤ {money(c['gap_upper_usd'])}",
        f"decision stability {c['stability']:.2f}",
    ]
    page = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", report)).split())
    for f in figures:
        assert f in out, f
        assert f in page, f
    assert "This plan has NOT converged" in page


def test_without_replications_convergence_is_not_measured(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out, plan, report = _plan_table(capsys, tmp_path, _newsvendor(0.2, 10))
    assert plan["metrics"]["convergence"] is None
    hint = "convergence not measured: use --scenarios auto or --replications N"
    assert hint in out
    assert "not measured: use --scenarios auto or --replications N" in report


def test_scenarios_auto_reports_a_convergence_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Certain demand: the first sample (100 scenarios) has no gap and no interval width."""
    monkeypatch.setenv("COLUMNS", "600")
    out, plan, report = _plan_table(
        capsys, tmp_path, _newsvendor(0.0, 10), "--scenarios", "auto", "--replications", "2"
    )
    c = plan["metrics"]["convergence"]
    assert c is not None and c["converged"] and c["replications"] == 2
    assert c["scenarios"] == 100 == plan["scenarios"]["count"]
    assert "convergence converged at 100 scenarios (2 replications" in out
    assert "NOT converged" not in out and "NOT converged" not in report


def test_bad_scenario_count_is_refused(capsys: pytest.CaptureFixture[str], repo_root: Path) -> None:
    code, _, err = cli(
        capsys, "plan", str(repo_root / "examples" / "startup.yaml"), "--scenarios", "many"
    )
    assert code == 2 and "--scenarios must be a count from 1 to 100,000 or auto" in err
    code, _, err = cli(
        capsys, "plan", str(repo_root / "examples" / "startup.yaml"), "--scenarios", "100000000"
    )
    assert code == 2 and "got '100000000'" in err  # bounded before any work (issue 17)
    code, _, err = cli(
        capsys, "plan", str(repo_root / "examples" / "startup.yaml"), "--replications", "1"
    )
    assert code == 2 and "--replications must be 0 (not measured) or at least 2" in err
