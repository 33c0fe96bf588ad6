"""Live placement: the simulator's policies answering "where should this run now?" on wall time.

``place`` builds the same ``AllocationInput`` the simulator builds — the jobs to place, the
pools with their free chips, the throughput table — with ``now`` read from a clock (wall time
by default), and asks the same policy object. A platform team's tooling calls it (and the
service's ``POST /v1/placements`` will); nothing here knows whether time is real or simulated.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from computebroker.scheduler.registry import get_policy
from computebroker.scheduler.throughput import ThroughputTable
from computebroker.scheduler.types import (
    Allocation,
    AllocationInput,
    JobState,
    PoolView,
    SimJob,
)

__all__ = ["Decision", "place"]


class _Clock(Protocol):
    def now(self) -> float: ...


class _Wall:
    def now(self) -> float:
        return time.time()


@dataclass(frozen=True, slots=True)
class Decision:
    """One job's placement: pool name, chips, share of its time, throughput there (work/s)."""

    job: str
    pool: str
    chips: int
    share: float
    rate: float


def place(
    jobs: Sequence[SimJob | JobState],
    pools: Sequence[PoolView],
    free: Sequence[float],
    table: ThroughputTable,
    policy: str = "greedy-fast",
    *,
    clock: _Clock | None = None,
) -> list[Decision]:
    """Where each of ``jobs`` should run now on pools with ``free`` chips, under ``policy``.

    A job given as a spec (``SimJob``) has all its work left and is ready now; pass a
    ``JobState`` to say otherwise (work done, a restart delay). Nothing given is changed.

    Examples
    --------
    >>> from computebroker.scheduler import PoolView, SimJob, ThroughputTable
    >>> table = ThroughputTable(per_chip={("llm", "h100"): 1.0, ("llm", "a100"): 0.4})
    >>> pools = [PoolView(name="a100-pool", accelerator="a100"), PoolView(name="h100-pool", accelerator="h100")]
    >>> [(d.pool, d.chips) for d in place([SimJob(id="j", job_type="llm", arrival=0, work=1e6, chips=8)], pools, [64, 16], table)]
    [('h100-pool', 8)]
    """
    inp = AllocationInput(
        now=(clock or _Wall()).now(),
        jobs=[j if isinstance(j, JobState) else JobState.of(j) for j in jobs],
        pools=list(pools),
        free=list(free),
        capacity=list(free),
        rate=table.rate,
    )
    alloc: Allocation = get_policy(policy).allocate(inp)
    alloc.check(inp)
    return [
        Decision(
            job=inp.jobs[p.job].id,
            pool=inp.pools[p.pool].name,
            chips=p.chips,
            share=p.share,
            rate=p.share * table.rate(inp.jobs[p.job], inp.pools[p.pool], p.chips),
        )
        for p in alloc.all_placements()
    ]
