"""The dashboard's "simulate the planned fleet": it once showed 0.8% utilisation next to the
plan's 100%, because it simulated 200 made-up jobs (arriving one an hour) on a fleet sized for
the plan's demand, and its "all pools" figure counts every rental pool's cap as capacity for the
whole horizon while the plan counts a rental only when it rents it. Now the planned fleet runs
the plan's own demand over its horizon, and the utilisation shown next to the plan's is defined
as the plan defines it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from computebroker.service import create_app
from tests.servers import running_worker, team_tokens
from tests.service.test_api import SCENARIO

APP_JS = Path(__file__).parents[2] / "src/computebroker/service/static/app.js"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = f"sqlite:///{tmp_path / 'broker.db'}"
    (token,) = team_tokens(url, "alpha")
    with running_worker(url), TestClient(create_app(url, workers=0)) as c:
        yield c, {"Authorization": f"Bearer {token}"}


def _done(c: TestClient, job_id: str, h: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while True:
        st: dict[str, Any] = c.get(f"/v1/jobs/{job_id}", headers=h).json()
        if st["status"] in ("done", "failed", "cancelled"):
            assert st["status"] == "done", st
            return st
        assert time.monotonic() < deadline, st
        time.sleep(0.1)


def _dashboard_simulation_body() -> str:
    """The request body the dashboard's simulate button sends (from app.js)."""
    fn = re.search(r"async function simulateLast\(\) \{(.*?)\n\}", APP_JS.read_text(), re.S)
    assert fn is not None
    body = re.search(r'api\("/v1/simulations", (\{.*?\})\)', fn.group(1))
    assert body is not None
    return body.group(1)


def test_the_planned_fleet_runs_the_plans_demand_and_utilisation_means_the_same(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    c, h = client
    c.post("/v1/scenarios", json={"name": "tiny", "yaml": SCENARIO}, headers=h)
    body = {"scenario": "tiny", "scenarios": 8, "out_of_sample": 0, "frontier": False}
    plan_id = c.post("/v1/plans", json=body, headers=h).json()["id"]
    _done(c, plan_id, h)
    doc = c.get(f"/v1/plans/{plan_id}", headers=h).json()
    sent = _dashboard_simulation_body()
    assert "generate" not in sent and "trace" not in sent  # the plan's own demand, by default
    sim = c.post(
        "/v1/simulations", json={"plan_job": plan_id, "policy": "min-cost"}, headers=h
    ).json()
    _done(c, sim["id"], h)
    result = c.get(f"/v1/simulations/{sim['id']}", headers=h).json()
    a = result["against_plan"]
    assert a["jobs"] == "the plan's expected demand"
    # the jobs carry the plan's expected demand: every unit of work of every period
    expected_work = sum(sum(d["mean"]) for d in doc["demand"].values())
    assert result["work_submitted"] == pytest.approx(expected_work, rel=1e-9)
    plan_u = doc["metrics"]["utilisation"]
    assert a["plan_utilisation"] == pytest.approx(plan_u)
    # the same definition on both sides: figures of one size (not 0.8% against 100%)
    assert a["simulated_utilisation_of_paid_capacity"] == pytest.approx(plan_u, abs=0.25)
    html = c.get(f"/v1/reports/{sim['id']}.html", headers=h).text
    assert "Against the plan" in html and "of the capacity paid for" in html


def test_generated_jobs_are_still_there_when_asked_for(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    c, h = client
    c.post("/v1/scenarios", json={"name": "tiny", "yaml": SCENARIO}, headers=h)
    body = {"scenario": "tiny", "scenarios": 8, "out_of_sample": 0, "frontier": False}
    plan_id = c.post("/v1/plans", json=body, headers=h).json()["id"]
    _done(c, plan_id, h)
    sim = c.post(
        "/v1/simulations",
        json={"plan_job": plan_id, "generate": 30, "policy": "min-cost", "stress": False},
        headers=h,
    ).json()
    _done(c, sim["id"], h)
    result = c.get(f"/v1/simulations/{sim['id']}", headers=h).json()
    assert result["jobs"] == 30 and result["against_plan"]["jobs"] == "30 generated jobs"
