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

import numpy as np

from computebroker.scheduler.policies._lp import AllocationLp
from computebroker.scheduler.policies.common import round_label, services_first
from computebroker.scheduler.policies.maxmin import agnostic_shares, max_min_shares
from computebroker.scheduler.types import Allocation, AllocationInput, Placement

__all__ = ["MaxMinFairness", "MaxMinFairnessAgnostic", "group_jobs"]


def group_jobs(
    inp: AllocationInput, jobs: list[int]
) -> tuple[list[list[int]], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group identical jobs: (members, rates (U, K), counts, chips, weights)."""
    groups: dict[tuple[object, ...], int] = {}
    members: list[list[int]] = []
    rates: list[list[float]] = []
    chips: list[int] = []
    weights: list[float] = []
    for j in jobs:
        job = inp.jobs[j]
        row = [inp.rate(job, pool, job.chips) for pool in inp.pools]
        key = (job.job_type, job.chips, job.weight, tuple(row))
        g = groups.get(key)
        if g is None:
            groups[key] = g = len(members)
            members.append([])
            rates.append(row)
            chips.append(job.chips)
            weights.append(job.weight)
        members[g].append(j)
    return (
        members,
        np.array(rates, dtype=float).reshape(len(members), len(inp.pools)),
        np.array([len(m) for m in members], dtype=float),
        np.array(chips, dtype=float),
        np.array(weights, dtype=float),
    )


def _placements(members: list[list[int]], x: np.ndarray, chips: np.ndarray) -> list[Placement]:
    out = []
    for u, ks in zip(*np.nonzero(x > 1e-6), strict=True):
        for j in members[u]:
            out.append(Placement(job=j, pool=int(ks), share=float(x[u, ks]), chips=int(chips[u])))
    return out


class _MaxMin:
    """The common path: services first, ready jobs grouped, one LP solver kept warm; the
    policies differ only in ``shares``."""

    name = ""
    preemptive = True

    def __init__(self) -> None:
        self._lp: AllocationLp | None = None

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
        done, free, rest = services_first(inp)
        ready = [j for j in rest if inp.jobs[j].ready_at <= inp.now]
        if not ready:
            return Allocation(placements=done)
        members, rates, counts, chips, weights = group_jobs(inp, ready)
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
            placements=done + _placements(members, x, chips), note=f"{len(members)} job groups"
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
        agn = agnostic_shares(lp, rates > 0, counts, chips, weights, free, context=context)
        iso = (rates * agn).sum(axis=1)
        a = np.where(
            iso[:, None] > 0, rates * (chips / weights / np.where(iso > 0, iso, 1.0))[:, None], 0.0
        )
        return max_min_shares(lp, a, counts, chips, free, context=context)
