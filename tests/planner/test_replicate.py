"""Statistical honesty: replication intervals, the Mak-Morton-Wood gap and decision stability."""

from __future__ import annotations

import pytest

from computebroker.catalog import shipped_catalog
from computebroker.planner import PlanOptions, PlanProblem, solve_plan
from computebroker.planner.replicate import plan_until_converged, replicate
from tests.planner.helpers import HOURS, problem_of, tiny

TPH = 1000.0


def newsvendor(vol: float, count: int = 20) -> dict:  # type: ignore[type-arg]
    return tiny(
        periods=2,
        throughput={"h100": TPH},
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
        demand={"classes": {"w": {"start": 1000 * TPH * HOURS, "volatility": vol}}},
        count=count,
    )


def test_a_certain_problem_has_no_gap_no_width_and_one_decision() -> None:
    p = problem_of(newsvendor(0.0))
    res = solve_plan(p, PlanOptions())
    assert res.plan is not None
    conv = replicate(res.plan, shipped_catalog(), replications=3)
    assert conv.gap_upper_usd == pytest.approx(0.0, abs=1e-3)
    assert conv.expected_cost.half_width == pytest.approx(0.0, abs=1e-3)
    # 1,000 chips x $2 x 1,000 h x 2 quarters = $4M, every replication
    assert conv.expected_cost.mean == pytest.approx(4.0e6, rel=1e-6)
    assert conv.stability == pytest.approx(1.0)
    assert conv.converged and "converged" in conv.note


def test_noisy_demand_gives_a_nonnegative_gap_and_an_interval() -> None:
    p = problem_of(newsvendor(0.4, count=10))
    res = solve_plan(p, PlanOptions())
    assert res.plan is not None
    conv = replicate(res.plan, shipped_catalog(), replications=4, target=1e-6)
    # each replication's own optimum is no worse than x^ on that sample: G_i >= 0
    assert conv.gap_mean_usd >= -1e-3
    assert conv.gap_upper_usd >= conv.gap_mean_usd
    assert conv.expected_cost.half_width > 0
    assert 0.0 <= conv.stability < 1.0
    assert not conv.converged and "NOT converged" in conv.note


def test_auto_grows_the_sample_until_converged_or_says_it_is_not() -> None:
    seen: list[int] = []

    def at(n: int) -> PlanProblem:
        seen.append(n)
        return problem_of(newsvendor(0.4, count=n))

    plan, m = plan_until_converged(
        at, shipped_catalog(), start=8, max_scenarios=32, replications=3, target=1e-6
    )
    assert seen == [8, 16, 32]
    assert m.convergence is not None and not m.convergence.converged
    assert m.convergence.scenarios == 32 and plan.problem.n_scenarios == 32
