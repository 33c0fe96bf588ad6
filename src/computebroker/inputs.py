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
import json
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError, ValidationInfo, field_validator

from computebroker.errors import InputError, Issue

__all__ = [
    "CsvRow",
    "LocatedDocument",
    "NumbersNotBools",
    "decode_text",
    "format_loc",
    "load_json",
    "load_yaml",
    "parse_json_text",
    "parse_yaml_text",
    "read_csv_rows",
    "read_text",
    "validation_issues",
]

Loc = tuple[str | int, ...]


def _kinds(annotation: Any) -> set[type]:
    """The plain types an annotation admits (through Annotated, unions and Optional)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin is Union or type(annotation).__name__ == "UnionType":
        return set().union(*(_kinds(a) for a in get_args(annotation)))
    return {annotation} if isinstance(annotation, type) else set()


class NumbersNotBools(BaseModel):
    """A model whose numeric fields refuse ``true``/``false``: pydantic's lax mode reads
    ``periods: true`` as 1 and ``max_chips: false`` as 0, and a YAML ``yes`` is a bool."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_number(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            kinds = _kinds(cls.model_fields[info.field_name].annotation)
            if kinds & {int, float} and bool not in kinds:
                raise ValueError(f"expected a number, not {str(value).lower()}")
        return value


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


# Bounds on what a user file may hold. They sit far above any real scenario, catalog, fleet or
# trace (the bundled frontier-lab scenario is 9 KiB and ~600 YAML nodes; Gavel's largest trace
# is 1.6 MiB) and far below what exhausts memory or the interpreter's stack: a hostile file is
# refused in milliseconds instead of growing without bound.
MAX_TEXT_BYTES = 64 * 1024 * 1024  # any text input (YAML, CSV, JSON, trace)
MAX_YAML_BYTES = 8 * 1024 * 1024  # a YAML document
MAX_YAML_NODES = 200_000  # scalars, lists and mappings, counted after alias expansion
MAX_YAML_DEPTH = 64  # nesting of lists and mappings
MAX_YAML_ALIASES = 1_000  # `*anchor` references in one document
# characters of an integer: far beyond any count or amount an input holds (a 64-bit integer has
# 19 digits), and below the 4,300 digits past which Python refuses to convert one (ValueError)
MAX_YAML_INT_CHARS = 100


