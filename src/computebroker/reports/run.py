"""The one report of a whole run (``computebroker run`` / ``demo``): does the plan survive?

Sections: the verdict (each simulated case against what the plan promised), the offers in
play, the throughput matrix and price-performance, the plan (its own sections), and the
simulations (baseline in full, each stress case's headline and timeline).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from computebroker.reports.html import HtmlReport, money
from computebroker.reports.plan import add_headline_section, add_stress_section, stress_text
from computebroker.reports.plan_figures import add_plan_sections
from computebroker.reports.sim import add_sim_sections, fig_timeline
from computebroker.units import BILLION, MILLION, SECONDS_PER_HOUR
from computebroker.workflow import RunResult, SimCase

__all__ = [
    "build_run_report",
    "fig_cases",
    "fig_price_performance",
    "fig_throughput_heatmap",
    "plan_percentile",
    "signed_obligations",
    "verdict_rows",
    "verdict_text",
]


def plan_percentile(run: RunResult, total_usd: float) -> float:
    """Share (0-1) of the plan's scenario costs, probability-weighted, at or below ``total_usd``:
    where a realised cost falls in the plan's own distribution."""
    costs = run.plan.cost_nominal * MILLION  # realised totals are nominal bills
    return float(run.problem.prob[costs <= total_usd].sum())


def signed_obligations(run: RunResult) -> tuple[float, float]:
    """(total contract value of the schedule, the part of it due after the horizon), nominal.

    The total is the sum of every commitment's obligation (chips x price x hours over its whole
    term from delivery, past the horizon included); the part after the horizon is the sum of the
    commitments' own ``after_horizon_usd``, so what is due within the horizon is the
    difference."""
    schedule = run.metrics.schedule
    return (
        float(sum(c.obligation_usd for c in schedule)),
        float(sum(c.after_horizon_usd for c in schedule)),
    )


def _ordinal(q: float) -> str:
    n = round(q * 100)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def verdict_rows(run: RunResult) -> list[dict[str, Any]]:
    """One row per simulated case, on the plan's terms: realised cost is shown with its three
    labelled parts (spend in the horizon + shortfall penalty + charged after the horizon)."""
    rows = []
    for c in run.cases:
        z, r = c.realised, c.report
        worst = max(z.unmet_by_class, key=lambda w: z.unmet_by_class[w]) if z.unmet_by_class else ""
        rows.append(
            {
                "case": c.name,
                "spend in horizon": money(z.spend_usd),
                "+ shortfall penalty": money(z.penalty_usd),
                "+ after horizon": money(z.post_horizon_usd),
                "= realised cost": money(z.total_usd),
                "percentile in plan": _ordinal(plan_percentile(run, z.total_usd)),
                "plan p05-p95": f"{money(z.plan_p05_usd)} - {money(z.plan_p95_usd)}",
                "unmet (penalty-weighted)": f"{z.unmet_share:.2%}",
                "worst class": f"{worst} {z.unmet_by_class[worst]:.1%}" if worst else "—",
                "avg JCT": "—"
                if r.avg_jct_s is None
                else f"{r.avg_jct_s / SECONDS_PER_HOUR:,.0f} h",
                "util. committed": "—"
                if r.utilisation_committed is None
                else f"{r.utilisation_committed:.0%}",
                "util. rentals": "—"
                if r.utilisation_rented is None
                else f"{r.utilisation_rented:.0%}",
                "work lost": f"{r.chip_hours_lost:,.0f} chip-h",
            }
        )
    return rows


def _cheaper_than_base(base: SimCase, case: SimCase) -> str:
    """Why a stress case can come out cheaper than the base: say it, with the figures (each
    difference stated as a positive amount in words, never as a negative one)."""
    zb, zc = base.realised, case.realised
    less = zb.total_usd - zc.total_usd
    if less <= 0:
        return ""
    if less < NEGLIGIBLE_SHARE * zb.total_usd:
        return (
            f" It costs the same as the plan as drawn to within {NEGLIGIBLE_SHARE:.1%} "
            f"({money(less)} less): the fault barely touched what ran."
        )
    spend_less = zb.spend_usd - zc.spend_usd
    if spend_less > 0:
        return (
            f" It is cheaper than the plan as drawn because capacity that is late or down is "
            f"not billed while unusable (terms run from first usable capacity): spend falls by "
            f"{money(spend_less)} while the shortfall penalty changes by "
            f"{_signed_money(zc.penalty_usd - zb.penalty_usd)}; the unmet work, not the bill, "
            "is the cost of this stress."
        )
    return (
        f" It is cheaper than the plan as drawn by {money(less)}: spend "
        f"{_signed_money(-spend_less)}, shortfall penalty "
        f"{_signed_money(zc.penalty_usd - zb.penalty_usd)}."
    )


