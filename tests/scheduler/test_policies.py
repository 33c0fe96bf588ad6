"""Policies on hand-checked inputs: the max-min LP, the cost rule, SLO order, FIFO blocking."""

from __future__ import annotations

from dataclasses import replace

import pytest

from computebroker.scheduler import (
    AllocationInput,
    JobKind,
    JobState,
    PoolView,
    SimJob,
    ThroughputTable,
    get_policy,
)


def inp(
    jobs: list[SimJob],
    pools: list[PoolView],
    free: list[float],
    rates: dict[tuple[str, str], float],
    now: float = 0.0,
    demand: dict[str, float] | None = None,
) -> AllocationInput:
    table = ThroughputTable(per_chip=rates)
    states = [
        JobState.of(replace(j, index=i), demand=(demand or {}).get(j.id, 0.0))
        for i, j in enumerate(jobs)
    ]
    return AllocationInput(
        now=now, jobs=states, pools=pools, free=free, capacity=free, rate=table.rate
    )


def shares(policy: str, i: AllocationInput) -> dict[tuple[str, str], float]:
    a = get_policy(policy).allocate(i)
    a.check(i)
    out: dict[tuple[str, str], float] = {}
    for p in a.all_placements():
        key = (i.jobs[p.job].id, i.pools[p.pool].name)
        out[key] = out.get(key, 0.0) + p.share
    return out


X, Y = PoolView(name="x", accelerator="x"), PoolView(name="y", accelerator="y")


def test_heterogeneity_aware_gives_the_fast_chip_to_the_job_that_gains() -> None:
    # A runs 2x faster on x, B the same anywhere. Agnostic: each job half of each chip (A: 1.5,
    # B: 1.0). Aware: max-min of throughput / agnostic throughput = 1 at best for B (its whole
    # time at rate 1), and the spare goes to A: A on x (2/1.5 = 1.33), B on y.
    jobs = [
        SimJob(id="A", job_type="a", arrival=0, work=10),
        SimJob(id="B", job_type="b", arrival=0, work=10),
    ]
    rates = {("a", "x"): 2.0, ("a", "y"): 1.0, ("b", "x"): 1.0, ("b", "y"): 1.0}
    agn = shares("max-min-fairness-agnostic", inp(jobs, [X, Y], [1, 1], rates))
    assert agn == pytest.approx(
        {("A", "x"): 0.5, ("A", "y"): 0.5, ("B", "x"): 0.5, ("B", "y"): 0.5}
    )
    aware = shares("max-min-fairness", inp(jobs, [X, Y], [1, 1], rates))
    assert aware == pytest.approx({("A", "x"): 1.0, ("B", "y"): 1.0}, abs=1e-6)


def test_weights_scale_the_agnostic_share() -> None:
    jobs = [
        SimJob(id="A", job_type="a", arrival=0, work=10, weight=3.0),
        SimJob(id="B", job_type="a", arrival=0, work=10),
    ]
    got = shares("max-min-fairness-agnostic", inp(jobs, [X], [1], {("a", "x"): 1.0}))
    assert got == pytest.approx({("A", "x"): 0.75, ("B", "x"): 0.25})


def test_min_makespan_balances_remaining_work() -> None:
    # one chip, A has 3x B's work: both finish together when A gets 3/4 of the time
    jobs = [
        SimJob(id="A", job_type="a", arrival=0, work=30),
        SimJob(id="B", job_type="a", arrival=0, work=10),
    ]
    got = shares("min-makespan", inp(jobs, [X], [1], {("a", "x"): 1.0}))
    assert got == pytest.approx({("A", "x"): 0.75, ("B", "x"): 0.25}, abs=1e-6)


def test_min_cost_uses_paid_for_capacity_unless_the_deadline_needs_more() -> None:
    committed = PoolView(name="c", accelerator="h100", contract="commit-1y", price_chip_hour=4.0)
    on_demand = PoolView(name="od", accelerator="b200", contract="on-demand", price_chip_hour=2.0)
    rates = {("a", "h100"): 1.0, ("a", "b200"): 2.0}
    job = SimJob(id="J", job_type="a", arrival=0, work=3600.0)
    assert shares("min-cost", inp([job], [committed, on_demand], [8, 8], rates)) == {
        ("J", "c"): 1.0
    }
    rushed = SimJob(
        id="J", job_type="a", arrival=0, work=3600.0, deadline=2000.0
    )  # only b200 makes it
    assert shares("min-cost", inp([rushed], [committed, on_demand], [8, 8], rates)) == {
        ("J", "od"): 1.0
    }


