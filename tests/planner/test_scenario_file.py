"""The scenario file at the edge: every problem named with file, line and field; what-if edits;
catalog price resolution; the shipped examples load."""

from __future__ import annotations

from pathlib import Path

import pytest

from computebroker.catalog import shipped_catalog
from computebroker.errors import InputError
from computebroker.planner import load_scenario, parse_scenario

BAD_SHAPES = """\
name: bad
horizon: {start: 2026Q1, periods: 4}
workloads:
  - {name: w, model: llama3.1-8b, throughput: {h100: 1000}}
demand:
  classes:
    w: {start: 100, growth: 0.1}
offers:
  - {id: b, provider: aws, accelerator: h100, contract: commit-2y, price_chip_hour: -1}
  - {id: c, provider: aws, accelerator: h100, contract: deal}
policy:
  max_vendor_share: 1.5
"""

BAD_NAMES = """\
name: bad
horizon: {start: 2026Q1, periods: 4}
workloads:
  - {name: w, model: llama3.1-8b, throughput: {h100: 1000}}
demand:
  classes:
    w: {start: 100, growth: 0.1}
    ghost: {start: 1}
offers:
  - {id: a, provider: aws, accelerator: h1000, contract: commit-1y, price_chip_hour: 2}
  - {id: b, provider: aws, accelerator: h100, contract: on-demand}
  - {id: b, provider: aws, accelerator: h100, contract: on-demand}
  - {id: d, provider: nobody, accelerator: h100, contract: spot}
policy:
  existing: [{offer: zz, start: 2026Q1, chips: 10}]
"""


def issues_of(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(InputError) as ei:
        parse_scenario(text, shipped_catalog(), source="s.yaml")
    return [(i.line, i.field or "", i.message) for i in ei.value.issues]


def test_shape_errors_name_line_and_field() -> None:
    got = issues_of(BAD_SHAPES)
    fields = {(line, f) for line, f, _ in got}
    assert (9, "offers[0].contract") in fields
    assert (9, "offers[0].price_chip_hour") in fields
    assert (10, "offers[1]") in fields
    assert (12, "policy.max_vendor_share") in fields
    msgs = " | ".join(m for _, _, m in got)
    assert "a deal needs its own price_chip_hour" in msgs
    assert "a number > 0) or 'catalog'" in msgs


def test_an_absurd_growth_is_reported_not_overflowed() -> None:
    # found by the service's scenario fuzzer: growth 1e300 a period made math.exp overflow
    # while the rest of the file was checked (a traceback instead of the field's error)
    text = BAD_SHAPES.partition("offers:")[0].replace("growth: 0.1", "growth: 1.0e+300")
    text += "offers:\n  - {id: a, provider: aws, accelerator: h100, contract: on-demand}\n"
    got = issues_of(text)
    assert [(f, "passes 1e+24" in m) for _, f, m in got] == [("demand.classes.w.growth", True)]


def test_name_errors_are_all_reported_at_once() -> None:
    got = issues_of(BAD_NAMES)
    by_field = {f: (line, m) for line, f, m in got}
    assert by_field["demand.classes.ghost"][0] == 8
    assert "did you mean 'h100'" in by_field["offers[0].accelerator"][1]
    assert "duplicate offer id 'b'" in by_field["offers[2].id"][1]
    assert "no provider 'nobody' sells h100" in by_field["offers[3].price_chip_hour"][1]
    assert by_field["policy.existing[0].offer"][0] == 15


def test_catalog_commitment_price_is_on_demand_less_published_discount() -> None:
    from computebroker.catalog import contract_quotes, term_for
    from computebroker.catalog.types import ContractKind

    text = BAD_NAMES.split("offers:", maxsplit=1)[0].replace("    ghost: {start: 1}\n", "") + (
        "offers:\n  - {id: a, provider: aws, accelerator: h100, contract: commit-1y}\n"
        "  - {id: o, provider: aws, accelerator: h100, contract: on-demand}\n"
    )
    spec = parse_scenario(text, shipped_catalog())
    cat = shipped_catalog()
    od = min(
        q.price_chip_hour
        for q in contract_quotes(cat, "h100")
        if q.provider == "aws" and q.kind is ContractKind.ON_DEMAND
    )
    term = term_for(cat, "aws", "h100", ContractKind.COMMIT_1Y)
    assert term is not None
    offers = {o.id: o for o in spec.offers}
    assert offers["o"].price_chip_hour == pytest.approx(od)
    assert offers["a"].price_chip_hour == pytest.approx(od * (1 - term.discount))
    assert "discount" in offers["a"].price_source
    assert offers["a"].term_periods == 4  # 12 months in quarters


def test_set_and_slip_edit_the_file(tmp_path: Path, repo_root: Path) -> None:
    from computebroker.planner import parse_set, parse_slip

    path = repo_root / "examples" / "startup.yaml"
    edits = [parse_set("policy.max_vendor_share=0.5"), *parse_slip("aws-h100-1y:2")]
    spec = load_scenario(path, shipped_catalog(), overrides=edits)
    assert spec.policy.max_vendor_share == 0.5
    o = next(o for o in spec.offers if o.id == "aws-h100-1y")
    assert (o.slip_prob, o.slip_periods) == (1.0, 2)
    with pytest.raises(InputError, match="max_vendor_shar"):
        load_scenario(path, shipped_catalog(), overrides=[parse_set("policy.max_vendor_shar=0.5")])
    with pytest.raises(InputError, match="no item with id or name 'nope'"):
        load_scenario(path, shipped_catalog(), overrides=parse_slip("nope:1"))


@pytest.mark.parametrize("name", ["startup.yaml", "frontier-lab.yaml"])
def test_examples_load_with_sources(repo_root: Path, name: str) -> None:
    spec = load_scenario(repo_root / "examples" / name, shipped_catalog())
    assert spec.offers and spec.workloads
    for o in spec.offers:
        assert o.price_source  # every price says where it came from
