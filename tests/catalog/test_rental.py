"""The rentable price of a catalog row (``catalog.rental``) and the quotes built on it: a GPU
priced without its host VM is quoted per chip-hour with its share of the host's price (hand
sums of the rows below), a row without a host price is not quoted but listed with the reason,
and rows priced as whole instances are quoted exactly as before (price / chips)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from computebroker.catalog import (
    Catalog,
    ContractKind,
    NotRentable,
    PriceCovers,
    Rental,
    contract_quotes,
    rental,
    shipped_catalog,
    unquoted_offerings,
)
from computebroker.scheduler.placement import PlacementRequest, placement_options
from tests.catalog.gpu_only_rows import (
    AZURE_T4,
    HIGHMEM8,
    OD_T4,
    SPOT_T4,
    T4X2,
    T4X2_NO_HOST,
    gpu_catalog,
)


def _od(cat: Catalog, offering_id: str, kind: ContractKind = ContractKind.ON_DEMAND) -> float:
    (q,) = [q for q in contract_quotes(cat, "t4") if q.basis == offering_id and q.kind is kind]
    return q.price_chip_hour


def test_a_gpu_only_row_is_quoted_with_its_share_of_the_host_vm() -> None:
    cat = gpu_catalog(T4X2)
    r = rental(cat.hosts, T4X2)
    assert isinstance(r, Rental) and r.host == HIGHMEM8 and r.includes_host
    assert r.instance_hour == pytest.approx(0.70 + 0.47321)
    assert r.chip_hour == pytest.approx(OD_T4)
    quotes = {q.kind: q for q in contract_quotes(cat, "t4")}
    assert quotes[ContractKind.ON_DEMAND].price_chip_hour == pytest.approx(OD_T4)
    assert quotes[ContractKind.SPOT].price_chip_hour == pytest.approx(SPOT_T4)
    # GCP's published 1-year flexible CUD (contract_terms.csv: 28%) on the all-in price
    assert quotes[ContractKind.COMMIT_1Y].price_chip_hour == pytest.approx(OD_T4 * (1 - 0.28))
    for q in quotes.values():
        assert q.price_includes_host
        assert "n1-highmem-8" in q.price_basis and "test host" in q.source
    assert unquoted_offerings(cat, "t4") == []


def test_placement_and_the_quotes_read_one_price() -> None:
    cat = gpu_catalog(T4X2, AZURE_T4)
    (opt,) = placement_options(cat, PlacementRequest(accelerator="t4", chips=2))
    assert opt.price_chip_hour == pytest.approx(_od(cat, T4X2.id)) == pytest.approx(OD_T4)


def test_a_gpu_only_row_without_a_host_price_is_not_quoted_and_says_why() -> None:
    cat = gpu_catalog(T4X2_NO_HOST, AZURE_T4)
    assert {q.basis for q in contract_quotes(cat, "t4")} == {AZURE_T4.id}
    left = unquoted_offerings(cat, "t4")
    assert [(u.offering.id, u.spot) for u in left] == [
        (T4X2_NO_HOST.id, False),
        (T4X2_NO_HOST.id, True),
    ]
    assert all(isinstance(u, NotRentable) for u in left)
    assert "no price for a host VM that fits 2 x t4 in gcp/lab-1" in left[0].reason
    assert "no spot price for a host VM" in left[1].reason


def test_a_host_without_a_spot_price_leaves_only_the_spot_quote_out() -> None:
    cat = gpu_catalog(T4X2, hosts=(replace(HIGHMEM8, spot_price_hour=None),))
    kinds = {q.kind for q in contract_quotes(cat, "t4")}
    assert ContractKind.ON_DEMAND in kinds and ContractKind.SPOT not in kinds
    assert [u.spot for u in unquoted_offerings(cat, "t4")] == [True]


def test_the_shipped_us_central1_t4_pair_is_the_hand_sum() -> None:
    # offerings.csv: gcp/us-central1 2 x T4 GPUs $0.70/h; host_vms.csv: n1-highmem-8 $0.47321/h
    cat = shipped_catalog()
    oid = "gcp/us-central1/n1-* + T4 (accelerator component only)/2"
    assert _od(cat, oid) == pytest.approx(OD_T4)


def test_rows_priced_as_whole_instances_are_quoted_as_before() -> None:
    """Every shipped row that is not GPU-only keeps price / chips, bit for bit, and says it
    adds no host VM."""
    cat = shipped_catalog()
    seen = 0
    for acc in {o.accelerator for o in cat.offerings}:
        od = {q.basis: q for q in contract_quotes(cat, acc) if q.kind is ContractKind.ON_DEMAND}
        for o in cat.offerings:
            if o.accelerator != acc or o.price_covers is PriceCovers.ACCELERATOR:
                continue
            if o.price_hour is None or o.price_hour <= 0:
                assert o.id not in od
                continue
            assert od[o.id].price_chip_hour == o.price_hour / o.chips, o.id
            assert not od[o.id].price_includes_host
            seen += 1
    assert seen > 1500


def test_the_azure_row_is_unchanged_next_to_a_gcp_row() -> None:
    cat = gpu_catalog(T4X2, AZURE_T4)
    assert _od(cat, AZURE_T4.id) == 0.526
    assert _od(cat, AZURE_T4.id, ContractKind.SPOT) == 0.0579


def test_the_shipped_figures_the_docs_quote() -> None:
    """docs/catalog.md and docs/estimate.md: every shipped GPU-only row has a host for its
    on-demand and spot price, and GCP's cheapest L4-hour is us-east4's $0.55821 GPU +
    $0.14631 g2-standard-4 (offerings.csv, host_vms.csv)."""
    cat = shipped_catalog()
    assert all(unquoted_offerings(cat, a.id) == [] for a in cat.accelerators)
    gcp_od = [
        q
        for q in contract_quotes(cat, "l4")
        if q.provider == "gcp" and q.kind is ContractKind.ON_DEMAND
    ]
    best = min(gcp_od, key=lambda q: q.price_chip_hour)
    assert best.region == "us-east4" and best.price_chip_hour == pytest.approx(0.55821 + 0.14631)


def test_compare_ranks_by_the_rented_chip_hour() -> None:
    """By its own price GCP's T4 pair ($0.35 per GPU) would be the cheapest; rented with its
    host VM it is $0.586605, so Azure's $0.526 instance is the cheapest on demand, and the
    pair alone is quoted with its host."""
    from computebroker.catalog import compare_accelerators
    from computebroker.reports.catalog import comparison_record, offering_record

    (c,) = compare_accelerators(gpu_catalog(T4X2, AZURE_T4), ["t4"])
    assert c.cheapest_on_demand is not None and c.cheapest_on_demand.offering.id == AZURE_T4.id
    (c,) = compare_accelerators(gpu_catalog(T4X2), ["t4"])
    rec = comparison_record(c)
    assert rec["cheapest_price_chip_hour"] == round(OD_T4, 4)
    assert rec["cheapest_price_includes_host"] is True
    assert rec["cheapest_spot_price_chip_hour"] == round(SPOT_T4, 4)
    assert c.cheapest_on_demand is not None
    row = offering_record(c.cheapest_on_demand)
    assert (row["price_covers"], row["price_chip_hour"], row["rent_chip_hour"]) == (
        "accelerator",
        0.35,
        round(OD_T4, 4),
    )
    (c,) = compare_accelerators(gpu_catalog(T4X2_NO_HOST), ["t4"])
    assert c.cheapest_on_demand is None and c.cheapest_spot is None and c.offerings == 1


def test_the_shipped_compare_figures_the_docs_quote() -> None:
    """docs/catalog.md: one T4 is Azure's NC4as_T4_v3 at $0.526 (not GCP's GPU alone at
    $0.35); one L4 is GCP us-east4's $0.55821 GPU + $0.14631 host."""
    from computebroker.catalog import compare_accelerators

    t4, l4 = compare_accelerators(shipped_catalog(), ["t4", "l4"])
    assert t4.cheapest_on_demand is not None and l4.cheapest_on_demand is not None
    assert t4.cheapest_on_demand.offering.instance_type == "Standard_NC4as_T4_v3"
    assert t4.cheapest_on_demand.rent_chip_hour == 0.526
    assert (
        min(o.price_chip_hour or 9.0 for o in shipped_catalog().offerings if o.accelerator == "t4")
        == 0.35
    )
    assert l4.cheapest_on_demand.offering.region == "us-east4"
    assert l4.cheapest_on_demand.rent_chip_hour == pytest.approx(0.55821 + 0.14631)
