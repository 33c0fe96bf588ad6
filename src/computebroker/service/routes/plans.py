"""Routes: plan jobs — the plan workflow (:func:`computebroker.workflow.plan_run`, the same one
``computebroker plan`` and ``run`` call) on a stored scenario, run by a worker
(:mod:`computebroker.service.worker`)."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from computebroker.planner import FrontierAxis, PlanOptions, parse_scenario
from computebroker.reports.plan import convergence_status, plan_report
from computebroker.service.context import PLAN_CACHE_SIZE, Auth, Ctx, team_catalog
from computebroker.service.jobs import JobContext
from computebroker.service.routes.jobs import check_queue, job_record
from computebroker.service.schemas import JobQueued, PlanIn, PlanOut
from computebroker.store import repo
from computebroker.workflow import PlanRunOptions, plan_run

__all__ = ["plan_options", "router", "run_plan"]

router = APIRouter()

# the share of a plan job done when the workflow reaches each stage
STAGES = (("solving", 0.3), ("re-scoring", 0.6), ("frontier", 0.7), ("what-if", 0.85))
# how to measure convergence, in the API's words
API_HINT = 'plan with "scenarios": "auto" or "replications": N'


def plan_options(body: PlanIn) -> PlanRunOptions:
    """The plan workflow's options of a plan request."""
    return PlanRunOptions(
        scenarios=body.scenarios if isinstance(body.scenarios, int) else None,
        converge=body.scenarios == "auto",
        replications=body.replications,
        seed=body.seed,
        solve=PlanOptions(method=body.method, time_limit_s=body.time_limit_s),
        out_of_sample=body.out_of_sample,
        frontier=FrontierAxis.RISK if body.frontier else None,
    )


def run_plan(job: JobContext) -> None:
    """The plan job (in a worker's child process): its result, report and final state are
    written in one transaction."""
    body = PlanIn.model_validate(job.params)

    def progress(msg: str) -> None:
        for prefix, share in STAGES:
            if msg.startswith(prefix):
                job.progress(share, msg)

    job.progress(0.05, "pricing and sampling")
    text, name = job.scenario_text(body.scenario, body.version)
    cat = team_catalog(job.store, job.team_id)
    run = plan_run(
        parse_scenario(text, cat, source=name), cat, plan_options(body), progress=progress
    )
    html = plan_report(run).render() if run.plan is not None else None
    job.finish(
        "done" if run.plan is not None else "failed",
        message=run.result.termination
        + ("" if run.metrics is None else "; " + convergence_status(run.metrics, API_HINT)),
        result=run.document.to_json(),
        error=None if run.plan is not None else "; ".join(run.result.explanation),
        report_html=html,
    )


@router.post("/v1/plans", status_code=202, response_model=JobQueued)
def submit_plan(body: PlanIn, t: Auth, ctx: Ctx) -> JobQueued:
    """Queue a plan job (a worker runs it; poll ``/v1/jobs/{id}``)."""
    with ctx.store.begin() as s:
        if repo.get_scenario(s, t.id, body.scenario, body.version) is None:
            raise HTTPException(404, f"no scenario {body.scenario!r}")
        check_queue(s, t.id)
        job_id = repo.create_job(s, t.id, "plan", body.model_dump()).id
    return JobQueued(id=job_id, status="queued")


@router.get(
    "/v1/plans/{job_id}",
    response_class=Response,
    # the stored document is sent as it is (cached bytes); the schema documents it
    responses={200: {"model": PlanOut, "content": {"application/json": {}}}},
)
def get_plan(job_id: str, t: Auth, ctx: Ctx) -> Response:
    """The plan document (``plan.json``) of a finished plan job."""
    body = ctx.plan_cache.get((t.id, job_id))
    if body is None:
        d = job_record(ctx, t, job_id)
        if d["status"] != "done":
            raise HTTPException(
                409, f"the plan is {d['status']}" + (f": {d['error']}" if d["error"] else "")
            )
        body = json.dumps(d["result"], separators=(",", ":")).encode()
        if len(ctx.plan_cache) >= PLAN_CACHE_SIZE:
            ctx.plan_cache.pop(next(iter(ctx.plan_cache)))
        ctx.plan_cache[(t.id, job_id)] = body
    return Response(content=body, media_type="application/json")
