"""The planning problem as scaled arrays: what ``build.py`` (extensive form) and the
decomposition read.

Units (chosen so the solver does not fight the numbers): chips in **thousands** (kchips),
money in **millions of USD**, work in each class's **mean base demand per period** (so demand is
~1). Derived coefficients:

* ``c[o]`` — $M per kchip-period = price_chip_hour x hours_per_period x 1000 / 1e6;
* delivery: new commitments deliver the sampled share ``d[o,t,s]`` of their capacity; the
  commitments listed in ``policy.existing`` are already delivered and never slip;
* ``R[o, start, t]`` — usable share at period ``t`` of a commitment starting at ``start``:
  0 before ``start + lead``, the ramp afterwards, 1 past the ramp, 0 from ``start + term``;
* ``post[o, start]`` — paid periods past the horizon of a commitment starting at ``start``,
  charged at (1 - salvage) of the price (a contract is an obligation to its end: a planner that
  treats post-horizon years as free would pick only the longest contracts);
* ``T[w, p]`` — work per kchip-period of class ``w`` on pool ``p`` (from the throughput matrix);
* ``penalty[w]`` — $M per unit of unmet work (a multiple of buying that work on demand).
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from computebroker.catalog import Catalog, ContractKind
from computebroker.errors import InputError
from computebroker.planner.sampling import ScenarioSet
from computebroker.planner.spec import ScenarioSpec, ShareBasis

__all__ = ["KCHIPS", "MUSD", "PlanProblem", "build_problem"]

KCHIPS = 1000.0
MUSD = 1e6


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanProblem:
    """Everything the optimisation needs, as labelled arrays in scaled units."""

    spec: ScenarioSpec
    periods: tuple[str, ...]
    hours: float
    # commitment offers (first stage)
    commit: tuple[str, ...]
    commit_provider: tuple[str, ...]
    commit_pool: tuple[int, ...]
    c_commit: np.ndarray  # (C,) $M per kchip-period
    R: np.ndarray  # (C, start, period) usable share
    post: np.ndarray  # (C, start) paid periods past the horizon
    x_lb: np.ndarray  # (C, start) kchips already signed (fixed lower bounds)
    x_delivered: np.ndarray  # (C, start) kchips of policy.existing: delivered, never slip
    x_ub: np.ndarray  # (C, start) availability (0 outside the window, inf inside)
    x_fixed: np.ndarray  # (C, start) bool: decided before the as-of period
    active_max: np.ndarray  # (C,) kchips usable at most per period (inf: no cap)
    block: np.ndarray  # (C,) kchips per block
    min_start: np.ndarray  # (C,) kchips minimum per signed start (MILP)
    share_weight: np.ndarray  # (C,) $M or PFLOP/s per kchip-period for vendor shares
    # recourse offers (second stage, per scenario)
    recourse: tuple[str, ...]
    recourse_provider: tuple[str, ...]
    recourse_pool: tuple[int, ...]
    c_recourse: np.ndarray  # (Rr,) $M per kchip-period
    cap_recourse: np.ndarray  # (Rr, period) kchips available
    usable_recourse: np.ndarray  # (Rr,) share usable (spot preemption)
    # pools and workloads
    pools: tuple[str, ...]
    pool_accelerator: tuple[str, ...]
    workloads: tuple[str, ...]
    units: tuple[str, ...]
    scale: np.ndarray  # (W,) work units per normalised unit
    T: np.ndarray  # (W, pool) normalised work per kchip-period (0: not allowed)
    penalty: np.ndarray  # (W,) $M per normalised unit unmet
    # scenarios
    prob: np.ndarray  # (S,)
    D: np.ndarray  # (W, period, S) normalised demand
    d: np.ndarray  # (C, period, S) delivered share of new commitments

    @property
    def k_delivered(self) -> np.ndarray:
        """(C, period) usable kchips of the already-delivered commitments."""
        if not len(self.commit):
            return np.zeros((0, self.n_periods))
        return np.asarray(np.einsum("oij,oi->oj", self.R, self.x_delivered), dtype=float)

    def delivered(self, k: np.ndarray) -> np.ndarray:
        """(C, period, S) usable kchips delivered from nominal usable ``k`` (C, period)."""
        kd = self.k_delivered
        return np.asarray(kd[:, :, None] + (k - kd)[:, :, None] * self.d, dtype=float)

    # policy
    salvage: float
    matrix: xr.Dataset

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return len(self.periods)

    @property
    def n_scenarios(self) -> int:
        """Number of scenarios."""
        return len(self.prob)

    @property
    def providers(self) -> tuple[str, ...]:
        """Vendors offering commitments, sorted."""
        return tuple(sorted(set(self.commit_provider)))


def _ramp_row(o_start: int, lead: int, ramp: tuple[float, ...], term: int, P: int) -> np.ndarray:
    row = np.zeros(P)
    for t in range(P):
        k = t - o_start - lead
        if t - o_start >= term or k < 0:
            continue
        row[t] = ramp[k] if k < len(ramp) else 1.0
    return row


def build_problem(
    spec: ScenarioSpec,
    matrix: xr.Dataset,
    scenarios: ScenarioSet,
    catalog: Catalog,
    *,
    as_of: int | None = None,
    signed: dict[tuple[str, int], float] | None = None,
) -> PlanProblem:
    """Scale and index a scenario for optimisation.

    ``as_of``: commitments starting before this period are fixed to ``signed`` (offer, start)
    -> chips (rolling re-planning); later starts stay free.
    """
    P = spec.horizon.count
    H = spec.horizon.hours_per_period
    labels = spec.horizon.labels
    commit = [o for o in spec.offers if o.is_commitment]
    rec = [o for o in spec.offers if not o.is_commitment]

    # pools: accelerator x region as offered
    pool_keys: list[tuple[str, str]] = []
    for o in spec.offers:
        if (o.accelerator, o.region) not in pool_keys:
            pool_keys.append((o.accelerator, o.region))
    pools = [f"{a}@{r}" for a, r in pool_keys]

    def pool_of(o_acc: str, o_region: str) -> int:
        return pool_keys.index((o_acc, o_region))

    # work per chip-hour -> normalised work per kchip-period
    names = [w.name for w in spec.workloads]
    units = []
    scale = np.ones(len(names))
    for c in spec.demand.classes:
        m = float(np.mean(c.base))
        scale[names.index(c.workload)] = m if m > 0 else 1.0
    if spec.demand.explicit and not spec.demand.classes:
        means = scenarios.demand.mean(dim=("period", "scenario")).values
        scale = np.where(means > 0, means, 1.0)
    T = np.zeros((len(names), len(pools)))
    for wi, w in enumerate(spec.workloads):
        units.append(
            str(matrix.unit.sel(workload=w.name).item())
            if w.name in matrix.workload.values
            else "work"
        )
        allowed = spec.policy.regions.get(w.name)
        for pi, (acc, region) in enumerate(pool_keys):
            if (
                allowed is not None
                and region != "any"
                and not any(fnmatch.fnmatchcase(region, p) for p in allowed)
            ):
                continue
            if acc not in matrix.accelerator.values or w.name not in matrix.workload.values:
                continue
            per_chip_hour = float(matrix.work_per_chip_hour.sel(workload=w.name, accelerator=acc))
            if math.isnan(per_chip_hour) or per_chip_hour <= 0:
                continue
            T[wi, pi] = per_chip_hour * H * KCHIPS / scale[wi]
    for wi, wname in enumerate(names):
        if not T[wi].any():
            raise InputError.single(
                spec.source,
                f"no offer can run workload {wname!r}: every offered accelerator is either outside its "
                "allowed regions or cannot run it (see `estimate matrix`)",
                field=f"workloads.{wname}",
            )

    c_commit = np.array([o.price_chip_hour * H * KCHIPS / MUSD for o in commit])
    c_rec = np.array([o.price_chip_hour * H * KCHIPS / MUSD for o in rec])
    R = np.zeros((len(commit), P, P))
    post = np.zeros((len(commit), P))
    x_ub = np.zeros((len(commit), P))
    for i, o in enumerate(commit):
        last = P - 1 if o.available_until is None else min(P - 1, o.available_until)
        for st in range(P):
            R[i, st] = _ramp_row(st, o.lead_periods, o.ramp, o.term_periods, P)
            post[i, st] = max(0, st + o.term_periods - P)
            if o.available_from <= st <= last:
                x_ub[i, st] = np.inf
    x_lb = np.zeros_like(x_ub)
    ids = [o.id for o in commit]
    for ex in spec.policy.existing:
        if 0 <= ex.start < P:
            i = ids.index(ex.offer)
            x_lb[i, ex.start] += ex.chips / KCHIPS
            x_ub[i, ex.start] = max(x_ub[i, ex.start], x_lb[i, ex.start])
    x_delivered = x_lb.copy()
    x_fixed = np.zeros_like(x_ub, dtype=bool)
    if as_of is not None:
        for i, o in enumerate(commit):
            for st in range(min(max(as_of, 0), P)):
                v = (signed or {}).get((o.id, st), 0.0) / KCHIPS
                v = max(v, x_lb[i, st])
                x_lb[i, st] = v
                x_ub[i, st] = v
                x_fixed[i, st] = True
    pflops = []
    for o in commit:
        chip = catalog.accelerator(o.accelerator)
        pflops.append((chip.bf16_tflops or 0.0) / 1000.0 * KCHIPS)
    share_weight = c_commit if spec.policy.share_basis is ShareBasis.SPEND else np.array(pflops)
    cap_rec = np.zeros((len(rec), P))
    for i, o in enumerate(rec):
        last = P - 1 if o.available_until is None else min(P - 1, o.available_until)
        cap_rec[i, o.available_from : last + 1] = o.max_chips / KCHIPS

    # penalty per normalised unit: a multiple of the cheapest on-demand way to do that work
    penalty = np.zeros(len(names))
    od = [(i, o) for i, o in enumerate(rec) if o.contract is ContractKind.ON_DEMAND]
    for wi, wname in enumerate(names):
        if wname in spec.policy.penalty_usd_per_unit:
            penalty[wi] = spec.policy.penalty_usd_per_unit[wname] * scale[wi] / MUSD
            continue
        candidates = [
            c_rec[i] / (o.usable_fraction * T[wi, pool_of(o.accelerator, o.region)])
            for i, o in od
            if T[wi, pool_of(o.accelerator, o.region)] > 0
        ] or [
            c_commit[i] / T[wi, pool_of(o.accelerator, o.region)]
            for i, o in enumerate(commit)
            if T[wi, pool_of(o.accelerator, o.region)] > 0
        ]
        multiple = spec.policy.penalty_multiple or 3.0
        penalty[wi] = multiple * min(candidates)

    D = scenarios.demand.sel(workload=names).values / scale[:, None, None]
    d = scenarios.delivery.sel(offer=ids).values if commit else np.zeros((0, P, scenarios.count))
    return PlanProblem(
        spec=spec,
        periods=labels,
        hours=H,
        commit=tuple(ids),
        commit_provider=tuple(o.provider for o in commit),
        commit_pool=tuple(pool_of(o.accelerator, o.region) for o in commit),
        c_commit=c_commit,
        R=R,
        post=post,
        x_lb=x_lb,
        x_delivered=x_delivered,
        x_ub=x_ub,
        x_fixed=x_fixed,
        active_max=np.array([o.max_chips / KCHIPS for o in commit]),
        block=np.array([o.block_chips / KCHIPS for o in commit]),
        min_start=np.array([o.min_chips / KCHIPS for o in commit]),
        share_weight=share_weight,
        recourse=tuple(o.id for o in rec),
        recourse_provider=tuple(o.provider for o in rec),
        recourse_pool=tuple(pool_of(o.accelerator, o.region) for o in rec),
        c_recourse=c_rec,
        cap_recourse=cap_rec,
        usable_recourse=np.array([o.usable_fraction for o in rec]),
        pools=tuple(pools),
        pool_accelerator=tuple(a for a, _ in pool_keys),
        workloads=tuple(names),
        units=tuple(units),
        scale=scale,
        T=T,
        penalty=penalty,
        prob=scenarios.probability.values,
        D=D,
        d=d,
        salvage=spec.policy.salvage_fraction,
        matrix=matrix,
    )
