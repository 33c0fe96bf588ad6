"""Placement on rentable instance shapes: exact chips per instance, nodes, price order, rows
without an instance price, and the blocked-placement retry loop; hand-made catalogs."""

from __future__ import annotations

import pytest

from computebroker.catalog import Catalog, Offering, shipped_catalog
from computebroker.errors import InputError
from computebroker.scheduler.placement import (
    PlacementOption,
    PlacementRequest,
    place_with_retries,
    placement_options,
)


def offering(oid: str, chips: int, price: float | None, **kw: object) -> Offering:
    fields: dict[str, object] = {"cloud": "aws", "region": "us-east-1", "accelerator": "h100"}
    fields.update(kw)
    return Offering(
        id=oid,
        instance_type=oid,
        chips=chips,
        price_hour=price,
        **fields,  # type: ignore[arg-type]
    )


def catalog(*offerings: Offering) -> Catalog:
    return Catalog(accelerators=shipped_catalog().accelerators, offerings=offerings, terms=())


CAT = catalog(
    offering("box8", 8, 31.92),  # $3.99 per chip: the cheapest per chip
    offering("box2", 2, 8.38),  # $4.19 per chip, but a 2-GPU job pays less
    offering("box2-gpu-only", 2, None),  # no host VM price: not rentable
    offering("box2-b", 2, 8.38, cloud="gcp", region="us-central1"),  # a tie on price
    offering("box1", 1, 4.5),
)


def test_two_gpus_rent_a_two_gpu_instance_not_an_eight_gpu_box() -> None:
    got = placement_options(CAT, PlacementRequest(accelerator="H100", chips=2))
    assert [p.offering.id for p in got] == ["box2", "box2-b"]  # tie: cloud order, aws first
    assert got[0].cost_hour == pytest.approx(8.38)


def test_num_nodes_multiply_the_cost_and_a_shape_that_does_not_exist_is_explained() -> None:
    got = placement_options(CAT, PlacementRequest(accelerator="h100", chips=8, num_nodes=4))
    assert [p.offering.id for p in got] == ["box8"]
    assert got[0].cost_hour == pytest.approx(4 * 31.92)
    with pytest.raises(InputError, match="comes with 1, 2, 8 chips per instance"):
        placement_options(CAT, PlacementRequest(accelerator="h100", chips=32))


def test_price_breaks_ties_before_list_position() -> None:
    cat = catalog(offering("dear", 1, 5.0), offering("cheap", 1, 4.0), offering("mid", 1, 4.5))
    got = placement_options(cat, PlacementRequest(accelerator="h100"))
    assert [p.offering.id for p in got] == ["cheap", "mid", "dear"]


def test_blocked_placements_fail_over_to_the_next_cheapest() -> None:
    tried: list[str] = []

    def launch(option: PlacementOption) -> bool:
        tried.append(option.offering.id)
        return option.offering.id == "box2-b"

    got, failed = place_with_retries(CAT, PlacementRequest(accelerator="h100", chips=2), launch)
    assert got is not None and got.offering.id == "box2-b"
    assert tried == ["box2", "box2-b"] and [f.offering.id for f in failed] == ["box2"]
    none, failed = place_with_retries(
        CAT, PlacementRequest(accelerator="h100", chips=2), lambda o: False, block_region=True
    )
    assert none is None and len(failed) == 2


def test_shipped_catalog_h100_2_is_a_two_gpu_instance() -> None:
    cat = shipped_catalog()
    two = placement_options(cat, PlacementRequest(accelerator="h100", chips=2))
    eight = placement_options(cat, PlacementRequest(accelerator="h100", chips=8))
    assert two and eight
    assert all(p.offering.chips == 2 for p in two)
    assert two[0].cost_hour < eight[0].cost_hour
    assert [p.cost_hour for p in two] == sorted(p.cost_hour for p in two)
