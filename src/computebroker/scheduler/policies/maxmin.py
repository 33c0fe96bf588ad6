"""The max-min allocation LP shared by the fairness and makespan policies.

Units ``u`` are groups of identical jobs (same type, gang, weight and throughputs: by
symmetry an optimal allocation gives them equal shares, so the LP has one row per group, not
per job). With ``x[u,k]`` the share of time each job of ``u`` spends on pool ``k``:

    max  t + eps * mean_u sum_k a[u,k] x[u,k]
    s.t. t <= sum_k a[u,k] x[u,k]          for every unit that can run somewhere
         sum_k x[u,k] <= 1                  (a job is in one place at a time)
         sum_u n[u] c[u] x[u,k] <= free[k]  (chips of each pool)
         sum_{u: c[u] >= g} n[u] x[u,k] <= floor(free[k] / g)   for each gang size g > 1

The last rows are whole-gang placement under contention: at any instant at most
floor(free / g) gangs of g or more chips run on a pool, so their time shares on it cannot sum
to more. Without them the chip rows alone let gangs pack fractionally (two 2-chip jobs on
3 chips at 0.75 each, which no schedule of whole gangs gives: 0.5 each is what runs); only
the rows that can bind are added.

``a`` is each policy's normalised throughput; the small ``eps`` term hands capacity the
bottleneck jobs cannot use to the others (so no chip idles while a job waits), which the
plain max-min LP of Gavel (Narayanan et al., OSDI 2020, section 4.1) leaves to chance.
"""

from __future__ import annotations

import numpy as np

from computebroker.scheduler.policies._lp import AllocationLp

__all__ = [
    "EPS",
    "TIE",
    "RoundRows",
    "agnostic_shares",
    "fastest_fit",
    "gang_rows",
    "lp_shares",
    "max_min_shares",
]

EPS = 1e-3  # weight of the secondary (total normalised throughput) term; small enough not to trade the minimum
# a unit's best pool is clear of its second when better by more than this fraction: below it
# the LP, not ``fastest_fit``, chooses (1e-6 is far above HiGHS's 1e-7 optimality tolerance
# on costs of EPS-scale, far below any real throughput difference)
TIE = 1e-6
# whole-gang rows: (row of each entry, column, value, each row's bound); see ``gang_rows``
GangRows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def max_min_shares(
    lp: AllocationLp,
    a: np.ndarray,
    counts: np.ndarray,
    chips: np.ndarray,
    free: np.ndarray,
    *,
    context: str = "",
    rows: RoundRows | None = None,
) -> np.ndarray:
    """(U, K) shares solving the LP of the module docstring (``context`` names the round in
    an error; ``rows``: the round's gang rows, when the caller keeps them): ``fastest_fit``
    where it gives the answer, else the LP."""
    usable = (a > 0) & (free[None, :] >= 1)
    if not usable.any():
        return np.zeros(a.shape)
    best = fastest_fit(np.where(usable, a, 0.0), counts, chips, free)
    if best is not None:
        return best
    return lp_shares(lp, a, counts, chips, free, context=context, usable=usable, rows=rows)


