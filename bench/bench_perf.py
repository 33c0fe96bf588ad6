"""Perf model speed: a full layout search and a throughput matrix.

* Layout search for Llama 3.1 405B (dense) on 16,384 H100, TPU v5p and Trainium2 chips:
  every TP x PP x VPP x DP x CP x micro-batch x ZeRO x recomputation layout that the batch
  allows is costed (target: each under 2 s).
* Throughput matrix of the 6 workload classes in examples/workloads.yaml (4 training, 2
  serving) on every accelerator the catalog can model (target: under 10 s).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.harness import Result, below

TITLE = "perf: layout search and throughput matrix"


def run() -> list[Result]:
    from computebroker.catalog import load_catalog
    from computebroker.perf import (
        TrainSetup,
        get_model,
        load_workloads,
        modelable_accelerators,
        profile_for,
        search_layouts,
        throughput_matrix,
    )
    from computebroker.perf.layout import LayoutConstraints, Recompute, candidate_layouts

    cat = load_catalog()
    results = []
    model = get_model("llama3.1-405b")
    setup = TrainSetup(model=model, seq_len=8192, global_batch_tokens=16 * 2**20)
    for acc in ("h100", "tpu-v5p", "trn2"):
        hw = profile_for(cat.accelerator(acc))
        n = sum(
            1
            for _ in candidate_layouts(
                chips=16384,
                layers=model.layers,
                heads=model.heads,
                experts=0,
                seq_len=8192,
                global_batch_seqs=setup.global_batch_seqs,
                scale_up_chips=hw.scale_up_chips,
                fixed=LayoutConstraints(recompute=Recompute.NONE),
            )
        )
        t = time.perf_counter()
        best = search_layouts(setup, hw, 16384, top=1)[0]
        dt = time.perf_counter() - t
        results.append(
            Result(
                name=f"405B layout search, 16,384 x {acc}",
                value=dt,
                unit="s",
                target=below(2),
                notes=f"{n:,} layouts costed, each with the cheapest recomputation that fits; best {best.layout_text()}, "
                f"{best.tokens_per_s_per_chip:,.1f} tok/s/chip, MFU {best.mfu:.1%}",
            )
        )
    workloads = load_workloads(Path(__file__).resolve().parents[1] / "examples" / "workloads.yaml")
    accs = modelable_accelerators(cat)
    t = time.perf_counter()
    ds = throughput_matrix(workloads, cat)
    dt = time.perf_counter() - t
    costed = int((ds.work_per_chip_hour > 0).sum())
    results.append(
        Result(
            name=f"throughput matrix, {len(workloads)} classes x {len(accs)} accelerators",
            value=dt,
            unit="s",
            target=below(10),
            notes=f"{costed} of {len(workloads) * len(accs)} cells costed (the rest cannot fit or meet latency)",
        )
    )
    return results
