"""A solved plan and the figures a strategy team reads, computed from the solution arrays.

Every figure is recomputed here from the decision values and the scenario data (not read from
the solver), so that the same code scores in-sample, out-of-sample and decomposed solutions:
costs per scenario (present value, and nominal), expected cost, CVaR (exact discrete tail) of
the whole cost and of the cash alone (penalties apart), probability and size of shortfall
(weighted by volume), vendor shares and HHI, utilisation, effective $ per unit of work per
vendor, what is signed (total contract value, the part past the horizon) and the commitment
schedule. Volume: a class's work in kchip-periods of its fastest pool (``PlanProblem.volume``),
so that classes in different units add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from computebroker.planner.problem import KCHIPS, MUSD, PlanProblem

__all__ = [
    "Commitment",
    "Convergence",
    "Interval",
    "Plan",
    "PlanMetrics",
    "cvar",
    "metrics",
    "plan_from_arrays",
]

SHORTFALL_TOL = 1e-4  # unmet share of demand below this is treated as met (solver tolerance)


def cvar(costs: np.ndarray, prob: np.ndarray, alpha: float) -> float:
    """Conditional value at risk: the probability-weighted mean of the worst 1 - alpha tail.

    Examples
    --------
    >>> round(cvar(np.array([1.0, 2.0, 3.0, 4.0]), np.full(4, 0.25), 0.5), 6)
    3.5
    >>> round(cvar(np.array([1.0, 2.0, 3.0, 4.0]), np.full(4, 0.25), 0.6), 6)
    3.625
    """
    order = np.argsort(-costs)
    c, p = costs[order], prob[order]
    tail = 1.0 - alpha
    taken, acc = 0.0, 0.0
    for ci, pi in zip(c, p, strict=True):
        w = min(pi, tail - taken)
        if w <= 0:
            break
        acc += w * ci
        taken += w
    return float(acc / tail)


@dataclass(frozen=True, slots=True, kw_only=True)
class Commitment:
    """One row of the commitment schedule."""

    offer: str
    provider: str
    accelerator: str
    region: str
    contract: str
    start: str
    start_index: int
    chips: float
    existing: bool
    term_periods: int
    price_chip_hour: float
    obligation_usd: (
        float  # total contract value: chips x price x hours x usable periods of the term
    )
    after_horizon_usd: float  # the part of obligation_usd past the horizon (nominal)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Decision values of a plan in the problem's scaled units (kchips, $M); costs per scenario
    at present value (``policy.discount_rate``) and, in ``cost_nominal``, undiscounted."""

    problem: PlanProblem
    x: np.ndarray  # (C, start)
    k: np.ndarray  # (C, period) nominal usable kchips
    y: np.ndarray  # (R, period, S)
    a: np.ndarray  # (pool, W, period, S)
    u: np.ndarray  # (W, period, S)
    cost_commit: np.ndarray  # (S,) $M delivered commitments in the horizon
    cost_recourse: np.ndarray  # (S,) $M rentals
    cost_penalty: np.ndarray  # (S,) $M unmet work
    cost_post: np.ndarray  # (S,) $M obligations past the horizon, net of salvage
    cost_nominal: np.ndarray  # (S,) $M the same four, undiscounted
    risk_weight: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    # how the solve ended when it did not prove the plan optimal (limit, time, proven gap);
    # every view of the plan (CLI, plan.json, report, API) shows it. Empty when optimal.
    unproven: str = ""
    # rules of the scenario the solve did not enforce (without --milp), shown with the plan
    relaxed: tuple[str, ...] = ()

    @property
    def cost(self) -> np.ndarray:
        """Total cost per scenario, present value, $M."""
        return np.asarray(
            self.cost_commit + self.cost_recourse + self.cost_penalty + self.cost_post, dtype=float
        )

    @property
    def cash(self) -> np.ndarray:
        """Cash per scenario (the cost without shortfall penalties), present value, $M."""
        return np.asarray(self.cost - self.cost_penalty, dtype=float)


