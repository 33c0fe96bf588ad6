"""The report section of a policy evaluation: both policies' realised cost distributions on the
same paths, the value of flexibility with its interval, and the commitments each policy signed
over time (mean chips per start period)."""

from __future__ import annotations

import plotly.graph_objects as go

from computebroker.planner.policy_eval import Evaluation
from computebroker.reports.html import PALETTE, HtmlReport, money

__all__ = ["add_evaluation_sections", "fig_cost_distributions", "fig_signed_over_time"]


def fig_cost_distributions(ev: Evaluation) -> go.Figure:
    """Box plots of the realised cost per path, one per policy, with the mean marked."""
    fig = go.Figure()
    for i, s in enumerate(ev.policies):
        fig.add_trace(
            go.Box(
                y=ev.costs(s.policy) / 1e6,
                name=s.policy,
                boxmean=True,
                boxpoints="all",
                jitter=0.4,
                marker_color=PALETTE[i % len(PALETTE)],
            )
        )
    fig.update_layout(
        title=f"Realised cost on {ev.paths} true paths (same paths for every policy)",
        yaxis_title="cost, $M",
        showlegend=False,
        height=420,
    )
    return fig


def fig_signed_over_time(ev: Evaluation) -> go.Figure:
    """Mean chips signed per start period, one bar group per policy, stacked by offer."""
    fig = go.Figure()
    shown = [
        o
        for o in ev.offers
        if any(float(s.signed_chips.sel(offer=o).sum()) > 1e-6 for s in ev.policies)
    ]
    for j, offer in enumerate(shown):
        for s in ev.policies:
            fig.add_trace(
                go.Bar(
                    x=[list(ev.periods), [s.policy] * len(ev.periods)],
                    y=s.signed_chips.sel(offer=offer).values,
                    name=offer,
                    legendgroup=offer,
                    showlegend=s is ev.policies[0],
                    marker_color=PALETTE[j % len(PALETTE)],
                )
            )
    fig.update_layout(
        barmode="stack",
        title="Commitments signed over time (mean chips per start period)",
        yaxis_title="chips",
        height=440,
    )
    return fig


def add_evaluation_sections(report: HtmlReport, ev: Evaluation) -> None:
    """Append the evaluation: headline figures, a table per policy and the two figures."""
    sec = report.section("Policies on the same futures", "evaluation")
    flex = ev.value_of_flexibility_usd
    kpis = [(f"{s.policy}: expected cost", money(s.cost_usd.mean)) for s in ev.policies]
    if flex is not None:
        kpis.append(
            (
                "value of flexibility (static - rolling)",
                f"{money(flex.mean)} ± {money(flex.high - flex.mean)}",
            )
        )
    sec.kpis(kpis)
    sec.text(
        f"{ev.paths} true paths of demand and deliveries, drawn independently of the planning "
        "samples; every policy meets the same paths. Costs are nominal, PV at the scenario's "
        "discount rate (policy.discount_rate); intervals: 95% for the mean; p5-p95 of the "
        "distribution."
    )
    rows = []
    for s in ev.policies:
        c = s.cost_usd
        rows.append(
            {
                "policy": s.policy,
                "expected cost": money(c.mean),
                "95% CI": f"{money(c.low)} .. {money(c.high)}",
                "p5 .. p95": f"{money(c.p05)} .. {money(c.p95)}",
                "PV": money(s.pv_usd.mean),
                "obligations signed": money(s.obligations_usd.mean),
                "unmet work": ", ".join(f"{w} {i.mean:,.3g}" for w, i in s.unmet.items()),
                "vendor shares": ", ".join(
                    f"{v} {x:.0%}" for v, x in s.vendor_shares.items() if x >= 0.005
                ),
            }
        )
    sec.table(rows)
    if ev.sign_now_or_wait:
        sec.text(
            "Sign now or wait one quarter: the rolling policy's first re-plan, before anything is "
            "observed, against the same re-plan with the offer's start now forbidden."
        )
        sec.table(
            [
                {
                    "offer": w.offer,
                    "chips signed now": f"{w.chips_now:,.0f}",
                    "expected cost, signing now": money(w.cost_sign_now_usd),
                    "expected cost, waiting": money(w.cost_wait_usd),
                    "value of signing now": money(w.value_of_signing_now_usd),
                }
                for w in ev.sign_now_or_wait
            ]
        )
    sec.figure(fig_cost_distributions(ev))
    sec.figure(fig_signed_over_time(ev))
