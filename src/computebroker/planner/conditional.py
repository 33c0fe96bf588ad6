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

Deliveries: the slip model of ``sampling.py`` (``_delivery``): an offer's slip shifts the
delivery and the term of its new commitments by ``slip_periods``; slips share common factors per
vendor and per chip and move with the demand level; a partial delivery delivers
``partial_fraction`` of the (shifted) capacity throughout. An offer's slip is known once the
period its first commitment would deliver on time (``available_from + lead``) has been
observed (whether anything arrived reveals the true path's ``History.shift``: a slip is
always ``slip_periods``); its partial delivery
once its first (shifted) delivery period has been observed (the share seen then). Every event
not yet visible is drawn by ``sampling._delivery`` itself, on the conditioned demand's level, so
it keeps its prior odds and its correlation with the other unseen events and with demand.
**Approximation**: the common vendor/chip factors are treated as independent of what was
observed: an observed slip does not raise the odds of an unseen slip of the same vendor or chip
(exact conditioning would need the factors' posterior given binary events), and an unseen
slip's link to demand is to the conditioned future's level relative to the other conditioned
scenarios (its prior odds), not to the observed history's level.

All randomness comes from the ``numpy.random.Generator`` passed in. An empty history gives
draws from the unconditional model (the true paths of ``policy_eval.evaluate_policies``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from computebroker.planner.sampling import ScenarioSet, _delivery, _level, class_model
from computebroker.planner.spec import ScenarioSpec

__all__ = ["History", "sample_conditional", "sample_paths"]


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """What has been observed in the first ``observed`` periods.

    ``demand``: (workload, observed) work per period in each class's unit, classes in the
    order of ``spec.workloads``; ``delivery``: (commitment offer, observed) delivered share of
    the (shifted) capacity, in the order of the spec's commitment offers; ``shift``: (commitment
    offer,) periods late of each offer's new commitments on the true path, read only for the
    offers whose slip is visible (see the module docstring).
    """

    demand: np.ndarray
    delivery: np.ndarray
    shift: np.ndarray

    @property
    def observed(self) -> int:
        """Number of periods observed."""
        return int(self.demand.shape[1])

    @staticmethod
    def empty(spec: ScenarioSpec) -> History:
        """Nothing observed yet."""
        commit = sum(1 for o in spec.offers if o.is_commitment)
        return History(
            demand=np.zeros((len(spec.workloads), 0)),
            delivery=np.zeros((commit, 0)),
            shift=np.zeros(commit, dtype=int),
        )


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
    base, vol, gvol, chol = class_model(spec)
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
    base = class_model(spec)[0]
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


def _deliveries(
    spec: ScenarioSpec, history: History, demand: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(share delivered (C, P, n), periods late (C, n)): ``sampling._delivery`` on the
    conditioned demand, with the slips and partial deliveries already visible set as observed."""
    delivery, shift = _delivery(spec, rng, demand.shape[2], _level(demand))
    m = history.observed
    for i, o in enumerate(o for o in spec.offers if o.is_commitment):
        first = max(0, o.available_from + o.lead_periods)  # first delivery, on time
        if m <= first:
            continue  # nothing due yet: the slip is unseen, drawn with its prior odds
        late = int(history.shift[i]) if o.slip_prob > 0 and o.slip_periods > 0 else 0
        shift[i] = late  # the true path's slip, now visible
        arrived = first + late  # first period its capacity arrives
        if o.partial_prob > 0 and m > arrived:
            delivery[i] = history.delivery[i, arrived]
    return delivery, shift


def sample_conditional(
    spec: ScenarioSpec, history: History, count: int, rng: np.random.Generator
) -> ScenarioSet:
    """``count`` scenarios of demand and deliveries given ``history`` (see the module docstring).

    Examples
    --------
    >>> # tests/planner/test_rolling_conditional.py checks the conditioning by hand
    """
    if spec.demand.explicit:
        demand, prob = _explicit_demand(spec, history, count, rng)
    else:
        demand = _lognormal_demand(spec, history, count, rng)
        prob = np.full(count, 1.0 / count)
    n = demand.shape[2]
    commit = [o.id for o in spec.offers if o.is_commitment]
    delivery, shift = _deliveries(spec, history, demand, rng)
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
            coords={"offer": commit, "period": periods, "scenario": scen},
        ),
        shift=xr.DataArray(
            shift, dims=("offer", "scenario"), coords={"offer": commit, "scenario": scen}
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
        shift=draws.shift.isel(scenario=pick).assign_coords(scenario=scen),
        seed=-1,
        method="paths (explicit rows, systematic)",
    )
