"""``estimate``'s cost lines use the rentable price: a GCP L4 priced without its host VM costs
its GPU plus the host's price per chip-hour (hand sum of the rows in
``tests/catalog/gpu_only_rows.py``), says so, and a row without a host price is listed with the
reason in the report, its JSON and its table, never costed as the GPU alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from computebroker.catalog import ContractKind, Offering
from computebroker.cli.app import run
from computebroker.perf import TrainingRequest, estimate_training, get_model
from computebroker.perf.estimate import TrainingReport
from computebroker.reports.perf import training_report_record
from tests.catalog.gpu_only_rows import G2_4, L4X1, L4X1_NO_HOST, OD_L4, gpu_catalog


def _report(*rows: Offering) -> TrainingReport:
    cat = gpu_catalog(*rows, hosts=(G2_4,))
    (r,) = estimate_training(
        cat, TrainingRequest(model=get_model("llama3-8b"), accelerator="l4", chips=64, tokens=1e11)
    )
    return r


def test_the_gcp_l4_costs_its_gpu_and_its_host_vm() -> None:
    r = _report(L4X1)
    lines = {c.quote.kind: c for c in r.costs}
    od = lines[ContractKind.ON_DEMAND]
    assert od.quote.price_chip_hour == pytest.approx(OD_L4)  # 0.56 + 0.14679
    assert r.chip_hours is not None and od.cost_usd == pytest.approx(OD_L4 * r.chip_hours)
    assert lines[ContractKind.COMMIT_3Y].quote.price_chip_hour == pytest.approx(OD_L4 * 0.54)
    rec = training_report_record(r)
    (od_rec,) = [c for c in rec["costs"] if c["contract"] == "on-demand"]
    assert od_rec["price_includes_host"] is True
    assert "g2-standard-4" in od_rec["price_basis"] and "test host" in od_rec["source"]
    assert rec["unquoted"] == []


def test_a_row_without_a_host_price_is_listed_not_costed() -> None:
    r = _report(L4X1_NO_HOST)
    assert r.costs == ()
    assert [(u.offering.id, u.spot) for u in r.unquoted] == [
        (L4X1_NO_HOST.id, False),
        (L4X1_NO_HOST.id, True),
    ]
    rec = training_report_record(r)
    assert [u["contract"] for u in rec["unquoted"]] == ["on-demand", "spot"]
    assert "no price for a host VM that fits 1 x l4 in gcp/lab-1" in rec["unquoted"][0]["reason"]


USER_ROW = """\
offerings:
  - id: ours/lab-1/l4
    cloud: gcp
    region: lab-1
    instance_type: l4 card
    accelerator: l4
    chips: 1
    price_hour: 0.10
    price_covers: accelerator
"""


@pytest.mark.parametrize(
    "command",
    [
        ["train", "--model", "llama3-8b", "--tokens", "1e11", "--chips", "64"],
        ["serve", "--model", "llama3-8b"],
    ],
)
def test_the_cli_says_which_rows_it_did_not_price(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = tmp_path / "ours.yaml"
    user.write_text(USER_ROW, encoding="utf-8")
    args = ["estimate", *command, "-a", "l4", "--catalog", str(user)]
    assert run(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "not priced l4 ours/lab-1/l4 (on-demand)" in out
    assert "no price for a host VM that fits 1 x l4 in gcp/lab-1" in out
    assert run([*args, "--format", "json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    rec = rec[0] if isinstance(rec, list) else rec
    assert [u["offering"] for u in rec["unquoted"]] == ["ours/lab-1/l4"]
    assert any(c["price_includes_host"] for c in rec["costs"])  # the shipped GCP L4 rows
