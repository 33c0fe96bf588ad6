"""The simulate table says why jobs were rejected at arrival, one line per reason (the JSON
carries the same in ``rejected_reasons``); the summary alone only counted them."""

from __future__ import annotations

from pathlib import Path

import pytest

from computebroker.cli.app import run

# two 64-chip gangs and one 1-chip job on 4 V100 + 8 K80: the gangs fit in no pool
TRACE = "job_type,arrival_s,work,chips\nA3C,0,100,64\nA3C,10,100,64\nA3C,0,100,1\n"


def test_the_table_gives_each_rejection_reason_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per reason
    trace = tmp_path / "t.csv"
    trace.write_text(TRACE)
    args = ["simulate", "--fleet", "v100=4,k80=8", "--throughputs", "gavel", "--trace"]
    assert run([*args, str(trace)]) == 0
    out = capsys.readouterr().out
    lines = [x for x in out.splitlines() if "rejected:" in x]
    assert lines == ["2 jobs rejected: needs 64 chips; the largest pool that can run it has 8"]
    assert out.index("Pools") < out.index("2 jobs rejected")
