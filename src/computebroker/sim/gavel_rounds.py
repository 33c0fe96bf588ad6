"""Gavel's round mechanism (``--rounds gavel``), to reproduce Gavel's own simulator.

The default (fluid) mode runs each job at the average rate its time shares give — the limit
Gavel's round-robin approaches. Gavel itself (Narayanan et al., OSDI 2020, section 5; its
``scheduler.py`` at commit c4fa400, read for its semantics only) realises an allocation in
whole rounds, and this module does the same:

* **Recompute throttle.** The allocation (the policy's time shares per job and pool) is
  recomputed at a round's start only when the set of jobs changed *and* at least
  ``throttle_s`` (Gavel's ``minimum_time_between_allocation_resets``, 1,920 s) have passed
  since the last one — or the last one was at time 0 (Gavel tests ``last_reset_time == 0``,
  so a first allocation made at 0 never throttles the second). Jobs that arrived since have
  no share and do not run until then.
* **Time so far.** Each job has, per pool, the time it ran there since the last
  recomputation, which starts at half a round (Gavel's ``time_per_iteration / 2``, when the
  job arrives and at every recomputation); each pool has the total of those, set at a
  recomputation to half a round per job present and grown by every round run there.
* **Priority** of a job on a pool: its share divided by its fraction of the pool's time so
  far (share x 1e9 while the pool has no time yet; 0 without a share, or where it cannot
  run). **Deficits** (share x elapsed - time received, per pool) are summed at each
  recomputation and break ties, then the share, then arrival order.
* **Queue order.** Per pool in Gavel's worker-type order (V100, P100, K80, then the others as
  listed; shuffled every round from the run's seeded generator for the speed-blind policies,
  ``SPEED_BLIND``, as Gavel's ``_worker_type_shuffler`` does for policies without "Perf" in
  their name), the jobs are ranked by (priority, deficit, share), and the queues are walked
  once in that order: a job not yet placed takes all its chips on the pool of the entry if
  they are free, so the first pool fills first, whatever the ranking on the others says. A
  job without a share (arrived since the recomputation) takes its chips there and runs
  nothing, as in Gavel (its scheduler later skips jobs without an allocation), and the FIFO
  policies skip entries of priority 0.
* **Rounds** end when the last job placed in them has run a full round or finished (Gavel's
  simulator jumps to the latest finish time); an idle cluster starts a round when a job
  arrives. A job placed on the same pool in consecutive rounds keeps running (lease
  extension): the simulator moves only jobs whose placement changed.

State is the simulator's own (a ``GavelRounds`` per run); nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from computebroker.errors import SolverError
from computebroker.sim.records import THROTTLE_S

__all__ = [
    "AGNOSTIC",
    "AWARE",
    "GAVEL_ORDER",
    "SPEED_BLIND",
    "THROTTLE_S",
    "GavelRounds",
    "gavel_agnostic_shares",
    "gavel_order",
    "gavel_perf_shares",
]

GAVEL_ORDER = ("v100", "p100", "k80")  # the cluster_spec order of Gavel's drivers
SPEED_BLIND = frozenset({"max-min-fairness-agnostic", "fifo"})  # Gavel shuffles their order
UNSHARED = 1e9  # Gavel's priority multiplier while a pool has no time so far

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
    """One run's round state: the allocation in force, when it was made, time so far, deficits."""

    order: list[int]
    round_s: float
    throttle_s: float = THROTTLE_S
    shuffle: np.random.Generator | None = None  # speed-blind policies: a new order each round
    skip_unprioritised: bool = False  # FIFO policies: entries of priority 0 are skipped
    shares: dict[int, dict[int, float]] = field(default_factory=dict)
    reset_at: float | None = None
    time_so_far: dict[int, list[float]] = field(default_factory=dict)
    pool_time: list[float] = field(default_factory=list)
    deficits: dict[int, list[float]] = field(default_factory=dict)
    recomputes: int = 0
    last_end: float = 0.0  # when the last round in which a job ran ended (0 before any)

    def due(self, now: float, jobs: Sequence[int]) -> bool:
        """Whether to recompute the allocation now: the jobs changed and the throttle passed."""
        if not self.changed(jobs):
            return False
        return (
            self.reset_at is None
            or self.reset_at == 0.0
            or now - self.reset_at >= self.throttle_s - 1e-9
        )

    def changed(self, jobs: Sequence[int]) -> bool:
        """Whether the jobs differ from those of the allocation in force."""
        return len(jobs) != len(self.shares) or any(j not in self.shares for j in jobs)

    def _see(self, jobs: Sequence[int], pools: int) -> None:
        """Start the books of newly arrived jobs (half a round each) and drop finished ones."""
        half = self.round_s / 2.0
        if not self.pool_time:
            self.pool_time = [0.0] * pools
        present = set(jobs)
        for j in [j for j in self.time_so_far if j not in present]:
            del self.time_so_far[j], self.deficits[j]
        for j in jobs:
            if j not in self.time_so_far:
                self.time_so_far[j] = [half] * pools
                self.deficits[j] = [0.0] * pools

    def reset(self, now: float, shares: dict[int, dict[int, float]], pools: int) -> None:
        """A new allocation (job -> pool -> share) from now on: deficits summed under the old
        one, time so far back to half a round per job."""
        self._see(list(shares), pools)
        half = self.round_s / 2.0
        elapsed = now - (self.reset_at or 0.0)
        for j, spent in self.time_so_far.items():
            old = self.shares.get(j, {})
            deficit = self.deficits[j]
            for k in range(pools):
                deficit[k] += old.get(k, 0.0) * elapsed - (spent[k] - half)
                spent[k] = half
        self.pool_time = [half * len(self.time_so_far)] * pools
        self.shares, self.reset_at = shares, now
        self.recomputes += 1

    def unthrottle(self) -> None:
        """Let the next round recompute the allocation whatever the throttle says: Gavel's
        simulator sets ``_last_reset_time = 0`` when nothing runs and no job is left to arrive
        (``Scheduler.simulate`` at commit c4fa400), or it would wait for ever."""
        self.reset_at = 0.0

    def _ranked(
        self, k: int, jobs: Sequence[int], need: Sequence[Sequence[int]]
    ) -> tuple[list[int], list[float]]:
        """Positions in ``jobs`` ranked on pool ``k`` by (priority, deficit, share), ties in
        arrival order (Gavel's stable sort), and each position's priority there."""
        n = len(jobs)
        a = np.zeros(n)
        spent = np.ones(n)
        deficit = np.empty(n)
        for i, j in enumerate(jobs):
            share = self.shares.get(j)
            if share is not None and need[i][k] > 0:
                a[i] = share.get(k, 0.0)
            spent[i] = self.time_so_far[j][k]
            deficit[i] = self.deficits[j][k]
        total = self.pool_time[k]
        prio = a * (total / spent if total > 0 else UNSHARED)
        order = np.lexsort((np.arange(n), -a, -deficit, -prio))
        return order.tolist(), prio.tolist()

    def round(
        self,
        now: float,
        jobs: Sequence[int],
        needs: Callable[[int], Sequence[int]],
        capacity: Sequence[float],
        run_s: Callable[[int, int, int], float],
    ) -> tuple[dict[int, Placements], float]:
        """Placements for the round starting at ``now`` and its length: ``needs(j)[k]`` is the chips
        job ``j`` takes on pool ``k`` (0: cannot run there), ``run_s(j, k, chips)`` how long
        it runs there this round (a full round, or until it finishes); the time is booked."""
        self._see(jobs, len(capacity))
        left = [int(c + 1e-9) for c in capacity]
        need = [needs(j) for j in jobs]
        order = self.order
        if self.shuffle is not None:
            order = [order[i] for i in self.shuffle.permutation(len(order))]
        taken: set[int] = set()
        out: dict[int, Placements] = {}
        length = 0.0
        # Gavel books a job's round as (its finish - the end of the last round in which a job
        # ran), ``current_round_start_time`` in ``Scheduler.simulate``: the same as its run
        # time while the cluster is busy, plus the idle gap in the first round after one
        gap = max(0.0, now - self.last_end)
        for k in order:  # the queues of the pools, one after the other
            if left[k] <= 0:
                continue
            ranked, prio = self._ranked(k, jobs, need)
            for i in ranked:
                if left[k] <= 0:
                    break  # the rest of this pool's queue cannot be placed
                j, chips = jobs[i], need[i][k]
                if j in taken or chips <= 0 or chips > left[k]:
                    continue
                if self.skip_unprioritised and prio[i] <= 0:
                    continue
                left[k] -= chips
                taken.add(j)
                if j not in self.shares:  # no allocation yet: Gavel holds its chips idle
                    continue
                out[j] = [(k, 1.0, chips)]
                spent = run_s(j, k, chips)
                self.time_so_far[j][k] += spent + gap
                self.pool_time[k] += spent + gap
                length = max(length, spent)
        if length > 0:
            self.last_end = now + length
        return out, length


