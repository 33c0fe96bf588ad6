"""Honest accuracy of the training model: leave-one-publication-out (LOPO) evaluation.

Role: fit the shipped parameters to the published runs from fixed priors, and measure the model
on runs it was **not** fitted to. Runs are grouped by publication (``PublishedRun.publication``:
one key per source document — one paper, one vendor page, one README). For each publication the
parameters are refitted on every other publication and the held-out runs are predicted; a chip
seen only in the held-out publication falls back to its vendor default, exactly as an unfitted
chip does in production. The in-sample error of the full fit is the **fit residual**: it says
how well the model can describe the runs, not how well it predicts new ones.

Invariants: the fit starts from the priors below, never from what an earlier fit wrote to the
data files (no leakage between folds); the same function computes the figures that
``docs/perf-accuracy.md``, ``data/uncertainty.csv`` and the tests use.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from computebroker.catalog import load_catalog
from computebroker.perf.calibrate import Calibration, calibrate
from computebroker.perf.hardware import Constants, Efficiency, default_constants
from computebroker.perf.stacks import Stack, stacks
from computebroker.perf.validation import (
    PublishedRun,
    RunError,
    holdout_runs,
    published_runs,
    run_errors,
)

__all__ = [
    "ErrorStats",
    "Evaluation",
    "HeldOut",
    "error_stats",
    "evaluate",
    "fit",
    "priors",
    "shipped_evaluation",
    "vendor_defaults",
]

# Starting points of the fit (fraction of dense peak reached by large training GEMMs, bf16 and
# fp8), per vendor. Round figures from public MFU reports: NVIDIA ~60% bf16 GEMM efficiency
# (Megatron-LM 2021 reached 52% MFU on A100), Google TPUs higher (PaLM 46% MFU with
# rematerialisation), AMD / Intel lower software maturity. The fit moves them.
PRIOR_EFFICIENCY: dict[str, tuple[float, float]] = {
    "nvidia": (0.60, 0.45),
    "google": (0.80, 0.60),
    "aws": (0.60, 0.45),
    "amd": (0.48, 0.36),
    "intel": (0.42, 0.32),
}
# (tp_overlap, fsdp_bw_factor) starting points of the stacks whose behaviour is fitted.
PRIOR_STACK: dict[str, tuple[float, float]] = {
    "megatron-core": (0.5, 1.0),
    "maxtext": (0.8, 1.0),
    "megatron-2021": (0.0, 1.0),
    "deepspeed-zero3-2021": (0.0, 0.5),
}
PRIOR_GEMM_N0 = 128.0  # one tensor-core / MXU tile edge


def priors() -> tuple[dict[str, Efficiency], dict[str, Stack], Constants]:
    """The fit's starting point: vendor efficiencies, stack behaviours and constants."""
    effs = {
        k: Efficiency(key=k, matmul_bf16=b, matmul_fp8=f, source="prior")
        for k, (b, f) in PRIOR_EFFICIENCY.items()
    }
    stk = {
        name: replace(s, tp_overlap=PRIOR_STACK[name][0], fsdp_bw_factor=PRIOR_STACK[name][1])
        if name in PRIOR_STACK
        else s
        for name, s in stacks().items()
    }
    return effs, stk, replace(default_constants(), gemm_n0=PRIOR_GEMM_N0)


def fit(runs: Sequence[PublishedRun]) -> Calibration:
    """Fit chip efficiencies, stack behaviours and ``gemm_n0`` to ``runs`` from the priors."""
    effs, stk, consts = priors()
    return calibrate(
        runs,
        efficiencies=effs,
        stack_table=stk,
        constants=consts,
        fit_stacks=True,
        fit_globals=True,
    )


def vendor_defaults(eff: Mapping[str, Efficiency]) -> dict[str, tuple[Efficiency, str]]:
    """Vendor default rows derived from the fitted chips in ``eff``, each with why."""
    prior = priors()[0]
    out: dict[str, tuple[Efficiency, str]] = {}
    h100 = eff.get("h100") or eff.get("a100-80gb") or prior["nvidia"]
    out["nvidia"] = (replace(h100, key="nvidia"), f"vendor default = {h100.key} (fitted)")
    tpus = [eff[k] for k in ("tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e") if k in eff]
    if tpus:
        b = statistics.mean(e.matmul_bf16 for e in tpus)
        out["google"] = (
            Efficiency(key="google", matmul_bf16=b, matmul_fp8=0.8 * b),
            "vendor default = mean of fitted TPU bf16 efficiencies; fp8 = 0.8 x bf16 (assumption)",
        )
    else:
        out["google"] = (prior["google"], "prior (no TPU run fitted)")
    if "trn1" in eff:
        out["aws"] = (
            replace(eff["trn1"], key="aws"),
            "vendor default = trn1 (fitted); Trn2/Trn3 unmeasured",
        )
    else:
        out["aws"] = (prior["aws"], "prior (no Trainium run fitted)")
    n = out["nvidia"][0]
    out["amd"] = (
        Efficiency(key="amd", matmul_bf16=0.8 * n.matmul_bf16, matmul_fp8=0.8 * n.matmul_fp8),
        "assumption: 0.8 x nvidia default (no published MI300X-class training run in the table)",
    )
    out["intel"] = (
        Efficiency(key="intel", matmul_bf16=0.7 * n.matmul_bf16, matmul_fp8=0.7 * n.matmul_fp8),
        "assumption: 0.7 x nvidia default (no published Gaudi training run in the table)",
    )
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldOut:
    """One run predicted by the model fitted without its publication."""

    run: PublishedRun
    vendor: str
    observed: float
    predicted: float | None
    fit_residual: float  # signed error of the full fit on this run (in-sample)
    chip_seen: bool  # the chip had runs in the other publications

    @property
    def error(self) -> float:
        """Signed out-of-sample error (predicted - observed) / observed; NaN if not costed."""
        if self.predicted is None:
            return math.nan
        return (self.predicted - self.observed) / self.observed


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorStats:
    """Absolute relative errors summarised (fractions; NaN when empty)."""

    runs: int
    median: float
    mean: float
    p90: float
    max: float
    bias: float  # median signed error: > 0 means optimistic


