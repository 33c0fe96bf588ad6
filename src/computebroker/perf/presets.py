"""Model presets (``data/models.yaml``) and model files given by users, validated at the edge.

A model YAML file has the keys ``name, type (dense|moe), layers, hidden, heads, kv_heads,
ffn_hidden, vocab, seq_len, gated_mlp, tied_embeddings, experts, experts_per_token,
expert_ffn_hidden, shared_experts, dense_layers`` (plus ``head_dim`` and the MLA ranks).
Unknown keys are rejected; optional keys left out take their defaults, and which ones were
defaulted is reported back so a user sees what was assumed.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationError, model_validator

from computebroker.errors import InputError, UnknownNameError
from computebroker.inputs import (
    LocatedDocument,
    NumbersNotBools,
    load_yaml,
    parse_yaml_text,
    validation_issues,
)
from computebroker.perf.models import ModelKind, ModelSpec

__all__ = ["ModelFile", "get_model", "load_model_file", "model_names", "resolve_model"]

Pos = Annotated[int, Field(gt=0)]
NonNeg = Annotated[int, Field(ge=0)]

_OPTIONAL_DEFAULTS: dict[str, Any] = {
    "kv_heads": "= heads (multi-head attention)",
    "gated_mlp": True,
    "tied_embeddings": False,
    "experts": 0,
    "experts_per_token": 0,
    "expert_ffn_hidden": "= ffn_hidden",
    "shared_experts": 0,
    "dense_layers": 0,
}


class ModelFile(NumbersNotBools):
    """One model spec as written in YAML (presets and user files)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    name: Annotated[str, Field(min_length=1)]
    type: ModelKind = ModelKind.DENSE
    layers: Pos
    hidden: Pos
    heads: Pos
    kv_heads: Pos | None = None
    ffn_hidden: Pos
    vocab: Pos
    seq_len: Pos
    gated_mlp: bool = True
    tied_embeddings: bool = False
    head_dim: Pos | None = None
    experts: NonNeg = 0
    experts_per_token: NonNeg = 0
    expert_ffn_hidden: NonNeg | None = None
    shared_experts: NonNeg = 0
    dense_layers: NonNeg = 0
    q_lora_rank: NonNeg = 0
    kv_lora_rank: NonNeg = 0
    qk_rope_head_dim: NonNeg = 0
    v_head_dim: NonNeg = 0
    source: str = ""
    group: str = "public"

    @model_validator(mode="after")
    def _consistent(self) -> ModelFile:
        kv = self.kv_heads or self.heads
        if self.heads % kv:
            raise ValueError(f"heads ({self.heads}) must be a multiple of kv_heads ({kv})")
        if self.head_dim is None and self.hidden % self.heads:
            raise ValueError(
                f"hidden ({self.hidden}) must be a multiple of heads ({self.heads}) unless head_dim is given"
            )
        if self.type is ModelKind.MOE:
            if self.experts < 2 or not 1 <= self.experts_per_token <= self.experts:
                raise ValueError(
                    "a moe model needs experts >= 2 and 1 <= experts_per_token <= experts "
                    f"(got experts={self.experts}, experts_per_token={self.experts_per_token})"
                )
            if self.dense_layers >= self.layers:
                raise ValueError(
                    f"dense_layers ({self.dense_layers}) must be below layers ({self.layers})"
                )
        return self

    def defaulted(self) -> list[str]:
        """Optional keys that were not given and took their default."""
        return [k for k in _OPTIONAL_DEFAULTS if k not in self.model_fields_set]

    def to_domain(self) -> ModelSpec:
        """The frozen domain value."""
        moe = self.type is ModelKind.MOE
        return ModelSpec(
            name=self.name,
            kind=self.type,
            layers=self.layers,
            hidden=self.hidden,
            heads=self.heads,
            kv_heads=self.kv_heads or self.heads,
            ffn_hidden=self.ffn_hidden,
            vocab=self.vocab,
            seq_len=self.seq_len,
            gated_mlp=self.gated_mlp,
            tied_embeddings=self.tied_embeddings,
            head_dim=self.head_dim,
            experts=self.experts if moe else 0,
            experts_per_token=self.experts_per_token if moe else 0,
            expert_ffn_hidden=(self.expert_ffn_hidden or self.ffn_hidden) if moe else 0,
            shared_experts=self.shared_experts if moe else 0,
            dense_layers=self.dense_layers if moe else 0,
            q_lora_rank=self.q_lora_rank,
            kv_lora_rank=self.kv_lora_rank,
            qk_rope_head_dim=self.qk_rope_head_dim,
            v_head_dim=self.v_head_dim,
            source=self.source,
            group=self.group,
        )


def _parse_models(doc: LocatedDocument, key: str | None) -> list[tuple[ModelFile, list[str]]]:
    items: list[Any]
    prefix: tuple[str | int, ...]
    if key is not None:
        if not isinstance(doc.data, dict) or not isinstance(doc.data.get(key), list):
            raise InputError.single(doc.source, f"expected a top-level list '{key}:'", line=1)
        items, prefix = doc.data[key], (key,)
    else:
        if not isinstance(doc.data, dict):
            raise InputError.single(doc.source, "expected a mapping of model keys", line=1)
        items, prefix = [doc.data], ()
    out = []
    for i, item in enumerate(items):
        loc = (*prefix, i) if key is not None else ()
        try:
            mf = ModelFile.model_validate(item)
        except ValidationError as exc:
            raise InputError(validation_issues(exc, doc.source, doc=doc, prefix=loc)) from None
        out.append((mf, mf.defaulted()))
    return out


@lru_cache(maxsize=1)
def _presets() -> dict[str, ModelSpec]:
    text = resources.files("computebroker.perf").joinpath("data", "models.yaml").read_text("utf-8")
    doc = parse_yaml_text(text, "perf/data/models.yaml")
    return {mf.name: mf.to_domain() for mf, _ in _parse_models(doc, "models")}


def model_names(*, include_reference: bool = False) -> list[str]:
    """Preset names (public ones; reference shapes of benchmark runs on request)."""
    return [n for n, m in _presets().items() if include_reference or m.group != "reference"]


def get_model(name: str, *, flag: str | None = None) -> ModelSpec:
    """A preset by name (case-insensitive); an unknown name raises, naming ``flag`` (the
    command-line flag it was given as) when given.

    Examples
    --------
    >>> get_model("Llama3.1-405B").layers
    126
    """
    key = name.strip().lower()
    presets = _presets()
    if key not in presets:
        raise UnknownNameError(
            kind="model", name=name, known=list(presets), source=flag or "<input>", field=flag
        )
    return presets[key]


def load_model_file(path: Path | str) -> tuple[ModelSpec, list[str]]:
    """Read one model spec from YAML; returns the spec and the optional keys that were defaulted."""
    doc = load_yaml(path)
    ((mf, defaulted),) = _parse_models(doc, None)
    return mf.to_domain(), defaulted


def resolve_model(name_or_path: str, *, flag: str | None = None) -> tuple[ModelSpec, list[str]]:
    """A preset name, or a path to a model YAML file (``flag``: as in ``get_model``)."""
    p = Path(name_or_path)
    if p.suffix.lower() in {".yaml", ".yml"} or p.exists():
        return load_model_file(p)
    return get_model(name_or_path, flag=flag), []
