"""Serving: prefill and decode as roofline-bound phases, KV-cache capacity, latency targets.

One model replica spans ``tp`` chips of one scale-up domain (tensor parallel). With
continuous batching, each decode step of ``b`` sequences reads the (touched) weights and the
batch's KV cache from HBM and does ``2 x active params x b`` FLOPs, plus two tensor-parallel
all-reduces per layer. The prefill of
arriving requests is interleaved with decode (chunked prefill), so a step also carries the
prefill work of ``b / output_tokens`` new prompts on average. GEMM and attention kernels run in
sequence, so each phase is its own roofline: ``max(weight read, GEMM FLOPs) + max(KV read,
attention FLOPs)``. Then:

* TPOT  = decode step time (with the interleaved prefill share);
* TTFT  = the prefill of one prompt at full-replica speed;
* b     = the largest batch whose KV cache fits and whose TPOT meets the target;
* throughput = b / TPOT output tokens per second per replica, divided by ``tp`` per chip.

Decode GEMMs on small batches reach a lower fraction of peak than training GEMMs; the model
uses the training efficiency scaled by b / (b + 64) (64 ~ the batch at which H100 decode
GEMMs turn compute-bound for bf16, NVIDIA's inference roofline notes), and memory-bound
phases run at ``mem_eff`` of HBM bandwidth.

Precision (``ServePrecision``) sets both the bytes per weight and the GEMM peak: FP8 runs at
the chip's dense FP8 peak with its fitted FP8 efficiency; FP4 (NVFP4 / MXFP4: 4-bit values
plus one 8-bit scale per 16 or 32, ~4.5 bits) at twice the FP8 peak on chips with FP4 tensor
cores (``FP4_CHIPS``), else at the FP8 peak (weights dequantised). The KV cache has its own
precision (``kv_bytes``: 2 for bf16, 1 for FP8). A fixed ``batch`` per replica expresses
fixed-batch and fixed-concurrency benchmarks (concurrency C over R replicas is C / R per
replica); otherwise the batch is the largest that fits, meets TPOT and is at most
``max_batch`` (2048: TensorRT-LLM's default ``max_batch_size``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from computebroker.errors import InfeasibleRequestError
from computebroker.perf.hardware import HardwareProfile
from computebroker.perf.models import ModelSpec

__all__ = [
    "FP4_CHIPS",
    "WEIGHT_BYTES",
    "ServeEstimate",
    "ServePrecision",
    "ServeSetup",
    "decode_step_time",
    "estimate_serving",
    "serve_at",
]

GIB = 1024**3


class ServePrecision(StrEnum):
    """Precision of the served weights and GEMMs."""

    BF16 = "bf16"
    FP8 = "fp8"
    FP4 = "fp4"


# Bytes per weight: NVFP4 stores 4-bit values with one FP8 scale per 16 (4.5 bits; NVIDIA,
# "Introducing NVFP4", 2025); FP8 one byte; bf16 two.
WEIGHT_BYTES = {ServePrecision.BF16: 2.0, ServePrecision.FP8: 1.0, ServePrecision.FP4: 0.5625}
# Chips with FP4 tensor cores at twice the dense FP8 rate: NVIDIA Blackwell (B200/GB200: 9 / 10
# PFLOPS dense FP4 vs 4.5 / 5 FP8, Blackwell datasheet) and AMD MI355X (10 PFLOPS MXFP4 vs 5
# FP8, AMD Instinct MI355X product page).
FP4_CHIPS = frozenset({"b200", "gb200", "b300", "gb300", "mi355x", "rtx-pro-6000"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeSetup:
    """A serving workload: prompt and answer lengths, latency targets, weight precision."""

    model: ModelSpec
    prompt_tokens: int = 2000
    output_tokens: int = 500
    ttft_ms: float = 2000.0
    tpot_ms: float = 50.0
    weight_bytes: float = 2.0  # bf16; 1.0 for FP8 weights
    kv_bytes: float = 2.0  # bf16 KV cache; 1.0 for FP8
    precision: ServePrecision = ServePrecision.BF16  # GEMM precision (sets the peak)
    batch: int | None = None  # fixed sequences in flight per replica (None: the best that fits)
    max_batch: int = 2048  # TensorRT-LLM's default max_batch_size


def _gemm_rate(setup: ServeSetup, hw: HardwareProfile) -> float:
    """Achievable dense GEMM FLOP/s of one chip at the setup's precision (before batch roll-off)."""
    eff = hw.efficiency
    if setup.precision is ServePrecision.BF16:
        return hw.peak_bf16_flops * eff.matmul_bf16
    fp4 = setup.precision is ServePrecision.FP4 and hw.accelerator.id in FP4_CHIPS
    return hw.peak_fp8_flops * (2.0 if fp4 else 1.0) * eff.matmul_fp8


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeEstimate:
    """One replica configuration, costed."""

    accelerator: str
    tp: int
    batch: int
    ttft_s: float
    tpot_s: float
    output_tokens_per_s_per_chip: float
    weights_gib_per_chip: float
    kv_gib_per_chip: float
    usable_gib_per_chip: float
    bound: str  # "memory" or "compute": what limits a decode step

    @property
    def output_tokens_per_chip_hour(self) -> float:
        """Served (output) tokens per chip-hour."""
        return self.output_tokens_per_s_per_chip * 3600.0


