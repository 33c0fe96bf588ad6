"""Routes: simulation jobs — a fleet (inline, or the fleet of a finished plan job, built from its
typed plan document) runs a trace under a policy; with a plan, each named stress case too.

A plan job's fleet runs, unless a trace or generated jobs are asked for, the job stream of the
demand the plan was made for: its scenario's classes at the plan's expected demand per period
(``workflow.demand_trace``, the stream ``computebroker run`` simulates), over the plan's
horizon. Its utilisation is then also given on the plan's terms — busy chip-hours over the
chip-hours paid for (committed capacity, plus rentals as they are used) — because the plan's
figure counts a rental only when it rents it, while the simulation's "all pools" figure counts
every rental pool's cap for the whole horizon as capacity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from fastapi import APIRouter, HTTPException
from sqlalchemy.orm import Session, sessionmaker

from computebroker.catalog import shipped_catalog
from computebroker.errors import InputError
from computebroker.planner import parse_scenario
from computebroker.planner.document import PlanDocument
from computebroker.reports.html import HtmlReport
from computebroker.reports.sim import add_sim_sections
from computebroker.scheduler import ThroughputTable, get_policy
from computebroker.service.context import Auth, Ctx, team_catalog
from computebroker.service.jobs import JobContext
from computebroker.service.routes.jobs import check_queue, job_record
from computebroker.service.schemas import JobQueued, PlanIn, SimulationIn, SimulationOut
from computebroker.sim import (
    SimConfig,
    SimReport,
    SimState,
    Trace,
    generate_trace,
    parse_inline_fleet,
    report,
    simulate,
    table_from_rows,
)
from computebroker.sim.fleet import Fleet, fleet_from_plan
from computebroker.sim.gavel import gavel_throughputs, gavel_trace
from computebroker.sim.traces import check_generated_span, check_runnable
from computebroker.store import repo
from computebroker.units import SECONDS_PER_HOUR
from computebroker.workflow import JobStreamOptions, demand_trace, stress_cases

__all__ = ["router", "run_simulation"]

router = APIRouter()


@dataclass(frozen=True, slots=True)
class _Inputs:
    """What a simulation job runs: the fleet, its throughputs, the jobs, and until when."""

    fleet: Fleet
    table: ThroughputTable
    trace: Trace
    until_s: float | None  # the end of the plan's horizon when the jobs are the plan's demand
    stream: str  # what the jobs are, in words


def _fault_effects(
    doc: PlanDocument, run: _Inputs, body: SimulationIn, base: SimState
) -> list[dict[str, Any]]:
    """The planned fleet under each named stress case of ``run`` (``workflow.stress_cases``),
    against the same jobs as planned."""
    planned = doc.planned("plan job")
    cases = stress_cases(
        fleet_from_plan(doc, "plan job"),
        planned.metrics.vendor_shares,
        planned.horizon.hours_per_period,
        planned.horizon.periods,
    )
    cfg = SimConfig(policy=body.policy, seed=body.seed, until_s=run.until_s)
    rows = []
    for name, faults in [("as planned", []), *((n, f) for n, _, f in cases)]:
        st = (
            base
            if not faults
            else simulate(
                fleet_from_plan(doc, "plan job"), run.trace, run.table, faults=faults, config=cfg
            )
        )
        rep = report(st)
        rows.append(
            {
                "case": name,
                "avg JCT h": (rep.avg_jct_s or 0) / SECONDS_PER_HOUR,
                "p99 JCT h": (rep.p99_jct_s or 0) / SECONDS_PER_HOUR,
                "utilisation of paid capacity": paid_utilisation(st),
                "chip-hours lost": rep.chip_hours_lost,
                "unfinished jobs": rep.unfinished,
                "cost USD": rep.cost_usd,
            }
        )
    return rows


def _plan_of(
    store: sessionmaker[Session], team_id: int, plan_job: str
) -> tuple[PlanDocument, PlanIn]:
    """A finished plan job's document and request."""
    with store() as s:
        pj = repo.get_job(s, team_id, plan_job)
        if pj is None or pj.status != "done" or pj.kind != "plan":
            raise InputError.single(
                "plan_job", f"no finished plan job {plan_job!r}", field="plan_job"
            )
        return PlanDocument.from_json(pj.result, f"plan job {plan_job}"), PlanIn.model_validate(
            pj.params
        )


