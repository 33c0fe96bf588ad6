"""Hand-checked parameter and FLOP counts."""

from __future__ import annotations

import pytest

from computebroker.perf import get_model
from computebroker.perf.models import ModelKind, ModelSpec


def test_llama2_7b_params_exact() -> None:
    # 32 x (4 h^2 + 3 h f) + 2 V h + (2L + 1) h with h=4096, f=11008, V=32000:
    # 32 x (67,108,864 + 135,266,304) + 262,144,000 + 266,240 = 6,738,415,616 (the HF checkpoint size)
    assert get_model("llama2-7b").params == 6_738_415_616


@pytest.mark.parametrize(
    ("name", "billions", "source"),
    [
        ("llama3-70b", 70.55, "Meta: 70.6B"),
        ("llama3.1-405b", 405.85, "Meta: 405B (405.85B in the HF checkpoint)"),
        ("llama3-8b", 8.03, "Meta: 8.03B"),
        ("gpt3-175b", 174.6, "Brown et al. 2020: 175.0B (Narayanan eq. 2 gives 174.6 with biases)"),
        ("mixtral-8x7b", 46.70, "Mistral: 46.7B total"),
        ("deepseek-v3", 671.0, "DeepSeek-V3 report: 671B total (without the MTP module)"),
        ("palm-540b", 540.35, "PaLM: 540.35B"),
    ],
)
def test_param_counts(name: str, billions: float, source: str) -> None:
    assert get_model(name).params / 1e9 == pytest.approx(billions, rel=0.01), source


@pytest.mark.parametrize(
    ("name", "billions"), [("mixtral-8x7b", 12.9), ("deepseek-v3", 37.0), ("qwen3-235b-a22b", 22.0)]
)
def test_active_params(name: str, billions: float) -> None:
    # Mixtral: 12.9B active (Jiang et al. 2024); DeepSeek-V3: 37B; Qwen3-235B-A22B: 22B
    assert get_model(name).active_params / 1e9 == pytest.approx(billions, rel=0.03)


def test_tiny_model_flops_by_hand() -> None:
    m = ModelSpec(
        name="tiny",
        kind=ModelKind.DENSE,
        layers=2,
        hidden=4,
        heads=2,
        kv_heads=2,
        ffn_hidden=8,
        vocab=10,
        seq_len=4,
        gated_mlp=False,
    )
    # per layer: attention 4 h^2 = 64, MLP 2 h f = 64  -> 128 matmul params per layer, 256 total
    assert m.matmul_params_per_token == 256
    # attention core, causal: L x 2 x ((s+1)/2) x heads x (qk + v) = 2 x 2 x 2.5 x 2 x (2 + 2) = 80
    assert m.attention_flops_per_token() == pytest.approx(80)
    # logits: 2 h V = 80; forward = 2 x 256 + 80 + 80 = 672; training = 3 x forward
    assert m.forward_flops_per_token() == pytest.approx(672)
    assert m.train_flops_per_token() == pytest.approx(2016)


def test_gqa_kv_cache_bytes() -> None:
    m = get_model("llama3-70b")
    # 80 layers x 2 (K, V) x 8 heads x 128 dim x 2 bytes = 327,680 bytes per token
    assert m.kv_cache_bytes_per_token() == 327_680


def test_train_flops_close_to_6n_for_gpt3() -> None:
    m = get_model("gpt3-175b")
    # 6N, plus causal attention 3 x 96 layers x 2 x 1024.5 x 96 heads x 256 = 1.450e10; the tied
    # embedding counts once in N but its logits GEMM is 6 V h per token: the two cancel.
    attention = 3 * 96 * 2 * 1024.5 * 96 * 256
    assert m.train_flops_per_token() == pytest.approx(6 * m.params + attention, rel=1e-4)
