"""Against Gavel's own results (``data/gavel_reference.csv``: each row with its source, date
and how it was measured).

Issue 19's criterion: on Gavel's physical-cluster LAS trace and on traces from Gavel's
generator, ``--rounds gavel`` within 5% of Gavel's average JCT for agnostic and aware LAS (and
fifo_perf: no published fifo_perf figure was found; Gavel's own runs of it, and of the other
policies, are compared with in ``test_gavel_rerun.py``); the default (fluid) mode within 10%
on agnostic LAS. The references here are Gavel's published figures: the simulated column of the OSDI 2020 paper's
Table 4 (the physical-cluster traces) and the points of the paper's LAS figures on traces from
its generator (continuous-single and continuous-multiple, 36 + 36 + 36 GPUs, jobs 4,000-4,999,
seeds 0-2), read off the plot to the nearest hour by a third party's digitizer.

``generate_gavel_trace`` draws Gavel's jobs number for number (checked job by job below against
a third party's per-job log of Gavel's simulator), so a generated row runs the very jobs
Gavel's sweep ran. That third party's own averages of generated traces are kept in the table
but not compared with (their ``window`` column): a test below shows some are below the least
mean any schedule can give those jobs, so they are not whole-window means.

What holds and what does not, measured (also in docs/simulate.md, "Rounds"); each row
outside its tolerance is a strict xfail carrying its measured figure:

* physical trace, ``--rounds gavel``: agnostic 5.40 h against 5.4 h (-0.1%, mean of seeds
  0-2); aware 4.05 h against 3.7 h, **+9.5%** (xfail at 5%, bounded at 12%): Gavel's own code
  at c4fa400 gives 4.06 h on this trace (``test_gavel_rerun.py``, where ours is -0.3%), so the
  paper's printed figure is not what the shipped code computes; 3.91 h (+5.7%) with the
  allocation recomputed whenever the jobs change (``gavel_throttle_s=0``);
* physical trace, default mode: aware 3.76 h (+1.7%), agnostic 5.43 h (+0.5%);
* static trace, min-makespan against Gavel's min_total_duration_perf: 17.71 h fluid (+0.6%),
  17.86 h with Gavel's rounds (+1.5%) against 17.6 h;
* the paper's generated-trace points: the ``MEASURED`` table and the curve means below.
"""

from __future__ import annotations

import csv
import os
import re
import statistics
from functools import cache
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from computebroker.sim import SimConfig, parse_inline_fleet, report, simulate
from computebroker.sim.gavel import gavel_throughputs, gavel_trace
from computebroker.sim.gavel_rounds import AGNOSTIC, THROTTLE_S
from computebroker.sim.records import RoundMode
from computebroker.sim.traces import Trace, generate_gavel_trace

DATA = Path(__file__).with_name("data") / "gavel_reference.csv"
SEEDS = (0, 1, 2)  # Gavel's experiments use seeds 0, 1, 2 (its EXPERIMENTS.md)
GENERATED_CLUSTER = {"v100": 36, "p100": 36, "k80": 36}  # Gavel's Figure 8/9 cluster


class Reference(BaseModel):
    """One row of the reference table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    trace: str
    cluster: str
    policy: str
    gavel_policy: str
    metric: Literal["avg_jct", "makespan"]
    value_s: float
    measured_on: Literal["simulation", "physical"]
    jobs_averaged: str
    start: Literal["trace", "steady", "empty"]  # the trace's own, Gavel's steady state, empty
    window: Literal["complete", "partial", "unverified"]  # is value_s the window's whole mean?
    source: str
    as_of: str
    how_measured: str


def references() -> dict[str, Reference]:
    with DATA.open(newline="") as f:
        rows = [Reference.model_validate(r) for r in csv.DictReader(f)]
    return {r.id: r for r in rows}


def _physical(
    ref: Reference, mode: RoundMode, seeds: tuple[int, ...], throttle_s: float = THROTTLE_S
) -> float:
    """The reference's metric on its physical-cluster trace, averaged over ``seeds``."""
    out = []
    for seed in seeds:
        st = simulate(
            parse_inline_fleet(ref.cluster),
            gavel_trace(ref.trace.removeprefix("gavel:")),
            gavel_throughputs(),
            config=SimConfig(
                policy=ref.policy, rounds=mode, seed=seed, gavel_throttle_s=throttle_s
            ),
        )
        r = report(st)
        assert r.rejected == 0 and r.finished == r.jobs
        value = r.avg_jct_s if ref.metric == "avg_jct" else r.makespan_s
        assert value is not None
        out.append(value)
    return sum(out) / len(out)


