"""Placement beyond SkyPilot: committed capacity first (its marginal cost is 0 while it has free
chips), gangs split between a committed pool and rentals, and ranking by USD per unit of the
job's work. Every expected figure is worked out by hand in the test from the catalog below."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computebroker.catalog import Catalog, Offering, PriceCovers, shipped_catalog
from computebroker.errors import InputError
from computebroker.planner.document import PlanDocument
from computebroker.scheduler import ThroughputTable
from computebroker.scheduler.placement import (
    CommittedPool,
    PlacementRequest,
    WorkloadRates,
    committed_pools,
    placement_options,
    plan_placements,
    rates_from_plan,
)
from tests.sim.test_inputs import _offer, plan_json


def offering(oid: str, chips: int, price: float | None, **kw: object) -> Offering:
    fields: dict[str, object] = {"cloud": "aws", "region": "us-east-1", "accelerator": "h100"}
    fields.update(kw)
    return Offering(id=oid, instance_type=oid, chips=chips, price_hour=price, **fields)  # type: ignore[arg-type]


CAT = Catalog(
    accelerators=shipped_catalog().accelerators,
    offerings=(
        offering("aws8", 8, 31.92),  # $3.99 per H100-hour
        offering("gcp8", 8, 30.00, cloud="gcp", region="us-central1"),  # $3.75
        offering("h200x8", 8, 50.40, accelerator="h200"),  # $6.30 per H200-hour
    ),
    terms=(),
)
POOL = CommittedPool(name="c", accelerator="h100", free_chips=16, cloud="aws", region="us-east-1")


def test_committed_capacity_is_used_before_renting() -> None:
    got = plan_placements(CAT, PlacementRequest(accelerator="h100", chips=8), committed=[POOL])
    best = got[0]
    assert best.cost_hour == 0.0 and best.nodes("committed") == 1 and best.nodes("rented") == 0
    assert best.parts[0].name == "c" and best.parts[0].free_chips_after == 8
    # then the rentals, cheapest first: gcp $30.00, aws $31.92
    assert [p.parts[0].name for p in got[1:]] == ["gcp8", "aws8"]


def test_a_gang_larger_than_the_pool_rents_the_rest_in_the_pools_cloud() -> None:
    req = PlacementRequest(accelerator="h100", chips=8, num_nodes=4)
    best = plan_placements(CAT, req, committed=[POOL])[0]
    # 16 free chips = 2 nodes of 8 committed; 2 nodes rented on aws (the pool's cloud) at
    # $31.92 = $63.84/h, although gcp is cheaper per node ($60.00): one gang, one network
    assert [(p.source, p.name, p.num_nodes) for p in best.parts] == [
        ("committed", "c", 2),
        ("rented", "aws8", 2),
    ]
    assert best.cost_hour == pytest.approx(63.84)
    anywhere = CommittedPool(name="c", accelerator="h100", free_chips=16)  # cloud "any"
    best = plan_placements(CAT, req, committed=[anywhere])[0]
    assert best.parts[1].name == "gcp8" and best.cost_hour == pytest.approx(60.0)
    # without splitting, the pool cannot hold the gang: all rented, gcp 4 x $30.00
    whole = plan_placements(
        CAT,
        PlacementRequest(accelerator="h100", chips=8, num_nodes=4, split=False),
        committed=[POOL],
    )
    assert whole[0].nodes("committed") == 0 and whole[0].cost_hour == pytest.approx(120.0)


def test_the_tightest_committed_pool_is_filled_first() -> None:
    big = CommittedPool(name="big", accelerator="h100", free_chips=64)
    small = CommittedPool(name="small", accelerator="h100", free_chips=8)
    got = plan_placements(
        CAT, PlacementRequest(accelerator="h100", chips=8), committed=[big, small]
    )
    assert [p.parts[0].name for p in got[:2]] == ["small", "big"]  # leaves 0 free, not 56


def test_price_performance_ranks_by_usd_per_unit_of_work() -> None:
    req = PlacementRequest(accelerator="h100", chips=8, alternatives=(("h200", 8),))
    # per hour: H100 $30.00 (gcp) < H200 $50.40
    assert plan_placements(CAT, req)[0].accelerator == "h100"
    table = ThroughputTable.from_per_chip_hour(
        {("llm", "h100"): 1000.0, ("llm", "h200"): 1800.0}, unit="tokens"
    )
    got = plan_placements(CAT, req, rates=WorkloadRates(workload="llm", table=table))
    # USD per token: H200 50.40 / (8 x 1800) = 0.0035 < H100 gcp 30.00 / (8 x 1000) = 0.00375
    assert got[0].accelerator == "h200"
    assert got[0].cost_per_work == pytest.approx(50.40 / 14400)
    assert got[1].cost_per_work == pytest.approx(30.00 / 8000)
    assert got[0].work_per_hour == pytest.approx(14400) and got[0].unit == "tokens"
    # a workload that runs on no chip asked for is an error naming the field
    only_h100 = ThroughputTable.from_per_chip_hour({("llm", "h100"): 1.0})
    with pytest.raises(InputError) as ei:
        plan_placements(
            CAT,
            PlacementRequest(accelerator="h200", chips=8),
            rates=WorkloadRates(workload="llm", table=only_h100),
        )
    assert ei.value.issues[0].field == "workload"


def test_committed_capacity_at_zero_marginal_cost_wins_on_price_performance_too() -> None:
    table = ThroughputTable.from_per_chip_hour({("llm", "h100"): 1000.0, ("llm", "h200"): 1800.0})
    req = PlacementRequest(accelerator="h200", chips=8, alternatives=(("h100", 8),))
    got = plan_placements(
        CAT, req, committed=[POOL], rates=WorkloadRates(workload="llm", table=table)
    )
    assert got[0].parts[0].name == "c" and got[0].cost_per_work == 0.0


def test_shapes_only_a_committed_pool_has_are_placed_there() -> None:
    # no catalog instance has 16 H100s, but a committed pool of 16 can take a 16-chip node
    got = plan_placements(CAT, PlacementRequest(accelerator="h100", chips=16), committed=[POOL])
    assert len(got) == 1 and got[0].parts[0].source == "committed"
    with pytest.raises(InputError, match="comes with 8 chips per instance"):
        plan_placements(CAT, PlacementRequest(accelerator="h100", chips=16))


def _plan() -> PlanDocument:
    doc = plan_json(
        [
            _offer("c", "h100", "commit-1y", 2.5),
            _offer("od", "h100", "on-demand", 6.0, max_chips=32),
        ],
        [
            {"offer": "c", "start_index": 0, "chips": 16.0, "term_periods": 2},
            {"offer": "c", "start_index": 1, "chips": 8.0, "term_periods": 1},
        ],
    )
    return PlanDocument.from_json(doc, "plan.json")


def test_committed_pools_of_a_plan_count_active_commitments_less_chips_in_use() -> None:
    doc = _plan()
    # 2026Q1: the first commitment (16); 2026Q2: both (24); 2026Q3: none active
    assert [(p.name, p.free_chips) for p in committed_pools(doc, "plan.json")] == [("c", 16)]
    q2 = committed_pools(doc, "plan.json", period="2026Q2", in_use={"c": 10})
    assert [(p.name, p.free_chips, p.cloud, p.region) for p in q2] == [
        ("c", 14, "aws", "us-east-2")
    ]
    assert q2[0].price_chip_hour == 2.5
    assert committed_pools(doc, "plan.json", period="2026Q3") == []
    for kw, field in (
        ({"period": "2027Q1"}, "period"),
        ({"in_use": {"od": 1}}, "in_use"),  # on-demand is rented, not committed
        ({"in_use": {"c": 17}}, "in_use"),
    ):
        with pytest.raises(InputError) as ei:
            committed_pools(doc, "plan.json", **kw)
        assert ei.value.issues[0].field == field and ei.value.issues[0].source == "plan.json"


def test_rates_from_a_plan_are_its_matrix_for_the_workload() -> None:
    doc = _plan()  # the helper's matrix: w on trn2 at 3.6e6 tokens trained per chip-hour
    r = rates_from_plan(doc, "plan.json", "w")
    assert (
        r.work_per_hour("trn2", 4) == pytest.approx(4 * 3.6e6) and r.table.unit == "tokens trained"
    )
    with pytest.raises(InputError, match="it has w"):
        rates_from_plan(doc, "plan.json", "nope")


@pytest.mark.parametrize(
    ("task", "chips", "nodes"),
    [
        ("h100", 1, 1),
        ("h100", 2, 1),
        ("h100", 8, 1),
        ("h100", 8, 4),
        ("a100-80gb", 8, 1),
        ("h200", 8, 2),
        ("mi300x", 8, 1),
    ],
)
def test_skypilot_style_tasks_get_the_cheapest_rentable_shape(
    task: str, chips: int, nodes: int
) -> None:
    """SkyPilot-style tasks (``ACC:N`` with ``num_nodes``) on the shipped catalog: the answer is
    the cheapest priced offering with exactly N chips, for every node, as a brute-force scan of
    the catalog's rows finds it. These shapes are sold as whole instances only (checked), so the
    row's price is the node's; GPUs priced without their host VM (L4, T4, V100) are the
    hand-computed cases of test_placement_skypilot.py."""
    cat = shipped_catalog()
    acc = cat.accelerator(task).id
    rows = [o for o in cat.offerings if o.accelerator == acc and o.chips == chips]
    assert all(o.price_covers is PriceCovers.INSTANCE for o in rows)
    prices = [o.price_hour for o in rows if o.price_hour]
    got = plan_placements(cat, PlacementRequest(accelerator=task, chips=chips, num_nodes=nodes))
    assert prices and got
    assert got[0].cost_hour == pytest.approx(min(prices) * nodes)
    assert got[0].parts[0].chips_per_node == chips and got[0].num_nodes == nodes
    assert (
        got[0].cost_hour
        == placement_options(cat, PlacementRequest(accelerator=task, chips=chips, num_nodes=nodes))[
            0
        ].cost_hour
    )


def test_h100_2_is_skypilots_two_gpu_instance_at_8_38() -> None:
    """The issue's case: SkyPilot 0.14 rents a 2-GPU H100 instance at $8.38/h for ``H100:2``
    (Lambda's gpu_2x_h100_sxm5); we used to answer an 8-GPU box at $31.92/h."""
    got = plan_placements(shipped_catalog(), PlacementRequest(accelerator="h100", chips=2))
    assert got[0].cost_hour == pytest.approx(8.38) and got[0].parts[0].chips_per_node == 2


@settings(max_examples=60, deadline=None)
@given(
    frees=st.lists(st.integers(0, 40), max_size=4),
    clouds=st.lists(st.sampled_from(["aws", "gcp", "any"]), min_size=4, max_size=4),
    nodes=st.integers(1, 6),
    split=st.booleans(),
)
def test_invariants_of_committed_first_placement(
    frees: list[int], clouds: list[str], nodes: int, split: bool
) -> None:
    """Every answer holds the whole gang, never uses more of a pool than it has free, adds
    nothing for committed nodes, comes cheapest first, and is never dearer than renting."""
    pools = [
        CommittedPool(name=f"p{i}", accelerator="h100", free_chips=f, cloud=clouds[i])
        for i, f in enumerate(frees)
    ]
    req = PlacementRequest(accelerator="h100", chips=8, num_nodes=nodes, split=split)
    got = plan_placements(CAT, req, committed=pools)
    free = {p.name: p.free_chips for p in pools}
    for p in got:
        assert sum(q.num_nodes for q in p.parts) == nodes
        for q in p.parts:
            if q.source == "committed":
                assert q.num_nodes * 8 <= free[q.name] and q.cost_hour == 0.0
        if not split:
            assert len(p.parts) == 1
    costs = [p.cost_hour for p in got]
    assert costs == sorted(costs)
    assert got[0].cost_hour <= nodes * 30.00 + 1e-9  # gcp8, the cheapest rental
    if any(f >= 8 * nodes for f in frees):
        assert got[0].cost_hour == 0.0  # a pool holds the whole gang: it adds nothing
