"""The MILP master's starting incumbent under a vendor minimum (``_vendor_start``): the master
with the vendors in use fixed to a set chosen on its LP relaxation. A restriction of the master,
so the loop stays exact: the same optimum as the extensive MILP, with the start on or off."""

from __future__ import annotations

import pytest

from computebroker.planner import PlanOptions, PlanProblem, solve_plan
from computebroker.planner.benders import BendersOptions, Decomposition
from computebroker.planner.result import Plan, cvar
from tests.planner.helpers import problem_of
from tests.planner.test_policy import two_vendor_doc


def _objective(plan: Plan, p: PlanProblem) -> float:
    pol = p.spec.policy
    c = plan.cost
    return float(c @ p.prob) + pol.risk_weight * cvar(c, p.prob, pol.cvar_alpha)


def _three_vendors() -> PlanProblem:
    """Three committed vendors in whole blocks (one cheap, two dearer), on-demand dearest, and
    at least two vendors: which two (or three) is the master's integer choice."""
    doc = two_vendor_doc(min_vendors=2, risk={"cvar_alpha": 0.9, "weight": 0.5})
    azure = dict(doc["offers"][0], id="azure-1y", provider="azure", price_chip_hour=2.3)
    doc["offers"].insert(2, azure)
    doc["offers"][0].update(block_chips=200, min_chips=600)
    doc["offers"][1].update(block_chips=150, min_chips=300)
    doc["offers"][2].update(block_chips=250)
    return problem_of(doc)


@pytest.mark.parametrize("start", [True, False])
def test_the_vendor_start_keeps_the_extensive_optimum(start: bool) -> None:
    p = _three_vendors()
    opt = PlanOptions(milp=True, mip_gap=1e-6)
    ef = solve_plan(p, PlanOptions(milp=True, mip_gap=1e-6, method="extensive"))
    assert ef.plan is not None and ef.objective is not None
    d = Decomposition(p, opt, BendersOptions(gap=1e-6, executor="serial", vendor_start=start))
    try:
        b = d.solve()
    finally:
        d.close()
    assert b.converged
    assert b.lower <= ef.objective * (1 + 1e-5)
    assert _objective(b.plan, p) == pytest.approx(ef.objective, rel=1e-5)
    # the start ran: a set of vendors at least the minimum, chosen among every vendor
    assert (d.vendor_set is not None) is start
    if d.vendor_set is not None:
        assert len(d.vendor_set) == len(p.providers) and d.vendor_set.sum() >= 2
    committed = {p.commit_provider[o] for o in range(len(p.commit)) if b.plan.x[o].max() > 1e-9}
    assert len(committed) >= 2
