"""Small scenario builders for planner tests: a workload with an explicit throughput (so the
performance model stays out of the arithmetic) and hand-checkable prices."""

from __future__ import annotations

from typing import Any

import yaml

from computebroker.catalog import shipped_catalog
from computebroker.planner import (
    PlanOptions,
    PlanProblem,
    PlanResult,
    parse_scenario,
    prepare_problem,
    solve_plan,
)

HOURS = 1000.0  # hours per period in the tiny scenarios: 1 chip-period = 1000 chip-hours


def tiny(
    *,
    offers: list[dict[str, Any]],
    demand: dict[str, Any],
    policy: dict[str, Any] | None = None,
    periods: int = 1,
    throughput: dict[str, float] | None = None,
    count: int = 50,
    seed: int = 0,
) -> dict[str, Any]:
    """A scenario document with one workload ``w`` (tokens per chip-hour given per chip)."""
    return {
        "name": "tiny",
        "horizon": {
            "start": "2026Q1",
            "periods": periods,
            "period": "quarter",
            "hours_per_period": HOURS,
        },
        "workloads": [
            {
                "name": "w",
                "model": "llama3.1-8b",
                "mode": "train",
                "throughput": throughput or {"h100": 1000.0},
            }
        ],
        "demand": demand,
        "offers": offers,
        # undiscounted unless a test says otherwise, so that hand sums stay sums
        "policy": {"discount_rate": 0.0, **(policy or {})},
        "scenarios": {"count": count, "seed": seed},
    }


def problem_of(doc: dict[str, Any], **kw: Any) -> PlanProblem:
    spec = parse_scenario(yaml.safe_dump(doc, sort_keys=False), shipped_catalog())
    return prepare_problem(spec, shipped_catalog(), **kw)


def solve_doc(
    doc: dict[str, Any], options: PlanOptions | None = None
) -> tuple[PlanProblem, PlanResult]:
    p = problem_of(doc)
    return p, solve_plan(p, options or PlanOptions())
