"""Demand and delivery scenarios: seeded sampling, antithetic or stratified, and reduction.

Demand of class w in period t (the base path is the *expected* demand):

    log D[w,t,s] = log B[w,t] + sigma_w * W[w,t,s] + g_w * G[w,s] * (t + 1) - var[w,t] / 2

with W a random walk of standard normal shocks correlated across classes with ``correlation``,
G a scenario-wide standard normal growth shock, and var the variance of the two terms (so that
E[D] = B). Delivery: each commitment offer with delivery risk slips with ``slip_prob``: its new
commitments deliver ``slip_periods`` late, and their terms end as much later; slips share
common factors per vendor and per chip and can move with demand (``ScarcitySpec``). With
``partial_prob`` only ``partial_fraction`` is delivered. Explicit demand rows are crossed with
the delivery outcomes. All randomness comes from a ``numpy.random.Generator`` built from the
scenario seed.

Scenario reduction is fast forward selection (Heitsch and Römisch 2003): greedily keep the
scenarios that minimise the Kantorovich distance to the full set, and move each dropped
scenario's probability to its nearest kept one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.stats import norm

from computebroker.planner.spec import SamplingMethod, ScenarioSpec

__all__ = [
    "ScenarioSet",
    "class_model",
    "reduce_scenarios",
    "sample_scenarios",
    "throughput_multipliers",
]

# z of the two-sided 90% interval: a band is the p90 of |error|, so |log(observed/estimate)|
# <= log(1 + rel) in 90% of held-out runs, i.e. sigma = log(1 + rel) / Z90 for a lognormal.
Z90 = float(norm.ppf(0.95))
THROUGHPUT_STREAM = 0x7452  # separate random stream: the demand and delivery draws stay as they are


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioSet:
    """Scenarios with their probabilities.

    ``demand``: (workload, period, scenario) work per period in each class's unit;
    ``delivery``: (offer, period, scenario) share of a commitment offer's (shifted) capacity
    delivered; ``shift``: (offer, scenario) periods its new commitments deliver late (commitment
    offers only).
    """

    probability: xr.DataArray
    demand: xr.DataArray
    delivery: xr.DataArray
    shift: xr.DataArray
    seed: int
    method: str
    # Where each scenario sits in the seed's original draw (None: 0..count-1 of a draw of
    # ``count``): subsets and reductions keep it, so per-scenario draws made later from the
    # same seed (``throughput_multipliers``) stay with their scenario.
    draw_index: np.ndarray | None = None
    draw_count: int | None = None

    @property
    def count(self) -> int:
        """Number of scenarios."""
        return int(self.probability.sizes["scenario"])

    @property
    def origin(self) -> tuple[np.ndarray, int]:
        """(index of each scenario in its original draw, size of that draw)."""
        if self.draw_index is None:
            return np.arange(self.count), self.count
        return self.draw_index, int(self.draw_count or self.count)

    def origin_of(self, pick: np.ndarray) -> tuple[np.ndarray, int]:
        """(``draw_index``, ``draw_count``) of the subset ``pick`` (indices into this set)."""
        idx, total = self.origin
        return idx[pick], total


def _normals(rng: np.random.Generator, method: SamplingMethod, n: int, dims: int) -> np.ndarray:
    """(n, dims) standard normals drawn by ``method``."""
    if method is SamplingMethod.ANTITHETIC:
        half = rng.standard_normal((-(-n // 2), dims))
        return np.concatenate([half, -half])[:n]
    if method is SamplingMethod.STRATIFIED:
        # Latin hypercube: each dimension's n draws fall one in each of n equal-probability strata.
        u = (np.argsort(rng.random((n, dims)), axis=0) + rng.random((n, dims))) / n
        return np.asarray(norm.ppf(np.clip(u, 1e-12, 1 - 1e-12)))
    return rng.standard_normal((n, dims))


def _demand_model(
    spec: ScenarioSpec, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(demand (W, P, n), probabilities (n,), demand level (n,)) of the lognormal model."""
    P = spec.horizon.count
    base, vol, gvol, chol = class_model(spec)
    k = len(base)
    z = _normals(rng, spec.sampling.method, n, k * P + k)
    shocks = z[:, : k * P].reshape(n, P, k) @ chol.T  # (n, P, k) correlated across classes
    walk = np.cumsum(shocks, axis=1)  # random walk in log demand
    growth = z[:, k * P :] @ chol.T  # (n, k) scenario-wide growth shock
    t1 = np.arange(1, P + 1)
    log_dev = (
        vol[None, None, :] * walk + gvol[None, None, :] * growth[:, None, :] * t1[None, :, None]
    )
    var = vol[None, :] ** 2 * t1[:, None] + (gvol[None, :] * t1[:, None]) ** 2  # (P, k)
    demand = base.T[None, :, :] * np.exp(log_dev - var[None, :, :] / 2)  # (n, P, k)
    demand = np.transpose(demand, (2, 1, 0))  # (k, P, n)
    return demand, np.full(n, 1.0 / n), _level(demand)


