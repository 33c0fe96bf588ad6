"""Hostile requests answer 4xx fast and nothing is read, stored or run for them: no token (the
body is never read), bodies over the route's limit (by Content-Length and while streaming), NaN,
huge integers, NUL bytes, lone surrogates, unknown fields; a fault inside a route is a 500 that
names a request id, never a traceback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from computebroker.service import create_app
from tests.servers import team_tokens
from tests.service.test_api import SCENARIO


@pytest.fixture
def client(tmp_path: Any) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    (token,) = team_tokens(url, "alpha")
    with TestClient(create_app(url, workers=0), raise_server_exceptions=False) as c:
        yield c, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def test_no_token_is_refused_before_the_body_is_read(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    c, _ = client
    read = []

    def body() -> Iterator[bytes]:
        read.append(1)
        yield b"x" * 100

    r = c.post("/v1/scenarios", content=body(), headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer" and not read


def test_bodies_over_the_limit_are_413(client: tuple[TestClient, dict[str, str]]) -> None:
    c, h = client
    t0 = time.monotonic()
    r = c.post("/v1/plans", content=b"{" + b" " * 100_000 + b"}", headers=h)
    assert r.status_code == 413 and "limit" in r.json()["detail"]

    def stream() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(10_000):
            yield b" " * 1024

    r = c.post("/v1/scenarios", content=stream(), headers=h)
    assert r.status_code == 413
    assert time.monotonic() - t0 < 5


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/v1/plans", '{"scenario": "a", "seed": NaN}'),
        ("/v1/plans", '{"scenario": "a", "seed": ' + "9" * 5000 + "}"),
        ("/v1/plans", '{"scenario": "a\\u0000b"}'),
        ("/v1/scenarios", '{"name": "a", "yaml": "x: \\ud800"}'),
        ("/v1/scenarios", '{"name": "a", "yaml": "x: \\u0000"}'),
        ("/v1/plans", '{"scenario": "a", "frontierr": false}'),
        ("/v1/placements", '{"jobs": [{"id": "j", "job_type": "t", "work": Infinity}]}'),
        ("/v1/plans", "[" * 10_000 + "]" * 10_000),
        ("/v1/plans", "{not json"),
    ],
)
def test_hostile_bodies_are_4xx(
    client: tuple[TestClient, dict[str, str]], path: str, raw: str
) -> None:
    c, h = client
    r = c.post(path, content=raw.encode("utf-8", "surrogatepass"), headers=h)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert c.get("/v1/jobs", headers=h).json() == []


def test_hostile_path_parameters_are_4xx(client: tuple[TestClient, dict[str, str]]) -> None:
    c, h = client
    for path in (
        "/v1/jobs/%00",
        "/v1/jobs/" + "a" * 5000,
        "/v1/scenarios/%00",
        "/v1/jobs/%ED%A0%80",
    ):
        r = c.get(path, headers=h)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])


def test_a_fault_is_a_500_with_a_request_id(
    client: tuple[TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from computebroker.store import repo

    def boom(*_: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(repo, "list_jobs", boom)
    c, h = client
    r = c.get("/v1/jobs", headers=h)
    assert r.status_code == 500 and "secret" not in r.text and "Traceback" not in r.text
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_tokens_are_listed_issued_expired_and_revoked(
    client: tuple[TestClient, dict[str, str]], tmp_path: Any
) -> None:
    from computebroker.cli.app import run

    c, h = client
    new = c.post("/v1/tokens", json={"name": "ci", "expires_in_days": 1}, headers=h).json()
    assert new["token"].startswith(new["prefix"]) and new["expires_at"]
    mine = {"Authorization": f"Bearer {new['token']}"}
    assert c.get("/v1/tokens", headers=mine).status_code == 200
    listed = c.get("/v1/tokens", headers=h).json()
    assert [t["name"] for t in listed] == ["", "ci"] and all("token" not in t for t in listed)
    assert c.delete(f"/v1/tokens/{new['prefix']}", headers=h).json()["revoked"] is True
    assert c.get("/v1/tokens", headers=mine).status_code == 401
    assert c.delete(f"/v1/tokens/{new['prefix']}", headers=h).status_code == 404
    url = f"sqlite:///{tmp_path / 'h.db'}"
    assert run(["token", "create", "--team", "alpha", "--db", url, "--expires-days", "2"]) == 0
    assert run(["token", "list", "--team", "alpha", "--db", url]) == 0
    assert run(["token", "revoke", new["prefix"], "--team", "alpha", "--db", url]) != 0


def test_a_team_cannot_fill_the_queue(
    client: tuple[TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from computebroker.service.routes import jobs

    monkeypatch.setattr(jobs, "MAX_QUEUED_PER_TEAM", 2)
    c, h = client
    c.post("/v1/scenarios", json={"name": "s", "yaml": SCENARIO}, headers=h)
    codes = [c.post("/v1/plans", json={"scenario": "s"}, headers=h).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
