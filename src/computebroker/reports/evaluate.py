"""The report section of a policy evaluation: both policies' realised cost distributions on the
same paths, the value of flexibility with its interval, and the commitments each policy signed
over time (mean chips per start period)."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

from computebroker.planner.policy_eval import Evaluation, Interval
from computebroker.reports.html import PALETTE, HtmlReport, money

__all__ = [
    "add_evaluation_sections",
    "fig_cost_distributions",
    "fig_signed_over_time",
    "side_by_side",
    "usd",
]


def usd(v: float) -> str:
    """``money`` with a sign in front: -$454,800, never $-454,800.

    Examples
    --------
    >>> usd(-454_800.0), usd(2.52e6)
    ('-$454,800', '$2.5M')
    """
    return "-" + money(-v) if v <= -0.5 else money(v)


def _ci(i: Interval, fmt: Callable[[float], str] = usd) -> str:
    """``mean (low .. high)``: the mean and its 95% interval."""
    return f"{fmt(i.mean)} ({fmt(i.low)} .. {fmt(i.high)})"


def _work(v: float) -> str:
    return f"{v:,.3g}"


def side_by_side(ev: Evaluation) -> list[dict[str, str]]:
    """One row per measure, one column per policy (and static - rolling, paired on the same
    paths, when both ran): each figure is the mean over the paths with its 95% interval, and
    the spread of the realised cost is its 5th..95th percentile."""
    flex = ev.value_of_flexibility_usd
    pairs = [(s.policy, s) for s in ev.policies]

    def row(measure: str, cells: dict[str, str], diff: str = "") -> dict[str, str]:
        out = {"measure": measure, **cells}
        if flex is not None:
            out["static - rolling"] = diff
        return out

    rows = [
        row(
            "expected cost, nominal (95% CI)",
            {n: _ci(s.cost_usd) for n, s in pairs},
            "" if flex is None else _ci(flex),
        ),
        row(
            "cost p5 .. p95",
            {n: f"{usd(s.cost_usd.p05)} .. {usd(s.cost_usd.p95)}" for n, s in pairs},
        ),
        row("present value (95% CI)", {n: _ci(s.pv_usd) for n, s in pairs}),
        row("contract value signed (95% CI)", {n: _ci(s.obligations_usd) for n, s in pairs}),
    ]
    for w in ev.policies[0].unmet:
        rows.append(row(f"unmet work: {w} (95% CI)", {n: _ci(s.unmet[w], _work) for n, s in pairs}))
    rows.append(
        row(
            "vendor shares of spend",
            {
                n: ", ".join(f"{v} {x:.0%}" for v, x in s.vendor_shares.items() if x >= 0.005)
                for n, s in pairs
            },
        )
    )
    return rows


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
    """Append the evaluation: headline figures, both policies side by side with their
    intervals (``side_by_side``), sign now or wait, and the two figures."""
    sec = report.section("Policies on the same futures", "evaluation")
    flex = ev.value_of_flexibility_usd
    kpis = [(f"{s.policy}: expected cost", money(s.cost_usd.mean)) for s in ev.policies]
    if flex is not None:
        kpis.append(
            (
                "value of flexibility (static - rolling)",
                f"{usd(flex.mean)} ± {money(flex.high - flex.mean)}",
            )
        )
    sec.kpis(kpis)
    sec.text(
        f"{ev.paths} true paths of demand and deliveries, drawn independently of the planning "
        "samples; every policy meets the same paths. Costs are nominal, PV at the scenario's "
        "discount rate (policy.discount_rate). Each figure is the mean over the paths with its "
        "95% confidence interval (mean ± 1.96 standard deviations / √paths); the difference "
        "static - rolling is paired path by path; p5 .. p95 is the spread of the realised cost."
    )
    sec.table(side_by_side(ev))
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
                    "value of signing now": usd(w.value_of_signing_now_usd),
                }
                for w in ev.sign_now_or_wait
            ]
        )
    sec.figure(fig_cost_distributions(ev))
    sec.figure(fig_signed_over_time(ev))
