"""The report of a plan run (``plan -o DIR``'s plan.html and the service's plan report): one
page from the plan workflow's result, whichever entry point ran it."""

from __future__ import annotations

from computebroker.reports.html import HtmlReport
from computebroker.reports.plan_figures import add_plan_sections
from computebroker.workflow import PlanRun

__all__ = ["plan_report"]


def plan_report(run: PlanRun) -> HtmlReport:
    """The plan's page: commitments, demand and risk, out of sample, frontier, what-if."""
    plan, m = run.require()
    page = HtmlReport(title=f"computebroker plan: {run.spec.name}", subtitle=run.spec.description)
    add_plan_sections(
        page,
        plan,
        m,
        out_of_sample=run.out_of_sample,
        frontier=run.frontier,
        whatif=run.whatif.rows if run.whatif is not None else None,
    )
    return page
