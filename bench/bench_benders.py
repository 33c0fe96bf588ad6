"""Planning at scale (issue 7): the decomposition against the extensive form, and its growth.

Instance: the planner bench's 12 quarters x 40 offers x 4 workload classes (``bench_plan``).
At 1,000 scenarios both the extensive form (one HiGHS LP) and the decomposition solve the same
problem in one run, side by side (targets: decomposition < 60 s, >= 8x faster, objectives
within 0.1%, < 4 GiB); then the decomposition alone at 200, 3,000 and 5,000 scenarios (5,000
under 5 minutes). Each solve runs in a fresh process so its peak memory is its own; the
decomposition uses the default executor (a local pool of 2 processes on this machine).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import Result, at_least, at_most, below

TITLE = "plan at scale: decomposition vs extensive form, 12 quarters x 40 offers x 4 classes"
ROOT = Path(__file__).resolve().parents[1]


def _solve(method: str, count: int) -> dict[str, float]:
    import yaml

    from bench.bench_plan import instance
    from bench.harness import peak_rss_mib
    from computebroker.catalog import shipped_catalog
    from computebroker.planner import PlanOptions, parse_scenario, prepare_problem, solve_plan
    from computebroker.planner.result import cvar

    cat = shipped_catalog()
    spec = parse_scenario(yaml.safe_dump(instance(), sort_keys=False), cat, source="bench instance")
    p = prepare_problem(spec, cat, count=count)
    t = time.perf_counter()
    res = solve_plan(p, PlanOptions(method=method))
    seconds = time.perf_counter() - t
    assert res.plan is not None
    lam, alpha = spec.policy.risk_weight, spec.policy.cvar_alpha
    c = res.plan.cost
    objective = float(c @ p.prob) + lam * cvar(c, p.prob, alpha)
    return {
        "seconds": seconds,
        "objective": objective,
        "peak_rss_mib": peak_rss_mib(),
        "scenarios": count,
    }


def _run(method: str, count: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_benders", method, str(count)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    r: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"    {method} {count:,}: {r['seconds']:.1f} s, {r['peak_rss_mib']:,.0f} MiB, objective {r['objective']:,.2f}",
        flush=True,
    )
    return r


def run() -> list[Result]:
    ef = _run("extensive", 1000)
    bd = _run("benders", 1000)
    speedup = ef["seconds"] / bd["seconds"]
    diff = abs(bd["objective"] - ef["objective"]) / abs(ef["objective"])
    results = [
        Result(
            name="1,000 scenarios: decomposition",
            value=bd["seconds"],
            unit="s",
            target=below(60),
            notes=f"peak RSS {bd['peak_rss_mib']:,.0f} MiB",
        ),
        Result(
            name="1,000 scenarios: extensive form (HiGHS)",
            value=ef["seconds"],
            unit="s",
            target="reference",
            notes=f"peak RSS {ef['peak_rss_mib']:,.0f} MiB",
        ),
        Result(
            name="1,000 scenarios: speed-up",
            value=speedup,
            unit="x",
            target=at_least(8),
        ),
        Result(
            name="1,000 scenarios: objective difference",
            value=diff * 100,
            unit="%",
            target=at_most(0.1),
        ),
        Result(
            name="1,000 scenarios: decomposition peak memory",
            value=bd["peak_rss_mib"],
            unit="MiB",
            target=below(4096),
        ),
    ]
    for n in (200, 3000, 5000):
        r = _run("benders", n)
        results.append(
            Result(
                name=f"{n:,} scenarios: decomposition",
                value=r["seconds"],
                unit="s",
                target=below(300) if n == 5000 else "growth",
                notes=f"peak RSS {r['peak_rss_mib']:,.0f} MiB",
            )
        )
    return results


if __name__ == "__main__":
    print(json.dumps(_solve(sys.argv[1], int(sys.argv[2]))))