# a stress within this share of the base's realised cost is "the same" (sampling-level noise)
NEGLIGIBLE_SHARE = 0.001


def _signed_money(v: float) -> str:
    return f"+{money(v)}" if v >= 0 else f"−{money(-v)}"


def verdict_text(run: RunResult) -> str:
    """One paragraph a strategy team reads first."""
    m = run.metrics
    base = run.cases[0] if run.cases else None
    tcv, after = signed_obligations(run)
    labels = run.problem.periods
    parts = [
        f"The plan signs {money(tcv)} of contracts (total contract value of "
        f"{len(m.schedule)} commitments, nominal): {money(tcv - after)} due in "
        f"{labels[0]}–{labels[-1]} and {money(after)} after it. It expects a total cost of {money(m.expected_cost_usd)} "
        f"(p05–p95 {money(m.cost_p05_usd)}–{money(m.cost_p95_usd)}) with {m.p_shortfall:.0%} "
        "probability of some shortfall."
    ]
    if base is not None:
        z = base.realised
        parts.append(
            f"Run against a fresh demand and delivery draw, the planned fleet cost "
            f"{money(z.total_usd)} on the plan's terms ({money(z.spend_usd)} spend + "
            f"{money(z.penalty_usd)} shortfall penalty + {money(z.post_horizon_usd)} after the "
            f"horizon), the {_ordinal(plan_percentile(run, z.total_usd))} percentile of the "
            f"plan's scenario costs, leaving {z.unmet_share:.1%} of the penalty-weighted work "
            "undone in its period."
        )
    for c in run.cases[1:]:
        z = c.realised
        parts.append(
            f"Stress '{c.name}': {money(z.total_usd)} "
            f"({_ordinal(plan_percentile(run, z.total_usd))} percentile), "
            f"{z.unmet_share:.1%} undone."
            + (_cheaper_than_base(base, c) if base is not None else "")
        )
    if run.stress is not None:
        parts.append(stress_text(run.stress))
    return " ".join(parts)


def fig_cases(run: RunResult) -> go.Figure:
    """Where each case's realised cost falls in the plan's distribution of scenario costs (CDF)."""
    costs = np.sort(run.plan.cost * MILLION) / BILLION
    prob = run.problem.prob[np.argsort(run.plan.cost)]
    cdf = np.cumsum(prob)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=costs,
            y=cdf,
            mode="lines",
            line={"shape": "hv", "color": "#486581"},
            name="plan: scenario costs",
        )
    )
    colors = ["#2ca02c", "#d62728", "#ff7f0e", "#9467bd"]
    for i, c in enumerate(run.cases):
        x = c.realised.total_usd / BILLION
        q = float(np.interp(x, costs, cdf, left=0.0, right=1.0))
        fig.add_trace(
            go.Scatter(
                x=[x],
                y=[q],
                mode="markers",
                marker={"size": 13, "color": colors[i % len(colors)], "symbol": "diamond"},
                name=f"{c.name}: {money(c.realised.total_usd)}",
            )
        )
    reals = [c.realised.total_usd / BILLION for c in run.cases]
    hi = max([float(np.quantile(costs, 0.99)), *reals]) * 1.05
    lo = min([float(costs[0]), *reals]) * 0.97
    fig.update_layout(
        title="Realised cost of each case within the plan's distribution of scenario costs",
        xaxis={"title": "USD billions (cost on the plan's terms)", "range": [lo, hi]},
        yaxis={"title": "share of plan scenarios at or below", "range": [0, 1.02]},
        height=400,
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 60, "l": 60, "r": 20, "b": 40},
    )
    return fig