def _matrix(doc: PlanDocument) -> xr.Dataset:
    """Work per chip-hour by (workload, accelerator), as the plan priced it (its document)."""
    rows = doc.planned("plan job").throughput
    workloads = sorted({r.workload for r in rows})
    accs = sorted({r.accelerator for r in rows})
    grid = np.full((len(workloads), len(accs)), np.nan)
    for r in rows:
        if r.work_per_chip_hour is not None:
            grid[workloads.index(r.workload), accs.index(r.accelerator)] = r.work_per_chip_hour
    return xr.Dataset(
        {"work_per_chip_hour": (("workload", "accelerator"), grid)},
        coords={"workload": workloads, "accelerator": accs},
    )


def plan_demand_trace(
    store: sessionmaker[Session], team_id: int, plan: PlanIn, doc: PlanDocument
) -> tuple[Trace, float]:
    """The jobs of the demand a plan was made for — each class at the plan's expected demand
    per period (its document's mean), split into runs and services as ``run`` does — and the
    end of its horizon (s)."""
    with store() as s:
        sc = repo.get_scenario(s, team_id, plan.scenario, plan.version)
        if sc is None:
            raise InputError.single(
                "plan_job", f"the plan's scenario {plan.scenario!r} is gone", field="plan_job"
            )
        text, name = sc.text, sc.name
    spec = parse_scenario(text, team_catalog(store, team_id), source=name)
    demand = doc.demand or {}
    mean = np.array(
        [
            demand[w.name].mean if w.name in demand else [0.0] * spec.horizon.count
            for w in spec.workloads
        ]
    )
    trace = demand_trace(spec, _matrix(doc), mean, JobStreamOptions())
    return trace, spec.horizon.count * spec.horizon.hours_per_period * SECONDS_PER_HOUR


def _inputs(
    store: sessionmaker[Session],
    team_id: int,
    body: SimulationIn,
    plan: tuple[PlanDocument, PlanIn] | None,
) -> _Inputs:
    fleet = (
        fleet_from_plan(plan[0], "plan job")
        if plan is not None
        else parse_inline_fleet(body.fleet or "", shipped_catalog())
    )
    if body.throughputs == "gavel":
        table = gavel_throughputs()
    elif fleet.throughput_rows:
        table = table_from_rows(fleet.throughput_rows, "plan job")
    else:
        raise InputError.single(
            "throughputs",
            "give throughputs: gavel, or a plan_job (which carries its matrix)",
            field="throughputs",
        )
    if body.trace:
        return _Inputs(fleet, table, gavel_trace(body.trace.split(":", 1)[1]), None, body.trace)
    if plan is not None and body.generate is None and body.throughputs is None:
        trace, until = plan_demand_trace(store, team_id, plan[1], plan[0])
        return _Inputs(fleet, table, trace, until, "the plan's expected demand")
    types = sorted(table.job_types())
    accs = sorted(table.accelerators())
    n = body.generate or 100
    trace = generate_trace(
        n,
        rate_per_hour=body.arrival_rate,
        job_types=types,
        reference_rate=lambda jt, c: max((table.lookup(jt, a, c) for a in accs), default=0.0),
        seed=body.seed,
    )
    return _Inputs(fleet, table, trace, None, f"{n:,} generated jobs")


def paid_utilisation(st: SimState) -> float:
    """Busy chip-hours over the chip-hours paid for: committed capacity, and rentals (on-demand,
    spot) as they were used — the plan's definition, which counts a rental only when rented."""
    busy = sum(st.busy_chip_s)
    paid = sum(
        st.capacity_chip_s[k] if p.committed else st.busy_chip_s[k] for k, p in enumerate(st.pools)
    )
    return busy / paid if paid > 0 else 0.0


def _against_plan(doc: PlanDocument, st: SimState, rep: SimReport, run: _Inputs) -> dict[str, Any]:
    """The simulation's utilisation next to the plan's, each defined as the plan defines it."""
    planned = doc.planned("plan job").metrics
    return {
        "jobs": run.stream,
        "plan_utilisation": planned.utilisation,
        "simulated_utilisation_of_paid_capacity": paid_utilisation(st),
        "simulated_utilisation_all_pools": rep.utilisation,
        "note": "utilisation = busy chip-hours / chip-hours paid for (committed capacity, plus "
        "rentals while used); 'all pools' also counts each rental pool's cap as capacity",
    }


