"""Property: whatever bytes a user file holds, the readers answer with a value or an
InputError (exit 2 at the CLI), never another exception, and quickly."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from computebroker.catalog import Catalog, load_catalog
from computebroker.errors import InputError
from computebroker.inputs import decode_text, parse_json_text, parse_yaml_text
from computebroker.planner.scenario import parse_scenario
from computebroker.sim.traces import read_trace

from .corpus import SCENARIO

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# YAML-ish text: the characters that make YAML structure, so the generator reaches deep code
yamlish = st.text(
    alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#,. \n\t01e+.nanif")), max_size=300
)


@FAST
@given(yamlish)
def test_yaml_text_is_parsed_or_refused(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_yaml_text(text, "f.yaml")


@FAST
@given(st.binary(max_size=300))
def test_bytes_are_decoded_or_refused(raw: bytes) -> None:
    with contextlib.suppress(InputError):
        parse_yaml_text(decode_text(raw, "f.yaml"), "f.yaml")


@FAST
@given(st.text(alphabet=st.sampled_from(list('{}[]":,0123456789.eNaIfity -\n')), max_size=200))
def test_json_text_is_parsed_or_refused(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_json_text(text, "f.json")


_LINES = SCENARIO.splitlines(keepends=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, len(_LINES) - 1),
    st.sampled_from(["-1", "0", ".inf", "'nan'", "1e400", "[]", "{}", "~", "7e0", "''", "x: y"]),
)
def test_scenario_with_one_value_replaced_is_accepted_or_refused(line: int, value: str) -> None:
    lines = list(_LINES)
    head, sep, _ = lines[line].partition(": ")
    if not sep:
        return
    lines[line] = f"{head}: {value}\n"
    with contextlib.suppress(InputError):
        parse_scenario("".join(lines), _catalog(), "s.yaml")


_CAT: list[Catalog] = []


def _catalog() -> Catalog:
    if not _CAT:
        _CAT.append(load_catalog())
    return _CAT[0]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.text(alphabet=st.sampled_from(list('a3c,01-.e"nif:;|x ')), max_size=40), max_size=6)
)
def test_trace_rows_are_read_or_refused(tmp_path: Path, rows: list[str]) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,job_type,arrival_s,work,chips,demand\n" + "\n".join(rows) + "\n")
    with contextlib.suppress(InputError):
        read_trace(path)


@pytest.mark.parametrize("depth", [10, 63, 65, 10_000])
def test_nesting_is_bounded(depth: int) -> None:
    text = "[" * depth + "]" * depth
    if depth < 64:
        assert parse_yaml_text(text, "f.yaml").data is not None
    else:
        with pytest.raises(InputError, match="nested more than"):
            parse_yaml_text(text, "f.yaml")