def _p90(values: Sequence[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def error_stats(signed: Sequence[float]) -> ErrorStats:
    """Median, mean, 90th percentile and maximum of ``|error|``, and the median signed error.

    Examples
    --------
    >>> s = error_stats([0.1, -0.2, 0.05])
    >>> round(s.median, 2), round(s.max, 2), round(s.bias, 2)
    (0.1, 0.2, 0.05)
    """
    vals = [v for v in signed if not math.isnan(v)]
    if not vals:
        return ErrorStats(
            runs=0, median=math.nan, mean=math.nan, p90=math.nan, max=math.nan, bias=math.nan
        )
    absv = [abs(v) for v in vals]
    return ErrorStats(
        runs=len(vals),
        median=statistics.median(absv),
        mean=statistics.fmean(absv),
        p90=_p90(absv),
        max=max(absv),
        bias=statistics.median(vals),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """The full fit and the leave-one-publication-out predictions of every run."""

    calibration: Calibration
    held_out: tuple[HeldOut, ...]
    # Runs never fitted (validation.holdout_runs), predicted with the full fit.
    holdout: tuple[RunError, ...] = ()

    @property
    def publications(self) -> dict[str, list[HeldOut]]:
        """Held-out runs by publication, in table order."""
        out: dict[str, list[HeldOut]] = defaultdict(list)
        for h in self.held_out:
            out[h.run.publication].append(h)
        return dict(out)

    def lopo(self, *, chip_seen: bool | None = None) -> ErrorStats:
        """Out-of-sample errors, optionally only where the chip was (not) in training."""
        return error_stats(
            [h.error for h in self.held_out if chip_seen is None or h.chip_seen is chip_seen]
        )

    def fit_residual(self) -> ErrorStats:
        """In-sample errors of the full fit (not a prediction accuracy)."""
        return error_stats([h.fit_residual for h in self.held_out])

    def subset(self, *, vendor: str | None = None, stack: str | None = None) -> ErrorStats:
        """Out-of-sample errors of seen-chip runs of a vendor and/or stack."""
        return error_stats(
            [
                h.error
                for h in self.held_out
                if h.chip_seen
                and (vendor is None or h.vendor == vendor)
                and (stack is None or (h.run.stack is not None and h.run.stack.name == stack))
            ]
        )


def _predict_held_out(
    members: Sequence[PublishedRun], rest: Sequence[PublishedRun]
) -> list[float | None]:
    sub = fit(rest)
    seen = {r.accelerator for r in rest}
    effs = {k: v for k, v in sub.efficiencies.items() if k in seen}
    effs.update({k: e for k, (e, _) in vendor_defaults(effs).items()})
    held = [replace(r, stack=sub.stacks[r.stack.name]) if r.stack else r for r in members]
    return [e.predicted for e in run_errors(held, efficiencies=effs, constants=sub.constants)]


def evaluate(runs: Sequence[PublishedRun], holdout: Sequence[PublishedRun] = ()) -> Evaluation:
    """Fit on all ``runs``; then, per publication, refit without it and predict it; predict
    the never-fitted ``holdout`` runs with the full fit."""
    cal = fit(runs)
    residual = {e.run.id: e.error for e in cal.after}
    observed = {e.run.id: e.observed for e in cal.after}
    cat = load_catalog()
    pubs: dict[str, list[PublishedRun]] = defaultdict(list)
    for r in runs:
        pubs[r.publication or r.id].append(r)
    predicted: dict[str, float | None] = {}
    seen: dict[str, bool] = {}
    for pub, members in pubs.items():
        rest = [r for r in runs if (r.publication or r.id) != pub]
        chips = {r.accelerator for r in rest}
        for r, p in zip(members, _predict_held_out(members, rest), strict=True):
            predicted[r.id] = p
            seen[r.id] = r.accelerator in chips
    held = tuple(
        HeldOut(
            run=r,
            vendor=cat.accelerator(r.accelerator).vendor.lower(),
            observed=observed[r.id],
            predicted=predicted[r.id],
            fit_residual=residual[r.id],
            chip_seen=seen[r.id],
        )
        for r in runs
    )
    effs = dict(cal.efficiencies)
    effs.update({k: e for k, (e, _) in vendor_defaults(cal.efficiencies).items()})
    extra = [replace(r, stack=cal.stacks[r.stack.name]) if r.stack else r for r in holdout]
    ho = tuple(run_errors(extra, efficiencies=effs, constants=cal.constants))
    return Evaluation(calibration=cal, held_out=held, holdout=ho)


@lru_cache(maxsize=1)
def shipped_evaluation() -> Evaluation:
    """``evaluate`` on the shipped published and hold-out runs (about ten seconds; cached)."""
    return evaluate(list(published_runs()), list(holdout_runs()))
