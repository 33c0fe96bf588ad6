"""Host VMs of GPUs the catalog prices alone: the shipped rows agree with the catalog rows they
cite (copied here by hand), every GPU-only row is marked so, and SkyPilot's host rule picks the
VM a hand check of its rule gives."""

from __future__ import annotations

import pytest

from computebroker.catalog import HOST_RULES, PriceCovers, default_host, shipped_catalog

# (region, instance type, USD/h, spot USD/h) read from skypilot-catalog
# catalogs/v9/gcp/vms.csv@2c3d7ea (the rows of every zone of a region carry one price)
HOST_SAMPLE = [
    ("us-central1", "n1-highmem-8", 0.47321, 0.15896),
    ("us-central1", "n1-highmem-4", 0.23661, 0.07948),
    ("us-central1", "n1-standard-64", 3.03998, 1.0212),
    ("europe-west4", "n1-highmem-64", 4.16755, 2.20198),
    ("asia-east1", "n1-highmem-16", 1.09586, 0.22568),
    ("us-east4", "g2-standard-4", 0.14631, 0.0645),
    ("us-east4", "g2-standard-96", 3.51147, 1.5479),
    ("me-central2", "g2-standard-24", 1.4092, 0.66547),
]


@pytest.mark.parametrize(("region", "itype", "price", "spot"), HOST_SAMPLE)
def test_host_rows_match_the_catalog_rows_they_cite(
    region: str, itype: str, price: float, spot: float
) -> None:
    (h,) = [
        h
        for h in shipped_catalog().hosts
        if (h.cloud, h.region, h.instance_type) == ("gcp", region, itype)
    ]
    assert (h.price_hour, h.spot_price_hour) == (price, spot)
    assert h.source.startswith("skypilot-org/skypilot-catalog:catalogs/v9/gcp/vms.csv")
    assert h.as_of == "2026-07-09"


def test_every_gpu_only_row_is_marked_and_has_a_host_rule() -> None:
    cat = shipped_catalog()
    gpu_only = [o for o in cat.offerings if "accelerator component only" in o.instance_type]
    marked = [o for o in cat.offerings if o.price_covers is PriceCovers.ACCELERATOR]
    assert gpu_only == marked and len(marked) == 203  # 72 L4 + 131 T4/V100/P100/P4 rows
    ruled = {(r.cloud, r.accelerator) for r in HOST_RULES}
    assert {(o.cloud, o.accelerator) for o in marked} <= ruled
    per_chip = {o.id for o in cat.offerings if o.price_covers is PriceCovers.CHIP}
    assert per_chip == {
        "oci/all/GB200 (per GPU; NVL72 shape)",
        "oci/all/GB300 (per GPU; NVL72 shape)",
        "oci/all/MI355X (per GPU)",
        "tensorwave/(unspecified)/MI300X (per GPU)",
        "tensorwave/(unspecified)/MI325X (per GPU)",
        "vultr/(unspecified)/MI300X (per GPU)",
        "crusoe/(unspecified)/MI300X (per GPU)",
    }
    for h in cat.hosts:
        assert h.source and h.as_of and h.price_hour > 0, h


# SkyPilot's rule by hand (sky/catalog/gcp_catalog.py): vCPUs per GPU count, >= 4 GiB per vCPU,
# cheapest N1; the cheapest fitting N1 shape worked out from n1 shapes' vCPU/GiB (standard 3.75,
# highmem 6.5 GiB per vCPU) and prices rising with size.
@pytest.mark.parametrize(
    ("acc", "chips", "host"),
    [
        ("t4", 1, "n1-highmem-4"),  # 4 vCPUs, 16 GiB: n1-standard-4 has 15
        ("t4", 2, "n1-highmem-8"),  # 8, 32: n1-standard-8 has 30
        ("t4", 4, "n1-standard-64"),  # 48, 192: no 48-vCPU n1; n1-standard-64 has 240 GiB
        ("v100", 2, "n1-highmem-16"),  # 16, 64: n1-standard-16 has 60
        ("v100", 8, "n1-highmem-64"),  # 64, 256: n1-standard-64 has 240
        ("p100", 4, "n1-highmem-32"),  # 32, 128: n1-standard-32 has 120
        ("p4", 1, "n1-highmem-8"),  # SkyPilot's DEFAULT: 8 per GPU
        ("l4", 1, "g2-standard-4"),  # the cheapest of g2-standard-4/8/12/16/32
        ("l4", 2, "g2-standard-24"),
    ],
)
def test_default_host_follows_skypilots_rule(acc: str, chips: int, host: str) -> None:
    cat = shipped_catalog()
    rows = [
        o
        for o in cat.offerings
        if o.accelerator == acc and o.chips == chips and o.price_covers is PriceCovers.ACCELERATOR
    ]
    assert rows
    assert {h.instance_type for o in rows if (h := default_host(cat.hosts, o)) is not None} == {
        host
    }


def test_every_price_covers_member_is_mapped() -> None:
    assert all(m.meaning for m in PriceCovers)
