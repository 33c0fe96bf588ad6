"""Published inference measurements and the serving model's error on them.

``data/published_serving.csv`` holds serving throughputs from vendor performance tables, each
with its source (document, table, row). A row fixes what the benchmark fixed — chip, model,
tensor-parallel degree, weight and KV-cache precision, prompt and output lengths, and the batch
when the benchmark ran at a fixed batch or concurrency (blank: an offline maximum-throughput run,
where the batch is whatever fits) — and the model predicts output tokens per second per chip.

Nothing in the serving model is fitted to these rows: the efficiencies come from the training
calibration, so the error here is out of sample.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from computebroker.catalog import load_catalog
from computebroker.errors import ComputeBrokerError
from computebroker.perf.hardware import profile_for
from computebroker.perf.presets import get_model
from computebroker.perf.serve import WEIGHT_BYTES, ServePrecision, ServeSetup, serve_at

__all__ = ["ServingError", "ServingRun", "published_serving", "serving_errors"]

KV_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0}
UNITS = ("output_tokens_per_s_total", "output_tokens_per_s_per_chip")
UNCONSTRAINED_MS = 1e9  # offline benchmarks set no latency target


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingRun:
    """One published serving measurement."""

    id: str
    publication: str
    source: str
    accelerator: str
    model: str
    tp: int
    precision: ServePrecision
    kv_bytes: float
    prompt_tokens: int
    output_tokens: int
    batch: int | None
    value: float
    max_batch: int = 2048  # the server's cap on sequences in flight (max_num_seqs)
    unit: str

    @property
    def observed_per_chip(self) -> float:
        """Output tokens per second per chip as published."""
        return self.value / self.tp if self.unit == "output_tokens_per_s_total" else self.value


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingError:
    """Observed vs predicted output tokens/s per chip; error = (pred - obs) / obs."""

    run: ServingRun
    predicted: float | None
    message: str = ""

    @property
    def error(self) -> float:
        """Relative error (NaN when the model could not cost the run)."""
        if self.predicted is None:
            return float("nan")
        return self.predicted / self.run.observed_per_chip - 1.0


@lru_cache(maxsize=1)
def published_serving() -> tuple[ServingRun, ...]:
    """The shipped serving measurements."""
    text = (
        resources.files("computebroker.perf")
        .joinpath("data", "published_serving.csv")
        .read_text("utf-8")
    )
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        if row["unit"] not in UNITS:
            raise ValueError(
                f"published_serving.csv {row['id']}: unit {row['unit']!r} not in {UNITS}"
            )
        out.append(
            ServingRun(
                id=row["id"],
                publication=row["publication"],
                source=row["source"],
                accelerator=row["accelerator"],
                model=row["model"],
                tp=int(row["tp"]),
                precision=ServePrecision(row["precision"]),
                kv_bytes=KV_BYTES[row["kv_precision"]],
                prompt_tokens=int(row["prompt_tokens"]),
                output_tokens=int(row["output_tokens"]),
                batch=int(row["batch"]) if row["batch"].strip() else None,
                value=float(row["value"]),
                unit=row["unit"],
                max_batch=int(row["max_batch"]) if row.get("max_batch", "").strip() else 2048,
            )
        )
    return tuple(out)


def predict_serving(run: ServingRun) -> float:
    """The model's output tokens/s per chip for the run's setup."""
    cat = load_catalog()
    setup = ServeSetup(
        model=get_model(run.model),
        prompt_tokens=run.prompt_tokens,
        output_tokens=run.output_tokens,
        ttft_ms=UNCONSTRAINED_MS,
        tpot_ms=UNCONSTRAINED_MS,
        weight_bytes=WEIGHT_BYTES[run.precision],
        kv_bytes=run.kv_bytes,
        precision=run.precision,
        batch=run.batch,
        max_batch=run.max_batch,
    )
    est = serve_at(setup, profile_for(cat.accelerator(run.accelerator)), run.tp)
    return est.output_tokens_per_s_per_chip


def serving_errors(runs: tuple[ServingRun, ...] | None = None) -> list[ServingError]:
    """Observed vs predicted for every run."""
    out = []
    for r in runs if runs is not None else published_serving():
        try:
            out.append(ServingError(run=r, predicted=predict_serving(r)))
        except ComputeBrokerError as exc:
            out.append(ServingError(run=r, predicted=None, message=str(exc)))
    return out


def median_abs_error(errors: list[ServingError]) -> float:
    """Median of |error| over the costed runs."""
    return statistics.median(abs(e.error) for e in errors if e.predicted is not None)
