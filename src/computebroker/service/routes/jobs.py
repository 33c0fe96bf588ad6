"""Routes: a team's jobs (list, state, cancel) and their reports (HTML or JSON)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from computebroker.service.context import Auth, Ctx, ServiceContext
from computebroker.service.reportfiles import expand_report
from computebroker.service.schemas import CancelOut, JobOut, ReportOut
from computebroker.store import queue, repo
from computebroker.store.models import Job, Team

__all__ = [
    "FINISHED",
    "MAX_QUEUED_PER_TEAM",
    "JobId",
    "check_queue",
    "job_out",
    "job_record",
    "router",
]

router = APIRouter()

FINISHED = queue.FINISHED
# a job id is a UUID; anything else (NUL bytes, 10 KB of text) is a 422 before any query
JobId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{1,36}$")]


# jobs a team may have waiting at once; more is a 429 (one team cannot fill the queue)
MAX_QUEUED_PER_TEAM = 200


def check_queue(s: Session, team_id: int) -> None:
    """429 when the team already has :data:`MAX_QUEUED_PER_TEAM` jobs waiting."""
    if queue.queued_count(s, team_id) >= MAX_QUEUED_PER_TEAM:
        raise HTTPException(
            429,
            f"the team has {MAX_QUEUED_PER_TEAM} jobs waiting; wait for some or cancel them",
        )


def job_out(j: Job, *, params: bool = False) -> JobOut:
    """A job row as its wire record."""
    return JobOut(
        id=j.id,
        kind=j.kind,
        status=j.status,
        progress=j.progress,
        message=j.message,
        error=j.error,
        attempts=j.attempts,
        cancel_requested=j.cancel_requested,
        created_at=j.created_at.isoformat() if j.created_at else None,
        finished_at=j.finished_at.isoformat() if j.finished_at else None,
        params=j.params if params else None,
    )


def job_record(ctx: ServiceContext, t: Team, job_id: str) -> dict[str, Any]:
    """A job of team ``t`` as a record with its result (404 when it is not one of the team's)."""
    with ctx.store() as s:
        j = repo.get_job(s, t.id, job_id)
        if j is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return {**job_out(j).model_dump(), "result": j.result}


@router.get("/v1/jobs", response_model=list[JobOut])
def list_jobs(
    t: Auth,
    ctx: Ctx,
    kind: Annotated[str | None, Query(pattern=r"^(plan|simulate|evaluate)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[JobOut]:
    """The team's jobs, newest first, with their parameters (the dashboard's history)."""
    with ctx.store() as s:
        return [job_out(j, params=True) for j in repo.list_jobs(s, t.id, kind, limit)]


@router.get("/v1/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: JobId, t: Auth, ctx: Ctx) -> JobOut:
    with ctx.store() as s:  # polled often: the result (a whole plan document) stays unread
        j = repo.get_job(s, t.id, job_id, with_result=False)
        if j is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return job_out(j)


@router.post("/v1/jobs/{job_id}/cancel", response_model=CancelOut)
def cancel(job_id: JobId, t: Auth, ctx: Ctx) -> CancelOut:
    """Cancel a job: a queued one never starts (it is cancelled now); a running one's process is
    stopped by its worker within a heartbeat; a finished one is left as it is
    (``cancel_requested`` false)."""
    with ctx.store.begin() as s:
        out = queue.request_cancel(s, t.id, job_id)
    if out is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return CancelOut(id=job_id, status=out[0], cancel_requested=out[1])


@router.get("/v1/reports/{job_id}.html", response_class=Response)
def report_html(job_id: JobId, t: Auth, ctx: Ctx) -> Response:
    """The job's self-contained HTML report."""
    with ctx.store() as s:
        html = repo.get_report(s, t.id, job_id)
    if html is None:
        raise HTTPException(404, f"no report for {job_id!r} (not yours, not finished, or failed)")
    return Response(content=expand_report(html), media_type="text/html")


@router.get(
    "/v1/reports/{job_id}.json", response_model=ReportOut, response_model_exclude_unset=True
)
def report_json(job_id: JobId, t: Auth, ctx: Ctx) -> dict[str, Any]:
    d = job_record(ctx, t, job_id)
    if d["status"] != "done":
        raise HTTPException(409, f"the job is {d['status']}")
    result: dict[str, Any] = d["result"]
    return result
