"""The whole broker, end to end: catalog -> estimate -> plan -> simulate, on one scenario.

``run_pipeline`` is what ``computebroker run SCENARIO.yaml`` and ``computebroker demo`` call:

1. **catalog** — the offers in play, normalised to USD per chip-hour and per peak PFLOP-hour
   (:mod:`~computebroker.workflow.pricing`);
2. **estimate** — the throughput matrix of the scenario's workload classes on every chip in play
   and, per class, the price of a million units of work on each chip (at its cheapest offer);
3. **plan** — the plan workflow every entry point shares (:func:`~computebroker.workflow.plan.plan_run`):
   the two-stage stochastic commitment plan, re-scored out of sample, with a frontier;
4. **simulate** — the planned fleet (built from the typed plan document, exactly what
   ``simulate --fleet plan.json`` reads) runs a job stream drawn from one fresh scenario of the
   same demand model (:mod:`~computebroker.workflow.jobs`). Deliveries follow the same
   scenario's draw of the offers' delivery risk. Then the stress cases
   (:mod:`~computebroker.workflow.stress`).

The realised cost of each case is put on the plan's terms (:mod:`~computebroker.workflow.realised`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import xarray as xr

from computebroker.catalog import Catalog
from computebroker.perf.matrix import matrix_records
from computebroker.planner import (
    FrontierAxis,
    FrontierPoint,
    Plan,
    PlanMetrics,
    PlanOptions,
    PlanProblem,
    sample_scenarios,
)
from computebroker.planner.document import PlanDocument
from computebroker.planner.spec import ScenarioSpec
from computebroker.planner.stress import StressResult, common_slip_chip
from computebroker.sim import (
    SimConfig,
    SimReport,
    SimState,
    Trace,
    report,
    simulate,
    table_from_rows,
)
from computebroker.sim.faults import FaultSpec
from computebroker.sim.fleet import Fleet, fleet_from_plan
from computebroker.units import SECONDS_PER_HOUR
from computebroker.workflow.jobs import JobStreamOptions, demand_trace
from computebroker.workflow.plan import DEFAULT_OUT_OF_SAMPLE, PlanRun, PlanRunOptions, plan_run
from computebroker.workflow.pricing import offers_in_play, price_performance
from computebroker.workflow.realised import Realised, realise
from computebroker.workflow.stress import stress_cases

__all__ = ["RunOptions", "RunResult", "SimCase", "run_pipeline"]

# the seed offset of the simulated future: one fresh scenario, not one the plan was fitted on
FRESH_SEED_OFFSET = 7919


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """Knobs of a run (defaults: the scenario file's)."""

    scenarios: int | None = None
    seed: int | None = None
    replications: int | None = 0  # 0: convergence not measured; None: the file's
    out_of_sample: int = DEFAULT_OUT_OF_SAMPLE
    frontier: bool = True  # over the risk weight, at the planner's default weights
    policy: str = "min-cost"
    stress: bool = True
    jobs: JobStreamOptions = field(default_factory=JobStreamOptions)
    milp: bool = False

    def plan_options(self) -> PlanRunOptions:
        """The plan workflow's options of this run."""
        return PlanRunOptions(
            scenarios=self.scenarios,
            seed=self.seed,
            replications=self.replications,
            solve=PlanOptions(milp=self.milp),
            out_of_sample=self.out_of_sample,
            frontier=FrontierAxis.RISK if self.frontier else None,
            stress=self.stress,
        )


@dataclass(slots=True)
class SimCase:
    """One simulated case: the fleet it ran, what happened, and how it compares."""

    name: str
    description: str
    fleet: Fleet
    faults: list[FaultSpec]
    state: SimState
    report: SimReport
    realised: Realised


@dataclass(slots=True)
class RunResult:
    """Everything a run produced, stage by stage."""

    spec: ScenarioSpec
    offers: list[dict[str, Any]]
    ranking: list[dict[str, Any]]
    planned: PlanRun
    plan: Plan
    metrics: PlanMetrics
    trace: Trace
    delivered: dict[str, list[float]] = field(
        default_factory=dict
    )  # the drawn delivery share per offer and period
    cases: list[SimCase] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def problem(self) -> PlanProblem:
        """The planning problem."""
        return self.planned.problem

    @property
    def matrix(self) -> xr.Dataset:
        """The throughput matrix of the scenario's classes on the chips in play."""
        return self.planned.problem.matrix

    @property
    def out_of_sample(self) -> PlanMetrics | None:
        """The plan re-scored on fresh scenarios."""
        return self.planned.out_of_sample

    @property
    def frontier(self) -> list[FrontierPoint] | None:
        """The efficient frontier."""
        return self.planned.frontier

    @property
    def stress(self) -> StressResult | None:
        """The chip-wide common slip in expectation over the plan's scenarios."""
        return self.planned.stress

    @property
    def document(self) -> PlanDocument:
        """The plan document (``plan.json``)."""
        return self.planned.document


def _simulate_cases(
    spec: ScenarioSpec, opt: RunOptions, planned: PlanRun, say: Callable[[str], None]
) -> tuple[Trace, dict[str, list[float]], list[SimCase]]:
    plan, m = planned.require()
    seed = spec.sampling.seed if opt.seed is None else opt.seed
    drawn = sample_scenarios(spec, 1, seed + FRESH_SEED_OFFSET)
    demand = drawn.demand.sel(workload=[w.name for w in spec.workloads]).values[:, :, 0]
    delivered = {
        str(o): drawn.delivery.sel(offer=o).values[:, 0].tolist()
        for o in drawn.delivery.offer.values
    }
    matrix = planned.problem.matrix
    trace = demand_trace(spec, matrix, demand, opt.jobs)
    table = table_from_rows(matrix_records(matrix), f"{spec.name} (performance model)")
    until = spec.horizon.count * spec.horizon.hours_per_period * SECONDS_PER_HOUR
    base_fleet = fleet_from_plan(planned.document, "plan", delivered=delivered)
    cases: list[tuple[str, str, list[FaultSpec]]] = [
        (
            "plan as drawn",
            "one fresh demand and delivery scenario of the scenario's own model; spot capacity preempted",
            [],
        )
    ]
    if opt.stress:
        chip = common_slip_chip(m, spec)
        cases += stress_cases(
            base_fleet,
            m.vendor_shares,
            spec.horizon.hours_per_period,
            spec.horizon.labels,
            chip,
            chip_has_existing=chip is not None
            and any(spec.offer(e.offer).accelerator == chip[0] for e in spec.policy.existing),
        )
    out: list[SimCase] = []
    for name, text, faults in cases:
        say(f"simulate: {name} ({len(trace.jobs):,} jobs and services)")
        fleet = fleet_from_plan(planned.document, "plan", delivered=delivered)
        st = simulate(
            fleet,
            trace,  # the simulator never changes its inputs
            table,
            faults=faults,
            config=SimConfig(policy=opt.policy, seed=seed, until_s=until),
        )
        rep = report(st)
        out.append(
            SimCase(
                name=name,
                description=text,
                fleet=fleet,
                faults=faults,
                state=st,
                report=rep,
                realised=realise(rep, planned.problem, plan, m, demand),
            )
        )
    return trace, delivered, out


def run_pipeline(
    spec: ScenarioSpec,
    catalog: Catalog,
    opt: RunOptions | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Catalog -> estimate -> plan -> simulate on ``spec`` (see the module docstring)."""
    opt = opt or RunOptions()
    say = progress or (lambda _m: None)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()

    say("catalog: normalising the offers in play")
    offers = offers_in_play(spec, catalog)
    seconds["catalog"] = time.perf_counter() - t0

    t = time.perf_counter()
    planned = plan_run(spec, catalog, opt.plan_options(), progress=lambda m_: say(f"plan: {m_}"))
    plan, m = planned.require()
    ranking = price_performance(spec, planned.problem.matrix, offers)
    seconds["estimate"] = planned.seconds["estimate"]  # pricing and sampling
    seconds["plan"] = time.perf_counter() - t - seconds["estimate"]

    t = time.perf_counter()
    trace, delivered, cases = _simulate_cases(spec, opt, planned, say)
    seconds["simulate"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    return RunResult(
        spec=spec,
        offers=offers,
        ranking=ranking,
        planned=planned,
        plan=plan,
        metrics=m,
        trace=trace,
        delivered=delivered,
        cases=cases,
        seconds=seconds,
    )
