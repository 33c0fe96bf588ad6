"""The simulation: a job stream on a fleet under a policy, with faults, on virtual time.

Execution is fluid: between two events each job progresses at the sum over its placements of
share x throughput (a share below 1 is time-sharing, the limit Gavel's round-robin realises
over successive rounds). Reallocation happens at every event (event-driven) or, with
``round_seconds`` > 0, at the next round boundary after something changed (arrivals and
completions wait for it, as in Gavel's round-based scheduler); the policies that move running
jobs (fifo-perf, max-min fairness, min-makespan) default to 6-minute rounds, the others to
event-driven. With ``SimConfig.rounds = gavel`` their shares are realised in whole rounds as
Gavel's simulator does (``gavel_rounds``).

Accounting: each job's remaining work, gross work executed and work lost to faults; each
pool's capacity and busy chip-seconds (piecewise-constant integrals), from which utilisation
and cost follow. A fault evicts every job on the pools it hits: work since the job's last
checkpoint is lost (checkpoints every ``checkpoint_s`` of run time and whenever the scheduler
moves it), and it may run again after the fault's restart delay. All randomness (spot
preemptions, random outages) comes from one generator seeded by ``SimConfig.seed``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from computebroker.errors import InputError
from computebroker.scheduler.registry import Policy, get_policy
from computebroker.scheduler.throughput import ThroughputTable
from computebroker.scheduler.types import AllocationInput, JobKind, JobState
from computebroker.sim._apply import JobsView, differs, new_placements
from computebroker.sim.engine import Engine
from computebroker.sim.faults import FaultSpec, Outage, apply_static_faults, draw_outages
from computebroker.sim.fleet import Fleet, Pool
from computebroker.sim.gavel_rounds import (
    AGNOSTIC,
    AWARE,
    SPEED_BLIND,
    GavelRounds,
    gavel_agnostic_shares,
    gavel_order,
    gavel_perf_shares,
)
from computebroker.sim.records import DEFAULT_ROUND_S, JobRecord, RoundMode, SimConfig, SimState
from computebroker.sim.traces import Trace

__all__ = [
    "DEFAULT_ROUND_S",
    "JobRecord",
    "RoundMode",
    "SimConfig",
    "SimState",
    "curve_work",
    "simulate",
]


def curve_work(curve: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """Work a service demands from ``start`` to ``end`` under ``curve`` (time s, work/s), a
    step function that is 0 before its first point (as the simulator applies it).

    Examples
    --------
    >>> curve_work([(0.0, 2.0), (10.0, 5.0)], 4.0, 20.0)  # 2 x 6 s + 5 x 10 s
    62.0
    >>> curve_work([(30.0, 1.0)], 0.0, 20.0)
    0.0
    """
    total = 0.0
    points = sorted(curve)
    for k, (at, rate) in enumerate(points):
        nxt = points[k + 1][0] if k + 1 < len(points) else math.inf
        lo, hi = max(at, start), min(nxt, end)
        if hi > lo:
            total += rate * (hi - lo)
    return total


# event priorities at the same instant: state changes first, then the reallocation
P_STATE, P_REALLOC = 0, 10
# preemptions of one job past which the run is stopped: at a rate that preempts a job more
# often than it checkpoints (3,600 a chip-hour against a 30-minute checkpoint) it never keeps
# its work and the run never ends; 20,000 restarts take about 5 s (measured 2026-12-02)
MAX_PREEMPTIONS_PER_JOB = 20_000


def after(now: float, length: float) -> float:
    """``now + length``, or the next time after ``now`` where that sum rounds back to ``now``.

    The clock's resolution falls as time grows (7.5e-9 s at 6.3e7 s, two years), and a round
    whose last job has less than that left to run would otherwise be followed by a round at
    the very same time, again and again, while that job's completion (booked earlier, from
    another time) waits one step later: a simulation that never ends (found on Gavel's
    multi-GPU generator at 0.4 jobs/h, seed 1, 7,500 jobs, aware LAS with ``--rounds gavel``).

    Examples
    --------
    >>> after(100.0, 5.0)
    105.0
    >>> now = 62693134.792089395
    >>> now + 2e-9 == now, after(now, 2e-9) > now
    (True, True)
    """
    at = now + length
    return at if at > now else math.nextafter(now, math.inf)


@dataclass(slots=True)
class _Run:
    placements: list[tuple[int, float, int]] = field(default_factory=list)  # (pool, share, chips)
    rate: float = 0.0
    t_upd: float = 0.0
    ckpt_t: float = 0.0
    version: int = 0


class _Sim:
    def __init__(
        self,
        fleet: Fleet,
        trace: Trace,
        table: ThroughputTable,
        policy: Policy,
        faults: list[FaultSpec],
        cfg: SimConfig,
    ) -> None:
        self.cfg = cfg
        self.engine = Engine()
        self.fleet = fleet
        # policies see each pool's interruption rate (after the faults file set it)
        self.views = [
            replace(p.view, preemption_per_chip_hour=p.preemption_per_chip_hour)
            for p in fleet.pools
        ]
        self.table = table
        self.policy = policy
        self.rng = np.random.default_rng(cfg.seed)
        # the trace's jobs are frozen specs; what changes while they run is the simulator's own
        self.jobs = [JobState.of(spec) for spec in trace.jobs]
        self.preemptions = [0] * len(self.jobs)  # per job, for the livelock guard
        self.demand = trace.demand
        self.round_s = (
            cfg.round_seconds
            if cfg.round_seconds is not None
            else (DEFAULT_ROUND_S if policy.preemptive else 0.0)
        )
        n_pools = len(self.views)
        self.sched = [0] * n_pools  # capacity by schedule
        self.down = [0] * n_pools  # active outages
        self.cap = [0.0] * n_pools
        self.used = [0.0] * n_pools
        self.t_pool = [0.0] * n_pools
        self.busy = [0.0] * n_pools
        self.capint = [0.0] * n_pools
        self.paid = [0.0] * n_pools
        self.runs = [_Run() for _ in self.jobs]
        self.recs = [
            JobRecord(
                id=j.id,
                job_type=j.job_type,
                kind=j.kind,
                arrival=j.arrival,
                work=j.work,
                chips=j.chips,
                deadline=j.deadline,
                remaining=j.work,
            )
            for j in self.jobs
        ]
        # job indices in arrival order, from position ``head`` on (jobs leaving the head of the
        # queue move ``head`` instead of shifting a long list; compacted now and then)
        self.waiting: list[int] = []
        self.head = 0
        self.active: set[int] = set()
        self.pending: set[float] = set()
        self.reallocs = 0
        self.tl_t: list[float] = []
        self.tl_used: list[list[float]] = []
        self.tl_cap: list[list[float]] = []
        self.outages: list[Outage] = []
        self.alloc_log: list[tuple[float, int, tuple[tuple[int, float, int], ...]]] = []
        self.max_pool = [p.max_chips for p in fleet.pools]
        self.why_not: dict[tuple[object, ...], str] = {}
        self.latest_ready = 0.0  # the latest restart delay any job has had to wait out
        self.gang_need: dict[int, list[int]] = {}  # gavel rounds: chips per pool, by job
        self.arrival_order: list[int] = []  # job indices by arrival; the next to book at:
        self.next_arrival = 0
        self.arrival_booked = False  # an arrival is booked that has not happened yet
        self.gavel = (
            GavelRounds(
                order=gavel_order([v.accelerator for v in self.views]),
                round_s=self.round_s,
                throttle_s=cfg.gavel_throttle_s,
                shuffle=self.rng if policy.name in SPEED_BLIND else None,
                skip_unprioritised=policy.name.startswith("fifo"),
            )
            if cfg.rounds is RoundMode.GAVEL and policy.preemptive and self.round_s > 0
            else None
        )
        self.spot = any(p.preemption_per_chip_hour > 0 for p in fleet.pools)
        # the policy reads jobs' remaining work (else it is brought up to date only on change)
        self.reads_remaining = policy.reads_remaining
        self.faults = faults
        # the lean fifo decision (``_realloc_fifo``) where it gives what the policy gives
        self.lean_fifo = (
            cfg.lean_fifo
            and policy.name == "fifo"
            and all(j.kind is JobKind.TRAIN and j.min_chips is None for j in self.jobs)
        )
        self.needs: dict[tuple[object, ...], tuple[int, ...]] = {}
        span = max((j.arrival for j in self.jobs), default=0.0) or 3600.0
        self.tl_dt = span / (
            4 * max(cfg.timeline_points, 1)
        )  # finer samples than the plot needs, bounded memory

    # --- setup -------------------------------------------------------------------------------
    def start(self) -> None:
        e = self.engine
        for k, pool in enumerate(self.fleet.pools):
            for at, n in pool.steps:
                e.schedule(at, partial(self._capacity, k, sched=n), priority=P_STATE)
        horizon = self.cfg.until_s or (
            max((j.arrival for j in self.jobs), default=0.0) + 90 * 86400.0
        )
        self.outages = draw_outages(self.fleet, self.faults, horizon, self.rng)
        for o in self.outages:
            e.schedule(o.start, partial(self._outage, o, +1), priority=P_STATE)
            e.schedule(o.start + o.duration, partial(self._outage, o, -1), priority=P_STATE)
        # arrivals are booked one at a time, each by the one before (a heap of every future
        # arrival costs memory and log n per event on long traces)
        self.arrival_order = sorted(range(len(self.jobs)), key=lambda j: self.jobs[j].arrival)
        self._book_next_arrival()

    def _book_next_arrival(self) -> None:
        i = self.next_arrival
        self.arrival_booked = i < len(self.arrival_order)
        if i < len(self.arrival_order):
            j = self.arrival_order[i]
            self.next_arrival = i + 1
            self.engine.schedule(self.jobs[j].arrival, partial(self._arrive, j), priority=P_STATE)

    # --- bookkeeping -------------------------------------------------------------------------
    def _touch(self, k: int) -> None:
        now = self.engine.now()
        dt = now - self.t_pool[k]
        if dt > 0:
            self.busy[k] += self.used[k] * dt
            self.capint[k] += self.cap[k] * dt
            self.paid[k] += self.sched[k] * dt
            self.t_pool[k] = now

    def _advance(self, j: int) -> None:
        run = self.runs[j]
        now = self.engine.now()
        dt = now - run.t_upd
        run.t_upd = now
        if dt <= 0 or run.rate <= 0:
            return
        job, rec = self.jobs[j], self.recs[j]
        if job.kind is JobKind.SERVE:
            rec.served += min(run.rate, job.demand) * dt
            rec.wanted += job.demand * dt
            rec.executed += min(run.rate, job.demand) * dt
            return
        done = min(job.remaining, run.rate * dt)
        job.remaining -= done
        rec.executed += done

    def _record_timeline(self) -> None:
        now = self.engine.now()
        if self.cfg.check_invariants:
            for k, (u, c) in enumerate(zip(self.used, self.cap, strict=True)):
                assert u <= c + 1e-6, f"pool {self.views[k].name} over capacity at {now}: {u} > {c}"
        if self.tl_t and (self.tl_t[-1] == now or now - self.tl_t[-1] < self.tl_dt):
            self.tl_used[-1] = list(self.used)
            self.tl_cap[-1] = list(self.cap)
        else:
            self.tl_t.append(now)
            self.tl_used.append(list(self.used))
            self.tl_cap.append(list(self.cap))

    def _set(self, j: int, placements: list[tuple[int, float, int]]) -> None:
        """Give job ``j`` new placements (a move checkpoints it: no work is lost)."""
        self._release(j)
        self._assign(j, placements)

    def _release(self, j: int) -> None:
        """Bring job ``j``'s progress up to now and free its chips (``_assign`` must follow)."""
        run = self.runs[j]
        self._advance(j)
        for k, share, chips in run.placements:
            self._touch(k)
            self.used[k] -= share * chips
        run.placements = []

    def _assign(self, j: int, placements: list[tuple[int, float, int]]) -> None:
        """Place job ``j`` (released) and schedule its completion and preemption."""
        run, job = self.runs[j], self.jobs[j]
        run.placements = placements
        if self.cfg.record_allocations:
            self.alloc_log.append((self.engine.now(), j, tuple(placements)))
        rate = 0.0
        for k, share, chips in placements:
            self._touch(k)
            self.used[k] += share * chips
            rate += share * self.table.rate(job, self.views[k], chips)
            self.recs[j].pools.add(self.views[k].name)
        run.rate = rate
        run.ckpt_t = self.engine.now()
        run.version += 1
        if placements and job.started is None:
            job.started = self.engine.now()
            self.recs[j].started = job.started
        if rate > 0 and job.kind is JobKind.TRAIN:
            v = run.version
            self.engine.schedule(
                self.engine.now() + job.remaining / rate,
                partial(self._complete, j, v),
                priority=P_STATE,
            )
        if not self.spot:
            return
        hazard = (
            sum(
                self.fleet.pools[k].preemption_per_chip_hour * share * chips
                for k, share, chips in placements
            )
            / 3600.0
        )
        if hazard > 0:
            v = run.version
            self.engine.schedule(
                self.engine.now() + float(self.rng.exponential(1.0 / hazard)),
                partial(self._preempt, j, v),
                priority=P_STATE,
            )

    def _request(self) -> None:
        now = self.engine.now()
        if self.gavel is not None:
            # Gavel's rounds run to their end; a change waits for the next one, and an idle
            # cluster starts one now
            if not self.pending:
                self._request_at(now)
            return
        at = (
            now
            if self.round_s <= 0
            else max(now, math.ceil(now / self.round_s - 1e-9) * self.round_s)
        )
        self._request_at(at)

    def _request_at(self, at: float) -> None:
        if at not in self.pending:
            self.pending.add(at)
            realloc = self._realloc_fifo if self.lean_fifo else self._realloc
            self.engine.schedule(at, partial(realloc, at), priority=P_REALLOC)

    # --- events ------------------------------------------------------------------------------
    def _arrive(self, j: int) -> None:
        self._book_next_arrival()
        job = self.jobs[j]
        why = self._unschedulable(j)
        if why:
            self._reject(j, why)
            return
        self.active.add(j)
        bisect.insort(self.waiting, j, lo=self.head)
        if job.deadline is not None and job.kind is JobKind.TRAIN:
            self.engine.schedule(
                max(job.deadline, job.arrival), partial(self._deadline, j), priority=P_STATE
            )
        if job.kind is JobKind.SERVE:
            curve = self.demand.get(job.id, [])
            job.demand = 0.0
            for at, value in curve:
                self.engine.schedule(
                    max(at, job.arrival),
                    partial(self._demand, j, value),
                    priority=P_STATE,
                )
            assert job.end is not None
            self.engine.schedule(job.end, partial(self._service_end, j), priority=P_STATE)
        self._request()

    def _reject(self, j: int, why: str) -> None:
        """Job ``j`` can never run: none of its work is done, so all of it falls short (a
        training job's work when it has a deadline; a service's whole demand curve)."""
        job, rec = self.jobs[j], self.recs[j]
        rec.rejected = why
        if job.kind is JobKind.SERVE:
            assert job.end is not None
            end = job.end if self.cfg.until_s is None else min(job.end, self.cfg.until_s)
            rec.wanted = curve_work(self.demand.get(job.id, []), job.arrival, end)
        elif job.deadline is not None:
            rec.late = job.work

    def _unschedulable(self, j: int) -> str:
        """Why job ``j`` can never run on this fleet ("" if it can), once per kind of job."""
        spec = self.jobs[j].spec
        kind = (spec.job_type, spec.kind, spec.chips, spec.min_chips, spec.allowed)
        why = self.why_not.get(kind)
        if why is None:
            why = self.why_not[kind] = self._why_not(j)
        return why

    def _why_not(self, j: int) -> str:
        job = self.jobs[j]
        need = (job.min_chips or job.chips) if job.kind is JobKind.TRAIN else 1
        ok = [
            k
            for k, v in enumerate(self.views)
            if self.table.rate(job, v, need if job.kind is JobKind.TRAIN else 1) > 0
        ]
        if not ok:
            return f"no pool can run {job.job_type!r} at {need} chips (throughput unknown or accelerator not allowed)"
        if job.kind is JobKind.TRAIN and max(self.max_pool[k] for k in ok) < need:
            return f"needs {need} chips; the largest pool that can run it has {max(self.max_pool[k] for k in ok)}"
        return ""

    def _demand(self, j: int, value: float) -> None:
        job = self.jobs[j]
        if job.finished is not None:
            return
        self._advance(j)
        job.demand = value
        # re-size: release and place again at the next decision
        if self.runs[j].placements:
            self._set(j, [])
            bisect.insort(self.waiting, j, lo=self.head)
        self._request()

    def _deadline(self, j: int) -> None:
        job = self.jobs[j]
        if job.finished is None:
            self._advance(j)
            self.recs[j].late = job.remaining

    def _service_end(self, j: int) -> None:
        job = self.jobs[j]
        self._advance(j)
        self._set(j, [])
        job.finished = self.engine.now()
        self.recs[j].finished = job.finished
        self.active.discard(j)
        self._unwait(j)
        self._request()

    def _unwait(self, j: int) -> None:
        i = bisect.bisect_left(self.waiting, j, lo=self.head)
        if i < len(self.waiting) and self.waiting[i] == j:
            self.waiting.pop(i)

    def _complete(self, j: int, version: int) -> None:
        run, job = self.runs[j], self.jobs[j]
        if run.version != version or job.finished is not None:
            return
        self._advance(j)
        job.remaining = 0.0
        self._set(j, [])
        job.finished = self.engine.now()
        rec = self.recs[j]
        rec.finished, rec.remaining = job.finished, 0.0
        self.active.discard(j)
        self._request()

    def _evict(self, j: int, *, lose: bool, delay: float) -> None:
        run, job, rec = self.runs[j], self.jobs[j], self.recs[j]
        self._advance(j)
        if lose and job.kind is JobKind.TRAIN and run.rate > 0:
            since = (self.engine.now() - run.ckpt_t) % job.checkpoint_s
            lost = min(run.rate * since, job.work - job.remaining)
            job.remaining += lost
            rec.lost += lost
            rec.lost_chip_s += since * sum(share * chips for _, share, chips in run.placements)
            rec.restarts += 1
        self._set(j, [])
        job.ready_at = self.engine.now() + delay
        self.latest_ready = max(self.latest_ready, job.ready_at)
        if delay > 0:
            self.engine.schedule(job.ready_at, self._request, priority=P_STATE)
        bisect.insort(self.waiting, j, lo=self.head)

    def _jobs_on(self, k: int) -> list[int]:
        return [j for j in self.active if any(p[0] == k for p in self.runs[j].placements)]

    def _capacity(self, k: int, *, sched: int | None = None) -> None:
        self._touch(k)
        if sched is not None:
            self.sched[k] = sched
        self.cap[k] = 0.0 if self.down[k] else float(self.sched[k])
        if self.used[k] > self.cap[k] + 1e-9:
            # a commitment ended or capacity fell: the youngest jobs move (checkpointed, no loss)
            for j in sorted(self._jobs_on(k), key=lambda j: -j):
                if self.used[k] <= self.cap[k] + 1e-9:
                    break
                self._evict(j, lose=False, delay=0.0)
        self._record_timeline()
        self._request()

    def _outage(self, o: Outage, delta: int) -> None:
        for k in o.pools:
            if delta > 0:
                for j in self._jobs_on(k):
                    self._evict(j, lose=True, delay=o.restart_s)
            self.down[k] += delta
            self._capacity(k)

    def _preempt(self, j: int, version: int) -> None:
        run = self.runs[j]
        if run.version != version or not run.placements:
            return
        pools = [self.fleet.pools[k] for k, _, _ in run.placements]
        self._evict(j, lose=True, delay=max(p.restart_s for p in pools))
        self.preemptions[j] += 1
        if self.preemptions[j] > MAX_PREEMPTIONS_PER_JOB:
            self._livelock(j, pools)
        self._request()

    def _livelock(self, j: int, pools: Sequence[Pool]) -> None:
        job = self.jobs[j]
        rates = ", ".join(f"{p.view.name} {p.preemption_per_chip_hour:g}" for p in pools)
        raise InputError.single(
            self.fleet.source or "--fleet",
            f"job {job.id!r} was preempted {MAX_PREEMPTIONS_PER_JOB:,} times ({job.chips} chips "
            f"on {rates} preemptions per chip-hour, a checkpoint every {job.checkpoint_s:g} s): "
            "at that rate it never keeps its work and the run would never end; lower "
            "preemption_per_chip_hour (or the preemption fault's rate_per_chip_hour) or "
            "checkpoint more often",
            field="preemption_per_chip_hour",
        )

    # --- decisions ---------------------------------------------------------------------------
    def _ready(self, now: float) -> list[int]:
        """The active jobs that may run now, in arrival order."""
        if now >= self.latest_ready:  # no job is waiting out a restart delay
            return sorted(self.active)
        return sorted(j for j in self.active if self.jobs[j].ready_at <= now)

    def _realloc(self, at: float) -> None:
        self.pending.discard(at)
        self.reallocs += 1
        now = self.engine.now()
        if self.policy.preemptive:
            cand, base = self._ready(now), 0
            if self.reads_remaining:
                for j in cand:
                    self._advance(j)
            free = list(self.cap)
        else:
            # the queue as it is (policies skip jobs not ready yet): no copy, so a long queue
            # costs nothing when the head blocks (FIFO) or the pools are full
            cand, base = self.waiting, self.head
            free = [c - u for c, u in zip(self.cap, self.used, strict=True)]
        if len(cand) <= base:
            if self.gavel is not None and self.gavel.due(now, cand):
                # Gavel's simulator schedules a round when the last job has left too: the
                # (empty) allocation is recomputed and the throttle restarts from now
                self.gavel.reset(now, {}, len(self.views))
            self._record_timeline()
            return
        inp = AllocationInput(
            now=now,
            jobs=JobsView(self.jobs, cand, base),
            pools=self.views,
            free=free,
            capacity=list(self.cap),
            rate=self.table.rate,
            round_seconds=self.round_s,
        )
        if self.gavel is not None:
            self._gavel_round(inp, cand)
            return
        alloc = self.policy.allocate(inp)
        if self.cfg.check_invariants:
            alloc.check(inp)
        new = new_placements(alloc, cand, base)
        if self.policy.preemptive:
            self._apply_moves(cand, new)
        else:
            positions = sorted({base + p.job for p in alloc.all_placements()})
            placed = [cand[i] for i in positions]
            self._take(positions)
            for j in placed:
                self._set(j, new[j])
        self._record_timeline()

    def _needs(self, j: int) -> tuple[int, ...]:
        """Chips training job ``j`` asks for on each pool (0: it cannot run there), once per
        kind of job (``policies.common.chips_needed``)."""
        job = self.jobs[j]
        key = (job.job_type, job.chips, job.allowed)
        got = self.needs.get(key)
        if got is None:
            rate, n = self.table.rate, job.chips
            got = self.needs[key] = tuple(n if rate(job, v, n) > 0 else 0 for v in self.views)
        return got

    def _realloc_fifo(self, at: float) -> None:
        """``fifo``'s decision without the policy's input and answer objects: the queue's
        head jobs, each on the pool with the most free chips (ties: the first), until one
        does not fit (``policies.fifo``; training jobs without ``min_chips`` only)."""
        self.pending.discard(at)
        self.reallocs += 1
        now = self.engine.now()
        waiting, jobs = self.waiting, self.jobs
        free = [c - u for c, u in zip(self.cap, self.used, strict=True)]
        positions: list[int] = []
        picks: list[tuple[int, int, int]] = []
        # (the policy stops when no pool has a chip free; here the next ready job does not
        # fit then and stops the walk: the same placements)
        for i in range(self.head, len(waiting)):
            j = waiting[i]
            if jobs[j].ready_at > now:
                continue
            best, chips = -1, 0
            for k, need in enumerate(self._needs(j)):
                if need and need <= free[k] and (best < 0 or free[k] > free[best]):
                    best, chips = k, need
            if best < 0:
                break
            free[best] -= chips
            positions.append(i)
            picks.append((j, best, chips))
        self._take(positions)
        runs = self.runs
        for j, k, chips in picks:
            runs[j].t_upd = now  # a waiting job has no rate and no placements to release
            self._assign(j, [(k, 1.0, chips)])
        self._record_timeline()

    def _take(self, positions: list[int]) -> None:
        """Remove the jobs at ``positions`` (ascending) from the queue."""
        base = self.head
        if positions and positions[-1] == base + len(positions) - 1:
            self.head += len(positions)  # the head of the queue left
            if self.head > 4096 and 2 * self.head > len(self.waiting):
                del self.waiting[: self.head]
                self.head = 0
        else:
            for i in reversed(positions):
                del self.waiting[i]

    def _gavel_round(self, inp: AllocationInput, cand: list[int]) -> None:
        """One of Gavel's rounds: the allocation recomputed when due, whole jobs placed by
        priority, and the next round booked when the last placed job ends its round."""
        g, now = self.gavel, inp.now
        assert g is not None
        if g.due(now, cand):
            g.reset(now, self._gavel_shares(inp, cand), len(self.views))
        runs = self.runs
        for j in cand:  # remaining work as of now, for how long each placed job runs
            if runs[j].rate > 0:
                self._advance(j)
        pools = range(len(self.views))

        def need(j: int) -> list[int]:
            """Chips job ``j`` takes on each pool (0: cannot run there); fixed for a
            training job (kept), from the current demand for a service."""
            job = self.jobs[j]
            if job.kind is JobKind.SERVE:
                out = []
                for k in pools:
                    per = self.table.rate(job, self.views[k], 1)
                    out.append(
                        max(1, math.ceil(job.demand / per - 1e-9)) if per > 0 < job.demand else 0
                    )
                return out
            got = self.gang_need.get(j)
            if got is None:
                got = self.gang_need[j] = [
                    job.chips if self.table.rate(job, self.views[k], job.chips) > 0 else 0
                    for k in pools
                ]
            return got

        def run_s(j: int, k: int, chips: int) -> float:
            job = self.jobs[j]
            rate = self.table.rate(job, self.views[k], chips)
            if job.kind is JobKind.SERVE or rate <= 0:
                return self.round_s
            return min(self.round_s, job.remaining / rate)

        placed, length = g.round(now, cand, need, self.cap, run_s)
        self._apply_moves(cand, placed)
        self._record_timeline()
        if not self.active:
            return
        if length > 1e-9:
            self._request_at(after(now, length))
        elif not self.arrival_booked and g.changed(cand):
            # nothing ran and no job is left to arrive: Gavel lifts the throttle
            g.unthrottle()
            self._request_at(now)
        # else nothing ran (every job waits for an allocation): Gavel's simulator jumps to the
        # next arrival, which starts the next round (``_request``)

    def _gavel_shares(self, inp: AllocationInput, cand: list[int]) -> dict[int, dict[int, float]]:
        """The allocation in force from now (job -> pool -> share): Gavel's own LPs for
        agnostic and heterogeneity-aware LAS (``gavel_rounds.gavel_agnostic_shares``,
        ``gavel_perf_shares``), the policy's answer otherwise."""
        name = self.policy.name
        if name in (AGNOSTIC, AWARE) and all(self.jobs[j].kind is JobKind.TRAIN for j in cand):
            jobs = [self.jobs[j] for j in cand]
            scale = np.array([float(job.chips) for job in jobs])
            weights = np.array([job.weight for job in jobs])
            workers = np.array([float(int(c + 1e-9)) for c in self.cap])
            if name == AGNOSTIC:
                x = gavel_agnostic_shares(scale, weights, workers)
            else:
                rate, views = self.table.rate, self.views
                rates = np.array([[rate(job, v, job.chips) for v in views] for job in jobs])
                x = gavel_perf_shares(rates, scale, weights, workers)
            return {
                j: {k: float(x[i, k]) for k in range(len(self.views)) if x[i, k] > 0}
                for i, j in enumerate(cand)
            }
        alloc = self.policy.allocate(inp)
        if self.cfg.check_invariants:
            alloc.check(inp)
        shares: dict[int, dict[int, float]] = {j: {} for j in cand}
        for p in alloc.all_placements():
            per = shares[cand[p.job]]
            per[p.pool] = per.get(p.pool, 0.0) + p.share
        return shares

    def _apply_moves(self, cand: list[int], new: dict[int, list[tuple[int, float, int]]]) -> None:
        """A preemptive policy's answer: every job whose placements changed is released first
        (so a job moving into chips another leaves never over-fills a pool), then placed."""
        runs = self.runs
        none: list[tuple[int, float, int]] = []
        changed = [
            j
            for j in cand
            if runs[j].placements != new.get(j, none)
            and differs(runs[j].placements, new.get(j, none))
        ]
        for j in changed:
            self._release(j)
        for j in changed:
            self._assign(j, new.get(j, none))
        self.waiting, self.head = sorted(self.active.difference(new)), 0

    # --- results -----------------------------------------------------------------------------
    def state(self) -> SimState:
        end = self.engine.now()
        for j in self.active:
            self._advance(j)
        for k in range(len(self.views)):
            self._touch(k)
        for j, job in enumerate(self.jobs):
            self.recs[j].remaining = job.remaining if job.kind is JobKind.TRAIN else 0.0
        return SimState(
            config=self.cfg,
            policy=self.policy.name,
            pools=self.views,
            records=self.recs,
            end=end,
            busy_chip_s=self.busy,
            capacity_chip_s=self.capint,
            paid_chip_s=self.paid,
            timeline_t=self.tl_t,
            timeline_used=self.tl_used,
            timeline_capacity=self.tl_cap,
            reallocations=self.reallocs,
            events=self.engine.processed,
            outages=self.outages,
            unit=self.table.unit,
            allocations=self.alloc_log,
        )


