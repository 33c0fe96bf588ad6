"""Planner speed: the extensive form on 12 quarters x 40 offers x 4 workload classes.

The instance is ``examples/frontier-lab.yaml`` (4 workload classes, 12 quarters, 17 offers)
with its offers extended to 40 by adding, for each original offer, variants in another region
at a slightly different price and lead time (a synthetic but realistically shaped menu: more
pools, more allocation variables). Each scenario count (50, 100, 200, 500) runs in a fresh
process so its peak memory is its own. Targets (issue 4): 200 scenarios under 30 s on 2 cores,
model build at most 25% of the total.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bench.harness import Result, at_most, below

TITLE = "plan: extensive form, 12 quarters x 40 offers x 4 workload classes"
COUNTS = (50, 100, 200, 500)
TARGET_S = 30.0
BUILD_SHARE = 0.25
N_OFFERS = 40
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "frontier-lab.yaml"


def instance() -> dict[str, Any]:
    """frontier-lab with its offer menu extended to 40 offers."""
    from bench.bench_decomposition import extended_offers

    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc["offers"] = extended_offers(doc["offers"], N_OFFERS)
    doc["policy"].pop("regions", None)
    return doc


def child(count: int) -> dict[str, float]:
    """One measured plan (run in its own process)."""
    from bench.harness import peak_rss_mib
    from computebroker.catalog import shipped_catalog
    from computebroker.planner import (
        PlanOptions,
        metrics,
        parse_scenario,
        prepare_problem,
        solve_plan,
    )

    t0 = time.perf_counter()
    cat = shipped_catalog()
    spec = parse_scenario(yaml.safe_dump(instance(), sort_keys=False), cat, source="bench instance")
    problem = prepare_problem(spec, cat, count=count)
    t1 = time.perf_counter()
    res = solve_plan(problem, PlanOptions())
    t2 = time.perf_counter()
    assert res.plan is not None, res.explanation
    metrics(res.plan)
    t3 = time.perf_counter()
    return {
        "scenarios": count,
        "offers": len(spec.offers),
        "prepare_s": t1 - t0,
        "build_s": res.build_seconds,
        "solve_s": res.solve_seconds,
        "report_s": t3 - t2,
        "total_s": t3 - t0,
        "variables": res.variables,
        "constraints": res.constraints,
        "peak_rss_mib": peak_rss_mib(),
        "status": 0.0 if res.status.value == "optimal" else 1.0,
    }


def run() -> list[Result]:
    rows = []
    for n in COUNTS:
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_plan", str(n)],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(
            f"    {n} scenarios: total {r['total_s']:.1f} s (prepare {r['prepare_s']:.1f}, build "
            f"{r['build_s']:.1f}, solve {r['solve_s']:.1f}), {r['variables']:,} vars, "
            f"{r['peak_rss_mib']:,.0f} MiB",
            flush=True,
        )
    results = []
    for r in rows:
        n = int(r["scenarios"])
        share = r["build_s"] / r["total_s"]
        results.append(
            Result(
                name=f"{n} scenarios: total",
                value=r["total_s"],
                unit="s",
                target=below(TARGET_S) if n == 200 else "growth",
                notes=(
                    f"prepare {r['prepare_s']:.2f} s, build {r['build_s']:.2f} s ({share:.0%}), solve "
                    f"{r['solve_s']:.2f} s, metrics {r['report_s']:.2f} s; {int(r['variables']):,} variables, "
                    f"{int(r['constraints']):,} constraints; peak RSS {r['peak_rss_mib']:,.0f} MiB"
                ),
            )
        )
        if n == 200:
            results.append(
                Result(
                    name="200 scenarios: model build share",
                    value=share * 100,
                    unit="%",
                    target=at_most(BUILD_SHARE * 100),
                )
            )
        results.append(
            Result(
                name=f"{n} scenarios: peak memory",
                value=r["peak_rss_mib"],
                unit="MiB",
                target="growth",
            )
        )
    # how solve time grows with the scenario count: slope of log(time) on log(count)
    import numpy as np

    counts = np.log([r["scenarios"] for r in rows])
    slope = float(np.polyfit(counts, np.log([r["total_s"] for r in rows]), 1)[0])
    mem = float(np.polyfit(counts, np.log([r["peak_rss_mib"] for r in rows]), 1)[0])
    results.append(
        Result(
            name="growth exponent of total time (log-log fit)",
            value=slope,
            unit="",
            target="reported",
            notes=f"time ~ scenarios^{slope:.2f}, peak memory ~ scenarios^{mem:.2f}; past ~300 scenarios "
            "use the decomposition (issue 7)",
        )
    )
    return results


if __name__ == "__main__":
    print(json.dumps(child(int(sys.argv[1]))))
