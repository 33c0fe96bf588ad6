"""The attempt as a fencing token (store.queue): when a job's lease ran out and the same worker
claimed it again, the older attempt's process can no longer write; the newer one can."""

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


def _claim(store: Any, owner: str) -> tuple[str, int]:
    with store.begin() as s:
        job = queue.claim(s, owner, lease_s=30, team_limit=2)
        assert job is not None
        return job.id, job.attempts


def test_an_older_attempt_of_the_same_worker_cannot_write(store: Any) -> None:
    with store.begin() as s:
        team = repo.create_team(s, "a")
        repo.create_job(s, team.id, "plan", {})
    job, first = _claim(store, "w1")
    with store.begin() as s:  # w1 was too slow to renew: its lease ran out, the job is queued
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        s.execute(update(Job).where(Job.id == job).values(lease_until=past))
        assert queue.recover_expired(s) == (1, 0)
    again, second = _claim(store, "w1")  # and w1 claims it again
    assert again == job and second == first + 1
    with store.begin() as s:
        assert not queue.set_progress(s, job, "w1", 0.5, "late", attempt=first)
        assert not queue.finish(s, job, "w1", "done", attempt=first)
        assert queue.set_progress(s, job, "w1", 0.5, "now", attempt=second)
        assert queue.finish(s, job, "w1", "done", attempt=second)
        assert queue.finished(s, [job, "no-such-job"]) == {job}


def test_a_claim_starts_its_lease_when_it_holds_the_row(store: Any) -> None:
    with store.begin() as s:
        team = repo.create_team(s, "a")
        repo.create_job(s, team.id, "plan", {})
    before = dt.datetime.now(dt.UTC)
    job, _ = _claim(store, "w1")
    with store() as s:
        until = s.get(Job, job).lease_until
    until = until if until.tzinfo else until.replace(tzinfo=dt.UTC)
    assert dt.timedelta(seconds=29) <= until - before <= dt.timedelta(seconds=40)


def test_a_released_job_whose_cancel_was_asked_ends_cancelled_holding_no_lease(
    store: Any,
) -> None:
    """A worker stopping on purpose (SIGTERM) gives its jobs back; one whose cancel was asked
    ends cancelled, and like every finished job it holds no lease (found by the kill test)."""
    with store.begin() as s:
        team = repo.create_team(s, "a")
        repo.create_job(s, team.id, "plan", {})
    job, _ = _claim(store, "w1")
    with store.begin() as s:
        assert queue.request_cancel(s, team.id, job) is not None
        queue.release(s, job, "w1")
    with store() as s:
        row = s.get(Job, job)
        assert (row.status, row.lease_owner, row.lease_until) == ("cancelled", None, None)
