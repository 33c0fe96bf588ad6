"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis): whatever a
client sends that the schema allows — and much it does not — the server never answers 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

from computebroker.service import create_app  # noqa: E402
from tests.servers import team_tokens  # noqa: E402

_DB = f"sqlite:///{Path(tempfile.mkdtemp()) / 'fuzz.db'}"
(TOKEN,) = team_tokens(_DB, "fuzz")
APP = create_app(_DB, workers=0)  # jobs stay queued: the fuzz checks the API, not the solves
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (
        case.method,
        case.path,
        response.status_code,
        response.text[:500],
    )