def test_slo_first_serves_services_before_earlier_training() -> None:
    pool = PoolView(name="x", accelerator="x")
    train = SimJob(id="T", job_type="a", arrival=0, work=10, chips=2)
    svc = SimJob(id="S", job_type="s", arrival=5, work=0, kind=JobKind.SERVE)
    demand = {"S": 3.0}  # needs 3 chips at 1/s per chip
    rates = {("a", "x"): 1.0, ("s", "x"): 1.0}
    assert shares("slo-first", inp([train, svc], [pool], [4], rates, demand=demand)) == {
        ("S", "x"): 1.0
    }
    assert shares("fifo", inp([train, svc], [pool], [4], rates, demand=demand)) == {
        ("T", "x"): 1.0,
        ("S", "x"): 1.0,
    }


def test_fifo_blocks_greedy_backfills() -> None:
    big = SimJob(id="big", job_type="a", arrival=0, work=10, chips=4)
    small = SimJob(id="small", job_type="a", arrival=1, work=10, chips=1)
    i = inp([big, small], [X], [2], {("a", "x"): 1.0})
    assert shares("fifo", i) == {}
    assert shares("greedy-fast", i) == {("small", "x"): 1.0}
    elastic = SimJob(id="big", job_type="a", arrival=0, work=10, chips=4, min_chips=2)
    assert shares("fifo", inp([elastic, small], [X], [2], {("a", "x"): 1.0})) == {("big", "x"): 1.0}


def test_greedy_picks_the_fastest_allowed_pool() -> None:
    job = SimJob(id="J", job_type="a", arrival=0, work=10, allowed=frozenset({"y"}))
    assert shares(
        "greedy-fast", inp([job], [X, Y], [1, 1], {("a", "x"): 5.0, ("a", "y"): 1.0})
    ) == {("J", "y"): 1.0}


def test_live_placement_is_the_simulators_policy_on_wall_time() -> None:
    from computebroker.scheduler.live import place

    class Fixed:
        def now(self) -> float:
            return 1234.0

    spec = SimJob(id="J", job_type="a", arrival=0, work=10)
    waiting = JobState.of(spec, ready_at=2000.0)  # not ready yet at 1234
    table = ThroughputTable(per_chip={("a", "x"): 1.0})
    assert place([waiting], [X], [4], table, "fifo", clock=Fixed()) == []
    d = place([spec], [X], [4], table, "fifo", clock=Fixed())
    assert [(x.job, x.pool, x.chips, x.rate) for x in d] == [("J", "x", 1, 1.0)]


def test_allocation_lp_falls_back_and_names_the_round_when_every_attempt_fails() -> None:
    from computebroker.errors import SolverError
    from computebroker.scheduler.policies._lp import AllocationLp
    from computebroker.scheduler.policies.max_min_fairness import MaxMinFairness

    jobs = [
        SimJob(id="A", job_type="a", arrival=0, work=10),
        SimJob(id="B", job_type="b", arrival=0, work=10),
    ]
    rates = {("a", "x"): 2.0, ("a", "y"): 1.0, ("b", "x"): 1.0, ("b", "y"): 1.0}
    i = replace(inp(jobs, [X, Y], [1, 1], rates, now=720.0), round_seconds=360.0)
    stuck: dict[str, str | int | float] = {"presolve": "off", "simplex_iteration_limit": 0}
    # the first attempt cannot finish; the fallback (presolve on) solves it
    policy = MaxMinFairness()
    policy._lp = AllocationLp(attempts=(stuck, {"presolve": "on"}))
    got = policy.allocate(i)
    assert {(p.job, p.pool): p.share for p in got.all_placements()} == pytest.approx(
        {(0, 0): 1.0, (1, 1): 1.0}, abs=1e-6
    )
    assert policy._lp.fallbacks == 1
    # nothing solves it: the error says which round and what each attempt answered
    policy._lp = AllocationLp(attempts=(stuck, stuck))
    with pytest.raises(SolverError, match=r"max-min-fairness at t = 720 s \(round 2 of 360 s\)"):
        policy.allocate(i)
