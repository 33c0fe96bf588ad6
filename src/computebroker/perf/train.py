"""Training step time, memory and throughput of one layout; the search for the best layout.

The model is an additive roofline over one pipeline stage and one micro-batch, scaled by the
1F1B schedule (Narayanan et al. 2021):

    step = (m + (pp - 1) / vpp) * t_mb + exposed_dp + t_optimizer
    t_mb = layers_per_stage * (t_gemm + t_attn + t_elementwise + exposed_tp + exposed_cp + t_ep)
           + t_logits + t_pp_p2p (+ exposed FSDP gathers under ZeRO-3)

* ``t_gemm`` = GEMM FLOPs / (peak x efficiency), efficiency = fitted peak efficiency x
  n / (n + n0) for the narrowest GEMM dimension n on a chip (narrow GEMMs under-use tensor
  cores / MXUs); bounded below by reading the weights from HBM;
* ``t_attn`` = causal attention-core FLOPs at ``attn_rel`` of GEMM efficiency (bf16);
* ``t_elementwise`` = bytes moved by norms, residuals, rotary and activations / HBM bandwidth;
* collectives are costed per chip as (bytes on the wire) / (link bandwidth x efficiency) +
  latency: TP with sequence parallelism = 4 all-gathers + 4 reduce-scatters of the layer
  activations per layer (6 more with full recomputation), CP ring exchange of K and V,
  EP all-to-all dispatch and combine in both passes, PP point-to-point activations, DP
  reduce-scatter + all-gather of gradients/parameters (hierarchical: inside the scale-up
  domain first, then across it);
* recomputation multiplies the forward work it repeats (HFU counts it, MFU does not).

Memory per chip (first pipeline stage, the one holding most in-flight activations): bf16
weights (+1 byte/param for FP8 copies), fp32 gradients, fp32 master weights and two Adam
moments, each divided by the ZeRO sharding; activations per Korthikanti et al. 2022 adapted to
GQA / gated MLPs / FlashAttention, times the micro-batches in flight; logits on the last stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple

from computebroker.errors import InfeasibleRequestError
from computebroker.perf.hardware import HardwareProfile
from computebroker.perf.layout import (
    Layout,
    LayoutConstraints,
    Precision,
    Recompute,
    candidate_layouts,
)
from computebroker.perf.models import ModelSpec
from computebroker.perf.stacks import Stack, default_stack_for

__all__ = [
    "MemoryBreakdown",
    "StepBreakdown",
    "TrainEstimate",
    "TrainSetup",
    "default_global_batch_tokens",
    "evaluate_layout",
    "minimum_chips",
    "search_layouts",
]

GIB = 1024**3

# Grouped (per-expert) GEMM efficiency relative to a large GEMM: m / (m + M0) x f / (f + F0),
# m = tokens routed to one expert on one chip, f = the expert's width per TP rank. From the
# DeepGEMM README (deepseek-ai/DeepGEMM, H800 FP8 tables): masked-layout grouped GEMMs with
# N=4096, K=7168 reach 1233 / 1040 / 932 TFLOPS at 1024 / 512 / 256 tokens per group against
# 1358 TFLOPS for a large dense GEMM (0.91 / 0.77 / 0.69: M0 ~ 100-150, 128 taken); dense
# GEMMs of M=4096 with a narrow K or N reach 1058 (N=2112), 1025 (K=2048), 990 (K=1536) and
# 590 TFLOPS (K=512), i.e. 0.78 / 0.75 / 0.73 / 0.43 of the large GEMM: F0 ~ 570-680, 600 taken.
# Not fitted (no MoE run is in the calibration set).
GROUPED_GEMM_M0 = 128.0
GROUPED_GEMM_F0 = 600.0
# Slowest EP rank's load over the mean when routing is not forced to balance. Switch
# Transformer trains with capacity factor 1.25 (Fedus et al. 2022, JMLR, Sec. 2.2 and Table 1:
# each expert is sized for 1.25x the mean load and tokens beyond it are dropped), the load the
# slowest expert is provisioned for; dropless stacks with an auxiliary loss or DeepSeek-V3's
# auxiliary-loss-free bias balancing (DeepSeek-V3 report Sec. 2.1.2; Wang et al. 2024,
# arXiv:2408.15664) are taken to stay within it. Megatron-Bridge's MoE benchmarks force-balance
# the tokens ("In MoE training benchmarks, we force-balance the token distribution among
# experts and all benchmarks are token-dropless", performance-summary.md): 1.0 there.
MOE_DEFAULT_IMBALANCE = 1.25


def grouped_gemm_factor(tokens_per_expert: float, expert_width: float) -> float:
    """Efficiency of per-expert GEMMs relative to a large GEMM (DeepGEMM-derived roll-off).

    Examples
    --------
    >>> round(grouped_gemm_factor(256.0, 7168.0), 3)  # DeepGEMM masked layout, 4 groups x 256
    0.615
    """
    m, f = max(1.0, tokens_per_expert), max(1.0, expert_width)
    return m / (m + GROUPED_GEMM_M0) * f / (f + GROUPED_GEMM_F0)


def moe_imbalance(setup: TrainSetup) -> float:
    """The slowest EP rank's routed load over the mean for this job."""
    return setup.moe_imbalance if setup.moe_imbalance > 0 else MOE_DEFAULT_IMBALANCE


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainSetup:
    """The job: which model, at what sequence length, batch and precision."""

    model: ModelSpec
    seq_len: int
    global_batch_tokens: float
    precision: Precision = Precision.BF16
    stack: Stack | None = None  # None: the accelerator vendor's default stack
    # Slowest expert-parallel rank's routed tokens / the mean (MOE_DEFAULT_IMBALANCE unless the
    # run forces balanced routing, as benchmark recipes do: then 1.0).
    moe_imbalance: float = 0.0  # 0: MOE_DEFAULT_IMBALANCE

    @property
    def global_batch_seqs(self) -> int:
        """Sequences per step (at least one)."""
        return max(1, round(self.global_batch_tokens / self.seq_len))


