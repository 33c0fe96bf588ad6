"""The HTTP API on SQLite (and PostgreSQL) through FastAPI's test client, with a job worker in a
thread (its jobs in child processes): auth, team isolation, bad input, a plan job end to end,
live placement, a restart during a job, and cancel."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from computebroker.service import create_app
from computebroker.store import close_store, open_store, repo
from tests.planner.helpers import commit_and_on_demand
from tests.servers import running_worker, team_tokens


@pytest.fixture
def api(db_url: str) -> Any:
    url = db_url
    ta, tb = team_tokens(url, "alpha", "beta")
    with running_worker(url), TestClient(create_app(url, workers=0)) as client:
        yield client, {"Authorization": f"Bearer {ta}"}, {"Authorization": f"Bearer {tb}"}, url


SCENARIO = yaml.safe_dump(
    commit_and_on_demand(
        volatility=0.2,
        periods=2,
        count=20,
    )
)


def test_auth_and_health(api: Any) -> None:
    client, a, _, _ = api
    assert client.get("/v1/health").json()["status"] == "ok"
    r = client.get("/v1/catalog/accelerators")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert (
        client.get("/v1/catalog/accelerators", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    rows = client.get("/v1/catalog/accelerators", headers=a).json()
    assert any(x["id"] == "h100" and x["source"] for x in rows)
    offers = client.get(
        "/v1/catalog/offerings", params={"accelerator": "h100", "limit": 3}, headers=a
    ).json()
    assert len(offers) == 3 and all(o["accelerator"] == "h100" and o["as_of"] for o in offers)
    assert "/v1/plans" in client.get("/openapi.json").json()["paths"]


def test_bad_scenario_is_422_with_the_line_and_nothing_stored(api: Any) -> None:
    client, a, _, _ = api
    r = client.post(
        "/v1/scenarios",
        json={"name": "bad", "yaml": "name: x\nhorizon: {start: 2026Q1, periods: 0}\n"},
        headers=a,
    )
    assert r.status_code == 422
    assert any(d["line"] == 2 and "horizon.periods" in d["loc"][0] for d in r.json()["detail"])
    assert client.get("/v1/scenarios", headers=a).json() == []
    assert (
        client.post("/v1/scenarios", json={"name": "bad name!", "yaml": "x"}, headers=a).status_code
        == 422
    )


def test_plan_job_end_to_end_and_team_isolation(api: Any) -> None:
    client, a, b, _ = api
    r = client.post("/v1/scenarios", json={"name": "tiny", "yaml": SCENARIO}, headers=a)
    assert r.status_code == 201 and r.json() == {"name": "tiny", "version": 1}
    assert (
        client.post("/v1/scenarios", json={"name": "tiny", "yaml": SCENARIO}, headers=a).json()[
            "version"
        ]
        == 2
    )
    assert (
        client.get("/v1/scenarios/tiny", headers=b).status_code == 404
    )  # the other team sees nothing
    job = client.post("/v1/plans", json={"scenario": "tiny"}, headers=a).json()
    st = _wait(client, job["id"], a)
    assert st["status"] == "done", st
    plan = client.get(f"/v1/plans/{job['id']}", headers=a).json()
    assert plan["schema"] == "computebroker.plan/1" and plan["status"] == "optimal"
    assert client.get(f"/v1/plans/{job['id']}", headers=b).status_code == 404
    assert client.get(f"/v1/jobs/{job['id']}", headers=b).status_code == 404
    assert client.post("/v1/plans", json={"scenario": "missing"}, headers=a).status_code == 404
    assert (
        client.post(
            "/v1/plans", json={"scenario": "tiny", "method": "magic"}, headers=a
        ).status_code
        == 422
    )


def test_live_placement(api: Any) -> None:
    client, a, _, _ = api
    body = {
        "policy": "greedy-fast",
        "jobs": [{"id": "j1", "job_type": "llm", "work": 1e9, "chips": 8}],
        "pools": [
            {"name": "slow", "accelerator": "a100", "free": 64},
            {"name": "fast", "accelerator": "h100", "free": 16},
        ],
        "throughputs": [
            {"job_type": "llm", "accelerator": "a100", "work_per_chip_hour": 1e6},
            {"job_type": "llm", "accelerator": "h100", "work_per_chip_hour": 3e6},
        ],
    }
    out = client.post("/v1/placements", json=body, headers=a).json()
    assert out == [
        {
            "job": "j1",
            "pool": "fast",
            "chips": 8,
            "share": 1.0,
            "work_per_second": pytest.approx(8 * 3e6 / 3600),
        }
    ]
    body["policy"] = "fifa"
    r = client.post("/v1/placements", json=body, headers=a)
    assert r.status_code == 422 and "did you mean 'fifo'" in r.json()["detail"][0]["msg"]


def test_restart_queues_a_job_whose_worker_died(db_url: str) -> None:
    """A job left running by a dead worker (no live lease) is queued again when a server starts,
    and a worker then finishes it; the attempt is counted."""
    url = db_url
    ta, _ = team_tokens(url, "alpha", "beta", scenarios={"tiny": SCENARIO})
    factory = open_store(url)
    with factory.begin() as s:
        team = repo.team_for_token(s, ta)
        assert team is not None
        job = repo.create_job(s, team.id, "plan", {"scenario": "tiny", "frontier": False})
        repo.set_job(s, job.id, status="running", progress=0.5, attempts=1, lease_owner="gone")
        jid = job.id
    close_store(factory)
    a = {"Authorization": f"Bearer {ta}"}
    with TestClient(create_app(url, workers=0)) as client:  # the server comes back after a crash
        assert client.get(f"/v1/jobs/{jid}", headers=a).json()["status"] == "queued"
        with running_worker(url):
            st = _wait(client, jid, a)
    assert st["status"] == "done" and st["attempts"] == 2, st


def _wait(
    client: TestClient, job_id: str, headers: dict[str, str], timeout_s: float = 180
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        st: dict[str, Any] = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if st["status"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return st
        time.sleep(0.05)


def test_simulation_job_and_reports(api: Any) -> None:
    client, a, b, _ = api
    r = client.post(
        "/v1/simulations",
        json={
            "fleet": "v100=8,p100=16,k80=24",
            "trace": "gavel:max_min_fairness",
            "throughputs": "gavel",
            "policy": "max-min-fairness",
        },
        headers=a,
    )
    assert r.status_code == 202
    st = _wait(client, r.json()["id"], a)
    assert st["status"] == "done", st
    sim = client.get(f"/v1/simulations/{st['id']}", headers=a).json()
    assert sim["jobs"] == 96 and sim["avg_jct_s"] == pytest.approx(3.77 * 3600, rel=0.01)
    html = client.get(f"/v1/reports/{st['id']}.html", headers=a)
    assert html.status_code == 200 and "Chips in use by pool" in html.text
    assert client.get(f"/v1/reports/{st['id']}.html", headers=b).status_code == 404
    assert (
        client.get(f"/v1/reports/{st['id']}.json", headers=a).json()["policy"] == "max-min-fairness"
    )
    bad = client.post(
        "/v1/simulations",
        json={
            "fleet": "v100=8",
            "trace": "gavel:max_min_fairness",
            "throughputs": "gavel",
            "policy": "fifa",
        },
        headers=a,
    )
    assert bad.status_code == 422 and "did you mean" in bad.json()["detail"][0]["msg"]
    both = client.post(
        "/v1/simulations",
        json={"trace": "gavel:max_min_fairness", "throughputs": "gavel"},
        headers=a,
    )
    assert both.status_code == 422


def test_plan_report_and_simulating_the_planned_fleet(api: Any) -> None:
    client, a, _, _ = api
    client.post("/v1/scenarios", json={"name": "tiny", "yaml": SCENARIO}, headers=a)
    plan = _wait(
        client, client.post("/v1/plans", json={"scenario": "tiny"}, headers=a).json()["id"], a
    )
    assert plan["status"] == "done"
    assert "Plan: commitments" in client.get(f"/v1/reports/{plan['id']}.html", headers=a).text
    sim = client.post(
        "/v1/simulations",
        json={"plan_job": plan["id"], "generate": 30, "arrival_rate": 1.0, "policy": "min-cost"},
        headers=a,
    )
    st = _wait(client, sim.json()["id"], a)
    assert st["status"] == "done", st


OFFERS = """offerings:
  - cloud: acme
    region: us-east
    instance_type: acme-8xh100
    accelerator: H100
    chips: 8
    price_hour: 8.0
    source: acme quote 2026-11
    as_of: "2026-11-01"
