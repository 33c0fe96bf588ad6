"""The dashboard's plan history (``GET /v1/jobs``): newest first, at most ``limit`` rows taken
in the query (not all read and cut), with parameters, and never the results — a team with
hundreds of finished plans must not have every plan document parsed on each poll."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import event, update

from computebroker.service import create_app
from computebroker.store import close_store, open_store, repo
from computebroker.store.models import Job, Team
from tests.servers import team_tokens


def test_the_job_list_is_newest_first_limited_and_reads_no_results(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    (token,) = team_tokens(url, "alpha")
    store = open_store(url)
    ids = []
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with store.begin() as s:
        team = s.query(Team).one()
        for i in range(6):
            job = repo.create_job(s, team.id, "plan", {"scenario": f"s{i}"})
            s.execute(
                update(Job)
                .where(Job.id == job.id)
                .values(
                    created_at=t0 + dt.timedelta(minutes=i),
                    status="done",
                    result={"big": "x" * 10_000},
                )
            )
            ids.append(job.id)
    close_store(store)
    statements: list[str] = []
    app = create_app(url, workers=0)
    engine = app.state.ctx.store.kw["bind"]
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with TestClient(app) as c:
        h = {"Authorization": f"Bearer {token}"}
        statements.clear()
        rows = c.get("/v1/jobs?limit=3", headers=h).json()
        assert [r["id"] for r in rows] == ids[::-1][:3]
        assert [r["params"]["scenario"] for r in rows] == ["s5", "s4", "s3"]
        assert all("result" not in r for r in rows)
        listing = [q for q in statements if "FROM jobs" in q]
        assert listing and all("jobs.result" not in q for q in listing), listing
        assert any("LIMIT" in q for q in listing), listing
        statements.clear()
        assert c.get(f"/v1/jobs/{ids[0]}", headers=h).json()["status"] == "done"
        assert all("jobs.result" not in q for q in statements if "FROM jobs" in q)
        assert c.get(f"/v1/plans/{ids[0]}", headers=h).json() == {"big": "x" * 10_000}
