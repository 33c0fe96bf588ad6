"""``kueue_manifests``: a plan's committed fleet as Kueue ResourceFlavors, a ClusterQueue with a
quota per flavor from the commitments, and a LocalQueue, valid against Kueue's CRD schemas."""

from __future__ import annotations

import copy

import pytest

from computebroker.catalog import shipped_catalog
from computebroker.errors import InputError
from computebroker.planner.document import PlanDocument
from computebroker.scheduler.export import kueue_manifests
from tests.handoff.schemas import kueue_errors
from tests.sim.test_inputs import _offer, plan_json


def plan() -> PlanDocument:
    doc = plan_json(
        [
            _offer("AWS_H100 1y", "h100", "commit-1y", 2.5),
            _offer("trn2-3y", "trn2", "commit-3y", 1.2, region="any"),
            _offer("od", "h100", "on-demand", 6.0, max_chips=64),
        ],
        [
            {"offer": "AWS_H100 1y", "start_index": 0, "chips": 16.0, "term_periods": 2},
            {"offer": "AWS_H100 1y", "start_index": 1, "chips": 8.0, "term_periods": 2},
            {"offer": "trn2-3y", "start_index": 1, "chips": 64.0, "term_periods": 2},
        ],
    )
    return PlanDocument.from_json(doc, "plan.json")


def test_quota_per_flavor_is_the_committed_chips_of_the_period() -> None:
    got = kueue_manifests(plan(), "plan.json", shipped_catalog(), period="2026Q2", queue="Lab")
    kinds = [m["kind"] for m in got]
    assert kinds == ["ResourceFlavor", "ResourceFlavor", "ClusterQueue", "LocalQueue"]
    for m in got:
        assert kueue_errors(m) == [], (m, kueue_errors(m))
    flavors = {m["metadata"]["name"]: m["spec"]["nodeLabels"] for m in got[:2]}
    # an offer id made a DNS-1123 name; the node labels name offer, chip, provider, region
    assert flavors["aws-h100-1y"] == {
        "computebroker.io/offer": "AWS_H100-1y",
        "computebroker.io/accelerator": "h100",
        "computebroker.io/provider": "aws",
        "topology.kubernetes.io/region": "us-east-2",
    }
    cq = got[2]
    assert cq["metadata"]["name"] == "lab"
    quotas = {
        (g["coveredResources"][0], f["name"]): f["resources"][0]["nominalQuota"]
        for g in cq["spec"]["resourceGroups"]
        for f in g["flavors"]
    }
    # 2026Q2: both H100 commitments are active (16 + 8); the Trainium2 one (64) has started;
    # the on-demand offer is rented, not committed, so it has no flavor
    assert quotas == {
        ("nvidia.com/gpu", "aws-h100-1y"): 24,
        ("aws.amazon.com/neuron", "trn2-3y"): 64,
    }
    assert (
        got[3]["spec"] == {"clusterQueue": "lab"} and got[3]["metadata"]["namespace"] == "default"
    )
    # the first period: only the first H100 commitment
    first = kueue_manifests(plan(), "plan.json", shipped_catalog())
    assert [m["metadata"]["name"] for m in first] == [
        "aws-h100-1y",
        "computebroker",
        "computebroker",
    ]
    assert first[1]["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0]["nominalQuota"] == 16


def test_a_period_with_no_commitment_is_an_error_naming_it() -> None:
    doc = plan_json(
        [_offer("c", "h100", "commit-1y", 2.5)],
        [{"offer": "c", "start_index": 0, "chips": 16.0, "term_periods": 2}],
    )
    with pytest.raises(InputError) as ei:  # the commitment ran 2026Q1-Q2
        kueue_manifests(
            PlanDocument.from_json(doc, "plan.json"),
            "plan.json",
            shipped_catalog(),
            period="2026Q3",
        )
    issue = ei.value.issues[0]
    assert issue.field == "period" and "2026Q3" in issue.message and issue.source == "plan.json"


def test_the_schema_catches_a_broken_manifest() -> None:
    """Break each manifest once: the validation must fail (it is not vacuous)."""
    good = kueue_manifests(plan(), "plan.json", shipped_catalog(), period="2026Q2")
    cq = copy.deepcopy(good[2])
    cq["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0]["nominalQuota"] = "sixteen"
    assert kueue_errors(cq)
    cq = copy.deepcopy(good[2])
    res = cq["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0]
    res["nominalquota"] = res.pop("nominalQuota")  # a typo: required field missing, unknown one
    assert len(kueue_errors(cq)) == 2
    cq = copy.deepcopy(good[2])
    cq["spec"]["resourceGroups"][0]["flavors"][0]["name"] = "AWS_H100"  # not DNS-1123
    assert kueue_errors(cq)
    cq = copy.deepcopy(good[2])
    cq["spec"]["resourceGroups"][0]["coveredResources"].append("cpu")  # CEL: sizes differ
    assert kueue_errors(cq)
    rf = copy.deepcopy(good[0])
    rf["spec"]["nodeLabels"] |= {f"k{i}": "v" for i in range(5)}  # 9 labels, at most 8
    assert kueue_errors(rf)
    lq = copy.deepcopy(good[3])
    lq["spec"]["stopPolicy"] = "Pause"
    assert kueue_errors(lq)
