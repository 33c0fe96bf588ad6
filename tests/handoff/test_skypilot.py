"""``skypilot_task``: a placement as a SkyPilot task, valid against SkyPilot 0.14.1's task and
resources schemas (the fixture; and the installed package's own when ``sky`` imports)."""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Callable
from typing import Any

import pytest

from computebroker.catalog import shipped_catalog
from computebroker.errors import InputError
from computebroker.scheduler.export import SKYPILOT_CLOUDS, skypilot_task
from computebroker.scheduler.placement import CommittedPool, PlacementRequest, plan_placements
from tests.handoff.schemas import SkyValidator, skypilot_errors, skypilot_schemas

CAT = shipped_catalog()


def best(accelerator: str, chips: int, nodes: int = 1, **kw: Any) -> Any:
    committed = kw.pop("committed", ())
    req = PlacementRequest(accelerator=accelerator, chips=chips, num_nodes=nodes, **kw)
    return plan_placements(CAT, req, committed=committed)[0]


def test_a_rented_placement_is_a_valid_task_naming_the_instance() -> None:
    p = best("h100", 2)
    task = skypilot_task(p, CAT, name="Fine tune")
    assert skypilot_errors(task) == []
    part = p.parts[0]
    assert task == {
        "name": "fine-tune",
        "num_nodes": 1,
        "resources": {
            "infra": f"{part.cloud}/{part.region}",
            "instance_type": part.instance_type,
            "use_spot": False,
            "accelerators": {"H100": 2},
        },
    }
    gang = skypilot_task(best("h100", 8, 4), CAT, name="pretrain")
    assert gang["num_nodes"] == 4 and skypilot_errors(gang) == []


def test_a_tpu_slice_is_one_accelerator_and_spot_is_kept() -> None:
    p = best("tpu-v6e", 8, spot=True)
    task = skypilot_task(p, CAT, name="tpu", spot=True)
    assert skypilot_errors(task) == []
    assert task["resources"]["accelerators"] == {p.parts[0].instance_type: 1}
    assert task["resources"]["use_spot"] is True and "instance_type" not in task["resources"]


def test_committed_capacity_runs_on_the_teams_cluster_through_kueue() -> None:
    pool = CommittedPool(name="ours", accelerator="h100", free_chips=16, cloud="coreweave")
    task = skypilot_task(best("h100", 8, 2, committed=[pool]), CAT, name="j", queue="lab")
    assert skypilot_errors(task) == []
    assert task["resources"] == {
        "infra": "k8s",
        "accelerators": {"H100": 8},
        "labels": {"kueue.x-k8s.io/queue-name": "lab"},
    }


def test_split_gangs_and_clouds_skypilot_cannot_launch_are_refused() -> None:
    pool = CommittedPool(name="ours", accelerator="h100", free_chips=8, cloud="aws")
    split = plan_placements(
        CAT, PlacementRequest(accelerator="h100", chips=8, num_nodes=3), committed=[pool]
    )
    mixed = next(p for p in split if len(p.parts) == 2)
    with pytest.raises(InputError) as ei:
        skypilot_task(mixed, CAT, name="j")
    assert ei.value.issues[0].field == "split"
    coreweave = best("h100", 8, clouds=frozenset({"coreweave"}))
    with pytest.raises(InputError, match="no cloud 'coreweave'"):
        skypilot_task(coreweave, CAT, name="j")


def test_our_skypilot_clouds_are_the_schemas() -> None:
    """SKYPILOT_CLOUDS agrees with the schema's infra pattern on every cloud of the catalog."""
    infra = skypilot_schemas()["resources"]["properties"]["infra"]
    v = SkyValidator(infra)
    for cloud in CAT.clouds:
        assert v.is_valid(f"{cloud}/r") == (cloud in SKYPILOT_CLOUDS), cloud


def test_the_schema_catches_a_broken_task() -> None:
    good = skypilot_task(best("h100", 2), CAT, name="j")
    breaks_: tuple[Callable[[dict[str, Any]], object], ...] = (
        lambda t: t.update(num_nodes="two"),
        lambda t: t.update(nodes=2),  # not a task field
        lambda t: t["resources"].update(accelerator="H100:2"),  # the field is accelerators
        lambda t: t["resources"].update(infra="coreweave/us-east"),
        lambda t: t["resources"].update(use_spot="no"),
        lambda t: t["resources"].update(accelerators=2),  # a name, {name: count} or a list
    )
    for breaks in breaks_:
        task = copy.deepcopy(good)
        breaks(task)
        assert skypilot_errors(task), task


@pytest.mark.skipif(
    importlib.util.find_spec("sky") is None,
    reason="the skypilot package is not installed (it pins click<8.2 and uvicorn<0.36, below "
    "this project's; the fixture holds its 0.14.1 schemas, see tests/handoff/fixtures/README.md)",
)
def test_the_installed_skypilot_accepts_the_task() -> None:  # pragma: no cover - optional
    from sky.utils import common_utils, schemas

    for p in (best("h100", 2), best("tpu-v6e", 8)):
        task = skypilot_task(p, CAT, name="j")
        common_utils.validate_schema(task, schemas.get_task_schema(), "task: ")
        common_utils.validate_schema(task["resources"], schemas.get_resources_schema(), "res: ")
