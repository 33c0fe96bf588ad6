"""Golden: the fit residual of the model on the published runs it was fitted on.

These are in-sample checks (does the fitted model describe its own calibration set, and are
the units converted right); the out-of-sample accuracy is gated by tests/perf/test_accuracy.py.

The table (src/computebroker/perf/data/published_runs.csv) holds runs collected from papers and
vendor pages, each with its source; published figures are converted to tokens/s per chip with
each publication's own FLOP convention (validation.py), independent of the model.
"""

from __future__ import annotations

import statistics

import pytest

from computebroker.perf import published_runs, run_errors
from computebroker.perf.validation import observed_tokens_per_s_per_chip

RUNS = published_runs()
ERRORS = run_errors(RUNS)


def test_at_least_twenty_runs_from_several_sources() -> None:
    assert len(RUNS) >= 20
    assert all(r.source for r in RUNS)
    assert len({r.accelerator for r in RUNS}) >= 6
    assert len({r.source.split(",")[0] for r in RUNS}) >= 6


def test_every_run_is_costed() -> None:
    assert [e.run.id for e in ERRORS if e.predicted is None] == []


def test_fit_residual_median_at_most_10_percent() -> None:
    med = statistics.median(abs(e.error) for e in ERRORS)
    assert med <= 0.10, f"fit residual median |error| {med:.1%}"


def test_no_fit_residual_above_30_percent() -> None:
    worst = max(ERRORS, key=lambda e: abs(e.error))
    assert abs(worst.error) <= 0.30, f"fit residual {worst.run.id}: {worst.error:+.1%}"


@pytest.mark.parametrize(
    ("run_id", "expected"),
    [
        # 64 GPUs x 2048 tokens / 13.75 s / 64 GPUs (Korthikanti et al. 2022, Table 5)
        ("korthikanti22-175b-selective", 64 * 2048 / 13.75 / 64),
        # 238.3K tokens/s on 6144 TPU v4 chips (PaLM, Sec. 4)
        ("palm22-540b", 238_300 / 6144),
        # 7.51 seq/s x 8192 tokens on 32 trn1 nodes of 16 chips
        ("neuron-trn1-llama3.1-70b", 7.51 * 8192 / 512),
        # 137 TFLOP/s / (96 l h^2 (1 + s/6h + V/16lh)) with l=24, h=2304, s=2048, V=51200
        (
            "narayanan21-t1-1.7b",
            137e12 / (96 * 24 * 2304**2 * (1 + 2048 / (6 * 2304) + 51200 / (16 * 24 * 2304))),
        ),
    ],
)
def test_unit_conversions(run_id: str, expected: float) -> None:
    run = next(r for r in RUNS if r.id == run_id)
    assert observed_tokens_per_s_per_chip(run) == pytest.approx(expected, rel=1e-9)