def class_model(spec: ScenarioSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The lognormal model's parts, shared by the sampler and the conditional sampler
    (planner/conditional.py): base path (W, P), volatility (W,), growth volatility (W,), and a
    square root ``chol`` (W, W) of the class correlation (``chol @ chol.T``). When
    ``correlation`` is below ``-1 / (W - 1)`` (no such correlation matrix exists) it is a valid
    one near it: eigenvalues clipped at 1e-9, then rescaled to a unit diagonal, so each class
    keeps its own volatility.

    Examples
    --------
    Three classes at -0.9 (below -1/2): the nearest valid correlation is -1/2 between each pair.

    >>> from types import SimpleNamespace
    >>> cls = [SimpleNamespace(workload=w, base=(1.0,), volatility=0.1, growth_volatility=0.0)
    ...        for w in "abc"]
    >>> spec = SimpleNamespace(workloads=[SimpleNamespace(name=w) for w in "abc"],
    ...                        horizon=SimpleNamespace(count=1),
    ...                        demand=SimpleNamespace(classes=cls, correlation=-0.9))
    >>> chol = class_model(spec)[3]
    >>> np.round(chol @ chol.T, 6).tolist()
    [[1.0, -0.5, -0.5], [-0.5, 1.0, -0.5], [-0.5, -0.5, 1.0]]
    """
    base, vol, gvol = _base(spec)
    k = len(base)
    rho = spec.demand.correlation
    corr = np.full((k, k), rho) + np.eye(k) * (1 - rho)
    vals, vecs = np.linalg.eigh(corr)
    chol = vecs @ np.diag(np.sqrt(np.clip(vals, 1e-9, None)))
    if vals.min() < 1e-9:  # clipped: back to a unit diagonal of chol @ chol.T
        chol /= np.sqrt((chol**2).sum(axis=1))[:, None]
    return base, vol, gvol, chol


def _base(spec: ScenarioSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    names = [w.name for w in spec.workloads]
    base = np.zeros((len(names), spec.horizon.count))
    vol = np.zeros(len(names))
    gvol = np.zeros(len(names))
    for c in spec.demand.classes:
        i = names.index(c.workload)
        base[i] = c.base
        vol[i] = c.volatility
        gvol[i] = c.growth_volatility
    return base, vol, gvol


def _level(demand: np.ndarray) -> np.ndarray:
    """(n,) standardised demand level of each scenario: the z-score of its total demand, each
    class in units of its mean (0 when every scenario has the same total)."""
    mean = demand.mean(axis=(1, 2), keepdims=True)
    total = (demand / np.where(mean > 0, mean, 1.0)).sum(axis=(0, 1))
    sd = total.std()
    return np.asarray((total - total.mean()) / sd if sd > 1e-12 else np.zeros_like(total))


def _explicit(spec: ScenarioSpec, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Explicit demand rows: as given (n = rows, probabilities = weights) when no offer has
    delivery risk; otherwise crossed with delivery outcomes: ``n`` scenarios of probability
    1/n, row j assigned to a share ``weight_j`` of them (systematic resampling: scenario i gets
    the row whose cumulative weight first exceeds (i + 1/2) / n)."""
    names = [w.name for w in spec.workloads]
    base, _, _ = _base(spec)
    weights = np.array([w for w, _ in spec.demand.explicit], dtype=float)
    rows = np.repeat(base[:, :, None], len(weights), axis=2)
    for j, (_, paths) in enumerate(spec.demand.explicit):
        for name, path in paths.items():
            rows[names.index(name), :, j] = path
    if not any(o.slip_prob > 0 or o.partial_prob > 0 for o in spec.offers if o.is_commitment):
        return rows, weights / weights.sum(), _level(rows)
    cum = np.cumsum(weights / weights.sum())
    pick = np.minimum(np.searchsorted(cum, (np.arange(n) + 0.5) / n), len(weights) - 1)
    return rows[:, :, pick], np.full(n, 1.0 / n), _level(rows[:, :, pick])


def _delivery(
    spec: ScenarioSpec, rng: np.random.Generator, n: int, level: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(share delivered (C, P, n), periods late (C, n)) of the commitment offers.

    Slips by the Gaussian copula of ``ScarcitySpec`` (common factors per vendor and per chip,
    and the demand level): a slipped offer's new commitments deliver ``slip_periods`` late and
    their terms end as much later. A partial delivery (``partial_prob``, independent) delivers
    ``partial_fraction`` of the capacity throughout.
    """
    commit = [o for o in spec.offers if o.is_commitment]
    P = spec.horizon.count
    sc = spec.scarcity
    vendors = sorted({o.provider for o in commit})
    chips = sorted({o.accelerator for o in commit})
    v_f = rng.standard_normal((len(vendors), n))
    c_f = rng.standard_normal((len(chips), n))
    idio = np.sqrt(max(0.0, 1.0 - sc.vendor - sc.chip - sc.demand))
    delivery = np.ones((len(commit), P, n))
    shift = np.zeros((len(commit), n), dtype=int)
    for i, o in enumerate(commit):
        e = rng.standard_normal(n)
        if o.slip_prob > 0 and o.slip_periods > 0:
            z = (
                np.sqrt(sc.vendor) * v_f[vendors.index(o.provider)]
                + np.sqrt(sc.chip) * c_f[chips.index(o.accelerator)]
                - np.sqrt(sc.demand) * level
                + idio * e
            )
            shift[i, norm.cdf(z) < o.slip_prob] = o.slip_periods
        if o.partial_prob > 0 and o.partial_fraction < 1:
            delivery[i, :, rng.random(n) < o.partial_prob] = o.partial_fraction
    return delivery, shift


def sample_scenarios(
    spec: ScenarioSpec, count: int | None = None, seed: int | None = None
) -> ScenarioSet:
    """Draw demand and delivery scenarios for ``spec`` (explicit demand rows are crossed with
    the delivery outcomes, see ``_explicit``).

    Examples
    --------
    >>> # see tests/planner/test_sampling.py for the properties checked
    """
    n = count or spec.sampling.count
    s = spec.sampling.seed if seed is None else seed
    rng = np.random.default_rng(s)
    names = [w.name for w in spec.workloads]
    periods = list(spec.horizon.labels)
    if spec.demand.explicit:
        demand, prob, level = _explicit(spec, n)
    else:
        demand, prob, level = _demand_model(spec, rng, n)
    n = len(prob)
    delivery, shift = _delivery(spec, rng, n, level)
    commit = [o.id for o in spec.offers if o.is_commitment]
    scen = np.arange(n)
    return ScenarioSet(
        probability=xr.DataArray(prob, dims=("scenario",), coords={"scenario": scen}),
        demand=xr.DataArray(
            demand,
            dims=("workload", "period", "scenario"),
            coords={"workload": names, "period": periods, "scenario": scen},
        ),
        delivery=xr.DataArray(
            delivery,
            dims=("offer", "period", "scenario"),
            coords={"offer": commit, "period": periods, "scenario": scen},
        ),
        shift=xr.DataArray(
            shift, dims=("offer", "scenario"), coords={"offer": commit, "scenario": scen}
        ),
        seed=s,
        method="explicit" if spec.demand.explicit else spec.sampling.method.value,
    )


def reduce_scenarios(ss: ScenarioSet, keep: int) -> ScenarioSet:
    """Fast forward selection down to ``keep`` scenarios (probabilities redistributed)."""
    n = ss.count
    if keep >= n:
        return ss
    # Features: demand normalised per class, and delivery shares.
    d = ss.demand.values
    scale = d.mean(axis=(1, 2), keepdims=True)
    scale[scale == 0] = 1.0
    feats = np.concatenate(
        [(d / scale).reshape(-1, n), ss.delivery.values.reshape(-1, n), ss.shift.values]
    ).T  # (n, f)
    sq = (feats**2).sum(axis=1)
    dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * feats @ feats.T, 0.0))
    p = ss.probability.values
    selected: list[int] = []
    current = np.full(n, np.inf)  # distance of each scenario to the kept set
    remaining = np.ones(n, dtype=bool)
    for _ in range(keep):
        # cost of adding candidate c: sum_i p_i min(current_i, dist[i, c]) over i not yet kept
        cand = np.where(remaining)[0]
        costs = (p[:, None] * np.minimum(current[:, None], dist[:, cand])).sum(axis=0)
        c = int(cand[np.argmin(costs)])
        selected.append(c)
        remaining[c] = False
        current = np.minimum(current, dist[:, c])
    sel = np.array(sorted(selected))
    nearest = sel[np.argmin(dist[:, sel], axis=1)]
    prob = np.array([p[nearest == j].sum() for j in sel])
    pick = {"scenario": sel}
    return ScenarioSet(
        probability=xr.DataArray(
            prob, dims=("scenario",), coords={"scenario": np.arange(len(sel))}
        ),
        demand=ss.demand.isel(pick).assign_coords(scenario=np.arange(len(sel))),
        delivery=ss.delivery.isel(pick).assign_coords(scenario=np.arange(len(sel))),
        shift=ss.shift.isel(pick).assign_coords(scenario=np.arange(len(sel))),
        seed=ss.seed,
        method=f"{ss.method}, reduced from {n}",
        draw_index=ss.origin_of(sel)[0],
        draw_count=ss.origin_of(sel)[1],
    )


def throughput_multipliers(
    band: np.ndarray,
    family: list[str],
    n: int,
    *,
    seed: int,
    method: SamplingMethod = SamplingMethod.ANTITHETIC,
    correlation: float = 0.5,
) -> np.ndarray:
    """(W, A, n) factor on the work per chip-hour of each class on each chip, per scenario.

    ``band`` (W, A): the estimate's out-of-sample band (``band_rel``: the p90 of |error|; NaN or
    0 for none, e.g. a user-given throughput); ``family`` (A,): each chip's family (its vendor).
    Form: ``m[w,a,s] = exp(sigma[w,a] X[a,s] - sigma[w,a]^2 / 2)`` with
    ``sigma = log(1 + band) / Z90`` and ``X[a,s] = sqrt(rho) F[family(a),s] + sqrt(1 - rho) E[a,s]``
    (F, E independent standard normals), so E[m] = 1 (the estimate is the expected throughput),
    90% of log-draws lie within log(1 + band) of their mean, one draw per chip moves all its
    classes together (pools of one chip in several regions share it), and two
    chips of one family have latent correlation ``correlation`` (the LOPO residuals share a
    vendor-level bias: data/uncertainty.csv ``bias`` per vendor). A zero band gives exactly 1.
    Drawn from its own stream of ``seed``, so the demand and delivery draws are unchanged.
    """
    A = band.shape[1]
    sigma = np.log1p(np.nan_to_num(np.asarray(band, dtype=float), nan=0.0)) / Z90
    fams = sorted(set(family))
    rng = np.random.default_rng([seed, THROUGHPUT_STREAM])
    z = _normals(rng, method, n, len(fams) + A)  # (n, F + A)
    f_idx = np.array([fams.index(f) for f in family], dtype=int)
    x = np.sqrt(correlation) * z[:, f_idx] + np.sqrt(1.0 - correlation) * z[:, len(fams) :]
    out = np.exp(sigma[:, :, None] * x.T[None, :, :] - sigma[:, :, None] ** 2 / 2)
    return np.asarray(np.where(sigma[:, :, None] > 0, out, 1.0), dtype=float)
