"""The extensive-form model, built with linopy over named dimensions.

Sets: commitment offers o, start (signing) periods tau and periods t, recourse offers r, pools p
(accelerator x region), workload classes w, scenarios s with probabilities pi_s, vendors v.

Parameters (``problem.py``, scaled: kchips, $M, work normalised per class): c_o, c_r (list
price per kchip-period), R[o,tau,t] (usable share of a commitment signed at tau: the term of L_o
periods runs from first delivery tau + lead_o, ramp inside it), Rext (the same past the horizon),
disc[t] = (1 + r)^(-t / periods_per_year) (present value of a dollar paid at the start of t),
d[o,t,s] (delivered share), sigma[o,s] (periods a slip delays new commitments of o), e_r (usable
share of rented capacity), cap[r,t,s] and c_r[t,s] (rentable kchips and price in scenario s),
T[w,p] (work per kchip-period; T[w,p] m[w,p,s] with throughput uncertainty), D[w,t,s] (demand), penalty_w, salvage, V_w = 1 / max_p T[w,p]
(volume weight: kchip-periods of the fastest pool per unit of work).

Variables:
    x[o,tau] >= 0       kchips committed, signed at tau (first stage; integer blocks with --milp)
    k[o,t]   >= 0       nominal usable kchips: k = sum_tau R[o,tau,t] x[o,tau]
    y[r,t,s] >= 0       kchips rented (on-demand / spot), <= cap[r,t,s]
    a[p,w,t,s] >= 0     kchip-periods of pool p given to class w (0 where w may not run on p)
    u[w,t,s] >= 0       unmet work
    eta, z[s] >= 0      Rockafellar-Uryasev CVaR of the scenario cost (when risk weight > 0)
    zeta, v[s] >= 0     CVaR of the unmet share (when a shortfall-risk limit is set)

Delivered capacity (kd: commitments already signed in ``policy.existing``, never slip):
    q[o,t,s] = kd[o,t] + d[o,t,s] (k - kd)[o, t - sigma[o,s]]     (0 where t - sigma < 0)

Constraints:
    capacity   sum_w a[p,w,t,s] <= sum_{o in p} q[o,t,s] + sum_{r in p} e_r y[r,t,s]
    demand     sum_p T[w,p] a[p,w,t,s] + u[w,t,s] = D[w,t,s]   (allocations = work done)
    cvar       z[s] >= C[s] - eta
    shortfall  zeta + 1/(1-alpha_u) sum_s pi_s v[s] <= eps;  v[s] >= U[s] - zeta,
               U[s] = sum_{w,t} V_w u[w,t,s] / sum_{w,t} V_w D[w,t,s]
    vendor cap (share_scope period)    sum_{o in v} b_o k[o,t] <= cap_t sum_o b_o k[o,t], per v, t;
               cap_t = max(cap, 1/n_t), n_t the vendors with an offer usable in t
               (share_scope portfolio) sum_{o in v, tau} b_o W[o,tau] x <= cap sum_{o,tau} b_o W x,
               W[o,tau] = sum_t Rext[o,tau,t]   (b: c_o for spend, PFLOP/s for capacity)
    budgets    nominal, per scenario: sum_o c_o q[o,t,s] + sum_r c_r[t,s] y[r,t,s] <= B_t;
               summed over t <= B (budget_basis spend) or, first stage,
               sum_{o,tau} TCV[o,tau] (x - x_existing)[o,tau] <= B (budget_basis signed),
               TCV[o,tau] = c_o sum_t Rext[o,tau,t] (nominal total contract value)
    min vendors (MILP) sum_v use_v >= n; each used vendor holds >= 1/(2n) of committed spend

Objective (present value; expected cost + lambda * CVaR_alpha):
    min sum_s pi_s C[s] + lambda (eta + 1/(1-alpha) sum_s pi_s z[s])
    C[s] = sum_{o,t} disc[t] c_o q[o,t,s]                                  delivered commitments
         + sum_{o,tau} POST[o,tau,s] (x - x_existing)[o,tau] + POST0 . x_existing   past the horizon
         + sum_{r,t} disc[t] c_r[t,s] y[r,t,s] + sum_{w,t} disc[t] penalty_w u[w,t,s]
    POST[o,tau,s] = (1 - salvage) c_o d[o,P-1,s] sum_{t>=P} disc[t] Rext[o,tau,t - sigma[o,s]]
    POST0[o,tau]  = (1 - salvage) c_o sum_{t>=P} disc[t] Rext[o,tau,t]
Commitments are paid for the capacity delivered (a slipped delivery is billed when it arrives,
and its term ends as much later).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from computebroker.errors import InputError
from computebroker.planner.problem import PlanProblem
from computebroker.planner.spec import BudgetBasis, ShareScope

__all__ = ["ModelVars", "PlanOptions", "build_model", "validate"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanOptions:
    """Solve settings and policy overrides (frontier sweeps change ``risk_weight`` or the cap)."""

    milp: bool = False
    mip_gap: float = 0.01
    time_limit_s: float | None = None
    method: str = (
        "auto"  # extensive | benders | auto (benders from AUTO_BENDERS_SCENARIOS when it applies)
    )
    benders_gap: float = 1e-4
    executor: str = (
        "local"  # where decomposition subproblems run: local (process pool), serial, ray
    )
    workers: int | None = None
    ray_address: str | None = None
    risk_weight: float | None = None  # None: the scenario's policy
    max_vendor_share: float | None = None  # None: the scenario's policy; 1.0 disables
    elastic: bool = False  # add penalised slacks to hard constraints (infeasibility diagnosis)
    threads: int | None = None


@dataclass(slots=True)
class ModelVars:
    """Handles to the model's variables, constraints and key expressions."""

    x: Any = None
    k: Any = None
    y: Any = None
    a: Any = None
    u: Any = None
    cost_first: Any = None
    cost_scen: Any = None  # linear part of C2[s]
    cost_const: Any = (
        None  # constant part of C2[s] (delivered existing commitments), $M per scenario
    )
    cons: dict[str, Any] = field(default_factory=dict)
    slacks: dict[str, Any] = field(default_factory=dict)


