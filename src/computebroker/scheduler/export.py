"""Hand-off to the schedulers labs run: a plan's committed fleet as Kueue manifests, and a
placement as a SkyPilot task.

* :func:`kueue_manifests`: one ``ResourceFlavor`` per commitment offer active in a period (node
  labels name the offer, chip and provider), one ``ClusterQueue`` whose quota per flavor is the
  plan's committed chips then (``nominalQuota``), and a ``LocalQueue`` that namespaces submit
  to. Kueue ``kueue.x-k8s.io/v1beta1``; the tests validate them against Kueue's CRD schemas.
* :func:`skypilot_task`: a placement on one infra as a SkyPilot task (``num_nodes``,
  ``resources`` with ``infra``, ``accelerators``, ``instance_type``, ``use_spot``); a placement
  on committed capacity targets the team's Kubernetes cluster (``infra: k8s``) and carries the
  Kueue queue label, so Kueue admits it against the committed quota. The tests validate it
  against SkyPilot 0.14.1's task and resources schemas.

Plain data in and out (dicts ready for ``yaml.safe_dump``); writing files is the caller's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from computebroker.catalog import Catalog
from computebroker.errors import InputError
from computebroker.scheduler.placement import Placement, committed_pools

if TYPE_CHECKING:
    from computebroker.planner.document import PlanDocument

__all__ = [
    "KUEUE_API",
    "KUEUE_QUEUE_LABEL",
    "kubernetes_resource",
    "kueue_manifests",
    "skypilot_task",
]

KUEUE_API: Final = "kueue.x-k8s.io/v1beta1"
# the label a pod or job carries to be queued in a LocalQueue (Kueue's documented label,
# https://kueue.sigs.k8s.io/docs/tasks/run/plain_pods/)
KUEUE_QUEUE_LABEL: Final = "kueue.x-k8s.io/queue-name"
LABEL_PREFIX: Final = "computebroker.io"

# The extended resource each vendor's Kubernetes device plugin advertises: NVIDIA's
# k8s-device-plugin (nvidia.com/gpu), AMD's ROCm k8s-device-plugin (amd.com/gpu), GKE's TPU
# nodes (google.com/tpu), the AWS Neuron device plugin (aws.amazon.com/neuron: Trainium and
# Inferentia devices), Intel Gaudi's habana device plugin (habana.ai/gaudi).
DEVICE_RESOURCE: Final[Mapping[str, str]] = {
    "NVIDIA": "nvidia.com/gpu",
    "AMD": "amd.com/gpu",
    "Google": "google.com/tpu",
    "AWS": "aws.amazon.com/neuron",
    "Intel": "habana.ai/gaudi",
}

# Kueue: a ClusterQueue resource group holds at most 16 flavors (its CRD's maxItems)
KUEUE_MAX_FLAVORS: Final = 16

# The clouds SkyPilot 0.14.1 launches on (sky/skylet/constants.py ALL_CLOUDS, less its
# kubernetes, ssh and slurm back-ends); it reaches others (CoreWeave, ...) through Kubernetes.
SKYPILOT_CLOUDS: Final = frozenset(
    [
        "aws",
        "azure",
        "gcp",
        "ibm",
        "lambda",
        "scp",
        "oci",
        "runpod",
        "vast",
        "vsphere",
        "cudo",
        "fluidstack",
        "paperspace",
        "primeintellect",
        "do",
        "nebius",
        "hyperbolic",
        "seeweb",
        "shadeform",
        "yotta",
        "mithril",
        "verda",
    ]
)

_DNS_BAD = re.compile(r"[^a-z0-9.-]+")
_LABEL_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


def _dns_name(text: str) -> str:
    """A DNS-1123 subdomain (what Kubernetes object names must be): lower case, [a-z0-9.-],
    starting and ending alphanumeric, at most 253 characters."""
    name = _DNS_BAD.sub("-", text.lower()).strip("-.")[:253].strip("-.")
    return name or "x"


def _label_value(text: str) -> str:
    """A Kubernetes label value: [A-Za-z0-9_.-], alphanumeric at both ends, at most 63."""
    return _LABEL_BAD.sub("-", text).strip("-_.")[:63].strip("-_.")


def kubernetes_resource(catalog: Catalog, accelerator: str) -> str:
    """The extended resource name of a chip's device plugin (``nvidia.com/gpu`` for an H100)."""
    acc = catalog.accelerator(accelerator)
    try:
        return DEVICE_RESOURCE[acc.vendor]
    except KeyError:
        raise InputError.single(
            "kueue",
            f"no Kubernetes device resource is known for {acc.id} (vendor {acc.vendor})",
            field="accelerator",
        ) from None


