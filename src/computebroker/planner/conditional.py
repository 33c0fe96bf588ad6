"""Scenarios conditioned on what has been observed: the future of the same demand and delivery
models (``sampling.py``) given the demand and deliveries of the first ``n`` periods.

Demand (lognormal, the model of ``sampling.py``): with ``L[w,t] = log(D[w,t] / B[w,t]) +
var[w,t] / 2`` the log deviation from the base path, the per-period increments are

    L[w,t] - L[w,t-1] = sigma_w * eps[w,t] + g_w * G_w          (L[w,-1] = 0)

with ``eps[., t]`` standard normals correlated across classes (correlation ``C``) and the growth
shock ``G ~ N(0, C)`` shared by every period. Observing ``L`` for ``t < n`` reveals the
increments; they are jointly Gaussian with ``G``, so ``G | observed`` is Gaussian and computed
exactly (``_growth_posterior``). The future then continues from the observed state:
``L[w,t] = L[w,n-1] + sigma_w * (eps[w,n] + ... + eps[w,t]) + g_w * G_w * (t - n + 1)`` with
fresh shocks and ``G`` drawn from its posterior. Explicit demand rows: the future is one of the
rows that agree with the observed periods, with their weights renormalised.

Deliveries: an offer's slip (its first deliveries late) and partial delivery are drawn once per
scenario. Once the first period of the slip window has been observed the slip is known (a zero
share); once a period after it has been observed the partial delivery is known (a share below
one). Unknown events are drawn with their prior probabilities (they are independent of the
observed demand). Observed periods are copied into every scenario as they were.

All randomness comes from the ``numpy.random.Generator`` passed in. An empty history gives
draws from the unconditional model (the true paths of ``rolling.evaluate_policies``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from computebroker.planner.sampling import ScenarioSet
from computebroker.planner.spec import OfferSpec, ScenarioSpec

__all__ = ["History", "sample_conditional", "sample_paths"]

_TOL = 1e-9


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """What has been observed in the first ``observed`` periods.

    ``demand``: (workload, observed) work per period in each class's unit, classes in the
    order of ``spec.workloads``; ``delivery``: (commitment offer, observed) delivered share, in
    the order of the spec's commitment offers.
    """

    demand: np.ndarray
    delivery: np.ndarray

    @property
    def observed(self) -> int:
        """Number of periods observed."""
        return int(self.demand.shape[1])

    @staticmethod
    def empty(spec: ScenarioSpec) -> History:
        """Nothing observed yet."""
        commit = sum(1 for o in spec.offers if o.is_commitment)
        return History(demand=np.zeros((len(spec.workloads), 0)), delivery=np.zeros((commit, 0)))


def _model(spec: ScenarioSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Base path (W, P), volatility (W,), growth volatility (W,) and the class correlation."""
    names = [w.name for w in spec.workloads]
    base = np.zeros((len(names), spec.horizon.count))
    vol = np.zeros(len(names))
    gvol = np.zeros(len(names))
    for c in spec.demand.classes:
        i = names.index(c.workload)
        base[i], vol[i], gvol[i] = c.base, c.volatility, c.growth_volatility
    k = len(names)
    rho = spec.demand.correlation
    corr = np.full((k, k), rho) + np.eye(k) * (1 - rho)
    # the valid correlation nearest to it, as sampling.py does (eigenvalues clipped)
    vals, vecs = np.linalg.eigh(corr)
    chol = vecs @ np.diag(np.sqrt(np.clip(vals, 1e-9, None)))
    return base, vol, gvol, chol


