"""Check (1): one period, one commitment offer, one workload — the committed quantity is the
newsvendor critical-ratio quantile of the demand scenarios (Arrow, Harris & Marschak 1951).

With commitment price c per chip-period and the cost of each missing chip-period m (the penalty,
or on-demand when it is cheaper), committing q costs c q + m E[(D - q)+], minimised at the
smallest q with F(q) >= (m - c) / m."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from computebroker.planner import PlanOptions, solve_plan
from tests.planner.helpers import HOURS, problem_of, tiny

TOKENS_PER_CHIP_HOUR = 1000.0
PER_CHIP_PERIOD = TOKENS_PER_CHIP_HOUR * HOURS  # tokens one chip does in the period


def weighted_quantile(values: np.ndarray, weights: np.ndarray, ratio: float) -> float:
    """Smallest v with P(D <= v) >= ratio (independent of the planner's code)."""
    order = np.argsort(values)
    cum = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cum, ratio - 1e-12)])


def _committed_chips(doc: dict) -> float:  # type: ignore[type-arg]
    p = problem_of(doc)
    res = solve_plan(p, PlanOptions())
    assert res.plan is not None
    return float(res.plan.x.sum() * 1000.0)


def _demand_doc(chips: list[int], weights: list[float]) -> dict:  # type: ignore[type-arg]
    return {
        "scenarios": [
            {"w": [c * PER_CHIP_PERIOD], "weight": wt} for c, wt in zip(chips, weights, strict=True)
        ]
    }


def _away_from_steps(chips: list[int], weights: list[float], ratio: float) -> bool:
    cum = np.cumsum(np.array(weights)[np.argsort(chips)]) / sum(weights)
    return bool(np.min(np.abs(cum - ratio)) > 0.02) and len(set(chips)) == len(chips)


@settings(max_examples=15)
@given(
    chips=st.lists(st.integers(10, 2000), min_size=3, max_size=12, unique=True),
    data=st.data(),
    price=st.floats(0.5, 5.0),
    markup=st.floats(1.3, 8.0),
)
def test_commitment_is_the_critical_ratio_quantile(
    chips: list[int], data: st.DataObject, price: float, markup: float
) -> None:
    weights = data.draw(st.lists(st.floats(0.2, 3.0), min_size=len(chips), max_size=len(chips)))
    penalty_chip_hour = price * markup
    ratio = (penalty_chip_hour - price) / penalty_chip_hour
    if not _away_from_steps(chips, weights, ratio):
        return  # at a step of F any q in the interval is optimal: nothing unique to compare
    doc = tiny(
        offers=[
            {
                "id": "c",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": price,
                "term_periods": 1,
            }
        ],
        demand=_demand_doc(chips, weights),
        policy={
            "shortfall_penalty": {"usd_per_unit": {"w": penalty_chip_hour / TOKENS_PER_CHIP_HOUR}}
        },
    )
    q = _committed_chips(doc)
    expected = weighted_quantile(np.array(chips, dtype=float), np.array(weights), ratio)
    assert abs(q - expected) <= 1e-3 * expected + 1e-6


def test_on_demand_sets_the_ratio_when_cheaper_than_the_penalty() -> None:
    # commit $2, on-demand $5 (unlimited), penalty $50: ratio (5 - 2) / 5 = 0.6 -> 6th of 10 equal scenarios
    chips = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    doc = tiny(
        offers=[
            {
                "id": "c",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 2.0,
                "term_periods": 1,
            },
            {
                "id": "od",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 5.0,
                "max_chips": 100000,
            },
        ],
        demand=_demand_doc(chips, [1.0] * 10),
        policy={"shortfall_penalty": {"usd_per_unit": {"w": 50.0 / TOKENS_PER_CHIP_HOUR}}},
    )
    # F(600) = 0.6 exactly: every q in [600, 700] is optimal; the cost is flat there.
    q = _committed_chips(doc)
    assert 600 - 1e-6 <= q <= 700 + 1e-6
    doc["offers"][1]["price_chip_hour"] = 4.5  # ratio 0.556 -> 600 exactly
    assert abs(_committed_chips(doc) - 600) < 1e-3


def test_expected_cost_matches_the_newsvendor_formula() -> None:
    chips = np.array([100.0, 400.0, 900.0, 1600.0])
    doc = tiny(
        offers=[
            {
                "id": "c",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 2.0,
                "term_periods": 1,
            }
        ],
        demand=_demand_doc([int(c) for c in chips], [1.0] * 4),
        policy={"shortfall_penalty": {"usd_per_unit": {"w": 10.0 / TOKENS_PER_CHIP_HOUR}}},
    )
    p = problem_of(doc)
    res = solve_plan(p, PlanOptions())
    assert res.plan is not None
    # ratio 0.8 -> q = 1600 (F(900) = 0.75 < 0.8); cost = 2 * 1600 * 1000 h, no shortfall
    q = res.plan.x.sum() * 1000.0
    assert abs(q - 1600.0) < 1e-3
    by_hand = 2.0 * 1600.0 * HOURS
    assert abs(float(res.plan.cost @ p.prob) * 1e6 - by_hand) < 1.0
