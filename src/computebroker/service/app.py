"""HTTP API (FastAPI): catalog, scenarios (versioned), plans as background jobs, job status and
cancel, and live placement — every route but health behind a team's bearer token, every query
scoped to that team (another team's rows answer 404).

Long jobs run in a thread pool inside the server; their state lives in the store, so a server
that stops mid-job marks the job failed with the reason when it starts again. Results are
written in one transaction with the job's final state.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from computebroker import __version__
from computebroker.catalog import OfferingQuery, find_offerings, shipped_catalog
from computebroker.errors import ComputeBrokerError, InputError
from computebroker.store import close_store, open_store, repo
from computebroker.store.models import Team

__all__ = ["create_app"]


class ScenarioIn(BaseModel):
    """A scenario file to store (YAML text, validated first)."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$")]
    yaml: Annotated[str, Field(min_length=1, max_length=2_000_000)]


class PlanIn(BaseModel):
    """A plan to compute from a stored scenario."""

    scenario: Annotated[str, Field(min_length=1)]
    version: Annotated[int, Field(ge=1)] | None = None
    scenarios: Annotated[int, Field(ge=1, le=20_000)] | None = None
    seed: Annotated[int, Field(ge=0)] | None = None
    method: Annotated[str, Field(pattern=r"^(auto|extensive|benders)$")] = "auto"


class PlacementJob(BaseModel):
    """A job to place now."""

    id: Annotated[str, Field(min_length=1)]
    job_type: Annotated[str, Field(min_length=1)]
    work: Annotated[float, Field(gt=0)]
    chips: Annotated[int, Field(ge=1)] = 1
    accelerators: list[str] | None = None


class PlacementPool(BaseModel):
    """A pool and its free chips now."""

    name: Annotated[str, Field(min_length=1)]
    accelerator: Annotated[str, Field(min_length=1)]
    free: Annotated[float, Field(ge=0)]
    price_chip_hour: Annotated[float, Field(ge=0)] = 0.0
    contract: str = "on-demand"


class ThroughputRow(BaseModel):
    """Work per chip-hour of a job type on an accelerator."""

    job_type: Annotated[str, Field(min_length=1)]
    accelerator: Annotated[str, Field(min_length=1)]
    work_per_chip_hour: Annotated[float, Field(gt=0)]


class PlacementIn(BaseModel):
    """A live placement request."""

    policy: str = "greedy-fast"
    jobs: Annotated[list[PlacementJob], Field(min_length=1, max_length=10_000)]
    pools: Annotated[list[PlacementPool], Field(min_length=1, max_length=1_000)]
    throughputs: Annotated[list[ThroughputRow], Field(min_length=1)]


def current_team(request: Request) -> Team:
    """The team of the request's bearer token (401 without a valid one)."""
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    token = auth.split(" ", 1)[1].strip()
    cache: dict[str, tuple[float, Team]] = request.app.state.token_cache
    hit = cache.get(token)
    if hit is not None and time.monotonic() - hit[0] < TOKEN_CACHE_S:
        return hit[1]
    store: sessionmaker[Session] = request.app.state.store
    with store() as s:
        t = repo.team_for_token(s, token)
    if t is not None:
        cache[token] = (time.monotonic(), t)
    if t is None:
        raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    return t


Auth = Annotated[Team, Depends(current_team)]

# A token's team is remembered this long (a revoked token stops working within it).
TOKEN_CACHE_S = 10.0
# Finished plans are immutable: their serialised JSON is kept for this many recent reads.
PLAN_CACHE_SIZE = 256