def _ring_allreduce(nbytes: float, n: int, hw: HardwareProfile) -> float:
    if n <= 1:
        return 0.0
    c = hw.constants
    return 2 * (n - 1) / n * nbytes / (hw.scale_up_bytes_per_s * c.net_up_eff) + 2 * c.lat_up_s


def decode_step_time(setup: ServeSetup, hw: HardwareProfile, tp: int, b: int) -> tuple[float, str]:
    """Decode step time with the interleaved prefill share, and what bounds the decode part."""
    m, c = setup.model, hw.constants
    rate = _gemm_rate(setup, hw)
    ctx = setup.prompt_tokens + setup.output_tokens / 2
    if m.is_moe:
        touched = 1 - (1 - m.experts_per_token / m.experts) ** b
        expert_bytes = m.moe_layers * m.experts * m.expert_params * touched
        weights = (
            m.params - m.moe_layers * m.experts * m.expert_params + expert_bytes
        ) * setup.weight_bytes
    else:
        weights = m.params * setup.weight_bytes
    kv_split = min(tp, m.kv_heads) if not m.is_mla else 1
    kv = b * ctx * m.kv_cache_bytes_per_token(setup.kv_bytes) / kv_split
    bw = hw.hbm_bytes_per_s * c.mem_eff
    # GEMM kernels and attention kernels run one after the other, so each is its own roofline:
    # GEMMs read the weights or compute 2 N b FLOPs; attention reads the KV cache or computes
    # its core at bf16 attention-kernel efficiency (FP8 KV is dequantised inside the kernel).
    t_w = weights / tp / bw
    t_gemm_c = 2.0 * m.active_params * b / tp / (rate * b / (b + 64))
    t_kv = kv / bw
    attn_rate = hw.peak_bf16_flops * hw.efficiency.matmul_bf16 * c.attn_rel
    t_attn_c = b * m.attention_flops_per_token(int(2 * ctx)) / tp / attn_rate
    t_comm = m.layers * 2 * _ring_allreduce(b * m.hidden * 2.0, tp, hw)
    decode = max(t_w, t_gemm_c) + max(t_kv, t_attn_c) + t_comm
    t_mem, t_comp = t_w + t_kv, t_gemm_c + t_attn_c
    prefill_share = b / setup.output_tokens * _prefill_time(setup, hw, tp)
    return decode + prefill_share, "memory" if t_mem >= t_comp else "compute"


def _prefill_time(setup: ServeSetup, hw: HardwareProfile, tp: int) -> float:
    m, c = setup.model, hw.constants
    p = setup.prompt_tokens
    flops = p * m.forward_flops_per_token(p)
    t = flops / tp / _gemm_rate(setup, hw)
    t += m.layers * 2 * _ring_allreduce(p * m.hidden * 2.0, tp, hw)
    return t + m.params * setup.weight_bytes / tp / (hw.hbm_bytes_per_s * c.mem_eff)


