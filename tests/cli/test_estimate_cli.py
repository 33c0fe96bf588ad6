"""Integration: the estimate commands through the real CLI entry point."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from computebroker.cli.app import run


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys,
        "estimate",
        "train",
        "--model",
        "llama3-70b",
        "--tokens",
        "15e12",
        "--accelerator",
        "h100",
        "--chips",
        "2048",
        "--format",
        "json",
    )
    assert code == 0
    rec = json.loads(out)
    for key in (
        "accelerator",
        "chips",
        "layout",
        "step_time_s",
        "tokens_per_s_per_chip",
        "mfu",
        "memory_gib_per_chip",
        "time_to_train_days",
        "cost_usd",
    ):
        assert key in rec, key
    assert rec["chips"] == 2048 and rec["accelerator"] == "h100"
    # uninterrupted time = tokens / (tokens/s per chip x chips); wall-clock divides by goodput
    days = 15e12 / (rec["tokens_per_s_per_chip"] * 2048) / 86400
    assert rec["compute_days"] == pytest.approx(days, rel=1e-3)
    assert rec["time_to_train_days"] == pytest.approx(days / rec["goodput"], rel=1e-3)
    assert 0.9 < rec["goodput"] < 1.0 and "Llama 3" in rec["goodput_assumption"]
    assert rec["band_label"].startswith("fitted on") and 0 < rec["band_rel"] < 1
    assert (
        rec["costs"]
        and rec["costs"][0]["usd_per_million_tokens"] <= rec["costs"][-1]["usd_per_million_tokens"]
    )


def test_train_pins_in_vendor_units(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys,
        "estimate",
        "train",
        "-m",
        "llama3.1-8b",
        "-a",
        "trn1",
        "--chips",
        "1024nc",
        "--tp",
        "32nc",
        "--format",
        "json",
    )
    assert code == 0
    rec = json.loads(out)
    assert rec["chips"] == 512 and rec["layout_degrees"]["tp"] == 16


def test_train_all_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys, "estimate", "train", "-m", "llama3-8b", "--chips", "64", "--tokens", "1e12"
    )
    assert code == 0
    assert "h100" in out and "tpu-v5p" in out


def test_train_all_table_fits_120_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped output honours COLUMNS=120: no line is wider, and a chip's row takes at most two
    lines (the issue saw 6-9), with the obligation its contract's term requires."""
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = cli(
        capsys, "estimate", "train", "-m", "llama3.1-70b", "--chips", "4096", "--tokens", "15e12"
    )
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 120
    assert "obligation" in out
    body = [ln for ln in lines if ln.startswith("│")]
    chips = [ln for ln in body if ln.split("│")[1].strip()]
    assert chips and len(body) <= 2 * len(chips)


def test_train_infeasible_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(
        capsys, "estimate", "train", "-m", "llama3.1-405b", "-a", "l4", "--chips", "8"
    )
    assert code == 2
    assert "needs >=" in err and "Traceback" not in err


def test_bad_model_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        "name: x\nlayers: 2\nhidden: 64\nheads: 4\nffn_hidden: 128\nvocab: 10\nseq_len: 8\ncolour: red\n"
    )
    code, _, err = cli(capsys, "estimate", "train", "-m", str(p), "-a", "h100", "--chips", "8")
    assert code == 2 and "m.yaml:8" in err and "colour" in err


def test_serve_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys,
        "estimate",
        "serve",
        "-m",
        "llama3-8b",
        "-a",
        "h100",
        "--tpot-ms",
        "30",
        "--format",
        "json",
    )
    assert code == 0
    (rec,) = json.loads(out)
    assert rec["tpot_ms"] <= 30 and rec["output_tokens_per_s_per_chip"] > 0
    assert rec["usd_per_million_output_tokens"] > 0
    # every way to buy the chip is priced; the firm cheapest matches the headline figure
    assert {c["contract"] for c in rec["costs"]} >= {"on-demand", "spot", "commit-3y"}
    firm = [c for c in rec["costs"] if c["contract"] != "spot"]
    cheapest = min(c["usd_per_million_output_tokens"] for c in firm)
    assert cheapest == pytest.approx(rec["usd_per_million_output_tokens"], rel=1e-3)


def test_matrix_writes_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = tmp_path / "w.yaml"
    w.write_text(
        "workloads:\n  - {name: t8, model: llama3-8b, mode: train, chips: 64}\n  - {name: s8, model: llama3-8b, mode: serve}\n"
    )
    out_path = tmp_path / "out" / "matrix.csv"
    code, _, _ = cli(
        capsys,
        "estimate",
        "matrix",
        str(w),
        "-o",
        str(out_path.parent),
        "--accelerators",
        "h100,trn2",
    )
    assert code == 0
    rows = list(csv.DictReader(out_path.read_text().splitlines()))
    assert {(r["workload"], r["accelerator"]) for r in rows} == {
        ("t8", "h100"),
        ("t8", "trn2"),
        ("s8", "h100"),
        ("s8", "trn2"),
    }
    assert all(float(r["work_per_chip_hour"]) > 0 for r in rows)


def test_calibrate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = tmp_path / "runs.csv"
    m.write_text(
        "id,accelerator,model,chips,tp,pp,dp,precision,seq_len,global_batch_seqs,value,unit\n"
        "mine-1,h100,llama3-8b,64,1,1,64,bf16,8192,512,9000,tokens_per_s_per_chip\n"
        "mine-2,h100,llama3-70b,256,8,4,8,bf16,8192,512,1000,tokens_per_s_per_chip\n"
    )
    out_path = tmp_path / "out" / "efficiency.csv"
    code, out, _ = cli(capsys, "estimate", "calibrate", str(m), "-o", str(out_path.parent))
    assert code == 0 and "median |error|" in out
    text = out_path.read_text()
    assert text.startswith("key,matmul_bf16") and "h100," in text
    # the file feeds back into estimates
    code, _, _ = cli(
        capsys,
        "estimate",
        "train",
        "-m",
        "llama3-8b",
        "-a",
        "h100",
        "--chips",
        "64",
        "--dp",
        "64",
        "--tp",
        "1",
        "--pp",
        "1",
        "--global-batch-tokens",
        str(512 * 8192),
        "--efficiency",
        str(out_path),
        "--format",
        "json",
    )
    assert code == 0


def test_calibrate_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = tmp_path / "runs.csv"
    m.write_text("id,accelerator,model\nx,h100,llama3-8b\n")
    code, _, err = cli(capsys, "estimate", "calibrate", str(m))
    assert code == 2 and "missing column" in err


def test_models_and_validate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "estimate", "models", "--format", "json")
    assert code == 0 and any(r["name"] == "deepseek-v3" for r in json.loads(out))
    code, out, _ = cli(capsys, "estimate", "validate")
    assert code == 0 and "median |error|" in out
