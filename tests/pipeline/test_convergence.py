"""How sure a plan is, through the one plan workflow: ``--scenarios auto`` (``converge``) and
``--replications N`` attach a convergence record; the document, the report and the service's job
message say whether the plan converged."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from computebroker.catalog import shipped_catalog
from computebroker.planner import parse_scenario
from computebroker.reports.plan import plan_report
from computebroker.service import create_app
from computebroker.workflow import PlanRunOptions, plan_run
from tests.planner.helpers import commit_and_on_demand
from tests.servers import team_tokens


def _scenario(vol: float, count: int = 10, **policy: Any) -> dict[str, Any]:
    return commit_and_on_demand(
        volatility=vol,
        periods=2,
        od_max_chips=None,
        policy=policy,
        count=count,
    )


def _plan(doc: dict[str, Any], options: PlanRunOptions) -> Any:
    cat = shipped_catalog()
    return plan_run(parse_scenario(yaml.safe_dump(doc), cat), cat, options)


def test_auto_that_reaches_its_largest_sample_unconverged_says_so() -> None:
    seen: list[str] = []
    cat = shipped_catalog()
    opt = PlanRunOptions(
        converge=True,
        replications=2,
        converge_from=8,
        converge_max=16,
        target=1e-6,
        out_of_sample=0,
    )
    run = plan_run(
        parse_scenario(yaml.safe_dump(_scenario(0.4)), cat), cat, opt, progress=seen.append
    )
    c = run.metrics.convergence if run.metrics is not None else None
    assert c is not None and not c.converged and c.replications == 2
    # the plan is the last (largest) sample's, and the document says which sample it is
    assert c.scenarios == 16 == run.problem.n_scenarios == run.document.scenarios.count  # type: ignore[union-attr]
    assert run.document.metrics is not None and run.document.metrics.convergence is not None
    assert run.document.metrics.convergence.converged is False
    assert [m for m in seen if m.startswith("solving on")] == [
        "solving on 8 scenarios",
        "solving on 16 scenarios",
    ]
    page = plan_report(run).render()
    assert "This plan has NOT converged" in page and "NOT converged at 16 scenarios" in page
    assert "converge" in run.seconds


def test_auto_without_a_plan_is_a_run_that_says_so() -> None:
    doc = _scenario(
        0.0,
        existing=[{"offer": "c", "start": "2026Q1", "chips": 1000}],
        budget_per_period=1e6,
    )
    run = _plan(doc, PlanRunOptions(converge=True, converge_from=8, out_of_sample=0))
    assert run.plan is None and run.metrics is None
    assert run.document.status == "infeasible" and run.document.explanation


def test_fixed_size_replications_leave_the_plan_as_it_was() -> None:
    doc = _scenario(0.3)
    plain = _plan(doc, PlanRunOptions(out_of_sample=0))
    measured = _plan(doc, PlanRunOptions(out_of_sample=0, replications=2))
    assert plain.metrics is not None and plain.metrics.convergence is None
    assert measured.metrics is not None and measured.metrics.convergence is not None
    assert measured.metrics.convergence.replications == 2
    assert measured.metrics.convergence.scenarios == 10
    assert plain.document.commitments == measured.document.commitments


def _job(client: TestClient, a: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    job = client.post("/v1/plans", json={"scenario": "s", **body}, headers=a).json()["id"]
    st: dict[str, Any] = {}
    for _ in range(2400):
        st = client.get(f"/v1/jobs/{job}", headers=a).json()
        if st["status"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert st["status"] == "done", st
    st["plan"] = client.get(f"/v1/plans/{job}", headers=a).json()
    return st


def test_the_api_plans_until_converged_and_says_whether_it_did(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    (token,) = team_tokens(url, "alpha")
    a = {"Authorization": f"Bearer {token}"}
    quick = {"frontier": False, "out_of_sample": 0}
    with TestClient(create_app(url)) as client:
        for name, vol in (("s", 0.0), ("n", 0.4)):
            text = yaml.safe_dump(_scenario(vol))
            assert client.post(
                "/v1/scenarios", json={"name": name, "yaml": text}, headers=a
            ).is_success
        auto = _job(client, a, {**quick, "scenarios": "auto", "replications": 2})
        c = auto["plan"]["metrics"]["convergence"]
        assert c["converged"] and c["scenarios"] == 100 == auto["plan"]["scenarios"]["count"]
        assert "; converged at 100 scenarios" in auto["message"]
        plain = _job(client, a, quick)
        assert plain["plan"]["metrics"]["convergence"] is None
        assert 'convergence not measured (plan with "scenarios": "auto"' in plain["message"]
        noisy = _job(client, a, {**quick, "scenario": "n", "replications": 3})
        assert noisy["plan"]["metrics"]["convergence"]["converged"] is False
        assert "; NOT converged at 10 scenarios" in noisy["message"]
        bad = client.post("/v1/plans", json={"scenario": "s", "scenarios": "many"}, headers=a)
        assert bad.status_code == 422
        one = client.post("/v1/plans", json={"scenario": "s", "replications": 1}, headers=a)
        assert one.status_code == 422
