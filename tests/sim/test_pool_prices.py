"""Where a simulated pool's price comes from (``PoolView.price_basis``): a catalog-priced pool
names the quote it took, and a pool at $0 always says why (a chip the catalog does not know,
a GPU-only row with no host VM price, no quote from the provider asked for), on hand-built
catalogs whose prices are summed by hand (tests/catalog/gpu_only_rows.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from computebroker.catalog import Catalog, ContractKind, contract_quotes, shipped_catalog
from computebroker.cli.app import run
from computebroker.scheduler.types import NOT_PRICED
from computebroker.sim import load_fleet
from computebroker.sim.fleet import parse_inline_fleet
from tests.catalog.gpu_only_rows import (
    AZURE_T4,
    G2_4,
    HIGHMEM8,
    L4X1,
    OD_T4,
    T4X2,
    T4X2_NO_HOST,
    gpu_catalog,
)


def _view(spec: str, cat: Catalog | None) -> tuple[float, str, bool]:
    (pool,) = parse_inline_fleet(spec, cat).pools
    return pool.view.price_chip_hour, pool.view.price_basis, pool.view.unpriced


def test_a_catalog_priced_pool_names_the_quote_it_took() -> None:
    cat = gpu_catalog(T4X2, AZURE_T4)
    # cheapest on-demand T4: Azure's whole instance at $0.526 beats GCP's $0.586605 all in
    price, basis, unpriced = _view("t4=2", cat)
    assert price == pytest.approx(0.526) and not unpriced
    assert basis.startswith("cheapest on-demand catalog quote: ")
    assert AZURE_T4.id in basis and "whole instance" in basis
    # from GCP only: the GPUs plus their n1-highmem-8 host, split over the 2 GPUs
    price, basis, unpriced = _view("gcp:t4=2", cat)
    assert price == pytest.approx(OD_T4) and not unpriced
    assert T4X2.id in basis and "n1-highmem-8" in basis


def test_a_chip_the_catalog_does_not_know_costs_0_and_says_so() -> None:
    price, basis, unpriced = _view("k80=4", gpu_catalog(T4X2, AZURE_T4))
    assert price == 0.0 and unpriced
    assert basis == f"{NOT_PRICED}k80 is not in the catalog"
    price, basis, unpriced = _view("k80=4", None)
    assert price == 0.0 and unpriced and "no catalog" in basis


def test_a_gpu_only_row_without_a_host_price_costs_0_and_says_why() -> None:
    price, basis, unpriced = _view("t4=2", gpu_catalog(T4X2_NO_HOST))
    assert price == 0.0 and unpriced
    assert "no rentable on-demand row for t4" in basis
    assert "1 row priced without a host VM" in basis and T4X2_NO_HOST.id in basis
    # another cloud's whole instance prices "any", but not the GCP pool
    cat = gpu_catalog(T4X2_NO_HOST, AZURE_T4)
    assert _view("t4=2", cat)[0] == pytest.approx(0.526)
    price, basis, unpriced = _view("gcp:t4=2", cat)
    assert price == 0.0 and unpriced
    assert "no rentable on-demand row for t4 from gcp" in basis and T4X2_NO_HOST.id in basis


def test_a_provider_without_a_quote_costs_0_and_names_who_quotes() -> None:
    cat = gpu_catalog(AZURE_T4, L4X1, hosts=(HIGHMEM8, G2_4))  # gcp sells an L4, not a T4
    price, basis, unpriced = _view("gcp:t4=2", cat)
    assert price == 0.0 and unpriced
    assert basis == f"{NOT_PRICED}no on-demand catalog quote for t4 from gcp (quotes from: azure)"


def test_fleet_file_pools_say_where_their_price_came_from(tmp_path: Path) -> None:
    y = tmp_path / "fleet.yaml"
    y.write_text(
        "pools:\n"
        "  - {name: own, accelerator: t4, chips: 2, price_chip_hour: 0.0}\n"
        "  - {name: commit, provider: gcp, accelerator: t4, contract: commit-1y, chips: 2}\n"
        "  - {name: spot, accelerator: t4, contract: spot, chips: 2}\n"
        "  - {name: k80, accelerator: k80, chips: 2}\n"
    )
    cat = gpu_catalog(T4X2, AZURE_T4)
    own, commit, spot, k80 = (p.view for p in load_fleet(str(y), cat).pools)
    # a price given as 0 is a price, not a missing one
    assert own.price_chip_hour == 0.0 and not own.unpriced
    assert own.price_basis == f"given in the fleet file {y}"
    # a commitment pool without a price takes the on-demand quote (as before), and says so
    assert commit.price_chip_hour == pytest.approx(OD_T4)
    assert T4X2.id in commit.price_basis and "commit-1y" in commit.price_basis
    # spot: Azure's $0.0579 beats GCP's (0.383 + 0.15896) / 2 = $0.27098 all in
    assert spot.price_chip_hour == pytest.approx(0.0579) and AZURE_T4.id in spot.price_basis
    assert spot.price_basis.startswith("cheapest spot catalog quote: ")
    assert k80.unpriced and k80.price_chip_hour == 0.0


def test_every_shipped_catalog_pool_is_its_cheapest_quote_or_says_why() -> None:
    """Invariant on the shipped catalog: a priced pool's basis names an on-demand quote at
    exactly its price, and no lower quote exists; a pool at $0 is marked not priced."""
    cat = shipped_catalog()
    for acc in sorted({o.accelerator for o in cat.offerings}):
        quotes = [q for q in contract_quotes(cat, acc) if q.kind is ContractKind.ON_DEMAND]
        price, basis, unpriced = _view(f"{acc}=1", cat)
        if not quotes:
            assert price == 0.0 and unpriced, acc
            continue
        named = [q for q in quotes if f"quote: {q.basis} (" in basis]
        assert named and named[0].price_chip_hour == price == min(q.price_chip_hour for q in quotes)


LAB_CATALOG = """\
offerings:
  - cloud: lab
    region: lab-1
    instance_type: p100-gpus-only
    accelerator: p100
    chips: 4
    price_hour: 4.0
    price_covers: accelerator
