"""The report of a plan run (``plan -o DIR``'s plan.html and the service's plan report): one
page from the plan workflow's result, whichever entry point ran it.

:func:`headline_rows` and :func:`convergence_line` are the planner's honest figures — cost at
present value and nominal, cash CVaR apart from the shortfall penalty, volume-weighted
P(shortfall), what is signed, and how sure the plan is — worded once for the CLI summary, this
page and the service's job message.
"""

from __future__ import annotations

from computebroker.planner.result import Convergence, PlanMetrics
from computebroker.reports.html import HtmlReport, money
from computebroker.reports.plan_figures import add_plan_sections
from computebroker.workflow import PlanRun

__all__ = [
    "CLI_HINT",
    "add_headline_section",
    "convergence_line",
    "convergence_status",
    "headline_rows",
    "plan_report",
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
    return page
