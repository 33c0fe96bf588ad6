"""The stages of a whole run agree with each other (on a reduced frontier-lab scenario)."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np
import pytest
import yaml

from computebroker.catalog import shipped_catalog
from computebroker.planner import parse_scenario
from computebroker.reports.run import build_run_report
from computebroker.workflow import PlanRunOptions, RunResult, plan_run, realise
from tests.planner.helpers import tiny

HOUR = 3600.0


def test_the_simulated_fleet_is_the_plan(small_run: Any) -> None:
    run: RunResult = small_run
    doc = run.document.planned("run")
    hours = doc.horizon.hours_per_period
    base = run.cases[0]
    pools = {p.view.name: p for p in base.fleet.pools}
    committed = {c.offer for c in doc.commitments}
    assert committed <= set(pools)
    for oid in committed:
        for t in range(len(doc.horizon.periods)):
            expect = 0.0
            for c in doc.commitments:
                if c.offer == oid and c.start_index <= t < c.start_index + c.term_periods:
                    share = 1.0 if c.existing else run.delivered[oid][t]
                    expect += c.chips * share
            assert pools[oid].chips_at(t * hours * HOUR) == round(expect), (oid, t)
    # what the policy ran on is exactly that fleet: nothing used beyond it
    for k, name in enumerate(p.name for p in base.state.pools):
        assert base.state.busy_chip_s[k] <= base.state.capacity_chip_s[k] + 1e-6, name
    # and the plan's own prices are what the simulation charged
    offers = {o.id: o for o in doc.offers}
    for p in base.state.pools:
        assert p.price_chip_hour == pytest.approx(offers[p.name].price_chip_hour)


def test_realised_cost_within_the_plans_scenario_range(small_run: Any) -> None:
    run: RunResult = small_run
    z = run.cases[0].realised
    assert z.plan_min_usd <= z.total_usd <= z.plan_max_usd


def test_realised_cost_on_the_plans_terms_by_hand(small_run: Any) -> None:
    """A plan whose every figure is known by hand: 2 quarters of 1,000 h, demand exactly 1e9
    units a quarter, shortfall priced at $0.01 a unit, one 2-quarter commitment (nothing due past
    the horizon). A case that spent $1,000 and left 5e7 units undone costs
    $1,000 + 5e7 x $0.01 = $501,000 on the plan's terms, and left 5e7 / 2e9 = 2.5% unmet."""
    doc = tiny(
        periods=2,
        offers=[
            {
                "id": "c",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 2.0,
                "term_periods": 2,
            }
        ],
        demand={"classes": {"w": {"start": 1e9}}},
        policy={"shortfall_penalty": {"usd_per_unit": {"w": 0.01}}},
        count=5,
    )
    cat = shipped_catalog()
    planned = plan_run(
        parse_scenario(yaml.safe_dump(doc), cat), cat, PlanRunOptions(out_of_sample=0)
    )
    plan, m = planned.require()
    # the plan buys all the work: 1e9 units / 1,000 units per chip-hour / 1,000 h = 1,000 chips
    assert [c.chips for c in m.schedule] == [pytest.approx(1000.0)]
    case = dataclasses.replace(
        small_run.cases[0].report, cost_usd=1000.0, shortfall_by_type={"w": 5e7}
    )
    z = realise(case, planned.problem, plan, m, np.array([[1e9, 1e9]]))
    assert z.post_horizon_usd == pytest.approx(0.0, abs=1e-6)
    assert z.penalty_usd == pytest.approx(5e5)
    assert z.total_usd == pytest.approx(501_000.0)
    assert z.unmet_by_class == {"w": pytest.approx(0.025)}
    assert z.unmet_share == pytest.approx(0.025)
    # the plan's own scenario costs: 1,000 chips x $2 x 2,000 h = $4M in every scenario
    assert z.plan_min_usd == pytest.approx(4e6) and z.plan_max_usd == pytest.approx(4e6)
    assert not z.within_range


def test_demand_drawn_is_the_demand_simulated(small_run: Any) -> None:
    run: RunResult = small_run
    period_s = run.spec.horizon.hours_per_period * HOUR
    train = {w.name for w in run.spec.workloads if w.mode.value == "train"}
    for name in train:
        work = sum(j.work for j in run.trace.jobs if j.job_type == name)
        total = sum(r.wanted + r.work for r in run.cases[0].state.records if r.job_type == name)
        assert work == pytest.approx(total)
    for sid, curve in run.trace.demand.items():
        assert curve[0][0] == 0.0 and all(
            b[0] - a[0] == pytest.approx(period_s) for a, b in itertools.pairwise(curve)
        ), sid


def test_stress_cases_are_reported_not_hidden(small_run: Any) -> None:
    from computebroker.sim.faults import apply_static_faults

    run: RunResult = small_run
    names = [c.name for c in run.cases]
    assert len(names) == 4 and names[0] == "plan as drawn"
    hours = run.spec.horizon.hours_per_period
    at = 1.5 * hours * HOUR
    # the chip-wide common slip: every seller of the chip has less of it early on, together
    chip_case = run.cases[1]
    assert run.stress is not None and chip_case.name.startswith("every GB200 seller")
    sellers = {p.view.provider for p in chip_case.fleet.pools if p.view.accelerator == "gb200"}

    def gb200(case: Any) -> float:
        fleet = apply_static_faults(case.fleet, case.faults)  # the fleet the case ran
        return sum(p.chips_at(at) for p in fleet.pools if p.view.accelerator == "gb200")

    assert sellers and gb200(chip_case) < gb200(run.cases[0])
    late = run.cases[2]
    assert "two periods late" in late.name
    vendor = late.name.split(" two periods")[0]
    # the stressed fleet really has less of that vendor early on
    before = sum(p.chips_at(at) for p in run.cases[0].fleet.pools if p.view.provider == vendor)
    ran = apply_static_faults(late.fleet, late.faults)
    after = sum(p.chips_at(at) for p in ran.pools if p.view.provider == vendor)
    assert after <= before
    html = build_run_report(run).render()
    # the expected-cost stress of the plan is explained in the report, in words
    assert "Stress: every GB200 seller 2 quarters late" in html
    assert "The parts sum to the difference." in html
    for c in run.cases:
        assert c.realised.unmet_share >= 0
        assert c.name in html
        assert f"{c.realised.unmet_share:.2%}" in html
    outage = run.cases[2]
    # Restarts depend on where the policy placed jobs: an outage that leaves fewer jobs running
    # can restart fewer of them, so only their being reported is checked.
    assert outage.report.restarts >= 0 and run.cases[0].report.restarts >= 0
