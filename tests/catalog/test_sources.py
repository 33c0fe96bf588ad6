"""Golden: curated numbers agree with the sources they cite.

The sample below was copied by hand from the cited pages / catalog rows, independently of the
curation script; the second test re-reads ../shared/data when that folder is beside the
checkout (developer machines) and checks every row.
"""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from computebroker.catalog import load_catalog
from tests.conftest import SHARED_DATA

# (accelerator id, field, value, source)
SPEC_SAMPLE = [
    ("tpu-v5p", "bf16_tflops", 459, "cloud.google.com/tpu/docs/v5p: 459 TFLOPS bf16 per chip"),
    ("tpu-v5p", "hbm_gib", 95, "cloud.google.com/tpu/docs/v5p: 95 GB HBM2e"),
    ("tpu-v5p", "hbm_tbps", 2.765, "cloud.google.com/tpu/docs/v5p: 2765 GBps"),
    ("tpu-v5p", "scale_up_gbps", 4800, "cloud.google.com/tpu/docs/v5p: ICI 4800 Gbps"),
    ("tpu-v4", "bf16_tflops", 275, "cloud.google.com/tpu/docs/v4: 275 teraflops"),
    ("tpu-v4", "scale_up_chips", 4096, "cloud.google.com/tpu/docs/v4: pod 4096 chips"),
    ("tpu-v3", "bf16_tflops", 123, "cloud.google.com/tpu/docs/v3: 123 teraflops (bf16)"),
    ("tpu-v3", "hbm_tbps", 0.9, "cloud.google.com/tpu/docs/v3: 900 GBps"),
    ("h100", "bf16_tflops", 989.4, "NVIDIA Hopper whitepaper via glennklockwood: 989.4 dense"),
    ("h100", "hbm_tbps", 3.35, "NVIDIA H100 SXM: 3.35 TB/s"),
    ("h200", "hbm_gib", 141, "NVIDIA H200: 141 GB HBM3e"),
    ("trn2", "bf16_tflops", 667, "AWS Neuron docs trainium2: 667 TFLOPS BF16 dense"),
    ("trn2", "hbm_gib", 96, "AWS Neuron docs trainium2: 96 GiB"),
    ("trn1", "cores_per_chip", 2, "AWS Neuron docs trainium: 2 NeuronCore-v2 per chip"),
    ("trn2", "cores_per_chip", 8, "AWS Neuron docs trainium2: 8 NeuronCore-v3 per chip"),
    ("mi300x", "hbm_gib", 192, "AMD MI300X: 192 GB HBM3"),
    ("tpu-v7", "bf16_tflops", 2307, "docs.cloud.google.com/tpu/docs/tpu7x: 2307 TFLOPS bf16"),
    ("b300", "hbm_gib", 288, "glennklockwood.com/garden/processors/B300: 288 GB HBM3e"),
]

# (offering id, price_hour, spot_price_hour) from the cited catalog rows
OFFERING_SAMPLE = [
    (
        "aws/us-east-1/p5.48xlarge",
        55.04,
        None,
        "skypilot-catalog v9 aws/vms.csv: p5.48xlarge us-east-1 $55.04",
    ),
    ("oci/all/BM.GPU.H100.8", 80.0, None, "Oracle price list: H100 $10/GPU-h x 8"),
    (
        "coreweave/north-america/HGX H100 (8x)",
        49.24,
        19.71,
        "coreweave.com/pricing: $49.24, spot $19.71",
    ),
    ("azure/eastus/Standard_ND96isr_H100_v5", 98.32, None, "Azure ND96isr H100 v5 eastus $98.32"),
    ("aws/us-east-1/trn1.32xlarge", 21.50, None, "skypilot-catalog v9: trn1.32xlarge $21.50"),
]


@pytest.mark.parametrize(("acc", "field", "value", "source"), SPEC_SAMPLE)
def test_spec_matches_source(acc: str, field: str, value: float, source: str) -> None:
    got = getattr(load_catalog().accelerator(acc), field)
    assert got == pytest.approx(value), source


@pytest.mark.parametrize(("oid", "price", "spot", "source"), OFFERING_SAMPLE)
def test_offering_matches_source(oid: str, price: float, spot: float | None, source: str) -> None:
    by_id = {o.id: o for o in load_catalog().offerings}
    assert oid in by_id, source
    o = by_id[oid]
    assert o.price_hour == pytest.approx(price), source
    if spot is not None:
        assert o.spot_price_hour == pytest.approx(spot), source


def test_every_row_has_source_and_as_of() -> None:
    cat = load_catalog()
    for a in cat.accelerators:
        assert a.source and a.as_of, a.id
    for o in cat.offerings:
        assert o.source and o.as_of, o.id
    for t in cat.terms:
        assert t.source and t.as_of and 0 <= t.discount < 1, t


def test_required_accelerators_present() -> None:
    cat = load_catalog()
    required = [
        "a100-40gb",
        "a100-80gb",
        "h100",
        "h200",
        "b200",
        "gb200",
        "l4",
        "l40s",
        "mi300x",
        "mi325x",
        "tpu-v4",
        "tpu-v5e",
        "tpu-v5p",
        "tpu-v6e",
        "tpu-v7",
        "trn1",
        "trn2",
        "inf2",
    ]
    assert set(required) <= set(cat.accelerators.ids)
    with_specs = [a for a in cat.accelerators if a.bf16_tflops is not None]
    assert len(with_specs) >= 20


def _reference_rows() -> tuple[str, list[dict[str, str]]]:
    """The reference the loaded catalog is checked against: ../shared/data/offerings.csv when it
    is beside the checkout (developer machines), else the curated snapshot shipped in the
    package (read here with the csv module, independently of the catalog's own reader), so the
    test runs — and fails when loading breaks — on every clean checkout."""
    shared = SHARED_DATA / "offerings.csv"
    if shared.exists():
        with open(shared, encoding="utf-8") as fh:
            rows = [
                {
                    "cloud": r["cloud"],
                    "region": r["region"],
                    "instance_type": r["instance_type"],
                    "chips": r["accelerator_count"],
                    "price_hour": r["price_on_demand_usd_per_hour"],
                    "notes": "",
                }
                for r in csv.DictReader(fh)
            ]
        return "shared", rows
    shipped = resources.files("computebroker.catalog").joinpath("data", "offerings.csv")
    with shipped.open(encoding="utf-8") as fh:
        return "shipped", list(csv.DictReader(fh))


def test_all_offerings_match_reference() -> None:
    cat = load_catalog()
    ours = {(o.cloud, o.region, o.instance_type, o.chips): o for o in cat.offerings}
    kind, rows = _reference_rows()
    n = 0
    for r in rows:
        key = (r["cloud"], r["region"], r["instance_type"], int(r["chips"]))
        o = ours[key]
        if "supersedes" in o.notes:
            continue  # a duplicate row: the newer price is kept, the older is in notes
        assert o.price_hour == (float(r["price_hour"]) if r["price_hour"] else None), key
        n += 1
    assert n > 1900, (kind, n)
    if kind == "shipped":
        assert len(ours) == len(rows)  # every shipped row loaded, none merged away
