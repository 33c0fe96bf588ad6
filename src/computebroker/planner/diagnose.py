"""Why a scenario has no plan, in the user's terms (which demand, period, cap or budget, and by
how much) — never a bare solver status.

Shortfall is always allowed (at a penalty), so demand alone never makes a plan impossible; what
can are the hard rules: commitments already signed above an offer's quantity, vendor caps,
budgets, a shortfall-risk limit and a minimum number of vendors. The diagnosis first checks the
signed commitments directly, then re-solves an *elastic* copy of the model in which each hard
rule may be broken at a cost, and reports every rule the cheapest such plan had to break, with
the size of the break. The elastic copy's values are read only when HiGHS holds a solution, and
a missing or NaN value is an error, never a zero-sized break.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from computebroker.planner.build import PlanOptions, build_model
from computebroker.planner.outcome import PlanStatus, finite_values, plan_status, solve_linopy
from computebroker.planner.problem import KCHIPS, MUSD, PlanProblem

__all__ = ["explain"]


def _money(v: float) -> str:
    return f"${v / 1e9:,.2f}B" if abs(v) >= 1e9 else f"${v / 1e6:,.1f}M"


def _signed_over_caps(p: PlanProblem) -> list[str]:
    out = []
    usable = np.einsum("oij,oi->oj", p.R, p.x_lb) if len(p.commit) else np.zeros((0, p.n_periods))
    for i, oid in enumerate(p.commit):
        over = usable[i] - p.active_max[i]
        t = int(np.argmax(over))
        if over[t] > 1e-9:
            out.append(
                f"offer {oid}: commitments already signed give {usable[i, t] * KCHIPS:,.0f} usable chips in "
                f"{p.periods[t]}, above its max_chips of {p.active_max[i] * KCHIPS:,.0f}; raise max_chips or "
                "correct policy.existing"
            )
    return out


def explain(p: PlanProblem, opt: PlanOptions, status: str) -> tuple[str, ...]:
    """Sentences naming the rules that make the scenario impossible and by how much."""
    direct = _signed_over_caps(p)
    if direct:
        return tuple(direct)
    m, v = build_model(p, replace(opt, elastic=True, milp=opt.milp))
    limit = {} if opt.time_limit_s is None else {"time_limit": float(opt.time_limit_s)}
    facts = solve_linopy(m, limit)
    elastic = plan_status(facts)
    if elastic.is_limit:
        return (
            f"the solver reports the scenario {status}; the search for the rules that make it so "
            f"stopped at {elastic.what} after {facts.seconds:,.1f} s: check vendor caps, budgets, "
            "the shortfall-risk limit and the vendor minimum against the commitments already signed",
        )
    if elastic is not PlanStatus.OPTIMAL or not v.slacks:
        return (
            f"the solver reports the scenario {status}, and relaxing vendor caps, budgets, the "
            "shortfall-risk limit and the vendor minimum does not help: check offers' availability "
            "windows and max_chips against the commitments already signed",
        )
    pol = p.spec.policy
    out: list[str] = []
    for name, var in v.slacks.items():
        sl = finite_values(var, f"{name} slacks")
        if sl.max(initial=0.0) <= 1e-7:
            continue
        if name == "vendor_cap" and sl.ndim == 1:  # share_scope: portfolio
            vendor = p.providers[int(np.argmax(sl))]
            cap = opt.max_vendor_share if opt.max_vendor_share is not None else pol.max_vendor_share
            out.append(
                f"vendor cap {cap:.0%} of the portfolio's contract value: {vendor}'s commitments "
                "already signed exceed it and no other vendor's offers can balance it; raise "
                "policy.max_vendor_share or add offers from other vendors"
            )
        elif name == "vendor_cap":
            vi, ti = np.unravel_index(np.argmax(sl), sl.shape)
            vendor = p.providers[int(vi)]
            basis = pol.share_basis.value
            k = np.einsum("oij,oi->oj", p.R, p.x_lb)
            total = float((p.share_weight[:, None] * k).sum(axis=0)[ti])
            mine = float(
                sum(
                    p.share_weight[o] * k[o, ti]
                    for o, prov in enumerate(p.commit_provider)
                    if prov == vendor
                )
            )
            share = mine / total if total > 0 else 1.0
            cap = opt.max_vendor_share if opt.max_vendor_share is not None else pol.max_vendor_share
            out.append(
                f"vendor cap {cap:.0%} of {basis}: in {p.periods[int(ti)]} {vendor} holds {share:.0%} of committed "
                f"{basis} through commitments already signed, and no other vendor's offers can balance it; "
                f"raise policy.max_vendor_share to at least {share:.0%} or add offers from other vendors "
                f"available in {p.periods[int(ti)]}"
            )
        elif name == "budget_period":
            worst = sl.max(axis=1) * MUSD  # per period
            t = int(np.argmax(worst))
            frac = float((p.prob * (sl[t] > 1e-7)).sum())
            out.append(
                f"budget_per_period {_money(pol.budget_per_period or 0)}: in {p.periods[t]} the commitments "
                f"already signed cost up to {_money(worst[t])} more than the budget ({frac:.0%} of scenarios); "
                f"raise policy.budget_per_period to at least {_money((pol.budget_per_period or 0) + worst[t])}"
            )
        elif name == "budget_total":
            worst = float(sl.max()) * MUSD
            out.append(
                f"budget_total {_money(pol.budget_total or 0)}: the commitments already signed cost up to "
                f"{_money(worst)} more over the horizon; raise policy.budget_total to at least "
                f"{_money((pol.budget_total or 0) + worst)}"
            )
        elif name == "shortfall_risk":
            eps = pol.shortfall_max_fraction or 0.0
            best = eps + float(sl.sum())
            u = finite_values(v.u, "unmet work")  # (W, P, S)
            by = (u * p.prob).sum(axis=2) * p.scale[:, None]
            wi, ti = np.unravel_index(np.argmax(by / np.maximum(p.scale[:, None], 1e-12)), by.shape)
            tail = 1 - (pol.shortfall_alpha or 0.95)
            out.append(
                f"shortfall risk: in the worst {tail:.0%} of scenarios unmet demand must average at most "
                f"{eps:.1%}, but the offers allow no better than {best:.1%}; the largest gap is "
                f"{p.workloads[int(wi)]} in {p.periods[int(ti)]} (expected unmet {by[wi, ti]:,.3g} "
                f"{p.units[int(wi)]}); raise offers' max_chips or availability there, or loosen "
                "policy.shortfall_risk.max_unmet_fraction"
            )
        elif name == "min_vendors":
            missing = float(sl.sum())
            out.append(
                f"min_vendors {pol.min_vendors}: only {(pol.min_vendors or 0) - round(missing)} vendors can each hold "
                f"at least 1/{2 * (pol.min_vendors or 1)} of committed spend; add offers or lower policy.min_vendors"
            )
    return tuple(out) or (f"the solver reports the scenario {status}",)
