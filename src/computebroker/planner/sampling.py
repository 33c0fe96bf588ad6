"""Demand and delivery scenarios: seeded sampling, antithetic or stratified, and reduction.

Demand of class w in period t (the base path is the *expected* demand):

    log D[w,t,s] = log B[w,t] + sigma_w * W[w,t,s] + g_w * G[w,s] * (t + 1) - var[w,t] / 2

with W a random walk of standard normal shocks correlated across classes with ``correlation``,
G a scenario-wide standard normal growth shock, and var the variance of the two terms (so that
E[D] = B). Delivery: each commitment offer with delivery risk slips with ``slip_prob`` (its first
deliveries ``slip_periods`` late: factor 0 in the slip window) and is partly delivered with
``partial_prob`` (factor ``partial_fraction`` from then on). All randomness comes from a
``numpy.random.Generator`` built from the scenario seed.

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

__all__ = ["ScenarioSet", "reduce_scenarios", "sample_scenarios"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioSet:
    """Scenarios with their probabilities.

    ``demand``: (workload, period, scenario) work per period in each class's unit;
    ``delivery``: (offer, period, scenario) share of a commitment offer's nominal capacity
    delivered (commitment offers only).
    """

    probability: xr.DataArray
    demand: xr.DataArray
    delivery: xr.DataArray
    seed: int
    method: str

    @property
    def count(self) -> int:
        """Number of scenarios."""
        return int(self.probability.sizes["scenario"])


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


def sample_scenarios(
    spec: ScenarioSpec, count: int | None = None, seed: int | None = None
) -> ScenarioSet:
    """Draw demand and delivery scenarios for ``spec`` (explicit demand rows are used as given).

    Examples
    --------
    >>> # see tests/planner/test_sampling.py for the properties checked
    """
    n = count or spec.sampling.count
    s = spec.sampling.seed if seed is None else seed
    rng = np.random.default_rng(s)
    names = [w.name for w in spec.workloads]
    P = spec.horizon.count
    periods = list(spec.horizon.labels)
    base = np.zeros((len(names), P))
    vol = np.zeros(len(names))
    gvol = np.zeros(len(names))
    for c in spec.demand.classes:
        i = names.index(c.workload)
        base[i] = c.base
        vol[i] = c.volatility
        gvol[i] = c.growth_volatility

    if spec.demand.explicit:
        weights = np.array([w for w, _ in spec.demand.explicit], dtype=float)
        n = len(weights)
        demand = np.repeat(base[:, :, None], n, axis=2)
        for j, (_, paths) in enumerate(spec.demand.explicit):
            for name, path in paths.items():
                demand[names.index(name), :, j] = path
        prob = weights / weights.sum()
    else:
        k = len(names)
        rho = spec.demand.correlation
        corr = np.full((k, k), rho) + np.eye(k) * (1 - rho)
        # Nearest valid correlation if rho is below -1/(k-1): clip eigenvalues.
        vals, vecs = np.linalg.eigh(corr)
        chol = vecs @ np.diag(np.sqrt(np.clip(vals, 1e-9, None)))
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
        prob = np.full(n, 1.0 / n)

    commit = [o for o in spec.offers if o.is_commitment]
    delivery = np.ones((len(commit), P, n))
    for i, o in enumerate(commit):
        first = o.available_from + o.lead_periods
        if o.slip_prob > 0 and o.slip_periods > 0:
            slipped = rng.random(n) < o.slip_prob
            lo, hi = max(0, first), min(P, first + o.slip_periods)
            if hi > lo:
                delivery[i, lo:hi, slipped] = 0.0
        if o.partial_prob > 0 and o.partial_fraction < 1:
            partial = rng.random(n) < o.partial_prob
            delivery[i, max(0, first) :, partial] *= o.partial_fraction
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
            coords={"offer": [o.id for o in commit], "period": periods, "scenario": scen},
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
        [(d / scale).reshape(-1, n), ss.delivery.values.reshape(-1, n)]
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
        seed=ss.seed,
        method=f"{ss.method}, reduced from {n}",
    )
