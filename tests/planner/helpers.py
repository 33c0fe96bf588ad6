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


def commit_and_on_demand(
    *,
    volatility: float,
    periods: int = 2,
    od_max_chips: int | None = 5000,
    **kw: Any,
) -> dict[str, Any]:
    """:func:`tiny` with the two offers most service and workflow tests plan on: a 2-period h100
    commitment at $2/chip-h and h100 on-demand at $6 (at most ``od_max_chips``), demand 1e9
    units a period with the given ``volatility``; ``kw`` goes to :func:`tiny`."""
    od: dict[str, Any] = {
        "id": "od",
        "provider": "aws",
        "accelerator": "h100",
        "contract": "on-demand",
        "price_chip_hour": 6.0,
    }
    if od_max_chips is not None:
        od["max_chips"] = od_max_chips
    commit = {
        "id": "c",
        "provider": "aws",
        "accelerator": "h100",
        "contract": "commit-1y",
        "price_chip_hour": 2.0,
        "term_periods": 2,
    }
    return tiny(
        periods=periods,
        offers=[commit, od],
        demand={"classes": {"w": {"start": 1e9, "volatility": volatility}}},
        **kw,
    )


def problem_of(doc: dict[str, Any], **kw: Any) -> PlanProblem:
    spec = parse_scenario(yaml.safe_dump(doc, sort_keys=False), shipped_catalog())
    return prepare_problem(spec, shipped_catalog(), **kw)


def solve_doc(
    doc: dict[str, Any], options: PlanOptions | None = None
) -> tuple[PlanProblem, PlanResult]:
    p = problem_of(doc)
    return p, solve_plan(p, options or PlanOptions())