def simulate(
    fleet: Fleet,
    trace: Trace,
    table: ThroughputTable,
    *,
    faults: list[FaultSpec] | None = None,
    config: SimConfig | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> SimState:
    """Run ``trace`` on ``fleet`` and return what was measured (see ``metrics.report``).

    The inputs are left as they were (the trace's jobs and the fleet are values; the run keeps
    its own state), so the same trace and fleet can be simulated again, e.g. under other faults.
    """
    cfg = config or SimConfig()
    if not trace.jobs:
        raise InputError.single(trace.source, "the trace has no jobs")
    faults = list(faults or [])
    fleet = apply_static_faults(fleet, faults)
    return _run(fleet, trace, table, faults, cfg, progress)


def _run(
    fleet: Fleet,
    trace: Trace,
    table: ThroughputTable,
    faults: list[FaultSpec],
    cfg: SimConfig,
    progress: Callable[[float, float], None] | None,
) -> SimState:
    sim = _Sim(fleet, trace, table, get_policy(cfg.policy), faults, cfg)
    sim.start()
    e = sim.engine
    last_arrival = trace.jobs[-1].arrival
    limit = cfg.until_s if cfg.until_s is not None else float("inf")
    n = 0
    # no event left (peek is inf) ends the run too: nothing can change any more, and the jobs
    # still active (their chips taken away for good, say) are reported unfinished
    while (nxt := e.peek()) <= limit and nxt < math.inf:
        e.step()
        n += 1
        if progress is not None and n % 2048 == 0:
            progress(e.now(), last_arrival)
        if not sim.active and e.now() >= last_arrival and _only_capacity_left(sim):
            break
    if cfg.until_s is not None and e.now() < cfg.until_s and sim.active:
        e.run(until=cfg.until_s)
    return sim.state()


def _only_capacity_left(sim: _Sim) -> bool:
    """True when every job has arrived and finished (what is left are capacity steps)."""
    return all(
        sim.jobs[j].finished is not None or sim.recs[j].rejected for j in range(len(sim.jobs))
    )
