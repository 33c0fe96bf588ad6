"""The planning problem as scaled arrays: what ``build.py`` (extensive form) and the
decomposition read.

Units (chosen so the solver does not fight the numbers): chips in **thousands** (kchips),
money in **millions of USD**, work in each class's **mean base demand per period** (so demand is
~1). Derived coefficients:

* ``c[o]`` — $M per kchip-period = price_chip_hour x hours_per_period x 1000 / 1e6;
* delivery: new commitments deliver the sampled share ``d[o,t,s]`` of their capacity; the
  commitments listed in ``policy.existing`` are already delivered and never slip;
* ``R[o, start, t]`` — usable share at period ``t`` of a commitment signed at ``start``:
  0 before ``start + lead`` (first usable capacity), the ramp afterwards, 1 past the ramp, and
  0 from ``start + lead + term``: **the term runs from delivery**, not from signing;
* ``Rext`` — the same profile on the horizon extended by ``MAX_POST_PERIODS`` periods;
* ``post[o, start]`` — usable (ramp-weighted) periods of the term past the horizon, charged at
  (1 - salvage) of the price (a contract is an obligation to its end: a planner that treats
  post-horizon years as free would pick only the longest contracts);
* ``disc[t] = (1 + r) ** (-t / periods_per_year)`` — present value of a dollar paid at the start
  of period ``t`` (``policy.discount_rate`` r); every cash flow and obligation is discounted;
* ``shift[o, s]`` — periods the new commitments of offer ``o`` deliver late in scenario ``s``:
  a slip shifts the whole delivery profile *and the term*; ``d[o, t, s]`` is the share of the
  (shifted) capacity delivered (partial deliveries);
* ``T[w, p]`` — work per kchip-period of class ``w`` on pool ``p`` (from the throughput matrix);
  with ``policy.throughput_uncertainty``, ``T_mult[w, p, s]`` scales it per scenario (the band
  of the chip's estimate, ``sampling.throughput_multipliers``);
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
from computebroker.planner.periods import MAX_POST_PERIODS
from computebroker.planner.sampling import ScenarioSet, throughput_multipliers
from computebroker.planner.spec import OfferSpec, ScenarioSpec, ShareBasis

__all__ = ["KCHIPS", "MUSD", "PlanProblem", "build_problem"]

KCHIPS = 1000.0
MUSD = 1e6
# an explicit shortfall penalty at most this multiple of the cheapest way to do the work, the
# bound of policy.shortfall_penalty.multiple_of_on_demand
MAX_PENALTY_MULTIPLE = 1_000.0


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
    Rext: np.ndarray  # (C, start, period + MAX_POST_PERIODS) usable share, horizon extended
    post: np.ndarray  # (C, start) usable periods of the term past the horizon
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
    d: np.ndarray  # (C, period, S) delivered share of new commitments (after the shift)
    shift: np.ndarray  # (C, S) int periods late of new commitments (slips)
    disc: np.ndarray  # (period + MAX_POST_PERIODS,) discount factor at the start of each period
    rent_price: np.ndarray  # (Rr, period, S) $M per kchip-period (list x scarcity premium)
    rent_cap: np.ndarray  # (Rr, period, S) kchips rentable (cap x scarcity cut)

    @property
    def k_delivered(self) -> np.ndarray:
        """(C, period) usable kchips of the already-delivered commitments."""
        if not len(self.commit):
            return np.zeros((0, self.n_periods))
        return np.asarray(np.einsum("oij,oi->oj", self.R, self.x_delivered), dtype=float)

    def shift_groups(self, lo: int = 0, hi: int | None = None) -> list[tuple[int, np.ndarray]]:
        """(shift, mask (C, n) of the offers and scenarios in [lo, hi) with that shift)."""
        sh = self.shift[:, lo:hi]
        return [(int(v), sh == v) for v in np.unique(sh)] if sh.size else []

    def delivered(self, k: np.ndarray, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """(C, period, S) usable kchips delivered in scenarios [lo, hi) from nominal usable
        ``k`` (C, period): ``kd[t] + d[t, s] (k - kd)[t - shift[s]]``."""
        kd = self.k_delivered
        hi = self.n_scenarios if hi is None else hi
        P = self.n_periods
        new = k - kd
        d = self.d[:, :, lo:hi]
        out = np.repeat(kd[:, :, None], hi - lo, axis=2)
        for sh, mask in self.shift_groups(lo, hi):
            out[:, sh:, :] += mask[:, None, :] * d[:, sh:, :] * new[:, : P - sh, None]
        return out

    def delivered_slope(self, pi: np.ndarray, s: int) -> np.ndarray:
        """(C, period) derivative of ``sum_{o,t} pi[o,t] delivered[o,t,s]`` in ``k``: the
        capacity price ``pi`` (C, period) seen through scenario ``s``'s shift and share."""
        P = self.n_periods
        at = np.arange(P)[None, :] + self.shift[:, s][:, None]  # (C, period) t + shift[o]
        inside = at < P
        at = np.minimum(at, P - 1)
        seen = np.take_along_axis(pi, at, axis=1) * np.take_along_axis(self.d[:, :, s], at, axis=1)
        return np.asarray(np.where(inside, seen, 0.0), dtype=float)

    def bill_coef(self, *, nominal: bool = False) -> np.ndarray:
        """(C, period, S) $M per nominal usable kchip of k[o,t] in scenario s's commitment bill
        (delivered capacity, paid when delivered): ``c_o disc[t + shift] d[o, t + shift, s]``."""
        disc = np.ones_like(self.disc) if nominal else self.disc
        P = self.n_periods
        out = np.zeros((len(self.commit), P, self.n_scenarios))
        for sh, mask in self.shift_groups():
            out[:, : P - sh, :] += (
                mask[:, None, :]
                * self.c_commit[:, None, None]
                * disc[None, sh:P, None]
                * self.d[:, sh:, :]
            )
        return out

    def post_coef(self, *, nominal: bool = False, net: bool = True) -> np.ndarray:
        """(C, start, S) $M per kchip signed at ``start``, owed past the horizon in scenario s:
        the usable periods of the (shifted) term past the horizon, at the delivered share of the
        last period, discounted, net of salvage unless ``net`` is False."""
        disc = np.ones_like(self.disc) if nominal else self.disc
        P = self.n_periods
        keep = self.keep_post if net else 1.0
        out = np.zeros((len(self.commit), P, self.n_scenarios))
        for o in range(len(self.commit)):
            for sh in np.unique(self.shift[o]):
                ext = np.roll(self.Rext[o], int(sh), axis=1)
                ext[:, : int(sh)] = 0.0
                value = self.c_commit[o] * (ext[:, P:] * (disc[P:] * keep)).sum(axis=1)
                sel = self.shift[o] == sh
                out[o][:, sel] = value[:, None] * self.d[o, P - 1, sel][None, :]
        return out

    def post_existing(self, *, nominal: bool = False, net: bool = True) -> np.ndarray:
        """(C, start) the same for commitments already delivered (they never slip)."""
        disc = np.ones_like(self.disc) if nominal else self.disc
        keep = self.keep_post if net else 1.0
        P = self.n_periods
        return np.asarray(
            self.c_commit[:, None] * (self.Rext[:, :, P:] * (disc[P:] * keep)).sum(axis=2),
            dtype=float,
        )

    def cost_const(self, *, nominal: bool = False) -> np.ndarray:
        """(S,) $M of scenario cost that no decision changes: the bill of commitments already
        delivered, written as ``sum c disc kd`` less the part that ``bill_coef . k`` counts,
        and their post-horizon obligation net of what ``post_coef . x`` counts."""
        if not len(self.commit):
            return np.zeros(self.n_scenarios)
        disc = np.ones_like(self.disc) if nominal else self.disc
        kd = self.k_delivered
        fixed = float((self.c_commit[:, None] * disc[None, : self.n_periods] * kd).sum())
        bill = np.einsum("ots,ot->s", self.bill_coef(nominal=nominal), kd)
        post = np.einsum(
            "ot,ot->", self.post_existing(nominal=nominal), self.x_delivered
        ) - np.einsum("ots,ot->s", self.post_coef(nominal=nominal), self.x_delivered)
        return np.asarray(fixed - bill + post, dtype=float)

    def vendor_cap_by_period(self, cap: float) -> np.ndarray:
        """(period,) the per-period vendor cap in force: ``max(cap, 1 / n_t)`` with ``n_t`` the
        vendors whose commitments can be usable in period t (a cap never forbids committing
        while fewer vendors exist than it allows). A period whose every usable commitment was
        decided before the re-plan's ``as_of`` is history: the cap there is 1 (no rule), since
        nothing left to decide can change it (and the signed chips, rounded to whole chips in
        ``plan.json``, may sit a hair above the cap they were planned under)."""
        can = (self.x_ub > 0)[:, :, None] & (self.R > 0)  # (o, start, t)
        live = np.asarray(can.any(axis=1), dtype=bool)  # (o, t)
        open_ = np.asarray((can & ~self.x_fixed[:, :, None]).any(axis=(0, 1)), dtype=bool)  # (t,)
        out = np.full(self.n_periods, float(cap))
        for t in range(self.n_periods):
            n = len({self.commit_provider[o] for o in np.nonzero(live[:, t])[0]})
            if n > 0:
                out[t] = max(cap, 1.0 / n)
            if not open_[t] and live[:, t].any():
                out[t] = 1.0
        return out

    @property
    def volume(self) -> np.ndarray:
        """(W,) kchip-periods of each class's fastest pool per normalised unit of its work: the
        common unit in which classes' unmet work is weighted."""
        fastest = self.T.max(axis=1)
        return np.asarray(1.0 / np.where(fastest > 0, fastest, 1.0), dtype=float)

    @property
    def rent_price_pv(self) -> np.ndarray:
        """(Rr, period, S) discounted rental price, $M per kchip-period."""
        return np.asarray(self.rent_price * self.disc[None, : self.n_periods, None], dtype=float)

    @property
    def penalty_pv(self) -> np.ndarray:
        """(W, period) discounted shortfall penalty, $M per normalised unit."""
        return np.asarray(self.penalty[:, None] * self.disc[None, : self.n_periods], dtype=float)

    @property
    def tcv(self) -> np.ndarray:
        """(C, start) nominal total contract value, $M per kchip signed: every usable period of
        the term (ramp-weighted, from first delivery), inside the horizon or past it."""
        return np.asarray(self.c_commit[:, None] * self.Rext.sum(axis=2), dtype=float)

    @property
    def tcv_post(self) -> np.ndarray:
        """(C, start) the part of ``tcv`` past the horizon (nominal, before salvage)."""
        return np.asarray(
            self.c_commit[:, None] * self.Rext[:, :, self.n_periods :].sum(axis=2), dtype=float
        )

    # policy
    salvage: float
    matrix: xr.Dataset
    # (W, pool, S) factor on T per scenario (policy.throughput_uncertainty); None: T in all
    T_mult: np.ndarray | None = None

    def rate_by_scenario(self) -> np.ndarray:
        """(W, pool, S) work per kchip-period in each scenario: ``T`` times ``T_mult``."""
        if self.T_mult is None:
            return np.repeat(self.T[:, :, None], self.n_scenarios, axis=2)
        return np.asarray(self.T[:, :, None] * self.T_mult, dtype=float)

    @property
    def rate_low(self) -> np.ndarray:
        """(W, pool) the lowest work per kchip-period over the scenarios (for safe bounds)."""
        return self.T if self.T_mult is None else self.T * self.T_mult.min(axis=2)

    # salvage fraction of each period past the horizon (policy.terminal_salvage); None: the
    # scalar ``salvage`` in every one
    salvage_post: np.ndarray | None = None

    @property
    def keep_post(self) -> np.ndarray:
        """(MAX_POST_PERIODS,) share of the price still owed net of salvage, per period past
        the horizon."""
        E = self.Rext.shape[2] - self.n_periods
        if self.salvage_post is None:
            return np.full(E, 1.0 - self.salvage)
        return np.asarray(1.0 - self.salvage_post, dtype=float)

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
    """Usable share per period of a commitment signed at ``o_start``: the term of ``term``
    periods starts at first delivery (``o_start + lead``)."""
    row = np.zeros(P)
    for t in range(P):
        k = t - o_start - lead
        if k < 0 or k >= term:
            continue
        row[t] = ramp[k] if k < len(ramp) else 1.0
    return row