# Gavel's agnostic LAS allocation -------------------------------------------------------------
#
# Gavel's ``MaxMinFairnessPolicy`` (scheduler/policies/max_min_fairness.py,
# github.com/stanford-futuredata/gavel, read for its semantics) is its heterogeneity-aware LP
# with every throughput set to 1, on every worker type of the cluster, including types where
# the job cannot run (the rounds then never place it there: it loses that share):
#
#     max t  s.t.  t <= scale_j * sum_k x_jk / w_j   (every job j, priority weight w_j)
#                  sum_k x_jk <= 1,  sum_j scale_j x_jk <= workers_k,  0 <= x <= 1
#
# solved by cvxpy with ECOS, an interior-point method. Only the least chip-time is maximised,
# so the rest of the optimal face is free and an interior-point method ends near its centre,
# which symmetry fixes here (no throughput tells the types apart): the slack is shared out
# evenly, where water-filling gives it to the largest gangs and a simplex vertex to whichever
# jobs its pivots pick. HiGHS's interior-point solver without crossover gives that centre.
# (The heterogeneity-aware LP is not solved this way: its optimal face is not symmetric, and
# HiGHS's interior point lands measurably off Gavel's — 4.17 h against the paper's 3.7 h on the
# physical trace, against 3.93 h with the policy's own LP then, 3.89 h now — so the policy's
# LP is kept there.)

