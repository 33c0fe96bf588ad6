"""Through the API: a plan job whose solve stops without a plan is failed with the reason the
CLI gives; a solver failure in a request is a 5xx, not a 422."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from computebroker.errors import SolverError
from computebroker.service import create_app
from tests.planner.test_quiet import DOC
from tests.servers import team_tokens

SCENARIO = yaml.safe_dump(DOC, sort_keys=False)


@pytest.fixture
def api(db_url: str) -> Any:
    (token,) = team_tokens(db_url, "alpha")
    with TestClient(create_app(db_url), raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {token}"}


# How long a job may take to end: it runs in a worker's child process (a fresh interpreter
# that imports the planner, then solves), which on a loaded 2-core machine took over 20 s; a
# timeout, not a speed target (those are in bench/)
JOB_TIMEOUT_S = 180.0


def _finished(client: TestClient, job: str, auth: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        st: dict[str, Any] = client.get(f"/v1/jobs/{job}", headers=auth).json()
        if st["status"] in ("done", "failed", "cancelled"):
            return st
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job} did not finish in {JOB_TIMEOUT_S:.0f} s: {st}")
        time.sleep(0.05)


def test_stopped_solve_fails_the_job_with_the_reason(api: Any) -> None:
    """A time limit too short for HiGHS to reach any point (the job runs in a worker's child
    process, so the limit travels in the request, as `plan --time-limit`)."""
    client, auth = api
    assert client.post(
        "/v1/scenarios", json={"name": "t", "yaml": SCENARIO}, headers=auth
    ).is_success
    job = client.post(
        "/v1/plans", json={"scenario": "t", "time_limit_s": 1e-6}, headers=auth
    ).json()["id"]
    st = _finished(client, job, auth)
    assert st["status"] == "failed", st
    assert "the time limit" in st["error"] and "without finding any plan" in st["error"]
    r = client.get(f"/v1/plans/{job}", headers=auth)
    assert r.status_code == 409 and "without finding any plan" in r.text  # no fleet to read


def test_solved_job_reports_its_proof(api: Any) -> None:
    client, auth = api
    assert client.post(
        "/v1/scenarios", json={"name": "t", "yaml": SCENARIO}, headers=auth
    ).is_success
    job = client.post("/v1/plans", json={"scenario": "t"}, headers=auth).json()["id"]
    st = _finished(client, job, auth)
    # the termination, then how sure the plan is (here: not measured)
    assert st["status"] == "done" and st["message"].split("; ")[0] == "optimal", st
    plan = client.get(f"/v1/plans/{job}", headers=auth).json()
    assert plan["solve"]["proven_gap"] == 0.0 and plan["solve"]["stopped_by"] is None


def test_solver_failure_is_a_server_error_not_a_422(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, auth = api
    from computebroker.service.routes import scenarios

    def crash(*_a: Any, **_k: Any) -> Any:
        raise SolverError("HiGHS failed: boom")

    monkeypatch.setattr(scenarios, "parse_scenario", crash)
    r = client.post("/v1/scenarios", json={"name": "t", "yaml": SCENARIO}, headers=auth)
    assert r.status_code == 500 and "boom" in r.text
