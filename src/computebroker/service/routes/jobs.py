"""Routes: a job's state, its cancel, and its report (HTML or JSON)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from computebroker.service.context import Auth, Ctx, ServiceContext, now
from computebroker.store import repo
from computebroker.store.models import Team

__all__ = ["FINISHED", "job_record", "router"]

router = APIRouter()

FINISHED = ("done", "failed", "cancelled")


def job_record(ctx: ServiceContext, t: Team, job_id: str) -> dict[str, Any]:
    """A job of team ``t`` as a record (404 when it is not one of the team's)."""
    with ctx.store() as s:
        j = repo.get_job(s, t.id, job_id)
        if j is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return {
            "id": j.id,
            "kind": j.kind,
            "status": j.status,
            "progress": j.progress,
            "message": j.message,
            "error": j.error,
            "result": j.result,
        }


@router.get("/v1/jobs/{job_id}")
def get_job(job_id: str, t: Auth, ctx: Ctx) -> dict[str, Any]:
    d = job_record(ctx, t, job_id)
    d.pop("result")
    return d


@router.post("/v1/jobs/{job_id}/cancel")
def cancel(job_id: str, t: Auth, ctx: Ctx) -> dict[str, Any]:
    """Cancel a job: a queued one never starts (it is cancelled now); a running one stops at its
    next check; a finished one is left as it is (``cancel_requested`` false)."""
    with ctx.store.begin() as s:
        j = repo.get_job(s, t.id, job_id)
        if j is None:
            raise HTTPException(404, f"no job {job_id!r}")
        if j.status in FINISHED:
            return {"id": job_id, "status": j.status, "cancel_requested": False}
        ctx.runner.cancel(job_id)
        status = j.status
        if status == "queued":
            status = "cancelled"
            repo.set_job(
                s, job_id, status=status, error="cancelled before it started", finished_at=now()
            )
    return {"id": job_id, "status": status, "cancel_requested": True}


@router.get("/v1/reports/{job_id}.html", response_class=Response)
def report_html(job_id: str, t: Auth, ctx: Ctx) -> Response:
    with ctx.store() as s:
        html = repo.get_report(s, t.id, job_id)
    if html is None:
        raise HTTPException(404, f"no report for {job_id!r} (not yours, not finished, or failed)")
    return Response(content=html, media_type="text/html")


@router.get("/v1/reports/{job_id}.json")
def report_json(job_id: str, t: Auth, ctx: Ctx) -> dict[str, Any]:
    d = job_record(ctx, t, job_id)
    if d["status"] != "done":
        raise HTTPException(409, f"the job is {d['status']}")
    result: dict[str, Any] = d["result"]
    return result
