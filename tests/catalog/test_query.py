"""Unit + property tests: normalisation math, filters, sorting and alias lookup."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from computebroker.catalog import (
    ContractKind,
    Offering,
    OfferingQuery,
    SortKey,
    compare_accelerators,
    contract_quotes,
    find_offerings,
    load_catalog,
    quote_offering,
)
from computebroker.errors import UnknownNameError

CAT = load_catalog()


def test_normalisation_hand_computed() -> None:
    # p5.48xlarge: $55.04 per instance-hour, 8 x H100 at 989.4 dense bf16 TFLOP/s
    # per chip-hour = 55.04 / 8 = 6.88; per PFLOP-hour = 6.88 / 0.9894 = 6.95371...
    o = Offering(
        id="t",
        cloud="aws",
        region="us-east-1",
        instance_type="p5.48xlarge",
        accelerator="h100",
        chips=8,
        price_hour=55.04,
        spot_price_hour=13.4628,
    )
    q = quote_offering(o, CAT.accelerator("h100"))
    assert q.price_chip_hour == pytest.approx(6.88)
    assert q.price_pflop_hour == pytest.approx(6.88 / 0.9894)
    assert q.spot_price_chip_hour == pytest.approx(1.68285)
    # tpu-v6e-256 at $691.20 per hour: 2.70 per chip-hour, 2.70 / 0.918 = 2.941 per PFLOP-hour
    o2 = Offering(
        id="t2",
        cloud="gcp",
        region="x",
        instance_type="tpu-v6e-256",
        accelerator="tpu-v6e",
        chips=256,
        price_hour=691.2,
    )
    q2 = quote_offering(o2, CAT.accelerator("tpu-v6e"))
    assert q2.price_chip_hour == pytest.approx(2.70)
    assert q2.price_pflop_hour == pytest.approx(2.9411764, rel=1e-6)


def test_no_pflop_price_without_spec() -> None:
    o = Offering(
        id="t",
        cloud="aws",
        region="r",
        instance_type="g5",
        accelerator="a10g",
        chips=1,
        price_hour=1.0,
    )
    q = quote_offering(o, CAT.accelerator("a10g"))
    assert q.price_chip_hour == 1.0
    assert q.price_pflop_hour is None


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("Trainium2", "trn2"),
        ("Trillium", "tpu-v6e"),
        ("H100-SXM", "h100"),
        ("A100", "a100-40gb"),
        ("a100-80GB", "a100-80gb"),
        ("Ironwood", "tpu-v7"),
        ("tpu7x", "tpu-v7"),
        ("tpu-v5litepod", "tpu-v5e"),
        ("NVIDIA H200", "h200"),
        ("Inferentia2", "inf2"),
        ("Trainium", "trn1"),
        ("mi300X", "mi300x"),
        ("TPU v5p", "tpu-v5p"),
        ("gb200 nvl72", "gb200"),
    ],
)
def test_alias_lookup(alias: str, expected: str) -> None:
    assert CAT.accelerator(alias).id == expected


@given(
    acc=st.sampled_from(sorted(CAT.accelerators.ids)),
    data=st.data(),
)
def test_any_alias_any_case_resolves(acc: str, data: st.DataObject) -> None:
    a = CAT.accelerators.by_id[acc]
    name = data.draw(st.sampled_from([a.id, *a.aliases]))
    mangled = "".join(c.upper() if data.draw(st.booleans()) else c.lower() for c in name)
    mangled = mangled.replace("-", data.draw(st.sampled_from(["-", " ", "_"])))
    assert CAT.accelerator(mangled).id == acc


def test_unknown_accelerator_suggests() -> None:
    with pytest.raises(UnknownNameError) as exc:
        CAT.accelerator("h1000")
    assert "h100" in exc.value.suggestions


def test_filters() -> None:
    rows = find_offerings(CAT, OfferingQuery(accelerator="h100", cloud="AWS", region="us-east"))
    assert rows
    for r in rows:
        assert r.offering.accelerator == "h100"
        assert r.offering.cloud == "aws"
        assert r.offering.region.startswith("us-east")
    big = find_offerings(CAT, OfferingQuery(min_chips=64))
    assert big and all(r.offering.chips >= 64 for r in big)
    spot = find_offerings(CAT, OfferingQuery(accelerator="tpu-v5p", spot=True))
    assert spot and all(r.offering.spot_price_hour is not None for r in spot)
    pattern = find_offerings(CAT, OfferingQuery(region="europe-*4"))
    assert pattern and all(
        r.offering.region.startswith("europe-") and r.offering.region.endswith("4") for r in pattern
    )


def test_unknown_cloud() -> None:
    with pytest.raises(UnknownNameError):
        find_offerings(CAT, OfferingQuery(cloud="awz"))


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("spot", [False, True])
def test_sorting_is_ascending_with_unpriced_last(sort: SortKey, spot: bool) -> None:
    rows = find_offerings(CAT, OfferingQuery(sort=sort, spot=spot))
    if sort is SortKey.PRICE:
        vals = [r.spot_price_chip_hour if spot else r.price_chip_hour for r in rows]
    else:
        vals = [r.spot_price_pflop_hour if spot else r.price_pflop_hour for r in rows]
    priced = [v for v in vals if v is not None]
    assert priced == sorted(priced)
    first_none = next((i for i, v in enumerate(vals) if v is None), len(vals))
    assert all(v is None for v in vals[first_none:])


def test_compare_cheapest_is_min() -> None:
    (c,) = compare_accelerators(CAT, ["h200"])
    prices = [
        o.price_chip_hour for o in CAT.offerings if o.accelerator == "h200" and o.price_chip_hour
    ]
    assert c.cheapest_on_demand is not None
    assert c.cheapest_on_demand.price_chip_hour == pytest.approx(min(prices))


def test_contract_quotes_apply_published_discounts() -> None:
    quotes = contract_quotes(CAT, "h100")
    kinds = {q.kind for q in quotes}
    assert {
        ContractKind.ON_DEMAND,
        ContractKind.SPOT,
        ContractKind.COMMIT_1Y,
        ContractKind.COMMIT_3Y,
        ContractKind.CAPACITY_BLOCK,
    } <= kinds
    p5 = [q for q in quotes if q.basis == "aws/us-east-1/p5.48xlarge"]
    od = next(q for q in p5 if q.kind is ContractKind.ON_DEMAND).price_chip_hour
    c3 = next(q for q in p5 if q.kind is ContractKind.COMMIT_3Y).price_chip_hour
    # AWS 3-yr savings plan: 62.4% off (contract_terms.csv)
    assert c3 == pytest.approx(od * (1 - 0.624))
    tpu = [q for q in contract_quotes(CAT, "tpu-v5p") if q.kind is ContractKind.COMMIT_1Y]
    assert tpu and all("deploybase" in q.source for q in tpu)  # the TPU-specific term wins