def validate(p: PlanProblem, opt: PlanOptions) -> None:
    """Fail early, in the user's terms, on inputs the model cannot take."""
    if p.n_scenarios == 0:
        raise InputError.single(p.spec.source, "no scenarios to plan over")
    if not np.isclose(p.prob.sum(), 1.0):
        raise InputError.single(
            p.spec.source, f"scenario probabilities sum to {p.prob.sum():.4f}, not 1"
        )
    if (p.c_commit < 0).any() or (p.c_recourse < 0).any():
        raise InputError.single(p.spec.source, "prices must be non-negative")
    pol = p.spec.policy
    cap = opt.max_vendor_share if opt.max_vendor_share is not None else pol.max_vendor_share
    if cap is not None and not 0 < cap <= 1:
        raise InputError.single(p.spec.source, f"max_vendor_share must be in (0, 1], got {cap}")


def _idx(name: str, values: Any) -> pd.Index:
    idx: pd.Index = pd.Index(list(values), name=name)
    return idx


def _da(values: np.ndarray, dims: tuple[str, ...], coords: dict[str, pd.Index]) -> xr.DataArray:
    return xr.DataArray(values, dims=dims, coords={d: coords[d] for d in dims})


def build_model(p: PlanProblem, opt: PlanOptions) -> tuple[linopy.Model, ModelVars]:
    """The extensive form of ``p`` under ``opt``: a table of contents of ``define_*`` steps."""
    validate(p, opt)
    m = linopy.Model(force_dim_names=True)
    c = {
        "offer": _idx("offer", p.commit),
        "start": _idx("start", range(p.n_periods)),
        "period": _idx("period", range(p.n_periods)),
        "rec": _idx("rec", p.recourse),
        "pool": _idx("pool", p.pools),
        "workload": _idx("workload", p.workloads),
        "scenario": _idx("scenario", range(p.n_scenarios)),
    }
    v = ModelVars()
    define_commitments(m, p, opt, c, v)
    define_recourse(m, p, c, v)
    define_capacity(m, p, c, v)
    define_demand(m, p, c, v)
    define_costs(m, p, c, v)
    define_vendor_caps(m, p, opt, c, v)
    define_budgets(m, p, opt, c, v)
    define_shortfall_risk(m, p, opt, c, v)
    if opt.milp:
        define_min_vendors(m, p, opt, c, v)
    define_objective(m, p, opt, c, v)
    return m, v


