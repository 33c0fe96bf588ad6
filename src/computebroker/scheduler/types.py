"""The only input and output types of scheduling policies.

A policy sees an :class:`AllocationInput` — the time, the jobs it may place or move, the chips
it may use in each pool and the throughput of every job on every pool — and returns an
:class:`Allocation`: a list of :class:`Placement` (job, pool, share of the job's time, chips).
A share below 1 is time-sharing: the job runs that fraction of the time on that pool (Gavel's
allocation matrix, Narayanan et al., OSDI 2020); a placement of a whole job is share 1.

Invariants every policy keeps (checked by ``Allocation.check`` and by property tests):
``sum_pool share <= 1`` per job; ``sum_job share x chips <= free chips`` per pool; a job is
never placed where its throughput is 0 (disallowed or unknown accelerator).

The same types serve the simulator (virtual time) and a live placement call (wall time): a
policy never reads a clock or a random generator of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

__all__ = ["Allocation", "AllocationInput", "JobKind", "Placement", "PoolView", "RateFn", "SimJob"]


class JobKind(StrEnum):
    """What a job is: a training run (finite work) or a service (a demand curve)."""

    TRAIN = "train"
    SERVE = "serve"


@dataclass(slots=True, eq=False)
class SimJob:
    """A job as policies see it (the simulator owns and updates it; policies only read it).

    ``work`` and ``remaining`` are in the job type's unit (Gavel: steps; native: tokens);
    ``chips`` is the gang size it asks for, ``min_chips`` the smallest it accepts (a
    non-preemptive policy may start it smaller; throughput scales linearly, the
    data-parallel assumption). For a service ``work`` is 0 and ``demand`` is the current work
    per second it must serve.
    """

    id: str
    job_type: str
    arrival: float
    work: float
    chips: int = 1
    min_chips: int | None = None
    weight: float = 1.0
    deadline: float | None = None
    allowed: frozenset[str] | None = None  # accelerators it may use (None: any)
    kind: JobKind = JobKind.TRAIN
    checkpoint_s: float = 1800.0
    data_region: str | None = None
    data_gb: float = 0.0
    end: float | None = None  # services: when the service stops
    # state the simulator keeps up to date
    remaining: float = 0.0
    demand: float = 0.0
    ready_at: float = 0.0  # not placeable before (restart delay after a fault)
    started: float | None = None
    finished: float | None = None
    index: int = -1  # position in the trace (stable tie-breaker)

    def __post_init__(self) -> None:
        if self.remaining == 0.0 and self.kind is JobKind.TRAIN:
            self.remaining = self.work


@dataclass(frozen=True, slots=True)
class PoolView:
    """A pool as policies see it: provider x accelerator x region, its chips and price."""

    name: str
    accelerator: str
    provider: str = "any"
    region: str = "any"
    contract: str = "on-demand"
    price_chip_hour: float = 0.0
    spot: bool = False
    preemption_per_chip_hour: float = 0.0  # interruptions per chip-hour of use (spot)

    @property
    def committed(self) -> bool:
        """Capacity paid for whether used or not (commitments, deals, capacity blocks)."""
        return self.contract not in ("on-demand", "spot")

    @property
    def marginal_price(self) -> float:
        """USD per chip-hour of using one more chip: 0 on committed capacity (already paid)."""
        return 0.0 if self.committed else self.price_chip_hour


@dataclass(frozen=True, slots=True)
class Placement:
    """Job ``job`` (index into the input's jobs) gets ``share`` of its time on pool ``pool``
    (index into the input's pools) with ``chips`` chips."""

    job: int
    pool: int
    share: float
    chips: int


class RateFn(Protocol):
    """Work per second of a job on a pool at a gang size (0: cannot run there)."""

    def __call__(self, job: SimJob, pool: PoolView, chips: int) -> float: ...


@dataclass(frozen=True, slots=True)
class AllocationInput:
    """What a policy decides on.

    ``jobs``: the jobs it may place, in arrival order (non-preemptive policies: the waiting
    ones; preemptive policies: every active job). ``free``: chips it may use per pool (same order as
    ``pools``). ``capacity``: chips each pool has in all now (for shares of the fleet).
    """

    now: float
    jobs: Sequence[SimJob]
    pools: Sequence[PoolView]
    free: Sequence[float]
    capacity: Sequence[float]
    rate: RateFn
    round_seconds: float = 0.0


@dataclass(slots=True)
class Allocation:
    """The policy's answer: placements, and a note for logs (e.g. LP status)."""

    placements: list[Placement] = field(default_factory=list)
    note: str = ""

    def check(self, inp: AllocationInput) -> None:
        """Raise ``AssertionError`` where an invariant of the module docstring is broken."""
        used = [0.0] * len(inp.pools)
        per_job = [0.0] * len(inp.jobs)
        for p in self.placements:
            assert p.share >= -1e-9, p
            assert p.chips >= 1, p
            used[p.pool] += p.share * p.chips
            per_job[p.job] += p.share
            job = inp.jobs[p.job]
            assert inp.rate(job, inp.pools[p.pool], p.chips) > 0, (
                f"{job.id} placed where it cannot run"
            )
        for k, u in enumerate(used):
            assert u <= inp.free[k] + 1e-6, (
                f"pool {inp.pools[k].name}: {u} > {inp.free[k]} free chips"
            )
        for j, s in enumerate(per_job):
            # a service may spread over several pools (replicas); a training job is in one place at a time
            assert s <= 1 + 1e-6 or inp.jobs[j].kind is JobKind.SERVE, (
                f"job {inp.jobs[j].id}: shares sum to {s}"
            )
