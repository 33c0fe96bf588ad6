"""Checks (2), (3) and (5): the vendor cap holds and costs something, the reported CVaR is the
CVaR of the per-scenario costs, and impossible inputs are explained in the user's terms."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from computebroker.planner import Plan, PlanOptions, PlanProblem, PlanStatus, metrics, solve_plan
from tests.planner.helpers import HOURS, problem_of, solve_doc, tiny

TPH = 1000.0  # tokens per chip-hour on every chip below


def two_vendor_doc(**policy: object) -> dict:  # type: ignore[type-arg]
    """Four quarters; AWS commitments are cheapest, GCP dearer, on-demand dearest."""
    return tiny(
        periods=4,
        throughput={"h100": TPH, "tpu-v6e": TPH},
        offers=[
            {
                "id": "aws-1y",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 2.0,
                "term_periods": 4,
            },
            {
                "id": "gcp-1y",
                "provider": "gcp",
                "accelerator": "tpu-v6e",
                "contract": "commit-1y",
                "price_chip_hour": 2.6,
                "term_periods": 4,
            },
            {
                "id": "od",
                "provider": "lambda",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 6.0,
                "max_chips": 5000,
            },
        ],
        demand={
            "correlation": 0.0,
            "classes": {"w": {"start": 1000 * TPH * HOURS, "growth": 0.1, "volatility": 0.2}},
        },
        policy={"shortfall_penalty": {"multiple_of_on_demand": 3}, **policy},
        count=40,
        seed=3,
    )


def spend_shares(p: PlanProblem, plan: Plan) -> np.ndarray:
    """(vendor, period) share of committed spend, from x by hand: usable k = sum_start R x."""
    k = np.einsum("ost,os->ot", p.R, plan.x)
    spend = p.c_commit[:, None] * k
    vendors = sorted(set(p.commit_provider))
    by = np.array(
        [
            [spend[o, t] for o in range(len(p.commit)) if p.commit_provider[o] == v]
            for v in vendors
            for t in range(p.n_periods)
        ]
    )
    by = by.sum(axis=1).reshape(len(vendors), p.n_periods)
    total = spend.sum(axis=0)
    return np.where(total > 0, by / np.where(total > 0, total, 1), 0.0)


@pytest.mark.parametrize("cap", [0.5, 0.6, 0.75])
def test_vendor_cap_holds_and_costs_at_least_the_uncapped_plan(cap: float) -> None:
    p0, free = solve_doc(two_vendor_doc())
    assert free.plan is not None
    assert spend_shares(p0, free.plan).max() > 0.99  # uncapped: all AWS, the cheapest
    p1, capped = solve_doc(two_vendor_doc(max_vendor_share=cap))
    assert capped.plan is not None
    assert spend_shares(p1, capped.plan).max() <= cap + 1e-6
    assert float(capped.plan.cost @ p1.prob) >= float(free.plan.cost @ p0.prob) - 1e-9
    m = metrics(capped.plan)
    assert max(m.vendor_shares.values()) <= cap + 1e-6


def test_capacity_basis_cap_uses_peak_flops() -> None:
    p, res = solve_doc(two_vendor_doc(max_vendor_share=0.6, share_basis="capacity"))
    assert res.plan is not None
    k = np.einsum("ost,os->ot", p.R, res.plan.x)
    flops = np.array([989.0, 918.0])  # H100 SXM and TPU v6e dense BF16 TFLOP/s (catalog)
    cap_share = (flops[:, None] * k) / (flops[:, None] * k).sum(axis=0)
    assert cap_share.max() <= 0.6 + 1e-6


def independent_cvar(costs: np.ndarray, prob: np.ndarray, alpha: float) -> float:
    """Rockafellar-Uryasev at eta = VaR_alpha: VaR + E[(C - VaR)+] / (1 - alpha)."""
    order = np.argsort(costs)
    cum = np.cumsum(prob[order])
    var = costs[order][np.searchsorted(cum, alpha - 1e-12)]
    return float(var + (prob * np.maximum(costs - var, 0)).sum() / (1 - alpha))


@pytest.mark.parametrize(("alpha", "weight"), [(0.9, 0.5), (0.95, 1.0), (0.8, 0.2)])
def test_reported_cvar_is_the_cvar_of_scenario_costs(alpha: float, weight: float) -> None:
    doc = two_vendor_doc(max_vendor_share=0.7, risk={"cvar_alpha": alpha, "weight": weight})
    p, res = solve_doc(doc)
    assert res.plan is not None and res.objective is not None
    costs = res.plan.cost
    direct = independent_cvar(costs, p.prob, alpha)
    m = metrics(res.plan)
    assert m.cvar_usd == pytest.approx(direct * 1e6, rel=1e-9)
    # the solver's objective is E[C] + lambda CVaR(C): its R-U auxiliary variables agree too
    assert res.objective == pytest.approx(float(costs @ p.prob) + weight * direct, rel=1e-6)


def test_risk_weight_lowers_cvar_and_raises_expected_cost() -> None:
    _p0, neutral = solve_doc(two_vendor_doc(risk={"cvar_alpha": 0.9, "weight": 0.0}))
    _p1, averse = solve_doc(two_vendor_doc(risk={"cvar_alpha": 0.9, "weight": 5.0}))
    assert neutral.plan is not None and averse.plan is not None
    assert metrics(averse.plan).cvar_usd <= metrics(neutral.plan).cvar_usd + 1.0
    assert metrics(averse.plan).expected_cost_usd >= metrics(neutral.plan).expected_cost_usd - 1.0


def test_shortfall_risk_limit_holds() -> None:
    doc = two_vendor_doc(
        shortfall_penalty={"multiple_of_on_demand": 0.5},
        shortfall_risk={"alpha": 0.9, "max_unmet_fraction": 0.02},
    )
    doc["offers"][2]["max_chips"] = 10  # on-demand nearly gone: commitments must cover the tail
    p, res = solve_doc(doc)
    assert res.plan is not None
    unmet = res.plan.u.sum(axis=(0, 1)) / p.D.sum(axis=(0, 1))
    assert independent_cvar(unmet, p.prob, 0.9) <= 0.02 + 1e-6
    loose = copy.deepcopy(doc)
    del loose["policy"]["shortfall_risk"]
    p2, res2 = solve_doc(loose)
    assert res2.plan is not None
    unmet2 = res2.plan.u.sum(axis=(0, 1)) / p2.D.sum(axis=(0, 1))
    assert independent_cvar(unmet2, p2.prob, 0.9) > 0.02  # the limit binds in this instance


# (5) infeasible input is explained -------------------------------------------------------------


def test_budget_below_existing_commitments_is_explained() -> None:
    # 2,000 AWS chips already signed at $2/h for 1,000 h = $4.0M per quarter; budget $3.0M.
    doc = two_vendor_doc(
        existing=[{"offer": "aws-1y", "start": "2026Q1", "chips": 2000}], budget_per_period=3.0e6
    )
    p = problem_of(doc)
    res = solve_plan(p, PlanOptions())
    assert res.status is PlanStatus.INFEASIBLE
    text = " ".join(res.explanation)
    assert "budget_per_period $3.0M" in text
    assert "$1.0M more" in text  # 4.0 - 3.0
    assert "at least $4.0M" in text


def test_vendor_cap_against_dominant_existing_is_explained() -> None:
    # AWS: 500 chips x $2 = $1,000 per chip-hour-period already signed; GCP can add at most
    # 100 chips x $2.6 = $260: AWS holds at least 1000 / 1260 = 79% in 2026Q1 > 50%.
    doc = two_vendor_doc(
        existing=[{"offer": "aws-1y", "start": "2026Q1", "chips": 500}], max_vendor_share=0.5
    )
    doc["offers"][1]["max_chips"] = 100
    res = solve_plan(problem_of(doc), PlanOptions())
    assert res.status is PlanStatus.INFEASIBLE
    text = " ".join(res.explanation)
    assert "vendor cap 50%" in text and "2026Q1" in text and "aws holds" in text


def test_per_period_cap_never_forbids_while_one_vendor_can_deliver() -> None:
    # GCP can only start in 2026Q3: in Q1-Q2 one vendor exists, so the cap there is 1/1 = 100%
    # and the signed AWS commitment stands; from Q3 the 50% cap holds.
    doc = two_vendor_doc(
        existing=[{"offer": "aws-1y", "start": "2026Q1", "chips": 500}], max_vendor_share=0.5
    )
    doc["offers"][1]["available_from"] = "2026Q3"
    p = problem_of(doc)
    assert p.vendor_cap_by_period(0.5).tolist() == [1.0, 1.0, 0.5, 0.5]
    res = solve_plan(p, PlanOptions())
    assert res.status is PlanStatus.OPTIMAL and res.plan is not None
    spend = p.c_commit[:, None] * res.plan.k  # (offer, period)
    aws, gcp = spend[0], spend[1]
    assert (aws[2:] <= 0.5 * (aws[2:] + gcp[2:]) + 1e-6).all()


def test_existing_above_max_chips_is_explained() -> None:
    doc = two_vendor_doc(existing=[{"offer": "aws-1y", "start": "2026Q2", "chips": 3000}])
    doc["offers"][0]["max_chips"] = 2500
    res = solve_plan(problem_of(doc), PlanOptions())
    assert res.status is PlanStatus.INFEASIBLE
    assert "3,000 usable chips in 2026Q2, above its max_chips of 2,500" in " ".join(res.explanation)


def test_total_budget_explained_by_how_much() -> None:
    # 1,000 chips x $2 x 1,000 h x 4 quarters = $8.0M signed; total budget $5.0M
    doc = two_vendor_doc(
        existing=[{"offer": "aws-1y", "start": "2026Q1", "chips": 1000}], budget_total=5.0e6
    )
    res = solve_plan(problem_of(doc), PlanOptions())
    assert res.status is PlanStatus.INFEASIBLE
    text = " ".join(res.explanation)
    assert "budget_total $5.0M" in text and "$3.0M more" in text