def define_commitments(
    m: linopy.Model, p: PlanProblem, opt: PlanOptions, c: dict[str, pd.Index], v: ModelVars
) -> None:
    """x (first stage) and the usable capacity k it yields; blocks and minimums under MILP."""
    if not p.commit:
        v.x = None
        v.k = None
        return
    big = _capacity_bound(p)
    ub = np.where(np.isinf(p.x_ub), big[:, None], p.x_ub)
    x = m.add_variables(
        lower=_da(p.x_lb, ("offer", "start"), c),
        upper=_da(ub, ("offer", "start"), c),
        coords=[c["offer"], c["start"]],
        name="x",
    )
    k_ub = np.minimum(p.active_max, big)
    k = m.add_variables(
        lower=0,
        upper=_da(np.repeat(k_ub[:, None], p.n_periods, axis=1), ("offer", "period"), c),
        coords=[c["offer"], c["period"]],
        name="k",
    )
    R = _da(p.R, ("offer", "start", "period"), c)
    v.cons["usable"] = m.add_constraints(k - (x * R).sum("start") == 0, name="usable")
    if opt.milp:
        free = ~p.x_fixed & (p.x_ub > 0)
        blocks = p.block[:, None] * np.ones((1, p.n_periods))
        nmax = np.where(free, np.ceil(ub / blocks), 0)
        n = m.add_variables(
            lower=0,
            upper=_da(nmax, ("offer", "start"), c),
            coords=[c["offer"], c["start"]],
            name="blocks",
            integer=True,
        )
        fixed_part = np.where(free, 0.0, p.x_lb)
        m.add_constraints(
            x - n * _da(blocks, ("offer", "start"), c) == _da(fixed_part, ("offer", "start"), c),
            name="block",
        )
        if (p.min_start > 0).any():
            use = m.add_variables(coords=[c["offer"], c["start"]], name="signed", binary=True)
            mins = _da(
                np.where(free, p.min_start[:, None], 0.0) * np.ones((1, p.n_periods)),
                ("offer", "start"),
                c,
            )
            m.add_constraints(
                x - mins * use >= _da(np.where(free, 0.0, p.x_lb), ("offer", "start"), c),
                name="min_chips",
            )
            m.add_constraints(
                x - _da(np.where(free, ub, p.x_lb), ("offer", "start"), c) * use <= 0,
                name="signed_only",
            )
    v.x, v.k = x, k


def _capacity_bound(p: PlanProblem) -> np.ndarray:
    """A finite upper bound on useful kchips per commitment offer (for bounds and big-M)."""
    peak = p.D.max(axis=(1, 2))  # (W,)
    out = np.zeros(len(p.commit))
    for i, pool in enumerate(p.commit_pool):
        t = p.rate_low[:, pool]
        need = np.where(t > 0, 4.0 * peak / np.where(t > 0, t, 1.0), 0.0)
        out[i] = max(need.max(), p.x_lb[i].sum(), 1e-3)
    return (
        np.minimum(out, np.where(np.isinf(p.active_max), np.inf, p.active_max * p.n_periods))
        if len(out)
        else out
    )


