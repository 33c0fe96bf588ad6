"""Published training runs, converted to tokens/s per chip, and the model's error on them.

``data/published_runs.csv`` holds runs collected from papers and vendor performance pages,
each with its source. A run pins what the publication states (layout, batch, precision) and
leaves the rest (micro-batch, interleaving, recomputation where unstated) to the layout search.

Published figures come in several units; each is converted with the publication's own FLOP
convention, independent of ours:

* ``tflops_megatron_recompute``: Narayanan et al. 2021 eq. 3,
  ``96 l h^2 (1 + s / 6h + V / 16 l h)`` FLOPs per token (counts the recomputed forward);
* ``tflops_maxtext``: MaxText's ``calculate_tflops_training_per_device`` before July 2025
  (all GEMMs x 3 plus the attention core over the full sequence, 12 s H d per layer);
* ``tflops_torchtitan``: ``6 N + 12 L H Q T`` with N excluding the input embedding
  (torchtitan ``get_num_flop_per_token``; the PaLM convention);
* ``step_time_s``, ``seq_per_s_total``, ``tokens_per_s_total``, ``tokens_per_s_per_chip``:
  direct.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from computebroker.catalog import Catalog, load_catalog
from computebroker.errors import ComputeBrokerError, InputError
from computebroker.perf.hardware import Constants, Efficiency, profile_for
from computebroker.perf.layout import LayoutConstraints, Precision, Recompute, parse_count
from computebroker.perf.models import ModelSpec
from computebroker.perf.presets import get_model
from computebroker.perf.stacks import Stack, get_stack
from computebroker.perf.train import TrainSetup, search_layouts

__all__ = [
    "PublishedRun",
    "RunError",
    "accuracy_summary",
    "holdout_runs",
    "observed_tokens_per_s_per_chip",
    "predict_run",
    "published_runs",
    "run_errors",
]

UNITS = (
    "tflops_megatron_recompute",
    "tflops_maxtext",
    "tflops_torchtitan",
    "step_time_s",
    "seq_per_s_total",
    "tokens_per_s_total",
    "tokens_per_s_per_chip",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedRun:
    """One measured training run as published."""

    id: str
    source: str
    accelerator: str
    model: ModelSpec
    chips: int
    constraints: LayoutConstraints
    precision: Precision
    stack: Stack | None
    seq_len: int
    global_batch_seqs: int
    value: float
    unit: str
    notes: str = ""
    # One key per source document (one paper, one vendor page, one README): the unit that
    # leave-one-publication-out holds out. Runs without one are each their own publication.
    publication: str = ""
    # The run forced balanced routing (column moe_routing = "force-balanced"), so the slowest
    # expert-parallel rank holds the mean load (train.MOE_DEFAULT_IMBALANCE otherwise).
    moe_force_balanced: bool = False


def _opt_int(text: str, acc_id: str, catalog: Catalog, what: str) -> int | None:
    if not text.strip():
        return None
    return parse_count(text.strip(), catalog.accelerator(acc_id), what=what)


def _csv_rows(reader: csv.DictReader[str], source: str) -> list[dict[str, str]]:
    try:
        return [{k: v or "" for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as exc:
        raise InputError.single(source, f"not valid CSV: {exc}", line=reader.line_num) from None


def _positive(text: str, field: str, *, integer: bool = False) -> Any:
    """A finite number > 0 (an integer when ``integer``); else an InputError naming ``field``."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InputError.single("", f"must be a number, got {text!r}", field=field) from None
    if not math.isfinite(value) or value <= 0 or (integer and value != int(value)):
        kind = "a whole number" if integer else "a finite number"
        raise InputError.single("", f"must be {kind} > 0, got {text!r}", field=field)
    return int(value) if integer else value


# a measured value in any of UNITS: the shipped runs hold 1.1 to 238,300; 1e300 made the
# calibration's log residual a math domain error ('internal error: ValueError', found by fuzz2)
MEASURED_RANGE = (1e-6, 1e12)


def _measured(text: str) -> float:
    value = float(_positive(text, "value"))
    low, high = MEASURED_RANGE
    if not low <= value <= high:
        raise InputError.single(
            "",
            f"must be between {low:g} and {high:g} (in the row's unit), got {text!r}",
            field="value",
        )
    return value


def _zero_stage(text: str) -> int:
    """A ZeRO stage, 0 to 3 (3 = FSDP)."""
    if text not in ("0", "1", "2", "3"):
        raise InputError.single(
            "", f"must be a ZeRO stage 0, 1, 2 or 3, got {text!r}", field="zero"
        )
    return int(text)