def _deviation(ref_id: str, mode: RoundMode, throttle_s: float = THROTTLE_S) -> float:
    ref = references()[ref_id]
    # the speed-blind policy shuffles Gavel's worker-type order from the seed: average seeds
    seeds = SEEDS if ref.policy == "max-min-fairness-agnostic" and mode is RoundMode.GAVEL else (0,)
    return _physical(ref, mode, seeds, throttle_s) / ref.value_s - 1.0


def test_the_reference_rows_are_sourced() -> None:
    refs = references()
    assert len(refs) == 41
    for r in refs.values():
        assert r.source and r.as_of and r.how_measured and r.value_s > 0


@pytest.mark.parametrize(
    ("ref_id", "mode", "tolerance"),
    [
        ("las-physical-agnostic-sim", RoundMode.GAVEL, 0.05),
        ("las-physical-agnostic-sim", RoundMode.FLUID, 0.10),  # the criterion for the default
        ("las-physical-aware-sim", RoundMode.FLUID, 0.05),
        ("makespan-physical-aware-sim", RoundMode.GAVEL, 0.05),
        ("makespan-physical-aware-sim", RoundMode.FLUID, 0.05),
        ("las-physical-aware-sim", RoundMode.GAVEL, 0.12),  # measured +9.5%: see the xfail
    ],
)
def test_physical_trace_within_tolerance_of_gavels_simulation(
    ref_id: str, mode: RoundMode, tolerance: float
) -> None:
    dev = _deviation(ref_id, mode)
    assert abs(dev) <= tolerance, f"{ref_id} {mode}: {dev:+.1%}"


def test_without_the_throttle_agnostic_gavel_rounds_are_within_five_percent_of_the_paper() -> None:
    # recomputing the allocation whenever the jobs change: agnostic 5.15 h (-4.6%, mean of
    # seeds 0-2); aware 3.91 h (+5.7%)
    dev = _deviation("las-physical-agnostic-sim", RoundMode.GAVEL, throttle_s=0.0)
    assert abs(dev) <= 0.05, f"{dev:+.1%}"


@pytest.mark.xfail(strict=True, reason="measured +9.5% against the paper's 3.7 h (docstring)")
def test_aware_las_gavel_rounds_within_five_percent_of_the_paper() -> None:
    dev = _deviation("las-physical-aware-sim", RoundMode.GAVEL)
    assert abs(dev) <= 0.05, f"{dev:+.1%}"