def run_simulation(job: JobContext) -> None:
    """The simulation job (in a worker's child process): its result, report and final state in
    one transaction."""
    body = SimulationIn.model_validate(job.params)
    job.progress(0.05, "simulating")
    plan = _plan_of(job.store, job.team_id, body.plan_job) if body.plan_job else None
    run = _inputs(job.store, job.team_id, body, plan)
    # the trace stays pristine: each fault case runs the same jobs from the start
    cfg = SimConfig(policy=body.policy, seed=body.seed, until_s=run.until_s)
    st = simulate(run.fleet, run.trace, run.table, config=cfg)
    rep = report(st)
    page = HtmlReport(
        title=f"computebroker simulate: {rep.policy}",
        subtitle=f"{len(run.trace.jobs):,} jobs ({run.stream}) on {run.fleet.describe()}",
    )
    result = json.loads(json.dumps(rep.record(), default=str))
    if plan is not None:
        result["against_plan"] = _against_plan(plan[0], st, rep, run)
        a = result["against_plan"]
        page.section("Against the plan", "sim-plan").table(
            [
                {"figure": "jobs", "value": a["jobs"]},
                {"figure": "utilisation the plan expects", "value": f"{a['plan_utilisation']:.1%}"},
                {
                    "figure": "utilisation simulated, of the capacity paid for",
                    "value": f"{a['simulated_utilisation_of_paid_capacity']:.1%}",
                },
                {
                    "figure": "utilisation simulated, all pools (rental caps included)",
                    "value": f"{a['simulated_utilisation_all_pools']:.1%}",
                },
            ]
        )
    add_sim_sections(page, st, rep)
    if body.stress and plan is not None:
        job.progress(0.5, "the effect of each fault")
        effects = _fault_effects(plan[0], run, body, st)
        result["fault_effects"] = effects
        page.section("Simulation: the effect of each fault", "sim-faults").table(effects)
    job.finish("done", result=result, report_html=page.render())


def _check_submission(body: SimulationIn, ctx: Ctx, team_id: int) -> None:
    """What can be refused before a job is queued (422), as the CLI refuses it: a fleet whose
    chips Gavel's table does not cover, a trace and generated jobs together, a generated
    stream past the traces' bound, a plan job that does not exist."""
    if body.trace is not None and body.generate is not None:
        raise InputError.single("body", "give trace or generate, not both", field="generate")
    if body.trace is None:
        check_generated_span(
            body.generate or 100,
            body.arrival_rate,
            source="body",
            jobs_field="generate",
            rate_field="arrival_rate",
        )
    if body.fleet is not None:
        fleet = parse_inline_fleet(body.fleet)
        if body.throughputs == "gavel":
            empty = Trace(jobs=(), source="body", format="generated", demand={})
            check_runnable(empty, gavel_throughputs(), [p.view.accelerator for p in fleet.pools])
    if body.plan_job is not None:
        with ctx.store() as s:
            pj = repo.get_job(s, team_id, body.plan_job)
            if pj is None or pj.kind != "plan":
                raise InputError.single(
                    "plan_job", f"no plan job {body.plan_job!r}", field="plan_job"
                )


@router.post("/v1/simulations", status_code=202, response_model=JobQueued)
def submit_simulation(body: SimulationIn, t: Auth, ctx: Ctx) -> JobQueued:
    """Queue a simulation job (a worker runs it; poll ``/v1/jobs/{id}``)."""
    get_policy(body.policy)  # 422 with "did you mean" before anything is queued
    if (body.fleet is None) == (body.plan_job is None):
        raise InputError.single(
            "body", "give either fleet (inline, e.g. v100=8,p100=16) or plan_job", field="fleet"
        )
    _check_submission(body, ctx, t.id)
    with ctx.store.begin() as s:
        check_queue(s, t.id)
        job_id = repo.create_job(s, t.id, "simulate", body.model_dump()).id
    return JobQueued(id=job_id, status="queued")


@router.get(
    "/v1/simulations/{job_id}",
    response_model=SimulationOut,
    response_model_exclude_unset=True,  # against_plan and fault_effects only where they ran
)
def get_simulation(job_id: str, t: Auth, ctx: Ctx) -> dict[str, Any]:
    d = job_record(ctx, t, job_id)
    if d["kind"] != "simulate":
        raise HTTPException(404, f"no simulation {job_id!r}")
    if d["status"] != "done":
        raise HTTPException(
            409, f"the simulation is {d['status']}" + (f": {d['error']}" if d["error"] else "")
        )
    result: dict[str, Any] = d["result"]
    return result
