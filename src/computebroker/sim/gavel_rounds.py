"""Gavel's round mechanism (``--rounds gavel``), to reproduce Gavel's own simulator.

The default (fluid) mode runs each job at the average rate its time shares give — the limit
Gavel's round-robin approaches. Gavel itself (Narayanan et al., OSDI 2020, section 5; its
``scheduler.py``) realises an allocation in whole rounds, and this module does the same:

* the allocation (the policy's time shares per job and pool) is recomputed only when the
  set of jobs changed *and* at least ``throttle_s`` (Gavel's
  ``minimum_time_between_allocation_resets``, 1,920 s in its simulations) have passed since
  the last one; jobs that arrived since run only from the next recomputation;
* each round, per pool in Gavel's worker-type order (V100, P100, K80, then the others as
  listed), the jobs are ranked by priority = share / fraction of time received there since the
  recomputation (infinite before a job's first turn), then by deficit (share x elapsed -
  received) and share; the queues are concatenated in that pool order and walked once, each
  job placed whole (all its chips, share 1) on the first pool in the walk where it runs and
  fits — so the first pool fills first whatever its ranking says, as Gavel's does;
* for the speed-blind policies (``SPEED_BLIND``; Gavel: policies without "Perf" in their
  name) the pool order is shuffled every round, from the run's seeded generator, as Gavel's
  ``_worker_type_shuffler`` does;
* a job placed on the same pool in consecutive rounds keeps running (lease extension): the
  simulator moves only jobs whose placement changed.

State is the simulator's own (a ``GavelRounds`` per run); nothing here reads a clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["GAVEL_ORDER", "SPEED_BLIND", "THROTTLE_S", "GavelRounds", "gavel_order"]

THROTTLE_S = 1920.0  # Gavel's minimum time between allocation resets in its simulations (s)
GAVEL_ORDER = ("v100", "p100", "k80")  # Gavel's _schedule_jobs_on_workers worker-type order
SPEED_BLIND = frozenset({"max-min-fairness-agnostic", "fifo"})  # Gavel shuffles their order

Placements = list[tuple[int, float, int]]


def gavel_order(accelerators: Sequence[str]) -> list[int]:
    """Pools in Gavel's worker-type order: V100, P100, K80, then the rest as listed.

    Examples
    --------
    >>> gavel_order(["k80", "h100", "v100"])
    [2, 0, 1]
    """
    rank = {a: i for i, a in enumerate(GAVEL_ORDER)}
    return sorted(range(len(accelerators)), key=lambda k: (rank.get(accelerators[k], 99), k))


@dataclass(slots=True)
class GavelRounds:
    """One run's round state: the allocation in force, when it was made, time received."""

    order: list[int]
    throttle_s: float = THROTTLE_S
    shuffle: np.random.Generator | None = None  # speed-blind policies: a new order each round
    shares: dict[int, dict[int, float]] = field(default_factory=dict)
    reset_at: float = -math.inf
    received: dict[int, dict[int, float]] = field(default_factory=dict)
    recomputes: int = 0

    def due(self, now: float, jobs: Sequence[int]) -> bool:
        """Whether to recompute the allocation now: the jobs changed and the throttle passed."""
        changed = len(jobs) != len(self.shares) or any(j not in self.shares for j in jobs)
        return changed and now - self.reset_at >= self.throttle_s - 1e-9

    def reset(self, now: float, shares: dict[int, dict[int, float]]) -> None:
        """A new allocation (job -> pool -> share) from now on."""
        self.shares, self.reset_at, self.received = shares, now, {}
        self.recomputes += 1

    def round(
        self,
        now: float,
        round_s: float,
        jobs: Sequence[int],
        fits: Callable[[int, int], int],
        capacity: Sequence[float],
    ) -> dict[int, Placements]:
        """Placements for the round starting ``now``: ``fits(j, k)`` is the chips job ``j``
        needs on pool ``k`` (0: cannot run there); time received is booked for the round."""
        elapsed = now - self.reset_at
        queue: list[tuple[int, int]] = []
        order = self.order
        if self.shuffle is not None:
            order = [order[i] for i in self.shuffle.permutation(len(order))]
        for k in order:
            ranked = []
            for j in jobs:
                share = self.shares.get(j)
                if share is None:  # arrived after the allocation: waits for the next one
                    continue
                a = share.get(k, 0.0)
                got = self.received.get(j, {}).get(k, 0.0)
                frac = got / elapsed if elapsed > 0 else 0.0
                prio = a / frac if frac > 0 else (math.inf if a > 0 else 0.0)
                ranked.append((prio, a * elapsed - got, a, j))
            ranked.sort(key=lambda e: (e[0], e[1], e[2]), reverse=True)
            queue.extend((j, k) for *_, j in ranked)
        free = [float(c) for c in capacity]
        out: dict[int, Placements] = {}
        for j, k in queue:
            if j in out or free[k] < 1:
                continue
            chips = fits(j, k)
            if chips <= 0 or chips > free[k]:
                continue
            free[k] -= chips
            out[j] = [(k, 1.0, chips)]
            booked = self.received.setdefault(j, {})
            booked[k] = booked.get(k, 0.0) + round_s
        return out
