"""Solve the extensive form with HiGHS (through linopy, in memory) and return a ``PlanResult``.

Infeasible and unbounded are statuses, not exceptions: the result then carries a diagnosis in
the user's terms (``diagnose.py``) and no plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from computebroker.errors import SolverError
from computebroker.planner.build import ModelVars, PlanOptions, build_model
from computebroker.planner.problem import PlanProblem
from computebroker.planner.result import Plan, plan_from_arrays
from computebroker.solvers import quiet_solver

__all__ = ["PlanResult", "PlanStatus", "quiet_solver", "solve_plan"]


class PlanStatus(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # stopped early (time limit, gap) with a solution
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"

    @property
    def is_ok(self) -> bool:
        """A plan is available."""
        return self in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE)


# linopy termination conditions -> our status
_STATUS = {
    "optimal": PlanStatus.OPTIMAL,
    "time_limit": PlanStatus.FEASIBLE,
    "suboptimal": PlanStatus.FEASIBLE,
    "iteration_limit": PlanStatus.FEASIBLE,
    "infeasible": PlanStatus.INFEASIBLE,
    "infeasible_or_unbounded": PlanStatus.INFEASIBLE,
    "unbounded": PlanStatus.UNBOUNDED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanResult:
    """What a solve returns: status, the plan when there is one, duals, and an explanation."""

    status: PlanStatus
    termination: str
    plan: Plan | None
    duals: dict[str, np.ndarray] = field(default_factory=dict)
    explanation: tuple[str, ...] = ()
    objective: float | None = None
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    variables: int = 0
    constraints: int = 0


def _highs_options(opt: PlanOptions) -> dict[str, Any]:
    o: dict[str, Any] = {"output_flag": False, "presolve": "on"}
    if opt.time_limit_s is not None:
        o["time_limit"] = float(opt.time_limit_s)
    if opt.milp:
        o["mip_rel_gap"] = float(opt.mip_gap)
    if opt.threads is not None:
        o["threads"] = int(opt.threads)
    return o


AUTO_BENDERS_SCENARIOS = 300  # from here on the decomposition is faster (bench/RESULTS.md)


def solve_plan(
    problem: PlanProblem,
    options: PlanOptions | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    bounds: Callable[[int, float, float], None] | None = None,
) -> PlanResult:
    """Solve by the extensive form or the decomposition (``options.method``); diagnose when
    infeasible. ``auto`` decomposes from ``AUTO_BENDERS_SCENARIOS`` scenarios when it applies;
    ``bounds(iteration, lower, upper)`` ($M) then reports its convergence instead of text."""
    opt = options or PlanOptions()
    say = progress or (lambda _msg: None)
    from computebroker.planner.benders import benders_supported

    why = benders_supported(problem, opt)
    if opt.method == "benders" and why:
        from computebroker.errors import InputError

        raise InputError.single("--method", f"benders does not apply here: {why}", field="--method")
    if opt.method == "benders" or (
        opt.method == "auto" and not why and problem.n_scenarios >= AUTO_BENDERS_SCENARIOS
    ):
        return _solve_benders(problem, opt, say, bounds)
    say("building model")
    t0 = time.perf_counter()
    m, v = build_model(problem, opt)
    t1 = time.perf_counter()
    say(f"solving ({m.nvars:,} variables, {m.ncons:,} constraints)")
    with quiet_solver():
        try:
            _, termination = m.solve(solver_name="highs", io_api="direct", **_highs_options(opt))
        except Exception as exc:  # a solver crash is an error, not a status
            raise SolverError(f"HiGHS failed: {exc}") from exc
    t2 = time.perf_counter()
    status = _STATUS.get(str(termination), PlanStatus.ERROR)

    def result(plan: Plan | None, **kw: Any) -> PlanResult:
        return PlanResult(
            status=status,
            termination=str(termination),
            plan=plan,
            build_seconds=t1 - t0,
            solve_seconds=t2 - t1,
            variables=int(m.nvars),
            constraints=int(m.ncons),
            **kw,
        )

    if not status.is_ok:
        from computebroker.planner.diagnose import explain

        say("explaining why no plan exists")
        return result(None, explanation=explain(problem, opt, status.value))
    duals = {}
    if not opt.milp:
        dem = v.cons["demand"].dual
        if dem is not None:
            duals["demand"] = np.asarray(dem.values)
    return result(_extract(problem, opt, v), duals=duals, objective=m.objective.value)


def _solve_benders(
    problem: PlanProblem,
    opt: PlanOptions,
    say: Callable[[str], None],
    bounds: Callable[[int, float, float], None] | None = None,
) -> PlanResult:
    from computebroker.planner.benders import BendersOptions, solve_benders

    say(f"decomposing over {problem.n_scenarios:,} scenarios (L-shaped, one cut per scenario)")

    def step(it: int, lo: float, hi: float) -> None:
        say(
            f"iteration {it}: bounds {lo:,.1f} .. {hi:,.1f} $M, gap {(hi - lo) / max(abs(hi), 1e-12):.2e}"
        )

    b = solve_benders(
        problem,
        opt,
        BendersOptions(
            gap=opt.benders_gap,
            time_limit_s=opt.time_limit_s,
            executor=opt.executor,
            workers=opt.workers,
            ray_address=opt.ray_address,
        ),
        progress=bounds or step,
    )
    return PlanResult(
        status=PlanStatus.OPTIMAL if b.converged else PlanStatus.FEASIBLE,
        termination=f"benders: {b.iterations} iterations, gap {b.gap:.2e}",
        plan=b.plan,
        objective=b.upper,
        build_seconds=0.0,
        solve_seconds=b.seconds,
        variables=0,
        constraints=0,
    )


def _values(var: Any, shape: tuple[int, ...]) -> np.ndarray:
    if var is None:
        return np.zeros(shape)
    values: np.ndarray = np.nan_to_num(np.asarray(var.solution.values, dtype=float))
    return values


def _extract(p: PlanProblem, opt: PlanOptions, v: ModelVars) -> Plan:
    P, S = p.n_periods, p.n_scenarios
    x = _values(v.x, (len(p.commit), P))
    x = np.maximum(x, 0.0)
    y = _values(v.y, (len(p.recourse), P, S))
    a = _values(v.a, (len(p.pools), len(p.workloads), P, S))
    u = _values(v.u, (len(p.workloads), P, S))
    if v.x is None:
        x = np.zeros((0, P))
    if v.y is None:
        y = np.zeros((0, P, S))
    return plan_from_arrays(
        p,
        x=x,
        y=y,
        a=a,
        u=u,
        risk_weight=opt.risk_weight if opt.risk_weight is not None else p.spec.policy.risk_weight,
    )