def default_global_batch_tokens(chips: int, seq_len: int) -> float:
    """A batch a practitioner would pick: about one sequence per 8 chips, 4M-16M tokens.

    Llama 3 405B used 16M tokens on 8-16K GPUs (Dubey et al. 2024, Sec. 3.4); GPT-3 175B
    used 3.2M tokens (Brown et al. 2020). Rounded to a power of two in sequences.
    """
    seqs = max(4 * 2**20, min(16 * 2**20, chips * seq_len / 8)) / seq_len
    return float(2 ** round(math.log2(max(1.0, seqs))) * seq_len)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepBreakdown:
    """Seconds per step, split by cause (exposed time only; overlapped work is not counted)."""

    compute_s: float
    tp_comm_s: float
    cp_comm_s: float
    ep_comm_s: float
    pp_comm_s: float
    dp_comm_s: float
    bubble_s: float
    optimizer_s: float
    host_s: float = 0.0  # host issue time of MoE layers not hidden behind the device (_moe_host)

    @property
    def total_s(self) -> float:
        """The step time."""
        return (
            self.compute_s
            + self.tp_comm_s
            + self.cp_comm_s
            + self.ep_comm_s
            + self.pp_comm_s
            + self.dp_comm_s
            + self.bubble_s
            + self.optimizer_s
            + self.host_s
        )

    def as_dict(self) -> dict[str, float]:
        """Plain dict for JSON."""
        return {
            "compute_s": self.compute_s,
            "tp_comm_s": self.tp_comm_s,
            "cp_comm_s": self.cp_comm_s,
            "ep_comm_s": self.ep_comm_s,
            "pp_comm_s": self.pp_comm_s,
            "dp_comm_s": self.dp_comm_s,
            "bubble_s": self.bubble_s,
            "optimizer_s": self.optimizer_s,
            "host_s": self.host_s,
            "step_time_s": self.total_s,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryBreakdown:
    """Bytes per chip on the most loaded pipeline stage."""

    weights: float
    gradients: float
    optimizer: float
    activations: float
    logits: float
    usable: float

    @property
    def total(self) -> float:
        """All of the above but ``usable``."""
        return self.weights + self.gradients + self.optimizer + self.activations + self.logits

    @property
    def fits(self) -> bool:
        """True when the total fits in usable HBM."""
        return self.total <= self.usable

    def as_dict(self) -> dict[str, float]:
        """GiB per part, for JSON."""
        return {
            "weights_gib": self.weights / GIB,
            "gradients_gib": self.gradients / GIB,
            "optimizer_gib": self.optimizer / GIB,
            "activations_gib": self.activations / GIB,
            "logits_gib": self.logits / GIB,
            "total_gib": self.total / GIB,
            "usable_gib": self.usable / GIB,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainEstimate:
    """One layout of one job on one accelerator, costed."""

    accelerator: str
    chips: int
    layout: Layout
    step: StepBreakdown
    memory: MemoryBreakdown
    tokens_per_step: float
    model_flops_per_token: float
    hardware_flops_per_token: float
    peak_flops: float
    precision: Precision
    stack: str = ""
    recompute_fraction: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def layout_text(self) -> str:
        """The layout, with the share of layers fully recomputed under ``partial``."""
        text = self.layout.describe()
        if self.layout.recompute is Recompute.PARTIAL:
            text += f"({self.recompute_fraction:.0%} of layers)"
        return text

    @property
    def step_time_s(self) -> float:
        """Seconds per optimizer step."""
        return self.step.total_s

    @property
    def tokens_per_s(self) -> float:
        """Training tokens per second on all chips."""
        return self.tokens_per_step / self.step_time_s

    @property
    def tokens_per_s_per_chip(self) -> float:
        """Training tokens per second per chip."""
        return self.tokens_per_s / self.chips

    @property
    def mfu(self) -> float:
        """Model FLOPs utilisation against the dense peak of the GEMM precision."""
        return self.model_flops_per_token * self.tokens_per_s_per_chip / self.peak_flops

    @property
    def hfu(self) -> float:
        """Hardware FLOPs utilisation (counts recomputation)."""
        return self.hardware_flops_per_token * self.tokens_per_s_per_chip / self.peak_flops


def _ring(bytes_total: float, n: int, bw: float, eff: float, lat: float) -> float:
    """One ring all-gather or reduce-scatter of ``bytes_total`` (full size) over ``n`` ranks."""
    if n <= 1:
        return 0.0
    return (n - 1) / n * bytes_total / (bw * eff) + lat * math.sqrt(n - 1)


def _hier(bytes_total: float, n: int, inner: int, hw: HardwareProfile) -> float:
    """Reduce-scatter/all-gather over ``n`` ranks of which ``inner`` share a scale-up domain."""
    c = hw.constants
    inner = max(1, min(inner, n))
    outer = n // inner
    t = _ring(bytes_total, inner, hw.scale_up_bytes_per_s, c.net_up_eff, c.lat_up_s)
    t += _ring(bytes_total / inner, outer, hw.scale_out_bytes_per_s, c.net_out_eff, c.lat_out_s)
    return t


class _Terms(NamedTuple):
    """Shape-derived numbers of a model, computed once per search (hot path)."""

    moe_frac: float
    attn_params: float
    dense_mlp_params: float
    moe_active: float
    moe_total: float
    f_eff: float
    q_width: float
    kv_width: float
    qk_dim: float
    v_dim: float
    logits_flops: float
    train_flops: float
    attn_flops: float
    matmul_params_per_token: float
    dense_total: float
    expert_total: float
    attn_act: float
    full_layer: float


@lru_cache(maxsize=512)
def _terms(m: ModelSpec, s: int) -> _Terms:
    moe_frac = m.moe_layers / m.layers
    h = m.hidden
    mats = 3 if m.gated_mlp else 2
    attn_act = 2.0 * (2 * h + 2 * m.q_width + 2 * m.kv_width)
    dense_mlp_act = 2.0 * (2 * h + mats * m.ffn_hidden)
    moe_mlp_act = 2.0 * (
        2 * h + (m.experts_per_token + m.shared_experts) * (h + mats * m.expert_ffn_hidden)
    )
    return _Terms(
        moe_frac=moe_frac,
        attn_params=float(m.attn_params_per_layer),
        dense_mlp_params=float(m.dense_mlp_params),
        moe_active=float(m.moe_active_params_per_layer) if m.is_moe else 0.0,
        moe_total=float(m.moe_params_per_layer) if m.is_moe else 0.0,
        f_eff=_ffn_width(m),
        q_width=float(m.q_width),
        kv_width=float(m.kv_width),
        qk_dim=float(m.qk_dim),
        v_dim=float(m.v_dim),
        logits_flops=m.logits_flops_per_token(),
        train_flops=m.train_flops_per_token(s),
        attn_flops=m.attention_flops_per_token(s),
        matmul_params_per_token=float(m.matmul_params_per_token),
        dense_total=float(
            m.layers * m.attn_params_per_layer
            + m.dense_mlp_layers * m.dense_mlp_params
            + m.embedding_params
            + m.norm_params
            + m.moe_layers * m.hidden * m.experts
        ),
        expert_total=float(m.moe_layers * (m.experts + m.shared_experts) * m.expert_params),
        attn_act=attn_act,
        full_layer=attn_act + (1 - moe_frac) * dense_mlp_act + moe_frac * moe_mlp_act,
    )


def _recompute_passes(rc: Recompute, frac: float) -> tuple[float, float, float]:
    """(GEMM passes, attention-core passes, TP collectives) per layer per micro-batch."""
    if rc is Recompute.NONE:
        return 3.0, 3.0, 8.0
    if rc is Recompute.SELECTIVE:
        return 3.0, 4.0, 8.0
    return 3.0 + frac, 4.0, 8.0 + 4.0 * frac


def evaluate_layout(setup: TrainSetup, hw: HardwareProfile, lay: Layout) -> TrainEstimate:
    """Cost one layout (no feasibility decision: see ``memory.fits``).

    Under ``partial`` recomputation the share of fully recomputed layers is the smallest that
    fits in memory (all of them when nothing fits).
    """
    stack = setup.stack or default_stack_for(hw.accelerator.vendor)
    frac = {Recompute.NONE: 0.0, Recompute.SELECTIVE: 0.0, Recompute.FULL: 1.0}.get(lay.recompute)
    if frac is None:
        frac = _partial_fraction(setup, hw, lay, stack)
    return _evaluate(setup, hw, lay, stack, frac)


class _Layer(NamedTuple):
    """One layer, one micro-batch, one chip: compute seconds and the GEMM rate used."""

    gemm_peak: float
    gemm_eff: float
    t_attn: float
    t_compute: float
    bw_mem: float


def _layer_compute(
    setup: TrainSetup, hw: HardwareProfile, lay: Layout, stack: Stack, frac: float
) -> _Layer:
    """GEMMs, attention core and elementwise work of one layer for one micro-batch."""
    m, c, eff = setup.model, hw.constants, hw.efficiency
    s, tp, ep = setup.seq_len, lay.tp, lay.ep
    tok = lay.microbatch * s / lay.cp  # tokens of one micro-batch held by one chip's TP group
    h = m.hidden
    fp8 = setup.precision is Precision.FP8
    gemm_peak = hw.peak_fp8_flops if fp8 else hw.peak_bf16_flops
    gemm_eff_peak = eff.matmul_fp8 if fp8 else eff.matmul_bf16
    gemm_passes, core_passes, _ = _recompute_passes(lay.recompute, frac)
    terms = _terms(m, s)

    # --- per token per (average) layer, forward --------------------------------------------------
    moe_frac = terms.moe_frac
    attn_mm = 2.0 * terms.attn_params
    mlp_mm = (1 - moe_frac) * 2.0 * terms.dense_mlp_params  # dense MLPs; experts: below
    f_eff = terms.f_eff
    mats = 3 if m.gated_mlp else 2
    elem_elems = 10 * h + 2 * (terms.q_width + terms.kv_width) + mats * f_eff

    # GEMM efficiency falls with the narrowest dimension on a chip (tiles under-filled).
    widths = [h, max(1.0, m.ffn_hidden / tp), max(1.0, terms.q_width / tp), tok]
    n_min = min(widths)
    gemm_eff = gemm_eff_peak * n_min / (n_min + c.gemm_n0)
    bw_mem = hw.hbm_bytes_per_s * c.mem_eff

    t_gemm = tok * (attn_mm + mlp_mm) / tp * gemm_passes / (gemm_peak * gemm_eff)
    if m.is_moe:
        t_gemm += _expert_gemm_time(setup, lay, tok, gemm_peak * gemm_eff_peak, gemm_passes)
    layer_params_chip = (terms.attn_params + (1 - moe_frac) * terms.dense_mlp_params) / tp + (
        moe_frac * terms.moe_total / (ep * tp)
    )
    # Weight reads bound tiny micro-batches: read once forward, twice backward.
    t_gemm = max(t_gemm, 3.0 * layer_params_chip * (1 if fp8 else 2) / bw_mem)
    t_attn = _attention_time(setup, hw, lay, stack, core_passes, tok, bw_mem)
    t_elem = tok * 2.0 * elem_elems / tp * gemm_passes / bw_mem
    if fp8:
        # FP8 GEMMs cast their inputs (and, backward, output gradients): read bf16, write fp8
        # and its transpose, ~4 bytes per element of every GEMM input (Transformer Engine).
        cast_elems = 2 * h + terms.q_width + f_eff
        t_elem += tok * 4.0 * cast_elems / tp * gemm_passes / bw_mem
    if m.is_moe:
        # Router: a linear layer to one logit per expert (2 h E FLOPs a token forward) and an
        # fp32 softmax / sigmoid + top-k over the E logits, read and written in each of the
        # three passes (Megatron-Core TopKRouter; DeepSeek-V3 tech report Sec. 2.1.2: sigmoid
        # affinities, top-k over them). Small next to the experts, but it scales with E.
        t_gemm += tok * moe_frac * 2.0 * h * m.experts / tp * gemm_passes / (gemm_peak * gemm_eff)
        t_elem += tok * moe_frac * m.experts * 4.0 * 2.0 * 3.0 / tp / bw_mem
        # Token dispatch and combine around the experts (Megatron-Core's moe permute /
        # unpermute, memory-bound gathers): each token's bf16 hidden state is copied to its k
        # experts and gathered back, read and written, forward and twice backward:
        # 2 copies x 2 (read + write) x 2 bytes x 3 passes = 24 k h bytes per token per layer.
        t_elem += tok * moe_frac * 24.0 * m.experts_per_token * h / tp / bw_mem
    return _Layer(
        gemm_peak=gemm_peak,
        gemm_eff=gemm_eff,
        t_attn=t_attn,
        t_compute=t_gemm + t_attn + t_elem,
        bw_mem=bw_mem,
    )


def _expert_gemm_time(
    setup: TrainSetup, lay: Layout, tok: float, rate: float, gemm_passes: float
) -> float:
    """Routed + shared expert GEMMs of one (average) layer and micro-batch on the slowest rank.

    Grouped GEMMs over the local experts at ``grouped_gemm_factor`` of the large-GEMM ``rate``;
    with expert parallelism the layer waits for the rank holding the most routed tokens
    (``moe_imbalance``; all experts on one rank: the load is the same whatever the split).
    """
    m = setup.model
    tp, ep = lay.tp, lay.ep
    per_tok = 2.0 * m.experts_per_token * m.expert_params
    shared = 2.0 * m.shared_experts * m.expert_params
    width = max(1.0, m.expert_ffn_hidden / tp)
    routed_m = tok * m.experts_per_token * ep / max(1, m.experts)
    imbalance = moe_imbalance(setup) if ep > 1 else 1.0
    t = tok * per_tok / tp * imbalance / (rate * grouped_gemm_factor(routed_m * imbalance, width))
    if shared > 0:
        t += tok * shared / tp / (rate * grouped_gemm_factor(tok, width))
    return t * m.moe_layers / m.layers * gemm_passes


def _attention_time(
    setup: TrainSetup,
    hw: HardwareProfile,
    lay: Layout,
    stack: Stack,
    core_passes: float,
    tok: float,
    bw_mem: float,
) -> float:
    """Attention core of one layer and micro-batch on one chip."""
    m, c, eff = setup.model, hw.constants, hw.efficiency
    s, tp = setup.seq_len, lay.tp
    terms = _terms(m, s)
    if stack.flash_attention:
        core = 2.0 * (s + 1) / 2 * m.heads * (terms.qk_dim + terms.v_dim)  # causal
        return tok * core / tp * core_passes / (hw.peak_bf16_flops * eff.matmul_bf16 * c.attn_rel)
    # Materialised softmax: full s x s scores as batched GEMMs with a head_dim-wide inner
    # dimension, and ~8 bytes per (token, head, key) moved per pass by the fused
    # scale-mask-softmax and dropout kernels.
    core = 2.0 * s * m.heads * (terms.qk_dim + terms.v_dim)
    d = terms.qk_dim
    t = tok * core / tp * core_passes / (hw.peak_bf16_flops * eff.matmul_bf16 * d / (d + c.gemm_n0))
    return t + tok * m.heads / tp * s * 8.0 * core_passes / bw_mem


def _model_parallel_comm(
    setup: TrainSetup, hw: HardwareProfile, lay: Layout, stack: Stack, frac: float, t_attn: float
) -> tuple[float, float, float]:
    """Exposed TP, CP and EP seconds of one layer and micro-batch."""
    m, c = setup.model, hw.constants
    tp, cp, ep = lay.tp, lay.cp, lay.ep
    tok = lay.microbatch * setup.seq_len / cp
    terms = _terms(m, setup.seq_len)
    n_tp_ops = _recompute_passes(lay.recompute, frac)[2]
    # Tensor parallel with sequence parallelism: all-gathers and reduce-scatters of activations.
    act_bytes = tok * m.hidden * 2.0
    t_tp = 0.0
    if tp > 1:
        within = tp <= hw.scale_up_chips
        bw, ne, lat = (
            (hw.scale_up_bytes_per_s, c.net_up_eff, c.lat_up_s)
            if within
            else (hw.scale_out_bytes_per_s, c.net_out_eff, c.lat_out_s)
        )
        t_tp = n_tp_ops * _ring(act_bytes, tp, bw, ne, lat)
    # Context parallel: ring exchange of K and V (forward) and of dK, dV (backward).
    t_cp = 0.0
    if cp > 1:
        kv_bytes = tok * 2 * terms.kv_width * 2.0 / tp
        within = tp * cp <= hw.scale_up_chips
        bw, ne = (
            (hw.scale_up_bytes_per_s, c.net_up_eff)
            if within
            else (hw.scale_out_bytes_per_s, c.net_out_eff)
        )
        t_cp = max(0.0, 3.0 * (cp - 1) * kv_bytes / (bw * ne) - t_attn)
    # Expert parallel: all-to-all dispatch + combine, forward and backward (MoE layers only).
    t_ep = 0.0
    if m.is_moe and ep > 1:
        inner = max(1, min(ep, hw.scale_up_chips // tp))
        # Each token's k copies out (dispatch) and back (combine), forward and backward, bf16;
        # the busiest rank receives ``moe_imbalance`` x the mean.
        a2a_bytes = 4 * tok / tp * m.experts_per_token * m.hidden * 2.0 * moe_imbalance(setup)
        t_ep = terms.moe_frac * all_to_all_time(
            bytes_per_rank=a2a_bytes,
            ep=ep,
            inner=inner,
            up_bytes_per_s=hw.scale_up_bytes_per_s * c.a2a_eff,
            out_bytes_per_s=hw.scale_out_bytes_per_s * c.a2a_eff,
        )
    return (1.0 - stack.tp_overlap) * t_tp, t_cp, t_ep


def all_to_all_time(
    *, bytes_per_rank: float, ep: int, inner: int, up_bytes_per_s: float, out_bytes_per_s: float
) -> float:
    """Seconds for one rank's all-to-all of ``bytes_per_rank`` (its tokens' copies, all peers).

    Tokens go evenly to the ``ep`` ranks: ``1/ep`` stays local, ``(inner - 1)/ep`` crosses the
    scale-up links (NVLink / ICI) and ``(ep - inner)/ep`` the scale-out NICs, both at once
    (DeepEP's internode kernels forward NVLink and RDMA traffic concurrently, DeepSeek-V3 report
    Sec. 3.2.2), so the slower of the two sets the time.

    Examples
    --------
    >>> all_to_all_time(bytes_per_rank=16.0, ep=16, inner=8, up_bytes_per_s=1.0,
    ...                 out_bytes_per_s=0.5)  # 7 B over 1 B/s, 8 B over 0.5 B/s
    16.0
    """
    inner = max(1, min(inner, ep))
    t_up = bytes_per_rank * (inner - 1) / ep / up_bytes_per_s
    t_out = bytes_per_rank * (ep - inner) / ep / out_bytes_per_s
    return max(t_up, t_out)


def _data_parallel(
    setup: TrainSetup, hw: HardwareProfile, lay: Layout, stack: Stack, t_mb_compute: float
) -> tuple[float, float, float, int]:
    """(exposed DP seconds per step, exposed FSDP seconds per micro-batch, params per chip,
    data-parallel ranks of dense weights)."""
    terms = _terms(setup.model, setup.seq_len)
    tp, pp, dp, cp, ep = lay.tp, lay.pp, lay.dp, lay.cp, lay.ep
    # Data parallel over dp x cp ranks (dense) and dp x cp / ep (experts).
    dense_stage, expert_stage = terms.dense_total / pp, terms.expert_total / pp
    params_chip = dense_stage / tp + expert_stage / (ep * tp)
    gb = stack.grad_bytes
    d_dense = dp * cp
    d_exp = max(1, d_dense // ep)
    group = tp * cp * pp
    inner = max(1, hw.scale_up_chips // group) if group <= hw.scale_up_chips else 1
    sync = _hier(dense_stage / tp * gb, d_dense, inner, hw) + _hier(
        expert_stage / (ep * tp) * gb, d_exp, inner, hw
    )
    if lay.zero >= 3:
        # FSDP: gather weights forward and backward, reduce-scatter gradients.
        gathers = 3.0 * sync * (2.0 / gb) / stack.fsdp_bw_factor
        if pp > 1:
            # With pipelining, FSDP2 keeps a stage's weights gathered across its micro-batches
            # (torchtitan sets reshard_after_forward=False under PP): once per step, overlapped
            # like the DP sync.
            exposed = max(0.0, gathers - stack.dp_overlap * (2.0 / 3.0) * t_mb_compute)
            return exposed, 0.0, params_chip, d_dense
        return 0.0, max(0.0, gathers - stack.dp_overlap * t_mb_compute), params_chip, d_dense
    exposed = max(0.0, 2.0 * sync - stack.dp_overlap * (2.0 / 3.0) * t_mb_compute)
    return exposed, 0.0, params_chip, d_dense


def _evaluate(
    setup: TrainSetup, hw: HardwareProfile, lay: Layout, stack: Stack, frac: float
) -> TrainEstimate:
    m, c = setup.model, hw.constants
    s, tp, pp, vpp = setup.seq_len, lay.tp, lay.pp, lay.vpp
    n_micro = max(1, setup.global_batch_seqs // (lay.dp * lay.microbatch))
    tokens_per_step = float(n_micro * lay.dp * lay.microbatch * s)
    tok = lay.microbatch * s / lay.cp
    terms = _terms(m, s)
    layer = _layer_compute(setup, hw, lay, stack, frac)
    t_tp_exposed, t_cp_exposed, t_ep_raw = _model_parallel_comm(
        setup, hw, lay, stack, frac, layer.t_attn
    )
    # The stack hides ``ep_overlap`` of the all-to-all behind the layer's compute, at most all
    # of that compute (stacks.csv: DualPipe / 1F1B A2A overlap hide nearly all, a plain
    # Megatron-Core schedule none).
    t_ep = t_ep_raw - min(stack.ep_overlap * t_ep_raw, layer.t_compute)
    layers_stage = math.ceil(m.layers / pp)
    t_logits = tok * terms.logits_flops * 3.0 / tp / (layer.gemm_peak * layer.gemm_eff) + (
        tok * m.vocab * 4.0 * 2 / tp / layer.bw_mem  # fused cross-entropy over bf16 logits
    )
    t_mb_compute = layers_stage * layer.t_compute + t_logits
    t_mb = t_mb_compute + layers_stage * (t_tp_exposed + t_cp_exposed + t_ep)
    # Pipeline point-to-point: activations forward and gradients backward, each TP rank 1/tp.
    t_p2p = 0.0
    if pp > 1:
        bw = hw.scale_up_bytes_per_s if tp * pp <= hw.scale_up_chips else hw.scale_out_bytes_per_s
        t_p2p = 2.0 * vpp * tok * m.hidden * 2.0 / tp / (bw * c.net_out_eff)
    t_mb += t_p2p
    t_host = _moe_host(setup, lay, stack, layer.t_compute + t_tp_exposed + t_cp_exposed + t_ep)
    t_mb += t_host
    t_dp_exposed, t_fsdp_mb, params_chip, d_dense = _data_parallel(
        setup, hw, lay, stack, t_mb_compute
    )
    t_mb += t_fsdp_mb
    # Optimizer: fp32 master + 2 moments read and written, gradient read, bf16 weight written.
    opt_shard = d_dense if lay.zero >= 1 else 1
    t_opt = params_chip / opt_shard * (12 * 2 + stack.grad_bytes + 2) / layer.bw_mem
    step = StepBreakdown(
        compute_s=n_micro * t_mb_compute,
        tp_comm_s=n_micro * layers_stage * t_tp_exposed,
        cp_comm_s=n_micro * layers_stage * t_cp_exposed,
        ep_comm_s=n_micro * layers_stage * t_ep,
        pp_comm_s=n_micro * t_p2p,
        dp_comm_s=t_dp_exposed + n_micro * t_fsdp_mb,
        bubble_s=(pp - 1) / vpp * t_mb,
        optimizer_s=t_opt,
        host_s=n_micro * t_host,
    )
    gemm_passes, core_passes, _ = _recompute_passes(lay.recompute, frac)
    extra = (core_passes - 3.0) * terms.attn_flops + (
        gemm_passes - 3.0
    ) * 2.0 * terms.matmul_params_per_token
    return TrainEstimate(
        accelerator=hw.accelerator.id,
        chips=lay.chips,
        layout=lay,
        step=step,
        memory=_memory(setup, hw, lay, stack, params_chip, frac),
        tokens_per_step=tokens_per_step,
        model_flops_per_token=terms.train_flops,
        hardware_flops_per_token=terms.train_flops + extra,
        peak_flops=layer.gemm_peak,
        precision=setup.precision,
        stack=stack.name,
        recompute_fraction=frac,
        notes=hw.assumptions,
    )


# Host operations an MoE layer issues per micro-batch, forward and backward, in an eager
# PyTorch stack (Megatron-Core with TEGroupedMLP), counted from its structure: router GEMM,
# score function, top-k, aux loss, token-count copy, permute, all-to-all out, activation,
# all-to-all back, unpermute and combine (~13 forward, about twice that backward: 40), plus one
# GEMM launch per local expert per expert GEMM (fc1 and fc2; forward, dgrad, wgrad: 6), and FP8
# casts of each local expert's inputs and output gradients (4 more). Per-expert launches: TE
# GroupedLinear dispatches the experts' GEMMs as separate cuBLAS calls (NVIDIA/TransformerEngine
# issue #2939, nsys counts).
MOE_HOST_OPS_FIXED = 40
MOE_HOST_OPS_PER_EXPERT = {Precision.BF16: 6, Precision.FP8: 10}


def _moe_host(setup: TrainSetup, lay: Layout, stack: Stack, t_layer_device: float) -> float:
    """Seconds per micro-batch that the host's issue of the MoE layers is not hidden.

    The dropless token dispatcher copies the tokens-per-expert counts to the host in every MoE
    layer (TEGroupedMLP takes ``tokens_per_expert: list[int]``, Megatron-Core API docs; the
    inference dispatcher exists to keep that metadata "GPU-resident to avoid host
    synchronizations"), so the host cannot run ahead of the device across MoE layers: a layer
    takes at least its issue time, ``ops x stack.host_op_s``. Small, fine-grained MoE on fast
    chips is host-bound this way ("small expert GEMMs + host overhead", the Megatron-Core MoE
    report's compute wall, arXiv 2603.07685; CUDA graphs measured 22% faster on Qwen3-30B-A3B,
    Megatron-Bridge CUDA-graph guide). Compiled stacks (XLA, Neuron) have ``host_op_s = 0``.
    """
    m = setup.model
    if not m.is_moe or stack.host_op_s <= 0:
        return 0.0
    local_experts = max(1, math.ceil(m.experts / lay.ep))
    per_expert = MOE_HOST_OPS_PER_EXPERT.get(
        setup.precision, MOE_HOST_OPS_PER_EXPERT[Precision.FP8]
    )
    ops = MOE_HOST_OPS_FIXED + per_expert * local_experts
    moe_layers_stage = math.ceil(m.moe_layers / lay.pp)
    return moe_layers_stage * max(0.0, ops * stack.host_op_s - t_layer_device)


def _ffn_width(m: ModelSpec) -> float:
    """MLP width a token passes through, averaged over dense and MoE layers."""
    moe_frac = m.moe_layers / m.layers
    return (1 - moe_frac) * m.ffn_hidden + moe_frac * (
        (m.experts_per_token + m.shared_experts) * m.expert_ffn_hidden
    )


def _activation_parts(setup: TrainSetup, lay: Layout, stack: Stack) -> tuple[float, float, float]:
    """Per-chip activation bytes on the first stage: (all stored, all fully recomputed, one layer).

    Stored per token per layer (bf16): norm inputs, QKV/MLP inputs, Q, K, V, attention output,
    MLP up-projections and activation output (Korthikanti et al. 2022, adapted to GQA, gated
    MLPs and FlashAttention); a materialised softmax adds 5 a s bytes unless recomputed.
    """
    m = setup.model
    terms = _terms(m, setup.seq_len)
    tok = lay.microbatch * setup.seq_len / lay.cp
    full_layer = terms.full_layer
    full_layer_none = (
        full_layer if stack.flash_attention else full_layer + 5.0 * m.heads * setup.seq_len
    )
    # Selective: activation outputs and the attention core are recomputed, not stored.
    stored = full_layer_none if lay.recompute is Recompute.NONE else full_layer - 2.0 * terms.f_eff
    pp, vpp = lay.pp, lay.vpp
    n_micro = max(1, setup.global_batch_seqs // (lay.dp * lay.microbatch))
    layers_stage = math.ceil(m.layers / pp)
    in_flight = min(pp, n_micro) * (1.0 + (pp - 1) / (pp * vpp)) if pp > 1 else 1.0
    scale = tok / lay.tp * layers_stage * in_flight
    return stored * scale, 2.0 * m.hidden * scale, tok * full_layer_none / lay.tp


def _memory(
    setup: TrainSetup,
    hw: HardwareProfile,
    lay: Layout,
    stack: Stack,
    params_chip: float,
    frac: float,
) -> MemoryBreakdown:
    d = lay.dp * lay.cp
    w_bytes = 2.0 + (1.0 if setup.precision is Precision.FP8 else 0.0)
    # FSDP shards weights, except under pipelining where a stage's weights stay gathered
    # for the whole step (see _data_parallel).
    weights = params_chip * w_bytes / (d if lay.zero >= 3 and lay.pp == 1 else 1)
    grads = params_chip * stack.grad_bytes / (d if lay.zero >= 2 else 1)
    optimizer = params_chip * 12.0 / (d if lay.zero >= 1 else 1)
    stored, full, one_layer = _activation_parts(setup, lay, stack)
    activations = (1.0 - frac) * stored + frac * full + (one_layer if frac > 0 else 0.0)
    tok = lay.microbatch * setup.seq_len / lay.cp
    logits = tok * setup.model.vocab * 4.0 / lay.tp
    return MemoryBreakdown(
        weights=weights,
        gradients=grads,
        optimizer=optimizer,
        activations=activations,
        logits=logits,
        usable=hw.usable_hbm_bytes,
    )


def _partial_fraction(setup: TrainSetup, hw: HardwareProfile, lay: Layout, stack: Stack) -> float:
    """Smallest share of layers (in whole layers per stage) to recompute fully so memory fits."""
    base = _memory(setup, hw, lay, stack, _params_chip(setup.model, lay), 0.0)
    fixed = base.weights + base.gradients + base.optimizer + base.logits
    stored, full, one_layer = _activation_parts(setup, lay, stack)
    room = hw.usable_hbm_bytes - fixed
    if stored <= room:
        return 0.0
    if stored - full <= 0:
        return 1.0
    need = (stored + one_layer - room) / (stored - full)
    layers_stage = math.ceil(setup.model.layers / lay.pp)
    steps = math.ceil(min(1.0, max(0.0, need)) * layers_stage - 1e-9)
    return steps / layers_stage


def _params_chip(m: ModelSpec, lay: Layout) -> float:
    terms = _terms(m, m.seq_len)
    return terms.dense_total / lay.pp / lay.tp + terms.expert_total / lay.pp / (lay.ep * lay.tp)


def search_layouts(
    setup: TrainSetup,
    hw: HardwareProfile,
    chips: int,
    fixed: LayoutConstraints | None = None,
    *,
    top: int = 5,
) -> list[TrainEstimate]:
    """The ``top`` fastest layouts that fit in memory, best first.

    Raises
    ------
    InfeasibleRequestError
        No layout fits; the message says how many chips would be needed.
    """
    fixed = fixed or LayoutConstraints()
    best: list[TrainEstimate] = []
    tried = 0
    closest: TrainEstimate | None = None
    # Recomputation trades time for memory monotonically: unless pinned, each layout takes
    # the fastest option that fits (none, then selective, then as few full layers as needed).
    ladder = (
        [fixed.recompute]
        if fixed.recompute is not None
        else [
            Recompute.NONE,
            Recompute.SELECTIVE,
            Recompute.PARTIAL,
        ]
    )
    stack = setup.stack or default_stack_for(hw.accelerator.vendor)
    for base in candidate_layouts(
        chips=chips,
        layers=setup.model.layers,
        heads=setup.model.heads,
        experts=setup.model.experts,
        seq_len=setup.seq_len,
        global_batch_seqs=setup.global_batch_seqs,
        scale_up_chips=hw.scale_up_chips,
        fixed=replace(fixed, recompute=ladder[0]),
    ):
        tried += 1
        chosen: Layout | None = None
        frac = 0.0
        for rc in ladder:
            lay = replace(base, recompute=rc)
            frac = {Recompute.NONE: 0.0, Recompute.SELECTIVE: 0.0, Recompute.FULL: 1.0}.get(
                rc, -1.0
            )
            if frac < 0:
                frac = _partial_fraction(setup, hw, lay, stack)
            mem = _memory(setup, hw, lay, stack, _params_chip(setup.model, lay), frac)
            if mem.fits:
                chosen = lay
                break
            if closest is None or mem.total < closest.memory.total:
                closest = _evaluate(setup, hw, lay, stack, frac)
        if chosen is None:
            continue
        best.append(_evaluate(setup, hw, chosen, stack, frac))
        if len(best) > 4 * top:
            best.sort(key=lambda e: -e.tokens_per_s_per_chip)
            del best[top:]
    if not best:
        raise InfeasibleRequestError(_why_infeasible(setup, hw, chips, fixed, tried, closest))
    best.sort(key=lambda e: -e.tokens_per_s_per_chip)
    return best[:top]


def minimum_chips(setup: TrainSetup, hw: HardwareProfile) -> int:
    """Fewest chips (a power of two) on which some layout fits in memory."""
    n = 1
    while n <= 2**20:
        seqs = setup.global_batch_seqs
        probe = TrainSetup(
            model=setup.model,
            seq_len=setup.seq_len,
            global_batch_tokens=float(max(seqs, n) * setup.seq_len),
            precision=setup.precision,
        )
        for lay in candidate_layouts(
            chips=n,
            layers=setup.model.layers,
            heads=setup.model.heads,
            experts=setup.model.experts,
            seq_len=setup.seq_len,
            global_batch_seqs=probe.global_batch_seqs,
            scale_up_chips=hw.scale_up_chips,
            fixed=LayoutConstraints(microbatch=1, recompute=Recompute.FULL),
        ):
            if evaluate_layout(probe, hw, lay).memory.fits:
                return n
        n *= 2
    return n


def _why_infeasible(
    setup: TrainSetup,
    hw: HardwareProfile,
    chips: int,
    fixed: LayoutConstraints,
    tried: int,
    closest: TrainEstimate | None,
) -> str:
    acc = hw.accelerator.id
    name = setup.model.name
    size = f"{setup.model.params / 1e9:,.0f}B"
    if tried == 0:
        return (
            f"no layout of {chips} chips matches the pinned degrees and the batch of "
            f"{setup.global_batch_seqs} sequences (tp x pp x dp x cp must equal the chips, and "
            "dp x micro-batch must divide the batch); relax --tp/--pp/--dp or change "
            "--global-batch-tokens"
        )
    need = minimum_chips(setup, hw)
    mem = ""
    if closest is not None:
        mem = (
            f"; the leanest layout tried ({closest.layout.describe()}) needs "
            f"{closest.memory.total / GIB:,.1f} GiB per chip of {closest.memory.usable / GIB:,.1f} usable"
        )
    hint = (
        f"{name} ({size}) needs >= {need:,} chips of {acc}"
        if need > chips
        else (f"{name} ({size}) does not fit on {chips:,} chips of {acc} with the pinned settings")
    )
    return f"{hint}{mem}"