def parse_runs(
    text: str, source: str, catalog: Catalog, models: Mapping[str, ModelSpec] | None = None
) -> list[PublishedRun]:
    """Parse a runs/measurements CSV (same columns as ``published_runs.csv``)."""
    runs: list[PublishedRun] = []
    reader = csv.DictReader(io.StringIO(text))
    required = {
        "id",
        "accelerator",
        "model",
        "chips",
        "precision",
        "seq_len",
        "global_batch_seqs",
        "value",
        "unit",
    }
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise InputError.single(source, f"missing column(s) {', '.join(sorted(missing))}", line=1)
    rows = _csv_rows(reader, source)
    for i, row in enumerate(rows, start=2):
        try:
            acc = catalog.accelerator(row["accelerator"])
            model = (models or {}).get(row["model"]) or get_model(row["model"])
            unit = row["unit"].strip()
            if unit not in UNITS:
                raise InputError.single(
                    source, f"unit {unit!r} is not one of {', '.join(UNITS)}", line=i, field="unit"
                )
            rc = row.get("recompute", "").strip()
            zero = row.get("zero", "").strip()
            runs.append(
                PublishedRun(
                    id=row["id"],
                    source=row.get("source", ""),
                    accelerator=acc.id,
                    model=model,
                    chips=parse_count(row["chips"].strip(), acc, what="chips"),
                    constraints=LayoutConstraints(
                        tp=_opt_int(row.get("tp", ""), acc.id, catalog, "tp"),
                        pp=_opt_int(row.get("pp", ""), acc.id, catalog, "pp"),
                        dp=_opt_int(row.get("dp", ""), acc.id, catalog, "dp"),
                        cp=_opt_int(row.get("cp", ""), acc.id, catalog, "cp"),
                        ep=_opt_int(row.get("ep", ""), acc.id, catalog, "ep"),
                        vpp=_opt_int(row.get("vpp", ""), acc.id, catalog, "vpp"),
                        # a micro-batch of 0 was 'internal error: ZeroDivisionError', of -1
                        # 'ValueError: math domain error' (found by fuzz2)
                        microbatch=_positive(row["microbatch"], "microbatch", integer=True)
                        if row.get("microbatch", "").strip()
                        else None,
                        zero=_zero_stage(zero) if zero else None,
                        recompute=Recompute(rc) if rc else None,
                    ),
                    precision=Precision(row["precision"].strip() or "bf16"),
                    stack=get_stack(row["stack"]) if row.get("stack", "").strip() else None,
                    seq_len=_positive(row["seq_len"], "seq_len", integer=True),
                    global_batch_seqs=_positive(
                        row["global_batch_seqs"], "global_batch_seqs", integer=True
                    ),
                    value=_measured(row["value"]),
                    unit=unit,
                    notes=row.get("notes", ""),
                    publication=(row.get("publication") or "").strip() or row["id"],
                    moe_force_balanced=(row.get("moe_routing") or "").strip() == "force-balanced",
                )
            )
        except InputError as exc:
            issue = exc.issues[0]
            raise InputError.single(source, issue.message, line=i, field=issue.field) from None
        except (ValueError, KeyError) as exc:
            raise InputError.single(source, f"bad row: {exc}", line=i) from None
    return runs


@lru_cache(maxsize=1)
def holdout_runs() -> tuple[PublishedRun, ...]:
    """Published runs kept out of every fit (``data/published_holdout_runs.csv``): MoE runs,
    whose only publication in the table cannot be validated by leaving it out, and runs whose
    publication leaves the global batch unstated (the prediction then rests on an assumed
    batch, so the row may test the model but not set its parameters). Their error under the
    shipped fit is out of sample; the MoE runs set the band of MoE estimates."""
    text = (
        resources.files("computebroker.perf")
        .joinpath("data", "published_holdout_runs.csv")
        .read_text("utf-8")
    )
    return tuple(parse_runs(text, "perf/data/published_holdout_runs.csv", load_catalog()))


@lru_cache(maxsize=1)
def published_runs() -> tuple[PublishedRun, ...]:
    """The shipped table of published runs."""
    text = (
        resources.files("computebroker.perf")
        .joinpath("data", "published_runs.csv")
        .read_text("utf-8")
    )
    return tuple(parse_runs(text, "perf/data/published_runs.csv", load_catalog()))


