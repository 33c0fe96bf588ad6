"""Invariants of every policy on random small instances (hypothesis): no pool over capacity
(asserted at every decision by ``check_invariants``), no job on a disallowed accelerator,
work conserved (integrated independently from the placement log), the inputs left as they
were, and a seed fixes the result."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computebroker.scheduler import JobKind, ThroughputTable
from computebroker.sim import SimConfig, SimState, Trace, report, simulate
from computebroker.sim.faults import FaultSpec
from computebroker.sim.simulator import RoundMode
from tests.strategies import sim_cases


def _run(
    case: tuple[Any, Any, Any, str],
    seed: int,
    faults: list[FaultSpec],
    round_s: float | None,
    gavel: bool = False,
) -> tuple[SimState, Any, Any]:
    fleet, trace, table, policy = case
    cfg = SimConfig(
        rounds=RoundMode.GAVEL if gavel else RoundMode.FLUID,
        policy=policy,
        seed=seed,
        round_seconds=round_s,
        check_invariants=True,
        record_allocations=True,
        until_s=200_000.0,
    )
    return simulate(fleet, trace, table, faults=faults, config=cfg), trace, table


def gross_work(st: SimState, trace: Trace, table: ThroughputTable) -> list[float]:
    """Work each job ran, integrated from the placement log: sum over the intervals between
    its placement changes of share x throughput x duration (a job still placed at the end
    runs until ``st.end``). Independent of the simulator's own per-job accounting."""
    out = [0.0] * len(trace.jobs)
    last: dict[int, tuple[float, tuple[tuple[int, float, int], ...]]] = {}

    def close(j: int, until: float) -> None:
        t0, placements = last[j]
        spec = trace.jobs[j]
        rate = sum(share * table.rate(spec, st.pools[k], c) for k, share, c in placements)
        out[j] += rate * (until - t0)

    for t, j, placements in st.allocations:
        if j in last:
            close(j, t)
        last[j] = (t, placements)
    for j in last:
        close(j, st.end)
    return out


def check_work_conserved(st: SimState, trace: Trace, table: ThroughputTable) -> None:
    """Against the jobs' sizes: a finished job ran its work plus what faults destroyed, and
    stopped running when it finished; an unfinished one ran no more than that."""
    gross = gross_work(st, trace, table)
    for j, (spec, r) in enumerate(zip(trace.jobs, st.records, strict=True)):
        assert r.id == spec.id
        if spec.kind is not JobKind.TRAIN:
            continue
        tol = 1e-6 * max(spec.work, 1.0)
        assert 0.0 <= r.lost <= gross[j] + tol
        assert r.executed == pytest.approx(gross[j], rel=1e-6, abs=1e-6)
        if r.finished is not None:
            assert gross[j] - r.lost == pytest.approx(spec.work, rel=1e-6, abs=1e-6), spec.id
            assert r.remaining == 0
            placed = [t for t, i, p in st.allocations if i == j]
            assert placed[-1] == r.finished  # its chips were released when it finished
        else:
            assert gross[j] - r.lost <= spec.work + tol, spec.id


@settings(max_examples=40)
@given(
    case=sim_cases(),
    seed=st.integers(0, 10),
    outage=st.booleans(),
    spot=st.booleans(),
    slip=st.booleans(),
    gavel=st.booleans(),
    rounds=st.sampled_from([None, 0.0, 30.0]),
)
def test_invariants(
    case: tuple[Any, Any, Any, str],
    seed: int,
    outage: bool,
    spot: bool,
    slip: bool,
    gavel: bool,
    rounds: float | None,
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
    if slip:
        faults.append(FaultSpec(kind="slip", pool="*", delay_h=60 / 3600, fraction=0.5))
    before = copy.deepcopy((case, faults))
    st1, trace, table = _run(case, seed, faults, rounds, gavel)
    # the inputs are left as they were: trace (jobs, demand), fleet, table, faults
    assert (case, faults) == before
    rep = report(st1)
    check_work_conserved(st1, trace, table)
    if not faults:
        assert rep.work_lost == 0
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
    st2, _, _ = _run(case, seed, faults, rounds, gavel)
    assert [(r.id, r.finished, r.lost) for r in st2.records] == [
        (r.id, r.finished, r.lost) for r in st1.records
    ]


def test_inputs_unchanged_with_services_and_every_fault_kind() -> None:
    # services (their demand curves live in the trace), deadlines, a capacity step, and every
    # kind of fault: the same inputs simulated twice give the same result and stay as they were
    from dataclasses import replace

    from computebroker.scheduler import SimJob
    from computebroker.scheduler.types import PoolView
    from computebroker.sim.fleet import Fleet, Pool

    jobs = [
        SimJob(id="t0", job_type="a", arrival=0.0, work=500.0, chips=2, deadline=400.0),
        SimJob(id="s", job_type="a", arrival=0.0, work=0.0, kind=JobKind.SERVE, end=900.0),
        SimJob(id="t1", job_type="a", arrival=30.0, work=300.0, checkpoint_s=20.0),
    ]
    tr = Trace(
        jobs=[replace(j, index=i) for i, j in enumerate(jobs)],
        source="t",
        format="t",
        demand={"s": [(0.0, 1.0), (300.0, 2.0)]},
    )
    fl = Fleet(
        pools=[
            Pool(view=PoolView(name="x", accelerator="x"), steps=[(0.0, 2), (200.0, 4)]),
            Pool(view=PoolView(name="y", accelerator="y", spot=True), steps=[(0.0, 2)]),
        ]
    )
    tab = ThroughputTable(per_chip={("a", "x"): 1.0, ("a", "y"): 0.5}, unit="u")
    faults = [
        FaultSpec(kind="slip", pool="x", delay_h=0.05, fraction=0.5),
        FaultSpec(kind="preemption", pool="y", rate_per_chip_hour=5.0, restart_s=10.0),
        FaultSpec(kind="outage", pool="x", start_h=0.02, duration_h=0.01, restart_s=5.0),
        FaultSpec(kind="random-outages", pool="y", rate_per_day=200.0, duration_h=0.01),
    ]
    before = copy.deepcopy((tr, fl, tab, faults))
    runs = []
    for policy in ("greedy-fast", "max-min-fairness", "min-cost"):
        cfg = SimConfig(
            policy=policy, seed=3, check_invariants=True, record_allocations=True, until_s=3000.0
        )
        st_ = simulate(fl, tr, tab, faults=faults, config=cfg)
        assert (tr, fl, tab, faults) == before
        check_work_conserved(st_, tr, tab)
        again = simulate(fl, tr, tab, faults=faults, config=cfg)
        assert [(r.finished, r.lost, r.served) for r in again.records] == [
            (r.finished, r.lost, r.served) for r in st_.records
        ]
        runs.append(report(st_))
    assert all(r.restarts > 0 for r in runs)  # the faults did hit
