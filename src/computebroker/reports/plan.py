"""The report of a plan run (``plan -o DIR``'s plan.html and the service's plan report): one
page from the plan workflow's result, whichever entry point ran it.

:func:`headline_rows` and :func:`convergence_line` are the planner's honest figures — cost at
present value and nominal, cash CVaR apart from the shortfall penalty, volume-weighted
P(shortfall), what is signed, and how sure the plan is — worded once for the CLI summary, this
page and the service's job message.
"""

from __future__ import annotations

from computebroker.planner.result import Convergence, PlanMetrics
from computebroker.planner.stress import StressResult
from computebroker.reports.html import HtmlReport, money
from computebroker.reports.plan_figures import add_plan_sections
from computebroker.workflow import PlanRun

__all__ = [
    "CLI_HINT",
    "add_headline_section",
    "add_stress_section",
    "convergence_line",
    "convergence_status",
    "headline_rows",
    "plan_report",
    "stress_rows",
    "stress_text",
]

# how to measure convergence, in the words of each entry point
CLI_HINT = "use --scenarios auto or --replications N"


def headline_rows(m: PlanMetrics) -> list[tuple[str, str]]:
    """(figure, value) rows: cost, risk and what is signed, each in its kind."""
    a = round(m.cvar_alpha * 100)
    return [
        (
            "expected cost",
            f"{money(m.expected_cost_usd)} at present value "
            f"(discount rate {m.discount_rate:.1%}/year); {money(m.expected_cost_nominal_usd)} nominal",
        ),
        ("of which shortfall penalty", f"{money(m.expected_penalty_usd)} (assumed, not cash)"),
        (
            f"cash CVaR{a}",
            f"{money(m.cash_cvar_usd)} (cash alone; with the shortfall penalty {money(m.cvar_usd)})",
        ),
        (
            "P(shortfall)",
            f"{m.p_shortfall:.1%} weighted by volume (any class short: {m.p_shortfall_any:.1%}; "
            f"expected unmet share {m.unmet_volume_share:.2%})",
        ),
        (
            "signed (new commitments)",
            f"{money(m.signed_usd)} total contract value, of which "
            f"{money(m.signed_after_horizon_usd)} after the horizon "
            f"({money(m.signed_pv_usd)} at present value)",
        ),
        ("existing contracts", f"{money(m.existing_contract_usd)} total contract value"),
    ]


def convergence_line(m: PlanMetrics, hint: str = CLI_HINT) -> str:
    """How sure the plan is: intervals, the MMW gap bound, stability and the verdict."""
    c = m.convergence
    if c is None:
        return f"not measured: {hint}"
    e, t, s = c.expected_cost, c.cvar, c.p_shortfall
    return (
        f"{_state(c)} at {c.scenarios:,} scenarios ({c.replications} replications, "
        f"{e.level:.0%} intervals, target {c.target:.1%}): "
        f"expected cost {money(e.mean)} ± {money(e.half_width)} ({e.relative:.1%}), "
        f"CVaR{round(m.cvar_alpha * 100)} {money(t.mean)} ± {money(t.half_width)}, "
        f"P(shortfall) {s.mean:.1%} ± {s.half_width:.1%}; "
        f"optimality gap ≤ {money(c.gap_upper_usd)} ({c.gap_relative:.2%}, Mak-Morton-Wood); "
        f"decision stability {c.stability:.2f}"
    )


def convergence_status(m: PlanMetrics, hint: str = CLI_HINT) -> str:
    """The verdict in a few words (a job message)."""
    c = m.convergence
    if c is None:
        return f"convergence not measured ({hint})"
    return (
        f"{_state(c)} at {c.scenarios:,} scenarios (optimality gap ≤ {c.gap_relative:.2%}, "
        f"expected cost ± {c.expected_cost.relative:.1%}, target {c.target:.1%})"
    )


def _state(c: Convergence) -> str:
    return "converged" if c.converged else "NOT converged"


def add_headline_section(page: HtmlReport, m: PlanMetrics) -> None:
    """The section "Plan: cost, risk and what is signed" (any report that shows a plan)."""
    s = page.section("Plan: cost, risk and what is signed", "plan-headline")
    c = m.convergence
    if c is None:
        s.text("Sampling noise is not measured: these figures are one sample's.", "warn")
    elif not c.converged:
        s.text(
            "This plan has NOT converged: the optimality gap or the interval of its expected "
            f"cost is above the {c.target:.1%} target at {c.scenarios:,} scenarios.",
            "warn",
        )
    rows = [{"figure": k, "value": v} for k, v in headline_rows(m)]
    rows.append({"figure": "convergence", "value": convergence_line(m)})
    s.table(rows, [("figure", "figure"), ("value", "value")])