def kueue_manifests(
    doc: PlanDocument,
    source: str,
    catalog: Catalog,
    *,
    period: str | None = None,
    queue: str = "computebroker",
    namespace: str = "default",
) -> list[dict[str, Any]]:
    """ResourceFlavors, a ClusterQueue and a LocalQueue for the plan's commitments active in
    ``period`` (None: the plan's first), the quota of each flavor its committed chips then."""
    pools = [p for p in committed_pools(doc, source, period=period) if p.free_chips > 0]
    label = period or doc.planned(source).horizon.periods[0]
    if not pools:
        raise InputError.single(
            source, f"no commitment of the plan is active in {label}", field="period"
        )
    groups: dict[str, list[dict[str, Any]]] = {}
    flavors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for p in pools:
        name = _dns_name(p.name)
        if name in seen:
            raise InputError.single(
                source,
                f"two commitment offers make the same Kubernetes name {name!r}; rename one",
                field="offers",
            )
        seen.add(name)
        acc = catalog.accelerator(p.accelerator).id
        labels = {
            f"{LABEL_PREFIX}/offer": _label_value(p.name),
            f"{LABEL_PREFIX}/accelerator": _label_value(acc),
            f"{LABEL_PREFIX}/provider": _label_value(p.cloud),
        }
        if p.region not in ("", "any"):
            labels["topology.kubernetes.io/region"] = _label_value(p.region)
        flavors.append(
            {
                "apiVersion": KUEUE_API,
                "kind": "ResourceFlavor",
                "metadata": {"name": name},
                "spec": {"nodeLabels": labels},
            }
        )
        resource = kubernetes_resource(catalog, acc)
        groups.setdefault(resource, []).append(
            {"name": name, "resources": [{"name": resource, "nominalQuota": p.free_chips}]}
        )
    for resource, members in groups.items():
        if len(members) > KUEUE_MAX_FLAVORS:
            raise InputError.single(
                source,
                f"{len(members)} commitment offers of {resource} in {label}; a Kueue resource "
                f"group holds at most {KUEUE_MAX_FLAVORS} flavors",
                field="commitments",
            )
    qname = _dns_name(queue)
    cluster_queue = {
        "apiVersion": KUEUE_API,
        "kind": "ClusterQueue",
        "metadata": {"name": qname},
        "spec": {
            "namespaceSelector": {},  # every namespace may submit (through its LocalQueue)
            "queueingStrategy": "BestEffortFIFO",
            "resourceGroups": [
                {"coveredResources": [r], "flavors": members} for r, members in groups.items()
            ],
        },
    }
    local_queue = {
        "apiVersion": KUEUE_API,
        "kind": "LocalQueue",
        "metadata": {"name": qname, "namespace": _dns_name(namespace)},
        "spec": {"clusterQueue": qname},
    }
    return [*flavors, cluster_queue, local_queue]


def skypilot_task(
    placement: Placement,
    catalog: Catalog,
    *,
    name: str,
    spot: bool = False,
    queue: str = "computebroker",
) -> dict[str, Any]:
    """The SkyPilot task YAML (as a dict) that launches ``placement``. A placement split
    between committed and rented nodes is two launches and is refused (place without split)."""
    sources = {p.source for p in placement.parts}
    if len(sources) > 1 or len(placement.parts) > 1:
        raise InputError.single(
            "skypilot",
            f"the placement splits the gang ({placement.describe()}); a SkyPilot task runs one "
            "gang on one infra: place without splitting (--no-split)",
            field="split",
        )
    part = placement.parts[0]
    acc = catalog.accelerator(part.accelerator)
    resources: dict[str, Any]
    if part.source == "committed":
        resources = {
            "infra": "k8s",
            "accelerators": {_sky_accelerator(acc.id, acc.vendor): part.chips_per_node},
            "labels": {KUEUE_QUEUE_LABEL: _dns_name(queue)},
        }
    else:
        if part.cloud not in SKYPILOT_CLOUDS:
            raise InputError.single(
                "skypilot",
                f"SkyPilot 0.14 has no cloud {part.cloud!r} (it reaches such providers through "
                "Kubernetes); choose clouds it launches on with --cloud",
                field="cloud",
            )
        resources = {
            "infra": f"{part.cloud}/{part.region}",
            "instance_type": part.instance_type,
            "use_spot": spot,
        }
        if acc.vendor in ("NVIDIA", "AMD"):
            resources["accelerators"] = {_sky_accelerator(acc.id, acc.vendor): part.chips_per_node}
        elif acc.vendor == "Google" and part.instance_type:
            # SkyPilot names a TPU VM slice as one accelerator (tpu-v6e-8: 1), with no VM type
            del resources["instance_type"]
            resources["accelerators"] = {part.instance_type: 1}
    return {"name": _dns_name(name), "num_nodes": part.num_nodes, "resources": resources}


# SkyPilot's GPU names that are not our id upper-cased (SkyPilot calls the 40 GB A100 "A100")
_SKY_GPU_NAMES: Final[Mapping[str, str]] = {"a100-40gb": "A100"}


def _sky_accelerator(acc_id: str, vendor: str) -> str:
    """SkyPilot's name of a GPU: its model upper-cased (H100, A100-80GB, L40S, MI300X)."""
    if vendor not in ("NVIDIA", "AMD"):
        return acc_id
    return _SKY_GPU_NAMES.get(acc_id, acc_id.upper())
