"""Routes: a team's scenario files, versioned (store, validate, list, read)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from computebroker.errors import InputError
from computebroker.planner import parse_scenario
from computebroker.service.context import Auth, Ctx
from computebroker.service.schemas import (
    ScenarioIn,
    ScenarioInvalid,
    ScenarioOut,
    ScenarioSaved,
    ScenarioValid,
    ScenarioVersion,
)
from computebroker.store import repo

__all__ = ["router"]

router = APIRouter()


@router.post("/v1/scenarios", status_code=201, response_model=ScenarioSaved)
def put_scenario(body: ScenarioIn, t: Auth, ctx: Ctx) -> dict[str, Any]:
    parse_scenario(body.yaml, ctx.team_catalog(t.id), source=body.name)  # 422 with lines
    with ctx.store.begin() as s:
        row = repo.save_scenario(s, t.id, body.name, body.yaml)
        return {"name": row.name, "version": row.version}


@router.post("/v1/scenarios/validate", response_model=ScenarioValid | ScenarioInvalid)
def validate_scenario(body: ScenarioIn, t: Auth, ctx: Ctx) -> dict[str, Any]:
    """Check a scenario without storing it: ``ok`` and, when not, every problem by line and
    field (a check's answer, so 200 either way; storing a bad one is the 422)."""
    try:
        spec = parse_scenario(body.yaml, ctx.team_catalog(t.id), source=body.name)
    except InputError as exc:
        return {
            "ok": False,
            "detail": [
                {"loc": [i.field or ""], "line": i.line, "msg": i.message} for i in exc.issues
            ],
        }
    return {
        "ok": True,
        "offers": len(spec.offers),
        "workloads": len(spec.workloads),
        "periods": spec.horizon.count,
    }


@router.get("/v1/scenarios", response_model=list[ScenarioVersion])
def list_scenarios(t: Auth, ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.store() as s:
        return [
            {"name": r.name, "version": r.version, "created_at": r.created_at.isoformat()}
            for r in repo.list_scenarios(s, t.id)
        ]


@router.get("/v1/scenarios/{name}", response_model=ScenarioOut)
def get_scenario(
    name: str,
    t: Auth,
    ctx: Ctx,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> dict[str, Any]:
    with ctx.store() as s:
        row = repo.get_scenario(s, t.id, name, version)
        if row is None:
            raise HTTPException(
                404, f"no scenario {name!r}" + (f" version {version}" if version else "")
            )
        return {"name": row.name, "version": row.version, "yaml": row.text}
