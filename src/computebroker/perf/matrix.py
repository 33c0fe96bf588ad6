"""The throughput matrix: effective work per chip-hour for each (workload class, accelerator).

This is the one object that joins perf, plan and sim (as in Gavel). A workload class is a model
in a mode: ``train`` (work = tokens trained, at a reference job size) or ``serve`` (work =
output tokens served within latency targets). Cells the model cannot cost (a chip without
specs, a model that does not fit) are NaN, with the reason kept in ``note``.

The matrix is an ``xarray.Dataset`` over dims ``("workload", "accelerator")`` with variables
``work_per_chip_hour`` (float), ``unit`` (per workload), ``layout`` and ``note`` (str), and the
out-of-sample uncertainty of each cell: ``band_rel`` (± fraction at p90; NaN for user
overrides and uncosted cells) and ``band_label`` ("fitted on N runs, ±X%" / "vendor default,
±X%", ``perf.uncertainty``). It reads/writes a long CSV (``workload, accelerator,
work_per_chip_hour, unit, layout, note, band_rel, band_label``; the last two optional on read)
and JSON — the files ``plan`` and ``simulate`` read.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
import xarray as xr

from computebroker.catalog import Catalog
from computebroker.errors import ComputeBrokerError, InputError
from computebroker.inputs import parse_json_text, read_text
from computebroker.perf.estimate import modelable_accelerators
from computebroker.perf.hardware import Constants, Efficiency, profile_for
from computebroker.perf.layout import LayoutConstraints, Precision
from computebroker.perf.models import ModelSpec
from computebroker.perf.serve import ServeSetup, estimate_serving
from computebroker.perf.stacks import Stack, default_stack_for
from computebroker.perf.train import TrainSetup, default_global_batch_tokens, search_layouts
from computebroker.perf.uncertainty import Band, band_for, serve_band_for

__all__ = [
    "Mode",
    "WorkloadClass",
    "matrix_from_records",
    "matrix_records",
    "read_matrix",
    "throughput_matrix",
    "write_matrix",
]


class Mode(StrEnum):
    """What a workload does with chips."""

    TRAIN = "train"
    SERVE = "serve"


UNIT = {Mode.TRAIN: "tokens trained", Mode.SERVE: "output tokens served"}


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkloadClass:
    """A model in a mode with the settings that price it."""

    name: str
    model: ModelSpec
    mode: Mode
    chips: int = 1024  # reference job size for training
    seq_len: int | None = None
    global_batch_tokens: float | None = None
    precision: Precision = Precision.BF16
    stack: Stack | None = None
    constraints: LayoutConstraints = field(default_factory=LayoutConstraints)
    serve: ServeSetup | None = None
    throughput: Mapping[str, float] | None = None  # user override: work per chip-hour by chip

    @property
    def unit(self) -> str:
        """The unit of work of this class."""
        return UNIT[self.mode]


def _cell(
    w: WorkloadClass,
    catalog: Catalog,
    acc: str,
    efficiencies: Mapping[str, Efficiency] | None,
    constants: Constants | None,
) -> tuple[float, str, str, Band | None]:
    if w.throughput is not None:
        for name, value in w.throughput.items():
            if catalog.accelerator(name).id == acc:
                return float(value), "", "user override", None
    try:
        hw = profile_for(catalog.accelerator(acc), efficiencies=efficiencies, constants=constants)
        if w.mode is Mode.TRAIN:
            seq = w.seq_len or w.model.seq_len
            gbt = w.global_batch_tokens or default_global_batch_tokens(w.chips, seq)
            setup = TrainSetup(
                model=w.model,
                seq_len=seq,
                global_batch_tokens=gbt,
                precision=w.precision,
                stack=w.stack,
            )
            (best,) = search_layouts(setup, hw, w.chips, w.constraints, top=1)
            stack = w.stack or default_stack_for(hw.accelerator.vendor)
            band = band_for(hw.efficiency, hw.accelerator.vendor, stack.name, moe=w.model.is_moe)
            return (
                best.tokens_per_s_per_chip * 3600.0,
                best.layout_text(),
                f"MFU {best.mfu:.1%}",
                band,
            )
        assert w.serve is not None
        est = estimate_serving(w.serve, hw)
        return (
            est.output_tokens_per_chip_hour,
            f"TP{est.tp} batch {est.batch}",
            f"TTFT {est.ttft_s * 1000:,.0f} ms, TPOT {est.tpot_s * 1000:,.1f} ms",
            serve_band_for(hw.efficiency, hw.accelerator.vendor),
        )
    except ComputeBrokerError as exc:
        return math.nan, "", str(exc), None


def throughput_matrix(
    workloads: Sequence[WorkloadClass],
    catalog: Catalog,
    accelerators: Sequence[str] | None = None,
    *,
    progress: Callable[[str, str], None] | None = None,
    efficiencies: Mapping[str, Efficiency] | None = None,
    constants: Constants | None = None,
) -> xr.Dataset:
    """Work per chip-hour of every workload class on every accelerator (NaN where impossible).

    Examples
    --------
    >>> from computebroker.catalog import load_catalog
    >>> from computebroker.perf.presets import get_model
    >>> w = WorkloadClass(name="pretrain-8b", model=get_model("llama3-8b"), mode=Mode.TRAIN, chips=64)
    >>> ds = throughput_matrix([w], load_catalog(), ["h100", "tpu-v5p"])
    >>> ds.work_per_chip_hour.dims
    ('workload', 'accelerator')
    >>> bool((ds.work_per_chip_hour > 0).all())
    True
    """
    if not workloads:
        raise InputError.single("<workloads>", "no workload classes given")
    names = [w.name for w in workloads]
    if len(set(names)) != len(names):
        raise InputError.single("<workloads>", "workload names must be unique", value=names)
    accs = (
        [catalog.accelerator(a).id for a in accelerators]
        if accelerators
        else modelable_accelerators(catalog)
    )
    work = np.full((len(workloads), len(accs)), np.nan)
    layout = np.full((len(workloads), len(accs)), "", dtype=object)
    note = np.full((len(workloads), len(accs)), "", dtype=object)
    band_rel = np.full((len(workloads), len(accs)), np.nan)
    band_label = np.full((len(workloads), len(accs)), "", dtype=object)
    for i, w in enumerate(workloads):
        for j, a in enumerate(accs):
            if progress is not None:
                progress(w.name, a)
            work[i, j], layout[i, j], note[i, j], band = _cell(
                w, catalog, a, efficiencies, constants
            )
            if band is not None:
                band_rel[i, j], band_label[i, j] = band.rel, band.text
    return xr.Dataset(
        {
            "work_per_chip_hour": (("workload", "accelerator"), work),
            "layout": (("workload", "accelerator"), layout.astype(str)),
            "note": (("workload", "accelerator"), note.astype(str)),
            "unit": (("workload",), np.array([w.unit for w in workloads], dtype=str)),
            "band_rel": (("workload", "accelerator"), band_rel),
            "band_label": (("workload", "accelerator"), band_label.astype(str)),
        },
        coords={"workload": names, "accelerator": accs},
        attrs={"description": "effective work per chip-hour (throughput matrix)"},
    )


def matrix_records(ds: xr.Dataset) -> list[dict[str, object]]:
    """Long-form rows, one per (workload, accelerator)."""
    rows: list[dict[str, object]] = []
    for w in ds.workload.values:
        for a in ds.accelerator.values:
            v = float(ds.work_per_chip_hour.sel(workload=w, accelerator=a))
            rows.append(
                {
                    "workload": str(w),
                    "accelerator": str(a),
                    "work_per_chip_hour": None if math.isnan(v) else v,
                    "unit": str(ds.unit.sel(workload=w).item()),
                    "layout": str(ds.layout.sel(workload=w, accelerator=a).item()),
                    "note": str(ds.note.sel(workload=w, accelerator=a).item()),
                    **_band_fields(ds, str(w), str(a)),
                }
            )
    return rows


def _band_fields(ds: xr.Dataset, w: str, a: str) -> dict[str, object]:
    if "band_rel" not in ds:
        return {"band_rel": None, "band_label": ""}
    rel = float(ds.band_rel.sel(workload=w, accelerator=a))
    return {
        "band_rel": None if math.isnan(rel) else round(rel, 4),
        "band_label": str(ds.band_label.sel(workload=w, accelerator=a).item()),
    }


# work per chip-hour past 1e30 is a typo (the API's bound on a throughput row,
# service/schemas.py): a rate of 1e308 made a generated job's work infinite
MAX_WORK_PER_CHIP_HOUR = 1e30


def _check_names(r: dict[str, object], source: str, line: int) -> None:
    """A row's workload and accelerator are names (a JSON null or list is no name)."""
    for name in ("workload", "accelerator"):
        v = r[name]
        if not isinstance(v, str | int) or isinstance(v, bool) or not str(v).strip():
            raise InputError.single(
                source, f"{name} must be a name, got {v!r}", line=line, field=name
            )