def lp_shares(
    lp: AllocationLp,
    a: np.ndarray,
    counts: np.ndarray,
    chips: np.ndarray,
    free: np.ndarray,
    *,
    context: str = "",
    usable: np.ndarray | None = None,
    rows: RoundRows | None = None,
) -> np.ndarray:
    """(U, K) shares from HiGHS on the LP of the module docstring (``usable``: where
    ``a > 0`` on a pool with a chip free, when the caller has it; ``rows``: the round's gang
    rows)."""
    U, K = a.shape
    if usable is None:
        usable = (a > 0) & (free[None, :] >= 1)
    uu, kk = np.nonzero(usable)
    nx = len(uu)
    if nx == 0:
        return np.zeros((U, K))
    runs = np.zeros(U, dtype=bool)
    runs[uu] = True
    n_min = int(np.count_nonzero(runs))
    # rows: [min rows for runnable units] [share rows per unit] [capacity rows per pool]
    # [whole-gang rows]; columns: the shares x[uu[i], kk[i]], then t
    r_min = (np.cumsum(runs) - 1)[uu]
    rows = RoundRows() if rows is None else rows
    g_rows, g_cols, g_vals, g_hi = rows.gang_rows(usable, uu, kk, counts, chips, free)
    matrix = _columns(
        n_min,
        (r_min, n_min + uu, n_min + U + kk),
        (-a[uu, kk], (counts * chips)[uu].astype(float)),
        (n_min + U + K + g_rows, g_cols, g_vals),
    )
    n_rows = n_min + U + K + len(g_hi)
    row_lo = np.full(n_rows, -np.inf)
    row_hi = np.concatenate([np.zeros(n_min), np.ones(U), free.astype(float), g_hi])
    c = np.zeros(nx + 1)
    c[nx] = -1.0
    c[:nx] = -EPS * counts[uu] * a[uu, kk] / max(float(counts[runs].sum()), 1.0)
    col_lo = np.zeros(nx + 1)
    col_hi = np.concatenate([np.ones(nx), [np.inf]])
    x = lp.solve_columns(c, matrix, n_rows, (row_lo, row_hi, col_lo, col_hi), context=context)
    out = np.zeros((U, K))
    out[uu, kk] = np.clip(x[:nx], 0.0, 1.0)
    return out


def _columns(
    n_min: int,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    vals: tuple[np.ndarray, np.ndarray],
    gang: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The LP's matrix compressed by column, built in column order (what ``_lp.csc`` gives
    for the same entries, without sorting them): each share column holds its min row (value
    ``-a``), its unit's share row (1), its pool's capacity row (gang chips x count) and its
    whole-gang rows (count), in that row order; the last column, ``t``, has a 1 in every min
    row."""
    r_min, r_share, r_cap = rows
    v_min, v_cap = vals
    g_rows, g_cols, g_vals = gang
    nx = len(r_min)
    per_col = np.full(nx + 1, 3, dtype=np.int64)
    per_col[nx] = n_min
    if len(g_cols):
        per_col[:nx] += np.bincount(g_cols, minlength=nx)
    start = np.zeros(nx + 2, dtype=np.int64)
    np.cumsum(per_col, out=start[1:])
    nnz = int(start[-1])
    index = np.empty(nnz, dtype=np.int32)
    value = np.empty(nnz)
    first = start[:nx]
    index[first], value[first] = r_min, v_min
    index[first + 1], value[first + 1] = r_share, 1.0
    index[first + 2], value[first + 2] = r_cap, v_cap
    if len(g_cols):
        # gang entries come grouped by row; within a column they go in row order, after the
        # column's first three
        order = np.lexsort((g_rows, g_cols))
        cols = g_cols[order]
        pos = start[cols] + 3 + np.arange(len(cols)) - np.searchsorted(cols, cols)
        index[pos], value[pos] = g_rows[order], g_vals[order]
    t0 = int(start[nx])
    index[t0:] = np.arange(n_min)
    value[t0:] = 1.0
    return start.astype(np.int32), index, value


def fastest_fit(
    a: np.ndarray, counts: np.ndarray, chips: np.ndarray, free: np.ndarray
) -> np.ndarray | None:
    """The LP's solution when every unit fits on its own best pool at once (``None`` when
    not, or when a unit's best pool is not clear of its second by ``TIE``).

    Then each job at share 1 on the pool where ``a`` is highest is optimal and the only
    optimum: no unit can do better than its own best (``sum_k x <= 1``), so the minimum ``t``
    and the secondary term are both at their bounds, and a unit at its best with a unique best
    pool has all its time there. An uncontended round (jobs on a cluster with room for each on
    its fastest chips) costs no LP. ``a`` is 0 where a unit cannot run.

    Examples
    --------
    >>> a = np.array([[3.0, 1.0], [2.0, 1.0]])
    >>> fastest_fit(a, np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([2.0, 2.0])).tolist()
    [[1.0, 0.0], [1.0, 0.0]]
    >>> print(fastest_fit(a, np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([1.0, 2.0])))
    None
    """
    U, K = a.shape
    top = a.argmax(axis=1)
    rows = np.arange(U)
    hi = a[rows, top]
    runs = hi > 0
    if K > 1:
        second = np.partition(a, K - 2, axis=1)[:, K - 2]
        if (runs & (second >= hi * (1.0 - TIE))).any():
            return None
    uu, kk = rows[runs], top[runs]
    # the chip rows only: whole jobs at share 1 that fit by chips fit by gangs too (N whole
    # gangs of g or more chips take at least g N chips, so N <= free / g, hence <= floor)
    need = np.bincount(kk, weights=(counts * chips)[uu], minlength=K)
    if (need > free + 1e-9).any():
        return None
    out = np.zeros((U, K))
    out[uu, kk] = 1.0
    return out


class RoundRows:
    """One round's whole-gang rows, by the (group, pool) pairs they are for: the agnostic
    shares and the LP of a round (both LPs of a heterogeneity-aware round) usually have the
    same pairs, and the rows are built once. Valid for one round's counts, chips and free
    chips (a policy makes one per round)."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: tuple[bytes, GangRows] | None = None

    def gang_rows(
        self,
        usable: np.ndarray,
        uu: np.ndarray,
        kk: np.ndarray,
        counts: np.ndarray,
        chips: np.ndarray,
        free: np.ndarray,
    ) -> GangRows:
        """``gang_rows(uu, kk, counts, chips, free)`` for ``(uu, kk) = nonzero(usable)``."""
        key = usable.tobytes()
        if self._last is None or self._last[0] != key:
            self._last = (key, gang_rows(uu, kk, counts, chips, free))
        return self._last[1]


