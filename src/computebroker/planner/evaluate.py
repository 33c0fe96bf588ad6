"""Out-of-sample evaluation: re-score a plan's commitments on fresh scenarios it was not fitted on.

The commitments are fixed; each fresh scenario's recourse (rentals, allocation, shortfall) is
re-optimised. With the first stage fixed, scenarios are independent, so they are solved in
chunks (and, by the decomposition, in parallel). Vendor caps and the shortfall-risk limit are
rules for choosing commitments, so they are measured here, not imposed; budgets still bound the
rentals of each scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import xarray as xr

from computebroker.catalog import Catalog
from computebroker.errors import SolverError
from computebroker.planner.build import PlanOptions
from computebroker.planner.problem import KCHIPS, PlanProblem, build_problem
from computebroker.planner.result import Plan, PlanMetrics, metrics, plan_from_arrays
from computebroker.planner.sampling import ScenarioSet, sample_scenarios
from computebroker.planner.spec import Policy

__all__ = ["evaluate_out_of_sample", "fixed_problem"]

CHUNK = 250


def recourse_policy(policy: Policy) -> Policy:
    """``policy`` without the rules that constrain only the choice of commitments (the
    shortfall-risk limit, the vendor cap and minimum): what still binds once they are fixed."""
    return replace(
        policy,
        shortfall_alpha=None,
        shortfall_max_fraction=None,
        max_vendor_share=None,
        min_vendors=None,
    )


def fixed_problem(plan: Plan, scenarios: ScenarioSet, catalog: Catalog) -> PlanProblem:
    """A problem over ``scenarios`` with every commitment fixed to the plan's."""
    p = plan.problem
    spec = p.spec
    policy = recourse_policy(spec.policy)
    signed = {
        (oid, st): float(plan.x[i, st] * KCHIPS)
        for i, oid in enumerate(p.commit)
        for st in range(p.n_periods)
    }
    return build_problem(
        replace(spec, policy=policy), p.matrix, scenarios, catalog, as_of=p.n_periods, signed=signed
    )


def _subset(ss: ScenarioSet, lo: int, hi: int) -> ScenarioSet:
    sel = {"scenario": slice(lo, hi)}
    prob = ss.probability.isel(sel)
    return ScenarioSet(
        probability=xr.DataArray(
            prob.values / prob.values.sum(),
            dims=("scenario",),
            coords={"scenario": np.arange(hi - lo)},
        ),
        demand=ss.demand.isel(sel).assign_coords(scenario=np.arange(hi - lo)),
        delivery=ss.delivery.isel(sel).assign_coords(scenario=np.arange(hi - lo)),
        shift=ss.shift.isel(sel).assign_coords(scenario=np.arange(hi - lo)),
        seed=ss.seed,
        method=ss.method,
        draw_index=ss.origin_of(np.arange(lo, hi))[0],
        draw_count=ss.origin_of(np.arange(lo, hi))[1],
    )


def evaluate_out_of_sample(
    plan: Plan,
    catalog: Catalog,
    *,
    count: int = 1000,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
) -> tuple[PlanMetrics, Plan]:
    """Metrics of ``plan`` on ``count`` fresh scenarios (seed defaults to the scenario seed + 1).

    Without budgets (which bound each scenario's rentals) every scenario's recourse is the
    decomposition's subproblem at the plan's capacity, run on the decomposition's executors
    (a local process pool by default, or Ray); with budgets, chunks of the extensive form.
    """
    from computebroker.planner.solve import solve_plan

    p = plan.problem
    fresh = sample_scenarios(p.spec, count, (p.spec.sampling.seed + 1) if seed is None else seed)
    pol = p.spec.policy
    if pol.budget_per_period is None and pol.budget_total is None and p.commit:
        from computebroker.planner.parallel import make_executor

        fixed = fixed_problem(plan, fresh, catalog)
        ex = make_executor(fixed, executor, workers, ray_address)
        try:
            _, _, y, a, u = ex.evaluate(plan.k)
        finally:
            ex.close()
        if progress is not None:
            progress(fresh.count, fresh.count)
        whole = plan_from_arrays(fixed, x=plan.x, y=y, a=a, u=u)
        return metrics(whole), whole
    n = fresh.count
    parts: list[Plan] = []
    problems: list[PlanProblem] = []
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        sub = fixed_problem(plan, _subset(fresh, lo, hi), catalog)
        res = solve_plan(sub, PlanOptions(risk_weight=0.0))
        if res.plan is None:
            raise SolverError(
                f"out-of-sample recourse failed on scenarios {lo}-{hi}: {res.termination}"
            )
        parts.append(res.plan)
        problems.append(sub)
        if progress is not None:
            progress(hi, n)
    weights = np.concatenate([pr.prob * (len(pr.prob) / n) for pr in problems])
    merged = replace(
        problems[0],
        prob=weights / weights.sum(),
        D=np.concatenate([pr.D for pr in problems], axis=2),
        d=np.concatenate([pr.d for pr in problems], axis=2),
        shift=np.concatenate([pr.shift for pr in problems], axis=1),
        rent_price=np.concatenate([pr.rent_price for pr in problems], axis=2),
        rent_cap=np.concatenate([pr.rent_cap for pr in problems], axis=2),
        T_mult=None
        if problems[0].T_mult is None
        else np.concatenate([pr.T_mult for pr in problems if pr.T_mult is not None], axis=2),
    )
    whole = plan_from_arrays(
        merged,
        x=parts[0].x,
        y=np.concatenate([pl.y for pl in parts], axis=2),
        a=np.concatenate([pl.a for pl in parts], axis=3),
        u=np.concatenate([pl.u for pl in parts], axis=2),
    )
    return metrics(whole), whole
