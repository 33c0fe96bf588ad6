"""Hand-made catalog rows for the rentable-price tests: a GCP GPU-only T4 pair, its host VM,
the same pair where no host VM is listed, and a whole-instance Azure T4."""

from __future__ import annotations

from dataclasses import replace

from computebroker.catalog import Catalog, HostVm, Offering, PriceCovers, shipped_catalog

# A GPU-only row: 2 x T4 in us-central1 at $0.70/h (spot $0.383), and its host VM row: SkyPilot
# puts 2 T4s on >= 8 vCPUs with >= 32 GiB, the cheapest such N1 being n1-highmem-8 at
# $0.47321/h (spot $0.15896) -- the shipped rows' figures (skypilot-catalog v9 gcp, see
# tests/catalog/test_hosts.py). n1-standard-8 is cheaper but has 30 GiB: it must not be picked.
T4X2 = Offering(
    id="gcp/us-central1/t4x2",
    cloud="gcp",
    region="us-central1",
    instance_type="n1-* + T4 (accelerator component only)",
    accelerator="t4",
    chips=2,
    price_hour=0.70,
    spot_price_hour=0.383,
    price_covers=PriceCovers.ACCELERATOR,
    source="test row",
)
HIGHMEM8 = HostVm(
    cloud="gcp",
    region="us-central1",
    instance_type="n1-highmem-8",
    vcpus=8,
    memory_gib=52,
    price_hour=0.47321,
    spot_price_hour=0.15896,
    source="test host",
)
STANDARD8 = HostVm(
    cloud="gcp",
    region="us-central1",
    instance_type="n1-standard-8",
    vcpus=8,
    memory_gib=30,
    price_hour=0.37995,
    spot_price_hour=0.12,
    source="test host",
)
# The same GPUs in a region without any host VM row: no whole-instance price.
T4X2_NO_HOST = replace(T4X2, id="gcp/lab-1/t4x2", region="lab-1")
# A whole-instance row of another cloud: Azure NC4as_T4_v3, 1 x T4 at $0.526/h.
AZURE_T4 = Offering(
    id="azure/eastus/Standard_NC4as_T4_v3",
    cloud="azure",
    region="eastus",
    instance_type="Standard_NC4as_T4_v3",
    accelerator="t4",
    chips=1,
    price_hour=0.526,
    spot_price_hour=0.0579,
    source="test row",
)

OD_T4 = (0.70 + 0.47321) / 2  # 0.586605 USD per T4-hour, all in
SPOT_T4 = (0.383 + 0.15896) / 2  # 0.27098


def gpu_catalog(*offerings: Offering, hosts: tuple[HostVm, ...] = (HIGHMEM8, STANDARD8)) -> Catalog:
    """The shipped accelerators and terms with only these offerings and host VMs, no deals."""
    return replace(shipped_catalog(), offerings=offerings, hosts=hosts, deals=())


# L4 (a chip the step-time model can cost): 1 x L4 GPUs-only at $0.56/h (spot $0.22) in
# us-central1 on SkyPilot's cheapest 1-GPU G2 host, g2-standard-4 at $0.14679/h (spot
# $0.07502, host_vms.csv us-central1); the same GPU where no host is listed.
L4X1 = Offering(
    id="gcp/us-central1/l4x1",
    cloud="gcp",
    region="us-central1",
    instance_type="g2-standard-* (L4 accelerator component only)",
    accelerator="l4",
    chips=1,
    price_hour=0.56,
    spot_price_hour=0.22,
    price_covers=PriceCovers.ACCELERATOR,
    source="test row",
)
G2_4 = HostVm(
    cloud="gcp",
    region="us-central1",
    instance_type="g2-standard-4",
    vcpus=4,
    memory_gib=16,
    price_hour=0.14679,
    spot_price_hour=0.07502,
    source="test host",
)
L4X1_NO_HOST = replace(L4X1, id="gcp/lab-1/l4x1", region="lab-1")
OD_L4 = 0.56 + 0.14679  # 0.70679 USD per L4-hour, all in
