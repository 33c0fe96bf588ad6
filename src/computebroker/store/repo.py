"""Team-scoped reads and writes: every function that touches a team's data takes the team's
id and filters by it, so one team can never read or change another's rows (a row of another
team is simply "not found")."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, defer

from computebroker.store.models import ApiToken, Job, Report, Scenario, Team

__all__ = [
    "create_job",
    "create_team",
    "get_job",
    "get_job_any_team",
    "get_report",
    "get_scenario",
    "issue_token",
    "list_jobs",
    "list_scenarios",
    "list_tokens",
    "revoke_token",
    "save_report",
    "save_scenario",
    "set_job",
    "team_for_token",
]

TOKEN_PREFIX = "cb_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_team(s: Session, name: str) -> Team:
    """A new team (names are unique)."""
    team = Team(name=name)
    s.add(team)
    s.flush()
    return team


def issue_token(
    s: Session, team: Team, *, name: str = "", expires_at: dt.datetime | None = None
) -> str:
    """A new API token for ``team``; only its digest is stored — the plaintext is returned once.
    Its first 12 characters (its prefix) name it in lists and revocations."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    s.add(
        ApiToken(
            team_id=team.id,
            prefix=token[:12],
            digest=_digest(token),
            name=name,
            expires_at=expires_at,
        )
    )
    s.flush()
    return token


def team_for_token(s: Session, token: str) -> Team | None:
    """The team a token belongs to (None when unknown, revoked or expired)."""
    row = s.execute(
        select(Team)
        .join(ApiToken, ApiToken.team_id == Team.id)
        .where(
            ApiToken.digest == _digest(token),
            ApiToken.revoked.is_(False),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > dt.datetime.now(dt.UTC)),
        )
    ).scalar_one_or_none()
    return row


def list_tokens(s: Session, team_id: int) -> list[ApiToken]:
    """A team's tokens (digests only), oldest first."""
    return list(
        s.execute(
            select(ApiToken).where(ApiToken.team_id == team_id).order_by(ApiToken.id)
        ).scalars()
    )


def revoke_token(s: Session, team_id: int, prefix: str) -> int:
    """Revoke the team's tokens whose prefix is ``prefix``; how many were revoked."""
    res = s.execute(
        update(ApiToken)
        .where(
            ApiToken.team_id == team_id,
            ApiToken.prefix == prefix,
            ApiToken.revoked.is_(False),
        )
        .values(revoked=True)
    )
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def save_scenario(s: Session, team_id: int, name: str, text: str) -> Scenario:
    """Store a new version of a scenario (1, 2, ... per team and name)."""
    last = s.execute(
        select(func.max(Scenario.version)).where(Scenario.team_id == team_id, Scenario.name == name)
    ).scalar()
    row = Scenario(team_id=team_id, name=name, version=(last or 0) + 1, text=text)
    s.add(row)
    s.flush()
    return row


def get_scenario(
    s: Session, team_id: int, name: str, version: int | None = None
) -> Scenario | None:
    """A version (default: the newest) of a team's scenario."""
    q = select(Scenario).where(Scenario.team_id == team_id, Scenario.name == name)
    q = (
        q.where(Scenario.version == version)
        if version is not None
        else q.order_by(Scenario.version.desc()).limit(1)
    )
    return s.execute(q).scalar_one_or_none()


def list_scenarios(s: Session, team_id: int) -> list[Scenario]:
    """Every version of every scenario of a team."""
    return list(
        s.execute(
            select(Scenario)
            .where(Scenario.team_id == team_id)
            .order_by(Scenario.name, Scenario.version)
        ).scalars()
    )


def create_job(s: Session, team_id: int, kind: str, params: dict[str, Any]) -> Job:
    """A queued job."""
    job = Job(
        id=str(uuid.uuid4()),
        team_id=team_id,
        kind=kind,
        status="queued",
        progress=0.0,
        message="",
        params=params,
    )
    s.add(job)
    s.flush()
    return job


def get_job(s: Session, team_id: int, job_id: str, *, with_result: bool = True) -> Job | None:
    """A team's job (another team's is not found); without ``with_result`` its result (a whole
    plan document) is not read, and reading ``job.result`` would load it then."""
    q = select(Job).where(Job.id == job_id, Job.team_id == team_id)
    if not with_result:
        q = q.options(defer(Job.result))
    return s.execute(q).scalar_one_or_none()


def get_job_any_team(s: Session, job_id: str) -> Job | None:
    """A job by id, whichever team's (for the worker running it; never for a request)."""
    return s.get(Job, job_id)


def list_jobs(
    s: Session, team_id: int, kind: str | None = None, limit: int | None = None
) -> list[Job]:
    """A team's jobs, newest first (at most ``limit``), without their results (a list never
    needs them, and each may be a whole plan document)."""
    q = select(Job).where(Job.team_id == team_id).options(defer(Job.result))
    if kind:
        q = q.where(Job.kind == kind)
    q = q.order_by(Job.created_at.desc(), Job.id)
    return list(s.execute(q if limit is None else q.limit(limit)).scalars())


def set_job(s: Session, job_id: str, **fields: Any) -> None:
    """Update a job's state (status, progress, message, result, error, timestamps)."""
    s.execute(update(Job).where(Job.id == job_id).values(**fields))


def save_report(s: Session, job_id: str, html: str) -> None:
    """Keep a job's HTML report (in the transaction that finishes the job)."""
    s.merge(Report(job_id=job_id, html=html))


def get_report(s: Session, team_id: int, job_id: str) -> str | None:
    """A team's job report (another team's is not found)."""
    row = s.execute(
        select(Report.html)
        .join(Job, Job.id == Report.job_id)
        .where(Job.id == job_id, Job.team_id == team_id)
    ).scalar_one_or_none()
    return row
