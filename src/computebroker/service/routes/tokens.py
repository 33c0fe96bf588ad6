"""Routes: the caller's team's API tokens — list (never the secrets), issue (the secret shown
once, optionally expiring), revoke by prefix (running servers stop accepting it within
``TOKEN_CACHE_S``; this server at once)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from computebroker.service.context import Auth, Ctx
from computebroker.service.schemas import TokenIn, TokenIssued, TokenOut
from computebroker.store import repo
from computebroker.store.models import ApiToken

__all__ = ["router"]

router = APIRouter()


def _out(t: ApiToken) -> TokenOut:
    return TokenOut(
        prefix=t.prefix,
        name=t.name,
        created_at=t.created_at.isoformat(),
        expires_at=t.expires_at.isoformat() if t.expires_at else None,
        revoked=t.revoked,
    )


@router.get("/v1/tokens", response_model=list[TokenOut])
def list_tokens(t: Auth, ctx: Ctx) -> list[TokenOut]:
    """The team's tokens, oldest first."""
    with ctx.store() as s:
        return [_out(x) for x in repo.list_tokens(s, t.id)]


@router.post("/v1/tokens", status_code=201, response_model=TokenIssued)
def issue_token(body: TokenIn, t: Auth, ctx: Ctx) -> TokenIssued:
    """A new token for the team (the secret is in this answer only)."""
    expires = (
        dt.datetime.now(dt.UTC) + dt.timedelta(days=body.expires_in_days)
        if body.expires_in_days
        else None
    )
    with ctx.store.begin() as s:
        token = repo.issue_token(s, t, name=body.name, expires_at=expires)
        row = next(x for x in repo.list_tokens(s, t.id) if x.prefix == token[:12])
        return TokenIssued(token=token, **_out(row).model_dump())


@router.delete("/v1/tokens/{prefix}", response_model=TokenOut)
def revoke_token(
    prefix: Annotated[str, Path(pattern=r"^cb_[A-Za-z0-9_\-]{1,13}$")], t: Auth, ctx: Ctx
) -> TokenOut:
    """Revoke the team's token with this prefix."""
    with ctx.store.begin() as s:
        if repo.revoke_token(s, t.id, prefix) == 0:
            raise HTTPException(404, f"no active token {prefix!r}")
        row = next(x for x in repo.list_tokens(s, t.id) if x.prefix == prefix)
        out = _out(row)
    ctx.token_cache.clear()
    return out
