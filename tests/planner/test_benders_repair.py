"""The repair of a master point whose unmet shares some scenario cannot meet: the same
commitments with shares each scenario can meet, within the shortfall-risk limit, give a
feasible plan — its unmet shares (from its own recourse) within the limit, and its objective
no better than the extensive form's optimum (an upper bound)."""

from __future__ import annotations

import time

import numpy as np

from computebroker.planner import PlanOptions, solve_plan
from computebroker.planner.benders import BendersOptions, Decomposition
from computebroker.planner.result import cvar
from tests.planner.helpers import problem_of
from tests.planner.test_benders_rules import POLICIES, _risky


def test_a_repaired_point_is_a_feasible_plan_and_an_upper_bound() -> None:
    base, rule = POLICIES["shortfall-risk limit"]
    p = problem_of(_risky(**base, **rule))
    ef = solve_plan(p, PlanOptions(method="extensive"))
    assert ef.objective is not None
    pol = p.spec.policy
    assert pol.shortfall_alpha is not None and pol.shortfall_max_fraction is not None
    dcp = Decomposition(p, PlanOptions(), BendersOptions(gap=1e-7, executor="serial"))
    repaired = 0
    try:
        for _ in range(30):
            ran = dcp._run_master(time.perf_counter(), first=True)
            assert ran is not None
            sol = ran[0]
            ev = dcp._evaluate(sol)
            if ev.feasible:
                break
            fixed = dcp._repair(sol, ev)
            if fixed is not None:
                repaired += 1
                point, fev = fixed
                assert fev.feasible
                assert fev.value >= ef.objective * (1 - 1e-7)
                *_, u = dcp.ex.cuts(*fev.point, primal=True)  # the recourse's decisions
                vol = p.volume
                share = np.einsum("w,wts->s", vol, u) / np.einsum("w,wts->s", vol, p.D)
                assert np.all(share <= point[dcp.col_om] + 1e-6)
                assert cvar(share, p.prob, pol.shortfall_alpha) <= (
                    pol.shortfall_max_fraction + 1e-6
                )
            dcp._add_cuts(ev)
    finally:
        dcp.close()
    assert repaired > 0  # the instance exercises the repair
