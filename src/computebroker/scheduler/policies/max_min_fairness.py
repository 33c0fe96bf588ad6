"""``max-min-fairness`` (heterogeneity-aware) and ``max-min-fairness-agnostic``: least
attained service, Gavel's LAS policy (Narayanan et al., OSDI 2020, section 4.1).

The agnostic policy equalises weighted chip-time across jobs, blind to which chip is faster
for which job. The aware policy equalises each job's throughput *relative to what the
agnostic allocation would give it* (its "isolated" throughput), so a job that runs 3x faster
on a V100 than on a K80 gets the V100 time and one that barely gains does not: the same
fairness, more work done. Both are preemptive (re-solved at round boundaries) and serve
services first from the capacity their demand needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

import numpy as np

from computebroker.scheduler.policies._lp import AllocationLp
from computebroker.scheduler.policies.common import round_label, services_first
from computebroker.scheduler.policies.maxmin import (
    RoundRows,
    agnostic_shares,
    fastest_fit,
    max_min_shares,
)
from computebroker.scheduler.types import (
    Allocation,
    AllocationInput,
    JobKind,
    JobState,
    SharedPlacement,
    SimJob,
)

__all__ = ["GroupCache", "MaxMinFairness", "MaxMinFairnessAgnostic", "group_jobs"]


RowKey = tuple[str, int, float, frozenset[str] | None]
_KIND = attrgetter("spec.kind")  # (mapped in C: half the time of a generator's loop)
GroupKey = tuple[str, int, float, tuple[float, ...]]


class GroupCache:
    """Each job's group, by its spec (held, so an ``id`` is never reused while cached): valid
    while the pools and the rate function are the same. Groups are numbered, so a later
    round costs one look-up per job and hashes small ints, not a rate call per job and pool."""

    __slots__ = ("_table", "by_spec", "ids", "keys")

    def __init__(self) -> None:
        self.by_spec: dict[int, tuple[SimJob, int]] = {}
        self.ids: dict[GroupKey, int] = {}
        self.keys: list[GroupKey] = []
        self._table = np.zeros((0, 0))

    def table(self) -> np.ndarray:
        """(groups, pools + 2): each group's throughputs on the pools, gang and weight, by
        group number (made again only when groups were added)."""
        if len(self._table) != len(self.keys):
            self._table = np.array([(*k[3], k[1], k[2]) for k in self.keys], dtype=float)
        return self._table

    def group_of(self, inp: AllocationInput, state: JobState) -> int:
        """The number of ``state``'s group (computed once per spec)."""
        spec = state.spec
        hit = self.by_spec.get(id(spec))
        if hit is not None and hit[0] is spec:
            return hit[1]
        row = tuple(inp.rate(state, pool, spec.chips) for pool in inp.pools)
        key = (spec.job_type, spec.chips, spec.weight, row)
        gid = self.ids.get(key)
        if gid is None:
            gid = self.ids[key] = len(self.keys)
            self.keys.append(key)
        self.by_spec[id(spec)] = (spec, gid)
        return gid


