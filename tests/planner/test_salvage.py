"""Salvage from demand past the horizon (``policy.terminal_salvage``), against sums done by
hand: a committed chip-period at period t >= P is worth min(1, u[t] m[t]) of its price, with
m[t] = (1 - price_decline) ** (t / 4) on quarters and u[t] = min(1, (1 + g) ** ((t - P + 1) / 4)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from computebroker.catalog import shipped_catalog
from computebroker.errors import InputError
from computebroker.planner import PlanOptions, metrics, parse_scenario, solve_plan
from computebroker.planner.result import plan_from_arrays
from tests.planner.helpers import HOURS, problem_of, tiny

TPH = 1000.0
CHIPS = 1000


def _doc(policy: dict[str, Any], term: int = 8) -> dict[str, Any]:
    # one 2-year commitment on a 4-quarter horizon: 4 of its 8 quarters fall past the horizon
    offer = {
        "id": "c",
        "provider": "aws",
        "accelerator": "h100",
        "contract": "commit-1y",
        "price_chip_hour": 2.0,
        "term_periods": term,
    }
    return tiny(
        periods=4,
        throughput={"h100": TPH},
        offers=[offer],
        demand={"classes": {"w": {"start": CHIPS * TPH * HOURS, "growth": 0.0}}},
        policy={"shortfall_penalty": {"usd_per_unit": {"w": 30.0 / TPH}}, **policy},
        count=4,
    )


def _post(policy: dict[str, Any]) -> float:
    """$M owed past the horizon by 1,000 chips signed in Q1 (none of the rest rented)."""
    p = problem_of(_doc(policy))
    x = np.zeros((1, 4))
    x[0, 0] = 1.0
    y = np.zeros((len(p.recourse), 4, p.n_scenarios))
    a = np.zeros((len(p.pools), 1, 4, p.n_scenarios))
    plan = plan_from_arrays(p, x=x, y=y, a=a, u=p.D.copy())
    assert plan.cost_post == pytest.approx(plan.cost_post[0])  # no delivery risk: all alike
    return float(plan.cost_post[0])


# each quarter past the horizon bills 1,000 chips x $2 x 1,000 h = $2M
QUARTER = 2.0


def test_market_price_decline_alone() -> None:
    # demand flat past the horizon: all the capacity is used (u = 1); the market then prices it
    # at 0.8 ** (t / 4) of today's: 0.8, 0.756593, 0.715542, 0.676718 for t = 4..7, so the plan
    # still owes 0.2 + 0.243407 + 0.284458 + 0.323282 = 1.051147 quarters' bills net of salvage
    owed = _post({"terminal_salvage": {"price_decline": 0.2}})
    assert owed == pytest.approx(QUARTER * 1.051147, rel=1e-6)


def test_demand_falling_past_the_horizon_uses_less_of_the_capacity() -> None:
    # demand halves each year past the horizon: u = 0.5 ** ((t - 3) / 4) = 0.840896, 0.707107,
    # 0.594604, 0.5; salvage u * m = 0.672717, 0.534992, 0.425461, 0.338359; owed 1 - that
    owed = _post({"terminal_salvage": {"price_decline": 0.2, "demand_growth": -0.5}})
    assert owed == pytest.approx(QUARTER * 2.028468, rel=1e-6)


def test_no_price_decline_and_flat_demand_salvage_everything() -> None:
    # capacity that continuing demand uses at an unchanged price is worth what it costs
    assert _post({"terminal_salvage": {"price_decline": 0.0}}) == pytest.approx(0.0, abs=1e-12)


def test_explicit_salvage_is_unchanged() -> None:
    assert _post({"salvage_fraction": 0.5}) == pytest.approx(QUARTER * 4 * 0.5)


def test_explicit_and_terminal_salvage_are_exclusive() -> None:
    d = _doc({"salvage_fraction": 0.5, "terminal_salvage": {"price_decline": 0.2}})
    with pytest.raises(InputError, match="not both"):
        parse_scenario(yaml.safe_dump(d, sort_keys=False), shipped_catalog())


def test_the_solve_prices_post_horizon_years_with_terminal_salvage() -> None:
    # the optimiser sees the same post-horizon coefficients as the scoring: its objective is
    # the plan's expected cost, and what is signed is reported before salvage
    p = problem_of(_doc({"terminal_salvage": {"price_decline": 0.2}}))
    res = solve_plan(p, PlanOptions(method="extensive"))
    assert res.plan is not None and res.objective is not None
    m = metrics(res.plan)
    assert m.expected_cost_usd == pytest.approx(res.objective * 1e6, rel=1e-6)  # objective in $M
    signed = res.plan.x[0].sum() * 1000 * 2.0 * HOURS * 8
    assert m.signed_usd == pytest.approx(signed, rel=1e-6)
