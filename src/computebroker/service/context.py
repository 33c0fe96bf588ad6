"""What every route shares: the store, the job runner, the caches, the team's catalog and the
bearer-token check (FastAPI dependencies ``Ctx`` and ``Auth``)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from computebroker.catalog import Catalog, shipped_catalog
from computebroker.catalog.catalog import load_catalog_texts
from computebroker.service.jobs import JobRunner
from computebroker.store import repo
from computebroker.store.models import Offer, Team

__all__ = [
    "PLAN_CACHE_SIZE",
    "TOKEN_CACHE_S",
    "Auth",
    "Ctx",
    "ServiceContext",
    "current_team",
    "now",
]

# A token's team is remembered this long (a revoked token stops working within it).
TOKEN_CACHE_S = 10.0
# Finished plans are immutable: their serialised JSON is kept for this many recent reads.
PLAN_CACHE_SIZE = 256


def now() -> dt.datetime:
    """The time stamps of job states (UTC)."""
    return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class ServiceContext:
    """The app's state."""

    store: sessionmaker[Session]
    runner: JobRunner
    token_cache: dict[str, tuple[float, Team]] = field(default_factory=dict)
    plan_cache: dict[tuple[int, str], bytes] = field(default_factory=dict)

    def team_catalog(self, team_id: int) -> Catalog:
        """The shipped catalog with the team's private offers and deals merged over it."""
        with self.store() as s:
            texts = [
                (str(o.payload["name"]), str(o.payload["yaml"]))
                for o in s.query(Offer).filter(Offer.team_id == team_id).order_by(Offer.id)
            ]
        return load_catalog_texts(texts) if texts else shipped_catalog()

    def set_job(self, job_id: str, **fields: Any) -> None:
        """Update a job's row in its own transaction."""
        with self.store.begin() as s:
            repo.set_job(s, job_id, **fields)


def context(request: Request) -> ServiceContext:
    """The app's :class:`ServiceContext`."""
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServiceContext, Depends(context)]


def current_team(request: Request, ctx: Ctx) -> Team:
    """The team of the request's bearer token (401 without a valid one)."""
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    token = auth.split(" ", 1)[1].strip()
    hit = ctx.token_cache.get(token)
    if hit is not None and time.monotonic() - hit[0] < TOKEN_CACHE_S:
        return hit[1]
    with ctx.store() as s:
        t = repo.team_for_token(s, token)
    if t is None:
        raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    ctx.token_cache[token] = (time.monotonic(), t)
    return t


Auth = Annotated[Team, Depends(current_team)]