# Gavel's own run of aware LAS at 7 jobs/h, seed 0, single-GPU jobs, steady state, 6-minute
# rounds, its 1,920-s throttle: per-job completion times ("duration", s) of the first 161 jobs
# to complete, from github.com/Turquoise-T/cs244c-GPU_fragment,
# experiments/gavel-replication/debug/telemetry_data/
# fig9_max_min_fairness_perf_7.0jph_single_s0_completions.json at ac7d0eb (its first 16,000
# characters). Jobs 0-107 are steady-state jobs (arrival 0), the others arrive later.
GAVEL_JOB_JCT_S = {
    0: 70942.53,
    1: 31745.42,
    2: 1323.68,
    3: 5119.01,
    4: 8562.94,
    6: 8353.76,
    7: 5357.68,
    8: 12715.01,
    9: 52229.52,
    10: 51442.26,
    11: 61722.24,
    12: 26707.70,
    13: 5767.72,
    15: 16542.78,
    16: 5047.12,
    19: 6363.89,
    20: 25291.88,
    22: 2559.33,
    23: 13548.23,
    24: 47862.50,
    25: 6570.13,
    26: 43684.58,
    27: 2033.57,
    28: 2578.04,
    29: 6025.93,
    30: 2475.82,
    33: 2723.99,
    34: 2843.87,
    36: 26602.29,
    37: 53348.72,
    38: 14366.91,
    39: 4987.32,
    40: 25711.57,
    41: 4606.10,
    42: 22504.90,
    44: 7684.08,
    45: 4907.57,
    46: 4674.26,
    47: 28987.84,
    48: 32471.63,
    49: 9981.78,
    50: 21882.42,
    51: 9953.29,
    52: 42815.86,
    54: 23590.88,
    55: 48243.03,
    56: 2873.03,
    57: 42358.00,
    58: 13325.19,
    59: 2055.15,
    60: 73260.18,
    61: 3898.76,
    62: 10340.34,
    63: 18553.33,
    65: 1379.07,
    66: 14624.98,
    67: 21922.88,
    69: 13504.11,
    70: 22997.23,
    72: 33014.77,
    74: 7858.32,
    76: 13790.26,
    77: 5491.21,
    80: 9414.48,
    81: 31667.67,
    82: 4441.41,
    83: 23113.21,
    84: 13354.30,
    86: 10085.10,
    87: 14703.95,
    88: 71543.00,
    89: 52893.11,
    90: 37186.16,
    91: 7227.96,
    92: 21505.30,
    93: 12744.18,
    94: 7484.31,
    95: 3180.12,
    96: 8206.88,
    97: 29143.28,
    98: 34224.12,
    99: 10454.67,
    100: 9084.45,
    101: 6797.55,
    102: 17148.84,
    103: 21341.09,
    104: 12918.66,
    105: 54478.43,
    106: 19534.25,
    107: 23149.68,
    109: 5507.09,
    110: 5292.31,
    112: 9299.80,
    113: 7933.19,
    114: 22985.31,
    115: 6544.31,
    117: 16295.02,
    120: 4533.13,
    122: 24604.81,
    123: 6977.85,
    124: 48878.47,
    125: 3120.49,
    126: 22138.76,
    127: 15902.39,
    128: 13249.12,
    129: 7972.94,
    130: 6602.76,
    131: 4474.69,
    132: 17524.07,
    133: 19150.23,
    134: 11695.09,
    135: 38367.02,
    137: 5457.13,
    138: 18583.07,
    140: 10361.74,
    143: 27860.67,
    144: 5117.65,
    145: 1491.61,
    147: 3446.40,
    148: 11399.60,
    149: 22717.97,
    150: 3686.58,
    151: 16142.52,
    152: 19745.07,
    153: 6272.70,
    154: 14917.33,
    155: 4875.71,
    156: 9086.20,
    157: 5210.70,
    159: 14407.74,
    160: 5353.74,
    161: 2898.28,
    162: 10460.56,
    164: 5360.24,
    170: 1825.45,
    172: 8974.62,
    174: 10363.58,
    175: 7676.86,
    176: 5891.67,
    177: 4649.46,
    179: 3931.36,
    182: 15306.69,
    183: 4608.09,
    184: 4428.17,
    185: 10441.49,
    187: 6523.79,
    190: 5399.40,
    191: 2643.10,
    193: 9270.55,
    194: 12923.46,
    195: 2849.57,
    196: 13496.77,
    199: 2994.24,
    200: 7757.41,
    201: 13333.30,
    203: 13392.32,
    205: 3191.16,
    207: 4061.89,
    208: 3935.15,
    212: 3527.58,
    216: 3754.22,
}


