"""Shared steps of the placement policies: how many chips a job needs on a pool, and the
greedy loop that places jobs one by one into free chips."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from computebroker.scheduler.types import Allocation, AllocationInput, JobKind, JobState, Placement

__all__ = [
    "Choice",
    "by_speed",
    "chips_needed",
    "fastest",
    "fits",
    "place_in_order",
    "round_label",
    "services_first",
    "spread_service",
]

# (pool index, chips) or None when the job cannot be placed now
Choice = tuple[int, int] | None


def chips_needed(inp: AllocationInput, job: JobState, k: int) -> int:
    """Chips a job asks for on pool ``k``: its gang, or for a service the chips its current
    demand needs there (0: nothing to place or cannot run there)."""
    if job.kind is JobKind.SERVE:
        per = inp.rate(job, inp.pools[k], 1)
        if per <= 0 or job.demand <= 0:
            return 0
        return max(1, math.ceil(job.demand / per - 1e-9))
    return job.chips if inp.rate(job, inp.pools[k], job.chips) > 0 else 0


def fits(inp: AllocationInput, job: JobState, k: int, free: float) -> int:
    """The gang to start on pool ``k`` with ``free`` chips: what it asks for if that fits,
    else the largest size >= ``min_chips`` that fits (services take what is free); 0: none."""
    need = chips_needed(inp, job, k)
    if need <= 0:
        return 0
    if need <= free:
        return need
    if job.kind is JobKind.SERVE:
        return int(free) if free >= 1 else 0
    lo = job.min_chips if job.min_chips is not None else need
    size = int(free)
    if size >= lo and inp.rate(job, inp.pools[k], size) > 0:
        return size
    return 0


ServiceKey = Callable[[JobState, int], tuple[float, ...]]


def spread_service(
    inp: AllocationInput, j: int, free: list[float], key: ServiceKey
) -> list[Placement]:
    """A service's demand spread over pools in ``key`` order (replicas in several pools), each
    taking the chips it has until the demand is covered; ``free`` is updated."""
    job = inp.jobs[j]
    need = job.demand
    out: list[Placement] = []
    for k in sorted(range(len(inp.pools)), key=lambda k: key(job, k)):
        per = inp.rate(job, inp.pools[k], 1)
        if per <= 0 or free[k] < 1:
            continue
        n = min(int(free[k]), max(1, math.ceil(need / per - 1e-9)))
        free[k] -= n
        out.append(Placement(job=j, pool=k, share=1.0, chips=n))
        need -= n * per
        if need <= 1e-9 * max(job.demand, 1.0):
            break
    return out


def fastest(inp: AllocationInput) -> Callable[[JobState, list[float]], Choice]:
    """A ``choose`` for ``place_in_order``: the pool where the job runs fastest among those
    with room for it."""

    def choose(job: JobState, free: list[float]) -> Choice:
        best: Choice = None
        best_rate = 0.0
        for k in range(len(inp.pools)):
            n = fits(inp, job, k, free[k])
            if not n:
                continue
            r = inp.rate(job, inp.pools[k], n)
            if r > best_rate:
                best, best_rate = (k, n), r
        return best

    return choose


def by_speed(inp: AllocationInput) -> ServiceKey:
    """A ``service_key``: pools in order of per-chip speed for the service, fastest first."""
    return lambda job, k: (-inp.rate(job, inp.pools[k], 1),)


def place_in_order(
    inp: AllocationInput,
    order: Iterable[int],
    choose: Callable[[JobState, list[float]], Choice],
    *,
    block: bool = False,
    service_key: ServiceKey | None = None,
) -> Allocation:
    """Place jobs in ``order``, each where ``choose`` says; with ``block`` the first job that
    cannot be placed stops the loop (strict FIFO), otherwise later jobs may backfill. With
    ``service_key``, a service spreads over pools in that order until its demand is covered."""
    free = [float(f) for f in inp.free]
    out: list[Placement] = []
    for j in order:
        if max(free, default=0.0) < 1:
            break
        job = inp.jobs[j]
        if job.ready_at > inp.now:
            continue
        if service_key is not None and job.kind is JobKind.SERVE:
            if job.demand > 0:
                spread = spread_service(inp, j, free, service_key)
                if not spread and block:
                    break
                out.extend(spread)
            continue
        pick = choose(job, free)
        if pick is None:
            if block:
                break
            continue
        k, chips = pick
        free[k] -= chips
        out.append(Placement(job=j, pool=k, share=1.0, chips=chips))
    return Allocation(placements=out)


def services_first(inp: AllocationInput) -> tuple[list[Placement], list[float], list[int]]:
    """Place services on the fastest pool with room (latency-bound work goes first); return
    their placements, the chips left per pool and the indices of the other jobs."""
    free = [float(f) for f in inp.free]
    out: list[Placement] = []
    rest: list[int] = []
    for j, job in enumerate(inp.jobs):
        if job.kind is not JobKind.SERVE:
            rest.append(j)
            continue
        if job.demand > 0:
            out.extend(
                spread_service(inp, j, free, lambda job, k: (-inp.rate(job, inp.pools[k], 1),))
            )
    return out, free, rest


def round_label(policy: str, inp: AllocationInput) -> str:
    """Which decision this is, for messages: the policy, the time and the round.

    Examples
    --------
    >>> inp = AllocationInput(now=720.0, jobs=[], pools=[], free=[], capacity=[],
    ...                       rate=lambda j, p, c: 0.0, round_seconds=360.0)
    >>> round_label("max-min-fairness", inp)
    'of max-min-fairness at t = 720 s (round 2 of 360 s)'
    """
    label = f"of {policy} at t = {inp.now:,.0f} s"
    if inp.round_seconds > 0:
        label += f" (round {int(inp.now // inp.round_seconds + 1e-9):,} of {inp.round_seconds:g} s)"
    return label
