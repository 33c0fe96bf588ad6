"""What every route shares: the store, the caches, the team's catalog and the
bearer-token check (FastAPI dependencies ``Ctx`` and ``Auth``)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from computebroker.catalog import Catalog, shipped_catalog
from computebroker.catalog.catalog import load_catalog_texts
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
    "team_catalog",
    "team_for_token",
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
    token_cache: dict[str, tuple[float, Team]] = field(default_factory=dict)
    plan_cache: dict[tuple[int, str], bytes] = field(default_factory=dict)

    def team_catalog(self, team_id: int) -> Catalog:
        """The shipped catalog with the team's private offers and deals merged over it."""
        return team_catalog(self.store, team_id)


def team_catalog(store: sessionmaker[Session], team_id: int) -> Catalog:
    """The shipped catalog with team ``team_id``'s private offers and deals merged over it."""
    with store() as s:
        texts = [
            (str(o.payload["name"]), str(o.payload["yaml"]))
            for o in s.query(Offer).filter(Offer.team_id == team_id).order_by(Offer.id)
        ]
    return load_catalog_texts(texts) if texts else shipped_catalog()


def context(request: Request) -> ServiceContext:
    """The app's :class:`ServiceContext`."""
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServiceContext, Depends(context)]


_bearer = HTTPBearer(
    auto_error=False, description="A team's API token (computebroker token create)"
)


def team_for_token(ctx: ServiceContext, token: str) -> Team | None:
    """The team of a bearer token (remembered for :data:`TOKEN_CACHE_S`), or None."""
    hit = ctx.token_cache.get(token)
    if hit is not None and time.monotonic() - hit[0] < TOKEN_CACHE_S:
        return hit[1]
    with ctx.store() as s:
        t = repo.team_for_token(s, token)
    if t is None:
        return None
    if len(ctx.token_cache) > 10_000:  # bounded: unknown tokens are never remembered
        ctx.token_cache.clear()
    ctx.token_cache[token] = (time.monotonic(), t)
    return t


def current_team(
    request: Request,
    ctx: Ctx,
    cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Team:
    """The team of the request's bearer token (401 without a valid one). The request guard
    (:mod:`computebroker.service.guard`) has checked it before the body was read."""
    team = request.scope.get("state", {}).get("team")
    if isinstance(team, Team):
        return team
    t = team_for_token(ctx, cred.credentials) if cred is not None else None
    if t is None:
        raise HTTPException(
            401, "missing or unknown bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    return t


Auth = Annotated[Team, Depends(current_team)]
