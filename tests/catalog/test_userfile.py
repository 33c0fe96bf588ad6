"""Every rejection path of a user catalog, and the merge over the shipped catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from computebroker.catalog import ContractKind, contract_quotes, load_catalog
from computebroker.errors import InputError


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


GOOD_YAML = """\
offerings:
  - cloud: acme
    region: us-east
    instance_type: acme-8xh100
    accelerator: H100-SXM
    chips: 8
    price_hour: 16.0
    spot_price_hour: 8.0
deals:
  - id: gcp-ironwood
    provider: gcp
    accelerator: Ironwood
    price_chip_hour: 2.1
    term_months: 36
    min_chips: 1000
    max_chips: 400000
    delivery:
      - {start: 2026Q3, chips: 100000}
      - {start: 2027Q1, chips: 400000}
"""


def test_yaml_merges_over_shipped(tmp_path: Path) -> None:
    cat = load_catalog([write(tmp_path, "mine.yaml", GOOD_YAML)])
    mine = [o for o in cat.offerings if o.cloud == "acme"]
    assert len(mine) == 1 and mine[0].accelerator == "h100" and mine[0].private
    assert mine[0].price_chip_hour == 2.0
    assert len(cat.offerings) == len(load_catalog().offerings) + 1
    deal = next(q for q in contract_quotes(cat, "tpu-v7") if q.kind is ContractKind.DEAL)
    assert deal.price_chip_hour == 2.1
    assert cat.deals[0].delivery[1].chips == 400000


def test_user_row_replaces_shipped_row_with_same_id(tmp_path: Path) -> None:
    text = """cloud,region,instance_type,accelerator,chips,price_hour
aws,us-east-1,p5.48xlarge,h100,8,40.0
"""
    cat = load_catalog([write(tmp_path, "o.csv", text)])
    o = next(o for o in cat.offerings if o.id == "aws/us-east-1/p5.48xlarge")
    assert o.price_hour == 40.0 and o.private


def test_csv_deals_with_delivery(tmp_path: Path) -> None:
    text = """id,provider,accelerator,price_chip_hour,term_months,min_chips,max_chips,delivery
rainier,aws,Trainium2,1.10,36,0,1000000,2026Q1:500000;2026Q4:1000000
"""
    cat = load_catalog([write(tmp_path, "d.csv", text)])
    (d,) = cat.deals
    assert d.accelerator == "trn2" and [s.chips for s in d.delivery] == [500000, 1000000]


def _issues(path: Path) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_catalog([path])
    return [str(i) for i in exc.value.issues]


def test_missing_column(tmp_path: Path) -> None:
    p = write(tmp_path, "o.csv", "cloud,region,instance_type,chips,price_hour\nx,y,z,8,1\n")
    (msg,) = _issues(p)
    assert "o.csv:1" in msg and "missing column(s) accelerator" in msg


def test_negative_price_names_line_and_field(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "o.csv",
        "cloud,region,instance_type,accelerator,chips,price_hour\n"
        "x,y,z,h100,8,1\nx,y,w,h100,8,-3\n",
    )
    (msg,) = _issues(p)
    assert (
        "o.csv:3" in msg
        and "price_hour" in msg
        and "greater than or equal to 0" in msg
        and "-3" in msg
    )


def test_unknown_accelerator_yaml_line(tmp_path: Path) -> None:
    text = GOOD_YAML.replace("accelerator: Ironwood", "accelerator: Ironwod")
    (msg,) = _issues(write(tmp_path, "m.yaml", text))
    assert "m.yaml:12" in msg and "unknown accelerator 'Ironwod'" in msg and "ironwood" in msg


def test_duplicate_id(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "o.csv",
        "cloud,region,instance_type,accelerator,chips,price_hour\nx,y,z,h100,8,1\nx,y,z,h100,8,2\n",
    )
    (msg,) = _issues(p)
    assert "o.csv:3" in msg and "duplicate id 'x/y/z'" in msg and "line 2" in msg


def test_yaml_negative_price_line(tmp_path: Path) -> None:
    text = GOOD_YAML.replace("price_hour: 16.0", "price_hour: -16.0")
    (msg,) = _issues(write(tmp_path, "m.yaml", text))
    assert msg.startswith(f"{tmp_path / 'm.yaml'}:7: offerings[0].price_hour")


def test_missing_required_field_yaml(tmp_path: Path) -> None:
    text = GOOD_YAML.replace("    chips: 8\n", "")
    (msg,) = _issues(write(tmp_path, "m.yaml", text))
    assert "offerings[0].chips" in msg and "Field required" in msg


def test_unknown_key_rejected(tmp_path: Path) -> None:
    text = GOOD_YAML.replace("chips: 8", "chips: 8\n    chipz: 9")
    (msg,) = _issues(write(tmp_path, "m.yaml", text))
    assert "offerings[0].chipz" in msg and "m.yaml:7" in msg


def test_no_price(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "o.csv",
        "cloud,region,instance_type,accelerator,chips,price_hour\nx,y,z,h100,8,\n",
    )
    (msg,) = _issues(p)
    assert "needs price_hour or spot_price_hour" in msg


def test_deal_min_above_max(tmp_path: Path) -> None:
    text = GOOD_YAML.replace("min_chips: 1000", "min_chips: 500000")
    (msg,) = _issues(write(tmp_path, "m.yaml", text))
    assert "min_chips (500000) must not exceed max_chips (400000)" in msg


def test_bad_delivery_string(tmp_path: Path) -> None:
    text = "id,provider,accelerator,price_chip_hour,term_months,max_chips,delivery\nd,aws,trn2,1,12,10,2026Q1=5\n"
    (msg,) = _issues(write(tmp_path, "d.csv", text))
    assert "START:CHIPS" in msg and "d.csv:2" in msg


def test_all_issues_reported_at_once(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "o.csv",
        "cloud,region,instance_type,accelerator,chips,price_hour\n"
        "x,y,a,h100,0,1\nx,y,b,nope,8,1\nx,y,c,h100,8,-1\n",
    )
    msgs = _issues(p)
    assert len(msgs) == 3
    assert [m.split(":")[1] for m in msgs] == ["2", "3", "4"]


def test_bad_yaml_syntax(tmp_path: Path) -> None:
    (msg,) = _issues(write(tmp_path, "m.yaml", "offerings:\n  - cloud: [unclosed\n"))
    assert "not valid YAML" in msg


def test_unsupported_suffix_and_missing_file(tmp_path: Path) -> None:
    (msg,) = _issues(write(tmp_path, "m.txt", "x"))
    assert "unsupported file type" in msg
    (msg,) = _issues(tmp_path / "absent.yaml")
    assert "file not found" in msg


def test_unrecognised_csv(tmp_path: Path) -> None:
    (msg,) = _issues(write(tmp_path, "x.csv", "a,b\n1,2\n"))
    assert "cannot tell what this CSV holds" in msg


def test_private_accelerator(tmp_path: Path) -> None:
    text = """accelerators:
  - id: acme-x1
    name: Acme X1
    vendor: Acme
    bf16_tflops: 500
    hbm_gib: 64
offerings:
  - {cloud: acme, region: r1, instance_type: x1-4, accelerator: ACME-X1, chips: 4, price_hour: 4}
"""
    cat = load_catalog([write(tmp_path, "a.yaml", text)])
    acc = cat.accelerator("acme x1")
    assert acc.private and acc.bf16_tflops == 500
