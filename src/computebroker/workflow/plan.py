"""The plan workflow — solve, re-score out of sample, sweep the frontier, re-plan a what-if,
write the document — once, for ``computebroker plan``, the service's plan jobs and ``run``.

Every entry point builds a :class:`PlanRunOptions` and calls :func:`plan_run`; the same scenario,
seed and options give the same :class:`~computebroker.planner.document.PlanDocument` whichever
of them made it (timings aside).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from computebroker.catalog import Catalog
from computebroker.errors import InfeasibleRequestError
from computebroker.planner import (
    FrontierAxis,
    FrontierPoint,
    Plan,
    PlanMetrics,
    PlanOptions,
    PlanProblem,
    PlanResult,
    evaluate_out_of_sample,
    frontier,
    metrics,
    prepare_problem,
    solve_plan,
)
from computebroker.planner.document import (
    PlanDocument,
    WhatIfRecord,
    WhatIfRow,
    plan_document,
    whatif_rows,
)
from computebroker.planner.replicate import (
    DEFAULT_REPLICATIONS,
    DEFAULT_TARGET,
    plan_until_converged,
    replicate,
)
from computebroker.planner.spec import ScenarioSpec
from computebroker.planner.stress import StressResult, chip_stress

__all__ = [
    "DEFAULT_OUT_OF_SAMPLE",
    "PlanRun",
    "PlanRunOptions",
    "WhatIf",
    "WhatIfRun",
    "no_plan_error",
    "plan_run",
]

# fresh scenarios a plan is re-scored on unless told otherwise (CLI, API and run alike)
DEFAULT_OUT_OF_SAMPLE = 300

Progress = Callable[[str], None]
Bounds = Callable[[int, float, float], None]
FrontierProgress = Callable[[int, int, float], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRunOptions:
    """What to plan and what to compute around the plan (defaults: the scenario file's)."""

    scenarios: int | None = None  # planning scenarios (None: the file's count)
    seed: int | None = None  # sampling seed (None: the file's)
    solve: PlanOptions = field(default_factory=PlanOptions)
    out_of_sample: int = DEFAULT_OUT_OF_SAMPLE  # 0: skip
    frontier: FrontierAxis | None = None  # None: no frontier
    frontier_values: tuple[float, ...] | None = None  # None: the planner's default for the axis
    as_of: int | None = None  # re-plan from this period index; earlier starts stay as signed
    signed: Mapping[tuple[str, int], float] = field(default_factory=dict)
    # `--scenarios auto`: grow the sample (doubling from converge_from) until the MMW gap bound
    # and the expected cost's interval are within `target` (planner.replicate); `scenarios` unused
    converge: bool = False
    # independent replications behind the convergence record: with `converge`, per sample size
    # (0: DEFAULT_REPLICATIONS); without it, of the plan of fixed size (0: not measured);
    # None: the scenario file's `scenarios.replications`
    replications: int | None = None
    converge_from: int = 100
    converge_max: int = 3200
    target: float = DEFAULT_TARGET
    # score the plan on the chip-wide common slip (planner.stress.chip_stress): every seller of
    # the chip it leans on delivers two periods late together
    stress: bool = False


@dataclass(frozen=True, slots=True)
class WhatIf:
    """A what-if: the edited scenario and the edits that made it (``KEY=VALUE`` labels)."""

    spec: ScenarioSpec
    edits: tuple[tuple[str, Any], ...]

    @property
    def labels(self) -> list[str]:
        """The edits as ``KEY=VALUE``."""
        return [f"{k}={v}" for k, v in self.edits]


@dataclass(frozen=True, slots=True)
class WhatIfRun:
    """The what-if re-plan and its deltas against the base (None without a plan)."""

    whatif: WhatIf
    result: PlanResult
    metrics: PlanMetrics | None
    rows: list[dict[str, Any]] | None


@dataclass(frozen=True, slots=True)
class PlanRun:
    """Everything the plan workflow produced."""

    spec: ScenarioSpec
    problem: PlanProblem
    result: PlanResult
    metrics: PlanMetrics | None
    out_of_sample: PlanMetrics | None
    frontier: list[FrontierPoint] | None
    whatif: WhatIfRun | None
    document: PlanDocument
    # wall seconds per stage: estimate (pricing and sampling), solve, out_of_sample, frontier,
    # whatif (timings, kept out of the document)
    seconds: dict[str, float] = field(default_factory=dict)
    # the chip-wide common slip, in expectation over the plan's scenarios (None: not asked, or
    # no chip of the plan has two sellers)
    stress: StressResult | None = None

    @property
    def plan(self) -> Plan | None:
        """The plan (None when the scenario has none)."""
        return self.result.plan

    def require(self) -> tuple[Plan, PlanMetrics]:
        """The plan and its metrics, or :func:`no_plan_error`."""
        if self.result.plan is None or self.metrics is None:
            raise no_plan_error(self.result)
        return self.result.plan, self.metrics


def no_plan_error(result: PlanResult) -> InfeasibleRequestError:
    """The error of a solve without a plan, in the terms of the input."""
    return InfeasibleRequestError(
        f"no plan: the scenario is {result.status.value}.\n  " + "\n  ".join(result.explanation)
    )


def _prepare(
    spec: ScenarioSpec, catalog: Catalog, opt: PlanRunOptions, count: int | None, say: Progress
) -> PlanProblem:
    return prepare_problem(
        spec,
        catalog,
        count=count,
        seed=opt.seed,
        as_of=opt.as_of,
        signed=dict(opt.signed),
        progress=say,
    )


def _solve(
    spec: ScenarioSpec,
    catalog: Catalog,
    opt: PlanRunOptions,
    say: Progress,
    bounds: Bounds | None,
    seconds: dict[str, float] | None = None,
) -> tuple[PlanProblem, PlanResult]:
    t = time.perf_counter()
    problem = _prepare(spec, catalog, opt, opt.scenarios, say)
    if seconds is not None:
        seconds["estimate"] = time.perf_counter() - t
    say("solving")
    t = time.perf_counter()
    result = solve_plan(problem, opt.solve, progress=say, bounds=bounds)
    if seconds is not None:
        seconds["solve"] = time.perf_counter() - t
    return problem, result


def _replications(spec: ScenarioSpec, opt: PlanRunOptions) -> int:
    """The replications asked for: the options', else the scenario file's."""
    return spec.sampling.replications if opt.replications is None else opt.replications


class _NoPlanError(Exception):
    """A solve of `--scenarios auto` found no plan (the run reports it, it is no error)."""


def _converge(
    spec: ScenarioSpec,
    catalog: Catalog,
    opt: PlanRunOptions,
    say: Progress,
    bounds: Bounds | None,
) -> tuple[PlanProblem, PlanResult, PlanMetrics | None]:
    """`--scenarios auto`: :func:`plan_until_converged` with this workflow's solve (its
    progress, bounds and result); the last solve's problem and result, and the metrics with
    their convergence record (None without a plan)."""
    solved: list[tuple[PlanProblem, PlanResult]] = []

    def solve(p: PlanProblem) -> Plan:
        say(f"solving on {p.n_scenarios:,} scenarios")
        res = solve_plan(p, opt.solve, progress=say, bounds=bounds)
        solved.append((p, res))
        if res.plan is None:
            raise _NoPlanError
        return res.plan

    try:
        _, m = plan_until_converged(
            lambda n: _prepare(spec, catalog, opt, n, say),
            catalog,
            start=opt.converge_from,
            max_scenarios=opt.converge_max,
            target=opt.target,
            replications=_replications(spec, opt) or DEFAULT_REPLICATIONS,
            options=opt.solve,
            progress=say,
            solve=solve,
        )
    except _NoPlanError:
        return *solved[-1], None
    return *solved[-1], m


def _plan(
    spec: ScenarioSpec,
    catalog: Catalog,
    opt: PlanRunOptions,
    say: Progress,
    bounds: Bounds | None,
    seconds: dict[str, float],
) -> tuple[PlanProblem, PlanResult, PlanMetrics | None]:
    """The plan and its metrics: of fixed size (with replications when asked) or grown until
    converged."""
    if opt.converge:
        t = time.perf_counter()
        out = _converge(spec, catalog, opt, say, bounds)
        seconds["converge"] = time.perf_counter() - t
        return out
    problem, result = _solve(spec, catalog, opt, say, bounds, seconds)
    if result.plan is None:
        return problem, result, None
    m = metrics(result.plan)
    reps = _replications(spec, opt)
    if reps > 0:
        say(f"replicating the plan on {reps} independent samples")
        t = time.perf_counter()
        conv = replicate(
            result.plan,
            catalog,
            replications=reps,
            options=opt.solve,
            target=opt.target,
        )
        seconds["replications"] = time.perf_counter() - t
        m = replace(m, convergence=conv)
    return problem, result, m


def _whatif(
    w: WhatIf,
    catalog: Catalog,
    opt: PlanRunOptions,
    base: PlanMetrics,
    say: Progress,
    bounds: Bounds | None,
) -> tuple[WhatIfRun, WhatIfRecord]:
    say("what-if: re-planning with " + ", ".join(w.labels))
    _, res = _solve(w.spec, catalog, opt, say, bounds)
    if res.plan is None:
        run = WhatIfRun(whatif=w, result=res, metrics=None, rows=None)
        record = WhatIfRecord(
            edits=w.labels,
            status=res.status.value,
            explanation=list(res.explanation),
            deltas=None,
            plan=None,
        )
        return run, record
    m = metrics(res.plan)
    rows = whatif_rows(base, m)
    record = WhatIfRecord(
        edits=w.labels,
        status=res.status.value,
        explanation=list(res.explanation),
        deltas=[WhatIfRow.model_validate(r) for r in rows],
        plan=plan_document(res, m, milp=opt.solve.milp),
    )
    return WhatIfRun(whatif=w, result=res, metrics=m, rows=rows), record


def plan_run(
    spec: ScenarioSpec,
    catalog: Catalog,
    options: PlanRunOptions | None = None,
    *,
    whatif: WhatIf | None = None,
    progress: Progress | None = None,
    bounds: Bounds | None = None,
    frontier_progress: FrontierProgress | None = None,
) -> PlanRun:
    """Plan ``spec``: solve; when it has a plan, re-score it out of sample, sweep the frontier
    and re-plan the what-if as ``options`` ask; and write the document.

    A scenario without a plan is not an error here: the run carries its status and explanation
    (and a document that says so); :meth:`PlanRun.require` raises. ``progress`` hears each
    stage (it may raise to stop the run between stages); ``bounds`` each decomposition bound.
    """
    opt = options or PlanRunOptions()
    say = progress or (lambda _m: None)
    seconds: dict[str, float] = {}
    problem, result, m = _plan(spec, catalog, opt, say, bounds, seconds)
    if result.plan is None or m is None:
        doc = plan_document(result, None, milp=opt.solve.milp)
        return PlanRun(spec, problem, result, None, None, None, None, doc, seconds)
    oos = None
    if opt.out_of_sample > 0:
        say(f"re-scoring the plan on {opt.out_of_sample:,} fresh scenarios")
        t = time.perf_counter()
        oos, _ = evaluate_out_of_sample(result.plan, catalog, count=opt.out_of_sample)
        seconds["out_of_sample"] = time.perf_counter() - t
    points = None
    if opt.frontier is not None:
        say(f"frontier over the {opt.frontier.value}")
        t = time.perf_counter()
        points = frontier(
            problem,
            opt.frontier,
            opt.frontier_values,
            base=opt.solve,
            progress=frontier_progress,
        )
        seconds["frontier"] = time.perf_counter() - t
    stressed = None
    if opt.stress:
        say("stress: every seller of the plan's main chip two periods late")
        t = time.perf_counter()
        stressed = chip_stress(result.plan, m, catalog)
        seconds["stress"] = time.perf_counter() - t
    wrun, wrecord = None, None
    if whatif is not None:
        t = time.perf_counter()
        # under `--scenarios auto` the what-if re-plans once, at the converged sample size
        wopt = replace(opt, scenarios=problem.n_scenarios) if opt.converge else opt
        wrun, wrecord = _whatif(whatif, catalog, wopt, m, say, bounds)
        seconds["whatif"] = time.perf_counter() - t
    doc = plan_document(
        result, m, out_of_sample=oos, frontier=points, whatif=wrecord, milp=opt.solve.milp
    )
    return PlanRun(spec, problem, result, m, oos, points, wrun, doc, seconds, stressed)
