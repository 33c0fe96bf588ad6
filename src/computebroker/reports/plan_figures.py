"""Figures and report sections of a plan: committed capacity by provider, demand fan against
what capacity could deliver, cost distribution with CVaR, frontier, vendor shares."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from computebroker.planner.document import SCHEDULE_COLUMNS, price_of_work_rows, schedule_rows
from computebroker.planner.frontier import FrontierPoint
from computebroker.planner.problem import KCHIPS, PlanProblem
from computebroker.planner.result import Plan, PlanMetrics
from computebroker.reports.html import PALETTE, HtmlReport, money

__all__ = [
    "add_plan_sections",
    "fig_committed_capacity",
    "fig_cost_distribution",
    "fig_demand_fan",
    "fig_frontier",
]


def fig_committed_capacity(plan: Plan) -> go.Figure:
    """Stacked usable committed chips by provider over time (nominal, before slips)."""
    p = plan.problem
    fig = go.Figure()
    for i, prov in enumerate(p.providers):
        chips = sum(plan.k[o] for o, pr in enumerate(p.commit_provider) if pr == prov) * KCHIPS
        fig.add_trace(
            go.Scatter(
                x=list(p.periods),
                y=list(np.asarray(chips, dtype=float)),
                name=prov,
                stackgroup="one",
                mode="lines",
                line={"color": PALETTE[i % len(PALETTE)]},
                hovertemplate="%{x}: %{y:,.0f} chips<extra>" + prov + "</extra>",
            )
        )
    fig.update_layout(
        title="Committed capacity by provider (usable chips)",
        xaxis_title="period",
        yaxis_title="chips",
        height=380,
        margin={"t": 50, "b": 40},
    )
    return fig


def fig_demand_fan(plan: Plan) -> go.Figure:
    """Per class: demand percentiles (fan) vs expected work done and the capacity ceiling."""
    p = plan.problem
    n = len(p.workloads)
    # units go in each subplot's title, not its y-axis title, which would run into the
    # neighbouring plot; spacing and automargin keep the ticks inside the figure
    fig = make_subplots(
        rows=1,
        cols=n,
        subplot_titles=[
            f"{w}<br><sup>{p.units[i]} per period</sup>" for i, w in enumerate(p.workloads)
        ],
        horizontal_spacing=min(0.08, 0.6 / max(n, 1)),
    )
    x = list(p.periods)
    avail = np.zeros((len(p.pools), p.n_periods, p.n_scenarios))
    delivered = p.delivered(plan.k)
    for o, pool in enumerate(p.commit_pool):
        avail[pool] += delivered[o]
    for r, pool in enumerate(p.recourse_pool):
        avail[pool] += plan.y[r] * p.usable_recourse[r]
    for i, _w in enumerate(p.workloads):
        d = p.D[i] * p.scale[i]
        qs = {
            q: np.quantile(d, q, axis=1, method="inverted_cdf")
            for q in (0.05, 0.25, 0.5, 0.75, 0.95)
        }
        done = np.einsum("pts,p->ts", plan.a[:, i], p.T[i]) * p.scale[i]
        ceiling = np.einsum("pts,p->ts", avail, p.T[i]) * p.scale[i]
        col = i + 1
        show = i == 0
        fig.add_trace(
            go.Scatter(
                x=x, y=list(qs[0.95]), line={"width": 0}, showlegend=False, hoverinfo="skip"
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=list(qs[0.05]),
                fill="tonexty",
                fillcolor="rgba(31,119,180,0.15)",
                line={"width": 0},
                name="demand 5-95%",
                showlegend=show,
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=x, y=list(qs[0.75]), line={"width": 0}, showlegend=False, hoverinfo="skip"
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=list(qs[0.25]),
                fill="tonexty",
                fillcolor="rgba(31,119,180,0.3)",
                line={"width": 0},
                name="demand 25-75%",
                showlegend=show,
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=list(qs[0.5]),
                line={"color": "#1f77b4"},
                name="demand median",
                showlegend=show,
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=list((done * p.prob).sum(axis=1)),
                line={"color": "#2ca02c", "dash": "dash"},
                name="work done (expected)",
                showlegend=show,
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=list((ceiling * p.prob).sum(axis=1)),
                line={"color": "#d62728", "dash": "dot"},
                name="capacity if all given to this class",
                showlegend=show,
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(automargin=True, tickformat="~s", row=1, col=col)
        fig.update_xaxes(automargin=True, tickangle=-45, nticks=6, row=1, col=col)
    fig.update_layout(
        title="Demand fan against capacity",
        height=420,
        margin={"t": 90, "b": 60, "l": 50, "r": 20},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def fig_cost_distribution(plan: Plan, m: PlanMetrics) -> go.Figure:
    """Histogram of scenario costs with expected cost and CVaR marked."""
    cost = plan.cost * 1e6
    fig = go.Figure(
        go.Histogram(
            x=list(cost / 1e9),
            nbinsx=40,
            marker={"color": "#9fb3c8"},
            name="scenario cost",
            hovertemplate="$%{x:.2f}B: %{y} scenarios<extra></extra>",
        )
    )
    for i, (value, label, color) in enumerate(
        (
            (m.expected_cost_usd, "expected", "#102a43"),
            (m.cost_p95_usd, "p95", "#f0b429"),
            (m.cvar_usd, f"CVaR{round(m.cvar_alpha * 100)}", "#d62728"),
        )
    ):
        # each label on its own line (they would overlap where the values are close)
        fig.add_vline(
            x=value / 1e9,
            line={"color": color, "dash": "dash"},
            annotation_text=f"{label} {money(value)}",
            annotation_position="top right",
            annotation_yshift=-18 * i,
            annotation_font_color=color,
        )
    fig.update_layout(
        title="Cost distribution over scenarios",
        xaxis_title="total cost over the horizon ($B)",
        yaxis_title="scenarios",
        height=360,
        margin={"t": 60, "b": 40},
        showlegend=False,
    )
    return fig


def fig_frontier(points: list[FrontierPoint]) -> go.Figure:
    """Expected cost against CVaR (and P(shortfall)) along the frontier."""
    ok = [pt for pt in points if pt.expected_cost_usd is not None]
    label = "risk weight" if points and points[0].axis.value == "risk" else "vendor cap"
    fig = go.Figure(
        go.Scatter(
            x=[pt.cvar_usd / 1e9 for pt in ok],  # type: ignore[operator]
            y=[pt.expected_cost_usd / 1e9 for pt in ok],  # type: ignore[operator]
            mode="lines+markers+text",
            text=[f"{pt.value:g}" for pt in ok],
            textposition="top center",
            customdata=[[pt.p_shortfall, pt.max_vendor_share] for pt in ok],
            hovertemplate=label
            + " %{text}: E[cost] $%{y:.2f}B, CVaR $%{x:.2f}B, P(shortfall) %{customdata[0]:.1%}, max vendor share %{customdata[1]:.0%}<extra></extra>",
            marker={"size": 9, "color": "#486581"},
        )
    )
    fig.update_layout(
        title=f"Efficient frontier over {label}",
        xaxis_title="CVaR of cost ($B)",
        yaxis_title="expected cost ($B)",
        height=380,
        margin={"t": 60, "b": 40},
    )
    return fig


def fig_vendor_shares(m: PlanMetrics) -> go.Figure:
    """Share of expected committed spend by vendor."""
    items = sorted(m.vendor_shares.items(), key=lambda kv: -kv[1])
    fig = go.Figure(
        go.Bar(
            x=[k for k, _ in items],
            y=[v for _, v in items],
            marker={"color": PALETTE[: len(items)]},
            hovertemplate="%{x}: %{y:.1%}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Vendor shares of committed spend (HHI {m.hhi:.2f})",
        yaxis_tickformat=".0%",
        height=320,
        margin={"t": 50, "b": 40},
    )
    return fig


def add_plan_sections(
    report: HtmlReport,
    plan: Plan,
    m: PlanMetrics,
    *,
    out_of_sample: PlanMetrics | None = None,
    frontier: list[FrontierPoint] | None = None,
    whatif: list[dict[str, Any]] | None = None,
    prefix: str = "plan",
) -> None:
    """Append the plan's sections to ``report``."""
    p = plan.problem
    s = report.section("Plan: commitments", f"{prefix}-commitments")
    if plan.unproven:
        s.text(f"This plan is not proven optimal — {plan.unproven}.", "warn")
    for note in plan.relaxed:
        s.text(f"Relaxed — {note}.", "warn")
    s.kpis(
        [
            ("expected cost", money(m.expected_cost_usd)),
            (f"CVaR{round(m.cvar_alpha * 100)} of cost", money(m.cvar_usd)),
            ("P(shortfall)", f"{m.p_shortfall:.1%}"),
            ("utilisation", f"{m.utilisation:.0%}"),
            ("vendor HHI", f"{m.hhi:.2f}"),
            ("committed spend (expected)", money(m.committed_spend_usd)),
        ]
    )
    s.text(
        f"{p.n_scenarios} scenarios, {len(p.commit)} commitment and {len(p.recourse)} rental offers, "
        f"{len(p.workloads)} workload classes, {p.periods[0]}..{p.periods[-1]}. Commitments that run past the "
        f"horizon are charged at {_kept(p)} of their remaining obligation ({money(m.post_horizon_usd)}).",
        "note",
    )
    s.figure(fig_committed_capacity(plan))
    s.table(
        schedule_rows(m),
        list(SCHEDULE_COLUMNS),
    )
    s2 = report.section("Plan: demand and risk", f"{prefix}-risk")
    s2.figure(fig_demand_fan(plan))
    s2.figure(fig_cost_distribution(plan, m))
    s2.figure(fig_vendor_shares(m))
    rows = [
        {
            "class": w,
            "expected unmet": m.expected_unmet[w],
            "unmet share": m.expected_unmet_fraction[w],
            "unit": p.units[i],
        }
        for i, w in enumerate(p.workloads)
    ]
    s2.table(rows)
    s2.table([{"vendor": k, "share of committed spend": v} for k, v in m.vendor_shares.items()])
    s2.table(price_of_work_rows(m, dict(zip(p.workloads, p.units, strict=True))))
    if out_of_sample is not None:
        s3 = report.section("Plan: in-sample vs out-of-sample", f"{prefix}-oos")
        s3.table(
            [
                {
                    "figure": "expected cost",
                    "in-sample": m.expected_cost_usd,
                    "out-of-sample": out_of_sample.expected_cost_usd,
                },
                {
                    "figure": "CVaR",
                    "in-sample": m.cvar_usd,
                    "out-of-sample": out_of_sample.cvar_usd,
                },
                {
                    "figure": "P(shortfall)",
                    "in-sample": m.p_shortfall,
                    "out-of-sample": out_of_sample.p_shortfall,
                },
                {
                    "figure": "utilisation",
                    "in-sample": m.utilisation,
                    "out-of-sample": out_of_sample.utilisation,
                },
            ]
        )
    if frontier:
        s4 = report.section("Plan: efficient frontier", f"{prefix}-frontier")
        s4.figure(fig_frontier(frontier))
        s4.table([_pt(pt) for pt in frontier])
    if whatif:
        s5 = report.section("Plan: what-if against the base plan", f"{prefix}-whatif")
        s5.table(whatif)


def _pt(pt: FrontierPoint) -> dict[str, Any]:
    return {
        "value": pt.value,
        "status": pt.status,
        "expected cost $": pt.expected_cost_usd,
        "CVaR $": pt.cvar_usd,
        "P(shortfall)": pt.p_shortfall,
        "max vendor share": pt.max_vendor_share,
    }


def _kept(p: PlanProblem) -> str:
    """The share of post-horizon obligations charged, in words (explicit or terminal salvage)."""
    if p.salvage_post is None:
        return f"{1 - p.salvage:.0%}"
    return (
        f"{p.keep_post[0]:.0%} in the first period past the horizon and more in each later one "
        "(salvage from demand past the horizon, policy.terminal_salvage)"
    )