AGNOSTIC = "max-min-fairness-agnostic"
AWARE = "max-min-fairness"  # heterogeneity-aware LAS: ``gavel_perf_shares``


def gavel_agnostic_shares(
    scale: np.ndarray, weights: np.ndarray, workers: np.ndarray
) -> np.ndarray:
    """Gavel's agnostic LAS shares (jobs x pools) for gang sizes ``scale``, priority
    ``weights`` and the chips of each pool (Gavel's cluster spec), clipped to [0, 1] as Gavel
    clips ECOS's answer.

    Examples
    --------
    >>> gavel_agnostic_shares(np.ones(2), np.ones(2), np.array([1.0, 1.0])).round(2).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    >>> # a 2-chip and a 1-chip job on 2 + 2 chips: the 1-chip job bounds the least chip-time
    >>> # (1), the 2-chip job needs a share of 0.5 for it and gets part of the slack above
    >>> x = gavel_agnostic_shares(np.array([2.0, 1.0]), np.ones(2), np.array([2.0, 2.0]))
    >>> x.sum(axis=1).round(2).tolist()
    [0.69, 1.0]
    """
    coef = scale / np.where(weights > 0, weights, 1.0)
    return _gavel_max_min(np.repeat(coef[:, None], len(workers), axis=1), scale, workers)


