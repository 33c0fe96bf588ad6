"""Efficient frontier: re-solve over a range of risk weights or vendor caps; cost against risk.

Each point is a full re-plan; the points trace how much expected cost buys how much less tail
cost (CVaR), shortfall probability or vendor concentration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from computebroker.planner.build import PlanOptions
from computebroker.planner.problem import PlanProblem
from computebroker.planner.result import Plan, metrics

# a frontier point is a point on a curve: 0.1% suffices (the plan itself keeps its own gap)
FRONTIER_GAP = 1e-3

__all__ = ["DEFAULT_CAPS", "DEFAULT_RISK_WEIGHTS", "FrontierAxis", "FrontierPoint", "frontier"]

DEFAULT_RISK_WEIGHTS = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
DEFAULT_CAPS = (1.0, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35)


class FrontierAxis(StrEnum):
    """What the frontier sweeps."""

    RISK = "risk"  # the CVaR weight lambda
    CAP = "cap"  # the maximum vendor share


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontierPoint:
    """One re-plan on the frontier."""

    axis: FrontierAxis
    value: float
    status: str
    expected_cost_usd: float | None = None
    cvar_usd: float | None = None
    p_shortfall: float | None = None
    max_vendor_share: float | None = None
    hhi: float | None = None


def frontier(
    problem: PlanProblem,
    axis: FrontierAxis = FrontierAxis.RISK,
    values: Sequence[float] | None = None,
    base: PlanOptions | None = None,
    *,
    progress: Callable[[int, int, float], None] | None = None,
) -> list[FrontierPoint]:
    """Solve once per value along ``axis``; infeasible points are kept with their status."""
    from computebroker.planner.solve import solve_plan

    opts = base or PlanOptions()
    vals = (
        list(values)
        if values is not None
        else list(DEFAULT_RISK_WEIGHTS if axis is FrontierAxis.RISK else DEFAULT_CAPS)
    )
    from computebroker.planner.benders import BendersOptions, Decomposition
    from computebroker.planner.solve import PlanStatus, decomposes

    dcp = None
    if decomposes(problem, opts):
        # one master for every point: the cuts found for one policy bound the recourse of all
        dcp = Decomposition(
            problem,
            opts,
            BendersOptions(
                gap=max(opts.benders_gap, FRONTIER_GAP),
                time_limit_s=opts.time_limit_s,
                executor=opts.executor,
                workers=opts.workers,
                ray_address=opts.ray_address,
            ),
        )
    out = []
    try:
        for i, v in enumerate(vals):
            if progress is not None:
                progress(i, len(vals), v)
            o = replace(
                opts,
                risk_weight=v if axis is FrontierAxis.RISK else opts.risk_weight,
                max_vendor_share=v if axis is FrontierAxis.CAP else opts.max_vendor_share,
            )
            if dcp is not None:
                dcp.set_policy(
                    o.risk_weight if o.risk_weight is not None else problem.spec.policy.risk_weight,
                    o.max_vendor_share
                    if o.max_vendor_share is not None
                    else problem.spec.policy.max_vendor_share,
                )
                b = dcp.solve()
                plan: Plan | None
                plan, status = (
                    b.plan,
                    (PlanStatus.OPTIMAL if b.converged else PlanStatus.FEASIBLE).value,
                )
            else:
                res = solve_plan(problem, o)
                plan, status = res.plan, res.status.value
            if plan is None:
                out.append(FrontierPoint(axis=axis, value=v, status=status))
                continue
            mt = metrics(plan)
            out.append(
                FrontierPoint(
                    axis=axis,
                    value=v,
                    status=status,
                    expected_cost_usd=mt.expected_cost_usd,
                    cvar_usd=mt.cvar_usd,
                    p_shortfall=mt.p_shortfall,
                    max_vendor_share=max(mt.vendor_shares.values(), default=0.0),
                    hhi=mt.hhi,
                )
            )
    finally:
        if dcp is not None:
            dcp.close()
    if progress is not None:
        progress(len(vals), len(vals), vals[-1] if vals else 0.0)
    return out
