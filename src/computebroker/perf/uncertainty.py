"""The band every throughput estimate carries, from out-of-sample (LOPO) residuals.

Role: turn ``data/uncertainty.csv`` — the leave-one-publication-out errors of the calibration
set grouped by chip vendor and software stack, written by ``scripts/calibrate_perf.py`` from
``perf.evaluation`` — into a ``Band`` for one estimate: "fitted on N runs, ±X%" where the chip
has fitted runs, "vendor default, ±X%" where it does not. ±X% is the 90th percentile of the
absolute out-of-sample error of the most specific group with at least ``MIN_GROUP_RUNS`` runs:
(vendor, stack), then vendor, then every fitted chip; for vendor defaults, the runs whose chip
was absent from training.

Invariant: a band is never narrower than the fit residual could justify — it comes only from
predictions of runs the fit did not see.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from computebroker.perf.hardware import Efficiency

__all__ = ["MIN_GROUP_RUNS", "Band", "band_for", "serve_band_for", "uncertainty_table"]

MIN_GROUP_RUNS = 4  # fewest held-out runs whose p90 we trust for a group


@dataclass(frozen=True, slots=True, kw_only=True)
class Band:
    """Relative uncertainty of one estimate: the truth is within ``value x (1 ± rel)`` at p90."""

    rel: float
    label: str  # "fitted on 5 runs" or "vendor default"
    basis: str  # which held-out group the ±rel comes from
    fitted_runs: int = 0

    @property
    def text(self) -> str:
        """``"fitted on 5 runs, ±18%"`` — what tables print."""
        return f"{self.label}, ±{self.rel:.0%}"

    def bounds(self, value: float) -> tuple[float, float]:
        """(low, high) of the true throughput given the estimate ``value``.

        Errors are (estimate - observed) / observed, so |error| <= rel means the observed value
        lies in [value / (1 + rel), value / (1 - rel)]; beyond rel = 0.9 the high end is capped
        at 10 x value. A time or cost is proportional to 1 / throughput: its range is
        [t x (1 - rel), t x (1 + rel)] (``time_bounds``).

        Examples
        --------
        >>> Band(rel=0.25, label="vendor default", basis="").bounds(100.0)
        (80.0, 133.33333333333334)
        """
        return value / (1.0 + self.rel), value / max(0.1, 1.0 - self.rel)

    def time_bounds(self, t: float) -> tuple[float, float]:
        """(low, high) of a duration or cost estimated as ``t``."""
        return t * max(0.0, 1.0 - self.rel), t * (1.0 + self.rel)

    def as_dict(self) -> dict[str, object]:
        """Plain dict for JSON."""
        return {
            "band_rel": self.rel,
            "band_label": self.text,
            "band_basis": self.basis,
            "fitted_runs": self.fitted_runs,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    runs: int
    median: float
    p90: float


def _parse(text: str) -> dict[str, _Row]:
    return {
        r["key"]: _Row(
            runs=int(r["runs"]), median=float(r["median_abs_error"]), p90=float(r["p90_abs_error"])
        )
        for r in csv.DictReader(io.StringIO(text))
    }


@lru_cache(maxsize=1)
def uncertainty_table() -> Mapping[str, _Row]:
    """The shipped LOPO error groups (``data/uncertainty.csv``)."""
    text = (
        resources.files("computebroker.perf").joinpath("data", "uncertainty.csv").read_text("utf-8")
    )
    return _parse(text)


def _pick(keys: list[str], table: Mapping[str, _Row]) -> tuple[str, _Row]:
    for k in keys:
        row = table.get(k)
        if row is not None and row.runs >= MIN_GROUP_RUNS:
            return k, row
    k = keys[-1]
    return k, table[k]


def band_for(efficiency: Efficiency, vendor: str, stack: str, *, moe: bool = False) -> Band:
    """The band of an estimate made with ``efficiency`` on a ``vendor`` chip under ``stack``.

    Examples
    --------
    >>> from computebroker.perf.hardware import efficiency_table
    >>> band_for(efficiency_table()["h100"], "nvidia", "megatron-core").label.startswith("fitted on")
    True
    >>> band_for(efficiency_table()["amd"], "amd", "megatron-core").label
    'vendor default'
    """
    table = uncertainty_table()
    v = vendor.lower()
    runs = len([x for x in efficiency.fitted_on.split(";") if x.strip()])
    if runs:
        key, row = _pick([f"fitted:{v}:{stack}", f"fitted:{v}", "fitted:all"], table)
        label = f"fitted on {runs} run{'' if runs == 1 else 's'}"
    else:
        key, row = _pick(["default:all"], table)
        label = "vendor default"
    rel = row.p90
    basis = f"LOPO p90 of {row.runs} held-out runs ({key})"
    if moe:
        # MoE costs (router, permutation, grouped GEMMs, all-to-all) are validated only on the
        # never-fitted MoE hold-out runs: their p90 is a floor (the default band without them).
        row_moe = table.get("moe:all")
        floor = row_moe.p90 if row_moe is not None else table["default:all"].p90
        rel = max(rel, floor)
        basis += f"; MoE floor {floor:.0%} (moe:all)" if row_moe else "; MoE unvalidated"
    return Band(rel=rel, label=label, basis=basis, fitted_runs=runs)


def serve_band_for(efficiency: Efficiency, vendor: str) -> Band:
    """The band of a serving estimate: ± the p90 error on published inference measurements of
    the chip's vendor (``serve:VENDOR``, else ``serve:all``; nothing in the serving model is
    fitted to them), never narrower than the chip's training band (its efficiency comes from
    there)."""
    table = uncertainty_table()
    train = band_for(efficiency, vendor, "")
    key, serve = _pick([f"serve:{vendor.lower()}", "serve:all"], table)
    rel = max(train.rel, serve.p90)
    return Band(
        rel=rel,
        label=train.label,
        basis=f"p90 of {serve.runs} published inference runs ({key}); training band {train.rel:.0%}",
        fitted_runs=train.fitted_runs,
    )
