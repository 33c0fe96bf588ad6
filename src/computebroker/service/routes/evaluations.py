"""Routes: evaluation jobs — commitment policies (static, rolling) judged on the same simulated
futures of a stored scenario (:func:`computebroker.planner.policy_eval.evaluate_policies`, the
library call behind ``computebroker evaluate``), run by a worker like a plan job: queued,
polled at ``/v1/jobs/{id}``, cancelled at ``/v1/jobs/{id}/cancel`` (the worker stops the job's
process and the path processes it started), its report at ``/v1/reports/{id}.html``."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, HTTPException

from computebroker.planner import PlanOptions, parse_scenario
from computebroker.planner.policy_eval import evaluate_policies, evaluation_document
from computebroker.planner.rolling import EvaluationOptions
from computebroker.reports.evaluate import add_evaluation_sections
from computebroker.reports.html import HtmlReport
from computebroker.service.context import Auth, Ctx, team_catalog
from computebroker.service.jobs import JobContext
from computebroker.service.routes.jobs import check_queue, job_record
from computebroker.service.schemas import EvaluationIn, EvaluationOut, JobQueued
from computebroker.store import repo

__all__ = ["JOB_KIND", "PATH_SEED_OFFSET", "router", "run_evaluation"]

router = APIRouter()

JOB_KIND = "evaluate"
# the default path seed is the scenario's seed + this, as `computebroker evaluate`
PATH_SEED_OFFSET = 7919
# the share of the job done before the paths start (pricing, sampling, the static plan) and
# when they have all run (the report is what is left)
PATHS_FROM, PATHS_TO = 0.1, 0.95


def run_evaluation(job: JobContext) -> None:
    """The evaluation job (in a worker's child process): its result, report and final state are
    written in one transaction; progress counts the paths done."""
    body = EvaluationIn.model_validate(job.params)
    job.progress(0.05, "pricing and the static plan")
    text, name = job.scenario_text(body.scenario, body.version)
    cat = team_catalog(job.store, job.team_id)
    spec = parse_scenario(text, cat, source=name)
    seed = spec.sampling.seed + PATH_SEED_OFFSET if body.seed is None else body.seed

    def progress(done: int, total: int) -> None:
        share = PATHS_FROM + (PATHS_TO - PATHS_FROM) * done / total
        job.progress(share, f"{done} of {total} paths")

    ev = evaluate_policies(
        spec,
        cat,
        list(body.policies),
        body.paths,
        np.random.default_rng(seed),
        "serial" if body.workers == 1 else "local",
        workers=body.workers,
        options=EvaluationOptions(
            replan_scenarios=body.replan_scenarios,
            decision_lead=body.decision_lead,
            information_lag=body.information_lag,
            plan=PlanOptions(threads=1),
        ),
        progress=progress,
    )
    page = HtmlReport(
        title=f"computebroker evaluate: {spec.name}",
        subtitle=f"{', '.join(body.policies)} on {ev.paths} paths",
    )
    add_evaluation_sections(page, ev)
    flex = ev.value_of_flexibility_usd
    job.finish(
        "done",
        message=f"{ev.paths} paths"
        + ("" if flex is None else f"; value of flexibility ${flex.mean:,.0f}"),
        result=evaluation_document(ev),
        report_html=page.render(),
    )


@router.post("/v1/evaluations", status_code=202, response_model=JobQueued)
def submit_evaluation(body: EvaluationIn, t: Auth, ctx: Ctx) -> JobQueued:
    """Queue an evaluation job (a worker runs it; poll ``/v1/jobs/{id}``, then read
    ``/v1/evaluations/{id}`` and ``/v1/reports/{id}.html``)."""
    with ctx.store.begin() as s:
        if repo.get_scenario(s, t.id, body.scenario, body.version) is None:
            raise HTTPException(404, f"no scenario {body.scenario!r}")
        check_queue(s, t.id)
        job_id = repo.create_job(s, t.id, JOB_KIND, body.model_dump()).id
    return JobQueued(id=job_id, status="queued")


@router.get("/v1/evaluations/{job_id}", response_model=EvaluationOut)
def get_evaluation(job_id: str, t: Auth, ctx: Ctx) -> EvaluationOut:
    """The result of a finished evaluation job (``evaluation.json`` of ``evaluate``): per
    policy the realised cost, present value, contract value signed and unmet work with their
    intervals, the value of flexibility and every path."""
    d = job_record(ctx, t, job_id)
    if d["kind"] != JOB_KIND:
        raise HTTPException(404, f"no evaluation {job_id!r}")
    if d["status"] != "done":
        raise HTTPException(
            409, f"the evaluation is {d['status']}" + (f": {d['error']}" if d["error"] else "")
        )
    return EvaluationOut.model_validate(d["result"])
