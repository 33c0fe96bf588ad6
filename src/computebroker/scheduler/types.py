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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, Protocol

__all__ = [
    "NOT_PRICED",
    "Allocation",
    "AllocationInput",
    "JobKind",
    "JobState",
    "Placement",
    "PoolView",
    "RateFn",
    "SharedPlacement",
    "SimJob",
]


class JobKind(StrEnum):
    """What a job is: a training run (finite work) or a service (a demand curve)."""

    TRAIN = "train"
    SERVE = "serve"


@dataclass(frozen=True, slots=True)
class SimJob:
    """A job as submitted: what it is and what it asks for (a frozen spec; nobody updates it).

    ``work`` is in the job type's unit (Gavel: steps; native: tokens); ``chips`` is the gang
    size it asks for, ``min_chips`` the smallest it accepts (a non-preemptive policy may start
    it smaller; throughput scales linearly, the data-parallel assumption). For a service
    ``work`` is 0; its demand over time is in the trace. ``index`` is its position in the
    trace (a stable tie-breaker). What changes while it runs is in :class:`JobState`.
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
    index: int = -1  # position in the trace (stable tie-breaker)


@dataclass(slots=True, eq=False)
class JobState:
    """A job as policies see it: its frozen ``spec`` and the state its owner (the simulator, or
    a live caller) keeps up to date; policies only read it.

    ``remaining`` is the work left (training), ``demand`` the work per second a service must
    serve now, ``ready_at`` the time before which it may not be placed (restart delay after a
    fault). The spec's fields read through (``state.chips`` is ``state.spec.chips``).
    """

    spec: SimJob
    remaining: float
    demand: float = 0.0
    ready_at: float = 0.0
    started: float | None = None
    finished: float | None = None

    @classmethod
    def of(cls, spec: SimJob, *, demand: float = 0.0, ready_at: float = 0.0) -> JobState:
        """The state of a job not yet run: all its work left.

        Examples
        --------
        >>> s = JobState.of(SimJob(id="j", job_type="llm", arrival=0.0, work=5.0, chips=2))
        >>> (s.remaining, s.chips, s.finished)
        (5.0, 2, None)
        """
        remaining = spec.work if spec.kind is JobKind.TRAIN else 0.0
        return cls(spec=spec, remaining=remaining, demand=demand, ready_at=ready_at)

    @property
    def id(self) -> str:
        """The spec's ``id``."""
        return self.spec.id

    @property
    def job_type(self) -> str:
        """The spec's ``job_type``."""
        return self.spec.job_type

    @property
    def arrival(self) -> float:
        """The spec's ``arrival`` (s)."""
        return self.spec.arrival

    @property
    def work(self) -> float:
        """The spec's ``work``."""
        return self.spec.work

    @property
    def chips(self) -> int:
        """The spec's ``chips``."""
        return self.spec.chips

    @property
    def min_chips(self) -> int | None:
        """The spec's ``min_chips``."""
        return self.spec.min_chips

    @property
    def weight(self) -> float:
        """The spec's ``weight``."""
        return self.spec.weight

    @property
    def deadline(self) -> float | None:
        """The spec's ``deadline`` (s)."""
        return self.spec.deadline

    @property
    def allowed(self) -> frozenset[str] | None:
        """The spec's ``allowed`` accelerators."""
        return self.spec.allowed

    @property
    def kind(self) -> JobKind:
        """The spec's ``kind``."""
        return self.spec.kind

    @property
    def checkpoint_s(self) -> float:
        """The spec's ``checkpoint_s``."""
        return self.spec.checkpoint_s

    @property
    def data_region(self) -> str | None:
        """The spec's ``data_region``."""
        return self.spec.data_region

    @property
    def data_gb(self) -> float:
        """The spec's ``data_gb``."""
        return self.spec.data_gb

    @property
    def end(self) -> float | None:
        """The spec's ``end`` (s)."""
        return self.spec.end

    @property
    def index(self) -> int:
        """The spec's ``index``."""
        return self.spec.index


# How a ``PoolView.price_basis`` of a pool without a price begins (its $0 is no real price).
NOT_PRICED = "not priced: "


@dataclass(frozen=True, slots=True)
class PoolView:
    """A pool as policies see it: provider x accelerator x region, its chips and price.

    ``price_basis`` says where ``price_chip_hour`` came from (the fleet file, a catalog quote,
    a plan's offer); a pool with no price has 0 and a basis starting with :data:`NOT_PRICED`
    that says why. It explains the price and never changes it ("": not stated).
    """

    name: str
    accelerator: str
    provider: str = "any"
    region: str = "any"
    contract: str = "on-demand"
    price_chip_hour: float = 0.0
    spot: bool = False
    preemption_per_chip_hour: float = 0.0  # interruptions per chip-hour of use (spot)
    price_basis: str = ""

    @property
    def unpriced(self) -> bool:
        """True when the pool has no price: its $0 per chip-hour is no real price.

        Examples
        --------
        >>> PoolView(name="k80", accelerator="k80", price_basis=NOT_PRICED + "why").unpriced
        True
        >>> PoolView(name="v100", accelerator="v100", price_chip_hour=0.0).unpriced
        False
        """
        return self.price_basis.startswith(NOT_PRICED)

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

    def __call__(self, job: JobState, pool: PoolView, chips: int) -> float: ...


@dataclass(frozen=True, slots=True)
class AllocationInput:
    """What a policy decides on.

    ``jobs``: the jobs it may place, in arrival order (non-preemptive policies: the waiting
    ones; preemptive policies: every active job). ``free``: chips it may use per pool (same order as
    ``pools``). ``capacity``: chips each pool has in all now (for shares of the fleet).
    """

    now: float
    jobs: Sequence[JobState]
    pools: Sequence[PoolView]
    free: Sequence[float]
    capacity: Sequence[float]
    rate: RateFn
    round_seconds: float = 0.0


class SharedPlacement(NamedTuple):
    """Every job of ``jobs`` (indices into the input's jobs) gets, for each ``(pool, share,
    chips)`` of ``places``, ``share`` of its time on pool ``pool`` with ``chips`` chips: one
    answer for a group of identical jobs (max-min policies give them equal shares), so a round
    with many jobs costs one object per group.

    A named tuple holding the triples the simulator keeps per job (its members are handed
    the one list): a max-min round makes one per group, and a tuple is made in a quarter of a
    frozen dataclass's time."""

    jobs: tuple[int, ...]
    places: list[tuple[int, float, int]]


@dataclass(slots=True)
class Allocation:
    """The policy's answer: placements (per job, and ``shared`` by groups of jobs), and a note
    for logs (e.g. LP status). ``all_placements`` lists them all per job."""

    placements: list[Placement] = field(default_factory=list)
    note: str = ""
    shared: list[SharedPlacement] = field(default_factory=list)

    def all_placements(self) -> Iterator[Placement]:
        """Every placement, one per job and pool (``shared`` ones expanded)."""
        yield from self.placements
        for g in self.shared:
            for j in g.jobs:
                for pool, share, chips in g.places:
                    yield Placement(job=j, pool=pool, share=share, chips=chips)

    def check(self, inp: AllocationInput) -> None:
        """Raise ``AssertionError`` where an invariant of the module docstring is broken."""
        used = [0.0] * len(inp.pools)
        per_job = [0.0] * len(inp.jobs)
        for p in self.all_placements():
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
