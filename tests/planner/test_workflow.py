"""Planning over time: contracts past the horizon are charged, signed commitments never slip,
rolling re-planning keeps what was signed, out-of-sample re-scoring, and the frontier."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from computebroker.catalog import shipped_catalog
from computebroker.planner import (
    FrontierAxis,
    PlanOptions,
    evaluate_out_of_sample,
    frontier,
    metrics,
    solve_plan,
)
from tests.planner.helpers import HOURS, problem_of, solve_doc, tiny

TPH = 1000.0
CHIPS = 1000  # steady demand, in chips' worth of work per quarter


def steady(
    offers: list[dict[str, Any]],
    policy: dict[str, Any] | None = None,
    vol: float = 0.0,
    periods: int = 4,
) -> dict[str, Any]:
    return tiny(
        periods=periods,
        throughput={"h100": TPH},
        offers=offers,
        demand={"classes": {"w": {"start": CHIPS * TPH * HOURS, "growth": 0.0, "volatility": vol}}},
        policy={"shortfall_penalty": {"usd_per_unit": {"w": 30.0 / TPH}}, **(policy or {})},
        count=20,
    )


ONE_YEAR = {
    "id": "1y",
    "provider": "aws",
    "accelerator": "h100",
    "contract": "commit-1y",
    "price_chip_hour": 2.5,
    "term_periods": 4,
}
THREE_YEAR = {
    "id": "3y",
    "provider": "aws",
    "accelerator": "h100",
    "contract": "commit-3y",
    "price_chip_hour": 2.0,
    "term_periods": 12,
}


def test_post_horizon_years_are_charged() -> None:
    # Over 4 quarters: 1y costs 4 x 2.5 = 10; 3y costs 4 x 2.0 + 8 x 2.0 x (1 - salvage).
    p, res = solve_doc(steady([ONE_YEAR, THREE_YEAR], {"salvage_fraction": 0.5}))  # 3y: 16 > 10
    assert res.plan is not None
    assert res.plan.x[p.commit.index("1y"), 0] * 1000 == pytest.approx(CHIPS, rel=1e-6)
    assert res.plan.x[p.commit.index("3y")].sum() == pytest.approx(0, abs=1e-9)
    assert metrics(res.plan).post_horizon_usd == pytest.approx(0, abs=1e-3)
    # were post-horizon years free (salvage 1), the planner would take the 3-year contract
    p2, res2 = solve_doc(steady([ONE_YEAR, THREE_YEAR], {"salvage_fraction": 1.0}))
    assert res2.plan is not None
    assert res2.plan.x[p2.commit.index("3y"), 0] * 1000 == pytest.approx(CHIPS, rel=1e-6)
    _p3, res3 = solve_doc(
        steady([ONE_YEAR, {**THREE_YEAR, "price_chip_hour": 1.2}], {"salvage_fraction": 0.5})
    )
    assert res3.plan is not None  # 3y at 1.2: 4.8 + 8 x 1.2 x 0.5 = 9.6 < 10 -> 3y
    m3 = metrics(res3.plan)
    assert m3.post_horizon_usd == pytest.approx(CHIPS * 1.2 * HOURS * 8 * 0.5, rel=1e-6)


def test_existing_commitments_never_slip_new_ones_do() -> None:
    slipping = {**ONE_YEAR, "delivery_risk": {"slip_prob": 1.0, "slip_periods": 2}}
    p, res = solve_doc(
        steady([slipping], {"existing": [{"offer": "1y", "start": "2026Q1", "chips": 400}]})
    )
    assert res.plan is not None
    # usable new capacity is useless in Q1-Q2 (always late); existing 400 chips are there and billed
    commit_cost_q1 = 400 * 2.5 * HOURS
    u = res.plan.u[0] * p.scale[0] / (TPH * HOURS)  # chips' worth unmet, (period, scenario)
    assert u[0] == pytest.approx(np.full(p.n_scenarios, CHIPS - 400), rel=1e-6)
    assert res.plan.cost_commit.min() * 1e6 >= commit_cost_q1 * 2 - 1e-3


def test_rolling_replan_keeps_signed_starts() -> None:
    doc = steady([ONE_YEAR, {**ONE_YEAR, "id": "1y-b", "price_chip_hour": 2.6}], vol=0.3, periods=6)
    p = problem_of(doc)
    base = solve_plan(p, PlanOptions())
    assert base.plan is not None
    signed = {
        (oid, st): float(base.plan.x[i, st] * 1000)
        for i, oid in enumerate(p.commit)
        for st in range(2)
    }
    p2 = problem_of(doc, as_of=2, signed=signed, seed=99)
    re = solve_plan(p2, PlanOptions())
    assert re.plan is not None
    assert re.plan.x[:, :2] == pytest.approx(base.plan.x[:, :2], abs=1e-9)
    assert p2.x_fixed[:, :2].all() and not p2.x_fixed[:, 2:].any()


def test_out_of_sample_rescoring_keeps_commitments() -> None:
    doc = steady(
        [
            ONE_YEAR,
            {
                "id": "od",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 6.0,
                "max_chips": 3000,
            },
        ],
        vol=0.4,
    )
    p, res = solve_doc(doc)
    assert res.plan is not None
    oos, whole = evaluate_out_of_sample(res.plan, shipped_catalog(), count=300)
    assert whole.x == pytest.approx(res.plan.x)
    assert whole.problem.n_scenarios == 300
    assert not np.allclose(whole.problem.D[..., :20], p.D)  # fresh scenarios
    ins = metrics(res.plan)
    # with the same plan and the same demand law, costs agree to sampling error
    assert oos.expected_cost_usd == pytest.approx(ins.expected_cost_usd, rel=0.25)


def test_risk_frontier_trades_expected_cost_for_cvar() -> None:
    doc = steady(
        [
            ONE_YEAR,
            {
                "id": "od",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 6.0,
                "max_chips": 3000,
            },
        ],
        vol=0.4,
    )
    doc["policy"]["risk"] = {"cvar_alpha": 0.9, "weight": 0.0}
    pts = frontier(problem_of(doc), FrontierAxis.RISK, [0.0, 0.5, 2.0, 8.0])
    assert all(pt.status == "optimal" for pt in pts)
    e = [float(pt.expected_cost_usd or 0.0) for pt in pts]
    c = [float(pt.cvar_usd or 0.0) for pt in pts]
    assert all(b >= a - 1.0 for a, b in itertools.pairwise(e))  # expected cost rises
    assert all(b <= a + 1.0 for a, b in itertools.pairwise(c))  # tail cost falls


def test_price_of_work_counts_idle_capacity() -> None:
    # 1,000 chips signed at $2/h, 1,000 h; demand is 500 chips' worth of tokens, on-demand unused.
    # Bill $2.0M for 500 x 1,000 tok/h x 1,000 h = 5e8 tokens -> $0.004 a token, $4,000 a million.
    doc = steady(
        [ONE_YEAR | {"price_chip_hour": 2.0}],
        {"existing": [{"offer": "1y", "start": "2026Q1", "chips": 1000}]},
        periods=1,
    )
    doc["demand"]["classes"]["w"]["start"] = 500 * TPH * HOURS
    doc["offers"][0]["term_periods"] = 1
    _, res = solve_doc(doc)
    assert res.plan is not None
    m = metrics(res.plan)
    assert list(m.usd_per_million_work) == ["w"] and list(m.usd_per_million_work["w"]) == ["aws"]
    assert m.usd_per_million_work["w"]["aws"] == pytest.approx(4000.0, rel=1e-9)
    assert m.utilisation == pytest.approx(0.5, rel=1e-9)