def _jct_ratios(throttle_s: float) -> list[float]:
    table = gavel_throughputs()
    tr = generate_gavel_trace(
        400,
        rate_per_hour=7.0,
        reference_rate=lambda jt, c: table.lookup(jt, "v100", c),
        seed=0,
        steady_state_chips=GENERATED_CLUSTER,
    )
    assert sum(1 for j in tr.jobs if j.arrival == 0.0) == 109  # 108 to fill 108 GPUs, then 1
    st = simulate(
        parse_inline_fleet("v100=36,p100=36,k80=36"),
        tr,
        table,
        config=SimConfig(
            policy="max-min-fairness",
            rounds=RoundMode.GAVEL,
            until_s=80_000.0,
            gavel_throttle_s=throttle_s,
        ),
    )
    out = []
    for i, want in GAVEL_JOB_JCT_S.items():
        got = st.records[i].jct
        assert got is not None, i
        out.append(got / want)
    return out


def test_gavels_generator_and_rounds_are_reproduced_job_for_job() -> None:
    # measured: 100 of the 161 jobs within 0.1% of Gavel's time (Gavel truncates each round's
    # steps to an integer: a fraction of a second), median ratio 0.9999, mean 0.9997 (75 and
    # 0.985 with the policy's own LP, before Gavel's was used); the rest drift apart as the
    # two runs' schedules diverge under contention
    ratios = _jct_ratios(THROTTLE_S)
    assert sum(abs(r - 1.0) < 1e-3 for r in ratios) >= 0.4 * len(ratios)
    assert statistics.median(ratios) == pytest.approx(1.0, abs=0.005)


def test_without_gavels_throttle_the_jobs_end_elsewhere() -> None:
    # the same run recomputing on every change: 5 of 161 within 0.1%, median ratio 0.94 — the
    # 1,920-s throttle is part of what Gavel's simulator does
    ratios = _jct_ratios(0.0)
    assert sum(abs(r - 1.0) < 1e-3 for r in ratios) < 0.1 * len(ratios)


def _window(ref: Reference) -> tuple[float, bool, int, int]:
    """(jobs per hour, multi-GPU, first and last+1 job of the window) of a generated row."""
    m = re.fullmatch(r"generate ([\d.]+) jobs/h (single|multi)-GPU", ref.trace)
    w = re.fullmatch(r"jobs (\d+)-(\d+)", ref.jobs_averaged)
    assert m and w, ref.id
    return float(m.group(1)), m.group(2) == "multi", int(w.group(1)), int(w.group(2)) + 1


def _generated(rate: float, multi: bool, hi: int, seed: int, start: str) -> Trace:
    """Gavel's generator's jobs for a window ending at job ``hi``, arrivals continuing past it
    (half as many jobs again: the run stops at the last arrival, by when every window job has
    ended; with a quarter more, one multi-GPU window job at 2.2 jobs/h had not)."""
    table = gavel_throughputs()
    return generate_gavel_trace(
        int(hi * 1.5),
        rate_per_hour=rate,
        reference_rate=lambda jt, c: table.lookup(jt, "v100", c),
        seed=seed,
        multi_chip=multi,
        steady_state_chips=GENERATED_CLUSTER if start == "steady" else None,
    )


@cache
def _window_jct(ref_id: str, mode: RoundMode, seed: int) -> float:
    """Average JCT of the row's window of jobs from Gavel's generator, as Gavel's sweep runs it."""
    ref = references()[ref_id]
    rate, multi, lo, hi = _window(ref)
    tr = _generated(rate, multi, hi, seed, ref.start)
    st = simulate(
        parse_inline_fleet(ref.cluster),
        tr,
        gavel_throughputs(),
        config=SimConfig(policy=ref.policy, rounds=mode, seed=seed, until_s=tr.jobs[-1].arrival),
    )
    jcts = [r.jct for r in st.records[lo:hi]]
    assert all(j is not None for j in jcts), f"{ref_id}: window jobs unfinished"
    return sum(j for j in jcts if j is not None) / len(jcts)


