"""Shared hypothesis strategies for computebroker's domain types."""

from __future__ import annotations

from hypothesis import strategies as st

from computebroker.perf.models import ModelKind, ModelSpec


@st.composite
def dense_models(draw: st.DrawFn) -> ModelSpec:
    """Small-to-large dense decoders with consistent shapes."""
    heads = draw(st.sampled_from([8, 16, 32, 64]))
    head_dim = draw(st.sampled_from([64, 128]))
    kv = draw(st.sampled_from([h for h in (1, 2, 4, 8, heads) if heads % h == 0]))
    hidden = heads * head_dim
    return ModelSpec(
        name="hyp-dense",
        kind=ModelKind.DENSE,
        layers=draw(st.integers(4, 96)),
        hidden=hidden,
        heads=heads,
        kv_heads=kv,
        ffn_hidden=draw(st.sampled_from([2, 3, 4])) * hidden,
        vocab=draw(st.sampled_from([32000, 128256])),
        seq_len=draw(st.sampled_from([2048, 4096, 8192])),
        gated_mlp=draw(st.booleans()),
    )
