"""Routes: simulation jobs — a fleet (inline, or the fleet of a finished plan job, built from its
typed plan document) runs a trace under a policy; with a plan, each named stress case too."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy.orm import Session, sessionmaker

from computebroker.catalog import shipped_catalog
from computebroker.errors import InputError
from computebroker.planner.document import PlanDocument
from computebroker.reports.html import HtmlReport
from computebroker.reports.sim import add_sim_sections
from computebroker.scheduler import ThroughputTable, get_policy
from computebroker.service.context import Auth, Ctx
from computebroker.service.jobs import JobContext
from computebroker.service.routes.jobs import check_queue, job_record
from computebroker.service.schemas import JobQueued, SimulationIn
from computebroker.sim import (
    SimConfig,
    SimReport,
    Trace,
    generate_trace,
    parse_inline_fleet,
    report,
    simulate,
    table_from_rows,
)
from computebroker.sim.fleet import Fleet, fleet_from_plan
from computebroker.sim.gavel import gavel_throughputs, gavel_trace
from computebroker.store import repo
from computebroker.units import SECONDS_PER_HOUR
from computebroker.workflow import stress_cases

__all__ = ["router", "run_simulation"]

router = APIRouter()


def _fault_effects(
    doc: PlanDocument, trace: Trace, table: ThroughputTable, body: SimulationIn, base: SimReport
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
    rows = []
    for name, faults in [("as planned", []), *((n, f) for n, _, f in cases)]:
        rep = (
            base
            if not faults
            else report(
                simulate(
                    fleet_from_plan(doc, "plan job"),
                    trace,
                    table,
                    faults=faults,
                    config=SimConfig(policy=body.policy, seed=body.seed),
                )
            )
        )
        rows.append(
            {
                "case": name,
                "avg JCT h": (rep.avg_jct_s or 0) / SECONDS_PER_HOUR,
                "p99 JCT h": (rep.p99_jct_s or 0) / SECONDS_PER_HOUR,
                "utilisation": rep.utilisation,
                "chip-hours lost": rep.chip_hours_lost,
                "unfinished jobs": rep.unfinished,
                "cost USD": rep.cost_usd,
            }
        )
    return rows


def _plan_of(store: sessionmaker[Session], team_id: int, plan_job: str) -> PlanDocument:
    with store() as s:
        pj = repo.get_job(s, team_id, plan_job)
        if pj is None or pj.status != "done" or pj.kind != "plan":
            raise InputError.single(
                "plan_job", f"no finished plan job {plan_job!r}", field="plan_job"
            )
        return PlanDocument.from_json(pj.result, f"plan job {plan_job}")


def _inputs(body: SimulationIn, doc: PlanDocument | None) -> tuple[Fleet, ThroughputTable, Trace]:
    fleet = (
        fleet_from_plan(doc, "plan job")
        if doc is not None
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
        return fleet, table, gavel_trace(body.trace.split(":", 1)[1])
    types = sorted(table.job_types())
    accs = sorted(table.accelerators())
    trace = generate_trace(
        body.generate or 100,
        rate_per_hour=body.arrival_rate,
        job_types=types,
        reference_rate=lambda jt, c: max((table.lookup(jt, a, c) for a in accs), default=0.0),
        seed=body.seed,
    )
    return fleet, table, trace


def run_simulation(job: JobContext) -> None:
    """The simulation job (in a worker's child process): its result, report and final state in
    one transaction."""
    body = SimulationIn.model_validate(job.params)
    job.progress(0.05, "simulating")
    doc = _plan_of(job.store, job.team_id, body.plan_job) if body.plan_job else None
    fleet, table, trace = _inputs(body, doc)
    # the trace stays pristine: each fault case runs the same jobs from the start
    st = simulate(fleet, trace, table, config=SimConfig(policy=body.policy, seed=body.seed))
    rep = report(st)
    page = HtmlReport(
        title=f"computebroker simulate: {rep.policy}",
        subtitle=f"{len(trace.jobs):,} jobs on {fleet.describe()}",
    )
    add_sim_sections(page, st, rep)
    result = json.loads(json.dumps(rep.record(), default=str))
    if body.stress and doc is not None:
        job.progress(0.5, "the effect of each fault")
        effects = _fault_effects(doc, trace, table, body, rep)
        result["fault_effects"] = effects
        page.section("Simulation: the effect of each fault", "sim-faults").table(effects)
    job.finish("done", result=result, report_html=page.render())


@router.post("/v1/simulations", status_code=202, response_model=JobQueued)
def submit_simulation(body: SimulationIn, t: Auth, ctx: Ctx) -> JobQueued:
    """Queue a simulation job (a worker runs it; poll ``/v1/jobs/{id}``)."""
    get_policy(body.policy)  # 422 with "did you mean" before anything is queued
    if (body.fleet is None) == (body.plan_job is None):
        raise InputError.single(
            "body", "give either fleet (inline, e.g. v100=8,p100=16) or plan_job", field="fleet"
        )
    if body.fleet is not None:
        parse_inline_fleet(body.fleet)
    with ctx.store.begin() as s:
        check_queue(s, t.id)
        job_id = repo.create_job(s, t.id, "simulate", body.model_dump()).id
    return JobQueued(id=job_id, status="queued")


@router.get("/v1/simulations/{job_id}")
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
