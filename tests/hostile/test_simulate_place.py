"""The hostile inputs of simulate_place.py through the real CLI entry point, with the corpus
runner's checks (test_corpus.check_case); the valid inputs at the bounds also answer strict
JSON (no NaN or Infinity, which no JSON parser but Python's accepts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.corpus import Case
from tests.hostile.simulate_place import SIM_PLACE_CASES, VALID_JSON_CASES
from tests.hostile.test_corpus import check_case


@pytest.mark.parametrize("case", SIM_PLACE_CASES, ids=[c.id for c in SIM_PLACE_CASES])
def test_sim_place_input(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check_case(case, tmp_path, capsys, monkeypatch)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} in the JSON output")


@pytest.mark.parametrize("case", VALID_JSON_CASES, ids=[c.id for c in VALID_JSON_CASES])
def test_valid_input_at_a_bound_answers_strict_json(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check_case(case, tmp_path, capsys, monkeypatch)
    # check_case read the output; run again for stdout
    from computebroker.cli.app import run

    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{d}", str(tmp_path)) for a in case.argv]
    assert run(argv) == 0
    json.loads(capsys.readouterr().out, parse_constant=_no_constant)
