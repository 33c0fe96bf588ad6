"""MoE terms of the step-time model, each checked by hand.

* grouped-GEMM efficiency: m / (m + 128) x f / (f + 600) (DeepGEMM README roll-off);
* load imbalance: the slowest EP rank's routed tokens are 1.25x the mean unless the run forces
  balanced routing (Megatron-Bridge benchmarks do, and say so);
* all-to-all: dispatch + combine, forward and backward = 4 k h bf16 bytes per token, split
  between scale-up and scale-out links when EP spans nodes, the slower set timing it;
  ``stack.ep_overlap`` of it hidden behind the layer's compute.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from computebroker.catalog import load_catalog
from computebroker.perf import (
    Layout,
    Recompute,
    TrainSetup,
    evaluate_layout,
    get_model,
    get_stack,
    profile_for,
)
from computebroker.perf.train import (
    GROUPED_GEMM_F0,
    GROUPED_GEMM_M0,
    MOE_DEFAULT_IMBALANCE,
    all_to_all_time,
    grouped_gemm_factor,
)
from computebroker.perf.validation import holdout_runs

CAT = load_catalog()


def test_grouped_gemm_factor_by_hand() -> None:
    assert (GROUPED_GEMM_M0, GROUPED_GEMM_F0) == (128.0, 600.0)
    # At m = M0 and f = F0 each factor is one half.
    assert grouped_gemm_factor(128.0, 600.0) == pytest.approx(0.25)
    # Qwen3-30B-A3B expert (width 768) at 2048 tokens per expert: 2048/2176 x 768/1368.
    assert grouped_gemm_factor(2048.0, 768.0) == pytest.approx(2048 / 2176 * 768 / 1368)


def test_grouped_gemm_factor_tracks_deepgemm_masked_layout() -> None:
    # DeepGEMM README (H800, N=4096, K=7168): 1233 / 1040 / 932 TFLOPS at 1024 / 512 / 256
    # tokens per group. The curve puts 1024 vs 256 within 1% of the table and 512 vs 256 within 8%.
    f = 4096.0
    for m_hi, m_lo, published in ((1024, 256, 1233 / 932), (512, 256, 1040 / 932)):
        ratio = grouped_gemm_factor(m_hi, f) / grouped_gemm_factor(m_lo, f)
        assert ratio == pytest.approx(published, rel=0.08)


@given(
    m=st.floats(1.0, 1e6),
    f=st.floats(1.0, 1e5),
    k=st.floats(1.01, 100.0),
)
def test_grouped_gemm_factor_shape(m: float, f: float, k: float) -> None:
    g = grouped_gemm_factor(m, f)
    assert 0.0 < g < 1.0
    assert grouped_gemm_factor(m * k, f) > g  # more tokens per expert: fuller tiles
    assert grouped_gemm_factor(m, f * k) > g  # wider experts: fuller tiles


def test_all_to_all_time_by_hand() -> None:
    # Inside one scale-up domain: (ep - 1)/ep of the bytes over the scale-up links.
    t = all_to_all_time(
        bytes_per_rank=800.0, ep=8, inner=8, up_bytes_per_s=100.0, out_bytes_per_s=1.0
    )
    assert t == pytest.approx(800 * 7 / 8 / 100)
    # EP 32 over 4 domains of 8: 7/32 over scale-up (175 B at 100 B/s = 1.75 s), 24/32 over
    # scale-out (600 B at 10 B/s = 60 s); concurrent, so 60 s.
    t = all_to_all_time(
        bytes_per_rank=800.0, ep=32, inner=8, up_bytes_per_s=100.0, out_bytes_per_s=10.0
    )
    assert t == pytest.approx(60.0)
    # No expert parallelism, nothing moves.
    assert all_to_all_time(
        bytes_per_rank=800.0, ep=1, inner=1, up_bytes_per_s=1.0, out_bytes_per_s=1.0
    ) == pytest.approx(0.0)


def _qwen_setup(imbalance: float, stack: str = "megatron-core") -> TrainSetup:
    return TrainSetup(
        model=get_model("qwen3-30b-a3b"),
        seq_len=4096,
        global_batch_tokens=16 * 4096.0,
        stack=get_stack(stack),
        moe_imbalance=imbalance,
    )


LAY16 = Layout(tp=1, pp=1, dp=16, ep=16, microbatch=1, recompute=Recompute.SELECTIVE)


def test_moe_layer_all_to_all_over_two_h100_nodes_by_hand() -> None:
    # Qwen3-30B-A3B (48 MoE layers, h 2048, top-8), EP 16 over two 8-GPU H100 nodes, one
    # micro-batch of 4096 tokens, balanced routing, no overlap (megatron-core default).
    hw = profile_for(CAT.accelerator("h100"))
    est = evaluate_layout(_qwen_setup(1.0), hw, LAY16)
    bytes_rank = 4 * 4096 * 8 * 2048 * 2.0  # dispatch + combine, fwd + bwd, bf16
    eff = hw.constants.a2a_eff
    t_up = bytes_rank * 7 / 16 / (hw.scale_up_bytes_per_s * eff)
    t_out = bytes_rank * 8 / 16 / (hw.scale_out_bytes_per_s * eff)
    assert t_out > t_up  # the NICs, not NVLink, time it
    assert est.step.ep_comm_s == pytest.approx(48 * max(t_up, t_out), rel=1e-9)
    # The same bytes with the imbalance default: the busiest rank receives 1.25x the mean.
    skewed = evaluate_layout(_qwen_setup(0.0), hw, LAY16)
    assert skewed.step.ep_comm_s == pytest.approx(MOE_DEFAULT_IMBALANCE * est.step.ep_comm_s)


def test_ep_overlap_hides_all_to_all_up_to_the_compute() -> None:
    hw = profile_for(CAT.accelerator("h100"))
    base = _qwen_setup(1.0)
    none = evaluate_layout(base, hw, LAY16)
    assert base.stack is not None and base.stack.ep_overlap == 0.0
    half = evaluate_layout(replace(base, stack=replace(base.stack, ep_overlap=0.5)), hw, LAY16)
    full = evaluate_layout(get_dualpipe(base), hw, LAY16)
    per_layer_raw = none.step.ep_comm_s / 48
    per_layer_compute = (none.step.compute_s - 0.0) / 48  # upper bound incl. logits
    assert half.step.ep_comm_s == pytest.approx(
        48 * max(0.5 * per_layer_raw, per_layer_raw - per_layer_compute), rel=0.02
    )
    assert full.step.ep_comm_s < half.step.ep_comm_s < none.step.ep_comm_s
    assert full.step.compute_s == pytest.approx(none.step.compute_s)


def get_dualpipe(setup: TrainSetup) -> TrainSetup:
    stack = get_stack("dualpipe")
    assert stack.ep_overlap == 1.0
    return replace(setup, stack=stack)


def test_imbalance_slows_expert_parallel_compute_only() -> None:
    hw = profile_for(CAT.accelerator("h100"))
    ep8 = Layout(tp=1, pp=1, dp=8, ep=8, microbatch=1, recompute=Recompute.SELECTIVE)
    ep1 = replace(ep8, ep=1)
    bal, skew = _qwen_setup(1.0), _qwen_setup(1.5)
    assert (
        evaluate_layout(skew, hw, ep8).step.compute_s > evaluate_layout(bal, hw, ep8).step.compute_s
    )
    # All experts on every rank: the routed load is the same whatever its split.
    assert evaluate_layout(skew, hw, ep1).step.compute_s == pytest.approx(
        evaluate_layout(bal, hw, ep1).step.compute_s
    )


def test_forced_balance_read_from_the_runs() -> None:
    runs = {r.id: r for r in holdout_runs()}
    assert runs["nemo2511-b200-qwen3-30b"].moe_force_balanced  # Megatron-Bridge footnote
    assert not runs["maxtext-tiering-v6e-mixtral-8x7b"].moe_force_balanced


def test_training_request_passes_the_imbalance_through() -> None:
    from computebroker.perf import LayoutConstraints, TrainingRequest, estimate_training
    from computebroker.perf.goodput import NO_INTERRUPTIONS

    def step(imbalance: float) -> float:
        (r,) = estimate_training(
            CAT,
            TrainingRequest(
                model=get_model("qwen3-30b-a3b"),
                accelerator="h100",
                chips=8,
                seq_len=4096,
                global_batch_tokens=4096 * 64.0,
                constraints=LayoutConstraints(tp=1, pp=1, ep=8, microbatch=1),
                goodput=NO_INTERRUPTIONS,
                moe_imbalance=imbalance,
            ),
        )
        assert r.best is not None
        return r.best.step_time_s

    assert step(2.0) > step(1.0)
    assert step(0.0) == pytest.approx(step(MOE_DEFAULT_IMBALANCE))
