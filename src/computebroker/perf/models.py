"""Transformer model specs and what follows from the shape alone: parameters and FLOPs.

FLOP convention (used for MFU and HFU everywhere in computebroker):

* a multiply-add is 2 FLOPs; only matrix multiplications are counted (norms, activations and
  softmax are memory-bound and costed by bytes moved, not FLOPs);
* forward FLOPs per token = 2 x (active matmul parameters, without the input embedding lookup)
  + attention core (QK^T and AV) with **causal masking**, i.e. over an average context of
  (s + 1) / 2 tokens + logits 2 h V;
* training model FLOPs per token = 3 x forward (backward = 2 x forward);
* hardware FLOPs add what recomputation repeats: the attention core for ``selective``
  (Korthikanti et al. 2022, Appendix A) and a whole forward of the layers for ``full``.

This is the PaLM (Chowdhery et al. 2022, App. B) definition of MFU with one difference: PaLM
counts the attention core over the full sequence; we count the causal half, which is the work
FlashAttention-style kernels do. Published figures that use other conventions are converted
in ``published_runs.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ModelKind", "ModelSpec"]


class ModelKind(StrEnum):
    """Dense decoder or mixture-of-experts decoder."""

    DENSE = "dense"
    MOE = "moe"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSpec:
    """A decoder-only transformer. MoE fields are ignored for dense models.

    ``head_dim`` defaults to ``hidden / heads``. Multi-head latent attention (DeepSeek-V2/V3)
    is described by ``q_lora_rank``, ``kv_lora_rank``, ``qk_rope_head_dim`` and ``v_head_dim``
    (``kv_lora_rank > 0`` switches it on; ``head_dim`` is then the no-RoPE query/key part).
    """

    name: str
    kind: ModelKind
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    ffn_hidden: int
    vocab: int
    seq_len: int
    gated_mlp: bool = True
    tied_embeddings: bool = False
    head_dim: int | None = None
    experts: int = 0
    experts_per_token: int = 0
    expert_ffn_hidden: int = 0
    shared_experts: int = 0
    dense_layers: int = 0
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    source: str = ""
    group: str = "public"

    # --- shape ------------------------------------------------------------------------------
    @property
    def d_head(self) -> int:
        """Per-head dimension of queries and keys (without the RoPE part under MLA)."""
        return self.head_dim if self.head_dim is not None else self.hidden // self.heads

    @property
    def is_moe(self) -> bool:
        """True for mixture-of-experts models."""
        return self.kind is ModelKind.MOE

    @property
    def is_mla(self) -> bool:
        """True for multi-head latent attention."""
        return self.kv_lora_rank > 0

    @property
    def qk_dim(self) -> int:
        """Per-head query/key width used by the attention scores."""
        return self.d_head + (self.qk_rope_head_dim if self.is_mla else 0)

    @property
    def v_dim(self) -> int:
        """Per-head value width."""
        return self.v_head_dim if self.is_mla and self.v_head_dim else self.d_head

    @property
    def q_width(self) -> int:
        """Total query width (heads x per-head dim)."""
        return self.heads * self.qk_dim

    @property
    def kv_width(self) -> int:
        """Total key (= value) width per token for GQA/MQA; the latent width under MLA."""
        if self.is_mla:
            return self.kv_lora_rank + self.qk_rope_head_dim
        return self.kv_heads * self.d_head

    @property
    def moe_layers(self) -> int:
        """Number of layers whose MLP is a mixture of experts."""
        return self.layers - self.dense_layers if self.is_moe else 0

    @property
    def dense_mlp_layers(self) -> int:
        """Number of layers with a dense MLP."""
        return self.layers - self.moe_layers

    @property
    def _mlp_mats(self) -> int:
        return 3 if self.gated_mlp else 2

    # --- parameters -------------------------------------------------------------------------
    @property
    def attn_params_per_layer(self) -> int:
        """Matmul parameters of one attention block (Q, K, V, O projections)."""
        h, a = self.hidden, self.heads
        if self.is_mla:
            qk = self.qk_dim
            q = (
                (h * self.q_lora_rank + self.q_lora_rank * a * qk)
                if self.q_lora_rank
                else h * a * qk
            )
            kv = h * (self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank * a * (
                self.d_head + self.v_dim
            )
            o = a * self.v_dim * h
            return q + kv + o
        return h * self.q_width + 2 * h * self.kv_width + self.q_width * h

    @property
    def dense_mlp_params(self) -> int:
        """Parameters of one dense MLP."""
        return self._mlp_mats * self.hidden * self.ffn_hidden

    @property
    def expert_params(self) -> int:
        """Parameters of one expert MLP."""
        return self._mlp_mats * self.hidden * self.expert_ffn_hidden

    @property
    def moe_params_per_layer(self) -> int:
        """All parameters of one MoE MLP: routed + shared experts + router."""
        return (
            self.experts + self.shared_experts
        ) * self.expert_params + self.hidden * self.experts

    @property
    def moe_active_params_per_layer(self) -> int:
        """Parameters one token passes through in one MoE MLP."""
        return (self.experts_per_token + self.shared_experts) * self.expert_params + (
            self.hidden * self.experts
        )

    @property
    def embedding_params(self) -> int:
        """Input embedding plus output projection (once if tied)."""
        return self.vocab * self.hidden * (1 if self.tied_embeddings else 2)

    @property
    def norm_params(self) -> int:
        """Normalisation weights (two per layer and a final one)."""
        return (2 * self.layers + 1) * self.hidden

    @property
    def params(self) -> int:
        """Total parameters.

        Examples
        --------
        >>> from computebroker.perf.presets import get_model
        >>> round(get_model("llama3-70b").params / 1e9, 1)
        70.6
        >>> round(get_model("deepseek-v3").params / 1e9)
        671
        """
        layers = self.layers * self.attn_params_per_layer
        layers += self.dense_mlp_layers * self.dense_mlp_params
        layers += self.moe_layers * self.moe_params_per_layer
        return layers + self.embedding_params + self.norm_params

    @property
    def active_params(self) -> int:
        """Parameters a token passes through (equals ``params`` for dense models).

        Examples
        --------
        >>> from computebroker.perf.presets import get_model
        >>> round(get_model("deepseek-v3").active_params / 1e9, 1)  # DeepSeek quotes 37B
        37.6
        """
        layers = self.layers * self.attn_params_per_layer
        layers += self.dense_mlp_layers * self.dense_mlp_params
        layers += self.moe_layers * self.moe_active_params_per_layer
        return layers + self.embedding_params + self.norm_params

    # --- FLOPs per token ----------------------------------------------------------------------
    @property
    def matmul_params_per_token(self) -> int:
        """Active matmul parameters of all layers (no embeddings, no logits)."""
        return self.active_params - self.embedding_params - self.norm_params

    def attention_flops_per_token(self, seq_len: int | None = None) -> float:
        """Forward FLOPs of the attention core per token, causal (average context (s+1)/2)."""
        s = seq_len or self.seq_len
        ctx = (s + 1) / 2
        return self.layers * 2.0 * ctx * self.heads * (self.qk_dim + self.v_dim)

    def logits_flops_per_token(self) -> float:
        """Forward FLOPs of the output projection per token."""
        return 2.0 * self.hidden * self.vocab

    def forward_flops_per_token(self, seq_len: int | None = None) -> float:
        """Forward model FLOPs per token (the convention in the module docstring)."""
        return (
            2.0 * self.matmul_params_per_token
            + self.attention_flops_per_token(seq_len)
            + self.logits_flops_per_token()
        )

    def train_flops_per_token(self, seq_len: int | None = None) -> float:
        """Training model FLOPs per token: 3 x forward.

        Examples
        --------
        >>> from computebroker.perf.presets import get_model
        >>> m = get_model("gpt3-175b")
        >>> round(m.train_flops_per_token() / (6 * m.params), 3)  # 6N + 1.4% causal attention
        1.014
        """
        return 3.0 * self.forward_flops_per_token(seq_len)

    def kv_cache_bytes_per_token(self, bytes_per_value: float = 2.0) -> float:
        """KV-cache bytes per token of context (all layers): K and V, or the MLA latent."""
        per_layer = self.kv_width * (1 if self.is_mla else 2)
        return self.layers * per_layer * bytes_per_value
