"""Fuzzing that reaches real work, on SQLite and PostgreSQL: every operation of the API's own
OpenAPI schema with its example bodies (valid requests that queue jobs), data the schema allows
and data it does not (schemathesis); then scenario documents made by mutating a known-good one
(numbers within and outside their bounds, fields dropped and added), each stored and planned by
a real worker. Every answer is checked by schemathesis: never a 5xx, and a JSON answer conforms
to the route's response model. The share of 2xx answers is asserted (the fuzz got past
validation) and written to ``tests/artifacts/fuzz-<db>.json``.
"""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from computebroker.service import create_app
from computebroker.service.schemas import EXAMPLE_SCENARIO, EXAMPLE_SCENARIO_NAME
from tests.conftest import fresh_store_url
from tests.servers import running_worker, team_tokens

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
FINISHED = ("done", "failed", "cancelled")
# examples per operation and generation mode; the schema has about 27 operations
PER_OPERATION = 6
# pairs of mutated scenarios per store (each accepted one is planned by the worker)
SCENARIOS = 7
# a generous bound for the plan jobs of one store to finish on 2 shared cores
JOBS_DEADLINE_S = 600.0


@dataclass
class FuzzApi:
    """The app under test: its client, schema, two teams' headers and what it answered."""

    db: str
    client: TestClient
    schema: Any
    headers: dict[str, str]
    other: dict[str, str]
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: dict[str, Counter[int]] = field(default_factory=dict)
    jobs: list[str] = field(default_factory=list)
    # the mutated-scenario test: its answers and how its plan jobs ended
    mutated: Counter[int] = field(default_factory=Counter)
    plan_ends: Counter[str] = field(default_factory=Counter)
    plan_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzApi]:
    url = fresh_store_url(request.param, tmp_path_factory.mktemp("fuzz"))
    ta, tb = team_tokens(url, "fuzz", "other", scenarios={EXAMPLE_SCENARIO_NAME: EXAMPLE_SCENARIO})
    app = create_app(url, workers=0)
    schema = from_asgi("/openapi.json", app)
    with (  # a long lease: on loaded cores a missed heartbeat must not requeue a job
        running_worker(url, slots=2, lease_s=30.0),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        api = FuzzApi(
            db=request.param,
            client=client,
            schema=schema,
            headers={"Authorization": f"Bearer {ta}"},
            other={"Authorization": f"Bearer {tb}"},
        )
        yield api
        for job in api.jobs:  # what the fuzz queued and nobody waited for: stop it
            client.post(f"/v1/jobs/{job}/cancel", headers=api.headers)
    _write_stats(api)


def _write_stats(api: FuzzApi) -> None:
    total = sum(api.statuses.values())
    stats = {
        "db": api.db,
        "requests": total,
        "share_2xx": round(sum(n for s, n in api.statuses.items() if s < 300) / max(total, 1), 3),
        "statuses": {str(k): v for k, v in sorted(api.statuses.items())},
        "mutated_scenarios": {str(k): v for k, v in sorted(api.mutated.items())},
        "mutated_plan_jobs": dict(api.plan_ends),
        "mutated_plan_errors": api.plan_errors,
        "operations": {k: dict(sorted(v.items())) for k, v in sorted(api.by_operation.items())},
    }
    out = Path(__file__).resolve().parents[1] / "artifacts"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"fuzz-{api.db}.json").write_text(json.dumps(stats, indent=1) + "\n")


def send(api: FuzzApi, case: Any, headers: dict[str, str] | None = None) -> Any:
    """Send a schemathesis case through the test client and validate the answer."""
    kw = case.as_transport_kwargs(
        base_url="http://testserver", headers=api.headers if headers is None else headers
    )
    content = kw.get("data")
    response = api.client.request(
        kw["method"],
        kw["url"],
        headers=kw.get("headers"),
        params=kw.get("params"),
        json=kw.get("json"),
        content=content if isinstance(content, bytes | str) else None,
    )
    api.statuses[response.status_code] += 1
    api.by_operation.setdefault(case.operation.label, Counter())[response.status_code] += 1
    case.validate_response(response, checks=CHECKS)
    if response.status_code == 202:
        api.jobs.append(response.json()["id"])
    return response


