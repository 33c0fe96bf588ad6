"""Every hostile request of the HTTP corpus (tests/hostile/http.py) through the app, on SQLite:
the status it must answer, an answer that conforms to the route's declared response schema
(schemathesis' checks: no 5xx, response schema, content type), no traceback or internals in it,
nothing stored or queued, and quick."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from computebroker.service import create_app
from tests.hostile.http import HTTP_CASES, HttpCase
from tests.servers import team_tokens

SECONDS = 20.0  # generous for 2 shared cores; a refused request takes milliseconds
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@dataclass(frozen=True)
class App:
    client: TestClient
    schema: Any
    headers: dict[str, str]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    url = f"sqlite:///{tmp_path_factory.mktemp('http') / 'h.db'}"
    (token,) = team_tokens(url, "alpha")
    asgi = create_app(url, workers=0)
    with TestClient(asgi, raise_server_exceptions=False) as client:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        yield App(client, from_asgi("/openapi.json", asgi), headers)


def _stored(app: App) -> tuple[int, ...]:
    return tuple(
        len(app.client.get(p, headers=app.headers).json())
        for p in ("/v1/scenarios", "/v1/offers", "/v1/jobs", "/v1/tokens")
    )


@pytest.mark.parametrize("case", HTTP_CASES, ids=[c.id for c in HTTP_CASES])
def test_hostile_request(app: App, case: HttpCase) -> None:
    before = _stored(app)
    op = app.schema[case.route][case.method]
    path = case.route.format(**case.path_parameters)
    started = time.perf_counter()
    r = app.client.request(case.method, path, content=case.body, headers=app.headers)
    elapsed = time.perf_counter() - started
    assert r.status_code == case.status, (r.status_code, r.text[:500])
    op.Case(path_parameters=case.path_parameters, media_type="application/json").validate_response(
        r, checks=CHECKS
    )
    text = " ".join(r.text.lower().split())
    assert "traceback" not in text and "sqlalchemy" not in text, r.text[:500]
    for word in case.expect:
        assert word.lower() in text, (word, r.text[:500])
    if case.status != 200:
        assert _stored(app) == before
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
