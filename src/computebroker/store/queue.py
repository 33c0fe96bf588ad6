"""The job queue in the store: workers claim queued jobs under a lease, renew it while the job
runs, and write the result only while they still hold it.

Invariants:

- A job is claimed by one worker at a time: the claim is a conditional ``UPDATE … WHERE
  status = 'queued'`` (on PostgreSQL after ``SELECT … FOR UPDATE SKIP LOCKED`` picked the row,
  so concurrent workers skip each other's rows instead of waiting); a worker owns the job only
  if its update changed the row.
- Every write of a running job's state names the lease owner (``WHERE lease_owner = :me``): a
  worker whose lease expired and whose job was given to another cannot overwrite it. A job's
  own process also names its attempt (``AND attempts = :n``, a fencing token): when a lease ran
  out and the same worker claimed the job again, the older attempt's late writes are refused.
- A running job whose lease was not renewed by ``lease_until`` (its worker died) is queued again
  by whoever notices, at most ``max_attempts`` times in all; then it fails with the reason. A
  live job (lease renewed) is never touched by another server or worker.
- A job whose cancel was acknowledged (``cancel_requested``) never ends done: when its work
  ends before its worker stops it, :func:`finish` records it cancelled.
- Fairness: the next job comes from the team with the fewest running jobs (then the team whose
  oldest queued job is oldest), and never from a team already at ``team_limit`` running jobs; the
  limit is checked inside the claiming statement (and under a per-team advisory lock on
  PostgreSQL), so concurrent workers cannot exceed it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from computebroker.store.models import Job

__all__ = [
    "FINISHED",
    "MAX_ATTEMPTS",
    "claim",
    "finish",
    "finished",
    "heartbeat",
    "queued_count",
    "recover_expired",
    "release",
    "request_cancel",
    "set_progress",
]

FINISHED = ("done", "failed", "cancelled")
# a job whose worker died this many times is not tried again (it may be what kills them)
MAX_ATTEMPTS = 3


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _is_postgres(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def claim(s: Session, owner: str, *, lease_s: float, team_limit: int) -> Job | None:
    """Claim the next queued job for worker ``owner`` (fairly across teams), or None."""
    running: dict[int, int] = dict(
        s.execute(
            select(Job.team_id, func.count()).where(Job.status == "running").group_by(Job.team_id)
        ).all()
    )
    heads = s.execute(
        select(Job.team_id, func.min(Job.created_at))
        .where(Job.status == "queued")
        .group_by(Job.team_id)
    ).all()
    order = sorted((running.get(t, 0), first, t) for t, first in heads)
    for n_running, _, team in order:
        if n_running >= team_limit:
            continue
        job_id = _claim_for_team(s, owner, team, lease_s=lease_s, team_limit=team_limit)
        if job_id is not None:
            return s.get(Job, job_id)
    return None


def _claim_for_team(
    s: Session, owner: str, team: int, *, lease_s: float, team_limit: int
) -> str | None:
    if _is_postgres(s):  # serialises claims for one team, so its limit holds (released at commit)
        s.execute(select(func.pg_advisory_xact_lock(team)))
    job_id = s.execute(
        select(Job.id)
        .where(Job.status == "queued", Job.team_id == team)
        .order_by(Job.created_at, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if job_id is None:
        return None
    busy = (
        select(func.count())
        .select_from(Job)
        .where(Job.team_id == team, Job.status == "running")
        .scalar_subquery()
    )
    now = _now()
    res = s.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued", busy < team_limit)
        .values(
            status="running",
            lease_owner=owner,
            lease_until=now + dt.timedelta(seconds=lease_s),
            attempts=Job.attempts + 1,
            started_at=now,
            message="started",
        )
        .execution_options(synchronize_session=False)
    )
    if _rowcount(res) != 1:
        return None
    # the lease runs from now, with the row's lock held: a claim that waited for the lock (a busy
    # SQLite file, a starved process) does not start with a lease that has already run out
    s.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(lease_until=_now() + dt.timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    return job_id


def _rowcount(res: Any) -> int:
    return int(res.rowcount or 0)


def heartbeat(s: Session, owner: str, lease_s: float) -> dict[str, bool]:
    """Renew ``owner``'s leases; the jobs it still holds, each with whether a cancel was asked."""
    s.execute(
        update(Job)
        .where(Job.lease_owner == owner, Job.status == "running")
        .values(lease_until=_now() + dt.timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    rows = s.execute(
        select(Job.id, Job.cancel_requested).where(
            Job.lease_owner == owner, Job.status == "running"
        )
    ).all()
    return {job_id: bool(cancel) for job_id, cancel in rows}


def _held(job_id: str, owner: str, attempt: int | None) -> Any:
    """The condition of a write by the holder of a job's lease (and, given, of its attempt)."""
    cond = (Job.id == job_id) & (Job.lease_owner == owner) & (Job.status == "running")
    return cond if attempt is None else cond & (Job.attempts == attempt)


def set_progress(
    s: Session,
    job_id: str,
    owner: str,
    progress: float,
    message: str,
    *,
    attempt: int | None = None,
) -> bool:
    """A running job's progress (only while ``owner`` holds it, in ``attempt`` when given)."""
    res = s.execute(
        update(Job)
        .where(_held(job_id, owner, attempt))
        .values(progress=progress, message=message)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(res) == 1


def finish(
    s: Session, job_id: str, owner: str, status: str, *, attempt: int | None = None, **fields: Any
) -> bool:
    """A job's final state (only while ``owner`` holds it, in ``attempt`` when given); whether
    it was written. A job whose cancel was acknowledged ends cancelled, not done, even when its
    work ended before the worker stopped it (then nothing of ``fields`` is kept and this answers
    False)."""
    assert status in FINISHED, status
    held = update(Job).where(_held(job_id, owner, attempt))
    ended = {"lease_owner": None, "lease_until": None, "finished_at": _now()}
    if status == "done":
        s.execute(
            held.where(Job.cancel_requested.is_(True))
            .values(status="cancelled", error="cancelled while running", **ended)
            .execution_options(synchronize_session=False)
        )
    res = s.execute(
        held.values(status=status, **ended, **fields).execution_options(synchronize_session=False)
    )
    return _rowcount(res) == 1


def finished(s: Session, job_ids: list[str]) -> set[str]:
    """Which of ``job_ids`` have ended (done, failed or cancelled)."""
    if not job_ids:
        return set()
    rows = s.execute(select(Job.id).where(Job.id.in_(job_ids), Job.status.in_(FINISHED)))
    return {str(r) for r in rows.scalars()}


def release(s: Session, job_id: str, owner: str) -> None:
    """Give a running job back to the queue (a worker stopping on purpose; the attempt does not
    count), or cancel it when a cancel was asked."""
    base = update(Job).where(Job.id == job_id, Job.lease_owner == owner, Job.status == "running")
    s.execute(
        base.where(Job.cancel_requested.is_(True))
        .values(
            status="cancelled",
            error="cancelled while running",
            finished_at=_now(),
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    s.execute(
        base.values(
            status="queued",
            lease_owner=None,
            lease_until=None,
            attempts=Job.attempts - 1,
            progress=0.0,
            message="queued again: its worker stopped",
        ).execution_options(synchronize_session=False)
    )


def recover_expired(s: Session, max_attempts: int = MAX_ATTEMPTS) -> tuple[int, int]:
    """Queue again the running jobs whose lease expired (their worker died), or fail those tried
    ``max_attempts`` times; cancel those whose cancel was asked. Counts (queued, failed)."""
    now = _now()
    expired = update(Job).where(
        Job.status == "running", or_(Job.lease_until.is_(None), Job.lease_until < now)
    )
    common: dict[str, Any] = {"lease_owner": None, "lease_until": None}
    opts = {"synchronize_session": False}
    s.execute(
        expired.where(Job.cancel_requested.is_(True))
        .values(status="cancelled", error="cancelled while running", finished_at=now, **common)
        .execution_options(**opts)
    )
    failed = s.execute(
        expired.where(Job.attempts >= max_attempts)
        .values(
            status="failed",
            error=f"its worker stopped during each of {max_attempts} attempts; not tried again",
            finished_at=now,
            **common,
        )
        .execution_options(**opts)
    )
    queued = s.execute(
        expired.values(
            status="queued", progress=0.0, message="queued again: its worker stopped", **common
        ).execution_options(**opts)
    )
    return _rowcount(queued), _rowcount(failed)


def queued_count(s: Session, team_id: int) -> int:
    """How many jobs a team has waiting."""
    n = s.execute(
        select(func.count()).select_from(Job).where(Job.team_id == team_id, Job.status == "queued")
    ).scalar()
    return int(n or 0)


def request_cancel(s: Session, team_id: int, job_id: str) -> tuple[str, bool] | None:
    """Cancel a team's job: a queued one is cancelled now; a running one is marked, and its
    worker stops it; a finished one is left as it is. (status now, cancel requested), or None
    when the team has no such job."""
    job = s.execute(
        select(Job).where(Job.id == job_id, Job.team_id == team_id)
    ).scalar_one_or_none()
    if job is None:
        return None
    if job.status in FINISHED:
        return job.status, False
    res = s.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(
            status="cancelled",
            cancel_requested=True,
            error="cancelled before it started",
            finished_at=_now(),
        )
        .execution_options(synchronize_session=False)
    )
    if _rowcount(res) == 1:
        return "cancelled", True
    res = s.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(cancel_requested=True)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(res) == 1:
        return "running", True
    s.refresh(job)  # it finished meanwhile
    return job.status, False
