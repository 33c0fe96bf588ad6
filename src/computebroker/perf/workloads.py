"""Workload classes as written in files (edge): ``estimate matrix WORKLOADS.yaml`` and scenarios.

::

    workloads:
      - name: pretrain-405b
        model: llama3.1-405b        # a preset name or a model YAML path
        mode: train
        chips: 8192                 # reference job size
        seq_len: 8192
        global_batch_tokens: 16e6
        precision: bf16             # or fp8
        tp: 8                       # optional pins: tp, pp, cp, ep, vpp, microbatch, zero, recompute
      - name: chat-70b
        model: llama3-70b
        mode: serve
        prompt_tokens: 2000
        output_tokens: 500
        ttft_ms: 2000
        tpot_ms: 50

Unknown keys are rejected with the line they are on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field, ValidationError, model_validator

from computebroker.errors import ComputeBrokerError, InputError, Issue, UnknownNameError
from computebroker.inputs import LocatedDocument, NumbersNotBools, load_yaml, validation_issues
from computebroker.perf.layout import MAX_CHIPS, LayoutConstraints, Precision, Recompute
from computebroker.perf.matrix import Mode, WorkloadClass
from computebroker.perf.presets import resolve_model
from computebroker.perf.serve import ServePrecision, ServeSetup
from computebroker.perf.stacks import get_stack

if TYPE_CHECKING:
    from computebroker.catalog import Catalog

__all__ = ["WorkloadEntry", "load_workloads", "parse_workload_entries"]

Pos = Annotated[int, Field(gt=0)]
PosF = Annotated[float, Field(gt=0)]


class WorkloadEntry(NumbersNotBools):
    """One workload class in a file."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]
    model: Annotated[str, Field(min_length=1)]
    mode: Mode = Mode.TRAIN
    # train
    chips: Annotated[int, Field(gt=0, le=MAX_CHIPS)] = 1024
    seq_len: Pos | None = None
    global_batch_tokens: PosF | None = None
    precision: Precision = Precision.BF16
    stack: str | None = None
    tp: Pos | None = None
    pp: Pos | None = None
    cp: Pos | None = None
    ep: Pos | None = None
    vpp: Pos | None = None
    microbatch: Pos | None = None
    zero: Annotated[int, Field(ge=0, le=3)] | None = None
    recompute: Recompute | None = None
    # serve
    prompt_tokens: Pos = 2000
    output_tokens: Pos = 500
    ttft_ms: PosF = 2000.0
    tpot_ms: PosF = 50.0
    weight_bytes: Annotated[float, Field(gt=0, le=4)] = 2.0
    kv_bytes: Annotated[float, Field(gt=0, le=4)] = 2.0
    batch: Pos | None = None  # fixed sequences in flight per replica
    # an explicit throughput override (work per chip-hour by accelerator) skips the model
    throughput: dict[str, Annotated[float, Field(ge=0)]] | None = None
    description: str = ""

    @model_validator(mode="after")
    def _mode_keys(self) -> WorkloadEntry:
        serve_keys = {
            "prompt_tokens",
            "output_tokens",
            "ttft_ms",
            "tpot_ms",
            "weight_bytes",
            "kv_bytes",
            "batch",
        }
        train_keys = {
            "chips",
            "seq_len",
            "global_batch_tokens",
            "tp",
            "pp",
            "cp",
            "ep",
            "vpp",
            "microbatch",
            "zero",
            "recompute",
        }
        given = self.model_fields_set
        if self.mode is Mode.TRAIN and given & serve_keys:
            raise ValueError(f"{', '.join(sorted(given & serve_keys))} only apply to mode: serve")
        if self.mode is Mode.SERVE and given & train_keys:
            raise ValueError(f"{', '.join(sorted(given & train_keys))} only apply to mode: train")
        return self

    def to_domain(self) -> WorkloadClass:
        """The domain value (model resolved; may raise for an unknown model or stack)."""
        spec, _ = resolve_model(self.model)
        serve = (
            ServeSetup(
                model=spec,
                prompt_tokens=self.prompt_tokens,
                output_tokens=self.output_tokens,
                ttft_ms=self.ttft_ms,
                tpot_ms=self.tpot_ms,
                # precision: fp8 in serve mode means FP8 weights and GEMMs
                weight_bytes=1.0
                if self.precision is Precision.FP8 and "weight_bytes" not in self.model_fields_set
                else self.weight_bytes,
                kv_bytes=self.kv_bytes,
                precision=ServePrecision(self.precision.value),
                batch=self.batch,
            )
            if self.mode is Mode.SERVE
            else None
        )
        return WorkloadClass(
            name=self.name,
            model=spec,
            mode=self.mode,
            chips=self.chips,
            seq_len=self.seq_len,
            global_batch_tokens=self.global_batch_tokens,
            precision=self.precision,
            stack=get_stack(self.stack) if self.stack else None,
            constraints=LayoutConstraints(
                tp=self.tp,
                pp=self.pp,
                cp=self.cp,
                ep=self.ep,
                vpp=self.vpp,
                microbatch=self.microbatch,
                zero=self.zero,
                recompute=self.recompute,
            ),
            serve=serve,
            throughput=dict(self.throughput) if self.throughput else None,
        )


