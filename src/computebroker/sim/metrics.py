"""The figures of a simulation: job completion times, makespan, queueing, utilisation per
pool, cost by provider and contract, work lost to faults, SLO attainment and shortfall, and a
timeline of pool usage — all computed from ``SimState`` (nothing read back from policies).

Cost: committed pools (commitments, deals, capacity blocks) are paid for their capacity
whether used or not (outage hours included: contracts bill through them); on-demand and spot
pools for the chip-hours used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from computebroker.scheduler.types import JobKind
from computebroker.sim.simulator import SimState

__all__ = ["SimReport", "report"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SimReport:
    """Headline figures and tables of one run."""

    policy: str
    jobs: int
    finished: int
    unfinished: int
    rejected: int
    avg_jct_s: float | None
    p50_jct_s: float | None
    p99_jct_s: float | None
    makespan_s: float
    avg_queue_s: float | None
    utilisation: float
    utilisation_by_pool: dict[str, float]
    cost_usd: float
    cost_by_provider: dict[str, float]
    cost_by_contract: dict[str, float]
    work_submitted: float
    work_done: float
    work_lost: float
    work_remaining: float
    work_executed: float
    chip_hours_lost: float
    restarts: int
    deadline_met: float | None
    slo_attainment: float | None
    service_shortfall: float
    work_late: float  # training work not done by its deadline
    shortfall_by_type: dict[str, float]  # work not done in time (late training + unserved
    # demand), rejected jobs' work included
    unit: str
    reallocations: int
    events: int
    timeline: dict[str, Any] = field(default_factory=dict)
    rejected_reasons: dict[str, int] = field(default_factory=dict)
    # busy / available chip-time of committed pools, and of rental pools (on-demand and spot,
    # whose "capacity" is a cap, not chips paid for); None where the fleet has none
    utilisation_committed: float | None = None
    utilisation_rented: float | None = None

    def record(self) -> dict[str, Any]:
        """JSON-ready dict (the ``simulate --format json`` document)."""
        return {k: getattr(self, k) for k in self.__slots__}


def _pct(values: list[float], q: float) -> float | None:
    """``np.percentile(values, q)`` (its default, linear method), bit for bit, without numpy:
    np.percentile calls np.unique, whose first call imports numpy.ma (10-20 ms of start-up)."""
    if not values:
        return None
    v = sorted(values)
    n = len(v)
    frac = q / 100
    at = (n - 1) * frac  # numpy's virtual index for the linear method
    if at >= n - 1:
        return float(v[-1])
    if at < 0:
        return float(v[0])
    lo = math.floor(at)
    a, b, t = v[lo], v[lo + 1], at - lo
    # numpy's _lerp: from the nearer end, so t = 1 gives b exactly
    return float(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)


def _timeline(st: SimState, points: int) -> dict[str, Any]:
    if not st.timeline_t:
        return {"t_hours": [], "used": {}, "capacity": {}}
    t = np.array(st.timeline_t)
    used = np.array(st.timeline_used)
    cap = np.array(st.timeline_capacity)
    if len(t) > points:
        # evenly spaced sample indices, each once (ascending already, so no np.unique: its
        # first call imports numpy.ma, 10-20 ms of a run's start-up)
        idx = np.linspace(0, len(t) - 1, points).round().astype(int)
        idx = idx[np.concatenate(([True], idx[1:] != idx[:-1]))]
        t, used, cap = t[idx], used[idx], cap[idx]
    names = [p.name for p in st.pools]
    return {
        "t_hours": (t / 3600.0).round(4).tolist(),
        "used": {n: used[:, k].round(3).tolist() for k, n in enumerate(names)},
        "capacity": {n: cap[:, k].round(3).tolist() for k, n in enumerate(names)},
    }


def report(st: SimState) -> SimReport:
    """Compute the figures (see the module docstring)."""
    recs = st.records
    train = [r for r in recs if r.kind is JobKind.TRAIN and not r.rejected]
    done = [r for r in train if r.finished is not None]
    jct = [r.jct for r in done if r.jct is not None]
    queue = [r.started - r.arrival for r in train if r.started is not None]
    arrivals = [r.arrival for r in recs if not r.rejected]
    finishes = [r.finished for r in recs if r.finished is not None]
    makespan = (max(finishes) - min(arrivals)) if finishes and arrivals else 0.0
    names = [p.name for p in st.pools]
    util_pool = {
        n: (st.busy_chip_s[k] / st.capacity_chip_s[k] if st.capacity_chip_s[k] > 0 else 0.0)
        for k, n in enumerate(names)
    }
    cap_total = sum(st.capacity_chip_s)
    util = sum(st.busy_chip_s) / cap_total if cap_total > 0 else 0.0

    def _util(committed: bool) -> float | None:
        ks = [k for k, p in enumerate(st.pools) if p.committed is committed]
        cap = sum(st.capacity_chip_s[k] for k in ks)
        return sum(st.busy_chip_s[k] for k in ks) / cap if cap > 0 else None

    by_provider: dict[str, float] = {}
    by_contract: dict[str, float] = {}
    total = 0.0
    for k, p in enumerate(st.pools):
        chip_s = st.paid_chip_s[k] if p.committed else st.busy_chip_s[k]
        usd = p.price_chip_hour * chip_s / 3600.0
        total += usd
        by_provider[p.provider] = by_provider.get(p.provider, 0.0) + usd
        by_contract[p.contract] = by_contract.get(p.contract, 0.0) + usd
    submitted = sum(r.work for r in train)
    remaining = sum(r.remaining for r in train)
    lost = sum(r.lost for r in train)
    executed = sum(r.executed for r in train)
    with_deadline = [r for r in train if r.deadline is not None]
    met = [
        r
        for r in with_deadline
        if r.finished is not None and r.finished <= (r.deadline or 0) + 1e-6
    ]
    services = [r for r in recs if r.kind is JobKind.SERVE and not r.rejected]
    wanted = sum(r.wanted for r in services)
    served = sum(r.served for r in services)
    by_type: dict[str, float] = {}
    for r in recs:  # a rejected job counts too: none of its work was done (Sim._reject)
        gap = (r.wanted - r.served) if r.kind is JobKind.SERVE else r.late
        by_type[r.job_type] = by_type.get(r.job_type, 0.0) + gap
    reasons: dict[str, int] = {}
    for r in recs:
        if r.rejected:
            reasons[r.rejected] = reasons.get(r.rejected, 0) + 1
    return SimReport(
        policy=st.policy,
        jobs=len(recs),
        finished=len(done),
        unfinished=len(train) - len(done),
        rejected=sum(1 for r in recs if r.rejected),
        utilisation_committed=_util(True),
        utilisation_rented=_util(False),
        avg_jct_s=float(np.mean(jct)) if jct else None,
        p50_jct_s=_pct(jct, 50),
        p99_jct_s=_pct(jct, 99),
        makespan_s=makespan,
        avg_queue_s=float(np.mean(queue)) if queue else None,
        utilisation=util,
        utilisation_by_pool=util_pool,
        cost_usd=total,
        cost_by_provider=by_provider,
        cost_by_contract=by_contract,
        work_submitted=submitted,
        work_done=submitted - remaining,
        work_lost=lost,
        work_remaining=remaining,
        work_executed=executed,
        chip_hours_lost=sum(r.lost_chip_s for r in train) / 3600.0,
        restarts=sum(r.restarts for r in train),
        deadline_met=(len(met) / len(with_deadline)) if with_deadline else None,
        slo_attainment=(served / wanted) if wanted > 0 else None,
        service_shortfall=wanted - served,
        work_late=sum(r.late for r in train),
        shortfall_by_type=by_type,
        unit=st.unit,
        reallocations=st.reallocations,
        events=st.events,
        timeline=_timeline(st, st.config.timeline_points),
        rejected_reasons=reasons,
    )
