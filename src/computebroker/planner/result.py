"""A solved plan and the figures a strategy team reads, computed from the solution arrays.

Every figure is recomputed here from the decision values and the scenario data (not read from
the solver), so that the same code scores in-sample, out-of-sample and decomposed solutions:
costs per scenario, expected cost, CVaR (exact discrete tail), probability and size of
shortfall, vendor shares and HHI, utilisation, effective $ per unit of work per vendor, and the
commitment schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from computebroker.planner.problem import KCHIPS, MUSD, PlanProblem

__all__ = ["Commitment", "Plan", "PlanMetrics", "cvar", "metrics", "plan_from_arrays"]

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
    obligation_usd: float  # chips x price x hours over the whole term (also past the horizon)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Decision values of a plan in the problem's scaled units (kchips, $M)."""

    problem: PlanProblem
    x: np.ndarray  # (C, start)
    k: np.ndarray  # (C, period) nominal usable kchips
    y: np.ndarray  # (R, period, S)
    a: np.ndarray  # (pool, W, period, S)
    u: np.ndarray  # (W, period, S)
    cost_commit: np.ndarray  # (S,) $M
    cost_recourse: np.ndarray  # (S,) $M
    cost_penalty: np.ndarray  # (S,) $M
    cost_first: float  # $M (post-horizon obligations net of salvage)
    risk_weight: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    # how the solve ended when it did not prove the plan optimal (limit, time, proven gap);
    # every view of the plan (CLI, plan.json, report, API) shows it. Empty when optimal.
    unproven: str = ""
    # rules of the scenario the solve did not enforce (without --milp), shown with the plan
    relaxed: tuple[str, ...] = ()

    @property
    def cost(self) -> np.ndarray:
        """Total cost per scenario, $M."""
        return np.asarray(
            self.cost_commit + self.cost_recourse + self.cost_penalty + self.cost_first, dtype=float
        )


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
    delivered = p.delivered(k) if len(p.commit) else np.zeros((0, p.n_periods, p.n_scenarios))
    cost_commit = (
        np.einsum("o,ots->s", p.c_commit, delivered) if len(p.commit) else np.zeros(p.n_scenarios)
    )
    cost_rec = (
        np.einsum("r,rts->s", p.c_recourse, y) if len(p.recourse) else np.zeros(p.n_scenarios)
    )
    cost_pen = np.einsum("w,wts->s", p.penalty, u)
    first = (
        float(((1 - p.salvage) * p.c_commit[:, None] * p.post * x).sum()) if len(p.commit) else 0.0
    )
    return Plan(
        problem=p,
        x=x,
        k=k,
        y=y,
        a=a,
        u=u,
        cost_commit=cost_commit,
        cost_recourse=cost_rec,
        cost_penalty=cost_pen,
        cost_first=first,
        risk_weight=risk_weight,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanMetrics:
    """The figures of a plan, in USD and work units (not scaled)."""

    scenarios: int

    expected_cost_usd: float
    expected_spend_usd: float
    cost_p05_usd: float
    cost_p50_usd: float
    cost_p95_usd: float
    cvar_usd: float
    cvar_alpha: float
    p_shortfall: float
    expected_unmet: dict[str, float]  # work units
    expected_unmet_fraction: dict[str, float]
    unmet_fraction_cvar: float
    vendor_shares: dict[str, float]
    hhi: float
    utilisation: float
    utilisation_by_pool: dict[str, float]
    usd_per_million_work: dict[str, dict[str, float]]  # workload -> vendor -> USD per million units
    committed_spend_usd: float
    post_horizon_usd: float
    schedule: tuple[Commitment, ...]


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

    demand_total = p.D.sum(axis=(0, 1))  # (S,) normalised
    unmet_total = plan.u.sum(axis=(0, 1))
    share = unmet_total / np.where(demand_total > 0, demand_total, 1.0)
    p_short = float(prob[share > SHORTFALL_TOL].sum())
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
    spend_o = (p.c_commit[:, None, None] * delivered * prob).sum(axis=(1, 2)) * MUSD
    vendors: dict[str, float] = {}
    for o, prov in enumerate(p.commit_provider):
        vendors[prov] = vendors.get(prov, 0.0) + float(spend_o[o])
    total_commit = sum(vendors.values())
    shares = {v: s / total_commit for v, s in vendors.items()} if total_commit > 0 else {}
    hhi = float(sum(s * s for s in shares.values()))

    # Utilisation: allocated over available capacity, expected.
    avail = np.zeros((len(p.pools), p.n_periods, p.n_scenarios))
    for o, pool in enumerate(p.commit_pool):
        avail[pool] += delivered[o]
    rented_by_offer = np.zeros((len(p.recourse), p.n_periods, p.n_scenarios))
    for r, pool in enumerate(p.recourse_pool):
        rented_by_offer[r] = plan.y[r] * p.usable_recourse[r]
        avail[pool] += rented_by_offer[r]
    used = plan.a.sum(axis=1)
    util_pool = {}
    for i, name in enumerate(p.pools):
        av = float((avail[i] * prob).sum())
        util_pool[name] = float((used[i] * prob).sum()) / av if av > 1e-12 else 0.0
    av_all = float((avail * prob).sum())
    util = float((used * prob).sum()) / av_all if av_all > 1e-12 else 0.0

    usd_per = _usd_per_million_work(plan, delivered, avail)

    return PlanMetrics(
        scenarios=p.n_scenarios,
        expected_cost_usd=float((cost * prob).sum()),
        expected_spend_usd=float(
            ((plan.cost_commit + plan.cost_recourse + plan.cost_first) * prob).sum() * MUSD
        ),
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
        hhi=hhi,
        utilisation=util,
        utilisation_by_pool=util_pool,
        usd_per_million_work=usd_per,
        committed_spend_usd=float(total_commit),
        post_horizon_usd=plan.cost_first * MUSD,
        schedule=schedule(plan),
    )


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
            done = a * share_of_cap * p.T[wi, pool] * p.scale[wi]
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


def schedule(plan: Plan) -> tuple[Commitment, ...]:
    """Commitments with more than one chip, by start period then offer."""
    p = plan.problem
    offers = {o.id: o for o in p.spec.offers}
    rows = []
    for i, oid in enumerate(p.commit):
        o = offers[oid]
        for st in range(p.n_periods):
            chips = plan.x[i, st] * KCHIPS
            if chips < 1.0:
                continue
            existing = p.x_lb[i, st] * KCHIPS
            paid_periods = float(p.R[i, st].sum()) + float(p.post[i, st])
            rows.append(
                Commitment(
                    offer=oid,
                    provider=o.provider,
                    accelerator=o.accelerator,
                    region=o.region,
                    contract=o.contract.value,
                    start=p.periods[st],
                    start_index=st,
                    chips=float(round(chips)),
                    existing=bool(existing >= chips - 0.5),
                    term_periods=o.term_periods,
                    price_chip_hour=o.price_chip_hour,
                    obligation_usd=chips * o.price_chip_hour * p.hours * paid_periods,
                )
            )
    rows.sort(key=lambda c: (c.start_index, c.provider, c.offer))
    return tuple(rows)
