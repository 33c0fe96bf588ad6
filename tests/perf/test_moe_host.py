"""MoE layers in an eager stack cannot run ahead of the device (the dropless dispatcher copies
the tokens-per-expert counts to the host in every MoE layer), so a layer takes at least its host
issue time: ops x stack.host_op_s, ops = 40 fixed + per local expert 6 (bf16) GEMM launches.

Hand check: qwen3-30b-a3b (48 MoE layers, 128 experts), 8 chips, EP 8 -> 16 local experts,
bf16: 40 + 6 x 16 = 136 ops; at a deliberately slow 1 ms per op a layer's issue takes 0.136 s,
far above its device time (milliseconds), so the exposed host time per micro-batch is just
under 48 x 0.136 s."""

from __future__ import annotations

from dataclasses import replace

import pytest

from computebroker.catalog import load_catalog
from computebroker.perf import TrainingRequest, estimate_training, get_model, get_stack
from computebroker.perf.goodput import NO_INTERRUPTIONS
from computebroker.perf.layout import LayoutConstraints, Precision
from computebroker.perf.train import MOE_HOST_OPS_FIXED, MOE_HOST_OPS_PER_EXPERT, TrainEstimate


def _step(model: str, stack_name: str, host_op_s: float | None = None) -> TrainEstimate:
    stack = get_stack(stack_name)
    if host_op_s is not None:
        stack = replace(stack, host_op_s=host_op_s)
    (r,) = estimate_training(
        load_catalog(),
        TrainingRequest(
            model=get_model(model),
            accelerator="h100",
            chips=8,
            seq_len=4096,
            global_batch_tokens=4096 * 64.0,
            constraints=LayoutConstraints(
                tp=1, pp=1, ep=8 if "qwen3" in model else None, microbatch=1
            ),
            stack=stack,
            goodput=NO_INTERRUPTIONS,
        ),
    )
    assert r.best is not None
    return r.best


def test_slow_host_bounds_each_moe_layer_by_its_issue_time() -> None:
    est = _step("qwen3-30b-a3b", "megatron-core", host_op_s=1e-3)
    ops = MOE_HOST_OPS_FIXED + MOE_HOST_OPS_PER_EXPERT[Precision.BF16] * 16
    assert ops == 136
    n_micro = 64 // est.layout.dp
    per_mb = est.step.host_s / n_micro
    assert 48 * 0.136 * 0.9 < per_mb < 48 * 0.136  # issue time less the device time it overlaps
    fast = _step("qwen3-30b-a3b", "megatron-core", host_op_s=0.0)
    assert est.layout == fast.layout
    assert est.step.total_s - fast.step.total_s == pytest.approx(est.step.host_s, rel=1e-9)


def test_no_host_term_for_compiled_stacks_or_dense_models() -> None:
    assert get_stack("maxtext").host_op_s == 0.0 and get_stack("neuronx").host_op_s == 0.0
    assert get_stack("megatron-core").host_op_s == pytest.approx(10e-6)
    assert _step("qwen3-30b-a3b", "megatron-core", host_op_s=0.0).step.host_s == 0.0
    assert _step("llama3-8b", "megatron-core", host_op_s=1e-3).step.host_s == 0.0
