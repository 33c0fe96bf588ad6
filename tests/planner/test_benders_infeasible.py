"""A plan the decomposition proves impossible says why from the master itself: the least
CVaR of the unmet share the cuts allow is a lower bound on every plan's, so above the
shortfall-risk limit it proves the limit unreachable (no extensive form at scale)."""

from __future__ import annotations

import pytest

from computebroker.planner import PlanOptions, solve_plan
from computebroker.planner.benders import BendersOptions, MasterInfeasibleError, solve_benders
from computebroker.planner.solve import AUTO_BENDERS_SCENARIOS
from tests.planner.helpers import commit_and_on_demand, problem_of

SERIAL = BendersOptions(gap=1e-7, executor="serial")


def _budgeted(limit: float) -> dict[str, object]:
    """1,000 chips of work a period; $1.5M a period buys 750 committed chips at $2,000 a
    chip-period and nothing more (on-demand is dearer): 250 of 1,000 go unmet in each period
    of each scenario, an unmet share of exactly 25% whatever the plan."""
    doc = commit_and_on_demand(
        volatility=0.0,
        policy={
            "budget_per_period": 1.5e6,
            "shortfall_risk": {"alpha": 0.9, "max_unmet_fraction": limit},
        },
    )
    return doc


def test_the_master_proves_the_least_unmet_share_by_hand() -> None:
    with pytest.raises(MasterInfeasibleError) as err:
        solve_benders(problem_of(_budgeted(0.10)), bopt=SERIAL)
    (line,) = err.value.explanation
    assert "at least 25.00%" in line and "limit of 10.00%" in line


def test_a_reachable_limit_is_met_at_the_same_cost() -> None:
    """The same instance with the limit at the 25% the budget forces: a plan, $12.0M (750
    chips committed at $1.5M a period, 250 unmet at $18,000 each)."""
    b = solve_benders(problem_of(_budgeted(0.25 + 1e-9)), bopt=SERIAL)
    assert b.converged and b.upper == pytest.approx(12.0, rel=1e-7)


def test_at_scale_the_plan_is_infeasible_with_the_masters_reason() -> None:
    doc = _budgeted(0.10)
    doc["scenarios"] = {"count": AUTO_BENDERS_SCENARIOS}
    res = solve_plan(problem_of(doc), PlanOptions(method="benders", executor="serial"))
    assert res.status.value == "infeasible" and res.plan is None
    assert res.method == "decomposition"
    assert any("at least 25.00%" in line for line in res.explanation)
    assert "it found no plan and says why" in res.termination