def matrix_from_records(rows: Sequence[dict[str, object]], source: str = "<matrix>") -> xr.Dataset:
    """Inverse of ``matrix_records`` (also the reader of user-supplied matrix files)."""
    workloads: list[str] = []
    accs: list[str] = []
    for line, r in enumerate(rows, start=2):
        _check_names(r, source, line)
        if str(r["workload"]) not in workloads:
            workloads.append(str(r["workload"]))
        if str(r["accelerator"]) not in accs:
            accs.append(str(r["accelerator"]))
    work = np.full((len(workloads), len(accs)), np.nan)
    layout = np.full(work.shape, "", dtype=object)
    note = np.full(work.shape, "", dtype=object)
    band_rel = np.full(work.shape, np.nan)
    band_label = np.full(work.shape, "", dtype=object)
    units = [""] * len(workloads)
    for line, r in enumerate(rows, start=2):
        i, j = workloads.index(str(r["workload"])), accs.index(str(r["accelerator"]))
        v = r.get("work_per_chip_hour")
        if v not in (None, ""):
            try:
                if isinstance(v, bool):
                    raise TypeError(v)
                val = float(v)  # type: ignore[arg-type]
            except (TypeError, ValueError, OverflowError):
                raise InputError.single(
                    source, "work_per_chip_hour must be a number", line=line, value=str(v)[:40]
                ) from None
            if val < 0 or math.isinf(val) or val > MAX_WORK_PER_CHIP_HOUR:
                raise InputError.single(
                    source,
                    f"work_per_chip_hour must be a finite number from 0 to "
                    f"{MAX_WORK_PER_CHIP_HOUR:g}",
                    line=line,
                    field="work_per_chip_hour",
                    value=v,
                )
            work[i, j] = val
        layout[i, j] = str(r.get("layout") or "")
        note[i, j] = str(r.get("note") or "")
        band_rel[i, j] = _opt_float(r.get("band_rel"))
        band_label[i, j] = str(r.get("band_label") or "")
        units[i] = str(r.get("unit") or units[i] or "work")
    return xr.Dataset(
        {
            "work_per_chip_hour": (("workload", "accelerator"), work),
            "layout": (("workload", "accelerator"), layout.astype(str)),
            "note": (("workload", "accelerator"), note.astype(str)),
            "unit": (("workload",), np.array(units, dtype=str)),
            "band_rel": (("workload", "accelerator"), band_rel),
            "band_label": (("workload", "accelerator"), band_label.astype(str)),
        },
        coords={"workload": workloads, "accelerator": accs},
    )