# a stress within this share of the base expected cost "costs the same" (sampling-level noise)
STRESS_NEGLIGIBLE_SHARE = 0.001

# each part of a stress's cost difference in words: (what rose, what fell), the amount before it
_PART_WORDS = {
    "unmet work (penalty)": (
        "more shortfall penalty on work left unmet",
        "less shortfall penalty (less work left unmet)",
    ),
    "rentals bought to cover the gap": (
        "more on rentals bought to cover the gap",
        "less on rentals",
    ),
    "commitment bill inside the horizon": (
        "more commitment bill inside the horizon",
        "less commitment bill inside the horizon (late capacity is billed only once it arrives)",
    ),
    "obligations pushed past the horizon": (
        "more obligations past the horizon (the terms shift with the late deliveries)",
        "less obligations past the horizon",
    ),
}


def stress_text(r: StressResult) -> str:
    """Why the stress costs what it does, in words generated from its figures: the total
    difference and each part of it (stated as an amount with "more" or "less", never as a
    negative amount); the parts named sum to the difference."""
    d = r.difference_usd
    if abs(d) < STRESS_NEGLIGIBLE_SHARE * abs(r.base_usd):
        verb = f"leaves the plan's expected cost at {money(r.stressed_usd)} (within {STRESS_NEGLIGIBLE_SHARE:.1%})"
    else:
        verb = (
            f"{'raises' if d > 0 else 'lowers'} the plan's expected cost from "
            f"{money(r.base_usd)} to {money(r.stressed_usd)}, {money(abs(d))} "
            f"{'more' if d > 0 else 'less'}"
        )
    parts = [
        f"{money(abs(v))} {_PART_WORDS[k][0 if v > 0 else 1]}"
        for k, v in r.parts
        if abs(v) >= 0.5  # under a dollar: no change
    ]
    why = "; ".join(parts) if parts else "nothing moved"
    return (
        f"Stress '{r.name}' {verb} (present value, on the plan's {r.scenarios:,} scenarios, "
        "commitments kept, rentals and allocation re-optimised). Why: "
        f"{why}. Unmet work (volume-weighted) goes from {r.base_unmet_share:.2%} to "
        f"{r.stressed_unmet_share:.2%}. The parts sum to the difference."
    )


def stress_rows(r: StressResult) -> list[dict[str, str]]:
    """The stress's decomposition as table rows (base, stressed, change per part)."""
    rows = [{"part": k, "change": _signed(v)} for k, v in r.parts]
    rows.append({"part": "= change in expected cost", "change": _signed(r.difference_usd)})
    return rows


def _signed(v: float) -> str:
    return f"+{money(v)}" if v >= 0 else f"−{money(-v)}"


def add_stress_section(page: HtmlReport, r: StressResult | None) -> None:
    """The section "Stress: ..." of the chip-wide common slip (nothing without one)."""
    if r is None:
        return
    s = page.section(f"Stress: {r.name}", "plan-stress")
    s.text(r.description, "note")
    s.text(stress_text(r))
    s.kpis(
        [
            ("base expected cost", money(r.base_usd)),
            ("stressed", money(r.stressed_usd)),
            ("unmet work", f"{r.base_unmet_share:.2%} → {r.stressed_unmet_share:.2%}"),
        ]
    )
    s.table(stress_rows(r), [("part", "part of the difference"), ("change", "change")])


def plan_report(run: PlanRun) -> HtmlReport:
    """The plan's page: the headline figures, commitments, demand and risk, out of sample,
    frontier, what-if."""
    plan, m = run.require()
    page = HtmlReport(title=f"computebroker plan: {run.spec.name}", subtitle=run.spec.description)
    add_headline_section(page, m)
    add_plan_sections(
        page,
        plan,
        m,
        out_of_sample=run.out_of_sample,
        frontier=run.frontier,
        whatif=run.whatif.rows if run.whatif is not None else None,
    )
    add_stress_section(page, run.stress)
    return page