def parse_workload_entries(
    doc: LocatedDocument,
    items: Any,
    prefix: tuple[str | int, ...],
    catalog: Catalog | None = None,
) -> list[WorkloadEntry]:
    """Validate a list of workload mappings found at ``prefix`` in ``doc``; with a ``catalog``,
    the accelerators of each explicit ``throughput`` too (an unknown one is refused here, with
    its line, not later by the matrix with no file named)."""
    if not isinstance(items, list) or not items:
        raise InputError.single(
            doc.source,
            "expected a non-empty list of workloads",
            line=doc.line_of(prefix),
            field=".".join(map(str, prefix)),
        )
    out: list[WorkloadEntry] = []
    issues: list[Issue] = []
    for i, item in enumerate(items):
        try:
            entry = WorkloadEntry.model_validate(item)
        except ValidationError as exc:
            issues.extend(validation_issues(exc, doc.source, doc=doc, prefix=(*prefix, i)))
            continue
        try:
            entry.to_domain()
        except ComputeBrokerError as exc:
            loc = (*prefix, i, "model")
            issues.append(
                Issue(
                    source=doc.source,
                    line=doc.line_of(loc),
                    field=f"{prefix[0]}[{i}].model",
                    message=str(exc).split(": ", 1)[-1],
                )
            )
            continue
        if catalog is not None:
            issues.extend(_unknown_accelerators(doc, entry, (*prefix, i), catalog))
        out.append(entry)
    names = [e.name for e in out]
    dups = {n for n in names if names.count(n) > 1}
    if dups:
        issues.append(
            Issue(
                source=doc.source,
                message=f"workload names must be unique; repeated: {', '.join(sorted(dups))}",
            )
        )
    if issues:
        raise InputError(issues)
    return out


def _unknown_accelerators(
    doc: LocatedDocument, entry: WorkloadEntry, loc: tuple[str | int, ...], catalog: Catalog
) -> list[Issue]:
    issues: list[Issue] = []
    for name in entry.throughput or {}:
        where = (*loc, "throughput", name)
        try:
            catalog.accelerators.resolve(name)
        except UnknownNameError as exc:
            field = f"{loc[0]}[{loc[1]}].throughput.{name}" if len(loc) == 2 else None
            message = exc.issues[0].message
            issues.append(
                Issue(source=doc.source, line=doc.line_of(where), field=field, message=message)
            )
    return issues


def load_workloads(path: Path | str, catalog: Catalog | None = None) -> list[WorkloadClass]:
    """Read a workloads YAML file (a top-level ``workloads:`` list); with a ``catalog``, its
    explicit throughputs must name known accelerators."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict) or "workloads" not in doc.data:
        raise InputError.single(doc.source, "expected a top-level 'workloads:' list", line=1)
    return [
        e.to_domain()
        for e in parse_workload_entries(doc, doc.data["workloads"], ("workloads",), catalog)
    ]
