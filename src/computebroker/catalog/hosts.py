"""The host VM an accelerator priced on its own is attached to, and what it costs.

GCP sells T4, V100, P100 and P4 GPUs (and L4 on G2) as parts attached to a VM that is billed
apart: the catalog's rows for them (``price_covers = accelerator``) price the GPUs only, and the
whole instance costs the GPUs plus a host VM. Which host: SkyPilot's rule, as its GCP catalog
picks one (``sky/catalog/gcp_catalog.py`` in skypilot-org/skypilot @005261080a, functions
``get_instance_type_for_accelerator`` and ``list_accelerators._get_host_instance_type``; read,
not copied):

* L4 must run on a G2 VM whose shape is fixed by the GPU count (1 GPU: g2-standard-4, -8, -12,
  -16 or -32; 2: g2-standard-24; 4: g2-standard-48; 8: g2-standard-96); the cheapest of those.
* The other attachable GPUs run on an N1 VM (``n1-standard``, ``-highmem``, ``-highcpu``) with
  at least a default number of vCPUs for the GPU count (SkyPilot's ``_NUM_ACC_TO_NUM_CPU``,
  set after AWS's p3 and g4dn ratios) and at least 4 GiB of memory per vCPU
  (``_DEFAULT_GPU_MEMORY_CPU_RATIO``); the cheapest such VM in the region.

The host prices are ``host_vms.csv`` rows (skypilot-catalog's GCP ``vms.csv``, whose VM rows
price vCPUs and memory only). A region without a host row that fits has no whole-instance
price: such an offering is not rentable, and ``catalog.rental`` (the one price placement, the
planner and ``estimate`` read) says so rather than price the GPUs alone.

Pure: a catalog and an offering in, a host (or None) out.
"""

from __future__ import annotations

from dataclasses import dataclass

from computebroker.catalog.types import HostVm, Offering

__all__ = ["HOST_RULES", "HostRule", "default_host"]

# SkyPilot's default host memory: at least 4 GiB per vCPU (gcp_catalog.py,
# _DEFAULT_GPU_MEMORY_CPU_RATIO = 4).
MEMORY_GIB_PER_VCPU = 4.0


@dataclass(frozen=True, slots=True, kw_only=True)
class HostRule:
    """How the host VM of ``accelerator`` GPUs on ``cloud`` is chosen: from ``shapes`` by GPU
    count (a fixed list of VM types), or else from the ``family`` prefixes with at least
    ``vcpus[count]`` vCPUs and ``MEMORY_GIB_PER_VCPU`` GiB per vCPU; the cheapest that fits."""

    cloud: str
    accelerator: str
    family: tuple[str, ...] = ()
    vcpus: tuple[tuple[int, int], ...] = ()  # (GPU count, minimum host vCPUs)
    shapes: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (GPU count, allowed VM types)

    def fits(self, host: HostVm, chips: int) -> bool:
        """Whether ``host`` may carry ``chips`` of these GPUs."""
        if self.shapes:
            return any(n == chips and host.instance_type in types for n, types in self.shapes)
        return any(
            n == chips
            and host.instance_type.startswith(self.family)
            and host.vcpus >= need
            and host.memory_gib >= need * MEMORY_GIB_PER_VCPU
            for n, need in self.vcpus
        )


_N1 = ("n1-standard-", "n1-highmem-", "n1-highcpu-")
# gcp_catalog.py _NUM_ACC_TO_NUM_CPU: V100 after AWS p3, T4 after g4dn (4 GPUs: 48 vCPUs),
# P100 and the default (P4) 8 vCPUs per GPU.
_EIGHT_PER_GPU = ((1, 8), (2, 16), (4, 32), (8, 64))
_L4_SHAPES = (
    (1, ("g2-standard-4", "g2-standard-8", "g2-standard-12", "g2-standard-16", "g2-standard-32")),
    (2, ("g2-standard-24",)),
    (4, ("g2-standard-48",)),
    (8, ("g2-standard-96",)),
)
HOST_RULES: tuple[HostRule, ...] = (
    HostRule(cloud="gcp", accelerator="l4", shapes=_L4_SHAPES),
    HostRule(cloud="gcp", accelerator="t4", family=_N1, vcpus=((1, 4), (2, 8), (4, 48))),
    HostRule(cloud="gcp", accelerator="v100", family=_N1, vcpus=_EIGHT_PER_GPU),
    HostRule(cloud="gcp", accelerator="p100", family=_N1, vcpus=_EIGHT_PER_GPU),
    HostRule(cloud="gcp", accelerator="p4", family=_N1, vcpus=_EIGHT_PER_GPU),
)


def host_rule(cloud: str, accelerator: str) -> HostRule | None:
    """The rule for ``accelerator`` GPUs on ``cloud`` (None: no known host rule)."""
    for rule in HOST_RULES:
        if rule.cloud == cloud and rule.accelerator == accelerator:
            return rule
    return None


def default_host(
    hosts: tuple[HostVm, ...], offering: Offering, *, spot: bool = False
) -> HostVm | None:
    """The cheapest host VM in ``offering``'s region that its rule allows for its GPU count
    (spot: by spot price, among hosts with one); None when no rule or no priced row fits.

    Examples
    --------
    >>> from computebroker.catalog import shipped_catalog
    >>> cat = shipped_catalog()
    >>> v100 = next(o for o in cat.offerings if o.id == "gcp/us-central1/n1-* + V100 "
    ...             "(accelerator component only)/1")
    >>> default_host(cat.hosts, v100).instance_type  # 8 vCPUs and >= 32 GiB: not n1-standard-8
    'n1-highmem-8'
    """
    rule = host_rule(offering.cloud, offering.accelerator)
    if rule is None:
        return None
    fit = [
        h
        for h in hosts
        if h.cloud == offering.cloud
        and h.region == offering.region
        and (not spot or h.spot_price_hour is not None)
        and rule.fits(h, offering.chips)
    ]
    if not fit:
        return None
    return min(fit, key=lambda h: (_price(h, spot), h.instance_type))


def _price(host: HostVm, spot: bool) -> float:
    if spot and host.spot_price_hour is not None:
        return host.spot_price_hour
    return host.price_hour
