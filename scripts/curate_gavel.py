"""Copy the Gavel data the product needs from ../shared/data/gavel, curated.

Source: github.com/stanford-futuredata/gavel at commit c4fa400 (2022-01-15), MIT licence;
the Philly-derived traces also credit the Microsoft Philly trace (CC BY 4.0; Jeon et al.,
USENIX ATC 2019). What is written:

* ``src/computebroker/sim/data/gavel/throughputs.json`` — the isolated ("null") throughputs
  only, same layout as Gavel's ``simulation_throughputs.json`` (space-sharing pairs dropped;
  the simulator does not pack jobs);
* ``src/computebroker/sim/data/gavel/physical_cluster/*.trace`` — byte for byte;
* ``bench/data/philly_vc_seed0/*.trace`` — Gavel's 7-column format with the command column
  replaced by ``-`` (it is text the simulator ignores; 2.8 MB -> a fraction of that).

Run: ``python scripts/curate_gavel.py [SHARED_GAVEL_DIR]``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(src: Path) -> None:
    out = REPO / "src" / "computebroker" / "sim" / "data" / "gavel"
    (out / "physical_cluster").mkdir(parents=True, exist_ok=True)
    raw = json.loads((src / "simulation_throughputs.json").read_text())
    slim = {
        w: {k: {"null": v["null"]} for k, v in jobs.items()}
        for w, jobs in raw.items()
        if "unconsolidated" not in w
    }
    (out / "throughputs.json").write_text(json.dumps(slim, indent=1, sort_keys=True) + "\n")
    for f in sorted((src / "physical_cluster").glob("*.trace")):
        shutil.copyfile(f, out / "physical_cluster" / f.name)
    philly = REPO / "bench" / "data" / "philly_vc_seed0"
    philly.mkdir(parents=True, exist_ok=True)
    for f in sorted((src / "philly_vc_seed0").glob("*.trace")):
        lines = []
        for line in f.read_text().splitlines():
            cols = line.split("\t")
            cols[1] = "-"
            lines.append("\t".join(cols))
        (philly / f.name).write_text("\n".join(lines) + "\n")
    (out / "README.md").write_text(
        "# Gavel's data (curated)\n\n"
        "From github.com/stanford-futuredata/gavel at commit c4fa400 (2022-01-15), MIT licence\n"
        '(Narayanan et al., "Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning\n'
        'Workloads", OSDI 2020). Written by `scripts/curate_gavel.py`.\n\n'
        "- `throughputs.json`: isolated steps/s of each (job type, scale factor) on k80, p100, v100\n"
        "  (Gavel's `simulation_throughputs.json` without the space-sharing pairs).\n"
        "- `physical_cluster/*.trace`: Gavel's physical-cluster traces, byte for byte (10 columns).\n"
    )
    print(f"wrote {out} and {philly}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data" / "gavel")
