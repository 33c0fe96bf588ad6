"""Fit the shipped efficiency parameters to the published runs and write the accuracy report.

    python scripts/calibrate_perf.py

Writes ``src/computebroker/perf/data/efficiency.csv`` (fitted rows + vendor defaults + fitted
constants), updates the fitted columns of ``data/stacks.csv``, and writes
``data/uncertainty.csv`` and ``docs/perf-accuracy.md`` from ``computebroker.perf.evaluation``
(leave-one-publication-out: refit without a publication, predict it). Run by hand after
changing the model or the runs; tests/perf/test_accuracy.py recomputes the same figures,
gates them and fails when the committed files are stale.
"""

from __future__ import annotations

import csv
import io
import sys
from collections import defaultdict
from pathlib import Path

from computebroker.perf import hardware
from computebroker.perf import stacks as stacks_mod
from computebroker.perf.accuracy_report import DOC_PATH, accuracy_markdown, uncertainty_csv
from computebroker.perf.calibrate import Calibration
from computebroker.perf.evaluation import evaluate, vendor_defaults
from computebroker.perf.validation import PublishedRun, holdout_runs, published_runs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "computebroker" / "perf" / "data"


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
    print(f"fitting on {len(runs)} runs, then leaving out each publication ...", flush=True)
    ev = evaluate(runs, list(holdout_runs()))
    write_efficiency(ev.calibration, runs)
    write_stacks(ev.calibration)
    # The serving check and the bands read the shipped efficiencies: reload what was written.
    hardware._table.cache_clear()
    stacks_mod.stacks.cache_clear()
    (DATA / "uncertainty.csv").write_text(uncertainty_csv(ev))
    (ROOT / DOC_PATH).write_text(accuracy_markdown(ev))
    lopo, fitres = ev.lopo(), ev.fit_residual()
    print(
        f"LOPO median |error| {lopo.median:.1%}, p90 {lopo.p90:.1%}, max {lopo.max:.1%}; "
        f"fit residual median {fitres.median:.1%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
