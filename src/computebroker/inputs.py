"""Reading user files at the edge: YAML and CSV with line numbers, pydantic errors as Issues.

Pydantic models validate what comes in from outside (scenario files, catalog files, API
bodies) and convert it into the frozen domain types; this module supplies the plumbing every
edge shares:

* :func:`load_yaml` parses YAML and remembers the line of every key and list item, so an error
  can say ``scenario.yaml:14: offers[2].price_chip_hour: ...``;
* :func:`read_csv_rows` reads a CSV file as dictionaries with their 1-based line numbers;
* :func:`validation_issues` turns a :class:`pydantic.ValidationError` into :class:`Issue`
  records carrying file, line and field.

Invariant: nothing here writes files or reads the environment.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from computebroker.errors import InputError, Issue

__all__ = [
    "CsvRow",
    "LocatedDocument",
    "format_loc",
    "load_yaml",
    "parse_yaml_text",
    "read_csv_rows",
    "validation_issues",
]

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class LocatedDocument:
    """A parsed YAML document and the 1-based line of every path in it."""

    data: Any
    source: str
    lines: Mapping[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """Line of the deepest prefix of ``loc`` that is known (None if none is)."""
        path = tuple(loc)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def _walk(node: yaml.Node, path: Loc, lines: dict[Loc, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            child = (*path, key)
            _walk(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def parse_yaml_text(text: str, source: str) -> LocatedDocument:
    """Parse YAML text, keeping line numbers; a syntax error becomes an :class:`InputError`.

    Examples
    --------
    >>> doc = parse_yaml_text("a: 1\\nb:\\n  - x: 2\\n", "t.yaml")
    >>> doc.data
    {'a': 1, 'b': [{'x': 2}]}
    >>> doc.line_of(("b", 0, "x"))
    3
    """
    try:
        node = yaml.compose(io.StringIO(text), Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError.single(source, f"not valid YAML: {problem}", line=line) from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return LocatedDocument(data=data, source=source, lines=lines)


def load_yaml(path: Path | str) -> LocatedDocument:
    """Read and parse a YAML file; a missing or unreadable file is an :class:`InputError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.single(str(p), "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(str(p), f"cannot read file: {exc}") from None
    return parse_yaml_text(text, str(p))


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One CSV data row with its 1-based line number in the file (header is line 1)."""

    line: int
    values: dict[str, str]


def read_csv_rows(
    path: Path | str, *, required: Sequence[str] = (), text: str | None = None
) -> tuple[list[str], list[CsvRow]]:
    """Read a CSV file into rows; check the header has every ``required`` column.

    Empty cells are kept as empty strings; surrounding whitespace is stripped.
    """
    source = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputError.single(source, "file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError.single(source, f"cannot read file: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError.single(source, "empty file: expected a header row", line=1) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError.single(
            source,
            f"missing column(s) {', '.join(missing)}; the header must contain "
            f"{', '.join(required)}",
            line=1,
        )
    rows: list[CsvRow] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            raise InputError.single(
                source,
                f"row has {len(values)} cells but the header has {len(header)} columns",
                line=line,
            )
        padded = [*values, *([""] * (len(header) - len(values)))]
        rows.append(
            CsvRow(line=line, values={h: v.strip() for h, v in zip(header, padded, strict=True)})
        )
    return header, rows


def format_loc(loc: Sequence[str | int]) -> str:
    """Render a pydantic location as a dotted path with list indices.

    Examples
    --------
    >>> format_loc(("offers", 2, "price_chip_hour"))
    'offers[2].price_chip_hour'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validation_issues(
    exc: ValidationError,
    source: str,
    *,
    doc: LocatedDocument | None = None,
    prefix: Sequence[str | int] = (),
    line: int | None = None,
) -> list[Issue]:
    """Convert a pydantic validation error into Issues naming file, line and field."""
    issues: list[Issue] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        full = (*prefix, *loc)
        where = line
        if doc is not None:
            where = doc.line_of(full)
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        value = err.get("input") if err["type"] != "missing" else None
        if isinstance(value, dict | list):
            value = None
        issues.append(
            Issue(
                source=source,
                line=where,
                field=format_loc(full) or None,
                message=message,
                value=value,
            )
        )
    return issues
