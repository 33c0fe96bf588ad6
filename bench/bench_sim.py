"""Simulator speed (issue 5), each case in a fresh process so its peak memory is its own.

* Gavel's Figure 8 workload: 1,000 single-GPU jobs, Poisson arrivals at 2 jobs/h, Gavel's 26
  job types and measured throughputs, on 36 V100 + 36 P100 + 36 K80, heterogeneity-aware
  max-min fairness with 6-minute rounds (target < 1.5 s).
* The 15 Philly virtual-cluster traces (15,264 jobs; bench/data/philly_vc_seed0, curated from
  Gavel's) with ``greedy-fast`` on 64 V100 + 64 P100 + 64 K80 each (target < 30 s in all).
* 100,000 generated jobs (Philly-like sizes 1-8 GPUs and durations) at 3,000 jobs/h on a
  50,000-chip fleet (20,000 V100 + 15,000 P100 + 15,000 K80) with ``fifo`` (target < 60 s).
* Peak memory of every case (target < 2 GiB).

Each case is timed in wall and CPU time (with the load average): on a shared machine the wall
time counts other processes' work, and the CPU time is what an idle core would take.

The scale cases of issue 19 (100,000 jobs with max-min fairness, 1,000,000 with fifo) are in
``bench_sim_scale``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import Result, above, below

TITLE = "simulate: Gavel-style workloads, Philly traces, 100k jobs"
ROOT = Path(__file__).resolve().parents[1]
PHILLY = ROOT / "bench" / "data" / "philly_vc_seed0"


def _case(name: str) -> dict[str, float]:
    from bench.harness import peak_rss_mib
    from computebroker.sim import (
        SimConfig,
        generate_trace,
        parse_inline_fleet,
        read_trace,
        report,
        simulate,
    )
    from computebroker.sim.gavel import gavel_throughputs

    table = gavel_throughputs()
    single = sorted({k[0] for k in table.per_gang if k[1] == 1})

    def v100(jt: str, chips: int) -> float:
        return table.lookup(jt, "v100", chips)

    t0, c0 = time.perf_counter(), time.process_time()
    out: dict[str, float] = {}
    if name == "figure8":
        tr = generate_trace(1000, rate_per_hour=2.0, job_types=single, reference_rate=v100, seed=0)
        t0, c0 = time.perf_counter(), time.process_time()
        r = report(
            simulate(
                parse_inline_fleet("v100=36,p100=36,k80=36"),
                tr,
                table,
                config=SimConfig(policy="max-min-fairness", round_seconds=360.0),
            )
        )
        out = {
            "jobs": r.jobs,
            "avg_jct_h": (r.avg_jct_s or 0) / 3600,
            "reallocations": r.reallocations,
        }
    elif name == "philly":
        jobs = 0
        for f in sorted(PHILLY.glob("*.trace")):
            r = report(
                simulate(
                    parse_inline_fleet("v100=64,p100=64,k80=64"),
                    read_trace(f),
                    table,
                    config=SimConfig(policy="greedy-fast"),
                )
            )
            jobs += r.jobs
        out = {"jobs": jobs}
    elif name == "100k":
        tr = generate_trace(
            100_000,
            rate_per_hour=3000.0,
            job_types=single,
            reference_rate=v100,
            seed=0,
            multi_chip=True,
            distributable=lambda jt: (jt.lower(), 2, "v100") in table.per_gang,
        )
        t0, c0 = time.perf_counter(), time.process_time()
        r = report(
            simulate(
                parse_inline_fleet("v100=20000,p100=15000,k80=15000"),
                tr,
                table,
                config=SimConfig(policy="fifo"),
            )
        )
        out = {"jobs": r.jobs, "avg_jct_h": (r.avg_jct_s or 0) / 3600, "events": r.events}
    elif name == "gavel":
        from computebroker.sim.gavel import gavel_trace

        jct = {}
        for policy in ("max-min-fairness", "max-min-fairness-agnostic"):
            rep = report(
                simulate(
                    parse_inline_fleet("v100=8,p100=16,k80=24"),
                    gavel_trace("max_min_fairness"),
                    table,
                    config=SimConfig(policy=policy),
                )
            )
            jct[policy] = (rep.avg_jct_s or 0) / 3600
        out = {
            "aware_avg_jct_h": jct["max-min-fairness"],
            "agnostic_avg_jct_h": jct["max-min-fairness-agnostic"],
            "ratio": jct["max-min-fairness-agnostic"] / jct["max-min-fairness"],
        }
    out["seconds"] = time.perf_counter() - t0
    out["cpu_seconds"] = time.process_time() - c0
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def run() -> list[Result]:
    cases = [
        ("figure8", 1.5, "1,000 jobs (Gavel Fig. 8 style), max-min, 6-min rounds"),
        ("philly", 30.0, "15 Philly VC traces, greedy-fast"),
        ("100k", 60.0, "100,000 jobs on 50,000 chips, fifo"),
    ]
    results = []
    for name, target, label in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.bench_sim", name],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        load = os.getloadavg()[0]
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        load = (load + os.getloadavg()[0]) / 2
        print(f"    {label}: {r['seconds']:.2f} s, {r['peak_rss_mib']:,.0f} MiB", flush=True)
        notes = ", ".join(
            f"{k} {v:,.4g}"
            for k, v in r.items()
            if k not in ("seconds", "cpu_seconds", "peak_rss_mib")
        )
        results += [
            Result(
                name=f"{label}: wall time",
                value=r["seconds"],
                unit="s",
                target=below(target),
                notes=f"{notes}; load average {load:.1f} during the run",
            ),
            Result(
                name=f"{label}: CPU time",
                value=r["cpu_seconds"],
                unit="s",
                target=below(target),
            ),
        ]
        results.append(
            Result(
                name=f"{label}: peak memory",
                value=r["peak_rss_mib"],
                unit="MiB",
                target=below(2048),
            )
        )
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_sim", "gavel"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    g = json.loads(proc.stdout.strip().splitlines()[-1])
    results.append(
        Result(
            name="Gavel LAS trace, 8 V100 + 16 P100 + 24 K80: agnostic / aware average JCT",
            value=g["ratio"],
            unit="x",
            target=above(1, "> 1 (Gavel: aware is faster)"),
            notes=f"aware {g['aware_avg_jct_h']:.2f} h, agnostic {g['agnostic_avg_jct_h']:.2f} h",
        )
    )
    return results


if __name__ == "__main__":
    print(json.dumps(_case(sys.argv[1])))