def gavel_perf_shares(
    rates: np.ndarray, scale: np.ndarray, weights: np.ndarray, workers: np.ndarray
) -> np.ndarray:
    """Gavel's heterogeneity-aware LAS shares (jobs x pools): ``MaxMinFairnessPolicyWithPerf``
    (scheduler/policies/max_min_fairness.py at c4fa400, read for its semantics), for each
    job's (gang) throughput on each pool ``rates`` (0 where it cannot run), gang sizes
    ``scale``, priority ``weights`` and the chips of each pool:

        max t  s.t.  t <= scale_j / (w_j * prop_j) * sum_k rates_jk x_jk   (every job j)
                     sum_k x_jk <= 1,  sum_j scale_j x_jk <= workers_k,  0 <= x <= 1

    where ``prop_j`` is the job's throughput under Gavel's ``ProportionalPolicy``: a time share
    of workers_k / m on every pool (m jobs), the rows then scaled to sum to 1, whatever the
    gang size and whether the job can run there. Only the least term is
    maximised, solved at the centre of the optimal face as ECOS (an interior-point method,
    no secondary objective) leaves it: the slack is spread over every pool, small shares
    included, and those are what rank a job on a pool it barely uses (its priority there is
    positive, not 0), where the policy's own LP gives a vertex.

    Examples
    --------
    >>> # two 1-chip jobs, one pool each can use best; room for both on their best pool
    >>> x = gavel_perf_shares(np.array([[2.0, 1.0], [1.0, 2.0]]), np.ones(2), np.ones(2),
    ...                       np.array([1.0, 1.0]))
    >>> x.round(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    m = len(rates)
    out = np.zeros(rates.shape)
    total = float(workers.sum())
    # workers_k / m on every pool, then divided by the largest row sum (Gavel divides
    # whatever that sum is, so each row sums to 1: workers_k / all workers)
    iso = rates @ (workers / total) if total > 0 else np.zeros(m)
    # a job that runs nowhere (never in Gavel's tables) would pin the least term at 0: it
    # is left out and gets nothing
    runs = iso > 0
    if not runs.any():
        return out
    w = np.where(weights > 0, weights, 1.0)
    coef = rates[runs] * (scale[runs] / w[runs] / iso[runs])[:, None]
    out[runs] = _gavel_max_min(coef, scale[runs], workers)
    return out


def _gavel_max_min(coef: np.ndarray, scale: np.ndarray, workers: np.ndarray) -> np.ndarray:
    """Gavel's max-min LP (``max t, t <= sum_k coef_jk x_jk``, shares at most 1 per job,
    ``sum_j scale_j x_jk <= workers_k``) at the centre of its optimal face: HiGHS's interior
    point without crossover, clipped to [0, 1]."""
    import highspy
    from scipy import sparse

    from computebroker.solvers import new_highs

    n_jobs, n_pools = len(scale), len(workers)
    n = n_jobs * n_pools
    j = np.repeat(np.arange(n_jobs), n_pools)
    k = np.tile(np.arange(n_pools), n_jobs)
    cols = np.arange(n)
    # rows: n_jobs min rows (t - sum_k coef_jk x_jk <= 0), n_jobs share rows, n_pools capacity rows
    rows = np.concatenate([j, np.arange(n_jobs), n_jobs + j, 2 * n_jobs + k])
    cidx = np.concatenate([cols, np.full(n_jobs, n), cols, cols])
    vals = np.concatenate([-coef.ravel(), np.ones(n_jobs), np.ones(n), scale[j]])
    a = sparse.csc_matrix((vals, (rows, cidx)), shape=(2 * n_jobs + n_pools, n + 1))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + 1, 2 * n_jobs + n_pools
    cost = np.zeros(n + 1)
    cost[n] = -1.0
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n + 1)
    lp.col_upper_ = np.concatenate([np.ones(n), [highspy.kHighsInf]])
    lp.row_lower_ = np.full(2 * n_jobs + n_pools, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate([np.zeros(n_jobs), np.ones(n_jobs), workers.astype(float)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n + 1, 2 * n_jobs + n_pools
    # the centre first; should the interior point not reach an optimum, a simplex vertex (an
    # optimum still, off the centre); neither: the round cannot be allocated
    for options in ({"solver": "ipm", "run_crossover": "off"}, {"solver": "simplex"}):
        h = new_highs(**options)
        h.passModel(lp)
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            x = np.asarray(h.getSolution().col_value[:n], dtype=float)
            if np.isfinite(x).all():
                out: np.ndarray = np.clip(x.reshape(n_jobs, n_pools), 0.0, 1.0)
                return out
    raise SolverError(
        f"HiGHS could not solve Gavel's max-min LP ({n_jobs:,} jobs, {n_pools} pools) by "
        "interior point or simplex"
    )
