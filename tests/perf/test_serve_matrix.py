"""Serving at a latency target, the throughput matrix, and calibration on synthetic runs."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from computebroker.catalog import load_catalog
from computebroker.errors import InfeasibleRequestError, InputError
from computebroker.perf import (
    Mode,
    ServeSetup,
    WorkloadClass,
    calibrate,
    estimate_serving,
    get_model,
    load_workloads,
    profile_for,
    published_runs,
    read_matrix,
    throughput_matrix,
    write_matrix,
)
from computebroker.perf.hardware import Efficiency, efficiency_table
from computebroker.perf.serve import decode_step_time, serve_at
from computebroker.perf.validation import predict_run

CAT = load_catalog()


def test_serving_meets_targets_and_fits() -> None:
    setup = ServeSetup(model=get_model("llama3-70b"), ttft_ms=1000, tpot_ms=40)
    h = profile_for(CAT.accelerator("h100"))
    e = estimate_serving(setup, h)
    assert e.tpot_s * 1000 <= 40 + 1e-9
    assert e.ttft_s * 1000 <= 1000
    assert e.weights_gib_per_chip + e.kv_gib_per_chip <= e.usable_gib_per_chip
    # one more sequence would break the TPOT target or the memory: the batch is the largest
    step, _ = decode_step_time(setup, h, e.tp, e.batch + 1)
    kv_one = e.kv_gib_per_chip / e.batch
    assert (
        step * 1000 > 40 or e.weights_gib_per_chip + kv_one * (e.batch + 1) > e.usable_gib_per_chip
    )


def test_looser_latency_buys_throughput() -> None:
    h = profile_for(CAT.accelerator("h200"))
    m = get_model("llama3-8b")
    tight = estimate_serving(ServeSetup(model=m, tpot_ms=15), h)
    loose = estimate_serving(ServeSetup(model=m, tpot_ms=60), h)
    assert loose.output_tokens_per_s_per_chip > tight.output_tokens_per_s_per_chip


def test_decode_at_batch_one_is_bandwidth_bound() -> None:
    # Llama-3-8B bf16 on one H100: 16 GB of weights / (3.35 TB/s x 0.8) ~ 6 ms per token
    h = profile_for(CAT.accelerator("h100"))
    e = serve_at(
        ServeSetup(model=get_model("llama3-8b"), tpot_ms=6.5, prompt_tokens=100, output_tokens=100),
        h,
        1,
    )
    assert e.bound == "memory"
    assert e.tpot_s == pytest.approx(16.06e9 / (3.35e12 * 0.8), rel=0.15)


def test_unservable_explains() -> None:
    with pytest.raises(InfeasibleRequestError, match="cannot be served on l4"):
        estimate_serving(
            ServeSetup(model=get_model("llama3-70b")), profile_for(CAT.accelerator("l4"))
        )


def test_matrix_dims_nan_and_roundtrip(tmp_path: Path) -> None:
    ws = [
        WorkloadClass(name="train-8b", model=get_model("llama3-8b"), mode=Mode.TRAIN, chips=64),
        WorkloadClass(
            name="serve-70b",
            model=get_model("llama3-70b"),
            mode=Mode.SERVE,
            serve=ServeSetup(model=get_model("llama3-70b")),
        ),
    ]
    ds = throughput_matrix(ws, CAT, ["h100", "l4", "tpu-v5p"])
    assert ds.work_per_chip_hour.dims == ("workload", "accelerator")
    assert math.isnan(float(ds.work_per_chip_hour.sel(workload="serve-70b", accelerator="l4")))
    assert "cannot be served" in str(ds.note.sel(workload="serve-70b", accelerator="l4").item())
    for suffix in (".csv", ".json"):
        p = tmp_path / f"m{suffix}"
        p.write_text(write_matrix(ds, p))
        back = read_matrix(p)
        assert list(back.workload.values) == ["train-8b", "serve-70b"]
        a = ds.work_per_chip_hour.values
        b = back.work_per_chip_hour.values
        assert ((a == b) | (np.isnan(a) & np.isnan(b))).all()


def test_matrix_override(tmp_path: Path) -> None:
    p = tmp_path / "w.yaml"
    p.write_text(
        "workloads:\n  - name: custom\n    model: llama3-8b\n    mode: train\n    chips: 64\n    throughput: {h100: 123.0}\n"
    )
    ds = throughput_matrix(load_workloads(p), CAT, ["h100", "b200"])
    assert float(ds.work_per_chip_hour.sel(workload="custom", accelerator="h100")) == 123.0
    assert float(ds.work_per_chip_hour.sel(workload="custom", accelerator="b200")) > 1e6


def test_workloads_file_errors(tmp_path: Path) -> None:
    p = tmp_path / "w.yaml"
    p.write_text(
        "workloads:\n  - name: a\n    model: llama3-8b\n    mode: train\n    ttft_ms: 100\n  - name: b\n    model: nope-1b\n"
    )
    with pytest.raises(InputError) as exc:
        load_workloads(p)
    text = str(exc.value)
    assert (
        "only apply to mode: serve" in text
        and "w.yaml:7" in text
        and "unknown model 'nope-1b'" in text
    )


def test_calibration_recovers_a_known_efficiency() -> None:
    # Synthetic "measurements": the model's own predictions with h100 bf16 efficiency 0.5;
    # calibrating from the shipped value must recover 0.5.
    truth = dict(efficiency_table())
    truth["h100"] = Efficiency(key="h100", matmul_bf16=0.5, matmul_fp8=truth["h100"].matmul_fp8)
    runs = [r for r in published_runs() if r.accelerator == "h100" and r.precision.value == "bf16"]
    runs = [
        replace(r, value=predict_run(r, efficiencies=truth), unit="tokens_per_s_per_chip")
        for r in runs
    ]
    cal = calibrate(runs)
    assert cal.efficiencies["h100"].matmul_bf16 == pytest.approx(0.5, abs=0.01)
    assert cal.summary["max_abs_error"] < 0.01


def test_matrix_cells_carry_their_band() -> None:
    from computebroker.catalog import load_catalog
    from computebroker.perf import Mode, WorkloadClass, get_model, throughput_matrix
    from computebroker.perf.matrix import matrix_records

    w = WorkloadClass(name="t", model=get_model("llama3-8b"), mode=Mode.TRAIN, chips=64)
    ds = throughput_matrix([w], load_catalog(), ["h100", "mi300x"])
    rows = {r["accelerator"]: r for r in matrix_records(ds)}
    assert str(rows["h100"]["band_label"]).startswith("fitted on")
    assert str(rows["mi300x"]["band_label"]).startswith("vendor default")
    assert 0 < float(rows["h100"]["band_rel"]) <= float(rows["mi300x"]["band_rel"])  # type: ignore[arg-type]
