"""What a simulation is told and what it measured: ``SimConfig`` (how to run), ``JobRecord``
(what happened to one job) and ``SimState`` (everything measured, for ``metrics.report``).

Plain values: the simulator fills the records and state; nothing here runs anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from computebroker.scheduler.types import JobKind, PoolView

if TYPE_CHECKING:  # (faults loads numpy and pydantic; the CLI's options need only RoundMode)
    from computebroker.sim.faults import Outage

__all__ = ["DEFAULT_ROUND_S", "THROTTLE_S", "JobRecord", "RoundMode", "SimConfig", "SimState"]

THROTTLE_S = 1920.0  # Gavel's minimum_time_between_allocation_resets (scheduler.py default, s)
DEFAULT_ROUND_S = 360.0  # Gavel's round length in its simulations (6 minutes; OSDI 2020, section 6)


class RoundMode(StrEnum):
    """How a preemptive policy's time shares are realised (docs/simulate.md, "Rounds")."""

    FLUID = "fluid"  # each job at the average rate its shares give (the default)
    GAVEL = "gavel"  # Gavel's whole-round placements by priority (sim.gavel_rounds)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimConfig:
    """How to run: policy, rounds, seed, when to stop, how fine the timeline is."""

    policy: str = "max-min-fairness"
    round_seconds: float | None = (
        None  # None: 360 s for preemptive policies, event-driven otherwise
    )
    seed: int = 0
    until_s: float | None = None
    timeline_points: int = 400
    check_invariants: bool = False  # assert capacity and placement rules at every reallocation
    record_allocations: bool = False  # keep every placement change (SimState.allocations)
    rounds: RoundMode = RoundMode.FLUID
    # --rounds gavel: least time between allocation recomputations (0: whenever the jobs
    # change; default Gavel's, THROTTLE_S)
    gavel_throttle_s: float = THROTTLE_S
    # fifo on training jobs without ``min_chips``: a lean decision that walks the queue's head
    # with per-kind chip needs instead of building the policy's input and answer (the same
    # records; False runs the general policy path, which the tests compare it with)
    lean_fifo: bool = True


@dataclass(slots=True)
class JobRecord:
    """What happened to one job."""

    id: str
    job_type: str
    kind: JobKind
    arrival: float
    work: float
    chips: int
    started: float | None = None
    finished: float | None = None
    deadline: float | None = None
    remaining: float = 0.0
    executed: float = 0.0  # gross work run (including work later lost)
    lost: float = 0.0  # work lost to faults
    lost_chip_s: float = 0.0
    restarts: int = 0
    late: float = 0.0  # work not done by the deadline
    served: float = 0.0  # services: work served
    wanted: float = 0.0  # services: work demanded
    rejected: str = ""  # why it could never run
    pools: set[str] = field(default_factory=set)

    @property
    def jct(self) -> float | None:
        """Job completion time (s), arrival to finish."""
        return None if self.finished is None else self.finished - self.arrival


@dataclass(slots=True)
class SimState:
    """Everything measured, handed to ``metrics.report``."""

    config: SimConfig
    policy: str
    pools: list[PoolView]
    records: list[JobRecord]
    end: float
    busy_chip_s: list[float]
    capacity_chip_s: list[float]
    paid_chip_s: list[float]
    timeline_t: list[float]
    timeline_used: list[list[float]]
    timeline_capacity: list[list[float]]
    reallocations: int
    events: int
    outages: list[Outage]
    unit: str
    # with SimConfig.record_allocations: (time s, job index, ((pool, share, chips), ...)) at every
    # change of a job's placements, in time order; empty placements mean it stopped running
    allocations: list[tuple[float, int, tuple[tuple[int, float, int], ...]]] = field(
        default_factory=list
    )