def fig_throughput_heatmap(run: RunResult) -> go.Figure:
    """Work per chip-hour of each class on each chip, relative to the best chip for the class."""
    ds = run.matrix
    z = ds.work_per_chip_hour.values
    rel = z / np.nanmax(z, axis=1, keepdims=True)
    fig = go.Figure(
        go.Heatmap(
            z=rel,
            x=[str(a) for a in ds.accelerator.values],
            y=[str(w) for w in ds.workload.values],
            colorscale="Viridis",
            zmin=0,
            zmax=1,
            text=[[("—" if np.isnan(v) else f"{v:,.3g}") for v in row] for row in z],
            hovertemplate="%{y} on %{x}: %{text} per chip-hour<extra></extra>",
            colorbar={"title": "vs best"},
        )
    )
    fig.update_layout(
        title="Throughput matrix (relative to the best chip for each class)",
        height=320,
        margin={"t": 50, "l": 120, "r": 20, "b": 40},
    )
    return fig


def fig_price_performance(run: RunResult) -> go.Figure:
    """USD per million units of work by chip, one group per workload class."""
    fig = go.Figure()
    for acc in sorted({r["accelerator"] for r in run.ranking}):
        rows = [r for r in run.ranking if r["accelerator"] == acc]
        fig.add_trace(
            go.Bar(
                x=[r["workload"] for r in rows], y=[r["usd_per_million"] for r in rows], name=acc
            )
        )
    fig.update_layout(
        title="Price of the work: USD per million tokens (trained or served) at each chip's cheapest offer",
        barmode="group",
        yaxis_type="log",
        yaxis_title="USD per million (log)",
        height=380,
        margin={"t": 50, "l": 60, "r": 20, "b": 40},
    )
    return fig


def _case_section(report: HtmlReport, c: SimCase, i: int) -> None:
    s = report.section(f"Stress: {c.name}", f"stress-{i}")
    s.text(c.description, "note")
    z = c.realised
    s.kpis(
        [
            ("spend in horizon", money(z.spend_usd)),
            ("+ shortfall penalty", money(z.penalty_usd)),
            ("+ after horizon", money(z.post_horizon_usd)),
            ("= realised cost", money(z.total_usd)),
            ("unmet (penalty-weighted)", f"{z.unmet_share:.2%}"),
            ("utilisation", f"{c.report.utilisation:.0%}"),
            ("work lost", f"{c.report.chip_hours_lost:,.0f} chip-h"),
        ]
    )
    s.table(
        [
            {"class": w, "unmet share": v, "plan expected unmet": z.plan_expected_unmet[w]}
            for w, v in z.unmet_by_class.items()
        ]
    )
    s.figure(fig_timeline(c.report))


def build_run_report(run: RunResult) -> HtmlReport:
    """The whole report of a run."""
    spec = run.spec
    page = HtmlReport(title=f"computebroker: {spec.name}", subtitle=spec.description.strip())
    v = page.section("Does the plan survive?", "verdict")
    v.text(verdict_text(run))
    v.table(verdict_rows(run))
    v.figure(fig_cases(run))
    if spec.notes:
        v.raw(
            "<details><summary>Facts and assumptions of the scenario</summary><ul>"
            + "".join(f"<li>{_esc(n)}</li>" for n in spec.notes)
            + "</ul></details>"
        )
    add_headline_section(page, run.metrics)
    c = page.section("Catalog: offers in play", "catalog")
    c.table(
        run.offers,
        [
            ("offer", "offer"),
            ("provider", "provider"),
            ("accelerator", "chip"),
            ("contract", "contract"),
            ("price_chip_hour", "$/chip-h"),
            ("usd_per_pflop_hour", "$/PFLOP-h (bf16 peak)"),
            ("max_chips", "max chips"),
            ("price_source", "price source"),
        ],
    )
    e = page.section("Estimate: throughput and price-performance", "estimate")
    e.figure(fig_throughput_heatmap(run))
    e.figure(fig_price_performance(run))
    e.table(
        [r for r in run.ranking if r["rank"] <= 3],
        [
            ("workload", "class"),
            ("rank", "rank"),
            ("accelerator", "chip"),
            ("offer", "cheapest offer"),
            ("work_per_chip_hour", "work/chip-h"),
            ("usd_per_million", "$ per million"),
            ("unit", "unit"),
        ],
    )
    add_plan_sections(
        page, run.plan, run.metrics, out_of_sample=run.out_of_sample, frontier=run.frontier
    )
    add_stress_section(page, run.stress)
    if run.cases:
        base = run.cases[0]
        add_sim_sections(page, base.state, base.report, prefix="sim")
        for i, case in enumerate(run.cases[1:], start=1):
            _case_section(page, case, i)
    t = page.section("Run", "run")
    t.table([{"stage": k, "seconds": v} for k, v in run.seconds.items()])
    return page


def _esc(s: str) -> str:
    import html

    return html.escape(s)