def group_jobs(
    inp: AllocationInput,
    jobs: list[int],
    cache: GroupCache | None = None,
    states: Sequence[JobState] | None = None,
) -> tuple[list[list[int]], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group identical jobs (same type, gang, weight and throughputs), in order of first
    appearance: (members, rates (U, K), counts, chips, weights). ``cache`` keeps each job's
    group between rounds; ``states`` is ``inp.jobs`` as a list, when the caller has one."""
    cache = GroupCache() if cache is None else cache
    states = inp.jobs if states is None else states
    by_spec, group_of = cache.by_spec, cache.group_of
    groups: dict[int, list[int]] = {}
    for j in jobs:
        state = states[j]
        spec = state.spec
        hit = by_spec.get(id(spec))
        gid = hit[1] if hit is not None and hit[0] is spec else group_of(inp, state)
        g = groups.get(gid)
        if g is None:
            groups[gid] = [j]
        else:
            g.append(j)
    members = list(groups.values())
    n_pools = len(inp.pools)
    if not members:
        return members, np.zeros((0, n_pools)), np.zeros(0), np.zeros(0), np.zeros(0)
    rows = cache.table()[list(groups)]
    return (
        members,
        rows[:, :n_pools],
        np.array([len(m) for m in members], dtype=float),
        rows[:, n_pools],
        rows[:, n_pools + 1],
    )


def _shared(members: list[list[int]], x: np.ndarray, chips: np.ndarray) -> list[SharedPlacement]:
    """One answer per group with a share anywhere: its members and its (pool, share, chips)
    on each pool where it has one, pools in order."""
    uu, kk = np.nonzero(x > 1e-6)
    gang = chips.astype(int).tolist()
    places: dict[int, list[tuple[int, float, int]]] = {}
    for u, k, share in zip(uu.tolist(), kk.tolist(), x[uu, kk].tolist(), strict=True):
        got = places.get(u)
        if got is None:
            places[u] = [(k, share, gang[u])]
        else:
            got.append((k, share, gang[u]))
    return [SharedPlacement(tuple(members[u]), p) for u, p in places.items()]


class _MaxMin:
    """The common path: services first, ready jobs grouped, one LP solver kept warm; the
    policies differ only in ``shares``."""

    name = ""
    preemptive = True
    reads_remaining = False

    def __init__(self) -> None:
        self._lp: AllocationLp | None = None
        self._keys = GroupCache()
        self._rows_for: tuple[object, object] | None = None

    def shares(
        self,
        lp: AllocationLp,
        rates: np.ndarray,
        counts: np.ndarray,
        chips: np.ndarray,
        weights: np.ndarray,
        free: np.ndarray,
        context: str = "",
    ) -> np.ndarray:
        """(groups, pools) time shares (``context`` names the round in a solver error)."""
        raise NotImplementedError

    def allocate(self, inp: AllocationInput) -> Allocation:
        """Services first, then the policy's shares for each group of identical ready jobs."""
        states, now = list(inp.jobs), inp.now
        if JobKind.SERVE in map(_KIND, states):
            done, free, rest = services_first(inp)
            ready = [j for j in rest if states[j].ready_at <= now]
        else:  # no services: every ready job is a training job
            done, free = [], [float(f) for f in inp.free]
            ready = [j for j, s in enumerate(states) if s.ready_at <= now]
        if not ready:
            return Allocation(placements=done)
        if (
            self._rows_for is None
            or self._rows_for[0] is not inp.pools
            or self._rows_for[1] != inp.rate
        ):
            self._keys, self._rows_for = GroupCache(), (inp.pools, inp.rate)
        members, rates, counts, chips, weights = group_jobs(inp, ready, self._keys, states)
        self._lp = self._lp or AllocationLp()
        x = self.shares(
            self._lp,
            rates,
            counts,
            chips,
            weights,
            np.asarray(free, dtype=float),
            context=round_label(self.name, inp),
        )
        return Allocation(
            placements=done, shared=_shared(members, x, chips), note=f"{len(members)} job groups"
        )


class MaxMinFairnessAgnostic(_MaxMin):
    """Equal weighted chip-time, blind to chip speed: water-filled and spread over the pools."""

    name = "max-min-fairness-agnostic"

    def shares(
        self,
        lp: AllocationLp,
        rates: np.ndarray,
        counts: np.ndarray,
        chips: np.ndarray,
        weights: np.ndarray,
        free: np.ndarray,
        context: str = "",
    ) -> np.ndarray:
        return agnostic_shares(lp, rates > 0, counts, chips, weights, free, context=context)


class MaxMinFairness(_MaxMin):
    """Equal throughput relative to the agnostic share (Gavel's heterogeneity-aware LAS)."""

    name = "max-min-fairness"

    def shares(
        self,
        lp: AllocationLp,
        rates: np.ndarray,
        counts: np.ndarray,
        chips: np.ndarray,
        weights: np.ndarray,
        free: np.ndarray,
        context: str = "",
    ) -> np.ndarray:
        # every group fits on its fastest pool at once: that is the LP's only optimum whatever
        # the yardstick (scaling a row of throughputs moves neither its best pool nor the
        # margin to its second), so no agnostic share is needed (``maxmin.fastest_fit``)
        best = fastest_fit(
            np.where((rates > 0) & (free[None, :] >= 1), rates, 0.0), counts, chips, free
        )
        if best is not None:
            return best
        rows = RoundRows()  # the agnostic and the aware LP's gang rows, built once
        agn = agnostic_shares(
            lp, rates > 0, counts, chips, weights, free, context=context, rows=rows
        )
        iso = (rates * agn).sum(axis=1)
        a = np.where(
            iso[:, None] > 0, rates * (chips / weights / np.where(iso > 0, iso, 1.0))[:, None], 0.0
        )
        return max_min_shares(lp, a, counts, chips, free, context=context, rows=rows)