def _costs(
    p: PlanProblem, x: np.ndarray, k: np.ndarray, y: np.ndarray, u: np.ndarray, *, nominal: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(commitments, rentals, penalties, post-horizon) per scenario, $M."""
    disc = np.ones_like(p.disc) if nominal else p.disc
    dt = disc[: p.n_periods]
    S = p.n_scenarios
    if len(p.commit):
        commit = np.einsum("o,t,ots->s", p.c_commit, dt, p.delivered(k))
        new = x - p.x_delivered
        post = np.einsum("ots,ot->s", p.post_coef(nominal=nominal), new) + float(
            (p.post_existing(nominal=nominal) * p.x_delivered).sum()
        )
    else:
        commit, post = np.zeros(S), np.zeros(S)
    rec = np.einsum("rts,t,rts->s", p.rent_price, dt, y) if len(p.recourse) else np.zeros(S)
    pen = np.einsum("w,t,wts->s", p.penalty, dt, u)
    return commit, rec, pen, post


def plan_from_arrays(
    p: PlanProblem,
    *,
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    u: np.ndarray,
    risk_weight: float = 0.0,
) -> Plan:
    """Costs per scenario from decision values."""
    k = np.einsum("oij,oi->oj", p.R, x) if len(p.commit) else np.zeros((0, p.n_periods))
    commit, rec, pen, post = _costs(p, x, k, y, u, nominal=False)
    nominal = sum(_costs(p, x, k, y, u, nominal=True))
    return Plan(
        problem=p,
        x=x,
        k=k,
        y=y,
        a=a,
        u=u,
        cost_commit=commit,
        cost_recourse=rec,
        cost_penalty=pen,
        cost_post=post,
        cost_nominal=np.asarray(nominal, dtype=float),
        risk_weight=risk_weight,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Interval:
    """A confidence interval ``mean +- half_width`` at ``level`` (Student t, replications)."""

    mean: float
    half_width: float
    level: float = 0.95

    @property
    def low(self) -> float:
        """Lower end."""
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        """Upper end."""
        return self.mean + self.half_width

    @property
    def relative(self) -> float:
        """Half-width over |mean| (inf at a zero mean)."""
        return self.half_width / abs(self.mean) if self.mean else float("inf")


@dataclass(frozen=True, slots=True, kw_only=True)
class Convergence:
    """How sure a plan is (``replicate.replicate``): its figures on independent samples, the
    Mak-Morton-Wood optimality gap, and how much the commitments move between samples."""

    replications: int
    scenarios: int  # per replication
    expected_cost: Interval  # USD, the plan's commitments, recourse re-optimised
    cvar: Interval  # USD
    p_shortfall: Interval
    gap_mean_usd: float  # mean of f_i(x^) - z_i
    gap_upper_usd: float  # one-sided upper confidence bound of the gap
    stability: float  # 1 - mean pairwise L1 distance of replications' chips per offer (1: same)
    signed_chips: dict[str, Interval]  # chips signed per offer across replications
    target: float  # relative target on the gap bound and the expected cost's half-width
    converged: bool

    @property
    def gap_relative(self) -> float:
        """Gap bound over the expected cost."""
        return self.gap_upper_usd / max(abs(self.expected_cost.mean), 1e-12)

    @property
    def note(self) -> str:
        """One line a report can print."""
        state = "converged" if self.converged else "NOT converged"
        return (
            f"{state} at {self.scenarios:,} scenarios ({self.replications} replications): "
            f"E[cost] {self.expected_cost.mean / 1e9:,.3f}B +- {self.expected_cost.relative:.1%}, "
            f"optimality gap <= {self.gap_relative:.2%}, decision stability {self.stability:.2f} "
            f"(target {self.target:.1%})"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanMetrics:
    """The figures of a plan, in USD and work units (not scaled); money at present value unless
    the name says ``nominal``."""

    scenarios: int

    expected_cost_usd: float
    expected_spend_usd: float  # cash: commitments, rentals, post-horizon net of salvage
    cost_p05_usd: float
    cost_p50_usd: float
    cost_p95_usd: float
    cvar_usd: float
    cvar_alpha: float
    p_shortfall: float  # sum_w V_w P(class w short) / sum_w V_w (volume-weighted)
    expected_unmet: dict[str, float]  # work units
    expected_unmet_fraction: dict[str, float]
    unmet_fraction_cvar: float  # CVaR of the volume-weighted unmet share
    vendor_shares: dict[str, float]
    hhi: float
    utilisation: float
    utilisation_by_pool: dict[str, float]
    usd_per_million_work: dict[str, dict[str, float]]  # workload -> vendor -> USD per million units
    committed_spend_usd: float
    post_horizon_usd: float  # expected obligations past the horizon, net of salvage
    schedule: tuple[Commitment, ...]
    # money apart from penalty, nominal figures, what is signed (defaults keep old callers)
    discount_rate: float = 0.0
    expected_cost_nominal_usd: float = 0.0
    expected_penalty_usd: float = 0.0
    cash_cvar_usd: float = 0.0  # CVaR_alpha of cash alone (no penalty dollars)
    p_shortfall_any: float = 0.0  # P(any class has unmet share above the tolerance)
    unmet_volume_share: float = 0.0  # expected volume-weighted unmet share
    signed_usd: float = 0.0  # total contract value of new commitments (nominal, whole terms)
    signed_after_horizon_usd: float = 0.0  # the part of signed_usd past the horizon
    signed_pv_usd: float = 0.0  # signed_usd at present value
    existing_contract_usd: float = 0.0  # the same for policy.existing (already signed)
    post_horizon_nominal_usd: float = 0.0  # post_horizon_usd undiscounted
    convergence: Convergence | None = None  # from replicate.replicate; None: not measured


def _signed(plan: Plan) -> tuple[float, float, float, float]:
    """(new TCV, new TCV past the horizon, new TCV at present value, existing TCV), USD."""
    p = plan.problem
    if not len(p.commit):
        return 0.0, 0.0, 0.0, 0.0
    # what is signed is the schedule's whole chips (signed_chips), so the schedule's obligations
    # add up to signed_usd + existing_contract_usd
    new = np.maximum(signed_chips(plan) / KCHIPS - p.x_delivered, 0.0)
    pv = p.c_commit[:, None] * (p.Rext * p.disc[None, None, :]).sum(axis=2)
    return (
        float((p.tcv * new).sum() * MUSD),
        float((p.tcv_post * new).sum() * MUSD),
        float((pv * new).sum() * MUSD),
        float((p.tcv * p.x_delivered).sum() * MUSD),
    )


def _shortfall(plan: Plan) -> tuple[np.ndarray, float, float]:
    """(volume-weighted unmet share per scenario, volume-weighted P(shortfall), P(any))."""
    p = plan.problem
    vol = p.volume  # (W,)
    dem = p.D.sum(axis=1)  # (W, S)
    unmet = plan.u.sum(axis=1)
    total = (vol[:, None] * dem).sum(axis=0)
    share = (vol[:, None] * unmet).sum(axis=0) / np.where(total > 0, total, 1.0)
    cls_share = unmet / np.where(dem > 0, dem, 1.0)  # (W, S)
    short = cls_share > SHORTFALL_TOL
    p_w = (short * p.prob).sum(axis=1)
    v_w = vol * (dem * p.prob).sum(axis=1)
    weighted = float((v_w * p_w).sum() / v_w.sum()) if v_w.sum() > 0 else 0.0
    return share, weighted, float(p.prob[short.any(axis=0)].sum())


def metrics(plan: Plan) -> PlanMetrics:
    """Every reported figure of a plan (see the module docstring)."""
    p = plan.problem
    prob = p.prob
    cost = plan.cost * MUSD
    alpha = p.spec.policy.cvar_alpha
    order = np.argsort(cost)
    cdf = np.cumsum(prob[order])

    def q(level: float) -> float:
        i = min(int(np.searchsorted(cdf, level)), len(cost) - 1)
        return float(cost[order][i])

    share, p_short, p_any = _shortfall(plan)
    unmet_units = {
        w: float((plan.u[i].sum(axis=0) * prob).sum() * p.scale[i])
        for i, w in enumerate(p.workloads)
    }
    demand_units = {
        w: float((p.D[i].sum(axis=0) * prob).sum() * p.scale[i]) for i, w in enumerate(p.workloads)
    }
    unmet_frac = {
        w: unmet_units[w] / demand_units[w] if demand_units[w] else 0.0 for w in p.workloads
    }
    tail_alpha = p.spec.policy.shortfall_alpha or alpha

    # Vendor shares of expected delivered committed spend over the horizon.
    delivered = p.delivered(plan.k) if len(p.commit) else np.zeros((0, p.n_periods, p.n_scenarios))
    dt = p.disc[: p.n_periods]
    spend_o = (p.c_commit[:, None, None] * delivered * dt[None, :, None] * prob).sum(
        axis=(1, 2)
    ) * MUSD
    vendors: dict[str, float] = {}
    for o, prov in enumerate(p.commit_provider):
        vendors[prov] = vendors.get(prov, 0.0) + float(spend_o[o])
    total_commit = sum(vendors.values())
    shares = {v: s / total_commit for v, s in vendors.items()} if total_commit > 0 else {}
    util, util_pool, avail = _utilisation(plan, delivered)
    signed = _signed(plan)
    return PlanMetrics(
        scenarios=p.n_scenarios,
        expected_cost_usd=float((cost * prob).sum()),
        expected_spend_usd=float((plan.cash * prob).sum() * MUSD),
        cost_p05_usd=q(0.05),
        cost_p50_usd=q(0.50),
        cost_p95_usd=q(0.95),
        cvar_usd=cvar(cost, prob, alpha),
        cvar_alpha=alpha,
        p_shortfall=p_short,
        expected_unmet=unmet_units,
        expected_unmet_fraction=unmet_frac,
        unmet_fraction_cvar=cvar(share, prob, tail_alpha),
        vendor_shares=shares,
        hhi=float(sum(s * s for s in shares.values())),
        utilisation=util,
        utilisation_by_pool=util_pool,
        usd_per_million_work=_usd_per_million_work(plan, delivered, avail),
        committed_spend_usd=float(total_commit),
        post_horizon_usd=float((plan.cost_post * prob).sum() * MUSD),
        schedule=schedule(plan),
        discount_rate=p.spec.policy.discount_rate,
        expected_cost_nominal_usd=float((plan.cost_nominal * prob).sum() * MUSD),
        expected_penalty_usd=float((plan.cost_penalty * prob).sum() * MUSD),
        cash_cvar_usd=cvar(plan.cash * MUSD, prob, alpha),
        p_shortfall_any=p_any,
        unmet_volume_share=float((share * prob).sum()),
        signed_usd=signed[0],
        signed_after_horizon_usd=signed[1],
        signed_pv_usd=signed[2],
        existing_contract_usd=signed[3],
        post_horizon_nominal_usd=float(
            (_costs(p, plan.x, plan.k, plan.y, plan.u, nominal=True)[3] * prob).sum() * MUSD
        ),
    )


def _utilisation(plan: Plan, delivered: np.ndarray) -> tuple[float, dict[str, float], np.ndarray]:
    """(allocated over available capacity, expected; the same per pool; available (pool, t, s))."""
    p = plan.problem
    prob = p.prob
    avail = np.zeros((len(p.pools), p.n_periods, p.n_scenarios))
    for o, pool in enumerate(p.commit_pool):
        avail[pool] += delivered[o]
    for r, pool in enumerate(p.recourse_pool):
        avail[pool] += plan.y[r] * p.usable_recourse[r]
    used = plan.a.sum(axis=1)
    util_pool = {}
    for i, name in enumerate(p.pools):
        av = float((avail[i] * prob).sum())
        util_pool[name] = float((used[i] * prob).sum()) / av if av > 1e-12 else 0.0
    av_all = float((avail * prob).sum())
    util = float((used * prob).sum()) / av_all if av_all > 1e-12 else 0.0
    return util, util_pool, avail


def _usd_per_million_work(
    plan: Plan, delivered: np.ndarray, avail: np.ndarray
) -> dict[str, dict[str, float]]:
    """Effective USD per million units of work, per workload class and vendor (expected).

    Each offer's bill (delivered commitments, rentals) is split across the classes in proportion
    to the capacity they used in its pool, idle capacity included, and divided by the work it
    did for them: the price of the work, not the list price of the chip.
    """
    p = plan.problem
    prob = p.prob
    used = plan.a.sum(axis=1)  # (pool, t, s)
    safe_used = np.where(used > 1e-12, used, 1.0)
    safe_avail = np.where(avail > 1e-12, avail, 1.0)
    spend: dict[tuple[str, str], float] = {}
    work: dict[tuple[str, str], float] = {}

    def add(prov: str, pool: int, bill: np.ndarray, capacity: np.ndarray) -> None:
        # bill, capacity: (t, s) $M and kchip-periods of this offer
        for wi, wname in enumerate(p.workloads):
            a = plan.a[pool, wi]  # (t, s)
            share_of_use = np.where(used[pool] > 1e-12, a / safe_used[pool], 0.0)
            share_of_cap = capacity / safe_avail[pool]
            key = (wname, prov)
            spend[key] = spend.get(key, 0.0) + float((bill * share_of_use * prob).sum()) * MUSD
            t_ws = p.T[wi, pool] if p.T_mult is None else p.T[wi, pool] * p.T_mult[wi, pool]
            done = a * share_of_cap * t_ws * p.scale[wi]
            work[key] = work.get(key, 0.0) + float((done * prob).sum())

    for o, (prov, pool) in enumerate(zip(p.commit_provider, p.commit_pool, strict=True)):
        add(prov, pool, p.c_commit[o] * delivered[o], delivered[o])
    for r, (prov, pool) in enumerate(zip(p.recourse_provider, p.recourse_pool, strict=True)):
        add(prov, pool, p.c_recourse[r] * plan.y[r], plan.y[r] * p.usable_recourse[r])
    out: dict[str, dict[str, float]] = {}
    for (wname, prov), w in sorted(work.items()):
        if w > 1e-9:
            out.setdefault(wname, {})[prov] = spend[(wname, prov)] / w * 1e6
    return out


def signed_chips(plan: Plan) -> np.ndarray:
    """(C, start) the chips the schedule signs: the solve's chips rounded to whole chips (a
    contract is for whole chips, and the simulated fleet and ``place`` use whole chips), none
    below one chip. The LP relaxation's chips are fractional; ``--milp`` makes them whole blocks.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> signed_chips(SimpleNamespace(x=np.array([[0.0004, 1.2346, 0.0025]])))  # kchips
    array([[   0., 1235.,    2.]])
    """
    chips = np.asarray(plan.x, dtype=float) * KCHIPS
    return np.where(chips >= 1.0, np.round(chips), 0.0)


def schedule(plan: Plan) -> tuple[Commitment, ...]:
    """Commitments of at least one chip, by start period then offer: whole chips
    (``signed_chips``), and each obligation on those chips."""
    p = plan.problem
    offers = {o.id: o for o in p.spec.offers}
    whole = signed_chips(plan)
    rows = []
    for i, oid in enumerate(p.commit):
        o = offers[oid]
        for st in range(p.n_periods):
            chips = float(whole[i, st])
            if chips < 1.0:
                continue
            existing = p.x_lb[i, st] * KCHIPS
            paid_periods = float(p.Rext[i, st].sum())
            rows.append(
                Commitment(
                    offer=oid,
                    provider=o.provider,
                    accelerator=o.accelerator,
                    region=o.region,
                    contract=o.contract.value,
                    start=p.periods[st],
                    start_index=st,
                    chips=chips,
                    existing=bool(existing >= chips - 0.5),
                    term_periods=o.term_periods,
                    price_chip_hour=o.price_chip_hour,
                    obligation_usd=chips * o.price_chip_hour * p.hours * paid_periods,
                    after_horizon_usd=chips * o.price_chip_hour * p.hours * float(p.post[i, st]),
                )
            )
    rows.sort(key=lambda c: (c.start_index, c.provider, c.offer))
    return tuple(rows)