def serve_at(setup: ServeSetup, hw: HardwareProfile, tp: int) -> ServeEstimate:
    """The best batch for a replica of ``tp`` chips; raises when the targets cannot be met."""
    m = setup.model
    acc = hw.accelerator.id
    usable = hw.usable_hbm_bytes
    weights_chip = m.params * setup.weight_bytes / tp
    if weights_chip >= usable:
        raise InfeasibleRequestError(
            f"{m.name} weights need {weights_chip / GIB:,.1f} GiB per chip at TP{tp} on {acc} "
            f"({usable / GIB:,.1f} GiB usable)"
        )
    ttft = _prefill_time(setup, hw, tp)
    if ttft * 1000 > setup.ttft_ms:
        raise InfeasibleRequestError(
            f"time to first token {ttft * 1000:,.0f} ms at TP{tp} on {acc} exceeds {setup.ttft_ms:,.0f} ms"
        )
    kv_split = min(tp, m.kv_heads) if not m.is_mla else 1
    kv_per_seq = (
        (setup.prompt_tokens + setup.output_tokens)
        * m.kv_cache_bytes_per_token(setup.kv_bytes)
        / kv_split
    )
    b_mem = int((usable - weights_chip) // kv_per_seq)
    if b_mem < 1:
        raise InfeasibleRequestError(f"no room for one sequence's KV cache at TP{tp} on {acc}")
    if setup.batch is not None:
        # Fixed batch / concurrency: what fits runs, the rest queues; latency is reported.
        return _estimate(setup, hw, tp, min(setup.batch, b_mem), ttft, kv_per_seq)
    b_mem = min(b_mem, setup.max_batch)
    target = setup.tpot_ms / 1000
    if decode_step_time(setup, hw, tp, 1)[0] > target:
        raise InfeasibleRequestError(
            f"time per output token at batch 1 is {decode_step_time(setup, hw, tp, 1)[0] * 1000:,.1f} ms at TP{tp} on "
            f"{acc}, above the {setup.tpot_ms:,.0f} ms target"
        )
    lo, hi = 1, b_mem  # largest b with step(b) <= target (step grows with b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if decode_step_time(setup, hw, tp, mid)[0] <= target:
            lo = mid
        else:
            hi = mid - 1
    return _estimate(setup, hw, tp, lo, ttft, kv_per_seq)


def _estimate(
    setup: ServeSetup, hw: HardwareProfile, tp: int, b: int, ttft: float, kv_per_seq: float
) -> ServeEstimate:
    t, bound = decode_step_time(setup, hw, tp, b)
    return ServeEstimate(
        accelerator=hw.accelerator.id,
        tp=tp,
        batch=b,
        ttft_s=ttft,
        tpot_s=t,
        output_tokens_per_s_per_chip=b / t / tp,
        weights_gib_per_chip=setup.model.params * setup.weight_bytes / tp / GIB,
        kv_gib_per_chip=b * kv_per_seq / GIB,
        usable_gib_per_chip=hw.usable_hbm_bytes / GIB,
        bound=bound,
    )


def estimate_serving(
    setup: ServeSetup, hw: HardwareProfile, *, tp: int | None = None
) -> ServeEstimate:
    """The replica size (TP inside the scale-up domain) with the most output tokens per chip."""
    options = (
        [tp] if tp else [t for t in (1, 2, 4, 8, 16, 32, 64) if t <= max(1, hw.scale_up_chips)]
    )
    best: ServeEstimate | None = None
    reasons = []
    for t in options:
        try:
            est = serve_at(setup, hw, t)
        except InfeasibleRequestError as exc:
            reasons.append(exc.reason)
            continue
        if best is None or est.output_tokens_per_s_per_chip > best.output_tokens_per_s_per_chip:
            best = est
    if best is None:
        raise InfeasibleRequestError(
            f"{setup.model.name} cannot be served on {hw.accelerator.id} within TTFT "
            f"{setup.ttft_ms:,.0f} ms and TPOT {setup.tpot_ms:,.0f} ms: " + "; ".join(reasons[-2:])
        )
    return best
