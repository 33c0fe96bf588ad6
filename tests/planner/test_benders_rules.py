"""The decomposition with the rules that tie each scenario's recourse to the first stage —
budgets and the shortfall-risk limit — reaches the extensive form's optimum (same instances,
both solvers), alone and with every feature on (whole blocks, minimums, the vendor minimum)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from computebroker.planner import PlanOptions, PlanProblem, solve_plan
from computebroker.planner.benders import BendersOptions, ScenarioGroups, solve_benders
from computebroker.planner.result import Plan, cvar
from tests.planner.helpers import commit_and_on_demand, problem_of
from tests.planner.test_policy import two_vendor_doc

EXACT = BendersOptions(gap=1e-7, executor="serial")


def _objective(plan: Plan, p: PlanProblem) -> float:
    pol = p.spec.policy
    c = plan.cost
    return float(c @ p.prob) + pol.risk_weight * cvar(c, p.prob, pol.cvar_alpha)


def _risky(**policy: Any) -> dict[str, Any]:
    """Two vendors, the cheap one slipping or delivering in part, rentals dearer and scarcer
    with demand: the commitments' bill differs by scenario, and so does what a budget leaves."""
    doc = two_vendor_doc(max_vendor_share=0.7, risk={"cvar_alpha": 0.9, "weight": 0.5}, **policy)
    doc["offers"][0]["delivery_risk"] = {
        "slip_prob": 0.3,
        "slip_periods": 1,
        "partial_prob": 0.3,
        "partial_fraction": 0.6,
    }
    doc["scarcity"] = {"rental_price_premium": 1.0, "rental_capacity_cut": 0.5}
    return doc


def test_a_binding_period_budget_by_hand() -> None:
    """1,000 chips of work a period, a commitment at $2,000 a chip-period, on-demand at $6,000,
    unmet work at 3x on-demand ($18,000): with $1.5M a period the budget buys 750 committed
    chips (a dollar of commitment saves more than a dollar of rental), 250 go unmet, so each of
    the two periods costs 1.5 + 0.25 x 18 = $6.0M: $12.0M."""
    p = problem_of(commit_and_on_demand(volatility=0.0, policy={"budget_per_period": 1.5e6}))
    b = solve_benders(p, bopt=EXACT)
    assert b.converged
    assert b.upper == pytest.approx(12.0, rel=1e-9)
    assert b.plan.x[0, 0] * 1000 == pytest.approx(750.0, rel=1e-9)
    assert b.plan.y.max() == pytest.approx(0.0, abs=1e-9)


CHEAP_UNMET = {"shortfall_penalty": {"multiple_of_on_demand": 1.2}}  # some work goes unmet
# (the rest of the policy, the rule under test): each rule binds (the test checks it)
POLICIES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "period budget": ({}, {"budget_per_period": 2.4e6}),
    "total spend budget": ({}, {"budget_total": 9e6}),
    "signed budget": ({}, {"budget_total": 5e6, "budget_basis": "signed"}),
    "shortfall-risk limit": (
        CHEAP_UNMET,
        {"shortfall_risk": {"alpha": 0.9, "max_unmet_fraction": 0.04}},
    ),
    "budget and shortfall-risk limit": (
        {"budget_per_period": 7e6},
        {"shortfall_risk": {"alpha": 0.9, "max_unmet_fraction": 0.02}},
    ),
}


@pytest.mark.parametrize("name", list(POLICIES))
def test_matches_the_extensive_form_with_budgets_and_shortfall_limits(name: str) -> None:
    base, rule = POLICIES[name]
    p = problem_of(_risky(**base, **rule))
    free = solve_plan(problem_of(_risky(**base)), PlanOptions(method="extensive"))
    ef = solve_plan(p, PlanOptions(method="extensive"))
    assert ef.plan is not None and ef.objective is not None and free.objective is not None
    assert ef.objective > free.objective * (1 + 1e-4)  # the rule binds
    b = solve_benders(p, bopt=EXACT)
    assert b.converged
    assert b.lower <= ef.objective * (1 + 1e-7)
    assert _objective(b.plan, p) == pytest.approx(ef.objective, rel=1e-6)
    _assert_rules_hold(p, b.plan)


