"""Model files: unknown keys rejected with a line, optional keys defaulted and reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from computebroker.errors import InputError, UnknownNameError
from computebroker.perf import get_model, load_model_file, model_names


def test_all_presets_have_sources() -> None:
    for name in model_names(include_reference=True):
        assert get_model(name).source, name


def test_unknown_preset() -> None:
    with pytest.raises(UnknownNameError) as exc:
        get_model("llama3-7b")
    assert "llama3-8b" in exc.value.suggestions or "llama2-7b" in exc.value.suggestions


def test_model_file_defaults_reported(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        "name: mine\nlayers: 24\nhidden: 2048\nheads: 16\nffn_hidden: 8192\nvocab: 50000\nseq_len: 4096\n"
    )
    spec, defaulted = load_model_file(p)
    assert spec.kv_heads == 16 and spec.gated_mlp
    assert "kv_heads" in defaulted and "tied_embeddings" in defaulted


def test_model_file_unknown_key_has_line(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        "name: mine\nlayers: 24\nhidden: 2048\nheads: 16\nffn_hiden: 8192\nvocab: 50000\nseq_len: 4096\n"
    )
    with pytest.raises(InputError) as exc:
        load_model_file(p)
    text = str(exc.value)
    assert "m.yaml:5" in text and "ffn_hiden" in text


def test_model_file_inconsistent_heads(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        "name: x\nlayers: 2\nhidden: 100\nheads: 3\nkv_heads: 2\nffn_hidden: 8\nvocab: 10\nseq_len: 8\n"
    )
    with pytest.raises(InputError, match="multiple of kv_heads"):
        load_model_file(p)


def test_moe_file_needs_experts(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        "name: x\ntype: moe\nlayers: 2\nhidden: 64\nheads: 4\nffn_hidden: 128\nvocab: 10\nseq_len: 8\n"
    )
    with pytest.raises(InputError, match="experts >= 2"):
        load_model_file(p)