def _pool_keys(spec: ScenarioSpec) -> list[tuple[str, str]]:
    """Pools: accelerator x region as offered, in order of first appearance."""
    keys: list[tuple[str, str]] = []
    for o in spec.offers:
        if (o.accelerator, o.region) not in keys:
            keys.append((o.accelerator, o.region))
    return keys


def _work_scale(spec: ScenarioSpec, scenarios: ScenarioSet) -> np.ndarray:
    """(W,) work units per normalised unit: each class's mean base demand per period."""
    names = [w.name for w in spec.workloads]
    scale = np.ones(len(names))
    for c in spec.demand.classes:
        m = float(np.mean(c.base))
        scale[names.index(c.workload)] = m if m > 0 else 1.0
    if spec.demand.explicit and not spec.demand.classes:
        means = scenarios.demand.mean(dim=("period", "scenario")).values
        scale = np.where(means > 0, means, 1.0)
    return scale


# normalised work one kchip does in a period, above which a class's demand is below a
# millionth of one chip-period: a unit mistake, and coefficients past what the LP solves
MAX_KCHIP_PERIODS_OF_DEMAND = 1e9


def _throughput(
    spec: ScenarioSpec, matrix: xr.Dataset, pool_keys: list[tuple[str, str]], scale: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """(T (W, pool) normalised work per kchip-period, units per class)."""
    H = spec.horizon.hours_per_period
    T = np.zeros((len(spec.workloads), len(pool_keys)))
    units = []
    for wi, w in enumerate(spec.workloads):
        known = w.name in matrix.workload.values
        units.append(str(matrix.unit.sel(workload=w.name).item()) if known else "work")
        allowed = spec.policy.regions.get(w.name)
        for pi, (acc, region) in enumerate(pool_keys):
            if (
                allowed is not None
                and region != "any"
                and not any(fnmatch.fnmatchcase(region, p) for p in allowed)
            ):
                continue
            if acc not in matrix.accelerator.values or not known:
                continue
            per_chip_hour = float(matrix.work_per_chip_hour.sel(workload=w.name, accelerator=acc))
            if math.isnan(per_chip_hour) or per_chip_hour <= 0:
                continue
            with np.errstate(over="ignore"):  # a demand too small overflows: refused below
                T[wi, pi] = per_chip_hour * H * KCHIPS / scale[wi]
    for wi, w in enumerate(spec.workloads):
        if T[wi].max() > MAX_KCHIP_PERIODS_OF_DEMAND:
            raise InputError.single(
                spec.source,
                f"workload {w.name!r}: its demand (mean {scale[wi]:g} {units[wi]} a period) is "
                "less than a millionth of what one chip does in a period; check its unit",
                field=f"demand.classes.{w.name}",
            )
        if not T[wi].any():
            raise InputError.single(
                spec.source,
                f"no offer can run workload {w.name!r}: every offered accelerator is either outside its "
                "allowed regions or cannot run it (see `estimate matrix`)",
                field=f"workloads.{w.name}",
            )
    return T, units


def _commit_profiles(
    commit: list[OfferSpec], P: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(R (C, start, P), Rext (C, start, P + MAX_POST_PERIODS), post (C, start), x_ub)."""
    E = P + MAX_POST_PERIODS
    Rext = np.zeros((len(commit), P, E))
    x_ub = np.zeros((len(commit), P))
    for i, o in enumerate(commit):
        if o.lead_periods + o.term_periods + P > E:
            raise InputError.single(
                "<scenario>",
                f"offer {o.id!r}: lead + term of {o.lead_periods + o.term_periods} periods is "
                f"longer than the {MAX_POST_PERIODS} periods past the horizon that are tracked",
            )
        last = P - 1 if o.available_until is None else min(P - 1, o.available_until)
        for st in range(P):
            Rext[i, st] = _ramp_row(st, o.lead_periods, o.ramp, o.term_periods, E)
            if o.available_from <= st <= last:
                x_ub[i, st] = np.inf
    R = Rext[:, :, :P].copy()
    post = Rext[:, :, P:].sum(axis=2)
    return R, Rext, post, x_ub


def _signed_bounds(
    spec: ScenarioSpec,
    commit: list[OfferSpec],
    x_ub: np.ndarray,
    as_of: int | None,
    signed: dict[tuple[str, int], float] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_lb, x_delivered, x_ub, x_fixed): existing commitments and, when re-planning, the
    starts before ``as_of`` fixed to what was signed."""
    P = spec.horizon.count
    x_ub = x_ub.copy()
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
                v = max((signed or {}).get((o.id, st), 0.0) / KCHIPS, x_lb[i, st])
                x_lb[i, st] = v
                x_ub[i, st] = v
                x_fixed[i, st] = True
    return x_lb, x_delivered, x_ub, x_fixed


def _penalty(
    spec: ScenarioSpec,
    rec: list[OfferSpec],
    commit: list[OfferSpec],
    c_rec: np.ndarray,
    c_commit: np.ndarray,
    T: np.ndarray,
    scale: np.ndarray,
    pool_keys: list[tuple[str, str]],
) -> np.ndarray:
    """$M per normalised unit unmet: a multiple of the cheapest on-demand way to do that work."""
    names = [w.name for w in spec.workloads]
    penalty = np.zeros(len(names))

    def pool(o: OfferSpec) -> int:
        return pool_keys.index((o.accelerator, o.region))

    od = [(i, o) for i, o in enumerate(rec) if o.contract is ContractKind.ON_DEMAND]
    for wi, wname in enumerate(names):
        candidates = [
            c_rec[i] / (o.usable_fraction * T[wi, pool(o)]) for i, o in od if T[wi, pool(o)] > 0
        ] or [c_commit[i] / T[wi, pool(o)] for i, o in enumerate(commit) if T[wi, pool(o)] > 0]
        cheapest = min(candidates)
        if wname in spec.policy.penalty_usd_per_unit:
            usd = spec.policy.penalty_usd_per_unit[wname]
            with np.errstate(over="ignore"):
                penalty[wi] = usd * scale[wi] / MUSD
            _check_penalty(spec, wname, usd, penalty[wi] / cheapest)
            continue
        penalty[wi] = (spec.policy.penalty_multiple or 3.0) * cheapest
    return penalty


def _check_penalty(spec: ScenarioSpec, wname: str, usd: float, multiple: float) -> None:
    """An explicit penalty at most MAX_PENALTY_MULTIPLE times the cheapest way to do the work,
    the bound of ``multiple_of_on_demand``: $1e300 a unit overflowed the LP's costs."""
    if not multiple <= MAX_PENALTY_MULTIPLE:
        raise InputError.single(
            spec.source,
            f"{usd:g} USD per unit is {multiple:,.3g} times the cheapest way to do the work "
            f"(on-demand, or else a commitment); at most {MAX_PENALTY_MULTIPLE:,.0f} times",
            field=f"policy.shortfall_penalty.usd_per_unit.{wname}",
        )


def _expected_demand(spec: ScenarioSpec, scale: np.ndarray) -> np.ndarray:
    """(P,) expected total demand per period, normalised units: the base paths, or the
    weighted mean of the explicit rows (classes a row does not name keep their base)."""
    names = [w.name for w in spec.workloads]
    base = np.zeros((len(names), spec.horizon.count))
    for c in spec.demand.classes:
        base[names.index(c.workload)] = c.base
    if spec.demand.explicit:
        weights = np.array([w for w, _ in spec.demand.explicit])
        rows = np.repeat(base[:, :, None], len(weights), axis=2)
        for j, (_, paths) in enumerate(spec.demand.explicit):
            for name, path in paths.items():
                rows[names.index(name), :, j] = path
        base = rows @ (weights / weights.sum())
    return np.asarray((base / scale[:, None]).sum(axis=0), dtype=float)


def _rentals(
    spec: ScenarioSpec, rec: list[OfferSpec], c_rec: np.ndarray, D: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cap (Rr, P) kchips, price (Rr, P, S) $M per kchip-period, cap (Rr, P, S)): list
    capacity and price, tightened per scenario by demand above its expectation
    (``ScarcitySpec``)."""
    P = spec.horizon.count
    S = D.shape[2]
    cap = np.zeros((len(rec), P))
    for i, o in enumerate(rec):
        last = P - 1 if o.available_until is None else min(P - 1, o.available_until)
        cap[i, o.available_from : last + 1] = o.max_chips / KCHIPS
    total = D.sum(axis=0)  # (P, S) normalised work, all classes
    mean = _expected_demand(spec, scale)[:, None]
    excess = np.maximum(0.0, total / np.where(mean > 0, mean, 1.0) - 1.0)  # (P, S)
    sc = spec.scarcity
    price = c_rec[:, None, None] * (1.0 + sc.price_premium * excess)[None, :, :]
    scen_cap = cap[:, :, None] * np.maximum(0.0, 1.0 - sc.capacity_cut * excess)[None, :, :]
    return cap, price * np.ones((len(rec), P, S)), scen_cap


def _throughput_mult(
    spec: ScenarioSpec,
    matrix: xr.Dataset,
    pool_keys: list[tuple[str, str]],
    scenarios: ScenarioSet,
    catalog: Catalog,
) -> np.ndarray | None:
    """(W, pool, S) throughput factors when the policy asks for throughput uncertainty: one
    draw per chip (``sampling.throughput_multipliers``) from the band of its estimate."""
    if not spec.policy.throughput_uncertainty:
        return None
    accs = sorted({a for a, _ in pool_keys})
    band = np.zeros((len(spec.workloads), len(accs)))
    if "band_rel" in matrix:
        for wi, w in enumerate(spec.workloads):
            for ai, a in enumerate(accs):
                if w.name in matrix.workload.values and a in matrix.accelerator.values:
                    band[wi, ai] = float(matrix.band_rel.sel(workload=w.name, accelerator=a))
    index, total = scenarios.origin
    mult = throughput_multipliers(
        band,
        [catalog.accelerator(a).vendor.lower() for a in accs],
        total,
        seed=scenarios.seed,
        method=spec.sampling.method,
        correlation=spec.policy.throughput_correlation,
    )[:, :, index]
    return np.stack([mult[:, accs.index(a), :] for a, _ in pool_keys], axis=1)


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
    commit = [o for o in spec.offers if o.is_commitment]
    rec = [o for o in spec.offers if not o.is_commitment]
    pool_keys = _pool_keys(spec)
    names = [w.name for w in spec.workloads]
    scale = _work_scale(spec, scenarios)
    T, units = _throughput(spec, matrix, pool_keys, scale)
    c_commit = np.array([o.price_chip_hour * H * KCHIPS / MUSD for o in commit])
    c_rec = np.array([o.price_chip_hour * H * KCHIPS / MUSD for o in rec])
    R, Rext, post, x_ub = _commit_profiles(commit, P)
    x_lb, x_delivered, x_ub, x_fixed = _signed_bounds(spec, commit, x_ub, as_of, signed)
    pflops = [
        (catalog.accelerator(o.accelerator).bf16_tflops or 0.0) / 1000.0 * KCHIPS for o in commit
    ]
    share_weight = c_commit if spec.policy.share_basis is ShareBasis.SPEND else np.array(pflops)
    penalty = _penalty(spec, rec, commit, c_rec, c_commit, T, scale, pool_keys)
    D = scenarios.demand.sel(workload=names).values / scale[:, None, None]
    cap_rec, rent_price, rent_cap = _rentals(spec, rec, c_rec, D, scale)
    ids = [o.id for o in commit]
    S = scenarios.count
    d = scenarios.delivery.sel(offer=ids).values if commit else np.zeros((0, P, S))
    shift = scenarios.shift.sel(offer=ids).values.astype(int) if commit else np.zeros((0, S), int)
    return PlanProblem(
        spec=spec,
        periods=spec.horizon.labels,
        hours=H,
        commit=tuple(ids),
        commit_provider=tuple(o.provider for o in commit),
        commit_pool=tuple(pool_keys.index((o.accelerator, o.region)) for o in commit),
        c_commit=c_commit,
        R=R,
        Rext=Rext,
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
        recourse_pool=tuple(pool_keys.index((o.accelerator, o.region)) for o in rec),
        c_recourse=c_rec,
        cap_recourse=cap_rec,
        usable_recourse=np.array([o.usable_fraction for o in rec]),
        pools=tuple(f"{a}@{r}" for a, r in pool_keys),
        pool_accelerator=tuple(a for a, _ in pool_keys),
        workloads=tuple(names),
        units=tuple(units),
        scale=scale,
        T=T,
        penalty=penalty,
        prob=scenarios.probability.values,
        D=D,
        d=d,
        shift=shift,
        disc=spec.horizon.discount_factors(spec.policy.discount_rate),
        rent_price=rent_price,
        rent_cap=rent_cap,
        salvage=spec.policy.salvage_fraction,
        matrix=matrix,
        T_mult=_throughput_mult(spec, matrix, pool_keys, scenarios, catalog),
        salvage_post=None
        if spec.policy.terminal_salvage is None
        else spec.policy.terminal_salvage.fractions(
            spec.horizon.count, Rext.shape[2] - spec.horizon.count, spec.horizon.kind.per_year
        ),
    )