"""


def _simulate(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> tuple[str, str]:
    extra = tmp_path / "lab.yaml"
    extra.write_text(LAB_CATALOG)
    args = ["simulate", "--fleet", "v100=2,k80=2,lab:p100=4", "--throughputs", "gavel"]
    code = run([*args, "--generate", "6", "--catalog", str(extra), "--format", fmt])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out, out.err


def test_the_cli_json_carries_each_pools_price_basis(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out, _ = _simulate(capsys, tmp_path, "json")
    pools = {p["pool"]: p for p in json.loads(out)["pools"]}
    assert pools["v100"]["price_basis"].startswith("cheapest on-demand catalog quote: ")
    assert pools["v100"]["price_chip_hour"] > 0
    assert pools["k80"]["price_basis"] == f"{NOT_PRICED}k80 is not in the catalog"
    lab = pools["lab-p100"]
    assert lab["price_chip_hour"] == 0.0 and lab["cost_usd"] == 0.0
    assert "no rentable on-demand row for p100 from lab" in lab["price_basis"]
    assert "lab/lab-1/p100-gpus-only" in lab["price_basis"]


def test_the_cli_table_warns_once_per_unpriced_pool(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per warning
    out, _ = _simulate(capsys, tmp_path, "table")
    lines = [x for x in out.splitlines() if x.startswith("pool ")]
    assert len(lines) == 2
    assert lines[0] == "pool k80 not priced: k80 is not in the catalog; its cost counts as $0"
    assert lines[1].startswith("pool lab-p100 not priced: no rentable on-demand row for p100")
    assert out.index("Pools") < out.index("pool k80 not priced")