def _least_possible_mean(ref: Reference, seed: int) -> float:
    """The least mean JCT any schedule can give the row's window of jobs: each job's work at
    the rate of its fastest GPU type for its gang, averaged (no waiting, no sharing)."""
    table = gavel_throughputs()
    rate, multi, lo, hi = _window(ref)
    jobs = _generated(rate, multi, hi, seed, ref.start).jobs[lo:hi]
    best = [max(table.lookup(j.job_type, a, j.chips) for a in GENERATED_CLUSTER) for j in jobs]
    return sum(j.work / b for j, b in zip(jobs, best, strict=True)) / len(jobs)


def _per_seed(ref: Reference) -> list[float]:
    """The per-seed figures a third party's row quotes ("mean of seeds 0, 1, 2 (a, b, c s)")."""
    m = re.search(r"\(([\d]+), ([\d]+), ([\d]+)(?: s)?\)", ref.how_measured)
    assert m, ref.id
    return [float(g) for g in m.groups()]


@pytest.mark.parametrize(
    ("ref_id", "seed"),
    [
        ("las-generated-single-aware", 2),  # 14.75 h against at least 15.75 h
        ("las-generated-multi-aware", 2),  # 14.50 h against at least 15.08 h
        ("las-generated-multi-aware-0.2jph", 2),  # 16.80 h against at least 18.89 h
    ],
)
def test_the_third_partys_generated_rows_are_not_whole_window_means(ref_id: str, seed: int) -> None:
    # why those rows are kept out of the comparison (their `window` column): the figure is
    # below what any schedule can give the very jobs Gavel's generator draws for the window
    ref = references()[ref_id]
    assert ref.window != "complete"
    assert _per_seed(ref)[seed] < 0.97 * _least_possible_mean(ref, seed)


# Where a paper point is outside the tolerance, its measured deviation (mean of seeds 0-2; a
# strict xfail, so a change that fixes one shows up). The paper's points are read off its plot
# to the nearest hour (about 3%), so single points carry that error; the mean over a curve's
# points (below) averages it out.
_G, _F = RoundMode.GAVEL, RoundMode.FLUID
MEASURED: dict[tuple[str, RoundMode], str] = {
    # Gavel's own code gives 17.39 h at 0.5 jobs/h and 17.18 h at 4.5 (test_gavel_rerun.py):
    # the single-GPU aware curve as plotted is not what the shipped code computes
    (
        "las-paper-single-aware-0.5jph",
        _G,
    ): "measured +8.7% (17.39 h against 16 h; Gavel's code 17.39 h)",
    ("las-paper-single-aware-3.0jph", _G): "measured +6.4% (15.96 h against 15 h)",
    ("las-paper-single-aware-4.0jph", _G): "measured +9.8% (16.48 h against 15 h)",
    (
        "las-paper-single-aware-4.5jph",
        _G,
    ): "measured +22.9% (17.21 h against 14 h; Gavel's code 17.18 h)",
    ("las-paper-multi-aware-1.0jph", _G): "measured +5.2% (16.83 h against 16 h)",
    ("las-paper-multi-aware-2.2jph", _G): "measured +5.6% (20.06 h against 19 h; the knee)",
    ("las-paper-multi-agnostic-2.2jph", _G): "measured -11.9% (26.43 h against 30 h; the knee)",
    ("las-paper-multi-agnostic-2.2jph", _F): "measured -15.6% (25.32 h against 30 h; the knee)",
}

# Each generated row runs 3 seeds of 7,500 jobs (the window ends at job 5,000): these run in
# every `make test`, the rest with CB_GAVEL_FULL=1 (about 40 min of CPU for all of them).
ALWAYS = {"las-paper-single-aware-1.0jph", "las-paper-single-agnostic-1.0jph"}
FULL = os.environ.get("CB_GAVEL_FULL") == "1"
FULL_ONLY = pytest.mark.skipif(
    not FULL, reason="the paper's other points take ~40 min of CPU: run with CB_GAVEL_FULL=1"
)


