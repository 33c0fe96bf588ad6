"""The hostile inputs of simulate_place.py through the real CLI entry point, with the corpus
runner's checks (test_corpus.check_case); the valid inputs at the bounds also answer strict
JSON (no NaN or Infinity, which no JSON parser but Python's accepts)."""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from computebroker.errors import InputError
from computebroker.sim.traces import Trace, read_trace
from tests.hostile.corpus import Case
from tests.hostile.simulate_place import SIM_PLACE_CASES, VALID_JSON_CASES
from tests.hostile.test_corpus import Check


@pytest.mark.parametrize("case", SIM_PLACE_CASES, ids=[c.id for c in SIM_PLACE_CASES])
def test_sim_place_input(case: Case, check: Check) -> None:
    check(case)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} in the JSON output")


@pytest.mark.parametrize("case", VALID_JSON_CASES, ids=[c.id for c in VALID_JSON_CASES])
def test_valid_input_at_a_bound_answers_strict_json(
    case: Case,
    check: Check,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check(case)
    # check_case read the output; run again for stdout
    from computebroker.cli.app import run

    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{d}", str(tmp_path)) for a in case.argv]
    assert run(argv) == 0
    json.loads(capsys.readouterr().out, parse_constant=_no_constant)


# --- property: whatever a Gavel cell or a JSONL value holds, the reader answers a trace whose
# numbers are all finite, or an InputError; never another exception ---------------------------

_CELLS = st.sampled_from(
    ["0", "-0", "1", "-1", "1.5", "1e3", "nan", "inf", "-inf", "1e308", "1e999", "9" * 30, "x", ""]
)
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
_FIELDS = st.sampled_from(
    ["id", "job_type", "arrival_s", "work", "chips", "weight", "accelerators", "demand", "kind"]
)


def _finite(trace: Trace) -> None:
    for j in trace.jobs:
        for x in (j.arrival, j.work, j.weight, j.deadline or 0.0, float(j.chips)):
            assert math.isfinite(x), j


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_CELLS, min_size=5, max_size=5))
def test_gavel_cells_are_read_finite_or_refused(tmp_path: Path, cells: list[str]) -> None:
    steps, sf, weight, slo, arrival = cells
    path = tmp_path / "t.trace"
    path.write_text("\t".join(["A3C", "cmd", "dir", "--n", "1", steps, sf, weight, slo, arrival]))
    with contextlib.suppress(InputError):
        _finite(read_trace(path))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_FIELDS, _VALUES)
def test_jsonl_values_are_read_finite_or_refused(tmp_path: Path, name: str, value: object) -> None:
    row: dict[str, object] = {"job_type": "A3C", "arrival_s": 0, "work": 1, name: value}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with contextlib.suppress(InputError):
        _finite(read_trace(path))
