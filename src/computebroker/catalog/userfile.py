"""A user's own catalog file (``--catalog FILE``): private chips, offerings and deals.

YAML holds up to three lists, ``accelerators``, ``offerings`` and ``deals``::

    offerings:
      - cloud: acme
        region: us-east
        instance_type: acme-8xh100
        accelerator: H100          # any alias, any case
        chips: 8
        price_hour: 39.0           # USD per instance-hour
    deals:
      - id: gcp-ironwood-2026
        provider: gcp
        accelerator: Ironwood
        price_chip_hour: 2.10
        term_months: 36
        min_chips: 50000
        max_chips: 400000
        delivery: [{start: 2026Q3, chips: 100000}, {start: 2027Q1, chips: 400000}]

A CSV holds one kind of record, told by its header: offerings (``instance_type``), deals
(``term_months``) or accelerators (``bf16_tflops``). Deal delivery in CSV is written
``2026Q3:100000;2027Q1:400000``.

Every problem is reported with file, line, field and what was expected; nothing is merged when
any row is bad.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from computebroker.catalog.accelerators import AcceleratorIndex
from computebroker.catalog.catalog import Catalog
from computebroker.catalog.schema import (
    AcceleratorRow,
    DealRow,
    UserCatalogFile,
    UserOfferingRow,
)
from computebroker.catalog.types import Accelerator, Deal, Offering
from computebroker.errors import InputError, Issue, UnknownNameError
from computebroker.inputs import (
    LocatedDocument,
    load_yaml,
    parse_yaml_text,
    read_csv_rows,
    validation_issues,
)

__all__ = ["read_user_catalog", "read_user_catalog_text"]

_KINDS = ("accelerators", "offerings", "deals")
_MODELS: Mapping[str, type[BaseModel]] = {
    "accelerators": AcceleratorRow,
    "offerings": UserOfferingRow,
    "deals": DealRow,
}


def _records_from_yaml(
    doc: LocatedDocument,
) -> dict[str, list[tuple[int | None, Any, tuple[str | int, ...]]]]:
    if doc.data is None:
        raise InputError.single(doc.source, "empty file: expected accelerators, offerings or deals")
    if not isinstance(doc.data, dict):
        raise InputError.single(
            doc.source, "expected a mapping with keys accelerators, offerings, deals", line=1
        )
    try:
        UserCatalogFile.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(validation_issues(exc, doc.source, doc=doc)) from None
    out: dict[str, list[tuple[int | None, Any, tuple[str | int, ...]]]] = {k: [] for k in _KINDS}
    for kind in _KINDS:
        for i, item in enumerate(doc.data.get(kind) or []):
            out[kind].append((doc.line_of((kind, i)), item, (kind, i)))
    return out


def _records_from_csv(path: Path) -> dict[str, list[tuple[int | None, Any, tuple[str | int, ...]]]]:
    header, rows = read_csv_rows(path)
    required: tuple[str, ...]
    if "instance_type" in header:
        kind = "offerings"
        required = ("cloud", "region", "instance_type", "accelerator", "chips")
    elif "term_months" in header:
        kind = "deals"
        required = ("id", "provider", "accelerator", "price_chip_hour", "term_months", "max_chips")
    elif "bf16_tflops" in header:
        kind = "accelerators"
        required = ("id", "name", "vendor", "source", "as_of")
    else:
        raise InputError.single(
            str(path),
            "cannot tell what this CSV holds: an offerings header has cloud, region, "
            "instance_type, accelerator, chips, price_hour; a deals header has id, provider, "
            "accelerator, price_chip_hour, term_months, max_chips; an accelerators header has "
            "id, name, vendor, bf16_tflops, source, as_of",
            line=1,
        )
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError.single(
            str(path),
            f"missing column(s) {', '.join(missing)} for a {kind} file; expected "
            f"{', '.join(required)}",
            line=1,
        )
    if not rows:
        raise InputError.single(str(path), f"a header of {kind} and no rows below it", line=2)
    out: dict[str, list[tuple[int | None, Any, tuple[str | int, ...]]]] = {k: [] for k in _KINDS}
    out[kind] = [(r.line, r.values, ()) for r in rows]
    return out


_Records = dict[str, list[tuple[int | None, Any, tuple[str | int, ...]]]]


# rows in one user catalog file: 50x the shipped catalog's ~2,000 offerings; more is a dump of
# something else, and validating it would take minutes
MAX_RECORDS = 100_000


def _load_records(path: Path, text: str | None) -> tuple[LocatedDocument | None, _Records]:
    doc, records = _read_records(path, text)
    n = sum(len(v) for v in records.values())
    if n > MAX_RECORDS:
        raise InputError.single(
            str(path), f"{n:,} rows; a catalog file holds at most {MAX_RECORDS:,}"
        )
    return doc, records


def _read_records(path: Path, text: str | None) -> tuple[LocatedDocument | None, _Records]:
    suffix = path.suffix.lower()
    if text is not None:
        doc = parse_yaml_text(text, str(path))
        return doc, _records_from_yaml(doc)
    if suffix in {".yaml", ".yml"}:
        doc = load_yaml(path)
        return doc, _records_from_yaml(doc)
    if suffix == ".csv":
        return None, _records_from_csv(path)
    raise InputError.single(
        str(path), f"unsupported file type {suffix!r}; expected .yaml, .yml or .csv"
    )


@dataclass(slots=True)
class _Reader:
    """State of one validation pass: where, what is known, and every issue found so far."""

    source: str
    doc: LocatedDocument | None
    defaults: dict[str, str]
    issues: list[Issue] = field(default_factory=list)

    def parse(
        self, kind: str, records: _Records
    ) -> list[tuple[int | None, Any, tuple[str | int, ...]]]:
        parsed = []
        for line, raw, loc in records[kind]:
            if not isinstance(raw, dict):
                self.issues.append(
                    Issue(
                        source=self.source,
                        line=line,
                        field=_fmt(loc),
                        message="expected a mapping of field: value",
                    )
                )
                continue
            record = {**self.defaults, **raw} if kind == "accelerators" else raw
            try:
                parsed.append((line, _MODELS[kind].model_validate(record), loc))
            except ValidationError as exc:
                self.issues.extend(
                    validation_issues(exc, self.source, doc=self.doc, prefix=loc, line=line)
                )
        return parsed

    def unique(self, seen: dict[str, int | None], key: str, line: int | None) -> None:
        if key in seen:
            self.issues.append(_dup(self.source, line, "id", key, seen[key]))
        seen[key] = line

    def resolve(
        self, index: AcceleratorIndex, name: str, line: int | None, loc: tuple[str | int, ...]
    ) -> str | None:
        full = (*loc, "accelerator")
        if self.doc is not None:
            line = self.doc.line_of(full)
        try:
            return index.resolve(name, source=self.source, line=line).id
        except UnknownNameError as exc:
            self.issues.append(
                Issue(
                    source=self.source, line=line, field=_fmt(full), message=exc.issues[0].message
                )
            )
            return None


def read_user_catalog_text(name: str, text: str, base: Catalog) -> Catalog:
    """:func:`read_user_catalog` of YAML ``text`` (a file's contents, e.g. a team's stored
    offers) named ``name`` in every message."""
    return read_user_catalog(Path(name), base, text=text)


def read_user_catalog(path: Path, base: Catalog, *, text: str | None = None) -> Catalog:
    """Validate a user catalog file and return ``base`` with its rows merged over (``text``:
    the file's YAML contents, given instead of reading ``path``).

    Raises
    ------
    InputError
        Every problem found, each with file, line, field and what was expected.
    """
    doc, records = _load_records(path, text)
    try:
        mtime = (
            "unknown"
            if text is not None
            else dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
        )
    except OSError:
        mtime = "unknown"
    default_source = f"user file {path.name}"
    reader = _Reader(str(path), doc, {"source": default_source, "as_of": mtime})
    acc_rows = reader.parse("accelerators", records)
    off_rows = reader.parse("offerings", records)
    deal_rows = reader.parse("deals", records)

    new_accs: list[Accelerator] = []
    seen: dict[str, int | None] = {}
    for line, row, _ in acc_rows:
        assert isinstance(row, AcceleratorRow)
        reader.unique(seen, row.id, line)
        new_accs.append(row.to_domain(private=True))
    index = AcceleratorIndex.build([*base.accelerators, *new_accs])

    offerings: list[Offering] = []
    seen = {}
    for line, row, loc in off_rows:
        assert isinstance(row, UserOfferingRow)
        reader.unique(seen, row.key, line)
        acc_id = reader.resolve(index, row.accelerator, line, loc)
        if acc_id is not None:
            offerings.append(
                row.to_domain(acc_id, source=default_source, as_of=mtime, private=True)
            )

    deals: list[Deal] = []
    seen = {}
    for line, row, loc in deal_rows:
        assert isinstance(row, DealRow)
        reader.unique(seen, row.id, line)
        acc_id = reader.resolve(index, row.accelerator, line, loc)
        if acc_id is not None:
            deals.append(row.to_domain(acc_id, source=default_source, as_of=mtime))

    if reader.issues:
        raise InputError(sorted(reader.issues, key=lambda i: i.line or 0))
    return base.merged(accelerators=new_accs, offerings=offerings, deals=deals, source=str(path))


def _dup(source: str, line: int | None, field: str, value: str, first: int | None) -> Issue:
    where = f" (first defined on line {first})" if first is not None else ""
    return Issue(
        source=source,
        line=line,
        field=field,
        message=f"duplicate id {value!r}{where}; ids must be unique within a file",
    )


def _fmt(loc: tuple[str | int, ...]) -> str:
    from computebroker.inputs import format_loc

    return format_loc(loc)