def _assert_rules_hold(p: PlanProblem, plan: Plan) -> None:
    """The plan's own spend and unmet shares, computed from its arrays."""
    pol = p.spec.policy
    spend = (
        np.einsum("o,ots->ts", p.c_commit, p.delivered(plan.k))
        + np.einsum("rts,rts->ts", p.rent_price, plan.y)
    ) * 1e6  # (P, S) nominal USD
    if pol.budget_per_period is not None:
        assert spend.max() <= pol.budget_per_period * (1 + 1e-6)
    if pol.budget_total is not None and pol.budget_basis.value == "spend":
        assert spend.sum(axis=0).max() <= pol.budget_total * (1 + 1e-6)
    if pol.shortfall_max_fraction is not None:
        assert pol.shortfall_alpha is not None
        vol = p.volume
        share = np.einsum("w,wts->s", vol, plan.u) / np.einsum("w,wts->s", vol, p.D)
        assert cvar(share, p.prob, pol.shortfall_alpha) <= pol.shortfall_max_fraction + 1e-6


def test_every_feature_on_matches_the_extensive_milp() -> None:
    """Budget, shortfall-risk limit, whole blocks, minimums and the vendor minimum at once."""
    base, rule = POLICIES["budget and shortfall-risk limit"]
    doc = _risky(min_vendors=2, **base, **rule)
    doc["policy"]["max_vendor_share"] = 0.9
    doc["offers"][0].update(block_chips=200, min_chips=600)
    doc["offers"][1].update(block_chips=150, min_chips=300)
    p = problem_of(doc)
    opt = PlanOptions(milp=True, mip_gap=1e-6)
    ef = solve_plan(p, PlanOptions(milp=True, mip_gap=1e-6, method="extensive"))
    assert ef.plan is not None and ef.objective is not None
    b = solve_benders(p, opt, BendersOptions(gap=1e-6, executor="serial"))
    assert b.converged and b.lp_iterations > 0
    assert _objective(b.plan, p) == pytest.approx(ef.objective, rel=1e-4)
    chips = b.plan.x * 1000
    for o, (block, least) in enumerate([(200, 600), (150, 300)]):
        for c in chips[o]:
            assert c < 0.5 or (c >= least - 1e-6 and abs(c / block - round(c / block)) < 1e-6)
    _assert_rules_hold(p, b.plan)


def test_an_impossible_budget_is_explained_by_the_extensive_form() -> None:
    """The feasibility cuts leave the master no point: ``solve_plan`` then lets the extensive
    form's diagnosis say why, in the input's terms."""
    doc = _risky(budget_per_period=4e6, shortfall_risk={"alpha": 0.9, "max_unmet_fraction": 0.05})
    res = solve_plan(problem_of(doc), PlanOptions(method="benders"))
    assert res.status.value == "infeasible" and res.plan is None
    assert any("shortfall risk" in line for line in res.explanation)


def test_the_choice_of_method_is_stated_in_the_output() -> None:
    """``--method auto`` says what it chose and why, in the termination text that the CLI,
    ``plan.json`` and the report show."""
    from computebroker.planner.document import plan_document
    from computebroker.planner.solve import AUTO_BENDERS_SCENARIOS

    small = solve_plan(problem_of(_risky(budget_per_period=2.4e6)), PlanOptions())
    assert small.method == "extensive"
    assert "solved by the extensive form (--method auto: 40 scenarios" in small.termination
    doc = _risky(budget_per_period=2.4e6)
    doc["scenarios"]["count"] = AUTO_BENDERS_SCENARIOS
    big = solve_plan(problem_of(doc), PlanOptions(executor="serial"))
    assert big.method == "decomposition" and big.plan is not None
    assert f"solved by the decomposition (--method auto: {AUTO_BENDERS_SCENARIOS:,} scenarios" in (
        plan_document(big, None).termination
    )
    asked = solve_plan(problem_of(_risky()), PlanOptions(method="benders", executor="serial"))
    assert asked.termination.endswith("solved by the decomposition (--method benders)")


@pytest.mark.parametrize("name", ["period budget", "budget and shortfall-risk limit"])
def test_aggregated_groups_reach_the_extensive_optimum(name: str) -> None:
    """Cuts on groups of scenarios (each group's mean recourse value and mean CVaR excess, the
    members' unmet shares in them): the same optimum as the extensive form, and a lower bound
    that is one."""
    base, rule = POLICIES[name]
    p = problem_of(_risky(**base, **rule))
    assert not ScenarioGroups.of(p, 4).exact
    ef = solve_plan(p, PlanOptions(method="extensive"))
    assert ef.objective is not None
    b = solve_benders(p, bopt=BendersOptions(gap=1e-7, executor="serial", max_groups=4))
    assert b.converged
    assert b.lower <= ef.objective * (1 + 1e-7)
    assert _objective(b.plan, p) == pytest.approx(ef.objective, rel=1e-6)
    _assert_rules_hold(p, b.plan)
