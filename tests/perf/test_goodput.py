"""Goodput: days and chip-hours include interruptions, restarts and evaluation.

Expectations are Meta's published figures, independent of the model: the Llama 3 paper's
interruption rate and effective training time (Dubey et al. 2024, Sec. 3.3.4: 466 interruptions
in 54 days on 16,384 H100s, "higher than 90% effective training time"), and the Llama 3.1 model
card's training GPU-hours (405B: 30.84M H100-80GB hours; 70B: 7.0M). The throughput comes from
the model as any user gets it; only Meta's published setup (16,384 H100s, 8,192-token
sequences then the long-context stage, 16M-token batches, 15.6T tokens for 405B, Meta's own
PyTorch stack) is given. Nothing is fitted to the GPU-hours.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from computebroker.catalog import load_catalog
from computebroker.perf import TrainingRequest, estimate_training, get_model, get_stack
from computebroker.perf.goodput import LLAMA3, NO_INTERRUPTIONS

# Llama 3 pre-training ends with ~800B tokens of long-context training in six stages from 8K
# to 128K context (Dubey et al. 2024, Sec. 3.4.2); the split across stages is not published,
# so it is spread evenly over 16K, 32K, 64K and 128K here (an assumption).
LONG_CONTEXT_TOKENS = 0.8e12
LONG_CONTEXT_STAGES = (16384, 32768, 65536, 131072)


def _phase(model: str, tokens: float, seq: int) -> tuple[float, float]:
    (r,) = estimate_training(
        load_catalog(),
        TrainingRequest(
            model=get_model(model),
            accelerator="h100",
            chips=16384,
            tokens=tokens,
            seq_len=seq,
            global_batch_tokens=16 * 2**20,
            stack=get_stack("torchtitan"),
        ),
    )
    assert r.chip_hours is not None, r.error
    return r.chip_hours, r.goodput


def _meta_chip_hours(model: str, tokens: float) -> tuple[float, float]:
    hours, good = _phase(model, tokens - LONG_CONTEXT_TOKENS, 8192)
    for seq in LONG_CONTEXT_STAGES:
        hours += _phase(model, LONG_CONTEXT_TOKENS / len(LONG_CONTEXT_STAGES), seq)[0]
    return hours, good


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


def test_llama31_70b_gpu_hours_within_15_percent_of_meta() -> None:
    hours, _ = _meta_chip_hours("llama3.1-70b", 15e12)
    assert hours == pytest.approx(7.0e6, rel=0.15), f"{hours / 1e6:.2f}M"


def test_cost_and_days_include_goodput() -> None:
    cat = load_catalog()
    base = TrainingRequest(
        model=get_model("llama3-8b"), accelerator="h100", chips=4096, tokens=1e12
    )
    (on,) = estimate_training(cat, base)
    (off,) = estimate_training(cat, replace(base, goodput=NO_INTERRUPTIONS))
    assert on.time_to_train_s and off.time_to_train_s and on.cheapest and off.cheapest
    assert on.time_to_train_s == pytest.approx(off.time_to_train_s / on.goodput)
    assert on.cheapest.usd_per_million_tokens > off.cheapest.usd_per_million_tokens


def test_spot_only_chip_is_ranked_and_flagged() -> None:
    # Without its Capacity Block rows Trainium2 has no firm public price (AWS publishes no
    # on-demand rate); its spot price is then the only public one, used and flagged.
    cat = load_catalog()
    no_blocks = replace(
        cat, offerings=tuple(o for o in cat.offerings if "Capacity Block" not in o.id)
    )
    (r,) = estimate_training(
        no_blocks,
        TrainingRequest(model=get_model("llama3-8b"), accelerator="trn2", chips=64, tokens=1e12),
    )
    assert r.cheapest is not None and r.spot_only