def _opt_float(v: object) -> float:
    try:
        return float(v) if v not in (None, "") else math.nan  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def write_matrix(ds: xr.Dataset, path: Path) -> str:
    """Render as CSV (``.csv``) or JSON (``.json``); returns the text (the caller writes it)."""
    rows = matrix_records(ds)
    if path.suffix.lower() == ".json":
        return json.dumps({"matrix": rows}, indent=2) + "\n"
    buf = io.StringIO()
    w = csv.DictWriter(
        buf,
        fieldnames=[
            "workload",
            "accelerator",
            "work_per_chip_hour",
            "unit",
            "layout",
            "note",
            "band_rel",
            "band_label",
        ],
        lineterminator="\n",
    )
    w.writeheader()
    for r in rows:
        w.writerow({k: "" if v is None else v for k, v in r.items()})
    return buf.getvalue()


def _csv_matrix_rows(reader: csv.DictReader[str], source: str) -> list[dict[str, str]]:
    """The rows of a matrix CSV; a row with more cells than the header, a column named twice
    or a (workload, accelerator) pair given twice is refused with its line."""
    names = list(reader.fieldnames or [])
    twice = next((h for i, h in enumerate(names) if h in names[:i]), None)
    if twice is not None:
        raise InputError.single(source, f"column {twice!r} is given twice in the header", line=1)
    rows: list[dict[str, str]] = []
    first: dict[tuple[str, str], int] = {}
    try:
        for n, row in enumerate(reader, start=2):
            if None in row:
                raise InputError.single(source, "more values than header columns", line=n)
            if None in row.values():
                raise InputError.single(source, "fewer values than header columns", line=n)
            key = (str(row["workload"]), str(row["accelerator"]))
            if key in first:
                raise InputError.single(
                    source,
                    f"{key[0]} on {key[1]} is given twice (first on line {first[key]})",
                    line=n,
                )
            first[key] = n
            rows.append(row)
    except csv.Error as exc:
        raise InputError.single(source, f"not valid CSV: {exc}", line=reader.line_num) from None
    return rows


def read_matrix(path: Path) -> xr.Dataset:
    """Read a matrix CSV or JSON written by ``write_matrix`` (or by hand)."""
    source = str(path)
    text = read_text(path)
    if path.suffix.lower() == ".json":
        data = parse_json_text(text, source)
        try:
            rows = data["matrix"] if isinstance(data, dict) else data
        except (KeyError, TypeError) as exc:
            raise InputError.single(
                source, f'not a matrix JSON ({exc}); expected {{"matrix": [rows]}}'
            ) from None
    else:
        reader = csv.DictReader(io.StringIO(text))
        need = {"workload", "accelerator", "work_per_chip_hour"}
        if not need <= set(reader.fieldnames or []):
            raise InputError.single(
                source,
                f"missing column(s) {', '.join(sorted(need - set(reader.fieldnames or [])))}",
                line=1,
            )
        rows = _csv_matrix_rows(reader, source)
    if not rows:
        raise InputError.single(source, "the matrix has no rows")
    need = {"workload", "accelerator", "work_per_chip_hour"}
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and need <= r.keys() for r in rows
    ):
        raise InputError.single(
            source, 'expected {"matrix": [{"workload": ..., "accelerator": ..., ...}, ...]}'
        )
    return matrix_from_records(rows, source)
