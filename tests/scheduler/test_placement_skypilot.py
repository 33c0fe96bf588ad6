"""Issue 19's SkyPilot-style placement tasks, each against a price worked out by hand from the
shipped catalog's rows (cited beside each figure), not by the code under test:

* ``H100:2`` rents a 2-GPU instance, not an 8-GPU box priced per chip;
* ``H100:8`` x 4 nodes is four 8-GPU instances;
* GPUs the catalog prices without their host VM (GCP's attachable V100, T4 and L4) cost the GPUs
  plus the host VM SkyPilot picks (N1 with SkyPilot's default vCPUs and >= 4 GiB per vCPU; G2
  by GPU count), which can hand the answer to another cloud; a GPU-only row without a host
  price, or a per-GPU price of an unstated shape, is left out with its reason;
* equal prices are ordered by cloud, region and name, never by list position;
* the blocked-placement loop fails over to the next cheapest, by offering or by region.

Host VM rows: ``catalog/data/host_vms.csv``, transcribed from skypilot-catalog
``catalogs/v9/gcp/vms.csv@2c3d7ea`` (as_of 2026-07-09). GPU rows: ``catalog/data/offerings.csv``.
"""

from __future__ import annotations

import pytest

from computebroker.catalog import Catalog, HostVm, Offering, PriceCovers, shipped_catalog
from computebroker.scheduler.placement import (
    PlacementOption,
    PlacementRequest,
    place_with_retries,
    placement_options,
    plan_placements,
    unrentable_offerings,
)

GCP_V100_1 = "gcp/{}/n1-* + V100 (accelerator component only)/1"
GCP_L4 = "gcp/{}/g2-standard-* (L4 accelerator component only)/{}"

