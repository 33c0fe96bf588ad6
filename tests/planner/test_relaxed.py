"""Without --milp the LP relaxes whole blocks, minimum quantities and the vendor minimum; the
result, plan.json and the report say so (and whether the plan breaks them), never silently."""

from __future__ import annotations

from typing import Any

from computebroker.planner import PlanOptions, metrics, solve_plan
from computebroker.planner.document import plan_document
from computebroker.reports.html import HtmlReport
from computebroker.reports.plan_figures import add_plan_sections
from tests.planner.helpers import problem_of, tiny


def doc(**policy: Any) -> dict[str, Any]:
    return tiny(
        periods=2,
        offers=[
            {
                "id": "blk",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 2.0,
                "term_periods": 2,
                "block_chips": 1000,
                "min_chips": 3000,
            },
            {
                "id": "other",
                "provider": "gcp",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 2.6,
                "term_periods": 2,
            },
            {
                "id": "od",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 6.0,
                "max_chips": 50000,
            },
        ],
        # 1e9 tokens at 1000 tokens/chip-hour over 1000 h: ~1,000 chips, not a whole block of
        # 1,000 beyond the minimum of 3,000
        demand={"classes": {"w": {"start": 1.25e9, "volatility": 0.05}}},
        policy=policy,
        count=20,
    )


def test_lp_says_what_it_relaxed_and_that_the_plan_breaks_it() -> None:
    p = problem_of(doc(min_vendors=2))
    res = solve_plan(p, PlanOptions())
    assert res.plan is not None
    text = " | ".join(res.relaxed)
    assert "whole blocks" in text and "blk" in text
    assert "minimum quantities" in text and "this plan signs less for blk" in text
    assert "vendor minimum" in text
    d = plan_document(res, metrics(res.plan))
    assert d.relaxed == list(res.relaxed)
    report = HtmlReport(title="t")
    add_plan_sections(report, res.plan, metrics(res.plan))
    assert report.render().count("Relaxed") == len(res.relaxed)


def test_milp_relaxes_nothing() -> None:
    p = problem_of(doc(min_vendors=2))
    res = solve_plan(p, PlanOptions(milp=True))
    assert res.plan is not None and res.relaxed == ()
    assert plan_document(res, metrics(res.plan)).relaxed == []
    chips = res.plan.x[p.commit.index("blk")] * 1000
    assert all(
        c < 0.5 or (c >= 3000 - 1e-6 and abs(c / 1000 - round(c / 1000)) < 1e-6) for c in chips
    )


def test_nothing_to_relax_says_nothing() -> None:
    d = doc()
    for o in d["offers"]:
        o.pop("block_chips", None)
        o.pop("min_chips", None)
    res = solve_plan(problem_of(d), PlanOptions())
    assert res.relaxed == ()