"""


def test_private_offers_price_the_teams_plans_only(api: Any) -> None:
    client, a, b, _ = api
    bad = client.post(
        "/v1/offers",
        json={"name": "acme", "yaml": "offerings:\n  - cloud: acme\n    chips: -1\n"},
        headers=a,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["line"] == 2
    ok = client.post("/v1/offers", json={"name": "acme", "yaml": OFFERS}, headers=a)
    assert ok.status_code == 201 and ok.json()["offerings"] == 1
    assert [o["name"] for o in client.get("/v1/offers", headers=a).json()] == ["acme"]
    assert client.get("/v1/offers", headers=b).json() == []
    # a scenario that buys from acme at the catalog price ($1 per chip-hour) plans only for team a
    doc = yaml.safe_load(SCENARIO)
    doc["offers"] = [
        {
            "id": "acme-od",
            "provider": "acme",
            "accelerator": "h100",
            "contract": "on-demand",
            "max_chips": 5000,
        }
    ]
    text = yaml.safe_dump(doc)
    assert (
        client.post("/v1/scenarios", json={"name": "acme", "yaml": text}, headers=b).status_code
        == 422
    )
    assert (
        client.post("/v1/scenarios", json={"name": "acme", "yaml": text}, headers=a).status_code
        == 201
    )
    st = _wait(
        client, client.post("/v1/plans", json={"scenario": "acme"}, headers=a).json()["id"], a
    )
    assert st["status"] == "done", st
    plan = client.get(f"/v1/plans/{st['id']}", headers=a).json()
    acme = next(o for o in plan["offers"] if o["id"] == "acme-od")
    assert acme["price_chip_hour"] == pytest.approx(1.0)  # $8 per 8-GPU instance-hour
    assert "acme" in acme["price_source"]


def test_throughput_matrix_and_cancel(api: Any) -> None:
    client, a, _, _ = api
    body = {
        "yaml": "workloads:\n  - {name: ft, model: llama3.1-8b, mode: train, chips: 64}\n",
        "accelerators": ["h100", "tpu-v6e"],
    }
    rows = client.post("/v1/matrices", json=body, headers=a).json()
    assert {r["accelerator"] for r in rows} == {"h100", "tpu-v6e"} and all(
        r["work_per_chip_hour"] > 0 for r in rows
    )
    bad = client.post(
        "/v1/matrices",
        json={"yaml": "workloads:\n  - {name: ft, model: nope-9000b}\n", "accelerators": ["h100"]},
        headers=a,
    )
    assert bad.status_code == 422
    assert (
        client.post("/v1/matrices", json={**body, "accelerators": ["h1000"]}, headers=a).status_code
        == 422
    )


def test_cancel_a_queued_plan_and_a_finished_one(db_url: str) -> None:
    """With no worker yet, the plan job is certainly still queued when cancelled: it is cancelled
    at once and never runs (a plan queued after it finishes once a worker starts). A finished job
    is left as it is."""
    (token,) = team_tokens(db_url, "alpha")
    a = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(db_url, workers=0)) as client:
        client.post("/v1/scenarios", json={"name": "tiny", "yaml": SCENARIO}, headers=a)
        job = client.post("/v1/plans", json={"scenario": "tiny"}, headers=a).json()["id"]
        assert client.get(f"/v1/jobs/{job}", headers=a).json()["status"] == "queued"
        r = client.post(f"/v1/jobs/{job}/cancel", headers=a)
        assert r.json() == {"id": job, "status": "cancelled", "cancel_requested": True}
        quick = {"scenario": "tiny", "out_of_sample": 0, "frontier": False}
        later = client.post("/v1/plans", json=quick, headers=a).json()["id"]
        with running_worker(db_url):
            assert _wait(client, later, a)["status"] == "done"
        st = client.get(f"/v1/jobs/{job}", headers=a).json()
        assert st["status"] == "cancelled" and st["error"] == "cancelled before it started"
        assert st["attempts"] == 0  # it never ran
        assert client.get(f"/v1/plans/{job}", headers=a).status_code == 409
        assert client.get(f"/v1/reports/{job}.html", headers=a).status_code == 404
        r = client.post(f"/v1/jobs/{later}/cancel", headers=a)
        assert r.json() == {"id": later, "status": "done", "cancel_requested": False}
        assert client.get(f"/v1/plans/{later}", headers=a).status_code == 200
        bad_id = "00000000-0000-0000-0000-000000000000"
        assert client.post(f"/v1/jobs/{bad_id}/cancel", headers=a).status_code == 404
        assert client.post("/v1/jobs/not-a-job/cancel", headers=a).status_code == 422


def test_cancel_stops_a_running_plan(api: Any) -> None:
    """A running plan's process is stopped by its worker (not at the end of the solve): the job
    ends cancelled within seconds, with no result and no report."""
    client, a, _, _ = api
    client.post("/v1/scenarios", json={"name": "tiny", "yaml": SCENARIO}, headers=a)
    big = {"scenario": "tiny", "scenarios": 20_000, "out_of_sample": 20_000}
    job = client.post("/v1/plans", json=big, headers=a).json()["id"]
    for _ in range(600):
        if client.get(f"/v1/jobs/{job}", headers=a).json()["status"] == "running":
            break
        time.sleep(0.05)
    asked = time.monotonic()
    r = client.post(f"/v1/jobs/{job}/cancel", headers=a).json()
    assert r == {"id": job, "status": "running", "cancel_requested": True}
    st = _wait(client, job, a)
    assert st["status"] == "cancelled" and st["error"] == "cancelled while running", st
    assert time.monotonic() - asked < 15
    assert client.get(f"/v1/reports/{job}.html", headers=a).status_code == 404