def gang_rows(
    uu: np.ndarray, kk: np.ndarray, counts: np.ndarray, chips: np.ndarray, free: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The whole-gang rows (module docstring) that can bind, for the share columns
    ``x[uu[i], kk[i]]`` (column ``i``): (row of each entry, column, value, each row's bound).

    Examples
    --------
    >>> # two 2-chip jobs (one unit of 2) on a 3-chip pool: one gang at a time
    >>> r, c, v, hi = gang_rows(np.array([0]), np.array([0]), np.array([2.0]), np.array([2.0]), np.array([3.0]))
    >>> r.tolist(), c.tolist(), v.tolist(), hi.tolist()
    ([0], [0], [2.0], [1.0])
    >>> gang_rows(np.array([0]), np.array([0]), np.array([2.0]), np.array([2.0]), np.array([4.0]))[3].tolist()
    []
    """
    c = chips[uu]
    empty = np.zeros(0, dtype=int)
    # the gang sizes above 1 present, ascending (chips are whole numbers; no np.unique, whose
    # first call imports numpy.ma)
    sizes = np.flatnonzero(np.bincount(c.astype(np.intp)))
    sizes = sizes[sizes > 1]
    if not len(sizes):
        return empty, empty, np.zeros(0), np.zeros(0)
    n_pools = len(free)
    # every (gang size g, share column i) with chips >= g, keyed by (g, pool): a row per key
    # whose gangs cannot all fit at once (counts are whole numbers, so the sums are exact in
    # any order)
    gi, ii = np.nonzero(c[None, :] >= sizes[:, None])
    key = gi * n_pools + kk[ii]
    cnt = counts[uu].astype(float)
    total = np.bincount(key, weights=cnt[ii], minlength=len(sizes) * n_pools)
    bound = np.floor(free[None, :] / sizes[:, None] + 1e-9).ravel()
    binds = total > bound + 1e-9  # (a key no column has sums to 0, which binds nothing)
    if not binds.any():
        return empty, empty, np.zeros(0), np.zeros(0)
    # the binding keys' columns, grouped by key, columns in order within a key
    order = np.argsort(key, kind="stable")
    key, ii = key[order], ii[order]
    row_of = np.cumsum(binds) - 1
    keep = binds[key]
    return row_of[key[keep]], ii[keep], cnt[ii[keep]], bound[binds].astype(float)


def agnostic_shares(
    lp: AllocationLp,
    allowed: np.ndarray,
    counts: np.ndarray,
    chips: np.ndarray,
    weights: np.ndarray,
    free: np.ndarray,
    *,
    context: str = "",
    rows: RoundRows | None = None,
) -> np.ndarray:
    """(U, K) shares of heterogeneity-agnostic max-min fairness: every job's chip-time, scaled by
    its weight, is equal (water-filling up to a job's whole time), and spread over the pools it
    may use in proportion to their free chips (what a scheduler blind to chip type does on
    average).

    When jobs may use different sets of pools, the spread may not fit the pools' chips; nor,
    with gangs, in whole gangs. The allocation is then the LP above, with every allowed pool
    counting the same (time shares). Where the spread fits it is an optimum of that LP too (the
    water-filling level is the most any allocation gives, and all chips that can be used are),
    and the one a speed-blind scheduler gives: the LP's own optimum is a whole face there,
    which of its vertices the simplex reaches depends on the order the pools are listed.
    """
    U, K = allowed.shape
    usable: np.ndarray = np.asarray(allowed & (free[None, :] >= 1), dtype=bool)
    if U == 0 or not usable.any():
        return np.zeros((U, K))
    common: np.ndarray = np.asarray(usable.any(axis=0), dtype=bool)
    alike = bool((usable == common[None, :]).all())
    W = float(free[common].sum())
    n, c, w = counts.astype(float), chips.astype(float), weights.astype(float)
    if alike:
        s = _water_fill(n, c, w, W)
        x = s[:, None] * (np.where(common, free, 0.0) / W)[None, :]
    else:  # over the pools each may use; a job with none takes nothing
        runs = usable.any(axis=1)
        s = np.zeros(U)
        s[runs] = _water_fill(n[runs], c[runs], w[runs], W)
        reach = np.where(usable, free[None, :], 0.0)
        total = reach.sum(axis=1, keepdims=True)
        x = s[:, None] * np.divide(reach, total, out=np.zeros_like(reach), where=total > 0)
    uu, kk = np.nonzero(usable)
    rows = RoundRows() if rows is None else rows
    g_rows, g_cols, g_vals, g_hi = rows.gang_rows(usable, uu, kk, counts, chips, free)
    # the spread within each pool's chips (sure when all may use the same pools: the level
    # fills at most the chips there are) and in whole gangs, else solve for it
    fits = alike or bool(((counts * chips) @ x <= free + 1e-9).all())
    if fits and len(g_hi):
        load = np.bincount(g_rows, weights=g_vals * x[uu[g_cols], kk[g_cols]], minlength=len(g_hi))
        fits = not (load > g_hi + 1e-9).any()
    if not fits:
        a = usable.astype(float) * (chips / weights)[:, None]
        return max_min_shares(lp, a, counts, chips, free, context=context, rows=rows)
    return x


def _water_fill(n: np.ndarray, c: np.ndarray, w: np.ndarray, W: float) -> np.ndarray:
    """Time shares s with (c/w) s equal for all unsaturated jobs, s <= 1, sum n c s <= W.

    Examples
    --------
    >>> _water_fill(np.array([1.0, 1.0]), np.array([1.0, 4.0]), np.array([1.0, 1.0]), 2.0)
    array([1.  , 0.25])
    >>> _water_fill(np.array([2.0]), np.array([1.0]), np.array([1.0]), 8.0)
    array([1.])
    """
    if (n * c).sum() <= W:
        return np.ones_like(n)
    theta = c / w  # the level t at which a unit reaches its whole time
    order = np.argsort(theta)
    used = 0.0  # chips taken by saturated units
    slope = float((n * w).sum())  # d(chips)/dt of the unsaturated ones
    t = 0.0
    for u in order:
        # raise t up to theta[u] if capacity allows
        need = used + slope * theta[u]
        if need >= W:
            break
        used += n[u] * c[u]
        slope -= n[u] * w[u]
        t = theta[u]
    else:
        return np.ones_like(n)
    t = (W - used) / slope if slope > 0 else t
    shares: np.ndarray = np.minimum(1.0, t * w / c)
    return shares
