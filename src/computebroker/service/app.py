"""HTTP API (FastAPI): catalog, scenarios (versioned), plans and simulations as background jobs,
job status and cancel, and live placement — every route but health behind a team's bearer
token, every query scoped to that team (another team's rows answer 404).

The routes live one module per resource in :mod:`computebroker.service.routes`, their bodies
in :mod:`computebroker.service.schemas`; what they share (store, job runner, caches, the team's
catalog, the token check) in :mod:`computebroker.service.context`. A plan job runs the same plan
workflow as ``computebroker plan`` and ``run`` (:func:`computebroker.workflow.plan_run`).

Long jobs run in a thread pool inside the server (:mod:`computebroker.service.jobs`); their
state lives in the store, so a server that stops mid-job marks the job failed with the reason
when it starts again. Results are written in one transaction with the job's final state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from computebroker import __version__
from computebroker.errors import ComputeBrokerError, InputError
from computebroker.service.context import ServiceContext
from computebroker.service.jobs import JobRunner
from computebroker.service.routes import ROUTERS
from computebroker.service.web import mount_dashboard
from computebroker.store import close_store, open_store, repo

__all__ = ["create_app"]


async def _input_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return JSONResponse(
        status_code=422,
        content={
            "detail": [
                {"loc": [i.field or ""], "line": i.line, "msg": i.message} for i in exc.issues
            ]
        },
    )


async def _broker_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ComputeBrokerError)
    # 422 for requests that cannot be met; 5xx for the server's own (solver) failures
    return JSONResponse(
        status_code=exc.http_status, content={"detail": [{"loc": [], "msg": str(exc)}]}
    )


def create_app(db_url: str | None = None, *, workers: int = 1) -> FastAPI:
    """The app on a store at ``db_url`` (default: SQLite in the user's data directory)."""
    store = open_store(db_url)
    with store.begin() as s:
        repo.fail_interrupted(s)
    ctx = ServiceContext(store=store, runner=JobRunner(workers))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.runner.shutdown()
        close_store(store)

    app = FastAPI(
        title="computebroker",
        version=__version__,
        description="Accelerator compute brokerage: catalog, plans, placement.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(ComputeBrokerError, _broker_error)

    @app.get("/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    for router in ROUTERS:
        app.include_router(router)
    mount_dashboard(app)
    return app
