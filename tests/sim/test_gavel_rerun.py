"""Against Gavel's own simulator, run (``data/gavel_rerun.csv``: one row per run of Gavel's
code, with its command, seed, wall time and source).

Gavel's simulator (github.com/stanford-futuredata/gavel, ``scheduler.py`` at c4fa400, the
commit of the shipped traces and throughputs; ``data/gavel_rerun.md`` lists every file of the
rebuild) was rebuilt outside this repository and run on the project's machine on 2026-12-02;
none of its code is here. Unlike the paper's printed figures and a digitizer's
reading of its plots (``test_gavel_reference.py``), these are Gavel's exact averages for the
very jobs each run here sees: the physical-cluster traces as shipped, and Gavel's generator
(``generate_gavel_trace`` draws the same jobs for the same seed) from an empty cluster.

Issue 19's criterion: ``--rounds gavel`` within 5% of Gavel's average JCT for agnostic and
aware LAS and for fifo_perf; the default (fluid) mode within 10% on agnostic LAS. Measured
(2026-12-02), ours against Gavel's:

* physical trace, ``gavel``: aware LAS 4.05 h against 4.06 h (-0.3%), agnostic 5.40 h against
  5.54 h (-2.5%, means of seeds 0-2), fifo_perf 5.45 h against 5.42 h (+0.5%; 91 of 96 jobs
  within 1% of Gavel's own completion time), min-makespan 17.86 h against 17.98 h (-0.7%);
  ``fluid``: agnostic 5.43 h (-2.0%);
* Gavel's generator, 2 jobs/h, jobs 0-999 of seed 0, ``gavel``: single-GPU aware -0.0%,
  agnostic -0.2%, fifo_perf -0.0%; multi-GPU aware -1.4%, agnostic -0.3%, fifo_perf +3.1%;
  ``fluid`` agnostic -1.7% and -2.5%;
* the paper's windows (jobs 4,000-4,999, arrivals continuing, seeds 0-2): fifo_perf within
  0.1%; aware LAS at 0.5 and 4.5 jobs/h (the ends of the paper's single-GPU curve), see the
  test.

The closed 1,000-job runs (``Bc*``: exactly the 1,000 jobs of ``generate_gavel_trace(1000)``,
all measured) are there for Gavel's wall time, the CLI speed target's reference
(bench ``sim_cli``).
"""

from __future__ import annotations

import csv
import os
import re
from functools import cache
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from computebroker.sim import SimConfig, parse_inline_fleet, report, simulate
from computebroker.sim.gavel import gavel_throughputs, gavel_trace
from computebroker.sim.records import RoundMode
from computebroker.sim.traces import generate_gavel_trace

DATA = Path(__file__).with_name("data")
AGNOSTIC = "max-min-fairness-agnostic"


class Run(BaseModel):
    """One run of Gavel's simulator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    trace: str
    cluster: str
    policy: str  # ours
    gavel_policy: str
    metric: Literal["avg_jct", "makespan"]
    value_s: float
    seed: int
    jobs_averaged: str
    start: Literal["trace", "empty"]
    wall_s: float
    cpu_s: float
    source: str
    as_of: str
    how_measured: str


@cache
def runs() -> tuple[Run, ...]:
    with (DATA / "gavel_rerun.csv").open(newline="") as f:
        return tuple(Run.model_validate(r) for r in csv.DictReader(f))


def _gavel(trace: str, policy: str, jobs: str | None = None) -> tuple[float, tuple[int, ...]]:
    """Gavel's figure for (trace, policy), the mean over its runs, and their seeds."""
    got = [
        r
        for r in runs()
        if r.trace == trace and r.policy == policy and (jobs is None or r.jobs_averaged == jobs)
    ]
    assert got, (trace, policy, jobs)
    return sum(r.value_s for r in got) / len(got), tuple(r.seed for r in got)


@cache
def _physical(trace: str, policy: str, mode: RoundMode, seed: int) -> float:
    st = simulate(
        parse_inline_fleet("v100=8,p100=16,k80=24"),
        gavel_trace(trace.removeprefix("gavel:")),
        gavel_throughputs(),
        config=SimConfig(policy=policy, rounds=mode, seed=seed),
    )
    r = report(st)
    assert r.rejected == 0 and r.finished == r.jobs
    value = r.makespan_s if policy == "min-makespan" else r.avg_jct_s
    assert value is not None
    return value