def _operations(api: FuzzApi) -> list[Any]:
    return [r.ok() for r in api.schema.get_all_operations()]


FUZZ = settings(
    max_examples=PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_every_operation_never_answers_5xx(fuzz_api: FuzzApi) -> None:
    """The schema's own examples (valid requests: plans and simulations are queued, and the
    worker starts running them), then data the schema allows and data it does not, for every
    operation; the jobs still waiting are cancelled at the end."""
    api = fuzz_api
    for op in _operations(api):
        examples = op.get_strategies_from_examples()
        strategies = [
            *([(st.one_of(examples), False)] if examples else []),
            (op.as_strategy(generation_mode=GenerationMode.POSITIVE), False),
            (op.as_strategy(generation_mode=GenerationMode.NEGATIVE), True),
        ]
        for strategy, negative in strategies:

            @FUZZ
            @given(case=strategy)
            def one(case: Any) -> None:
                send(api, case)

            try:
                one()
            except Unsatisfiable:  # nothing to negate: an operation without parameters
                assert negative, op.label
    assert any(s < 300 for s in api.statuses), api.statuses
    assert not [s for s in api.statuses if s >= 500], api.statuses
    cancel = api.schema["/v1/jobs/{job_id}/cancel"]["POST"]
    for job in api.jobs:  # the queued jobs are cancelled (some have run): the next test's wait
        r = send(api, cancel.Case(path_parameters={"job_id": job}))
        assert r.status_code == 200 and r.json()["status"] in ("cancelled", "running", "done")
    api.jobs.clear()


# ---- scenario documents mutated from a known-good one ----------------------------------------

BASE = yaml.safe_load(EXAMPLE_SCENARIO)
# values that are out of bounds, of the wrong type or absurd, for any number of the scenario
HOSTILE = [0, -1, -0.5, 1e300, -1e300, 10**30, 2**63, 1e-300, "7", "", None, [], {}, True]


def _set(doc: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _drop(doc: dict[str, Any], path: tuple[str | int, ...]) -> None:
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


_CLASS = ("demand", "classes", "finetune-8b")
# each number of the example with values within its bounds
NUMBERS: dict[tuple[str | int, ...], st.SearchStrategy[Any]] = {
    ("horizon", "periods"): st.integers(1, 6),
    ("workloads", 0, "chips"): st.sampled_from([8, 16, 64, 128, 512]),
    (*_CLASS, "start"): st.floats(1e9, 1e14),
    (*_CLASS, "growth"): st.floats(-0.5, 0.5),
    (*_CLASS, "volatility"): st.floats(0.0, 1.0),
    ("offers", 0, "max_chips"): st.integers(1, 4096),
    ("offers", 1, "max_chips"): st.integers(8, 4096),
    ("offers", 1, "block_chips"): st.sampled_from([1, 8, 16]),
    ("scenarios", "count"): st.integers(1, 6),
    ("scenarios", "seed"): st.integers(0, 2**31 - 1),
}
OPTIONAL = [("offers", 1), ("workloads", 0, "chips"), ("scenarios", "seed"), ("scenarios",)]
REQUIRED = [("horizon",), ("workloads",), ("demand",), ("offers",), ("horizon", "start")]


@st.composite
def scenario_docs(draw: st.DrawFn, hostile: bool = True) -> dict[str, Any]:
    """The example scenario with every number redrawn within its bounds, and (when ``hostile``)
    one change that may break it: a number out of bounds or of the wrong
    type, a field dropped, or an unknown field added."""
    doc: dict[str, Any] = copy.deepcopy(BASE)
    for path, values in NUMBERS.items():
        _set(doc, path, draw(values))
    doc["horizon"]["period"] = draw(st.sampled_from(["month", "quarter"]))
    doc["horizon"]["start"] = "2026-01" if doc["horizon"]["period"] == "month" else "2026Q1"
    if not hostile:
        return doc
    kind = draw(st.sampled_from(["number", "drop-optional", "drop-required", "add"]))
    if kind == "number":
        _set(doc, draw(st.sampled_from(sorted(NUMBERS, key=str))), draw(st.sampled_from(HOSTILE)))
    elif kind == "drop-optional":
        _drop(doc, draw(st.sampled_from(OPTIONAL)))
    elif kind == "drop-required":
        _drop(doc, draw(st.sampled_from(REQUIRED)))
    else:
        where = draw(st.sampled_from([(), ("horizon",), ("workloads", 0), ("offers", 0)]))
        node: Any = doc
        for key in where:
            node = node[key]
        node[draw(st.sampled_from(["extra", "notes", "chips_x"]))] = draw(st.sampled_from(HOSTILE))
    return doc


def plan_bodies(scenario: str) -> st.SearchStrategy[dict[str, Any]]:
    """Plan requests small enough to run in seconds: a few scenarios, no or few re-scoring ones,
    rarely the risk frontier."""
    return st.fixed_dictionaries(
        {
            "scenario": st.just(scenario),
            "scenarios": st.integers(1, 6),
            "out_of_sample": st.integers(0, 8),
            "frontier": st.sampled_from([False, False, False, True]),
        },
        optional={
            "seed": st.integers(0, 2**31 - 1),
            "method": st.sampled_from(["auto", "extensive", "benders"]),
            "time_limit_s": st.floats(30.0, 600.0),
        },
    )


def wait_for(
    client: TestClient, job: str, headers: dict[str, str], deadline: float
) -> dict[str, Any]:
    """The job's state once it has finished (or at ``deadline``, a monotonic time)."""
    while True:
        r = client.get(f"/v1/jobs/{job}", headers=headers)
        assert r.status_code == 200, r.text
        st_: dict[str, Any] = r.json()
        if st_["status"] in FINISHED or time.monotonic() > deadline:
            return st_
        time.sleep(0.1)


def test_mutated_scenarios_are_stored_planned_and_run(fuzz_api: FuzzApi) -> None:
    """Scenarios mutated from the example, in pairs: one within bounds, which is accepted (201),
    one with a change that may break it; the accepted ones have, and their plans queued (202) and run to an end by the worker (done, or
    failed with a reason); the rest are 4xx."""
    api = fuzz_api
    put = api.schema["/v1/scenarios"]["POST"]
    submit = api.schema["/v1/plans"]["POST"]
    seen = api.mutated
    planned: list[str] = []

    def store_and_plan(doc: dict[str, Any], data: st.DataObject) -> None:
        name = f"fuzz-{sum(seen.values())}"
        text = yaml.safe_dump(doc, sort_keys=False)
        r = send(api, put.Case(body={"name": name, "yaml": text}, media_type="application/json"))
        seen[r.status_code] += 1
        if r.status_code != 201:
            assert 400 <= r.status_code < 500, r.text
            return
        body = data.draw(plan_bodies(name))
        r = send(api, submit.Case(body=body, media_type="application/json"))
        seen[r.status_code] += 1
        assert r.status_code == 202, r.text
        planned.append(r.json()["id"])

    @settings(
        max_examples=SCENARIOS,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(valid=scenario_docs(hostile=False), broken=scenario_docs(hostile=True), data=st.data())
    def one(valid: dict[str, Any], broken: dict[str, Any], data: st.DataObject) -> None:
        store_and_plan(valid, data)
        store_and_plan(broken, data)

    one()
    total = sum(seen.values())
    assert sum(n for s, n in seen.items() if s < 300) / total >= 0.5, seen
    deadline = time.monotonic() + JOBS_DEADLINE_S
    ends = [wait_for(api.client, job, api.headers, deadline) for job in planned]
    api.plan_ends.update(e["status"] for e in ends)
    api.plan_errors.extend(e["error"] for e in ends if e["error"])
    assert all(e["status"] in ("done", "failed") for e in ends), ends
    assert all(e["error"] for e in ends if e["status"] == "failed"), ends
    assert sum(e["status"] == "done" for e in ends) >= len(ends) // 2, ends
    for e in ends:  # the results of real work read back, and hidden from the other team
        want = 200 if e["status"] == "done" else 409
        assert api.client.get(f"/v1/plans/{e['id']}", headers=api.headers).status_code == want
        assert api.client.get(f"/v1/plans/{e['id']}", headers=api.other).status_code == 404
        html = api.client.get(f"/v1/reports/{e['id']}.html", headers=api.headers)
        assert html.status_code == (200 if e["status"] == "done" else 404)
