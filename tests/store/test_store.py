"""The store on SQLite: migrations, token hashing, scenario versions, team isolation, and jobs
interrupted by a restart."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from computebroker.store import close_store, open_store, queue, repo
from computebroker.store.models import ApiToken, Team


@pytest.fixture
def store(db_url: str) -> Any:
    factory = open_store(db_url)
    yield factory
    close_store(factory)


def test_migrations_create_the_schema_and_are_idempotent(db_url: str) -> None:
    url = db_url
    factory = open_store(url)
    close_store(open_store(url))  # a second start applies nothing new
    with factory() as s:
        tables = set(inspect(s.get_bind()).get_table_names())
    close_store(factory)
    assert {"teams", "api_tokens", "scenarios", "offers", "jobs", "alembic_version"} <= tables


def test_tokens_are_hashed_and_resolve_to_their_team(store: Any) -> None:
    with store.begin() as s:
        a, b = repo.create_team(s, "alpha"), repo.create_team(s, "beta")
        ta, tb = repo.issue_token(s, a), repo.issue_token(s, b)
    with store() as s:
        assert repo.team_for_token(s, ta).name == "alpha"  # type: ignore[union-attr]
        assert repo.team_for_token(s, tb).name == "beta"  # type: ignore[union-attr]
        assert repo.team_for_token(s, ta + "x") is None
        stored = [t.digest for t in s.execute(select(ApiToken)).scalars()]
        assert ta not in stored and all(len(d) == 64 for d in stored)


def test_team_names_are_unique(store: Any) -> None:
    with store.begin() as s:
        repo.create_team(s, "alpha")
    with store() as s:
        s.add(Team(name="alpha"))
        with pytest.raises(IntegrityError):
            s.flush()


def test_scenarios_are_versioned_and_team_scoped(store: Any) -> None:
    with store.begin() as s:
        a, b = repo.create_team(s, "alpha"), repo.create_team(s, "beta")
        repo.save_scenario(s, a.id, "lab", "v1")
        repo.save_scenario(s, a.id, "lab", "v2")
        repo.save_scenario(s, b.id, "lab", "other team")
        aid, bid = a.id, b.id
    with store() as s:
        assert repo.get_scenario(s, aid, "lab").text == "v2"  # type: ignore[union-attr]
        assert repo.get_scenario(s, aid, "lab", 1).text == "v1"  # type: ignore[union-attr]
        assert repo.get_scenario(s, bid, "lab").version == 1  # type: ignore[union-attr]
        assert [x.version for x in repo.list_scenarios(s, aid)] == [1, 2]


def test_jobs_are_isolated_and_orphaned_ones_are_queued_again(store: Any) -> None:
    with store.begin() as s:
        a, b = repo.create_team(s, "alpha"), repo.create_team(s, "beta")
        job = repo.create_job(s, a.id, "plan", {"scenario": "lab"})
        done = repo.create_job(s, a.id, "plan", {})
        repo.set_job(s, done.id, status="done", progress=1.0)
        repo.set_job(s, job.id, status="running", progress=0.4, attempts=1)  # no lease
        aid, bid, jid, did = a.id, b.id, job.id, done.id
    with store() as s:
        assert repo.get_job(s, bid, jid) is None  # another team's job is not found
        assert repo.get_job(s, aid, jid).status == "running"  # type: ignore[union-attr]
    with store.begin() as s:  # what a restarted server does first
        assert queue.recover_expired(s) == (1, 0)
    with store() as s:
        j = repo.get_job(s, aid, jid)
        assert j is not None and j.status == "queued" and "again" in j.message
        assert repo.get_job(s, aid, did).status == "done"  # type: ignore[union-attr]


def test_an_expired_token_finds_no_team(store: Any) -> None:
    import datetime as dt

    with store.begin() as s:
        team = repo.create_team(s, "alpha")
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        old = repo.issue_token(s, team, expires_at=past)
        fresh = repo.issue_token(s, team, expires_at=past + dt.timedelta(days=1))
    with store() as s:
        assert repo.team_for_token(s, old) is None
        assert repo.team_for_token(s, fresh) is not None