def test_every_run_is_sourced() -> None:
    assert len(runs()) >= 13
    for r in runs():
        assert r.source and r.as_of and r.how_measured and r.value_s > 0 and r.wall_s > 0


@pytest.mark.parametrize(
    ("trace", "policy", "mode", "tolerance"),
    [
        ("gavel:max_min_fairness", "max-min-fairness", RoundMode.GAVEL, 0.05),  # -0.3%
        ("gavel:max_min_fairness", AGNOSTIC, RoundMode.GAVEL, 0.05),  # -2.5%
        ("gavel:max_min_fairness", "fifo-perf", RoundMode.GAVEL, 0.05),  # +0.5%
        ("gavel:minimize_makespan", "min-makespan", RoundMode.GAVEL, 0.05),  # -0.7%
        ("gavel:max_min_fairness", AGNOSTIC, RoundMode.FLUID, 0.10),  # -2.0%
    ],
)
def test_physical_trace_within_tolerance_of_gavels_run(
    trace: str, policy: str, mode: RoundMode, tolerance: float
) -> None:
    gavel, seeds = _gavel(trace, policy)
    # the speed-blind policy shuffles the worker types from the seed (Gavel's and ours do not
    # draw the same permutation): both sides average the same seeds
    ours = sum(_physical(trace, policy, mode, s) for s in seeds) / len(seeds)
    assert abs(ours / gavel - 1.0) <= tolerance, f"{policy} {mode}: {ours / gavel - 1.0:+.1%}"


def test_the_heterogeneity_aware_gain_is_gavels() -> None:
    # agnostic / aware average JCT on the physical trace: Gavel's run 5.54 / 4.06 = 1.36 (the
    # paper prints 5.4 / 3.7 = 1.46); ours 5.40 / 4.05 = 1.33
    trace = "gavel:max_min_fairness"
    aware, _ = _gavel(trace, "max-min-fairness")
    agnostic, seeds = _gavel(trace, AGNOSTIC)
    ours_aware = _physical(trace, "max-min-fairness", RoundMode.GAVEL, 0)
    ours_agnostic = sum(_physical(trace, AGNOSTIC, RoundMode.GAVEL, s) for s in seeds) / len(seeds)
    assert ours_agnostic / ours_aware == pytest.approx(agnostic / aware, rel=0.05)


def _gavel_jobs(name: str) -> dict[str, float]:
    with (DATA / name).open(newline="") as f:
        return {f"job{r['job_id']}": float(r["jct_s"]) for r in csv.DictReader(f)}


def test_fifo_perf_ends_each_job_when_gavel_does() -> None:
    # job by job on the physical trace: Gavel's fifo_perf completion times (its run A3)
    gavel = _gavel_jobs("gavel_rerun_jobs_fifo_perf_physical.csv")
    st = simulate(
        parse_inline_fleet("v100=8,p100=16,k80=24"),
        gavel_trace("max_min_fairness"),
        gavel_throughputs(),
        config=SimConfig(policy="fifo-perf", rounds=RoundMode.GAVEL),
    )
    ours = {r.id: r.jct for r in st.records}
    assert set(ours) == set(gavel)
    close = [j for j, g in gavel.items() if abs((ours[j] or 0.0) / g - 1.0) <= 0.01]
    assert len(close) >= 90, f"{len(close)} of {len(gavel)} jobs within 1% of Gavel's"  # 91


