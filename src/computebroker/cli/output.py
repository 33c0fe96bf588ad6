"""Rendering rows for the terminal (rich tables), JSON and CSV; one place for number formats;
and the one rule for where a command writes its files (:func:`output_folder`).

The ``-o`` rule, the same for every command: ``-o`` names a folder (created if missing) and
the command writes fixed file names inside it. The folder is checked *before* the work — it
must be (or be creatable as) a writable folder, and none of the files to be written may be a
file the user gave as input — so a long computation never ends in "permission denied" and a
scenario file is never replaced by a report.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from computebroker.errors import InputError

if TYPE_CHECKING:  # rich is imported where a console or table is made (start-up of JSON runs)
    from rich.console import Console

__all__ = [
    "Format",
    "check_output_file",
    "fmt_money",
    "fmt_num",
    "fmt_usd",
    "make_console",
    "output_folder",
    "render_rows",
    "rows_text",
]

# Suffixes that say "this is a file name": `-o report.html` is refused with the rule instead of
# creating a folder called report.html.
_FILE_SUFFIXES = frozenset({".html", ".htm", ".json", ".csv", ".yaml", ".yml", ".jsonl", ".txt"})


def _existing_ancestor(path: Path) -> Path:
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _probe_writable(folder: Path, source: str, option: str) -> None:
    """Create and remove a temporary file in ``folder`` (works for root and read-only mounts,
    where ``os.access`` does not tell)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".computebroker-probe-", dir=folder)
    except OSError as exc:
        raise InputError.single(
            source,
            f"cannot write in {folder}: {exc.strerror}; give a folder you can write to",
            field=option,
        ) from None
    os.close(fd)
    Path(tmp).unlink(missing_ok=True)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _refuse_inputs(
    targets: Iterable[Path], inputs: Iterable[Path | str | None], option: str
) -> None:
    given = [Path(p) for p in inputs if p is not None and str(p)]
    for target in targets:
        for inp in given:
            if _same_file(target, inp) or target.absolute() == inp.absolute():
                raise InputError.single(
                    str(target),
                    f"writing here would overwrite the input file {inp}; give {option} "
                    "another folder",
                    field=option,
                )


def output_folder(
    path: Path | str,
    *,
    writes: Sequence[str],
    inputs: Iterable[Path | str | None] = (),
    option: str = "--output",
) -> Path:
    """Check ``-o PATH`` before the work starts and return it as a folder path.

    ``writes`` are the file names the command will write inside the folder; ``inputs`` the
    files the user gave (scenario, catalog, trace, ...). The folder is not created here (a run
    that then fails on its input leaves nothing behind); :mod:`computebroker.outputs` creates
    it when the first file is written.

    Raises
    ------
    InputError
        ``PATH`` is a file, or looks like a file name (``report.html``); a parent is a file; the
        place is not writable; or a file to be written is one of ``inputs``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> output_folder(d / "out", writes=["plan.json"]) == d / "out"
    True
    >>> (d / "s.yaml").write_text("name: x")
    7
    >>> output_folder(d / "s.yaml", writes=["plan.json"])
    Traceback (most recent call last):
    ...
    computebroker.errors.InputError: ...s.yaml: --output: is a file; --output names a folder (created if missing) where plan.json are written
    """
    folder = Path(path)
    source = str(folder)
    listed = ", ".join(writes)
    rule = f"{option} names a folder (created if missing) where {listed} are written"
    if folder.exists() and not folder.is_dir():
        raise InputError.single(source, f"is a file; {rule}", field=option)
    if not folder.exists() and folder.suffix.lower() in _FILE_SUFFIXES:
        raise InputError.single(
            source,
            f"looks like a file name; {rule} (for example {option} {folder.with_suffix('')})",
            field=option,
        )
    ancestor = _existing_ancestor(folder)
    if not ancestor.is_dir():
        raise InputError.single(
            source, f"{ancestor} is a file, so this folder cannot be created; {rule}", field=option
        )
    _probe_writable(ancestor, source, option)
    _refuse_inputs([folder / name for name in writes], inputs, option)
    return folder


def check_output_file(
    path: Path | str, *, inputs: Iterable[Path | str | None] = (), option: str
) -> Path:
    """Check an option that names one file to write (``--save-trace``) before the work: its
    folder is writable, it is not a folder, and it is not one of ``inputs``."""
    target = Path(path)
    if target.is_dir():
        raise InputError.single(str(target), f"is a folder; {option} names a file", field=option)
    ancestor = _existing_ancestor(target.parent)
    if not ancestor.is_dir():
        raise InputError.single(
            str(target), f"{ancestor} is a file, so {target} cannot be written", field=option
        )
    _probe_writable(ancestor, str(target), option)
    _refuse_inputs([target], inputs, option)
    return target


# Width of piped output (logs, CI, `| less`) when COLUMNS does not say: tables are laid out to
# fit it.
PIPE_COLUMNS = 120


def make_console(*, stderr: bool = False) -> Console:
    """A console for command output: the terminal's width on a TTY; otherwise (pipes, logs,
    CI) ``$COLUMNS`` when set, else 120 columns."""
    from rich.console import Console

    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return probe
    raw = os.environ.get("COLUMNS", "").strip()
    width = int(raw) if raw.isascii() and raw.isdigit() and int(raw) >= 40 else PIPE_COLUMNS
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
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
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
    if value is None or not math.isfinite(value):
        return "—"
    if abs(value) < 0.5:
        return "$0"  # never "-$0"
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e9:
        return f"{sign}${v / 1e9:,.2f}B"
    if v >= 1e6:
        return f"{sign}${v / 1e6:,.1f}M"
    return f"{sign}${v:,.0f}"


def rows_text(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    columns: Sequence[tuple[str, str]] | None = None,
) -> str:
    """Rows as a JSON array or CSV text (all keys of the rows; ``columns`` name the CSV
    header of an empty list); for output without a console.

    Examples
    --------
    >>> print(rows_text([{"a": 1, "b": None}], Format.CSV), end="")
    a,b
    1,
    """
    if fmt is Format.JSON:
        return json.dumps(list(rows), indent=2, default=str) + "\n"
    if fmt is not Format.CSV:
        raise ValueError(f"rows_text writes JSON or CSV, not {fmt}")
    buf = io.StringIO()
    keys = list(rows[0].keys()) if rows else [k for k, _ in columns or []]
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: "" if r.get(k) is None else r.get(k) for k in keys})
    return buf.getvalue()


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
    if fmt is not Format.TABLE:
        console.file.write(rows_text(rows, fmt, columns=columns))
        return
    from rich.table import Table

    cols = list(columns or [(k, k) for k in (rows[0].keys() if rows else [])])
    table = Table(title=title, caption=caption, header_style="bold", show_lines=False)
    for key, header in cols:
        numeric = bool(rows) and isinstance(rows[0].get(key), int | float)
        # short text cells ($1.23B, 45%, yes) are never folded mid-figure; headers may fold
        widths = [len(str(r.get(key, ""))) for r in rows]
        short = bool(rows) and max(widths) <= 12
        table.add_column(
            header,
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=numeric or key == cols[0][0],
            min_width=max(widths) if short else None,
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
