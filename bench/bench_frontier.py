"""The efficient frontier on the decomposition (issue 7): 8 risk weights on the planner bench
instance (12 quarters x 40 offers x 4 classes) at 1,000 scenarios, against one solve. The
frontier keeps one master LP and its cuts across points (they bound recourse values, which do
not depend on the risk weight) and stops each point at a 0.1% gap. Target: under 3x one solve.
"""

from __future__ import annotations

import time

from bench.harness import Result, at_most, below

TITLE = "plan at scale: an 8-point frontier on the decomposition, 1,000 scenarios"
VALUES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0)


def run() -> list[Result]:
    import yaml

    from bench.bench_plan import instance
    from computebroker.catalog import shipped_catalog
    from computebroker.planner import (
        FrontierAxis,
        PlanOptions,
        frontier,
        parse_scenario,
        prepare_problem,
        solve_plan,
    )

    cat = shipped_catalog()
    spec = parse_scenario(yaml.safe_dump(instance(), sort_keys=False), cat, source="bench instance")
    p = prepare_problem(spec, cat, count=1000)
    t = time.perf_counter()
    solve_plan(p, PlanOptions(method="benders"))
    one = time.perf_counter() - t
    t = time.perf_counter()
    pts = frontier(p, FrontierAxis.RISK, list(VALUES), PlanOptions(method="benders"))
    eight = time.perf_counter() - t
    ratio = eight / one
    print(f"    one solve {one:.1f} s, 8-point frontier {eight:.1f} s ({ratio:.2f}x)", flush=True)
    return [
        Result(name="one solve (gap 1e-4)", value=one, unit="s", target="reference"),
        Result(
            name="8-point frontier over the risk weight",
            value=eight,
            unit="s",
            target="reported",
            notes=", ".join(
                f"lambda {pt.value:g}: ${(pt.expected_cost_usd or 0) / 1e9:,.1f}B" for pt in pts
            ),
        ),
        Result(
            name="frontier points not optimal",
            value=sum(pt.status != "optimal" for pt in pts),
            unit="",
            target=at_most(0, "0"),
        ),
        Result(name="frontier / one solve", value=ratio, unit="x", target=below(3)),
    ]