def _megatron_flops_per_token(m: ModelSpec, s: int) -> float:
    layers, h, v = m.layers, m.hidden, m.vocab
    return 96.0 * layers * h * h * (1 + s / (6 * h) + v / (16 * layers * h))


def _maxtext_flops_per_token(m: ModelSpec, s: int) -> float:
    emb, hd = m.hidden, m.d_head
    ffn = 2 * m.ffn_hidden * emb * (2 if m.gated_mlp else 1) + 2 * m.ffn_hidden * emb
    qkv = 2 * emb * (m.heads + 2 * m.kv_heads) * hd
    proj = 2 * emb * m.heads * hd
    embedding = 2 * emb * m.vocab
    attention = 4 * s * m.heads * hd
    return 3.0 * ((ffn + qkv + proj) * m.layers + embedding) + 3.0 * attention * m.layers


def _torchtitan_flops_per_token(m: ModelSpec, s: int) -> float:
    n = m.params - m.vocab * m.hidden
    return 6.0 * n + 12.0 * m.layers * m.heads * m.d_head * s


def observed_tokens_per_s_per_chip(run: PublishedRun) -> float:
    """The published figure as training tokens per second per chip.

    Examples
    --------
    >>> r = next(r for r in published_runs() if r.id == "korthikanti22-175b-selective")
    >>> round(observed_tokens_per_s_per_chip(r), 1)  # 64 x 2048 tokens / 13.75 s / 64 GPUs
    148.9
    """
    s = run.seq_len
    if run.unit == "tokens_per_s_per_chip":
        return run.value
    if run.unit == "tokens_per_s_total":
        return run.value / run.chips
    if run.unit == "seq_per_s_total":
        return run.value * s / run.chips
    if run.unit == "step_time_s":
        return run.global_batch_seqs * s / run.value / run.chips
    per_token = {
        "tflops_megatron_recompute": _megatron_flops_per_token,
        "tflops_maxtext": _maxtext_flops_per_token,
        "tflops_torchtitan": _torchtitan_flops_per_token,
    }[run.unit](run.model, s)
    return run.value * 1e12 / per_token


def predict_run(
    run: PublishedRun,
    catalog: Catalog | None = None,
    *,
    efficiencies: Mapping[str, Efficiency] | None = None,
    constants: Constants | None = None,
) -> float:
    """The model's tokens/s per chip for the run's setup (best layout within its pins)."""
    cat = catalog or load_catalog()
    hw = profile_for(
        cat.accelerator(run.accelerator), efficiencies=efficiencies, constants=constants
    )
    setup = TrainSetup(
        model=run.model,
        seq_len=run.seq_len,
        global_batch_tokens=float(run.global_batch_seqs * run.seq_len),
        precision=run.precision,
        stack=run.stack,
        moe_imbalance=1.0 if run.moe_force_balanced else 0.0,
    )
    (best,) = search_layouts(setup, hw, run.chips, run.constraints, top=1)
    return best.tokens_per_s_per_chip


@dataclass(frozen=True, slots=True, kw_only=True)
class RunError:
    """Observed vs predicted for one run; ``error`` is (predicted - observed) / observed."""

    run: PublishedRun
    observed: float
    predicted: float | None
    message: str = ""

    @property
    def error(self) -> float:
        """Relative error (NaN when the model could not cost the run)."""
        if self.predicted is None:
            return math.nan
        return (self.predicted - self.observed) / self.observed


def run_errors(
    runs: Sequence[PublishedRun],
    *,
    efficiencies: Mapping[str, Efficiency] | None = None,
    constants: Constants | None = None,
) -> list[RunError]:
    """Observed vs predicted for every run."""
    cat = load_catalog()
    out = []
    for run in runs:
        obs = observed_tokens_per_s_per_chip(run)
        try:
            pred: float | None = predict_run(
                run, cat, efficiencies=efficiencies, constants=constants
            )
            msg = ""
        except ComputeBrokerError as exc:
            pred, msg = None, str(exc)
        out.append(RunError(run=run, observed=obs, predicted=pred, message=msg))
    return out


def accuracy_summary(errors: Sequence[RunError]) -> dict[str, float]:
    """Median and maximum absolute relative error, and the count of runs costed."""
    abs_err = [abs(e.error) for e in errors if e.predicted is not None]
    return {
        "runs": float(len(errors)),
        "costed": float(len(abs_err)),
        "median_abs_error": statistics.median(abs_err) if abs_err else math.nan,
        "max_abs_error": max(abs_err) if abs_err else math.nan,
    }