def define_recourse(m: linopy.Model, p: PlanProblem, c: dict[str, pd.Index], v: ModelVars) -> None:
    """Rented capacity y, allocation a and unmet work u (second stage, per scenario)."""
    if p.recourse:
        cap = p.rent_cap.copy()
        big = _recourse_bound(p)
        cap = np.minimum(cap, big[:, None, None])
        v.y = m.add_variables(
            lower=0,
            upper=_da(cap, ("rec", "period", "scenario"), c),
            coords=[c["rec"], c["period"], c["scenario"]],
            name="y",
        )
    allowed = (p.T > 0).T  # (pool, workload)
    ub = np.where(allowed[:, :, None, None], np.inf, 0.0) * np.ones(
        (1, 1, p.n_periods, p.n_scenarios)
    )
    v.a = m.add_variables(
        lower=0,
        upper=_da(ub, ("pool", "workload", "period", "scenario"), c),
        coords=[c["pool"], c["workload"], c["period"], c["scenario"]],
        name="a",
    )
    v.u = m.add_variables(lower=0, coords=[c["workload"], c["period"], c["scenario"]], name="u")


def _recourse_bound(p: PlanProblem) -> np.ndarray:
    peak = p.D.max(axis=(1, 2))
    out = np.zeros(len(p.recourse))
    for i, pool in enumerate(p.recourse_pool):
        t = p.rate_low[:, pool] * p.usable_recourse[i]
        need = np.where(t > 0, 2.0 * peak / np.where(t > 0, t, 1.0), 0.0)
        out[i] = max(need.sum(), 1e-3)
    return out


def define_capacity(m: linopy.Model, p: PlanProblem, c: dict[str, pd.Index], v: ModelVars) -> None:
    """Allocated capacity of each pool within what is delivered and rented."""
    used = v.a.sum("workload")
    supply = None
    if v.k is not None:
        grp = xr.DataArray(
            [p.pools[i] for i in p.commit_pool],
            dims="offer",
            coords={"offer": c["offer"]},
            name="pool",
        )
        supply = delivered_expr(p, c, v).groupby(grp).sum()
    if v.y is not None:
        e = _da(p.usable_recourse, ("rec",), c)
        grp = xr.DataArray(
            [p.pools[i] for i in p.recourse_pool], dims="rec", coords={"rec": c["rec"]}, name="pool"
        )
        rented = (v.y * e).groupby(grp).sum()
        supply = rented if supply is None else supply.add(rented, join="outer")
    assert supply is not None
    supply = supply.reindex(pool=list(p.pools))
    v.cons["capacity"] = m.add_constraints(used - supply.fillna(0) <= 0, name="capacity")


def delivered_expr(p: PlanProblem, c: dict[str, pd.Index], v: ModelVars) -> Any:
    """(offer, period, scenario) delivered kchips: ``kd[t] + d[t,s] (k - kd)[t - shift[s]]``,
    one term per distinct shift (the already-delivered part ``kd`` never slips)."""
    kd = p.k_delivered
    const = np.repeat(kd[:, :, None], p.n_scenarios, axis=2)
    expr = None
    for sh in np.unique(p.shift) if p.shift.size else [0]:
        mask = (p.shift == sh)[:, None, :]  # (o, 1, s)
        coef = p.d * mask
        if not coef.any():
            continue
        ksh = v.k if sh == 0 else v.k.shift(period=int(sh)).fillna(0)
        term = ksh * _da(coef, ("offer", "period", "scenario"), c)
        kd_sh = np.zeros_like(kd)
        kd_sh[:, int(sh) :] = kd[:, : p.n_periods - int(sh)]
        const -= coef * kd_sh[:, :, None]
        expr = term if expr is None else expr + term
    assert expr is not None
    return expr + _da(const, ("offer", "period", "scenario"), c)


