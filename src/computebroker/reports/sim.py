"""Tables and figures of a simulation: headline figures, per-pool utilisation and cost, the
pool-usage timeline, and the JCT distribution."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from computebroker.reports.html import PALETTE, HtmlReport, money
from computebroker.scheduler.types import JobKind
from computebroker.sim.metrics import SimReport
from computebroker.sim.simulator import SimState

if TYPE_CHECKING:  # imported by the figures (the summary and pool rows need no plotly)
    import plotly.graph_objects as go

__all__ = ["add_sim_sections", "fig_jct_cdf", "fig_timeline", "pool_rows", "summary_rows"]


def _h(s: float | None) -> str:
    return "—" if s is None else f"{s / 3600:,.2f} h"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1%}"


def summary_rows(r: SimReport) -> list[dict[str, Any]]:
    """(figure, value) rows for a terminal or HTML table."""
    rows = [
        ("policy", r.policy),
        (
            "jobs (finished / unfinished / rejected)",
            f"{r.finished:,} / {r.unfinished:,} / {r.rejected:,}",
        ),
        ("average JCT", _h(r.avg_jct_s)),
        ("p50 / p99 JCT", f"{_h(r.p50_jct_s)} / {_h(r.p99_jct_s)}"),
        ("makespan", _h(r.makespan_s)),
        ("average queueing delay", _h(r.avg_queue_s)),
        ("utilisation, all pools", f"{r.utilisation:.1%}"),
        ("utilisation of committed capacity", _pct(r.utilisation_committed)),
        ("utilisation of rental caps (on-demand, spot)", _pct(r.utilisation_rented)),
        ("spend billed (the realised cost's spend part)", money(r.cost_usd)),
        (
            "work lost to faults",
            f"{r.work_lost:,.4g} {r.unit} ({r.chip_hours_lost:,.1f} chip-hours, {r.restarts} restarts)",
        ),
    ]
    if r.deadline_met is not None:
        rows.append(("deadlines met", f"{r.deadline_met:.1%}"))
    if r.slo_attainment is not None:
        rows.append(("service demand served (SLO attainment)", f"{r.slo_attainment:.2%}"))
        rows.append(("service shortfall", f"{r.service_shortfall:,.4g} {r.unit}"))
    rows.append(("reallocations / events", f"{r.reallocations:,} / {r.events:,}"))
    return [{"figure": a, "value": b} for a, b in rows]


def pool_rows(st: SimState, r: SimReport) -> list[dict[str, Any]]:
    """One row per pool: chips, utilisation, cost, and where its price came from
    (``price_basis``: a pool not priced says why its cost is 0)."""
    out = []
    for k, p in enumerate(st.pools):
        chip_s = st.paid_chip_s[k] if p.committed else st.busy_chip_s[k]
        out.append(
            {
                "pool": p.name,
                "provider": p.provider,
                "accelerator": p.accelerator,
                "contract": p.contract,
                "chip_hours": st.capacity_chip_s[k] / 3600.0,
                "busy_chip_hours": st.busy_chip_s[k] / 3600.0,
                "utilisation": r.utilisation_by_pool[p.name],
                "price_chip_hour": p.price_chip_hour,
                "price_basis": p.price_basis,
                "cost_usd": p.price_chip_hour * chip_s / 3600.0,
            }
        )
    return out


def fig_timeline(r: SimReport) -> go.Figure:
    """Chips in use per pool over time (stacked), with total capacity."""
    import plotly.graph_objects as go

    tl = r.timeline
    fig = go.Figure()
    t = tl.get("t_hours", [])
    for i, (name, used) in enumerate(tl.get("used", {}).items()):
        fig.add_trace(
            go.Scatter(
                x=t,
                y=used,
                name=name,
                stackgroup="used",
                mode="lines",
                line={"shape": "hv", "color": PALETTE[i % len(PALETTE)]},
            )
        )
    caps = tl.get("capacity", {})
    if caps:
        total = np.sum([np.asarray(v) for v in caps.values()], axis=0)
        fig.add_trace(
            go.Scatter(
                x=t,
                y=total.tolist(),
                name="capacity",
                mode="lines",
                line={"shape": "hv", "color": "#102a43", "dash": "dash"},
            )
        )
    fig.update_layout(
        title="Chips in use by pool",
        xaxis_title="hours",
        yaxis_title="chips",
        height=380,
        margin={"t": 50, "l": 60, "r": 20, "b": 40},
    )
    return fig


def fig_jct_cdf(st: SimState) -> go.Figure:
    """Cumulative distribution of job completion times."""
    import plotly.graph_objects as go

    # training jobs only: a service runs until its end, so its "completion time" is its lifetime
    jct = (
        np.sort([r.jct for r in st.records if r.jct is not None and r.kind is JobKind.TRAIN])
        / 3600.0
    )
    fig = go.Figure()
    if len(jct):
        fig.add_trace(
            go.Scatter(x=jct, y=np.arange(1, len(jct) + 1) / len(jct), mode="lines", name="JCT")
        )
    fig.update_layout(
        title="Job completion time (CDF)",
        xaxis_title="hours (log)",
        xaxis_type="log",
        yaxis_title="share of jobs",
        height=340,
        margin={"t": 50, "l": 60, "r": 20, "b": 40},
    )
    return fig


def add_sim_sections(
    report: HtmlReport, st: SimState, r: SimReport, *, prefix: str = "sim"
) -> None:
    """The simulation's sections: headline, timeline, pools, JCT."""
    s = report.section(f"Simulation: {r.policy}", f"{prefix}-summary")
    s.kpis(
        [
            ("average JCT", _h(r.avg_jct_s)),
            ("p99 JCT", _h(r.p99_jct_s)),
            ("makespan", _h(r.makespan_s)),
            ("utilisation", f"{r.utilisation:.1%}"),
            ("spend billed", money(r.cost_usd)),
            ("work lost", f"{r.chip_hours_lost:,.1f} chip-h"),
        ]
    )
    s.table(summary_rows(r))
    s.figure(fig_timeline(r))
    p = report.section("Simulation: pools", f"{prefix}-pools")
    p.table(pool_rows(st, r))
    j = report.section("Simulation: job completion times", f"{prefix}-jct")
    j.figure(fig_jct_cdf(st))
    if r.rejected_reasons:
        j.table([{"reason": k, "jobs": v} for k, v in r.rejected_reasons.items()])
