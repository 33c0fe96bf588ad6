"""Fit the shipped efficiency parameters to the published runs and write the accuracy report.

    python scripts/calibrate_perf.py

Writes ``src/computebroker/perf/data/efficiency.csv`` (fitted rows + vendor defaults + fitted
constants), updates the fitted columns of ``data/stacks.csv``, and writes
``docs/perf-accuracy.md``: the error on every run, per source, and a leave-one-source-out
check (refit without a source, predict it) that shows how the model does on data it was not
fitted to. Run by hand after changing the model or the runs; tests/perf/test_published_runs.py
checks the accuracy of the committed parameters.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from computebroker.perf.calibrate import Calibration, calibrate
from computebroker.perf.hardware import Constants, Efficiency, default_constants
from computebroker.perf.stacks import Stack, stacks
from computebroker.perf.validation import PublishedRun, published_runs, run_errors

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "computebroker" / "perf" / "data"


def group_of(run: PublishedRun) -> str:
    """The source group a run belongs to (one publication or vendor page)."""
    for prefix, name in (
        ("narayanan21-t2-zero3", "Narayanan 2021 (DeepSpeed ZeRO-3)"),
        ("narayanan21", "Narayanan 2021 (Megatron-LM)"),
        ("korthikanti22", "Korthikanti 2022"),
        ("palm22", "PaLM 2022"),
        ("maxtext-v5e", "MaxText v5e"),
        ("maxtext-v5p", "MaxText v5p"),
        ("llama3", "Llama 3 (Meta)"),
        ("nemo2511-h100", "NeMo 25.11 H100"),
        ("nemo2511", "NeMo 25.11 Blackwell"),
        ("neuron", "AWS Neuron Trn1"),
    ):
        if run.id.startswith(prefix):
            return name
    return run.id


# Starting points of the fit, independent of what earlier fits wrote to the data files, so
# that results (and the leave-one-source-out check) are reproducible and free of leakage.
PRIOR_EFFICIENCY = {
    "nvidia": (0.60, 0.45),
    "google": (0.80, 0.60),
    "aws": (0.60, 0.45),
    "amd": (0.48, 0.36),
    "intel": (0.42, 0.32),
}
# (tp_overlap, fsdp_bw_factor) starting points of the stacks whose behaviour is fitted
PRIOR_STACK: dict[str, tuple[float, float]] = {
    "megatron-core": (0.5, 1.0),
    "maxtext": (0.8, 1.0),
    "megatron-2021": (0.0, 1.0),
    "deepspeed-zero3-2021": (0.0, 0.5),
}


def priors() -> tuple[dict[str, Efficiency], dict[str, Stack], Constants]:
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
    return effs, stk, replace(default_constants(), gemm_n0=128.0)


def fit(runs: list[PublishedRun]) -> Calibration:
    effs, stk, consts = priors()
    return calibrate(
        runs,
        efficiencies=effs,
        stack_table=stk,
        constants=consts,
        fit_stacks=True,
        fit_globals=True,
    )


def vendor_defaults(eff: dict[str, Efficiency]) -> dict[str, tuple[Efficiency, str]]:
    """Vendor default rows derived from fitted chips (and labelled assumptions)."""
    out: dict[str, tuple[Efficiency, str]] = {}
    h100 = eff.get("h100") or eff.get("a100-80gb") or priors()[0]["nvidia"]
    out["nvidia"] = (replace(h100, key="nvidia"), f"vendor default = {h100.key} (fitted)")
    tpus = [eff[k] for k in ("tpu-v4", "tpu-v5e", "tpu-v5p") if k in eff]
    if tpus:
        b = statistics.mean(e.matmul_bf16 for e in tpus)
        out["google"] = (
            Efficiency(key="google", matmul_bf16=b, matmul_fp8=0.8 * b),
            "vendor default = mean of fitted TPU bf16 efficiencies; fp8 = 0.8 x bf16 (assumption)",
        )
    else:
        out["google"] = (priors()[0]["google"], "prior (no TPU run fitted)")
    if "trn1" in eff:
        out["aws"] = (
            replace(eff["trn1"], key="aws"),
            "vendor default = trn1 (fitted); Trn2/Trn3 unmeasured",
        )
    else:
        out["aws"] = (priors()[0]["aws"], "prior (no Trainium run fitted)")
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


def write_efficiency(cal: Calibration, runs: list[PublishedRun]) -> None:
    by_acc: dict[str, list[str]] = defaultdict(list)
    for r in runs:
        by_acc[r.accelerator].append(r.id)
    rows = []
    for acc, ids in sorted(by_acc.items()):
        e = cal.efficiencies[acc]
        precs = {r.precision.value for r in runs if r.accelerator == acc}
        rows.append(
            {
                "key": acc,
                "matmul_bf16": f"{e.matmul_bf16:.4f}",
                "matmul_fp8": f"{e.matmul_fp8:.4f}",
                "fitted_on": ";".join(ids),
                "source": f"fitted ({'/'.join(sorted(precs))}) by scripts/calibrate_perf.py to published_runs.csv",
            }
        )
    eff = dict(cal.efficiencies)
    h100 = eff["h100"]
    # B200/GB200/GB300 are fitted on FP8 only; their bf16 efficiency is taken as H100's
    # bf16 scaled by the FP8 ratio to H100 (same software, newer tensor cores).
    for acc in ("b200", "gb200", "gb300"):
        if acc in eff:
            row = next(r for r in rows if r["key"] == acc)
            row["matmul_bf16"] = f"{h100.matmul_bf16 * eff[acc].matmul_fp8 / h100.matmul_fp8:.4f}"
            row["source"] += "; bf16 = h100 bf16 x (fp8 ratio to h100), not measured"
    fitted_chips = {k: v for k, v in eff.items() if k in by_acc}
    for key, (e, why) in vendor_defaults(fitted_chips).items():
        rows.append(
            {
                "key": key,
                "matmul_bf16": f"{e.matmul_bf16:.4f}",
                "matmul_fp8": f"{e.matmul_fp8:.4f}",
                "fitted_on": "",
                "source": why,
            }
        )
    rows.append(
        {
            "key": "const:gemm_n0",
            "matmul_bf16": f"{cal.constants.gemm_n0:.2f}",
            "matmul_fp8": "",
            "fitted_on": "all runs",
            "source": "GEMM width roll-off n0, fitted jointly",
        }
    )
    buf = io.StringIO()
    w = csv.DictWriter(
        buf,
        fieldnames=["key", "matmul_bf16", "matmul_fp8", "fitted_on", "source"],
        lineterminator="\n",
    )
    w.writeheader()
    w.writerows(rows)
    (DATA / "efficiency.csv").write_text(buf.getvalue())


def write_stacks(cal: Calibration) -> None:
    text = (DATA / "stacks.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        s = cal.stacks[row["name"]]
        row["tp_overlap"] = f"{s.tp_overlap:.3f}"
        row["fsdp_bw_factor"] = f"{s.fsdp_bw_factor:.3f}"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    (DATA / "stacks.csv").write_text(buf.getvalue())


def main() -> int:
    runs = list(published_runs())
    print(f"fitting on {len(runs)} runs ...", flush=True)
    cal = fit(runs)
    groups: dict[str, list[PublishedRun]] = defaultdict(list)
    for r in runs:
        groups[group_of(r)].append(r)
    loso: dict[str, float] = {}
    loso_errs: dict[str, float] = {}
    for name, members in groups.items():
        rest = [r for r in runs if group_of(r) != name]
        print(f"leave out {name} ...", flush=True)
        sub = fit(rest)
        # A chip seen only in the left-out group falls back to its vendor default.
        effs = {k: v for k, v in sub.efficiencies.items() if any(r.accelerator == k for r in rest)}
        effs.update({k: e for k, (e, _) in vendor_defaults(effs).items()})
        held = [replace(r, stack=sub.stacks[r.stack.name]) if r.stack else r for r in members]
        errs = run_errors(held, efficiencies=effs, constants=sub.constants)
        for e in errs:
            loso_errs[e.run.id] = e.error
        loso[name] = statistics.median(abs(e.error) for e in errs)
    write_efficiency(cal, runs)
    write_stacks(cal)
    write_report(cal, groups, loso, loso_errs)
    s = cal.summary
    print(f"median |error| {s['median_abs_error']:.1%}, max {s['max_abs_error']:.1%}")
    return 0


def write_report(
    cal: Calibration,
    groups: dict[str, list[PublishedRun]],
    loso: dict[str, float],
    loso_errs: dict[str, float],
) -> None:
    s = cal.summary
    after = {e.run.id: e for e in cal.after}
    all_loso = [abs(v) for v in loso_errs.values()]
    lines = [
        "# Accuracy of the training performance model",
        "",
        f"Generated by `scripts/calibrate_perf.py` on {dt.date.today().isoformat()}; the same table is",
        "checked by `tests/perf/test_published_runs.py`.",
        "",
        f"**{len(cal.after)} published runs** from {len(groups)} sources, on tokens/s per chip:",
        f"median absolute error **{s['median_abs_error']:.1%}**, maximum **{s['max_abs_error']:.1%}**",
        f"(before fitting, with the initial guesses: median {s['before_median_abs_error']:.1%},",
        f"max {s['before_max_abs_error']:.1%}).",
        "",
        "**Leave one source out** (refit without the source, then predict it; chips seen only in",
        "that source fall back to their vendor default): median absolute error",
        f"**{statistics.median(all_loso):.1%}**, maximum {max(all_loso):.1%}. This is the figure to",
        "expect on runs the model was not fitted to.",
        "",
        "Fitted parameters:",
        "",
        "| parameter | value |",
        "|---|---|",
    ]
    lines += [f"| `{k}` | {v:.3f} |" for k, v in cal.fitted.items()]
    lines += [
        "",
        "## Per source",
        "",
        "| source | runs | median abs. error (fitted) | max abs. error (fitted) | median abs. error (left out) |",
        "|---|---|---|---|---|",
    ]
    for name, members in groups.items():
        errs = [abs(after[r.id].error) for r in members]
        lines.append(
            f"| {name} | {len(members)} | {statistics.median(errs):.1%} | {max(errs):.1%} | {loso[name]:.1%} |"
        )
    lines += [
        "",
        "## Every run",
        "",
        "| run | chip | model | chips | layout pinned | observed tok/s/chip | predicted | error | left-out error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in cal.after:
        r = e.run
        c = r.constraints
        pins = " ".join(
            f"{k}{v}"
            for k, v in (("TP", c.tp), ("PP", c.pp), ("DP", c.dp), ("CP", c.cp), ("VPP", c.vpp))
            if v
        )
        lines.append(
            f"| {r.id} | {r.accelerator} | {r.model.name} | {r.chips:,} | {pins} | {e.observed:,.1f} | "
            f"{e.predicted or 0:,.1f} | {e.error:+.1%} | {loso_errs[r.id]:+.1%} |"
        )
    lines += [
        "",
        "Sources (full citations in `src/computebroker/perf/data/published_runs.csv`):",
        "",
    ]
    seen: set[str] = set()
    for members in groups.values():
        for r in members:
            if r.source not in seen:
                seen.add(r.source)
                lines.append(f"- {r.source}")
    (ROOT / "docs" / "perf-accuracy.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
