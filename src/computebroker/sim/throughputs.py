"""Reading throughput tables: Gavel's measured JSON, the performance model's matrix (CSV or
JSON written by ``computebroker estimate matrix``), the matrix carried in a ``plan.json``, or
a workloads YAML priced by the performance model for the fleet's chips."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from computebroker.catalog import Catalog
from computebroker.errors import InputError
from computebroker.inputs import load_json, read_text
from computebroker.scheduler.throughput import ThroughputTable
from computebroker.sim.traces import MAX_JOB_CHIPS, MAX_WORK

__all__ = ["load_throughputs", "read_gavel_throughputs", "table_from_rows"]

_GAVEL_KEY = re.compile(r"^\('(?P<model>.*)', (?P<sf>\d+)\)$")


def _gavel_scale(digits: str, where: str, source: str) -> int:
    """A key's scale factor: a gang of 1 to MAX_JOB_CHIPS chips (0 divided by zero)."""
    if len(digits) > 9 or not 1 <= int(digits) <= MAX_JOB_CHIPS:
        raise InputError.single(
            source,
            f"{where}: scale factor {digits} must be from 1 to {MAX_JOB_CHIPS:,}",
            field="--throughputs",
        )
    return int(digits)


def _gavel_rate(value: object, where: str, source: str) -> float:
    """A throughput in steps/s: a number (not true), at most MAX_WORK."""
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InputError.single(
            source,
            f"{where}: throughput {str(value)[:40]!r} is not a number of steps/s",
            field="--throughputs",
        ) from None
    if math.isfinite(v) and v > MAX_WORK:
        raise InputError.single(
            source,
            f"{where}: throughput {v:g} steps/s is over {MAX_WORK:g}",
            field="--throughputs",
        )
    return v


def read_gavel_throughputs(path: Path | str) -> ThroughputTable:
    """Gavel's ``simulation_throughputs.json``: isolated steps per second of each (job type,
    scale factor) on each worker type (the ``*_unconsolidated`` variants are skipped)."""
    source = str(path)
    raw = load_json(path, field="--throughputs")
    table = ThroughputTable(unit="steps", source=source)
    if not isinstance(raw, dict):
        raise InputError.single(
            source, "expected Gavel's {worker_type: {\"('job type', scale)\": {...}}} layout"
        )
    for worker, jobs in raw.items():
        if "unconsolidated" in worker or not isinstance(jobs, dict):
            continue
        for key, entry in jobs.items():
            m = _GAVEL_KEY.match(key)
            if not m or not isinstance(entry, dict) or "null" not in entry:
                raise InputError.single(
                    source,
                    f"{worker}: key {key!r} is not Gavel's \"('job type', scale)\" with a 'null' entry",
                )
            sf = _gavel_scale(m["sf"], f"{worker}: {key}", source)
            v = _gavel_rate(entry["null"], f"{worker}: {key}", source)
            if v > 0 and math.isfinite(v):
                table.per_gang[(m["model"].lower(), sf, worker.lower())] = v
    if not table.per_gang:
        raise InputError.single(source, "no throughputs found")
    return table


def table_from_rows(rows: Iterable[Mapping[str, Any]], source: str) -> ThroughputTable:
    """Rows with workload, accelerator, work_per_chip_hour (and unit) -> per-chip table."""
    vals: dict[tuple[str, str], float] = {}
    units: set[str] = set()
    for r in rows:
        v = r.get("work_per_chip_hour")
        if v is None or v == "" or math.isnan(float(v)):
            continue  # a pair the model cannot price (NaN in the matrix): no entry
        if not math.isfinite(float(v)) or float(v) < 0:
            raise InputError.single(
                source,
                f"work_per_chip_hour of {r.get('workload')} on {r.get('accelerator')} must be a "
                f"finite number >= 0, got {v!r}",
                field="work_per_chip_hour",
            )
        vals[(str(r["workload"]), str(r["accelerator"]))] = float(v)
        units.add(str(r.get("unit") or "work"))
    if not any(v > 0 for v in vals.values()):
        raise InputError.single(
            source,
            "no workload has a work_per_chip_hour > 0 on any accelerator; nothing could run",
            field="work_per_chip_hour",
        )
    unit = units.pop() if len(units) == 1 else "work units (mixed: see each job type)"
    return ThroughputTable.from_per_chip_hour(vals, unit=unit, source=source)


def _from_workloads(path: Path, accelerators: list[str], catalog: Catalog) -> ThroughputTable:
    from computebroker.perf.matrix import matrix_records, throughput_matrix
    from computebroker.perf.workloads import load_workloads

    ds = throughput_matrix(load_workloads(path), catalog, accelerators)
    return table_from_rows(matrix_records(ds), f"{path} (priced by the performance model)")


def load_throughputs(
    spec: str | Path, *, accelerators: list[str], catalog: Catalog
) -> ThroughputTable:
    """A throughput table from Gavel's JSON, a matrix CSV/JSON, or a workloads YAML."""
    path = Path(spec)
    if not path.exists():
        raise InputError.single(str(path), "file not found", field="--throughputs")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _from_workloads(path, accelerators, catalog)
    if suffix == ".json":
        head = read_text(path, field="--throughputs")[:4096]
        if "('" in head:
            return read_gavel_throughputs(path)
    from computebroker.perf.matrix import matrix_records, read_matrix

    return table_from_rows(matrix_records(read_matrix(path)), str(path))
