"""The planner's catalog prices are rentable prices: a GCP GPU priced without its host VM is
planned at its share of the host's price too (hand sums of the rows in
``tests/catalog/gpu_only_rows.py``), says so in ``price_source``, and a row without a host
price is never the price: the source or the error names it with the reason."""

from __future__ import annotations

import pytest

from computebroker.catalog import Offering
from computebroker.errors import InputError
from computebroker.planner import parse_scenario
from tests.catalog.gpu_only_rows import AZURE_T4, OD_T4, SPOT_T4, T4X2, T4X2_NO_HOST, gpu_catalog

HEAD = """\
name: t4
horizon: {start: 2026Q1, periods: 4}
workloads:
  - {name: w, model: llama3.1-8b, throughput: {t4: 1000}}
demand:
  classes:
    w: {start: 10, growth: 0.0}
offers:
"""


def _offers(lines: str, *rows: Offering) -> dict[str, tuple[float, str]]:
    spec = parse_scenario(HEAD + lines, gpu_catalog(*rows), source="s.yaml")
    return {o.id: (o.price_chip_hour, o.price_source) for o in spec.offers}


def test_gcp_gpu_offers_are_priced_with_their_host_vm() -> None:
    got = _offers(
        "  - {id: od, provider: gcp, accelerator: t4, contract: on-demand}\n"
        "  - {id: sp, provider: gcp, accelerator: t4, contract: spot}\n"
        "  - {id: c1, provider: gcp, accelerator: t4, contract: commit-1y}\n"
        "  - {id: az, provider: azure, accelerator: t4, contract: on-demand}\n",
        T4X2,
        AZURE_T4,
    )
    assert got["od"][0] == pytest.approx(OD_T4)  # (0.70 + 0.47321) / 2, not 0.70 / 2
    assert got["sp"][0] == pytest.approx(SPOT_T4)
    assert got["c1"][0] == pytest.approx(OD_T4 * (1 - 0.28))  # GCP 1-year flexible CUD
    for k in ("od", "sp", "c1"):
        assert "incl. host VM: 2 x t4" in got[k][1] and "n1-highmem-8" in got[k][1], got[k][1]
    # a whole-instance row of another cloud: its price and source as before
    assert got["az"] == (0.526, f"catalog {AZURE_T4.id} (on-demand)")


def test_a_row_without_a_host_price_is_named_not_priced() -> None:
    got = _offers(
        "  - {id: od, provider: gcp, accelerator: t4, contract: on-demand}\n", T4X2, T4X2_NO_HOST
    )
    price, source = got["od"]
    assert price == pytest.approx(OD_T4)
    assert f"not quoted: {T4X2_NO_HOST.id}" in source
    assert "no price for a host VM that fits 2 x t4 in gcp/lab-1" in source


def test_an_offer_with_only_rows_without_a_host_price_fails_with_the_reason() -> None:
    with pytest.raises(InputError) as ei:
        _offers(
            "  - {id: od, provider: gcp, accelerator: t4, region: lab-1, contract: on-demand}\n",
            T4X2,
            T4X2_NO_HOST,
        )
    (issue,) = ei.value.issues
    assert issue.field == "offers[0].price_chip_hour"
    assert "no price for t4 from gcp in region 'lab-1'" in issue.message
    assert f"not quoted: {T4X2_NO_HOST.id}" in issue.message
    assert "host VM" in issue.message