# (task, chips, nodes, spot, expected best offering id, its instance type, expected USD/h,
#  how the figure was worked out from the cited rows)
CASES = [
    (
        "h100", 2, 1, False, "lambda/asia-northeast-1/gpu_2x_h100_sxm5", "gpu_2x_h100_sxm5",
        8.38,
        "lambda gpu_2x_h100_sxm5 $8.38 (skypilot-catalog v9 lambda/vms.csv; every Lambda region "
        "at one price: the first region by name). The 8-GPU box is $31.92 (gpu_8x_h100_sxm5).",
    ),
    (
        "h100", 8, 4, False, "nebius/eu-north1/gpu-h100-sxm_8gpu-128vcpu-1600gb",
        "gpu-h100-sxm_8gpu-128vcpu-1600gb", 4 * 23.60,
        "nebius gpu-h100-sxm_8gpu-128vcpu-1600gb eu-north1 $23.60 x 4 nodes = $94.40",
    ),
    (
        "v100", 1, 1, False, GCP_V100_1.format("us-central1"), "n1-highmem-8", 2.48 + 0.47321,
        "GCP us-central1 V100 x1 accelerator row $2.48 + n1-highmem-8 $0.47321 (SkyPilot: 8 "
        "vCPUs and >= 32 GiB for V100:1; n1-standard-8 has 30 GiB) = $2.95321; us-east1 and "
        "us-west1 tie at the same prices and sort after us-central1",
    ),
    (
        "t4", 1, 1, False, "azure/eastus/Standard_NC4as_T4_v3", "Standard_NC4as_T4_v3", 0.526,
        "Azure NC4as_T4_v3 $0.526 beats GCP's T4 x1 once its host is added: $0.35 + "
        "n1-highmem-4 $0.23661 (4 vCPUs, >= 16 GiB) = $0.58661; the GPU alone ($0.35) used to win",
    ),
    (
        "t4", 4, 1, False, "azure/eastus/Standard_NC64as_T4_v3", "Standard_NC64as_T4_v3", 4.352,
        "Azure NC64as_T4_v3 $4.352 beats GCP T4 x4 $1.40 + n1-standard-64 $3.03998 (48 vCPUs, "
        ">= 192 GiB: the cheapest n1 that fits) = $4.43998",
    ),
    (
        "l4", 1, 1, False, GCP_L4.format("us-east4", 1), "g2-standard-4", 0.55821 + 0.14631,
        "GCP us-east4 L4 x1 $0.55821 + g2-standard-4 $0.14631 = $0.70452; us-central1 is "
        "$0.56004 + $0.14679 = $0.70683",
    ),
    (
        "l4", 8, 1, False, GCP_L4.format("us-east4", 8), "g2-standard-96", 4.46568 + 3.51147,
        "GCP us-east4 L4 x8 $4.46568 + g2-standard-96 $3.51147 = $7.97715",
    ),
    (
        "l4", 1, 1, True, "aws/eu-south-2/g6.8xlarge", "g6.8xlarge", 0.2123,
        "spot: AWS g6.8xlarge eu-south-2 $0.2123 beats GCP asia-northeast3 L4 spot $0.1951 + "
        "g2-standard-4 spot $0.05112 = $0.24622 (the GPU alone would have won)",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("task", "chips", "nodes", "spot", "best", "instance", "usd", "why"), CASES
)
def test_skypilot_style_task_gets_the_hand_computed_cheapest_shape(
    task: str, chips: int, nodes: int, spot: bool, best: str, instance: str, usd: float, why: str
) -> None:
    cat = shipped_catalog()
    request = PlacementRequest(accelerator=task, chips=chips, num_nodes=nodes, spot=spot)
    got = plan_placements(cat, request)
    part = got[0].parts[0]
    assert (part.name, part.instance_type) == (best, instance), why
    assert got[0].cost_hour == pytest.approx(usd, abs=1e-9), why
    assert (part.chips_per_node, got[0].num_nodes) == (chips, nodes)
    option = placement_options(cat, request)[0]
    assert option.cost_hour == pytest.approx(usd, abs=1e-9)


def test_a_v100_needs_its_n1_host_in_the_price_and_in_the_answer() -> None:
    got = placement_options(shipped_catalog(), PlacementRequest(accelerator="v100"))
    best = got[0]
    assert best.host is not None and best.host.instance_type == "n1-highmem-8"
    assert best.host_price_hour == pytest.approx(0.47321)  # host_vms.csv us-central1 n1-highmem-8
    assert best.row()["instance_type"] == "n1-highmem-8"  # what SkyPilot would launch
    # the tie at $2.95321 is broken by region name, never by where the rows sit in the file
    assert [(o.offering.region, round(o.cost_hour, 5)) for o in got[:3]] == [
        ("us-central1", 2.95321),
        ("us-east1", 2.95321),
        ("us-west1", 2.95321),
    ]
    # asia-east1: the same GPU price with its dearer host, $2.48 + $0.54793
    asia = next(o for o in got if o.offering.region == "asia-east1")
    assert asia.cost_hour == pytest.approx(3.02793)


def test_per_gpu_prices_of_an_unstated_shape_are_left_out_with_the_reason() -> None:
    """TensorWave $1.50 and Vultr $1.85 per MI300X-hour (a research note: no shape or region)
    would be the cheapest 'instances' per chip; they are listed as unrentable, and MI300X:8 goes
    to RunPod's 8x_MI300X_SECURE at $19.12 (SkyPilot v8 runpod catalog via a third party)."""
    cat = shipped_catalog()
    request = PlacementRequest(accelerator="mi300x", chips=8)
    got = plan_placements(cat, request)
    assert got[0].parts[0].instance_type == "8x_MI300X_SECURE"
    assert got[0].cost_hour == pytest.approx(19.12)
    out = {u.offering.id: u for u in unrentable_offerings(cat, request)}
    assert set(out) == {
        "tensorwave/(unspecified)/MI300X (per GPU)",
        "vultr/(unspecified)/MI300X (per GPU)",
    }
    assert all("shape the source does not state" in u.reason for u in out.values())
    assert all(u.offering.id not in {p.parts[0].name for p in got} for u in out.values())


def _gpu_only(region: str, price: float) -> Offering:
    return Offering(
        id=f"gcp/{region}/v100x1",
        cloud="gcp",
        region=region,
        instance_type="n1-* + V100 (accelerator component only)",
        accelerator="v100",
        chips=1,
        price_hour=price,
        price_covers=PriceCovers.ACCELERATOR,
    )


def _host(region: str, itype: str, vcpus: float, mem: float, price: float) -> HostVm:
    return HostVm(
        cloud="gcp", region=region, instance_type=itype, vcpus=vcpus, memory_gib=mem,
        price_hour=price,
    )  # fmt: skip


def test_a_gpu_only_row_without_a_host_price_never_ranks_as_if_rentable() -> None:
    """Hand-made: the cheapest V100 row ($1.00) is in a region with no host VM row, so it is
    left out (with the reason) rather than ranked at the GPU's price; the next region's row
    costs its GPU plus the cheapest host that fits (n1-highmem-8 at $0.50, not n1-standard-8
    at $0.40, whose 30 GiB is under SkyPilot's 4 GiB per vCPU): $2.00 + $0.50 = $2.50, which
    the $2.60 whole instance elsewhere does not beat."""
    cat = Catalog(
        accelerators=shipped_catalog().accelerators,
        offerings=(
            _gpu_only("nohost-1", 1.00),
            _gpu_only("us-x1", 2.00),
            Offering(
                id="azure/eastus/nc6", cloud="azure", region="eastus", instance_type="nc6",
                accelerator="v100", chips=1, price_hour=2.60,
            ),
        ),
        terms=(),
        hosts=(
            _host("us-x1", "n1-standard-8", 8, 30, 0.40),
            _host("us-x1", "n1-highmem-8", 8, 52, 0.50),
            _host("us-x1", "n1-highmem-16", 16, 104, 1.00),
        ),
    )  # fmt: skip
    request = PlacementRequest(accelerator="v100")
    got = placement_options(cat, request)
    assert [(o.offering.id, o.instance_type) for o in got] == [
        ("gcp/us-x1/v100x1", "n1-highmem-8"),
        ("azure/eastus/nc6", "nc6"),
    ]
    assert [o.cost_hour for o in got] == pytest.approx([2.50, 2.60])
    (left,) = unrentable_offerings(cat, request)
    assert left.offering.id == "gcp/nohost-1/v100x1"
    assert "no price for a host VM that fits 1 x v100 in gcp/nohost-1" in left.reason
    assert left.row()["price_covers"] == "accelerator"


def test_failover_blocks_the_failed_offering_or_its_region_and_takes_the_next_cheapest() -> None:
    """H100:8 x 4: Nebius eu-north1 ($94.40) fails to launch; blocking its region leaves the
    Lambda rows, all $31.92 x 4 = $127.68, tried region by region in name order
    (asia-northeast-1, then asia-northeast-2). V100:1: us-central1 fails, us-east1 at the same
    $2.95321 launches."""
    cat = shipped_catalog()
    tried: list[str] = []

    def launch(option: PlacementOption) -> bool:
        tried.append(option.offering.id)
        return len(tried) == 3

    request = PlacementRequest(accelerator="h100", chips=8, num_nodes=4)
    got, failed = place_with_retries(cat, request, launch, block_region=True)
    assert tried == [
        "nebius/eu-north1/gpu-h100-sxm_8gpu-128vcpu-1600gb",
        "lambda/asia-northeast-1/gpu_8x_h100_sxm5",
        "lambda/asia-northeast-2/gpu_8x_h100_sxm5",
    ]
    assert got is not None and got.cost_hour == pytest.approx(4 * 31.92)
    assert [f.cost_hour for f in failed] == pytest.approx([94.40, 127.68])

    v100, failed = place_with_retries(
        cat, PlacementRequest(accelerator="v100"), lambda o: o.offering.region != "us-central1"
    )
    assert [f.offering.id for f in failed] == [GCP_V100_1.format("us-central1")]
    assert v100 is not None and v100.offering.id == GCP_V100_1.format("us-east1")
    assert v100.cost_hour == pytest.approx(2.48 + 0.47321)


def test_a_users_gpu_only_offering_without_a_host_is_left_out() -> None:
    """A user file may mark its own row ``price_covers: accelerator``: with no host VM row for
    its region it is not ranked at $0.10/h but listed with the reason, and V100:1 stays GCP's
    $2.95321 (V100 $2.48 + n1-highmem-8 $0.47321, us-central1)."""
    from computebroker.catalog.catalog import load_catalog_texts

    text = """
offerings:
  - id: ours/lab/v100
    cloud: gcp
    region: lab-1
    instance_type: v100 card
    accelerator: v100
    chips: 1
    price_hour: 0.10
    price_covers: accelerator
"""
    cat = load_catalog_texts([("ours.yaml", text)])
    request = PlacementRequest(accelerator="v100")
    assert placement_options(cat, request)[0].cost_hour == pytest.approx(2.48 + 0.47321)
    assert [u.offering.id for u in unrentable_offerings(cat, request)] == ["ours/lab/v100"]
