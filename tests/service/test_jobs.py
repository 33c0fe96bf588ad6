"""The job queue the workers claim from (store.queue), without processes: one claimant per job,
fairness across teams and per-team limits, leases that expire into a bounded retry, writes that
need the lease, and cancel in each state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from computebroker.store import close_store, open_store, queue, repo
from computebroker.store.models import Job


@pytest.fixture
def store(db_url: str) -> Iterator[Any]:
    factory = open_store(db_url)
    yield factory
    close_store(factory)


def _jobs(store: Any, **per_team: int) -> dict[str, tuple[int, list[str]]]:
    out = {}
    with store.begin() as s:
        for name, n in per_team.items():
            team = repo.create_team(s, name)
            out[name] = (team.id, [repo.create_job(s, team.id, "plan", {}).id for _ in range(n)])
    return out


def _claim(store: Any, owner: str, team_limit: int = 2) -> str | None:
    with store.begin() as s:
        job = queue.claim(s, owner, lease_s=30, team_limit=team_limit)
        return job.id if job is not None else None


def test_teams_take_turns_and_a_team_never_passes_its_limit(store: Any) -> None:
    teams = _jobs(store, big=5, small=2)
    big, small = teams["big"][1], teams["small"][1]
    order = [_claim(store, f"w{i}") for i in range(6)]
    # the big team queued first, yet the small team's jobs start second and fourth; then the big
    # team is at its limit of 2 and nothing more starts
    assert order == [big[0], small[0], big[1], small[1], None, None]
    with store.begin() as s:
        assert queue.finish(s, big[0], "w0", "done")
    assert _claim(store, "w9") == big[2]


def test_a_job_is_claimed_once(store: Any) -> None:
    (job,) = _jobs(store, a=1)["a"][1]
    assert _claim(store, "w1") == job
    assert _claim(store, "w2") is None


def test_writes_need_the_lease(store: Any) -> None:
    (job,) = _jobs(store, a=1)["a"][1]
    _claim(store, "w1")
    with store.begin() as s:
        assert not queue.set_progress(s, job, "intruder", 0.5, "x")
        assert not queue.finish(s, job, "intruder", "failed", error="stolen")
        assert queue.heartbeat(s, "intruder", 30) == {}
        assert queue.heartbeat(s, "w1", 30) == {job: False}
        assert queue.finish(s, job, "w1", "done")
        assert not queue.finish(s, job, "w1", "failed")  # once finished, never again


def _expire(store: Any, job: str) -> None:
    with store.begin() as s:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        s.execute(update(Job).where(Job.id == job).values(lease_until=past))


def test_an_expired_lease_is_retried_a_bounded_number_of_times(store: Any) -> None:
    (job,) = _jobs(store, a=1)["a"][1]
    with store.begin() as s:  # a live lease is never touched by another server
        assert _claim(store, "w1") == job
        assert queue.recover_expired(s, max_attempts=2) == (0, 0)
    _expire(store, job)
    with store.begin() as s:
        assert queue.recover_expired(s, max_attempts=2) == (1, 0)
    assert _claim(store, "w2") == job
    with store.begin() as s:  # the first worker's late result is refused
        assert not queue.finish(s, job, "w1", "done")
    _expire(store, job)
    with store.begin() as s:
        assert queue.recover_expired(s, max_attempts=2) == (0, 1)
    with store() as s:
        row = s.get(Job, job)
        assert row.status == "failed" and "2 attempts" in row.error and row.attempts == 2


def test_cancel_in_each_state(store: Any) -> None:
    team, (queued, running, done) = _jobs(store, a=3)["a"]
    assert _claim(store, "w1") == queued  # claims the oldest: make it the running one
    with store.begin() as s:
        assert queue.request_cancel(s, team, queued) == ("running", True)
        assert queue.heartbeat(s, "w1", 30) == {queued: True}
        assert queue.request_cancel(s, team, running) == ("cancelled", True)
        repo.set_job(s, done, status="done")
        assert queue.request_cancel(s, team, done) == ("done", False)
        assert queue.request_cancel(s, team + 1, done) is None  # another team's: not found
    with store.begin() as s:  # a worker that stops gives the job up as cancelled
        queue.release(s, queued, "w1")
    with store() as s:
        assert s.get(Job, queued).status == "cancelled"
        assert s.get(Job, running).attempts == 0


def test_a_released_job_is_queued_again_without_counting_the_attempt(store: Any) -> None:
    (job,) = _jobs(store, a=1)["a"][1]
    _claim(store, "w1")
    with store.begin() as s:
        queue.release(s, job, "w1")
    with store() as s:
        row = s.get(Job, job)
        assert row.status == "queued" and row.attempts == 0 and row.lease_owner is None
