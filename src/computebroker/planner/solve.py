"""Solve the extensive form with HiGHS (through linopy, in memory) and return a ``PlanResult``.

Infeasible and unbounded are statuses, not exceptions: the result then carries a diagnosis in
the user's terms (``diagnose.py``) and no plan. A solve that stops at a limit before it has a
plan raises ``SolveStoppedError`` (no plan is ever made of missing values); one that stops with
a feasible plan returns it as ``feasible``, with the limit and the proven gap. How each solver
outcome maps to a status is ``outcome.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from computebroker.errors import InputError, SolverError, SolveStoppedError
from computebroker.planner.build import ModelVars, PlanOptions, build_model
from computebroker.planner.outcome import (
    TERMINATION,
    PlanStatus,
    SolveFacts,
    finite_values,
    plan_status,
    solve_linopy,
    stopped_error,
)
from computebroker.planner.problem import KCHIPS, PlanProblem
from computebroker.planner.result import Plan, plan_from_arrays

__all__ = ["PlanResult", "PlanStatus", "SolveStoppedError", "solve_plan"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanResult:
    """What a solve returns: status, the plan when there is one, duals, and an explanation.

    ``gap`` is the proven relative optimality gap of the plan (0 for an optimal LP, the MILP's
    or the decomposition's gap between its bounds, ``None`` where nothing is proven);
    ``stopped_by`` the limit that ended a ``feasible`` solve; ``relaxed`` the scenario's rules
    the solve did not enforce (whole blocks, minimum quantities and the vendor minimum without
    ``--milp``), each saying whether the plan happens to break it."""

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
    gap: float | None = None
    stopped_by: PlanStatus | None = None
    relaxed: tuple[str, ...] = ()  # rules of the scenario this solve did not enforce, and why
    method: str = "extensive"  # how it was solved: extensive (one model) or decomposition

    @property
    def proven_optimal(self) -> bool:
        """The plan is optimal (within the requested gap)."""
        return self.status is PlanStatus.OPTIMAL


def _highs_options(opt: PlanOptions) -> dict[str, Any]:
    o: dict[str, Any] = {"presolve": "on"}
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
    ``bounds(iteration, lower, upper)`` ($M) then reports its convergence instead of text.

    Raises ``SolveStoppedError`` when a limit stops the solve before it has a plan, and
    ``SolverError`` when the solver fails."""
    opt = options or PlanOptions()
    say = progress or (lambda _msg: None)
    from computebroker.planner.benders import benders_supported

    why = benders_supported(problem, opt)
    if opt.method == "benders" and why:
        raise InputError.single(
            "plan options", f"'benders' does not apply here: {why}", field="method"
        )
    res = None
    chosen = method_choice(problem, opt)
    if decomposes(problem, opt):
        from computebroker.planner.benders import MasterInfeasibleError

        try:
            res = replace(_solve_benders(problem, opt, say, bounds), method="decomposition")
        except MasterInfeasibleError as e:  # no plan: say why, in the input's terms
            if e.explanation and problem.n_scenarios >= AUTO_BENDERS_SCENARIOS:
                # the extensive form's diagnosis takes hours at this size: the master's own
                res = PlanResult(
                    status=PlanStatus.INFEASIBLE,
                    termination=PlanStatus.INFEASIBLE.value,
                    plan=None,
                    explanation=e.explanation,
                    method="decomposition",
                )
                chosen += "; it found no plan and says why"
            else:
                say(f"{e}; the extensive form explains why")
                chosen += "; it found no plan, and the extensive form explains why"
    if res is None:
        res = _solve_extensive(problem, opt, say, why)
    res = replace(res, termination=f"{res.termination}; {chosen}")
    return _with_relaxations(problem, opt, res)


def method_choice(problem: PlanProblem, opt: PlanOptions) -> str:
    """How ``opt.method`` solves ``problem``, and why, in words (the solve's termination text
    ends with it, so the CLI, ``plan.json``, the report and the API all say it)."""
    from computebroker.planner.benders import benders_supported

    n = problem.n_scenarios
    if not decomposes(problem, opt):
        why = benders_supported(problem, opt)
        if opt.method == "extensive":
            return "solved by the extensive form (--method extensive)"
        if why:
            return f"solved by the extensive form (--method auto: {why})"
        return (
            f"solved by the extensive form (--method auto: {n:,} scenarios; below "
            f"{AUTO_BENDERS_SCENARIOS:,} it is as fast as the decomposition)"
        )
    if opt.method == "benders":
        return "solved by the decomposition (--method benders)"
    return (
        f"solved by the decomposition (--method auto: {n:,} scenarios; from "
        f"{AUTO_BENDERS_SCENARIOS:,} on it is faster than the extensive form)"
    )


def decomposes(problem: PlanProblem, opt: PlanOptions) -> bool:
    """Whether ``opt.method`` solves ``problem`` by the decomposition: ``benders`` always (when
    it applies), ``auto`` from ``AUTO_BENDERS_SCENARIOS`` scenarios, the LP and the MILP alike
    (with its LP phase and warm starts the MILP master is faster than the extensive-form MILP
    already at 200 scenarios: bench/RESULTS.md, "plan decomposition")."""
    from computebroker.planner.benders import benders_supported

    if benders_supported(problem, opt):
        return False
    if opt.method == "benders":
        return True
    return opt.method == "auto" and problem.n_scenarios >= AUTO_BENDERS_SCENARIOS


def _with_relaxations(p: PlanProblem, opt: PlanOptions, res: PlanResult) -> PlanResult:
    """Say which rules the solve relaxed (never silently), on the result and its plan."""
    if opt.milp or res.plan is None or not p.commit:
        return res
    notes = relaxations(p, res.plan.x)
    if not notes:
        return res
    return replace(res, relaxed=notes, plan=replace(res.plan, relaxed=notes))


def relaxations(p: PlanProblem, x: np.ndarray) -> tuple[str, ...]:
    """The integer rules an LP plan ``x`` (C, P kchips) does not enforce, and whether it breaks
    them: whole blocks, minimum quantities per signed start, the vendor minimum."""
    free = ~p.x_fixed & (p.x_ub > 0)
    new = np.where(free, x - p.x_lb, 0.0) * KCHIPS  # chips signed by this plan
    out = []
    blocky = [i for i in range(len(p.commit)) if p.block[i] * KCHIPS > 1 and free[i].any()]
    if blocky:
        per = new[blocky] / (p.block[blocky, None] * KCHIPS)
        broken = sorted(
            {
                p.commit[blocky[r]]
                for r, _t in zip(*np.nonzero(np.abs(per - np.round(per)) > 1e-6), strict=True)
            }
        )
        out.append(
            f"whole blocks: {len(blocky)} offers sell in blocks (the LP plans fractions of a "
            f"block; use --milp); "
            + (
                f"this plan breaks them for {', '.join(broken)}"
                if broken
                else "this plan happens to meet them"
            )
        )
    mins = [i for i in range(len(p.commit)) if p.min_start[i] > 0 and free[i].any()]
    if mins:
        low = (new[mins] > 0.5) & (new[mins] < p.min_start[mins, None] * KCHIPS - 0.5)
        broken = sorted({p.commit[mins[r]] for r in np.nonzero(low.any(axis=1))[0]})
        out.append(
            f"minimum quantities: {len(mins)} offers have a minimum per signed start (use "
            f"--milp); "
            + (
                f"this plan signs less for {', '.join(broken)}"
                if broken
                else "this plan happens to meet them"
            )
        )
    n = p.spec.policy.min_vendors
    if n is not None and n > 1:
        spend = np.array(
            [
                sum(
                    p.c_commit[o] * x[o].sum()
                    for o, prov in enumerate(p.commit_provider)
                    if prov == v
                )
                for v in p.providers
            ]
        )
        total = float(spend.sum())
        held = int((spend >= total / (2 * n) - 1e-9).sum()) if total > 0 else 0
        out.append(
            f"vendor minimum: policy.min_vendors {n} needs --milp; "
            + (
                f"this plan uses {held} vendors with at least 1/{2 * n} of committed spend"
                if held < n
                else "this plan happens to meet it"
            )
        )
    return tuple(out)


def _hints(opt: PlanOptions, why_not_benders: str) -> tuple[str, ...]:
    """What to try after a solve stopped without a plan."""
    hints = ["a longer --time-limit" if opt.time_limit_s is not None else "a time limit"]
    if opt.milp:
        hints.append(f"a looser --gap (now {opt.mip_gap:g})")
        hints.append("the LP relaxation (without --milp)")
    hints.append("fewer --scenarios")
    if why_not_benders:
        hints.append(f"the decomposition once it applies (here {why_not_benders})")
    else:
        hints.append("the decomposition (--method benders)")
    return tuple(hints)


def _solve_extensive(
    problem: PlanProblem, opt: PlanOptions, say: Callable[[str], None], why_not_benders: str
) -> PlanResult:
    say("building model")
    t0 = time.perf_counter()
    m, v = build_model(problem, opt)
    t1 = time.perf_counter()
    say(f"solving ({m.nvars:,} variables, {m.ncons:,} constraints)")
    facts = solve_linopy(m, _highs_options(opt))
    status = plan_status(facts)
    if status.is_limit:  # stopped with no solution: never a plan
        raise stopped_error(status, facts.seconds, opt.time_limit_s, _hints(opt, why_not_benders))
    stopped_by = _limit_of(facts)
    gap = _proven_gap(opt, facts, status)

    text = describe(status, stopped_by, gap, facts, opt.time_limit_s)

    def result(plan: Plan | None, **kw: Any) -> PlanResult:
        if plan is not None and status is PlanStatus.FEASIBLE:
            plan = replace(plan, unproven=text.removeprefix(_UNPROVEN))
        return PlanResult(
            status=status,
            termination=text,
            plan=plan,
            build_seconds=t1 - t0,
            solve_seconds=facts.seconds,
            variables=int(m.nvars),
            constraints=int(m.ncons),
            gap=gap,
            stopped_by=stopped_by,
            **kw,
        )

    if status.explained:
        from computebroker.planner.diagnose import explain

        say("explaining why no plan exists")
        return result(None, explanation=explain(problem, opt, status.value))
    duals = {}
    if not opt.milp:
        dem = v.cons["demand"].dual
        if dem is not None:
            values = np.asarray(dem.values, dtype=float)
            if not np.isfinite(values).all():
                raise SolverError("the solver returned no duals for the demand rows")
            duals["demand"] = values
    objective = m.objective.value
    if objective is None or not np.isfinite(objective):
        raise SolverError("the solver holds a plan but returned no objective value")
    return result(_extract(problem, opt, v), duals=duals, objective=float(objective))


def _limit_of(facts: SolveFacts) -> PlanStatus | None:
    """The limit that ended a solve that has a plan, if a limit did."""
    status = TERMINATION[facts.termination]
    return status if status.is_limit else None


def _proven_gap(opt: PlanOptions, facts: SolveFacts, status: PlanStatus) -> float | None:
    if opt.milp:
        return facts.mip_gap if np.isfinite(facts.mip_gap) else None
    return 0.0 if status is PlanStatus.OPTIMAL else None


_UNPROVEN = "feasible, not proven optimal: "


def describe(
    status: PlanStatus,
    stopped_by: PlanStatus | None,
    gap: float | None,
    facts: SolveFacts,
    limit_s: float | None,
) -> str:
    """The solve's end in words, for the CLI, ``plan.json``, the report and the API."""
    proven = "gap not proven" if gap is None else f"proven gap {gap:.2%}"
    if status is PlanStatus.OPTIMAL:
        return "optimal" if not gap else f"optimal within the MIP gap ({proven})"
    if status is PlanStatus.FEASIBLE:
        if stopped_by is None:
            why = f"the solver ended {facts.termination.value!r}"
        else:
            what = stopped_by.what
            if stopped_by is PlanStatus.TIME_LIMIT and limit_s is not None:
                what += f" ({limit_s:g} s)"
            why = f"stopped at {what} after {facts.seconds:,.1f} s"
        return f"{_UNPROVEN}{why}; {proven}"
    return status.value


def _solve_benders(
    problem: PlanProblem,
    opt: PlanOptions,
    say: Callable[[str], None],
    bounds: Callable[[int, float, float], None] | None = None,
) -> PlanResult:
    from computebroker.planner.benders import BendersOptions, solve_benders

    groups = BendersOptions().max_groups
    per = (
        "one cut per scenario"
        if problem.n_scenarios <= groups
        else f"cuts aggregated over {groups:,} groups of similar scenarios"
    )
    say(f"decomposing over {problem.n_scenarios:,} scenarios (L-shaped, {per})")

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
    gap = max(b.gap, 0.0)
    if b.converged:
        text = (
            f"optimal: decomposition converged in {b.iterations} iterations, proven gap {gap:.2e}"
        )
        status, stopped_by = PlanStatus.OPTIMAL, None
    else:
        stopped_by = b.stopped_by or PlanStatus.ITERATION_LIMIT
        what = stopped_by.what
        if stopped_by is PlanStatus.TIME_LIMIT and opt.time_limit_s is not None:
            what += f" ({opt.time_limit_s:g} s)"
        text = (
            f"{_UNPROVEN}the decomposition stopped at {what} after "
            f"{b.seconds:,.1f} s ({b.iterations} iterations); proven gap {gap:.2%}"
        )
        status = PlanStatus.FEASIBLE
    plan = b.plan if b.converged else replace(b.plan, unproven=text.removeprefix(_UNPROVEN))
    return PlanResult(
        status=status,
        termination=text,
        plan=plan,
        objective=b.upper,
        build_seconds=0.0,
        solve_seconds=b.seconds,
        variables=0,
        constraints=0,
        gap=gap,
        stopped_by=stopped_by,
    )


def _values(var: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A variable's values; a variable the model does not have is structurally empty (zero
    size), and a variable it has must have every value (``finite_values``)."""
    if var is None:
        return np.zeros(shape)
    return finite_values(var, name).reshape(shape)


def _extract(p: PlanProblem, opt: PlanOptions, v: ModelVars) -> Plan:
    P, S = p.n_periods, p.n_scenarios
    x = _values(v.x, "commitments", (len(p.commit), P)) if v.x is not None else np.zeros((0, P))
    y = _values(v.y, "rentals", (len(p.recourse), P, S)) if v.y is not None else np.zeros((0, P, S))
    a = _values(v.a, "allocations", (len(p.pools), len(p.workloads), P, S))
    u = _values(v.u, "unmet work", (len(p.workloads), P, S))
    if len(p.commit) and (x < p.x_lb - 1e-6 * np.maximum(1.0, p.x_lb)).any():
        raise SolverError("the solver's plan drops commitments already signed (policy.existing)")
    x = np.maximum(x, p.x_lb if len(p.commit) else 0.0)
    return plan_from_arrays(
        p,
        x=x,
        y=y,
        a=a,
        u=u,
        risk_weight=opt.risk_weight if opt.risk_weight is not None else p.spec.policy.risk_weight,
    )
