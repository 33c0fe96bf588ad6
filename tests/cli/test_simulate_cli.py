"""Integration: `computebroker simulate` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from computebroker.cli.app import run


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_gavel_json_has_the_documented_keys(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = cli(
        capsys,
        "simulate",
        "--fleet",
        "v100=8,p100=16,k80=24",
        "--trace",
        "gavel:max_min_fairness",
        "--throughputs",
        "gavel",
        "--policy",
        "max-min-fairness",
        "--format",
        "json",
        "-o",
        str(tmp_path / "r"),
    )
    assert code == 0, err
    doc = json.loads(out)
    for key in (
        "policy",
        "jobs",
        "avg_jct_s",
        "p99_jct_s",
        "makespan_s",
        "utilisation",
        "cost_usd",
        "work_lost",
    ):
        assert key in doc
    assert doc["jobs"] == 96 and doc["policy"] == "max-min-fairness"
    assert (
        json.loads((tmp_path / "r" / "simulate.json").read_text())["avg_jct_s"] == doc["avg_jct_s"]
    )
    html = (tmp_path / "r" / "simulate.html").read_text()
    assert "Chips in use by pool" in html and "<script src=" not in html


def test_generate_save_and_replay(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    code, out, err = cli(
        capsys,
        "simulate",
        "--fleet",
        "v100=4,k80=4",
        "--throughputs",
        "gavel",
        "--generate",
        "30",
        "--arrival-rate",
        "4",
        "--seed",
        "3",
        "--save-trace",
        str(trace),
        "--policy",
        "greedy-fast",
        "-f",
        "json",
    )
    assert code == 0, err
    first = json.loads(out)
    code, out, _ = cli(
        capsys,
        "simulate",
        "--fleet",
        "v100=4,k80=4",
        "--throughputs",
        "gavel",
        "--trace",
        str(trace),
        "--policy",
        "greedy-fast",
        "-f",
        "json",
    )
    assert code == 0
    assert json.loads(out)["avg_jct_s"] == pytest.approx(first["avg_jct_s"])


def test_bad_inputs_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(
        capsys,
        "simulate",
        "--fleet",
        "v100=8",
        "--trace",
        "gavel:max_min_fairness",
        "--throughputs",
        "gavel",
        "--policy",
        "fifa",
    )
    assert code == 2 and "did you mean 'fifo'" in err
    code, _, err = cli(capsys, "simulate", "--fleet", "v100=8", "--trace", "gavel:max_min_fairness")
    assert code == 2 and "--throughputs" in err
    code, _, err = cli(
        capsys, "simulate", "--fleet", "nonsense", "--trace", "x.csv", "--throughputs", "gavel"
    )
    assert code == 2 and "expected a fleet" in err


def test_rounds_gavel_runs_gavels_las_trace(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "--fleet", "v100=8,p100=16,k80=24", "--trace", "gavel:max_min_fairness"]
    args += ["--throughputs", "gavel", "--policy", "max-min-fairness", "--format", "json"]
    jct = {}
    for mode in ("fluid", "gavel"):
        code, out, err = cli(capsys, *args, "--rounds", mode)
        assert code == 0, err
        doc = json.loads(out)
        assert doc["finished"] == 96
        jct[mode] = doc["avg_jct_s"]
    # whole rounds and the allocation throttle realise the shares less well than the fluid limit
    assert jct["gavel"] > jct["fluid"]
    code, _, err = cli(capsys, *args, "--rounds", "gavelish")
    assert code == 2 and "gavelish" in err


def test_the_run_pauses_the_collector_and_restores_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the cyclic collector is off while the simulation runs (cli.simulate_cmd, the command's
    # edge) and as it was after it, also when the run fails
    import gc

    from computebroker.cli import simulate_cmd
    from computebroker.sim import simulate as real

    seen: list[bool] = []

    def spy(*args: Any, **kw: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kw)

    monkeypatch.setattr(simulate_cmd, "simulate", spy)
    args = ("simulate", "--fleet", "v100=2", "--generate", "5", "--throughputs", "gavel")
    code, _, err = cli(capsys, *args, "--format", "json")
    assert code == 0, err
    assert seen == [False] and gc.isenabled()

    def boom(*args: object, **kw: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(simulate_cmd, "simulate", boom)
    assert cli(capsys, *args)[0] == 130
    assert gc.isenabled()
