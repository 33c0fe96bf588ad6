"""HTTP API (FastAPI): catalog, scenarios (versioned), plans and simulations as background jobs,
job status and cancel, and live placement — every route but health behind a team's bearer
token, every query scoped to that team (another team's rows answer 404).

The routes live one module per resource in :mod:`computebroker.service.routes`, their bodies
and answers in :mod:`computebroker.service.schemas`; what they share (store, caches, the team's
catalog, the token check) in :mod:`computebroker.service.context`. Every request passes the
request guard first (:mod:`computebroker.service.guard`: request id, token before body, size
limits, faults as 500s with the id). A plan job runs the same plan workflow as
``computebroker plan`` and ``run`` (:func:`computebroker.workflow.plan_run`).

Jobs never run in this process: the routes queue them in the store and worker processes
(:mod:`computebroker.service.worker`) claim and run them; the app starts ``workers`` of them
and starts again any that dies (``workers=0``: run ``computebroker worker`` yourself).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from computebroker import __version__
from computebroker.errors import ComputeBrokerError, InputError
from computebroker.service.context import ServiceContext, team_for_token
from computebroker.service.docs_page import docs_page
from computebroker.service.guard import RequestGuard
from computebroker.service.routes import ROUTERS
from computebroker.service.schemas import Health
from computebroker.service.supervisor import Supervisor
from computebroker.service.web import mount_dashboard
from computebroker.service.worker import WorkerConfig
from computebroker.store import close_store, open_store, queue

__all__ = ["create_app"]

log = logging.getLogger("computebroker.service")


async def _input_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return JSONResponse(
        status_code=422,
        content={
            "detail": [
                {"loc": [i.field or ""], "line": i.line, "msg": i.message, "type": "input_error"}
                for i in exc.issues
            ]
        },
    )


def _safe(value: object) -> str | int:
    if isinstance(value, int):
        return value
    return str(value).encode("utf-8", "replace").decode("utf-8")[:200]


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 naming each field, without echoing the input (which may be NaN, a lone surrogate or
    a megabyte of text)."""
    assert isinstance(exc, RequestValidationError)
    detail = [
        {
            "loc": [_safe(p) for p in e.get("loc", ())],
            "msg": _safe(e.get("msg", "")),
            "type": e.get("type"),
        }
        for e in exc.errors()[:50]
    ]
    return JSONResponse(status_code=422, content={"detail": detail})


async def _broker_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ComputeBrokerError)
    # 422 for requests that cannot be met; 5xx for the server's own (solver) failures
    return JSONResponse(
        status_code=exc.http_status,
        content={"detail": [{"loc": [], "msg": str(exc), "type": "request_error"}]},
    )


def create_app(
    db_url: str | None = None, *, workers: int = 1, worker: WorkerConfig | None = None
) -> FastAPI:
    """The app on a store at ``db_url`` (default: SQLite in the user's data directory), with
    ``workers`` worker processes configured as ``worker`` (its ``db_url`` is replaced)."""
    store = open_store(db_url)
    url = str(store.kw["bind"].url.render_as_string(hide_password=False))
    with store.begin() as s:  # jobs of workers that died while no server ran; live ones stay
        queue.recover_expired(s)
    ctx = ServiceContext(store=store)
    cfg = worker or WorkerConfig(db_url=url)
    supervisor = Supervisor(dataclasses.replace(cfg, db_url=url), workers)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        supervisor.start()
        try:
            yield
        finally:
            supervisor.stop()
            close_store(store)

    app = FastAPI(
        title="computebroker",
        version=__version__,
        description="Accelerator compute brokerage: catalog, plans, placement.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.supervisor = supervisor
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(ComputeBrokerError, _broker_error)
    app.add_middleware(RequestGuard, check_token=lambda token: team_for_token(ctx, token))

    @app.get("/v1/health", response_model=Health)
    async def health() -> Health:  # on the event loop: no thread hand-off, nothing to wait on
        return Health(status="ok", version=__version__)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page(app.openapi()))

    for router in ROUTERS:
        app.include_router(router)
    mount_dashboard(app)
    return app
