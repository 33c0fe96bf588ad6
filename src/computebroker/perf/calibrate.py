"""Fit achievable-efficiency parameters to measured runs, and report residuals.

What is fitted: for every accelerator in the runs, the achievable fraction of bf16 and/or fp8
peak for training GEMMs (only the precisions that appear in its runs); optionally, per software
stack, the share of tensor-parallel traffic hidden (``tp_overlap``) and the ZeRO-3 gather
bandwidth factor (``fsdp_bw_factor``) where the runs exercise them; optionally the global GEMM
width roll-off ``gemm_n0``. The loss is the sum of squared log ratios predicted / observed,
minimised with scipy's trust-region least squares on bounded parameters.

Everything else (link bandwidths, memory-bound efficiency, attention kernel ratio) keeps the
documented values of ``hardware.Constants``: a calibration on a handful of runs should move few
knobs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import least_squares

from computebroker.perf.hardware import Constants, Efficiency, default_constants, efficiency_table
from computebroker.perf.layout import Precision
from computebroker.perf.stacks import Stack, stacks
from computebroker.perf.validation import (
    PublishedRun,
    RunError,
    accuracy_summary,
    run_errors,
)

__all__ = ["MIN_RUNS", "Calibration", "calibrate"]

MIN_RUNS = 4  # fewest runs that may determine a stack behaviour


@dataclass(frozen=True, slots=True, kw_only=True)
class Calibration:
    """Fitted parameters and the errors before and after."""

    efficiencies: Mapping[str, Efficiency]
    stacks: Mapping[str, Stack]
    constants: Constants
    before: list[RunError]
    after: list[RunError]
    fitted: Mapping[str, float]

    @property
    def summary(self) -> dict[str, float]:
        """Median / max absolute error after fitting (and before, prefixed)."""
        out = accuracy_summary(self.after)
        out.update(
            {f"before_{k}": v for k, v in accuracy_summary(self.before).items() if "error" in k}
        )
        return out


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    lo: float
    hi: float
    x0: float


def _params(
    runs: Sequence[PublishedRun],
    effs: Mapping[str, Efficiency],
    stk: Mapping[str, Stack],
    consts: Constants,
    *,
    fit_stacks: bool,
    fit_globals: bool,
) -> list[_Param]:
    out: list[_Param] = []
    seen: set[str] = set()
    for r in runs:
        key = f"{r.accelerator}:{r.precision.value}"
        if key in seen:
            continue
        seen.add(key)
        e = effs.get(r.accelerator)
        x0 = (e.matmul_fp8 if r.precision is Precision.FP8 else e.matmul_bf16) if e else 0.6
        out.append(_Param(key, 0.1, 0.98, min(0.95, max(0.15, x0))))
    if fit_stacks:
        # A stack behaviour is fitted only where at least MIN_RUNS runs exercise it.
        for name in sorted({r.stack.name for r in runs if r.stack is not None}):
            mine = [r for r in runs if r.stack is not None and r.stack.name == name]
            s = stk[name]
            if sum((r.constraints.tp or 1) > 1 for r in mine) >= MIN_RUNS:
                out.append(_Param(f"stack:{name}:tp_overlap", 0.0, 0.95, s.tp_overlap))
            if sum(r.constraints.zero == 3 for r in mine) >= MIN_RUNS and s.fsdp_bw_factor < 1:
                out.append(_Param(f"stack:{name}:fsdp_bw_factor", 0.02, 1.0, s.fsdp_bw_factor))
    if fit_globals:
        out.append(_Param("const:gemm_n0", 16.0, 1024.0, consts.gemm_n0))
    return out


def _apply(
    x: np.ndarray,
    params: Sequence[_Param],
    effs: Mapping[str, Efficiency],
    stk: Mapping[str, Stack],
    consts: Constants,
    runs: Sequence[PublishedRun],
) -> tuple[dict[str, Efficiency], dict[str, Stack], Constants, list[PublishedRun]]:
    new_effs = dict(effs)
    new_stacks = dict(stk)
    new_consts = consts
    for p, raw in zip(params, x, strict=True):
        v = float(raw)
        if p.name.startswith("stack:"):
            _, name, attr = p.name.split(":")
            st = new_stacks[name]
            new_stacks[name] = (
                replace(st, tp_overlap=v) if attr == "tp_overlap" else replace(st, fsdp_bw_factor=v)
            )
        elif p.name == "const:gemm_n0":
            new_consts = replace(new_consts, gemm_n0=v)
        else:
            acc, prec = p.name.split(":")
            base = new_effs.get(acc) or Efficiency(key=acc, matmul_bf16=0.6, matmul_fp8=0.45)
            new_effs[acc] = (
                replace(base, key=acc, matmul_fp8=v)
                if prec == Precision.FP8.value
                else replace(base, key=acc, matmul_bf16=v)
            )
    new_runs = [
        replace(r, stack=new_stacks[r.stack.name]) if r.stack is not None else r for r in runs
    ]
    return new_effs, new_stacks, new_consts, new_runs


def calibrate(
    runs: Sequence[PublishedRun],
    *,
    efficiencies: Mapping[str, Efficiency] | None = None,
    stack_table: Mapping[str, Stack] | None = None,
    constants: Constants | None = None,
    fit_stacks: bool = False,
    fit_globals: bool = False,
    progress: Callable[[int, float], None] | None = None,
) -> Calibration:
    """Fit efficiencies (and optionally stack behaviours and ``gemm_n0``) to ``runs``.

    Raises
    ------
    ValueError
        When ``runs`` is empty.
    """
    if not runs:
        raise ValueError("no runs to calibrate on")
    effs = dict(efficiencies or efficiency_table())
    stk = dict(stack_table or stacks())
    consts = constants or default_constants()
    params = _params(runs, effs, stk, consts, fit_stacks=fit_stacks, fit_globals=fit_globals)
    before = run_errors(runs, efficiencies=effs, constants=consts)
    calls = [0]

    def residuals(x: np.ndarray) -> np.ndarray:
        e, _, c, rr = _apply(x, params, effs, stk, consts, runs)
        errs = run_errors(rr, efficiencies=e, constants=c)
        res = np.array(
            [math.log(er.predicted / er.observed) if er.predicted else 3.0 for er in errs]
        )
        calls[0] += 1
        if progress is not None:
            progress(calls[0], float(np.sqrt(np.mean(res**2))))
        return res

    x0 = np.array([p.x0 for p in params])
    lo = np.array([p.lo for p in params])
    hi = np.array([p.hi for p in params])
    sol = least_squares(
        residuals, x0, bounds=(lo, hi), diff_step=1e-3, xtol=1e-4, ftol=1e-5, max_nfev=60
    )
    e, s, c, rr = _apply(sol.x, params, effs, stk, consts, runs)
    after = run_errors(rr, efficiencies=e, constants=c)
    return Calibration(
        efficiencies=e,
        stacks=s,
        constants=c,
        before=before,
        after=after,
        fitted={p.name: float(v) for p, v in zip(params, sol.x, strict=True)},
    )
