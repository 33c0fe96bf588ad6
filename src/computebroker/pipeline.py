"""The whole broker, end to end: catalog -> estimate -> plan -> simulate, on one scenario.

``run_pipeline`` is what ``computebroker run SCENARIO.yaml`` and ``computebroker demo`` call:

1. **catalog** — the offers in play, normalised to USD per chip-hour and per peak PFLOP-hour;
2. **estimate** — the throughput matrix of the scenario's workload classes on every chip in play
   and, per class, the price of a million units of work on each chip (at its cheapest offer);
3. **plan** — the two-stage stochastic commitment plan, re-scored out of sample, with a frontier;
4. **simulate** — the planned fleet (built from the plan document, exactly what
   ``simulate --fleet plan.json`` reads) runs a job stream drawn from one fresh scenario of the
   same demand model: training campaigns split into runs that arrive at the start of each period
   and are due at its end, serving load as services whose demand follows the period's rate,
   sharded so a shard fits a pool. Deliveries follow the same scenario's draw of the offers'
   delivery risk. Then two stress cases: the largest vendor delivers two periods late, and the
   region holding the most committed chips goes down for a week mid-horizon.

The realised cost of each case is put on the plan's terms — spend in the horizon, plus the
plan's post-horizon obligations, plus the plan's shortfall penalty on work not done in its
period — and set against the distribution of scenario costs the plan promised.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from computebroker.catalog import Catalog
from computebroker.perf.matrix import Mode, matrix_records
from computebroker.planner import (
    FrontierAxis,
    FrontierPoint,
    Plan,
    PlanMetrics,
    PlanOptions,
    PlanResult,
    evaluate_out_of_sample,
    frontier,
    metrics,
    prepare_problem,
    sample_scenarios,
    solve_plan,
)
from computebroker.planner.document import plan_document
from computebroker.planner.problem import MUSD, PlanProblem
from computebroker.planner.spec import ScenarioSpec
from computebroker.scheduler import JobKind, SimJob
from computebroker.sim import (
    SimConfig,
    SimReport,
    SimState,
    Trace,
    report,
    simulate,
    table_from_rows,
)
from computebroker.sim.faults import FaultKind, FaultSpec
from computebroker.sim.fleet import Fleet, fleet_from_plan_doc

__all__ = ["Realised", "RunOptions", "RunResult", "SimCase", "run_pipeline"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """Knobs of a run (defaults: the scenario file's)."""

    scenarios: int | None = None
    seed: int | None = None
    out_of_sample: int = 300
    frontier: bool = True
    frontier_values: tuple[float, ...] = (0.0, 0.1, 0.3, 1.0, 3.0)
    policy: str = "min-cost"
    stress: bool = True
    run_length: float = (
        0.5  # a training run takes this share of a period at full gang on the slowest chip in play
    )
    max_runs_per_period: int = 16  # beyond this, runs get bigger gangs rather than more runs
    serve_shard_chips: int = 4096  # chips of one serving shard at peak on its fastest chip
    milp: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Realised:
    """A simulated case on the plan's terms (USD; shares of demand)."""

    spend_usd: float
    post_horizon_usd: float
    penalty_usd: float
    total_usd: float
    unmet_by_class: dict[str, float]  # share of the class's demand not done in its period
    unmet_share: float  # all classes, weighted by the plan's penalty (comparable units)
    plan_p05_usd: float
    plan_p95_usd: float
    plan_min_usd: float
    plan_max_usd: float
    plan_expected_usd: float
    plan_expected_unmet: dict[str, float]

    @property
    def within_range(self) -> bool:
        """Realised cost inside the range of the plan's scenario costs."""
        return self.plan_min_usd <= self.total_usd <= self.plan_max_usd


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
    matrix: xr.Dataset
    ranking: list[dict[str, Any]]
    problem: PlanProblem
    plan_result: PlanResult
    plan: Plan
    metrics: PlanMetrics
    out_of_sample: PlanMetrics | None
    frontier: list[FrontierPoint] | None
    plan_doc: dict[str, Any]
    trace: Trace
    delivered: dict[str, list[float]] = field(
        default_factory=dict
    )  # the drawn delivery share per offer and period
    cases: list[SimCase] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


# 1. catalog ------------------------------------------------------------------------------------


def offers_in_play(spec: ScenarioSpec, catalog: Catalog) -> list[dict[str, Any]]:
    """The scenario's offers normalised to USD per chip-hour and per peak BF16 PFLOP-hour."""
    rows = []
    for o in spec.offers:
        acc = catalog.accelerator(o.accelerator)
        pflops = (acc.bf16_tflops or 0.0) / 1000.0
        rows.append(
            {
                "offer": o.id,
                "provider": o.provider,
                "accelerator": o.accelerator,
                "region": o.region,
                "contract": o.contract.value,
                "price_chip_hour": o.price_chip_hour,
                "peak_bf16_pflops": pflops or None,
                "usd_per_pflop_hour": o.price_chip_hour / pflops if pflops else None,
                "max_chips": None if math.isinf(o.max_chips) else o.max_chips,
                "price_source": o.price_source,
            }
        )
    return rows


# 2. estimate -------------------------------------------------------------------------------------


def price_performance(
    spec: ScenarioSpec, matrix: xr.Dataset, offers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per workload class and chip: USD per million units of work at the chip's cheapest offer."""
    cheapest: dict[str, dict[str, Any]] = {}
    for o in offers:
        best = cheapest.get(o["accelerator"])
        if best is None or o["price_chip_hour"] < best["price_chip_hour"]:
            cheapest[o["accelerator"]] = o
    rows = []
    for w in spec.workloads:
        for acc, o in cheapest.items():
            rate = float(matrix.work_per_chip_hour.sel(workload=w.name, accelerator=acc))
            if not rate > 0:
                continue
            rows.append(
                {
                    "workload": w.name,
                    "unit": w.unit,
                    "accelerator": acc,
                    "work_per_chip_hour": rate,
                    "offer": o["offer"],
                    "price_chip_hour": o["price_chip_hour"],
                    "usd_per_million": o["price_chip_hour"] / rate * 1e6,
                }
            )
    rows.sort(key=lambda r: (r["workload"], r["usd_per_million"]))
    for w in spec.workloads:
        mine = [r for r in rows if r["workload"] == w.name]
        for i, r in enumerate(mine, start=1):
            r["rank"] = i
    return rows


# 4. simulate -------------------------------------------------------------------------------------


def demand_trace(
    spec: ScenarioSpec, matrix: xr.Dataset, demand: np.ndarray, opt: RunOptions
) -> Trace:
    """Jobs for one demand path ``demand[w, t]`` (work units per period)."""
    period_s = spec.horizon.hours_per_period * 3600.0
    jobs: list[SimJob] = []
    curves: dict[str, list[tuple[float, float]]] = {}
    n_periods = spec.horizon.count
    for wi, w in enumerate(spec.workloads):
        rates_w = matrix.work_per_chip_hour.sel(workload=w.name).values
        best = float(np.nanmax(rates_w)) / 3600.0
        if w.mode is Mode.TRAIN:
            # runs sized so that one finishes in its period wherever it lands (campaigns are
            # split to fit the hardware they run on)
            slowest = float(np.nanmin(np.where(rates_w > 0, rates_w, np.nan))) / 3600.0
            per_chip = opt.run_length * period_s * slowest  # work one chip does in a run
            for t in range(n_periods):
                work = float(demand[wi, t])
                if work <= 0 or per_chip <= 0:
                    continue
                n = max(1, math.ceil(work / (per_chip * w.chips)))
                gang = w.chips
                if n > opt.max_runs_per_period:
                    n = opt.max_runs_per_period
                    gang = math.ceil(work / (per_chip * n))
                for i in range(n):
                    jobs.append(
                        SimJob(
                            id=f"{w.name}-{spec.horizon.labels[t]}-{i}",
                            job_type=w.name,
                            arrival=t * period_s
                            + (i / n)
                            * period_s
                            * 0.1,  # a campaign's runs start over its first ~9 days
                            work=work / n,
                            chips=gang,
                            min_chips=max(1, gang // 8),
                            deadline=(t + 1) * period_s,
                        )
                    )
            continue
        rates = [float(demand[wi, t]) / period_s for t in range(n_periods)]
        shards = max(1, math.ceil(max(rates) / (best * opt.serve_shard_chips))) if best > 0 else 1
        for k in range(shards):
            sid = f"{w.name}-shard{k}"
            curves[sid] = [(t * period_s, rates[t] / shards) for t in range(n_periods)]
            jobs.append(
                SimJob(
                    id=sid,
                    job_type=w.name,
                    arrival=0.0,
                    work=0.0,
                    kind=JobKind.SERVE,
                    end=n_periods * period_s,
                )
            )
    jobs.sort(key=lambda j: j.arrival)
    for i, j in enumerate(jobs):
        j.index = i
    return Trace(
        jobs=jobs, source=f"{spec.name}: one demand scenario", format="generated", demand=curves
    )


def _realise(
    r: SimReport, p: PlanProblem, plan: Plan, m: PlanMetrics, demand: np.ndarray
) -> Realised:
    costs = plan.cost_nominal * MUSD  # the simulator bills nominal dollars: compare like with like
    unmet_units = {w: float(r.shortfall_by_type.get(w, 0.0)) for w in p.workloads}
    penalty_per_unit = {
        w: float(p.penalty[i] * MUSD / p.scale[i]) for i, w in enumerate(p.workloads)
    }
    penalty = sum(unmet_units[w] * penalty_per_unit[w] for w in p.workloads)
    total_demand = {w: float(demand[i].sum()) for i, w in enumerate(p.workloads)}
    unmet_by = {
        w: unmet_units[w] / total_demand[w] if total_demand[w] > 0 else 0.0 for w in p.workloads
    }
    weighted = sum(total_demand[w] * penalty_per_unit[w] for w in p.workloads)
    return Realised(
        spend_usd=r.cost_usd,
        post_horizon_usd=m.post_horizon_nominal_usd,
        penalty_usd=penalty,
        total_usd=r.cost_usd + m.post_horizon_nominal_usd + penalty,
        unmet_by_class=unmet_by,
        unmet_share=penalty / weighted if weighted > 0 else 0.0,
        plan_p05_usd=float(np.quantile(costs, 0.05)),
        plan_p95_usd=float(np.quantile(costs, 0.95)),
        plan_min_usd=float(costs.min()),
        plan_max_usd=float(costs.max()),
        plan_expected_usd=m.expected_cost_usd,
        plan_expected_unmet=dict(m.expected_unmet_fraction),
    )


def stress_cases(
    fleet: Fleet,
    vendor_shares: Mapping[str, float],
    hours_per_period: float,
    periods: Sequence[str],
) -> list[tuple[str, str, list[FaultSpec]]]:
    """The named stress cases of a planned fleet: the largest vendor (by share of committed
    spend) delivers two periods late; the region holding the most committed chips is down for a
    week from mid-horizon. (name, description, faults) each."""
    hours = hours_per_period
    cases: list[tuple[str, str, list[FaultSpec]]] = []
    if vendor_shares:
        vendor = max(vendor_shares, key=lambda v: vendor_shares[v])
        cases.append(
            (
                f"{vendor} two periods late",
                f"every new delivery from {vendor} (the largest vendor, {vendor_shares[vendor]:.0%} of committed spend) "
                f"arrives {2 * hours:,.0f} hours late; capacity already delivered stays",
                [FaultSpec(kind=FaultKind.SLIP, provider=vendor, start_h=1e-6, delay_h=2 * hours)],
            )
        )
    by_region: dict[str, int] = {}
    for p in fleet.pools:
        if p.view.committed and p.view.region != "any":
            by_region[p.view.region] = by_region.get(p.view.region, 0) + p.max_chips
    if by_region:
        region = max(by_region, key=lambda r: by_region[r])
        mid = len(periods) // 2
        cases.append(
            (
                f"{region} down for a week",
                f"region {region} ({by_region[region]:,} committed chips at peak) is out for 168 hours from "
                f"{periods[mid]}; jobs lose work since their last checkpoint",
                [
                    FaultSpec(
                        kind=FaultKind.OUTAGE,
                        region=region,
                        start_h=mid * hours,
                        duration_h=168.0,
                        restart_s=1800.0,
                    )
                ],
            )
        )
    return cases


# the run ---------------------------------------------------------------------------------------------


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
    problem = prepare_problem(
        spec,
        catalog,
        count=opt.scenarios,
        seed=opt.seed,
        progress=lambda m_: say(f"estimate/plan: {m_}"),
    )
    ranking = price_performance(spec, problem.matrix, offers)
    seconds["estimate"] = time.perf_counter() - t

    t = time.perf_counter()
    popt = PlanOptions(milp=opt.milp)
    result = solve_plan(problem, popt, progress=lambda m_: say(f"plan: {m_}"))
    if result.plan is None:
        from computebroker.errors import InfeasibleRequestError

        raise InfeasibleRequestError(
            f"no plan: the scenario is {result.status.value}.\n  " + "\n  ".join(result.explanation)
        )
    m = metrics(result.plan)
    oos = None
    if opt.out_of_sample:
        say(f"plan: re-scoring on {opt.out_of_sample} fresh scenarios")
        oos, _ = evaluate_out_of_sample(result.plan, catalog, count=opt.out_of_sample)
    points = None
    if opt.frontier:
        say(f"plan: frontier over {len(opt.frontier_values)} risk weights")
        points = frontier(problem, FrontierAxis.RISK, list(opt.frontier_values), base=popt)
    doc = plan_document(result, m, out_of_sample=oos, frontier=points, milp=opt.milp)
    seconds["plan"] = time.perf_counter() - t

    t = time.perf_counter()
    seed = spec.sampling.seed if opt.seed is None else opt.seed
    drawn = sample_scenarios(
        spec, 1, seed + 7919
    )  # one fresh scenario, not one the plan was fitted on
    demand = drawn.demand.sel(workload=[w.name for w in spec.workloads]).values[:, :, 0]
    delivered = {
        str(o): drawn.delivery.sel(offer=o).values[:, 0].tolist()
        for o in drawn.delivery.offer.values
    }
    trace = demand_trace(spec, problem.matrix, demand, opt)
    table = table_from_rows(matrix_records(problem.matrix), f"{spec.name} (performance model)")
    until = spec.horizon.count * spec.horizon.hours_per_period * 3600.0
    base_fleet = fleet_from_plan_doc(doc, "plan", delivered=delivered)
    cases: list[tuple[str, str, list[FaultSpec]]] = [
        (
            "plan as drawn",
            "one fresh demand and delivery scenario of the scenario's own model; spot capacity preempted",
            [],
        )
    ]
    if opt.stress:
        cases += stress_cases(
            base_fleet, m.vendor_shares, spec.horizon.hours_per_period, spec.horizon.labels
        )
    out: list[SimCase] = []
    for name, text, faults in cases:
        say(f"simulate: {name} ({len(trace.jobs):,} jobs and services)")
        fleet = fleet_from_plan_doc(doc, "plan", delivered=delivered)
        st = simulate(
            fleet,
            _copy_trace(trace),
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
                realised=_realise(rep, problem, result.plan, m, demand),
            )
        )
    seconds["simulate"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    return RunResult(
        spec=spec,
        offers=offers,
        matrix=problem.matrix,
        ranking=ranking,
        problem=problem,
        plan_result=result,
        plan=result.plan,
        metrics=m,
        out_of_sample=oos,
        frontier=points,
        plan_doc=doc,
        trace=trace,
        delivered=delivered,
        cases=out,
        seconds=seconds,
    )


def _copy_trace(tr: Trace) -> Trace:
    """A fresh copy (the simulator updates jobs in place)."""
    import copy

    return Trace(jobs=copy.deepcopy(tr.jobs), source=tr.source, format=tr.format, demand=tr.demand)