def create_app(db_url: str | None = None, *, workers: int = 1) -> FastAPI:
    """The app on a store at ``db_url`` (default: SQLite in the user's data directory)."""
    store: sessionmaker[Session] = open_store(db_url)
    with store.begin() as s:
        repo.fail_interrupted(s)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cb-job")
    cancelled: set[str] = set()
    lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.shutdown(wait=True, cancel_futures=True)
        close_store(store)

    app = FastAPI(
        title="computebroker",
        version=__version__,
        description="Accelerator compute brokerage: catalog, plans, placement.",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.pool = pool
    app.state.token_cache = {}

    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "detail": [
                    {"loc": [i.field or ""], "line": i.line, "msg": i.message} for i in exc.issues
                ]
            },
        )

    @app.exception_handler(ComputeBrokerError)
    async def _broker_error(_: Request, exc: ComputeBrokerError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": [{"loc": [], "msg": str(exc)}]})

    @app.get("/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/v1/catalog/accelerators")
    def accelerators(_: Auth) -> list[dict[str, Any]]:
        return [
            {
                "id": a.id,
                "vendor": a.vendor,
                "bf16_tflops": a.bf16_tflops,
                "hbm_gib": a.hbm_gib,
                "source": a.source,
            }
            for a in shipped_catalog().accelerators
        ]

    @app.get("/v1/catalog/offerings")
    def offerings(
        _: Auth, accelerator: str | None = None, provider: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        q = OfferingQuery(accelerator=accelerator, cloud=provider)
        rows = find_offerings(shipped_catalog(), q)[: max(1, min(limit, 1000))]
        return [
            {
                "id": r.offering.id,
                "provider": r.offering.cloud,
                "accelerator": r.accelerator.id,
                "price_chip_hour": r.price_chip_hour,
                "source": r.offering.source,
                "as_of": r.offering.as_of,
            }
            for r in rows
        ]

    @app.post("/v1/scenarios", status_code=201)
    def put_scenario(body: ScenarioIn, t: Auth) -> dict[str, Any]:
        from computebroker.planner import parse_scenario

        parse_scenario(
            body.yaml, shipped_catalog(), source=body.name
        )  # 422 with lines on bad input
        with store.begin() as s:
            row = repo.save_scenario(s, t.id, body.name, body.yaml)
            return {"name": row.name, "version": row.version}

    @app.get("/v1/scenarios")
    def list_scenarios(t: Auth) -> list[dict[str, Any]]:
        with store() as s:
            return [
                {"name": r.name, "version": r.version, "created_at": r.created_at.isoformat()}
                for r in repo.list_scenarios(s, t.id)
            ]

    @app.get("/v1/scenarios/{name}")
    def get_scenario(name: str, t: Auth, version: int | None = None) -> dict[str, Any]:
        with store() as s:
            row = repo.get_scenario(s, t.id, name, version)
            if row is None:
                raise HTTPException(
                    404, f"no scenario {name!r}" + (f" version {version}" if version else "")
                )
            return {"name": row.name, "version": row.version, "yaml": row.text}

    def run_plan(job_id: str, team_id: int, body: PlanIn) -> None:
        from computebroker.planner import (
            PlanOptions,
            metrics,
            parse_scenario,
            prepare_problem,
            solve_plan,
        )
        from computebroker.planner.document import plan_document

        def state(**kw: Any) -> None:
            with store.begin() as s:
                repo.set_job(s, job_id, **kw)

        try:
            state(
                status="running", started_at=dt.datetime.now(dt.UTC), message="pricing and sampling"
            )
            with store() as s:
                sc = repo.get_scenario(s, team_id, body.scenario, body.version)
                assert sc is not None
                text, name = sc.text, sc.name
            cat = shipped_catalog()
            spec = parse_scenario(text, cat, source=name)
            problem = prepare_problem(spec, cat, count=body.scenarios, seed=body.seed)
            if job_id in cancelled:
                raise RuntimeError("cancelled")
            state(progress=0.3, message="solving")
            res = solve_plan(problem, PlanOptions(method=body.method))
            doc = plan_document(res, metrics(res.plan) if res.plan else None)
            if job_id in cancelled:
                raise RuntimeError("cancelled")
            status = "done" if res.plan is not None else "failed"
            state(
                status=status,
                progress=1.0,
                message=res.termination,
                result=doc,
                error=None if res.plan else "; ".join(res.explanation),
                finished_at=dt.datetime.now(dt.UTC),
            )
        except Exception as exc:  # the job fails with the reason; the server keeps serving
            state(
                status="cancelled" if str(exc) == "cancelled" else "failed",
                error=str(exc),
                finished_at=dt.datetime.now(dt.UTC),
            )

    @app.post("/v1/plans", status_code=202)
    def submit_plan(body: PlanIn, t: Auth) -> dict[str, Any]:
        with store.begin() as s:
            if repo.get_scenario(s, t.id, body.scenario, body.version) is None:
                raise HTTPException(404, f"no scenario {body.scenario!r}")
            job = repo.create_job(s, t.id, "plan", body.model_dump())
            job_id = job.id
        pool.submit(run_plan, job_id, t.id, body)
        return {"id": job_id, "status": "queued"}

    def _job(t: Team, job_id: str) -> dict[str, Any]:
        with store() as s:
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

    @app.get("/v1/jobs/{job_id}")
    def get_job(job_id: str, t: Auth) -> dict[str, Any]:
        d = _job(t, job_id)
        d.pop("result")
        return d

    plan_cache: dict[tuple[int, str], bytes] = {}

    @app.get("/v1/plans/{job_id}", response_class=Response)
    def get_plan(job_id: str, t: Auth) -> Response:
        body = plan_cache.get((t.id, job_id))
        if body is None:
            d = _job(t, job_id)
            if d["status"] != "done":
                raise HTTPException(
                    409, f"the plan is {d['status']}" + (f": {d['error']}" if d["error"] else "")
                )
            body = json.dumps(d["result"], separators=(",", ":")).encode()
            if len(plan_cache) >= PLAN_CACHE_SIZE:
                plan_cache.pop(next(iter(plan_cache)))
            plan_cache[(t.id, job_id)] = body
        return Response(content=body, media_type="application/json")

    @app.post("/v1/jobs/{job_id}/cancel")
    def cancel(job_id: str, t: Auth) -> dict[str, Any]:
        d = _job(t, job_id)
        with lock:
            cancelled.add(job_id)
        return {"id": job_id, "status": d["status"], "cancel_requested": True}

    @app.post("/v1/placements")
    def placements(body: PlacementIn, _: Auth) -> list[dict[str, Any]]:
        from computebroker.scheduler import PoolView, SimJob, ThroughputTable
        from computebroker.scheduler.live import place

        table = ThroughputTable.from_per_chip_hour(
            {(r.job_type, r.accelerator): r.work_per_chip_hour for r in body.throughputs}
        )
        jobs = [
            SimJob(
                id=j.id,
                job_type=j.job_type,
                arrival=0.0,
                work=j.work,
                chips=j.chips,
                allowed=frozenset(a.lower() for a in j.accelerators) if j.accelerators else None,
                index=i,
            )
            for i, j in enumerate(body.jobs)
        ]
        pools = [
            PoolView(
                name=p.name,
                accelerator=p.accelerator.lower(),
                price_chip_hour=p.price_chip_hour,
                contract=p.contract,
            )
            for p in body.pools
        ]
        decisions = place(jobs, pools, [p.free for p in body.pools], table, body.policy)
        return [
            {
                "job": d.job,
                "pool": d.pool,
                "chips": d.chips,
                "share": d.share,
                "work_per_second": d.rate,
            }
            for d in decisions
        ]

    return app