def define_demand(m: linopy.Model, p: PlanProblem, c: dict[str, pd.Index], v: ModelVars) -> None:
    """Work done plus unmet work covers demand in every period and scenario."""
    T = (
        _da(p.T.T, ("pool", "workload"), c)
        if p.T_mult is None
        else _da(np.transpose(p.rate_by_scenario(), (1, 0, 2)), ("pool", "workload", "scenario"), c)
    )
    D = _da(p.D, ("workload", "period", "scenario"), c)
    # Equality: allocations are work actually done, so utilisation reads true.
    v.cons["demand"] = m.add_constraints((v.a * T).sum("pool") + v.u == D, name="demand")


def define_costs(m: linopy.Model, p: PlanProblem, c: dict[str, pd.Index], v: ModelVars) -> None:
    """C[s] (present value): delivered commitments, obligations past the horizon (net of
    salvage), rentals and penalties; C1 = 0 (every first-stage cost depends on the slips)."""
    terms = []
    if v.k is not None:
        bill = _da(p.bill_coef(), ("offer", "period", "scenario"), c)
        terms.append((v.k * bill).sum(["offer", "period"]))
        post = _da(p.post_coef(), ("offer", "start", "scenario"), c)
        terms.append((v.x * post).sum(["offer", "start"]))
    if v.y is not None:
        price = _da(p.rent_price_pv, ("rec", "period", "scenario"), c)
        terms.append((v.y * price).sum(["rec", "period"]))
    terms.append((v.u * _da(p.penalty_pv, ("workload", "period"), c)).sum(["workload", "period"]))
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    v.cost_scen = total
    v.cost_first = 0
    # linopy keeps constants out of expressions used as objectives: the cost of commitments
    # already delivered that no decision changes is carried alongside.
    v.cost_const = p.cost_const()


def _fixed_spend(p: PlanProblem) -> np.ndarray:
    """Nominal $M per (period, scenario) of existing capacity delivered whatever happens (the
    constant of ``delivered_expr`` times the price)."""
    if not p.commit:
        return np.zeros((p.n_periods, p.n_scenarios))
    kd = p.k_delivered
    const = np.repeat(kd[:, :, None], p.n_scenarios, axis=2)
    P = p.n_periods
    for sh, mask in p.shift_groups():
        const[:, sh:, :] -= mask[:, None, :] * p.d[:, sh:, :] * kd[:, : P - sh, None]
    return np.asarray(np.einsum("o,ots->ts", p.c_commit, const), dtype=float)


def define_vendor_caps(
    m: linopy.Model, p: PlanProblem, opt: PlanOptions, c: dict[str, pd.Index], v: ModelVars
) -> None:
    """No vendor above the cap: of committed spend (or capacity) in each period, where the cap
    is raised to 1/n_t while only n_t vendors can deliver in period t (``share_scope: period``);
    or of the total contract value signed (``share_scope: portfolio``)."""
    cap = (
        opt.max_vendor_share if opt.max_vendor_share is not None else p.spec.policy.max_vendor_share
    )
    if cap is None or cap >= 1.0 or v.k is None:
        return
    vendors = _idx("vendor", p.providers)
    member = np.array(
        [[1.0 if prov == vv else 0.0 for vv in vendors] for prov in p.commit_provider]
    )
    if p.spec.policy.share_scope is ShareScope.PORTFOLIO:
        w = p.share_weight[:, None] * p.Rext.sum(axis=2)  # (o, start) per kchip signed
        coef = w[:, :, None] * (member - cap)[:, None, :]
        expr = (v.x * _da_v(coef, ("offer", "start", "vendor"), c, vendors)).sum(["offer", "start"])
        coords = [vendors]
    else:
        caps = p.vendor_cap_by_period(cap)  # (P,)
        coef = p.share_weight[:, None, None] * (member[:, :, None] - caps[None, None, :])
        expr = (v.k * _da_v(coef, ("offer", "vendor", "period"), c, vendors)).sum("offer")
        coords = [vendors, c["period"]]
    slack = _elastic(m, opt, "vendor_cap", coords)
    if slack is not None:
        v.slacks["vendor_cap"] = slack
        expr = expr - slack
    v.cons["vendor_cap"] = m.add_constraints(expr <= 0, name="vendor_cap")


