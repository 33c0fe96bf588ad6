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

from fastapi import Depends, FastAPI, HTTPException, Query, Request
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
    version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    scenarios: Annotated[int, Field(ge=1, le=20_000)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    method: Annotated[str, Field(pattern=r"^(auto|extensive|benders)$")] = "auto"
    frontier: bool = True  # cost vs risk over five risk weights, in the document and the report


class OffersIn(BaseModel):
    """A team's private offerings and deals: a user catalog file (docs/catalog.md) as YAML."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$")]
    yaml: Annotated[str, Field(min_length=1, max_length=2_000_000)]


class MatrixIn(BaseModel):
    """Workload classes (the ``workloads:`` YAML of docs/estimate.md) to price on chips."""

    yaml: Annotated[str, Field(min_length=1, max_length=500_000)]
    accelerators: Annotated[list[str], Field(min_length=1, max_length=64)]


class SimulationIn(BaseModel):
    """A simulation: a fleet (inline, or the fleet of a finished plan job), a trace (Gavel's
    shipped traces or generated jobs), a policy."""

    fleet: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    plan_job: str | None = None
    trace: Annotated[str, Field(pattern=r"^gavel:(max_min_fairness|minimize_makespan)$")] | None = (
        None
    )
    generate: Annotated[int, Field(ge=1, le=100_000)] | None = None
    arrival_rate: Annotated[float, Field(gt=0, le=1e6)] = 2.0
    policy: str = "max-min-fairness"
    throughputs: Annotated[str, Field(pattern=r"^gavel$")] | None = None
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    stress: bool = True  # with a plan_job: also run each named fault and report its effect


class PlacementJob(BaseModel):
    """A job to place now."""

    id: Annotated[str, Field(min_length=1)]
    job_type: Annotated[str, Field(min_length=1)]
    work: Annotated[float, Field(gt=0)]
    chips: Annotated[int, Field(ge=1, le=10_000_000)] = 1
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


def _fault_effects(
    plan_doc: dict[str, Any], trace: Any, table: Any, body: SimulationIn, base: Any
) -> list[dict[str, Any]]:
    """The planned fleet under each named stress case of ``run`` (``pipeline.stress_cases``),
    against the same jobs as planned."""
    import copy

    from computebroker.pipeline import stress_cases
    from computebroker.sim import SimConfig, report, simulate
    from computebroker.sim.fleet import fleet_from_plan_doc

    cases = stress_cases(
        fleet_from_plan_doc(plan_doc, "plan job"),
        plan_doc["metrics"]["vendor_shares"],
        float(plan_doc["horizon"]["hours_per_period"]),
        plan_doc["horizon"]["periods"],
    )
    rows = []
    for name, faults in [("as planned", []), *((n, f) for n, _, f in cases)]:
        rep = (
            base
            if not faults
            else report(
                simulate(
                    fleet_from_plan_doc(plan_doc, "plan job"),
                    copy.deepcopy(trace),
                    table,
                    faults=faults,
                    config=SimConfig(policy=body.policy, seed=body.seed),
                )
            )
        )
        rows.append(
            {
                "case": name,
                "avg JCT h": (rep.avg_jct_s or 0) / 3600,
                "p99 JCT h": (rep.p99_jct_s or 0) / 3600,
                "utilisation": rep.utilisation,
                "chip-hours lost": rep.chip_hours_lost,
                "unfinished jobs": rep.unfinished,
                "cost USD": rep.cost_usd,
            }
        )
    return rows


def create_app(db_url: str | None = None, *, workers: int = 1) -> FastAPI:
    """The app on a store at ``db_url`` (default: SQLite in the user's data directory)."""
    store: sessionmaker[Session] = open_store(db_url)
    with store.begin() as s:
        repo.fail_interrupted(s)
    jobs: dict[str, ThreadPoolExecutor] = {}

    def submit(fn: Any, *args: Any) -> None:
        """Run a job in the worker pool (started on first use, again after a shutdown)."""
        with lock:
            if "pool" not in jobs:
                jobs["pool"] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cb-job")
            jobs["pool"].submit(fn, *args)

    cancelled: set[str] = set()
    lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        with lock:
            running = jobs.pop("pool", None)
        if running is not None:
            running.shutdown(wait=True, cancel_futures=True)
        close_store(store)

    app = FastAPI(
        title="computebroker",
        version=__version__,
        description="Accelerator compute brokerage: catalog, plans, placement.",
        lifespan=lifespan,
    )
    app.state.store = store
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
        # 422 for requests that cannot be met; 5xx for the server's own (solver) failures
        return JSONResponse(
            status_code=exc.http_status, content={"detail": [{"loc": [], "msg": str(exc)}]}
        )

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
        _: Auth,
        accelerator: str | None = None,
        provider: str | None = None,
        region: Annotated[str | None, Query(max_length=100)] = None,
        contract: Annotated[str, Query(pattern=r"^(on-demand|spot)$")] = "on-demand",
        sort: Annotated[str, Query(pattern=r"^(price|price-per-pflop)$")] = "price",
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    ) -> list[dict[str, Any]]:
        from computebroker.catalog import SortKey

        q = OfferingQuery(
            accelerator=accelerator,
            cloud=provider,
            region=region,
            spot=contract == "spot",
            sort=SortKey(sort),
        )
        rows = find_offerings(shipped_catalog(), q)[: max(1, min(limit, 1000))]
        return [
            {
                "id": r.offering.id,
                "provider": r.offering.cloud,
                "region": r.offering.region,
                "accelerator": r.accelerator.id,
                "contract": contract,
                "price_chip_hour": r.spot_price_chip_hour
                if contract == "spot"
                else r.price_chip_hour,
                "price_pflop_hour": r.spot_price_pflop_hour
                if contract == "spot"
                else r.price_pflop_hour,
                "source": r.offering.source,
                "as_of": r.offering.as_of,
            }
            for r in rows
        ]

    @app.post("/v1/scenarios", status_code=201)
    def put_scenario(body: ScenarioIn, t: Auth) -> dict[str, Any]:
        from computebroker.planner import parse_scenario

        parse_scenario(
            body.yaml, team_catalog(t.id), source=body.name
        )  # 422 with lines on bad input
        with store.begin() as s:
            row = repo.save_scenario(s, t.id, body.name, body.yaml)
            return {"name": row.name, "version": row.version}

    def team_catalog(team_id: int) -> Any:
        """The shipped catalog with the team's private offers and deals merged over it."""
        import tempfile
        from pathlib import Path

        from computebroker.catalog import load_catalog
        from computebroker.store.models import Offer

        with store() as s:
            texts = [
                (o.payload["name"], o.payload["yaml"])
                for o in s.query(Offer).filter(Offer.team_id == team_id).order_by(Offer.id)
            ]
        if not texts:
            return shipped_catalog()
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name, text in texts:
                path = Path(d) / f"{name}.yaml"
                path.write_text(text, encoding="utf-8")
                paths.append(path)
            return load_catalog(paths)

    @app.post("/v1/offers", status_code=201)
    def put_offers(body: OffersIn, t: Auth) -> dict[str, Any]:
        import tempfile
        from pathlib import Path

        from computebroker.catalog import load_catalog
        from computebroker.store.models import Offer

        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"{body.name}.yaml"
            path.write_text(body.yaml, encoding="utf-8")
            cat = load_catalog([path])  # 422 with the line on bad rows
        with store.begin() as s:
            s.add(Offer(team_id=t.id, payload={"name": body.name, "yaml": body.yaml}))
        return {
            "name": body.name,
            "offerings": len(cat.offerings) - len(shipped_catalog().offerings),
            "deals": len(cat.deals),
        }

    @app.get("/v1/offers")
    def list_offers(t: Auth) -> list[dict[str, Any]]:
        from computebroker.store.models import Offer

        with store() as s:
            return [
                {"name": o.payload["name"], "created_at": o.created_at.isoformat()}
                for o in s.query(Offer).filter(Offer.team_id == t.id).order_by(Offer.id)
            ]

    @app.get("/v1/models")
    def models(_: Auth) -> list[str]:
        """The model presets the performance model knows."""
        from computebroker.perf.presets import model_names

        return model_names()

    @app.get("/v1/estimate/train")
    def estimate_train(
        _: Auth,
        model: Annotated[str, Query(min_length=1, max_length=100)],
        tokens: Annotated[float, Query(gt=0, le=1e17)] = 1e12,
        chips: Annotated[int, Query(ge=1, le=1_000_000)] = 1024,
    ) -> list[dict[str, Any]]:
        """Every chip's best layout, time to train and cost for ``tokens`` of ``model``."""
        from computebroker.perf.estimate import TrainingRequest, estimate_training
        from computebroker.perf.presets import get_model
        from computebroker.reports.perf import training_report_record

        reports = estimate_training(
            shipped_catalog(),
            TrainingRequest(model=get_model(model), accelerator="all", chips=chips, tokens=tokens),
        )
        rows = [training_report_record(r) for r in reports]
        return sorted(
            rows,
            key=lambda r: (not r.get("feasible"), r.get("usd_per_million_tokens") or float("inf")),
        )

    @app.post("/v1/matrices")
    def matrix(body: MatrixIn, _: Auth) -> list[dict[str, Any]]:
        """The throughput matrix (work per chip-hour) of the workload classes on the chips."""
        from computebroker.inputs import parse_yaml_text
        from computebroker.perf.matrix import matrix_records, throughput_matrix
        from computebroker.perf.workloads import parse_workload_entries

        doc = parse_yaml_text(body.yaml, "workloads")
        if not isinstance(doc.data, dict) or not isinstance(doc.data.get("workloads"), list):
            raise InputError.single("workloads", "expected a top-level 'workloads:' list", line=1)
        classes = [
            e.to_domain()
            for e in parse_workload_entries(doc, doc.data["workloads"], ("workloads",))
        ]
        cat = shipped_catalog()
        accs = [cat.accelerator(a).id for a in body.accelerators]
        return matrix_records(throughput_matrix(classes, cat, accs))

    @app.post("/v1/scenarios/validate")
    def validate_scenario(body: ScenarioIn, t: Auth) -> dict[str, Any]:
        """Check a scenario without storing it: ``ok`` and, when not, every problem by line and
        field (a check's answer, so 200 either way; storing a bad one is the 422)."""
        from computebroker.planner import parse_scenario

        try:
            spec = parse_scenario(body.yaml, team_catalog(t.id), source=body.name)
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

    @app.get("/v1/scenarios")
    def list_scenarios(t: Auth) -> list[dict[str, Any]]:
        with store() as s:
            return [
                {"name": r.name, "version": r.version, "created_at": r.created_at.isoformat()}
                for r in repo.list_scenarios(s, t.id)
            ]

    @app.get("/v1/scenarios/{name}")
    def get_scenario(
        name: str, t: Auth, version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
    ) -> dict[str, Any]:
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
            cat = team_catalog(team_id)
            spec = parse_scenario(text, cat, source=name)
            problem = prepare_problem(spec, cat, count=body.scenarios, seed=body.seed)
            if job_id in cancelled:
                raise RuntimeError("cancelled")
            state(progress=0.3, message="solving")
            res = solve_plan(problem, PlanOptions(method=body.method))
            points = None
            if body.frontier and res.plan is not None:
                from computebroker.planner import FrontierAxis, frontier

                state(progress=0.7, message="frontier")
                points = frontier(
                    problem,
                    FrontierAxis.RISK,
                    [0.0, 0.1, 0.3, 1.0, 3.0],
                    PlanOptions(method=body.method),
                )
            doc = plan_document(res, metrics(res.plan) if res.plan else None, frontier=points)
            if job_id in cancelled:
                raise RuntimeError("cancelled")
            status = "done" if res.plan is not None else "failed"
            html = None
            if res.plan is not None:
                from computebroker.reports.html import HtmlReport
                from computebroker.reports.plan_figures import add_plan_sections

                page = HtmlReport(
                    title=f"computebroker plan: {spec.name}", subtitle=spec.description
                )
                add_plan_sections(page, res.plan, metrics(res.plan), frontier=points)
                html = page.render()
            with (
                store.begin() as s
            ):  # the result, the report and the final state in one transaction
                repo.set_job(
                    s,
                    job_id,
                    status=status,
                    progress=1.0,
                    message=res.termination,
                    result=doc,
                    error=None if res.plan else "; ".join(res.explanation),
                    finished_at=dt.datetime.now(dt.UTC),
                )
                if html is not None:
                    repo.save_report(s, job_id, html)
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
        submit(run_plan, job_id, t.id, body)
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

    def run_simulation(job_id: str, team_id: int, body: SimulationIn) -> None:
        from computebroker.reports.html import HtmlReport
        from computebroker.reports.sim import add_sim_sections
        from computebroker.sim import (
            SimConfig,
            generate_trace,
            parse_inline_fleet,
            report,
            simulate,
            table_from_rows,
        )
        from computebroker.sim.fleet import fleet_from_plan_doc
        from computebroker.sim.gavel import gavel_throughputs, gavel_trace

        try:
            with store.begin() as s:
                repo.set_job(
                    s,
                    job_id,
                    status="running",
                    started_at=dt.datetime.now(dt.UTC),
                    message="simulating",
                )
                plan_doc = None
                if body.plan_job:
                    pj = repo.get_job(s, team_id, body.plan_job)
                    if pj is None or pj.status != "done" or pj.kind != "plan":
                        raise InputError.single(
                            "plan_job", f"no finished plan job {body.plan_job!r}", field="plan_job"
                        )
                    plan_doc = pj.result
            fleet = (
                fleet_from_plan_doc(plan_doc, "plan job")
                if plan_doc is not None
                else parse_inline_fleet(body.fleet or "", shipped_catalog())
            )
            if body.throughputs == "gavel":
                table = gavel_throughputs()
            elif fleet.throughput_rows:
                table = table_from_rows(fleet.throughput_rows, "plan job")
            else:
                raise InputError.single(
                    "throughputs",
                    "give throughputs: gavel, or a plan_job (which carries its matrix)",
                    field="throughputs",
                )
            if body.trace:
                trace = gavel_trace(body.trace.split(":", 1)[1])
            else:
                types = sorted(table.job_types())
                accs = sorted(table.accelerators())
                trace = generate_trace(
                    body.generate or 100,
                    rate_per_hour=body.arrival_rate,
                    job_types=types,
                    reference_rate=lambda jt, c: max(
                        (table.lookup(jt, a, c) for a in accs), default=0.0
                    ),
                    seed=body.seed,
                )
            import copy

            # the trace stays pristine: each fault case runs the same jobs from the start
            st = simulate(
                fleet,
                copy.deepcopy(trace),
                table,
                config=SimConfig(policy=body.policy, seed=body.seed),
            )
            rep = report(st)
            page = HtmlReport(
                title=f"computebroker simulate: {rep.policy}",
                subtitle=f"{len(trace.jobs):,} jobs on {fleet.describe()}",
            )
            add_sim_sections(page, st, rep)
            result = json.loads(json.dumps(rep.record(), default=str))
            if body.stress and plan_doc is not None:
                effects = _fault_effects(plan_doc, trace, table, body, rep)
                result["fault_effects"] = effects
                page.section("Simulation: the effect of each fault", "sim-faults").table(effects)
            with store.begin() as s:
                repo.set_job(
                    s,
                    job_id,
                    status="done",
                    progress=1.0,
                    message="",
                    result=result,
                    finished_at=dt.datetime.now(dt.UTC),
                )
                repo.save_report(s, job_id, page.render())
        except Exception as exc:  # the job fails with the reason; the server keeps serving
            msg = "; ".join(str(i) for i in exc.issues) if isinstance(exc, InputError) else str(exc)
            with store.begin() as s:
                repo.set_job(
                    s, job_id, status="failed", error=msg, finished_at=dt.datetime.now(dt.UTC)
                )

    @app.post("/v1/simulations", status_code=202)
    def submit_simulation(body: SimulationIn, t: Auth) -> dict[str, Any]:
        from computebroker.scheduler import get_policy

        get_policy(body.policy)  # 422 with "did you mean" before anything is queued
        if (body.fleet is None) == (body.plan_job is None):
            raise InputError.single(
                "body", "give either fleet (inline, e.g. v100=8,p100=16) or plan_job", field="fleet"
            )
        if body.fleet is not None:
            from computebroker.sim import parse_inline_fleet

            parse_inline_fleet(body.fleet)
        with store.begin() as s:
            job_id = repo.create_job(s, t.id, "simulate", body.model_dump()).id
        submit(run_simulation, job_id, t.id, body)
        return {"id": job_id, "status": "queued"}

    @app.get("/v1/simulations/{job_id}")
    def get_simulation(job_id: str, t: Auth) -> dict[str, Any]:
        d = _job(t, job_id)
        if d["kind"] != "simulate":
            raise HTTPException(404, f"no simulation {job_id!r}")
        if d["status"] != "done":
            raise HTTPException(
                409, f"the simulation is {d['status']}" + (f": {d['error']}" if d["error"] else "")
            )
        result: dict[str, Any] = d["result"]
        return result

    @app.get("/v1/reports/{job_id}.html", response_class=Response)
    def report_html(job_id: str, t: Auth) -> Response:
        with store() as s:
            html = repo.get_report(s, t.id, job_id)
        if html is None:
            raise HTTPException(
                404, f"no report for {job_id!r} (not yours, not finished, or failed)"
            )
        return Response(content=html, media_type="text/html")

    @app.get("/v1/reports/{job_id}.json")
    def report_json(job_id: str, t: Auth) -> dict[str, Any]:
        d = _job(t, job_id)
        if d["status"] != "done":
            raise HTTPException(409, f"the job is {d['status']}")
        result: dict[str, Any] = d["result"]
        return result

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

    from computebroker.service.web import mount_dashboard

    mount_dashboard(app)
    return app
