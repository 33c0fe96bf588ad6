"""Step-time and memory model: hand-checked memory, invariants, infeasibility messages."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computebroker.catalog import load_catalog
from computebroker.errors import InfeasibleRequestError, InputError
from computebroker.perf import (
    Layout,
    LayoutConstraints,
    Precision,
    Recompute,
    TrainSetup,
    evaluate_layout,
    get_model,
    get_stack,
    parse_count,
    profile_for,
    search_layouts,
)
from computebroker.perf.train import minimum_chips
from tests.strategies import dense_models

CAT = load_catalog()
GIB = 1024**3


def hw(name: str):
    return profile_for(CAT.accelerator(name))


def test_memory_by_hand_llama2_7b_single_chip() -> None:
    m = get_model("llama2-7b")
    setup = TrainSetup(
        model=m, seq_len=4096, global_batch_tokens=4096.0, stack=get_stack("megatron-core")
    )
    est = evaluate_layout(
        setup, hw("h200"), Layout(tp=1, pp=1, dp=1, zero=0, recompute=Recompute.NONE)
    )
    p = m.params
    assert est.memory.weights == pytest.approx(2 * p)  # bf16 weights
    assert est.memory.gradients == pytest.approx(2 * p)  # bf16 gradient buffer (megatron-core)
    assert est.memory.optimizer == pytest.approx(12 * p)  # fp32 master + Adam m, v
    # activations per token per layer (bf16): attention 2(2h + 2q + 2kv) + MLP 2(2h + 3f)
    h, f = 4096, 11008
    per_token_layer = 2 * (2 * h + 2 * h + 2 * h) + 2 * (2 * h + 3 * f)
    assert est.memory.activations == pytest.approx(4096 * 32 * per_token_layer)
    assert est.memory.logits == pytest.approx(4096 * 32000 * 4)  # bf16 logits + their gradient


def test_zero_sharding_divides_state() -> None:
    m = get_model("llama3-8b")
    setup = TrainSetup(model=m, seq_len=8192, global_batch_tokens=64 * 8192.0)
    base: dict[str, Any] = dict(tp=1, pp=1, dp=64, recompute=Recompute.SELECTIVE)
    z1 = evaluate_layout(setup, hw("h100"), Layout(**base, zero=1)).memory
    z3 = evaluate_layout(setup, hw("h100"), Layout(**base, zero=3)).memory
    assert z1.optimizer == pytest.approx(12 * m.params / 64)
    assert z1.weights == pytest.approx(2 * m.params)
    assert z3.weights == pytest.approx(2 * m.params / 64)
    assert z3.gradients == pytest.approx(z1.gradients / 64)


def test_recompute_trades_memory_for_time() -> None:
    setup = TrainSetup(model=get_model("llama3-70b"), seq_len=8192, global_batch_tokens=2**24)
    lay: dict[str, Any] = dict(tp=8, pp=4, dp=32, microbatch=1, zero=1)
    none = evaluate_layout(setup, hw("h100"), Layout(**lay, recompute=Recompute.NONE))
    sel = evaluate_layout(setup, hw("h100"), Layout(**lay, recompute=Recompute.SELECTIVE))
    full = evaluate_layout(setup, hw("h100"), Layout(**lay, recompute=Recompute.FULL))
    assert none.memory.activations > sel.memory.activations > full.memory.activations
    assert none.step_time_s <= sel.step_time_s < full.step_time_s
    assert full.hfu > full.mfu  # hardware FLOPs count the recomputed forward


def test_pipeline_bubble_matches_formula() -> None:
    setup = TrainSetup(model=get_model("gpt3-175b"), seq_len=2048, global_batch_tokens=64 * 2048.0)
    est = evaluate_layout(
        setup, hw("a100-80gb"), Layout(tp=8, pp=8, dp=1, vpp=1, recompute=Recompute.FULL)
    )
    n_micro = 64
    # bubble = (p - 1) / v micro-batch times; the pipeline = m micro-batch times
    t_mb = (est.step.total_s - est.step.optimizer_s - est.step.dp_comm_s) / (n_micro + 7)
    assert est.step.bubble_s == pytest.approx(7 * t_mb, rel=1e-6)


def test_search_respects_pins_and_memory() -> None:
    setup = TrainSetup(model=get_model("llama3.1-405b"), seq_len=8192, global_batch_tokens=2**24)
    h = hw("h100")
    ests = search_layouts(setup, h, 2048, LayoutConstraints(tp=8, pp=16), top=3)
    for e in ests:
        assert e.layout.tp == 8 and e.layout.pp == 16 and e.layout.chips == 2048
        assert e.memory.total <= e.memory.usable <= h.hbm_bytes


def test_infeasible_says_how_many_chips() -> None:
    setup = TrainSetup(model=get_model("llama3.1-405b"), seq_len=8192, global_batch_tokens=2**22)
    with pytest.raises(InfeasibleRequestError) as exc:
        search_layouts(setup, hw("l4"), 8)
    msg = str(exc.value)
    assert "needs >= " in msg and "chips of l4" in msg
    need = int(msg.split("needs >= ")[1].split(" ", maxsplit=1)[0].replace(",", ""))
    # the stated minimum really is enough: some layout fits on that many chips
    assert need == minimum_chips(setup, hw("l4"))
    big = TrainSetup(
        model=setup.model, seq_len=8192, global_batch_tokens=float(max(512, need) * 8192)
    )
    assert search_layouts(big, hw("l4"), need, top=1)


def test_fp8_faster_than_bf16_on_h100() -> None:
    kw: dict[str, Any] = dict(
        model=get_model("llama3-70b"), seq_len=8192, global_batch_tokens=2**22
    )
    bf = search_layouts(TrainSetup(**kw), hw("h100"), 64, top=1)[0]
    f8 = search_layouts(TrainSetup(**kw, precision=Precision.FP8), hw("h100"), 64, top=1)[0]
    assert f8.tokens_per_s_per_chip > 1.2 * bf.tokens_per_s_per_chip


def test_vendor_counting_conventions() -> None:
    assert parse_count("v5p-1024", CAT.accelerator("tpu-v5p")) == 512  # 2 TensorCores per chip
    assert parse_count("v4-8", CAT.accelerator("tpu-v4")) == 4
    assert parse_count("v5e-256", CAT.accelerator("tpu-v5e")) == 256  # v5e names count chips
    assert parse_count("32nc", CAT.accelerator("trn1")) == 16  # 2 NeuronCores per Trn1 chip
    assert parse_count("128c", CAT.accelerator("trn2")) == 16  # 8 NeuronCores per Trn2 chip
    with pytest.raises(InputError, match="not a whole number"):
        parse_count("3nc", CAT.accelerator("trn1"))


@settings(max_examples=25, deadline=None)
@given(model=dense_models(), acc=st.sampled_from(["h100", "tpu-v5p", "mi300x", "b200"]))
def test_feasible_layouts_fit_in_hbm(model, acc) -> None:
    h = hw(acc)
    setup = TrainSetup(
        model=model, seq_len=model.seq_len, global_batch_tokens=1024.0 * model.seq_len
    )
    try:
        ests = search_layouts(setup, h, 256, top=3)
    except InfeasibleRequestError as exc:
        message = str(exc)
        ests = []
    else:
        message = ""
    if not ests:
        assert "needs >= " in message or "does not fit" in message
    for e in ests:
        assert e.memory.total <= h.hbm_bytes
        assert e.memory.fits
        assert 0 < e.mfu < 1 and e.hfu >= e.mfu - 1e-12


@settings(max_examples=20, deadline=None)
@given(model=dense_models(), acc=st.sampled_from(["h100", "tpu-v5p", "trn2"]), k=st.integers(5, 9))
def test_more_chips_never_lower_aggregate_throughput(model, acc, k) -> None:
    h = hw(acc)
    n = 2**k
    setup = TrainSetup(
        model=model, seq_len=model.seq_len, global_batch_tokens=4096.0 * model.seq_len
    )
    try:
        small = search_layouts(setup, h, n, top=1)[0]
    except InfeasibleRequestError:
        return
    large = search_layouts(setup, h, 2 * n, top=1)[0]
    assert large.tokens_per_s >= small.tokens_per_s * (1 - 1e-9)
    assert not math.isnan(large.tokens_per_s)


def test_fsdp_with_pipeline_parallelism_when_pinned() -> None:
    # FSDP2 + PP (torchtitan) used to be rejected as "no layout".
    from computebroker.catalog import load_catalog
    from computebroker.perf import LayoutConstraints, TrainingRequest, estimate_training
    from computebroker.perf.presets import get_model

    (r,) = estimate_training(
        load_catalog(),
        TrainingRequest(
            model=get_model("llama3-70b"),
            accelerator="h100",
            chips=64,
            constraints=LayoutConstraints(zero=3, pp=4),
        ),
    )
    assert r.best is not None, r.error
    assert (r.best.layout.zero, r.best.layout.pp) == (3, 4)
    assert r.best.step.dp_comm_s >= 0 and r.best.memory.fits