def _da_v(
    values: np.ndarray, dims: tuple[str, ...], c: dict[str, pd.Index], vendors: pd.Index
) -> xr.DataArray:
    return _da(values, dims, {**c, "vendor": vendors})


def _elastic(m: linopy.Model, opt: PlanOptions, name: str, coords: list[pd.Index]) -> Any:
    """A non-negative slack on a hard constraint when the model is being diagnosed."""
    if not opt.elastic:
        return None
    return m.add_variables(lower=0, coords=coords, name=f"slack_{name}")


def define_budgets(
    m: linopy.Model, p: PlanProblem, opt: PlanOptions, c: dict[str, pd.Index], v: ModelVars
) -> None:
    """Spend per period and in total within budget, in every scenario."""
    pol = p.spec.policy
    if pol.budget_total is not None and pol.budget_basis is BudgetBasis.SIGNED:
        define_signed_budget(m, p, opt, c, v)
    if pol.budget_per_period is None and (
        pol.budget_total is None or pol.budget_basis is BudgetBasis.SIGNED
    ):
        return
    spend = None
    if v.k is not None:
        cc = _da(p.c_commit, ("offer",), c)
        spend = (delivered_expr(p, c, v) * cc).sum("offer") - _da(
            _fixed_spend(p), ("period", "scenario"), c
        )
    if v.y is not None:
        rent = (v.y * _da(p.rent_price, ("rec", "period", "scenario"), c)).sum("rec")
        spend = rent if spend is None else spend + rent
    if spend is None:
        return
    fixed = _fixed_spend(p)
    if pol.budget_per_period is not None:
        per = spend
        slack = _elastic(m, opt, "budget_period", [c["period"], c["scenario"]])
        if slack is not None:
            v.slacks["budget_period"] = slack
            per = per - slack
        rhs = _da(pol.budget_per_period / 1e6 - fixed, ("period", "scenario"), c)
        v.cons["budget_period"] = m.add_constraints(per <= rhs, name="budget_period")
    if pol.budget_total is not None and pol.budget_basis is BudgetBasis.SPEND:
        total = spend.sum("period")
        slack = _elastic(m, opt, "budget_total", [c["scenario"]])
        if slack is not None:
            v.slacks["budget_total"] = slack
            total = total - slack
        rhs_total = _da(pol.budget_total / 1e6 - fixed.sum(axis=0), ("scenario",), c)
        v.cons["budget_total"] = m.add_constraints(total <= rhs_total, name="budget_total")


def define_signed_budget(
    m: linopy.Model, p: PlanProblem, opt: PlanOptions, c: dict[str, pd.Index], v: ModelVars
) -> None:
    """Total contract value signed (nominal, whole terms, commitments already in
    ``policy.existing`` excluded) within ``budget_total``: sum tcv[o,tau] (x - x_existing) <= B."""
    if v.x is None:
        return
    assert p.spec.policy.budget_total is not None
    lhs = (v.x * _da(p.tcv, ("offer", "start"), c)).sum()
    slack = _elastic(m, opt, "budget_total", [pd.Index([0], name="one")])
    if slack is not None:
        v.slacks["budget_total"] = slack
        lhs = lhs - slack.sum()
    rhs = p.spec.policy.budget_total / 1e6 + float((p.tcv * p.x_delivered).sum())
    v.cons["budget_total"] = m.add_constraints(lhs <= rhs, name="budget_total")


