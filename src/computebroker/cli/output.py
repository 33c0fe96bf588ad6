"""Rendering rows for the terminal (rich tables), JSON and CSV; one place for number formats."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["Format", "fmt_money", "fmt_num", "fmt_usd", "make_console", "render_rows"]


def make_console(*, stderr: bool = False) -> Console:
    """A console for command output: terminal width on a TTY, at least 160 columns otherwise
    (pipes, logs, CI), so that tables do not fold into unreadable columns."""
    import os

    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return probe
    width = max(160, int(os.environ.get("COLUMNS", "0") or 0))
    return Console(stderr=stderr, width=width)


class Format(StrEnum):
    """Output formats shared by every command."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def fmt_num(value: float | int | None, digits: int = 2) -> str:
    """Human number: thousands separators, ``—`` for missing.

    Examples
    --------
    >>> fmt_num(1234567.891), fmt_num(None), fmt_num(0.01234, 3)
    ('1,234,567.89', '—', '0.012')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def fmt_money(value: float | None, digits: int = 2) -> str:
    """USD with a dollar sign.

    Examples
    --------
    >>> fmt_money(6.88), fmt_money(None)
    ('$6.88', '—')
    """
    return "—" if value is None else "$" + fmt_num(value, digits)


def fmt_usd(value: float | None) -> str:
    """Large dollar amounts in M or B.

    Examples
    --------
    >>> fmt_usd(132_748_195_476), fmt_usd(84_907_150), fmt_usd(950.0), fmt_usd(-1.5e9)
    ('$132.75B', '$84.9M', '$950', '-$1.50B')
    """
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e9:
        return f"{sign}${v / 1e9:,.2f}B"
    if v >= 1e6:
        return f"{sign}${v / 1e6:,.1f}M"
    return f"{sign}${v:,.0f}"


def render_rows(
    console: Console,
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    title: str | None = None,
    columns: Sequence[tuple[str, str]] | None = None,
    formatters: Mapping[str, Any] | None = None,
    caption: str | None = None,
) -> None:
    """Print rows as a rich table, a JSON array or CSV (all keys of the rows).

    ``columns`` picks (key, header) pairs for the table; JSON and CSV carry every key.
    """
    if fmt is Format.JSON:
        console.file.write(json.dumps(list(rows), indent=2, default=str) + "\n")
        return
    if fmt is Format.CSV:
        buf = io.StringIO()
        keys = list(rows[0].keys()) if rows else [k for k, _ in columns or []]
        w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if r.get(k) is None else r.get(k) for k in keys})
        console.file.write(buf.getvalue())
        return
    cols = list(columns or [(k, k) for k in (rows[0].keys() if rows else [])])
    table = Table(title=title, caption=caption, header_style="bold", show_lines=False)
    for key, header in cols:
        numeric = bool(rows) and isinstance(rows[0].get(key), int | float)
        table.add_column(
            header,
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=numeric or key == cols[0][0],
        )
    fmts = formatters or {}
    for r in rows:
        cells = []
        for key, _ in cols:
            v = r.get(key)
            if key in fmts:
                cells.append(fmts[key](v))
            elif isinstance(v, float):
                cells.append(fmt_num(v))
            elif v is None:
                cells.append("—")
            else:
                cells.append(str(v))
        table.add_row(*cells)
    console.print(table)
