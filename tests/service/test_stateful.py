"""Stateful tests of the job API on SQLite and PostgreSQL, with a real worker (its jobs in child
processes): create a scenario, plan it, cancel, wait, read — in the two fixed orders of the
issue, then in orders a hypothesis state machine picks.

Invariants checked at every step: no 5xx; a job's state only moves forward (queued, running,
then one of done, failed, cancelled, which never changes); a job whose cancel was acknowledged
as effective (``cancel_requested: true``) never ends done, and one cancelled while queued never
runs; another team's token reads 404 for every job route; a done plan has its document and
report, an unfinished or failed one neither.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)

from computebroker.service import create_app
from computebroker.service.schemas import EXAMPLE_SCENARIO
from tests.servers import running_worker, team_tokens
from tests.service.test_fuzz import BASE, FINISHED, scenario_docs

pytestmark = pytest.mark.slow

# the order of a job's states: it may only move up, and a finished state never changes
RANK = {"queued": 0, "running": 1, "done": 2, "failed": 2, "cancelled": 2}
WAIT_S = 300.0  # a tiny plan takes seconds; generous for 2 shared cores


@dataclass(frozen=True)
class Live:
    """The app with a worker, and the headers of two teams."""

    client: TestClient
    mine: dict[str, str]
    theirs: dict[str, str]


@pytest.fixture
def live(db_url: str) -> Iterator[Live]:
    ta, tb = team_tokens(db_url, "alpha", "beta")
    app = create_app(db_url, workers=0)
    with (
        running_worker(db_url, slots=2, lease_s=30.0),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        yield Live(client, {"Authorization": f"Bearer {ta}"}, {"Authorization": f"Bearer {tb}"})


class JobBook:
    """What the client has seen of each job, checked against the invariants as it is seen."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.status: dict[str, str] = {}
        self.cancel_acked: set[str] = set()
        self.cancelled_queued: set[str] = set()

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.live.client.request(method, path, headers=kw.pop("headers", self.live.mine), **kw)
        assert r.status_code < 500, (method, path, r.status_code, r.text[:300])
        return r

    def see(self, job: str, status: str) -> None:
        before = self.status.get(job)
        if before is not None:
            assert RANK[status] >= RANK[before], f"{job}: {before} -> {status}"
            assert RANK[before] < 2 or status == before, f"{job}: {before} -> {status}"
        if job in self.cancel_acked:
            assert status != "done", f"{job} ended done after its cancel was acknowledged"
        self.status[job] = status

    def scenario(self, name: str, text: str) -> None:
        r = self.call("POST", "/v1/scenarios", json={"name": name, "yaml": text})
        assert r.status_code == 201, r.text

    def plan(self, body: dict[str, Any]) -> str:
        r = self.call("POST", "/v1/plans", json=body)
        assert r.status_code == 202, r.text
        job: str = r.json()["id"]
        self.see(job, "queued")
        return job

    def read(self, job: str) -> dict[str, Any]:
        r = self.call("GET", f"/v1/jobs/{job}")
        assert r.status_code == 200, r.text
        state: dict[str, Any] = r.json()
        self.see(job, state["status"])
        if job in self.cancelled_queued:
            assert state["attempts"] == 0, state  # it never ran
        for method, path in (
            ("GET", f"/v1/jobs/{job}"),
            ("GET", f"/v1/plans/{job}"),
            ("GET", f"/v1/reports/{job}.html"),
            ("GET", f"/v1/reports/{job}.json"),
            ("POST", f"/v1/jobs/{job}/cancel"),
        ):
            other = self.call(method, path, headers=self.live.theirs)
            assert other.status_code == 404, (method, path, other.status_code)
        return state

    def cancel(self, job: str) -> dict[str, Any]:
        r = self.call("POST", f"/v1/jobs/{job}/cancel")
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        if out["cancel_requested"]:
            assert out["status"] in ("cancelled", "running"), out
            self.cancel_acked.add(job)
            if out["status"] == "cancelled":
                self.cancelled_queued.add(job)
        else:
            assert out["status"] in FINISHED, out
        self.see(job, out["status"])
        return out

    def wait(self, job: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while True:
            state = self.read(job)
            if state["status"] in FINISHED:
                break
            assert time.monotonic() < deadline, state
            time.sleep(0.1)
        done = state["status"] == "done"
        plan = self.call("GET", f"/v1/plans/{job}")
        assert plan.status_code == (200 if done else 409), plan.text[:300]
        if done:
            assert plan.json()["schema"] == "computebroker.plan/1"
        else:
            assert state["error"], state  # failed or cancelled, with the reason
        report = self.call("GET", f"/v1/reports/{job}.html")
        assert report.status_code == (200 if done else 404)
        return state


QUICK = {"scenarios": 4, "out_of_sample": 0, "frontier": False}


def test_create_plan_cancel_read(live: Live) -> None:
    book = JobBook(live)
    book.scenario("tiny", EXAMPLE_SCENARIO)
    job = book.plan({"scenario": "tiny", **QUICK})
    out = book.cancel(job)
    assert out["cancel_requested"] is True  # queued or running: the cancel is effective
    assert book.wait(job)["status"] == "cancelled"
    assert book.cancel(job) == {"id": job, "status": "cancelled", "cancel_requested": False}


def test_create_plan_wait_read_plan_and_report(live: Live) -> None:
    book = JobBook(live)
    book.scenario("tiny", EXAMPLE_SCENARIO)
    job = book.plan({"scenario": "tiny", **QUICK})
    assert book.wait(job)["status"] == "done"
    assert book.call("GET", f"/v1/reports/{job}.json").json()["status"] == "optimal"
    assert book.cancel(job) == {"id": job, "status": "done", "cancel_requested": False}
    assert job in {j["id"] for j in book.call("GET", "/v1/jobs").json()}


class JobLifecycle(RuleBasedStateMachine):
    """Scenarios created, planned, cancelled, read and waited for in any order."""

    live: Live  # set by the test before the machine runs
    scenarios = Bundle("scenarios")
    jobs = Bundle("jobs")
    created = 0

    def __init__(self) -> None:
        super().__init__()
        self.book = JobBook(self.live)

    @initialize(target=scenarios)
    def example(self) -> str:
        """Every run starts with the example scenario stored, so a plan can be the first step."""
        return self._store(BASE)

    @rule(target=scenarios, doc=scenario_docs(hostile=False))
    def create(self, doc: dict[str, Any]) -> str:
        return self._store(doc)

    def _store(self, doc: dict[str, Any]) -> str:
        JobLifecycle.created += 1  # one store for all runs: every name is new
        name = f"s{JobLifecycle.created}"
        self.book.scenario(name, yaml.safe_dump(doc, sort_keys=False))
        return name

    @rule(
        target=jobs,
        scenario=scenarios,
        scenarios=st.integers(1, 4),
        method=st.sampled_from(["auto", "extensive", "benders"]),
    )
    def plan(self, scenario: str, scenarios: int, method: str) -> str:
        body = {**QUICK, "scenario": scenario, "scenarios": scenarios, "method": method}
        return self.book.plan(body)

    @rule(job=jobs)
    def cancel(self, job: str) -> None:
        self.book.cancel(job)

    @rule(job=jobs)
    def read(self, job: str) -> None:
        self.book.read(job)

    @rule(job=jobs)
    def wait(self, job: str) -> None:
        self.book.wait(job)

    def teardown(self) -> None:  # the next run starts with an idle queue
        for job, status in list(self.book.status.items()):
            if status not in FINISHED:
                self.book.cancel(job)


def test_job_lifecycle_state_machine(live: Live) -> None:
    JobLifecycle.live = live
    run_state_machine_as_test(
        JobLifecycle,
        settings=settings(
            max_examples=3,
            stateful_step_count=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def test_a_job_whose_cancel_was_acknowledged_never_ends_done(db_url: str) -> None:
    """The race the state machine looks for, made certain: the cancel of a running job is
    acknowledged, then its process finishes the solve before the worker's next heartbeat stops
    it. The job ends cancelled, without the result or a report."""
    from computebroker.store import close_store, open_store, queue

    (token,) = team_tokens(db_url, "alpha", scenarios={"tiny": EXAMPLE_SCENARIO})
    mine = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(db_url, workers=0), raise_server_exceptions=False) as client:
        job = client.post("/v1/plans", json={"scenario": "tiny", **QUICK}, headers=mine).json()
        store = open_store(db_url)
        with store.begin() as s:  # a worker claims it
            claimed = queue.claim(s, "w1", lease_s=30, team_limit=2)
            assert claimed is not None and claimed.id == job["id"]
        out = client.post(f"/v1/jobs/{job['id']}/cancel", headers=mine).json()
        assert out == {"id": job["id"], "status": "running", "cancel_requested": True}
        with store.begin() as s:  # the solve ends before the worker sees the cancel
            assert not queue.finish(s, job["id"], "w1", "done", result={"plan": 1})
        close_store(store)
        state = client.get(f"/v1/jobs/{job['id']}", headers=mine).json()
        assert state["status"] == "cancelled" and state["error"] == "cancelled while running"
        assert client.get(f"/v1/plans/{job['id']}", headers=mine).status_code == 409
