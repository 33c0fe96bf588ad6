"""Serving: prefill and decode as roofline-bound phases, KV-cache capacity, latency targets.

One model replica spans ``tp`` chips of one scale-up domain (tensor parallel). With
continuous batching, each decode step of ``b`` sequences reads the (touched) weights and the
batch's KV cache from HBM and does ``2 x active params x b`` FLOPs; the step time is the
larger of the two (roofline) plus two tensor-parallel all-reduces per layer. The prefill of
arriving requests is interleaved with decode (chunked prefill), so a step also carries the
prefill work of ``b / output_tokens`` new prompts on average. Then:

* TPOT  = decode step time (with the interleaved prefill share);
* TTFT  = the prefill of one prompt at full-replica speed;
* b     = the largest batch whose KV cache fits and whose TPOT meets the target;
* throughput = b / TPOT output tokens per second per replica, divided by ``tp`` per chip.

Decode GEMMs on small batches reach a lower fraction of peak than training GEMMs; the model
uses the training efficiency scaled by b / (b + 64) (64 ~ the batch at which H100 decode
GEMMs turn compute-bound for bf16, NVIDIA's inference roofline notes), and memory-bound
phases run at ``mem_eff`` of HBM bandwidth.
"""

from __future__ import annotations

from dataclasses import dataclass

from computebroker.errors import InfeasibleRequestError
from computebroker.perf.hardware import HardwareProfile
from computebroker.perf.models import ModelSpec

__all__ = ["ServeEstimate", "ServeSetup", "decode_step_time", "estimate_serving", "serve_at"]

GIB = 1024**3


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeSetup:
    """A serving workload: prompt and answer lengths, latency targets, weight precision."""

    model: ModelSpec
    prompt_tokens: int = 2000
    output_tokens: int = 500
    ttft_ms: float = 2000.0
    tpot_ms: float = 50.0
    weight_bytes: float = 2.0  # bf16; 1.0 for FP8 weights
    kv_bytes: float = 2.0


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
    eff = hw.efficiency.matmul_bf16
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
    t_mem = (weights / tp + kv) / (hw.hbm_bytes_per_s * c.mem_eff)
    flops = 2.0 * m.active_params * b + b * m.attention_flops_per_token(int(2 * ctx))
    t_comp = flops / tp / (hw.peak_bf16_flops * eff * b / (b + 64))
    t_comm = m.layers * 2 * _ring_allreduce(b * m.hidden * 2.0, tp, hw)
    decode = max(t_mem, t_comp) + t_comm
    prefill_share = b / setup.output_tokens * _prefill_time(setup, hw, tp)
    return decode + prefill_share, "memory" if t_mem >= t_comp else "compute"


def _prefill_time(setup: ServeSetup, hw: HardwareProfile, tp: int) -> float:
    m, c = setup.model, hw.constants
    p = setup.prompt_tokens
    flops = p * m.forward_flops_per_token(p)
    t = flops / tp / (hw.peak_bf16_flops * hw.efficiency.matmul_bf16)
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
    t, bound = decode_step_time(setup, hw, tp, lo)
    kv_chip = lo * kv_per_seq
    return ServeEstimate(
        accelerator=acc,
        tp=tp,
        batch=lo,
        ttft_s=ttft,
        tpot_s=t,
        output_tokens_per_s_per_chip=lo / t / tp,
        weights_gib_per_chip=weights_chip / GIB,
        kv_gib_per_chip=kv_chip / GIB,
        usable_gib_per_chip=usable / GIB,
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