@cache
def _window_mean(trace: str, jobs: str, policy: str, mode: RoundMode, seed: int) -> float:
    """Mean JCT of the window's jobs from Gavel's generator for ``seed``, from an empty
    cluster, arrivals continuing past the window (the run stops at the last arrival, by when
    every window job has ended: two and a half times the window's end for jobs 0-999, one
    and a half for the paper's 4,000-4,999)."""
    m = re.fullmatch(r"generate ([\d.]+) jobs/h (single|multi)-GPU", trace)
    w = re.fullmatch(r"jobs (\d+)-(\d+)", jobs)
    assert m and w
    lo, hi = int(w.group(1)), int(w.group(2)) + 1
    table = gavel_throughputs()
    tr = generate_gavel_trace(
        int(hi * (2.5 if lo == 0 else 1.5)),
        rate_per_hour=float(m.group(1)),
        reference_rate=lambda jt, c: table.lookup(jt, "v100", c),
        seed=seed,
        multi_chip=m.group(2) == "multi",
    )
    st = simulate(
        parse_inline_fleet("v100=36,p100=36,k80=36"),
        tr,
        table,
        config=SimConfig(policy=policy, rounds=mode, seed=seed, until_s=tr.jobs[-1].arrival),
    )
    jcts = [r.jct for r in st.records[lo:hi]]
    assert all(j is not None for j in jcts), "window jobs unfinished"
    return sum(j for j in jcts if j is not None) / len(jcts)


def _generated_deviation(trace: str, jobs: str, policy: str, mode: RoundMode) -> float:
    gavel, seeds = _gavel(trace, policy, jobs)
    ours = sum(_window_mean(trace, jobs, policy, mode, s) for s in seeds) / len(seeds)
    return ours / gavel - 1.0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "policy", "mode", "tolerance"),
    [
        ("single", "max-min-fairness", RoundMode.GAVEL, 0.05),  # -0.0%
        ("single", AGNOSTIC, RoundMode.GAVEL, 0.05),  # -0.2%
        ("single", "fifo-perf", RoundMode.GAVEL, 0.05),  # -0.0%
        ("multi", "max-min-fairness", RoundMode.GAVEL, 0.05),  # -1.4%
        ("multi", AGNOSTIC, RoundMode.GAVEL, 0.05),  # -0.3%
        ("multi", "fifo-perf", RoundMode.GAVEL, 0.05),  # +3.1%
        ("single", AGNOSTIC, RoundMode.FLUID, 0.10),  # -1.7%
        ("multi", AGNOSTIC, RoundMode.FLUID, 0.10),  # -2.5%
    ],
)
def test_gavels_generator_jobs_0_to_999_within_tolerance_of_gavels_run(
    kind: str, policy: str, mode: RoundMode, tolerance: float
) -> None:
    dev = _generated_deviation(f"generate 2.0 jobs/h {kind}-GPU", "jobs 0-999", policy, mode)
    assert abs(dev) <= tolerance, f"{kind} {policy} {mode}: {dev:+.1%}"


FULL_ONLY = pytest.mark.skipif(
    os.environ.get("CB_GAVEL_FULL") != "1",
    reason="7,500 jobs a seed, about 25 s of CPU a point: run with CB_GAVEL_FULL=1",
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("trace", "mode", "tolerance"),
    [
        ("generate 1.0 jobs/h single-GPU", RoundMode.GAVEL, 0.05),  # -0.0%
        pytest.param("generate 3.0 jobs/h single-GPU", RoundMode.GAVEL, 0.05, marks=FULL_ONLY),
        pytest.param("generate 1.0 jobs/h multi-GPU", RoundMode.GAVEL, 0.05, marks=FULL_ONLY),
    ],
)
def test_fifo_perf_on_the_papers_windows_within_tolerance_of_gavels_run(
    trace: str, mode: RoundMode, tolerance: float
) -> None:
    # jobs 4,000-4,999 of Gavel's generator from an empty cluster, as the paper's LAS figures
    # run them (no published fifo_perf figure exists for them): mean over Gavel's seeds
    dev = _generated_deviation(trace, "jobs 4000-4999", "fifo-perf", mode)
    assert abs(dev) <= tolerance, f"{trace}: {dev:+.1%}"


@pytest.mark.slow
@FULL_ONLY
@pytest.mark.parametrize("rate", [0.5, 4.5])
def test_aware_las_on_the_papers_windows_within_five_percent_of_gavels_run(rate: float) -> None:
    # the paper's figure reads 16 h and 14 h at these two rates; Gavel's code gives 17.2 h at
    # 4.5 jobs/h (mean of seeds 0-2): the code, not the plot, is what `gavel` mode follows
    trace = f"generate {rate} jobs/h single-GPU"
    dev = _generated_deviation(trace, "jobs 4000-4999", "max-min-fairness", RoundMode.GAVEL)
    assert abs(dev) <= 0.05, f"{trace}: {dev:+.1%}"
