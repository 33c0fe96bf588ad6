"""Curate ../shared/data into the package's catalog snapshot (run by hand, never at runtime).

    python scripts/curate_catalog.py [--shared ../shared/data]

Writes ``src/computebroker/catalog/data/{accelerators,offerings}.csv`` and ``MANIFEST.json``.
``host_vms.csv`` (the host VMs that GCP's attachable GPUs need, hand-transcribed from the
catalog rows it cites) is hand-written and only checked here.
``contract_terms.csv`` is hand-written (its rows quote ``commitments.md``) and only checked.
``scripts/offerings_added.csv`` (same columns as the snapshot) holds rows curated here rather than
in shared/data, each with its own ``source`` and ``as_of`` (prices found after the shared pass:
Trainium2 Capacity Blocks, the labelled TPU7x estimate); they are appended after the shared rows.

Curation rules (also in docs/catalog.md):
* accelerator names are mapped to canonical lowercase ids (``A100`` -> ``a100-40gb``,
  ``tpu-v5litepod`` -> ``tpu-v5e``, ``Trainium2`` -> ``trn2`` ...);
* every row keeps ``source`` (the catalog file and commit, or the URL) and ``as_of`` (the
  catalog date; ``unknown`` where the source gives none);
* where two rows share cloud, region, instance type and chip count, the newer one is kept and
  the older price is recorded in ``notes``;
* prices that are empty in the source stay empty (no guessing).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from accelerator_specs import SHARED_AS_OF, SPECS

SCHEMA_VERSION = 1
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "computebroker" / "catalog" / "data"

ACC_FIELDS = [
    "id", "name", "vendor", "bf16_tflops", "fp8_tflops", "hbm_gib", "hbm_tbps",
    "scale_up_chips", "scale_up_gbps", "scale_out_gbps", "tdp_w", "cores_per_chip",
    "core_name", "aliases", "assumed", "source", "as_of", "notes",
]  # fmt: skip
OFF_FIELDS = [
    "id", "cloud", "region", "instance_type", "accelerator", "chips", "vcpus", "memory_gib",
    "price_hour", "spot_price_hour", "price_covers", "source", "as_of", "notes",
]  # fmt: skip
HOST_FIELDS = [
    "cloud", "region", "instance_type", "vcpus", "memory_gib", "price_hour", "spot_price_hour",
    "source", "as_of", "notes",
]  # fmt: skip


def price_covers(instance_type: str) -> str:
    """What a shared row's price pays for, from its instance label (see offerings.README.md):
    ``accelerator`` for GCP's attachable GPUs priced without their host VM ("... accelerator
    component only"), ``chip`` for a per-GPU price whose instance shape is not stated
    ("... (per GPU ...)"), ``instance`` for a whole instance."""
    if "accelerator component only" in instance_type:
        return "accelerator"
    if "(per GPU" in instance_type:
        return "chip"
    return "instance"


# The offerings file spells accelerators as the SkyPilot catalog does; map to canonical ids.
OFFERING_NAMES = {
    "A100": "a100-40gb", "A100-80GB": "a100-80gb", "H100": "h100", "H100-MEGA": "h100",
    "H100-NVL": "h100-nvl", "H200": "h200", "GH200": "gh200", "B200": "b200", "B300": "b300",
    "GB200": "gb200", "GB300": "gb300", "L4": "l4", "L40S": "l40s", "L40": "l40",
    "T4": "t4", "V100": "v100", "V100-32GB": "v100-32gb", "P100": "p100", "P4": "p4",
    "A10G": "a10g", "A10": "a10", "A6000": "a6000", "RTX6000": "rtx6000",
    "RTXPRO6000": "rtxpro6000", "MI300X": "mi300x", "MI355X": "mi355x",
    "tpu-v2": "tpu-v2", "tpu-v3": "tpu-v3", "tpu-v4": "tpu-v4", "tpu-v5litepod": "tpu-v5e",
    "tpu-v5p": "tpu-v5p", "tpu-v6e": "tpu-v6e", "Trainium": "trn1", "Trainium2": "trn2",
    "Inferentia2": "inf2",
}  # fmt: skip

NUMERIC_FROM_SHARED = {
    "bf16_tflops": "peak_bf16_dense_tflops", "fp8_tflops": "peak_fp8_dense_tflops",
    "hbm_gib": "hbm_gib", "hbm_tbps": "hbm_bandwidth_tbps", "scale_up_chips": "scale_up_domain",
    "scale_up_gbps": "scale_up_bw_gbps_per_chip", "scale_out_gbps": "scale_out_bw_gbps_per_chip",
    "tdp_w": "tdp_watts",
}  # fmt: skip


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def curate_accelerators(shared: Path) -> list[dict[str, str]]:
    rows = {r["accelerator"]: r for r in csv.DictReader(open(shared / "accelerators.csv"))}
    out: list[dict[str, str]] = []
    for spec in SPECS:
        src = rows.get(spec["shared"]) if spec.get("shared") else None
        sources: list[str] = []
        notes: list[str] = []
        if src is not None:
            sources.append(src["source_urls"])
            notes.append(src["notes"])
            assumed = spec.get("assumed", "")
            for ours, theirs in NUMERIC_FROM_SHARED.items():
                if src[theirs] == "" or spec[ours] is None:
                    continue
                if float(src[theirs]) != float(spec[ours]) and ours not in assumed:
                    raise SystemExit(f"{spec['id']}.{ours}: {spec[ours]} != shared {src[theirs]}")
        elif spec.get("shared"):
            raise SystemExit(f"{spec['id']}: shared row {spec['shared']!r} not found")
        if spec.get("extra_source"):
            sources.append(spec["extra_source"])
        if spec.get("notes"):
            notes.append(spec["notes"])
        row = {k: _fmt(spec.get(k)) for k in ACC_FIELDS}
        row["source"] = "; ".join(s for s in sources if s) or "not sourced"
        row["as_of"] = SHARED_AS_OF
        row["notes"] = " ".join(n for n in notes if n)
        out.append(row)
    return out


def curate_offerings(shared: Path) -> list[dict[str, str]]:
    kept: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for r in csv.DictReader(open(shared / "offerings.csv")):
        acc = OFFERING_NAMES.get(r["accelerator"])
        if acc is None:
            raise SystemExit(f"unmapped accelerator {r['accelerator']!r}")
        key = (r["cloud"], r["region"], r["instance_type"], r["accelerator_count"])
        row = {
            "cloud": r["cloud"],
            "region": r["region"],
            "instance_type": r["instance_type"],
            "accelerator": acc,
            "chips": r["accelerator_count"],
            "vcpus": r["vcpus"],
            "memory_gib": r["memory_gib"],
            "price_hour": r["price_on_demand_usd_per_hour"],
            "spot_price_hour": r["price_spot_usd_per_hour"],
            "price_covers": price_covers(r["instance_type"]),
            "source": r["source_file"]
            if "://" in r["source_file"] or r["cloud"] not in {"gcp", "aws", "lambda", "nebius"}
            else f"skypilot-org/skypilot-catalog:{r['source_file']}",
            "as_of": r["catalog_date"] or "unknown",
            "notes": r["price_notes"],
        }
        old = kept.get(key)
        if old is not None:
            newer, older = (row, old) if row["as_of"] > old["as_of"] else (old, row)
            newer["notes"] = (
                f"{newer['notes']}; supersedes price {older['price_hour']} "
                f"(spot {older['spot_price_hour'] or 'n/a'}) from {older['source']}"
            )
            if not newer["spot_price_hour"]:
                newer["spot_price_hour"] = older["spot_price_hour"]
                newer["notes"] += " (spot price kept from the older row)"
            row = newer
        kept[key] = row
    out = []
    for (cloud, region, itype, chips), row in kept.items():
        suffix = f"/{chips}" if itype.endswith("only)") or "*" in itype else ""
        row["id"] = f"{cloud}/{region}/{itype}{suffix}"
        out.append({k: row[k] for k in OFF_FIELDS})
    with open(Path(__file__).parent / "offerings_added.csv", encoding="utf-8") as fh:
        added = list(csv.DictReader(fh))
    assert all(r["source"] and r["as_of"] for r in added), "added rows need source and as_of"
    out += [{k: r[k] for k in OFF_FIELDS} for r in added]
    for r in out:
        assert r["price_covers"] in {"instance", "accelerator", "chip"}, r["id"]
    ids = [r["id"] for r in out]
    assert len(ids) == len(set(ids)), "offering ids must be unique"
    return out


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    tmp.replace(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    accs = curate_accelerators(args.shared)
    offs = curate_offerings(args.shared)
    known = {a["id"] for a in accs}
    missing = {o["accelerator"] for o in offs} - known
    assert not missing, f"offerings reference accelerators without a spec row: {missing}"
    with open(OUT / "host_vms.csv", encoding="utf-8") as fh:
        hosts = list(csv.DictReader(fh))
    assert hosts and all(list(h) == HOST_FIELDS and h["source"] and h["as_of"] for h in hosts), (
        "host_vms.csv: its columns, and a source and as_of on every row"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    _write(OUT / "accelerators.csv", ACC_FIELDS, accs)
    _write(OUT / "offerings.csv", OFF_FIELDS, offs)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "curated_from": "shared/data (accelerators.csv, offerings.csv, commitments.md)",
        "accelerators": len(accs),
        "offerings": len(offs),
        "offerings_as_of": sorted({o["as_of"] for o in offs}),
        "host_vms": len(hosts),
    }
    (OUT / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(accs)} accelerators and {len(offs)} offerings to {OUT}")


if __name__ == "__main__":
    main()