def parse_yaml_text(text: str, source: str) -> LocatedDocument:
    """Parse YAML text, keeping line numbers; a syntax error becomes an :class:`InputError`.

    The document is bounded (size, nesting, alias expansion) and strict: a key given twice is
    an error, ``7e0`` is a number, ``.inf`` and ``.nan`` are refused.

    Examples
    --------
    >>> doc = parse_yaml_text("a: 1\\nb:\\n  - x: 2e3\\n", "t.yaml")
    >>> doc.data
    {'a': 1, 'b': [{'x': 2000.0}]}
    >>> doc.line_of(("b", 0, "x"))
    3
    >>> parse_yaml_text("a: 1\\na: 2\\n", "t.yaml")
    Traceback (most recent call last):
    ...
    computebroker.errors.InputError: t.yaml:2: not valid YAML: key 'a' is given twice (first on line 1); each key may appear once in a mapping
    """
    if len(text) > MAX_YAML_BYTES:
        raise InputError.single(
            source,
            f"the file is {len(text):,} characters; a YAML input may hold at most "
            f"{MAX_YAML_BYTES:,}",
        )
    import yaml  # here, not at import: a run that reads no YAML never loads PyYAML

    from computebroker._yaml import BoundedLoader, too_many_values, walk_lines

    crowded = too_many_values(text)
    if crowded is not None:
        raise InputError.single(
            source,
            f"not valid YAML: the document holds more than {MAX_YAML_NODES:,} values; a "
            "scenario or catalog needs far fewer",
            line=crowded,
        )
    try:
        loader = BoundedLoader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters up front
        raise InputError.single(source, f"not valid YAML: {exc}") from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except RecursionError:
        raise InputError.single(
            source, f"not valid YAML: nested more than {MAX_YAML_DEPTH} levels deep"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError.single(source, f"not valid YAML: {problem}", line=line) from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        walk_lines(node, lines)
    return LocatedDocument(data=data, source=source, lines=lines)


def read_text(
    path: Path | str, *, max_bytes: int = MAX_TEXT_BYTES, field: str | None = None
) -> str:
    """The text of a user's file, refused with an :class:`InputError` when it is missing, not a
    regular file (a folder, ``/dev/zero``), larger than ``max_bytes``, binary, or not UTF-8.

    Examples
    --------
    >>> read_text("/nonexistent/x.yaml")
    Traceback (most recent call last):
    ...
    computebroker.errors.InputError: /nonexistent/x.yaml: file not found
    """
    p = Path(path)
    source = str(p)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError.single(source, "file not found", field=field) from None
    except OSError as exc:
        raise InputError.single(source, f"cannot read file: {exc.strerror}", field=field) from None
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise InputError.single(source, f"{what}; expected a text file", field=field)
    if st.st_size > max_bytes:
        raise InputError.single(
            source,
            f"the file is {st.st_size:,} bytes; at most {max_bytes:,} are accepted",
            field=field,
        )
    try:
        with p.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError.single(source, f"cannot read file: {exc.strerror}", field=field) from None
    if len(raw) > max_bytes:
        raise InputError.single(
            source, f"the file holds more than {max_bytes:,} bytes", field=field
        )
    return decode_text(raw, source, field=field)


def decode_text(raw: bytes, source: str, *, field: str | None = None) -> str:
    """UTF-8 text of ``raw`` (a BOM is dropped); binary data is an :class:`InputError`."""
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise InputError.single(
            source,
            "binary data (a NUL byte); expected a text file (YAML, CSV or JSON)",
            line=line,
            field=field,
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError.single(
            source,
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the "
            "file as UTF-8",
            line=line,
            field=field,
        ) from None


def load_yaml(path: Path | str) -> LocatedDocument:
    """Read and parse a YAML file; a missing, unreadable, binary or oversized file is an
    :class:`InputError`."""
    p = Path(path)
    return parse_yaml_text(read_text(p, max_bytes=MAX_YAML_BYTES), str(p))


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def parse_json_text(text: str, source: str) -> Any:
    """Parse JSON text; bad JSON, NaN/Infinity or nesting deeper than the interpreter's stack
    is an :class:`InputError` naming the line.

    Examples
    --------
    >>> parse_json_text('{"a": [1, 2.5]}', "m.json")
    {'a': [1, 2.5]}
    >>> parse_json_text('{"a": NaN}', "m.json")
    Traceback (most recent call last):
    ...
    computebroker.errors.InputError: m.json: not valid JSON: NaN is not a finite number
    """
    if len(text) > MAX_TEXT_BYTES:
        raise InputError.single(source, f"more than {MAX_TEXT_BYTES:,} characters of JSON")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError.single(source, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    except ValueError as exc:
        raise InputError.single(source, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError.single(source, "not valid JSON: nested too deeply") from None


def load_json(path: Path | str, *, field: str | None = None) -> Any:
    """Read and parse a JSON file (see :func:`read_text` and :func:`parse_json_text`)."""
    return parse_json_text(read_text(path, field=field), str(path))


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
        text = read_text(path)
    # universal newlines: a file saved with old-Mac CR line ends was 'not valid CSV: new-line
    # character seen in unquoted field' on line 1 (found by fuzz2)
    reader = csv.reader(io.StringIO(text, newline=None))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError.single(source, "empty file: expected a header row", line=1) from None
    except csv.Error as exc:
        raise InputError.single(source, f"not valid CSV: {exc}", line=1) from None
    twice = next((h for i, h in enumerate(header) if h in header[:i]), None)
    if twice is not None:
        raise InputError.single(
            source, f"column {twice!r} is given twice in the header", line=1, field=twice
        )
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError.single(
            source,
            f"missing column(s) {', '.join(missing)}; the header must contain "
            f"{', '.join(required)}",
            line=1,
        )
    rows: list[CsvRow] = []
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError.single(source, f"not valid CSV: {exc}", line=reader.line_num) from None
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