def _paper_rows(mode: RoundMode) -> list[Reference]:
    rows = [r for r in references().values() if r.start == "empty" and r.window == "complete"]
    return [r for r in rows if mode is RoundMode.GAVEL or r.policy == AGNOSTIC]


def _generated_cases(mode: RoundMode, tolerance: float) -> list[object]:
    cases: list[object] = []
    for ref in _paper_rows(mode):
        marks: list[pytest.MarkDecorator] = [pytest.mark.slow]
        if ref.id not in ALWAYS:
            marks.append(FULL_ONLY)
        why = MEASURED.get((ref.id, mode))
        if why is not None:
            marks.append(pytest.mark.xfail(strict=True, reason=why))
        cases.append(pytest.param(ref.id, tolerance, marks=marks, id=f"{ref.id}-{mode}"))
    return cases


def _generated_deviation(ref_id: str, mode: RoundMode) -> float:
    ours = sum(_window_jct(ref_id, mode, s) for s in SEEDS) / len(SEEDS)
    return ours / references()[ref_id].value_s - 1.0


@pytest.mark.parametrize(("ref_id", "tolerance"), _generated_cases(RoundMode.GAVEL, 0.05))
def test_generated_traces_gavel_rounds_within_five_percent(ref_id: str, tolerance: float) -> None:
    dev = _generated_deviation(ref_id, RoundMode.GAVEL)
    assert abs(dev) <= tolerance, f"{ref_id}: {dev:+.1%}"


@pytest.mark.parametrize(("ref_id", "tolerance"), _generated_cases(RoundMode.FLUID, 0.10))
def test_generated_traces_default_agnostic_within_ten_percent(
    ref_id: str, tolerance: float
) -> None:
    dev = _generated_deviation(ref_id, RoundMode.FLUID)
    assert abs(dev) <= tolerance, f"{ref_id}: {dev:+.1%}"


# measured mean deviations over each curve's points (2026-12-02): single-GPU aware `gavel`
# +7.5% (Gavel's own code is as far off at the two ends it was run at, test_gavel_rerun.py),
# agnostic +1.7%, `fluid` agnostic +0.7%; multi-GPU aware +1.1%, agnostic +0.3%, `fluid`
# agnostic -1.3%
_CURVE_XFAIL = {("single", "max-min-fairness", RoundMode.GAVEL): "measured +7.5% over 6 points"}


def _curve(kind: str, policy: str, mode: RoundMode, tol: float) -> object:
    marks: list[pytest.MarkDecorator] = [pytest.mark.slow, FULL_ONLY]
    why = _CURVE_XFAIL.get((kind, policy, mode))
    if why is not None:
        marks.append(pytest.mark.xfail(strict=True, reason=why))
    return pytest.param(kind, policy, mode, tol, marks=marks, id=f"{kind}-{policy}-{mode}")


CURVES = [
    _curve(kind, policy, mode, tol)
    for kind in ("single", "multi")
    for policy, mode, tol in (
        ("max-min-fairness", RoundMode.GAVEL, 0.05),
        (AGNOSTIC, RoundMode.GAVEL, 0.05),
        (AGNOSTIC, RoundMode.FLUID, 0.10),
    )
]


@pytest.mark.parametrize(("kind", "policy", "mode", "tolerance"), CURVES)
def test_each_paper_curve_on_average_within_tolerance(
    kind: str, policy: str, mode: RoundMode, tolerance: float
) -> None:
    rows = [
        r
        for r in _paper_rows(mode)
        if r.policy == policy and r.trace.endswith(f"jobs/h {kind}-GPU")
    ]
    assert len(rows) >= 5
    devs = [_generated_deviation(r.id, mode) for r in rows]
    mean = sum(devs) / len(devs)
    assert abs(mean) <= tolerance, f"{kind} {policy} {mode}: mean {mean:+.1%} over {devs}"