def define_shortfall_risk(
    m: linopy.Model, p: PlanProblem, opt: PlanOptions, c: dict[str, pd.Index], v: ModelVars
) -> None:
    """CVaR of the unmet share of demand at most the limit (Rockafellar-Uryasev form)."""
    pol = p.spec.policy
    if pol.shortfall_max_fraction is None or pol.shortfall_alpha is None:
        return
    vol = p.volume  # (W,) volume weights
    total = np.einsum("w,wts->s", vol, p.D)  # (S,)
    weight = vol[:, None] / np.where(total > 0, total, 1.0)[None, :]  # (W, S)
    share = (v.u * _da(weight, ("workload", "scenario"), c)).sum(["workload", "period"])
    zeta = m.add_variables(coords=[pd.Index([0], name="one")], name="zeta")
    vv = m.add_variables(lower=0, coords=[c["scenario"]], name="v_short")
    m.add_constraints(vv - share + zeta.sum() >= 0, name="shortfall_tail")
    lhs = zeta.sum() + (vv * _da(p.prob / (1 - pol.shortfall_alpha), ("scenario",), c)).sum()
    slack = _elastic(m, opt, "shortfall_risk", [pd.Index([0], name="one")])
    if slack is not None:
        v.slacks["shortfall_risk"] = slack
        lhs = lhs - slack.sum()
    v.cons["shortfall_risk"] = m.add_constraints(
        lhs <= pol.shortfall_max_fraction, name="shortfall_risk"
    )


def define_min_vendors(
    m: linopy.Model, p: PlanProblem, opt: PlanOptions, c: dict[str, pd.Index], v: ModelVars
) -> None:
    """At least n vendors, each holding at least 1/(2n) of committed spend (MILP only)."""
    n = p.spec.policy.min_vendors
    if n is None or n <= 1 or v.k is None:
        return
    vendors = _idx("vendor", p.providers)
    member = np.array(
        [[1.0 if prov == vv else 0.0 for vv in vendors] for prov in p.commit_provider]
    )
    spend = (
        v.k
        * xr.DataArray(
            p.c_commit[:, None] * member,
            dims=("offer", "vendor"),
            coords={"offer": c["offer"], "vendor": vendors},
        )
    ).sum(["offer", "period"])
    total = (v.k * _da(p.c_commit, ("offer",), c)).sum(["offer", "period"])
    big = float((p.c_commit * np.minimum(_capacity_bound(p), 1e6)).sum() * p.n_periods) + 1.0
    use = m.add_variables(coords=[vendors], name="vendor_used", binary=True)
    m.add_constraints(spend - big * use <= 0, name="vendor_used_only")
    m.add_constraints(spend - total / (2 * n) - big * use >= -big, name="vendor_min_share")
    count = use.sum()
    slack = _elastic(m, opt, "min_vendors", [pd.Index([0], name="one")])
    if slack is not None:
        v.slacks["min_vendors"] = slack
        count = count + slack.sum()
    v.cons["min_vendors"] = m.add_constraints(count >= n, name="min_vendors")


def define_objective(
    m: linopy.Model, p: PlanProblem, opt: PlanOptions, c: dict[str, pd.Index], v: ModelVars
) -> None:
    """Expected cost + lambda * CVaR; under diagnosis, only the (weighted) slacks."""
    if v.slacks:
        sums = [s.sum() for s in v.slacks.values()]
        penalty = sums[0]
        for term in sums[1:]:
            penalty = penalty + term
        m.add_objective(penalty)
        return
    lam = opt.risk_weight if opt.risk_weight is not None else p.spec.policy.risk_weight
    prob = _da(p.prob, ("scenario",), c)
    obj = (v.cost_scen * prob).sum()
    if lam > 0:
        alpha = p.spec.policy.cvar_alpha
        eta = m.add_variables(coords=[pd.Index([0], name="one")], name="eta")
        z = m.add_variables(lower=0, coords=[c["scenario"]], name="z")
        v.cons["cvar"] = m.add_constraints(
            z - v.cost_scen + eta.sum() >= _da(v.cost_const, ("scenario",), c), name="cvar"
        )
        obj = obj + lam * eta.sum() + (z * (prob * (lam / (1 - alpha)))).sum()
    m.add_objective(obj)
