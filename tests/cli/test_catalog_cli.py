"""Integration: the catalog commands through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from computebroker.cli import app
from computebroker.cli.app import run


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_accelerators_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "catalog", "accelerators", "--vendor", "google", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {r["vendor"] for r in rows} == {"Google"}
    need = {
        "name",
        "vendor",
        "bf16_tflops",
        "fp8_tflops",
        "hbm_gib",
        "hbm_tbps",
        "scale_up_chips",
        "scale_up_gbps",
        "scale_out_gbps",
        "tdp_w",
        "source",
    }
    assert all(need <= r.keys() for r in rows)
    assert "tpu-v6e" in {r["name"] for r in rows}


def test_offerings_json_and_sort(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys,
        "catalog",
        "offerings",
        "--accelerator",
        "Trainium",
        "--sort",
        "price-per-pflop",
        "--format",
        "json",
    )
    assert code == 0
    rows = json.loads(out)
    need = {
        "cloud",
        "region",
        "instance_type",
        "accelerator",
        "chips",
        "price_hour",
        "spot_price_hour",
        "price_chip_hour",
        "price_pflop_hour",
    }
    assert rows and all(need <= r.keys() for r in rows)
    assert {r["accelerator"] for r in rows} == {"trn1"}
    vals = [r["price_pflop_hour"] for r in rows if r["price_pflop_hour"] is not None]
    assert vals == sorted(vals)


def test_offerings_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "catalog", "offerings", "-a", "b200", "--spot", "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("id,cloud,region,instance_type,accelerator,chips")
    assert len(lines) > 1


def test_table_and_compare(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "catalog", "compare", "h100", "trainium2", "tpu-v6e")
    assert code == 0
    assert "h100" in out and "trn2" in out and "tpu-v6e" in out


def test_bad_catalog_file_exit_2_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("cloud,region,instance_type,accelerator,chips,price_hour\nx,y,z,h100,8,-1\n")
    code, out, err = cli(capsys, "catalog", "offerings", "--catalog", str(p))
    assert code == 2
    assert "bad.csv:2" in err and "price_hour" in err
    assert "Traceback" not in err and out == ""


def test_unknown_accelerator_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "catalog", "offerings", "-a", "h10")
    assert code == 2 and "did you mean" in err


def test_bad_option_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = cli(capsys, "catalog", "offerings", "--sort", "cheapest")
    assert code == 2


def test_app_is_typer() -> None:
    assert app.info.name == "computebroker"