def _sqrt_psd(cov: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    return np.asarray(vecs @ np.diag(np.sqrt(np.clip(vals, 0.0, None))), dtype=float)


def _growth_posterior(
    incr: np.ndarray, vol: np.ndarray, gvol: np.ndarray, corr: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean (W,) and covariance (W, W) of the growth shock G given increments ``incr`` (W, n).

    ``incr[:, t] = vol * eps[:, t] + gvol * G`` with ``eps[:, t] ~ N(0, corr)`` independent over
    t and ``G ~ N(0, corr)``: Gaussian conditioning, ``K = cov(G, y) cov(y)^+``.
    """
    n = incr.shape[1]
    if n == 0:
        return np.zeros(len(vol)), corr
    s, g = np.diag(vol), np.diag(gvol)
    cov_yy = np.kron(np.eye(n), s @ corr @ s) + np.kron(np.ones((n, n)), g @ corr @ g)
    cov_gy = np.kron(np.ones((1, n)), corr @ g)
    gain = cov_gy @ np.linalg.pinv(cov_yy, rcond=1e-10, hermitian=True)
    y = incr.T.reshape(-1)  # index t * W + w, matching the Kronecker order
    return gain @ y, corr - gain @ cov_gy.T


def _normals(rng: np.random.Generator, n: int, dims: int) -> np.ndarray:
    """(n, dims) standard normals in antithetic pairs (z, -z)."""
    half = rng.standard_normal((-(-n // 2), dims))
    return np.concatenate([half, -half])[:n]


def _lognormal_demand(
    spec: ScenarioSpec, history: History, n: int, rng: np.random.Generator
) -> np.ndarray:
    """(W, P, n) demand: the observed periods as they were, the rest drawn given them."""
    base, vol, gvol, chol = _model(spec)
    corr = chol @ chol.T
    k, P = base.shape
    m = history.observed
    t1 = np.arange(1, P + 1)
    var = vol[:, None] ** 2 * t1[None, :] + (gvol[:, None] * t1[None, :]) ** 2  # (W, P)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(base[:, :m] > 0, history.demand / base[:, :m], 1.0)
    level = np.log(np.clip(ratio, 1e-300, None)) + var[:, :m] / 2  # (W, m) observed L
    incr = np.diff(np.concatenate([np.zeros((k, 1)), level], axis=1), axis=1)
    mean, cov = _growth_posterior(incr, vol, gvol, corr)
    z = _normals(rng, n, k * (P - m) + k)
    shocks = z[:, : k * (P - m)].reshape(n, P - m, k) @ chol.T  # (n, P - m, W)
    growth = mean[None, :] + z[:, k * (P - m) :] @ _sqrt_psd(cov).T  # (n, W)
    start = level[:, -1] if m else np.zeros(k)
    steps = np.arange(1, P - m + 1)
    future = (
        start[None, None, :]
        + vol[None, None, :] * np.cumsum(shocks, axis=1)
        + gvol[None, None, :] * growth[:, None, :] * steps[None, :, None]
    )  # (n, P - m, W)
    demand = np.empty((k, P, n))
    demand[:, :m, :] = history.demand[:, :, None]
    demand[:, m:, :] = np.transpose(base[:, m:].T[None] * np.exp(future - var[:, m:].T[None] / 2))
    return demand


def _explicit_demand(
    spec: ScenarioSpec, history: History, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(W, P, S) rows that agree with the history, each repeated ``max(1, n // rows)`` times
    (independent deliveries per copy), and their probabilities."""
    base, _, _, _ = _model(spec)
    names = [w.name for w in spec.workloads]
    rows, weights = [], []
    for weight, paths in spec.demand.explicit:
        row = base.copy()
        for name, path in paths.items():
            row[names.index(name)] = path
        m = history.observed
        if np.allclose(row[:, :m], history.demand, rtol=1e-9, atol=0.0):
            rows.append(row)
            weights.append(weight)
    if not rows:
        raise ValueError("the observed demand matches none of the scenario's explicit rows")
    reps = max(1, n // len(rows))
    demand = np.repeat(np.stack(rows, axis=2), reps, axis=2)
    prob = np.repeat(np.array(weights, dtype=float) / (sum(weights) * reps), reps)
    del rng  # the rows are exact; the copies differ only in their deliveries
    return demand, prob


def _offer_delivery(
    o: OfferSpec, observed: np.ndarray, P: int, n: int, rng: np.random.Generator
) -> np.ndarray:
    """(P, n) delivered share of offer ``o`` given its first observed shares."""
    m = len(observed)
    out = np.ones((P, n))
    first = max(0, o.available_from + o.lead_periods)
    lo, hi = first, min(P, first + o.slip_periods)
    slipped = np.zeros(n, dtype=bool)
    if o.slip_prob > 0 and o.slip_periods > 0 and hi > lo:
        if m > lo:  # the first delivery has been seen: the slip is known
            slipped[:] = observed[lo] <= _TOL
        else:
            slipped = rng.random(n) < o.slip_prob
        out[lo:hi, slipped] = 0.0
    if o.partial_prob > 0 and o.partial_fraction < 1:
        seen = [t for t in range(first, m) if observed[t] > _TOL]
        if seen:  # a delivered period shows whether the delivery is partial
            partial = np.full(n, observed[seen[0]] < 1 - _TOL)
        else:
            partial = rng.random(n) < o.partial_prob
        out[first:, partial] *= o.partial_fraction
    out[:m] = observed[:, None]
    return out


def sample_conditional(
    spec: ScenarioSpec, history: History, count: int, rng: np.random.Generator
) -> ScenarioSet:
    """``count`` scenarios of demand and deliveries given ``history`` (see the module docstring).

    Examples
    --------
    >>> # tests/planner/test_rolling_conditional.py checks the conditioning by hand
    """
    P = spec.horizon.count
    if spec.demand.explicit:
        demand, prob = _explicit_demand(spec, history, count, rng)
    else:
        demand = _lognormal_demand(spec, history, count, rng)
        prob = np.full(count, 1.0 / count)
    n = demand.shape[2]
    commit = [o for o in spec.offers if o.is_commitment]
    delivery = np.ones((len(commit), P, n))
    for i, o in enumerate(commit):
        delivery[i] = _offer_delivery(o, history.delivery[i], P, n, rng)
    scen = np.arange(n)
    periods = list(spec.horizon.labels)
    return ScenarioSet(
        probability=xr.DataArray(prob, dims=("scenario",), coords={"scenario": scen}),
        demand=xr.DataArray(
            demand,
            dims=("workload", "period", "scenario"),
            coords={
                "workload": [w.name for w in spec.workloads],
                "period": periods,
                "scenario": scen,
            },
        ),
        delivery=xr.DataArray(
            delivery,
            dims=("offer", "period", "scenario"),
            coords={"offer": [o.id for o in commit], "period": periods, "scenario": scen},
        ),
        seed=-1,  # drawn from a caller's generator, not from a seed of the spec
        method=f"conditional on {history.observed} observed periods",
    )


def _systematic(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` row indices by systematic sampling: row shares within 1/n of the weights."""
    cum = np.cumsum(weights) / weights.sum()
    points = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(cum, points, side="right"), len(weights) - 1)


def sample_paths(spec: ScenarioSpec, count: int, rng: np.random.Generator) -> ScenarioSet:
    """``count`` true paths of demand and deliveries from the unconditional model, each of
    probability 1/count (explicit demand rows chosen by systematic sampling on their weights,
    so that an even count meets two equal-weight rows exactly half the time each)."""
    draws = sample_conditional(spec, History.empty(spec), count, rng)
    if not spec.demand.explicit:
        return draws
    pick = _systematic(draws.probability.values, count, rng)
    scen = np.arange(count)
    return ScenarioSet(
        probability=xr.DataArray(
            np.full(count, 1.0 / count), dims=("scenario",), coords={"scenario": scen}
        ),
        demand=draws.demand.isel(scenario=pick).assign_coords(scenario=scen),
        delivery=draws.delivery.isel(scenario=pick).assign_coords(scenario=scen),
        seed=-1,
        method="paths (explicit rows, systematic)",
    )
