"""Evaluation jobs through the API (``POST /v1/evaluations``), with a worker in a thread (its jobs
in child processes): the two-regime example of issue 16 end to end (the same hand-checked
figures as tests/planner/test_rolling.py), team isolation, bad requests, and cancel.

Hand check (tests/planner/data/two-regime.yaml, undiscounted): static signs 1,600 chips of the
3-quarter contract, $2.88M on every path; rolling signs 1,000 of it now and 600 of the
2-quarter one only in the high regime: $1.8M on a low path, $3.24M on a high one. Four paths on
two equal rows meet each row twice, so rolling's mean is $2.52M and the value of flexibility
$0.36M."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from computebroker.service import create_app
from tests.servers import running_worker, team_tokens

TWO_REGIME = (
    Path(__file__).resolve().parents[1] / "planner" / "data" / "two-regime.yaml"
).read_text()


@pytest.fixture
def api(db_url: str) -> Any:
    ta, tb = team_tokens(db_url, "alpha", "beta", scenarios={"two-regime": TWO_REGIME})
    with running_worker(db_url), TestClient(create_app(db_url, workers=0)) as client:
        yield client, {"Authorization": f"Bearer {ta}"}, {"Authorization": f"Bearer {tb}"}


def _wait(client: TestClient, job: str, h: dict[str, str], timeout_s: float = 240) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        st = client.get(f"/v1/jobs/{job}", headers=h).json()
        if st["status"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return st
        time.sleep(0.05)


def test_an_evaluation_job_gives_the_hand_checked_figures_and_a_report(api: Any) -> None:
    client, a, b = api
    # two path processes inside the job's process (the local pool), stopped with it on cancel
    body = {"scenario": "two-regime", "paths": 4, "workers": 2}
    r = client.post("/v1/evaluations", json=body, headers=a)
    assert r.status_code == 202 and r.json()["status"] == "queued"
    job = r.json()["id"]
    st = _wait(client, job, a)
    assert st["status"] == "done", st
    assert st["kind"] == "evaluate" and st["progress"] == 1.0
    ev = client.get(f"/v1/evaluations/{job}", headers=a).json()
    assert ev["scenario"] == "two-regime" and ev["paths"] == 4
    static, rolling = ev["policies"]
    assert static["policy"] == "static" and rolling["policy"] == "rolling"
    assert static["cost_usd"]["mean"] == pytest.approx(2.88e6, rel=1e-6)
    assert rolling["cost_usd"]["mean"] == pytest.approx(2.52e6, rel=1e-6)
    assert ev["value_of_flexibility_usd"]["mean"] == pytest.approx(0.36e6, rel=1e-6)
    long_now = [c for c in rolling["signed_chips"] if c["offer"] == "long-3q"]
    assert long_now == [{"offer": "long-3q", "start": "2026Q1", "chips": pytest.approx(1000)}]
    costs = sorted(p["cost_usd"] for p in ev["paths_detail"] if p["policy"] == "rolling")
    assert costs == pytest.approx([1.8e6, 1.8e6, 3.24e6, 3.24e6], rel=1e-6)
    html = client.get(f"/v1/reports/{job}.html", headers=a)
    assert html.status_code == 200 and "Policies on the same futures" in html.text
    # another team sees none of it; a job of another kind is not an evaluation
    assert client.get(f"/v1/evaluations/{job}", headers=b).status_code == 404
    assert client.get(f"/v1/reports/{job}.html", headers=b).status_code == 404
    plan = client.post("/v1/plans", json={"scenario": "two-regime", "frontier": False}, headers=a)
    assert client.get(f"/v1/evaluations/{plan.json()['id']}", headers=a).status_code == 404
    listed = client.get("/v1/jobs", params={"kind": "evaluate"}, headers=a).json()
    assert [j["id"] for j in listed] == [job] and listed[0]["params"]["paths"] == 4


def test_bad_evaluation_requests_are_refused_before_anything_is_queued(api: Any) -> None:
    client, a, b = api
    for body in (
        {"scenario": "two-regime", "policies": ["static", "clairvoyant"]},
        {"scenario": "two-regime", "paths": 0},
        {"scenario": "two-regime", "replan_scenarios": 1},
        {"scenario": "two-regime", "executor": "ray"},  # unknown field
    ):
        assert client.post("/v1/evaluations", json=body, headers=a).status_code == 422, body
    assert client.post("/v1/evaluations", json={"scenario": "nope"}, headers=a).status_code == 404
    # the scenario is team alpha's
    r = client.post("/v1/evaluations", json={"scenario": "two-regime"}, headers=b)
    assert r.status_code == 404
    assert client.get("/v1/jobs", headers=a).json() == []


def test_an_unfinished_evaluation_is_409_and_cancel_stops_a_running_one(api: Any) -> None:
    """A long evaluation (1,000 paths) is stopped by its worker while it runs, not at its end:
    it ends cancelled within seconds, with no result and no report."""
    client, a, _ = api
    body = {"scenario": "two-regime", "paths": 1000}
    job = client.post("/v1/evaluations", json=body, headers=a).json()["id"]
    for _ in range(1200):
        if client.get(f"/v1/jobs/{job}", headers=a).json()["status"] == "running":
            break
        time.sleep(0.05)
    assert client.get(f"/v1/evaluations/{job}", headers=a).status_code == 409
    asked = time.monotonic()
    r = client.post(f"/v1/jobs/{job}/cancel", headers=a).json()
    assert r == {"id": job, "status": "running", "cancel_requested": True}
    st = _wait(client, job, a)
    assert st["status"] == "cancelled" and st["error"] == "cancelled while running", st
    assert time.monotonic() - asked < 15
    assert client.get(f"/v1/evaluations/{job}", headers=a).status_code == 409
    assert client.get(f"/v1/reports/{job}.html", headers=a).status_code == 404
