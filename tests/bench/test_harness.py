"""The benchmark harness computes each row's pass from its stated target; rows without a
target show a dash, never "yes"."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from bench.harness import (
    NO_TARGET,
    Result,
    Target,
    above,
    at_least,
    at_most,
    below,
    render_section,
    write_section,
)


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [
        (below(60), 59.9, True),
        (below(60), 60.0, False),
        (at_most(0.1), 0.1, True),
        (at_most(0.1), 0.1000001, False),
        (above(1), 1.0, False),
        (above(1), 1.01, True),
        (at_least(8), 8.0, True),
        (at_least(8), 7.99, False),
        (below(60), math.nan, False),
        (at_least(8), math.nan, False),
    ],
)
def test_pass_is_computed_against_the_target(target: Target, value: float, expected: bool) -> None:
    r = Result(name="m", value=value, unit="s", target=target)
    assert r.passed is expected
    assert r.pass_text == ("yes" if expected else "**no**")


@pytest.mark.parametrize("target", [None, "growth", "reference"])
def test_rows_without_a_target_have_no_pass(target: str | None) -> None:
    r = Result(name="m", value=123.0, unit="s", target=target)
    assert r.passed is None and r.pass_text == NO_TARGET
    assert r.target_text == (target or NO_TARGET)


def test_targets_are_shown_with_the_unit_and_refuse_nonsense() -> None:
    assert Result(name="m", value=1, unit="MiB", target=below(4096)).target_text == "< 4,096 MiB"
    assert above(1, "> 1 (Gavel)").shown("x") == "> 1 (Gavel)"
    with pytest.raises(ValueError, match="operator"):
        Target("==", 1.0)
    with pytest.raises(ValueError, match="finite"):
        Target("<", math.inf)


def rows(markdown: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.strip("|").split("|")]
        for line in markdown.splitlines()
        if line.startswith("| ") and not line.startswith("| measure")
    ]


def test_section_table_pass_column() -> None:
    text = render_section(
        "t",
        [
            Result(name="fast", value=10.0, unit="s", target=below(60)),
            Result(name="slow", value=70.0, unit="s", target=below(60)),
            Result(name="growth row", value=5.0, unit="s", target="growth"),
            Result(name="bare row", value=5.0, unit="s"),
        ],
        measured="now on here",
    )
    assert rows(text) == [
        ["fast", "10 s", "< 60 s", "yes"],
        ["slow", "70 s", "< 60 s", "**no**"],
        ["growth row", "5 s", "growth", NO_TARGET],
        ["bare row", "5 s", NO_TARGET, NO_TARGET],
    ]
    assert "Measured now on here." in text


def test_write_section_replaces_only_its_own_section(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    write_section("a", [Result(name="x", value=1.0, unit="s", target=below(2))], path=path)
    write_section("b", [Result(name="y", value=3.0, unit="s", target=below(2))], path=path)
    write_section(
        "a", [Result(name="x", value=5.0, unit="s", target=below(2))], r"C:\new", path=path
    )
    text = path.read_text()
    assert text.count("## a") == 1 and text.count("## b") == 1
    assert "| x | 5 s | < 2 s | **no** |" in text and "| y | 3 s | < 2 s | **no** |" in text
    assert r"C:\new" in text  # the section is inserted literally, not as a regex template


def test_a_row_without_a_figure_says_why_and_fails_its_target() -> None:
    text = render_section(
        "t",
        [
            Result(
                name="big",
                value=math.nan,
                unit="s",
                target=below(600),
                missing="not finished (> 1,500 s wall)",
            ),
            Result(name="context", value=math.nan, unit="s", target="growth"),
        ],
        measured="now on here",
    )
    assert rows(text) == [
        ["big", "not finished (> 1,500 s wall)", "< 600 s", "**no**"],
        ["context", "not measured", "growth", NO_TARGET],
    ]
    assert "nan" not in text
