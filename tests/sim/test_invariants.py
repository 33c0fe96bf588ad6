"""Invariants of every policy on random small instances (hypothesis): no pool over capacity
(asserted at every decision by ``check_invariants``), no job on a disallowed accelerator,
work conserved, and a seed fixes the result."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computebroker.sim import SimConfig, SimState, report, simulate
from computebroker.sim.faults import FaultSpec
from tests.strategies import sim_cases


def _run(
    case: tuple[Any, Any, Any, str], seed: int, faults: list[FaultSpec], round_s: float | None
) -> tuple[SimState, Any, Any]:
    fleet, trace, table, policy = copy.deepcopy(case)
    cfg = SimConfig(
        policy=policy, seed=seed, round_seconds=round_s, check_invariants=True, until_s=200_000.0
    )
    return simulate(fleet, trace, table, faults=faults, config=cfg), trace, table


@settings(max_examples=40)
@given(
    case=sim_cases(),
    seed=st.integers(0, 10),
    outage=st.booleans(),
    spot=st.booleans(),
    rounds=st.sampled_from([None, 0.0, 30.0]),
)
def test_invariants(
    case: tuple[Any, Any, Any, str], seed: int, outage: bool, spot: bool, rounds: float | None
) -> None:
    fleet = case[0]
    first = fleet.pools[0].view.name
    faults = []
    if outage:
        faults.append(
            FaultSpec(
                kind="outage", pool=first, start_h=50 / 3600, duration_h=40 / 3600, restart_s=10.0
            )
        )
    if spot:
        faults.append(
            FaultSpec(kind="preemption", pool=first, rate_per_chip_hour=20.0, restart_s=5.0)
        )
    st1, trace, table = _run(case, seed, faults, rounds)
    rep = report(st1)
    # work conserved: useful work + what is left = submitted; executed = useful + lost
    assert rep.work_done + rep.work_remaining == pytest.approx(
        rep.work_submitted, rel=1e-9, abs=1e-6
    )
    assert rep.work_executed == pytest.approx(rep.work_done + rep.work_lost, rel=1e-9, abs=1e-6)
    jobs = {j.id: j for j in trace.jobs}
    views = {p.name: p for p in st1.pools}
    for r in st1.records:
        j = jobs[r.id]
        for name in r.pools:  # never on a disallowed accelerator, never where it cannot run
            assert j.allowed is None or views[name].accelerator in j.allowed
            assert table.lookup(j.job_type, views[name].accelerator, 1) > 0
        if r.finished is not None:
            assert r.finished >= r.arrival and r.remaining == 0
    # utilisation can never exceed 1
    assert all(u <= 1 + 1e-9 for u in rep.utilisation_by_pool.values())
    # the same seed gives the same result
    st2, _, _ = _run(case, seed, faults, rounds)
    assert [(r.id, r.finished, r.lost) for r in st2.records] == [
        (r.id, r.finished, r.lost) for r in st1.records
    ]
