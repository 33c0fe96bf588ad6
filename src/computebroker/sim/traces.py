"""Job traces: the native format (CSV or JSONL), readers for Gavel's two trace formats, and a
seeded generator with Philly-like job sizes and durations.

Native columns (CSV header or JSONL keys; only ``job_type``, ``arrival_s`` and ``work`` are
required — see docs/simulate.md):

``id, job_type, arrival_s, work, chips, min_chips, weight, deadline_s, accelerators (a|b),
kind (train|serve), checkpoint_s, data_region, data_gb, end_s, demand``

A service (``kind: serve``) has no ``work``; ``demand`` is its work per second over time,
``0:2e5;3600:4e5`` in CSV (seconds:rate pairs) or ``[[0, 2e5], [3600, 4e5]]`` in JSONL, and
``end_s`` when it stops.

Gavel's files are recognised by their shape: tab-separated, 10 columns (``physical_cluster``
traces: type, command, working dir, steps arg, needs data, total steps, scale factor, priority
weight, SLO, arrival) or 7 columns (the Philly virtual-cluster traces: type, command, steps
arg, needs data, total steps, arrival, scale factor).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from computebroker.errors import InputError, Issue
from computebroker.inputs import parse_json_text, read_text
from computebroker.scheduler.throughput import ThroughputTable
from computebroker.scheduler.types import JobKind, SimJob

__all__ = [
    "Trace",
    "check_generated_span",
    "check_runnable",
    "format_trace",
    "generate_gavel_trace",
    "generate_trace",
    "read_trace",
]

MAX_JOB_CHIPS = 10_000_000  # a gang larger than any cluster is a typo
# a time in a trace (arrival, deadline, end, checkpoint interval) past ~317 years is a typo, and
# near 1e16 s a float no longer moves by a scheduling round: published cluster traces span
# months (Microsoft's Philly trace 2017: 75 days)
MAX_TRACE_S = 1e10
# a job's work, or a service's work per second, past 1e30 units is a typo (the API's bound on a
# job's work, service/schemas.py): at most ~1e15 s of work at a throughput of 1 keeps every
# finish time, rate and total of the run finite
MAX_WORK = 1e30

NATIVE_FIELDS = (
    "id",
    "job_type",
    "arrival_s",
    "work",
    "chips",
    "min_chips",
    "weight",
    "deadline_s",
    "accelerators",
    "kind",
    "checkpoint_s",
    "data_region",
    "data_gb",
    "end_s",
    "demand",
)


@dataclass(frozen=True, slots=True)
class Trace:
    """Jobs in arrival order, where they came from, and the services' demand curves.

    A value: ``jobs`` is kept as a tuple of frozen specs, and the simulator reads ``demand``
    without changing it, so one trace can be simulated any number of times.
    """

    jobs: Sequence[SimJob]
    source: str
    format: str
    demand: Mapping[str, Sequence[tuple[float, float]]]  # service id -> [(time s, work/s)]
    lines: Mapping[str, int] = field(default_factory=dict)  # job id -> its line in the source

    def __post_init__(self) -> None:
        object.__setattr__(self, "jobs", tuple(self.jobs))

    @property
    def span_s(self) -> float:
        """Seconds from the first to the last arrival."""
        return (self.jobs[-1].arrival - self.jobs[0].arrival) if self.jobs else 0.0


def _finish(
    jobs: list[SimJob],
    demand: dict[str, list[tuple[float, float]]],
    source: str,
    fmt: str,
    *,
    lines: bool = False,
) -> Trace:
    """The jobs in arrival order, re-indexed; with ``lines``, each job's ``index`` before
    sorting is its line in the source, kept in ``Trace.lines`` for messages."""
    where = {j.id: j.index for j in jobs} if lines else {}
    jobs.sort(key=lambda j: (j.arrival, j.index))
    ordered = [j if j.index == i else replace(j, index=i) for i, j in enumerate(jobs)]
    return Trace(jobs=ordered, source=source, format=fmt, demand=demand, lines=where)


# Gavel ----------------------------------------------------------------------------------------


# the numeric columns of Gavel's two formats: name (as Gavel's trace parser calls the field) ->
# 0-based column
_GAVEL_COLUMNS: dict[int, dict[str, int]] = {
    10: {"total_steps": 5, "scale_factor": 6, "priority_weight": 7, "SLO": 8, "arrival_time": 9},
    7: {"total_steps": 4, "arrival_time": 5, "scale_factor": 6},
}


def _gavel_row(cols: list[str], n: int, source: str) -> SimJob:
    """One line of a Gavel trace (``n``: its 1-based line), each number checked as the native
    format's: finite, within the traces' bounds; Gavel's SLO column is -1 (none) in its
    traces, and a positive value is read as a deadline that many seconds after arrival."""
    at = _GAVEL_COLUMNS[len(cols)]

    def num(name: str, **bounds: Any) -> Any:
        return _num(cols[at[name]], name, source, n, required=True, **bounds)

    steps = num("total_steps", maximum=MAX_WORK)
    if steps <= 0:
        raise InputError.single(
            source,
            f"total_steps must be > 0, got {cols[at['total_steps']]!r}",
            line=n,
            field="total_steps",
        )
    chips = num("scale_factor", integer=True, minimum=1, maximum=MAX_JOB_CHIPS)
    arrival = num("arrival_time", maximum=MAX_TRACE_S)
    weight, slo = 1.0, -1.0
    if len(cols) == 10:
        weight = num("priority_weight", minimum=1e-9)
        slo = num("SLO", minimum=-MAX_TRACE_S, maximum=MAX_TRACE_S)
    return SimJob(
        id=f"job{n - 1}",
        job_type=cols[0],
        arrival=arrival,
        work=steps,
        chips=chips,
        weight=weight,
        deadline=arrival + slo if slo > 0 else None,
        index=n,
    )


def _read_gavel(lines: list[tuple[int, str]], source: str) -> Trace:
    jobs: list[SimJob] = []
    issues: list[Issue] = []
    first, head = lines[0]
    ncols = len(head.split("\t"))
    for n, line in lines:
        cols = line.split("\t")
        if len(cols) != ncols:
            issues.append(
                Issue(
                    source=source,
                    line=n,
                    message=f"expected {ncols} tab-separated columns like line {first}, "
                    f"got {len(cols)}",
                )
            )
            continue
        try:
            jobs.append(_gavel_row(cols, n, source))
        except InputError as exc:
            issues.extend(exc.issues)
        if len(issues) >= 20:
            break
    if issues:
        raise InputError(issues[:20])
    return _finish(jobs, {}, source, f"gavel-{ncols}col", lines=True)


# native -----------------------------------------------------------------------------------------


def _bound(x: float) -> str:
    """``10,000,000`` for a count, ``1e+30`` past what digits read well (not 1,000...656)."""
    return f"{x:,.0f}" if x < 1e15 else f"{x:g}"


def _num(
    v: Any,
    name: str,
    source: str,
    line: int,
    *,
    required: bool = False,
    integer: bool = False,
    minimum: float = 0.0,
    maximum: float = math.inf,
) -> Any:
    if v is None or v == "":
        if required:
            raise InputError.single(source, f"{name} is required", line=line, field=name)
        return None
    try:
        if isinstance(v, bool):  # JSON true is no number of chips or seconds
            raise TypeError(name)
        x = float(v)
    except (TypeError, ValueError):
        raise InputError.single(
            source, f"{name} must be a number, got {v!r}", line=line, field=name
        ) from None
    except OverflowError:  # a JSON integer of hundreds of digits
        raise InputError.single(
            source,
            f"{name} must be <= {_bound(maximum)}, got an integer of {len(str(v)):,} digits",
            line=line,
            field=name,
        ) from None
    if not math.isfinite(x) or x < minimum:
        raise InputError.single(
            source,
            f"{name} must be a finite number >= {minimum:g}, got {v!r}",
            line=line,
            field=name,
        )
    if x > maximum:
        raise InputError.single(
            source, f"{name} must be <= {_bound(maximum)}, got {v!r}", line=line, field=name
        )
    if integer:
        if x != int(x):
            raise InputError.single(
                source, f"{name} must be a whole number, got {v!r}", line=line, field=name
            )
        return int(x)
    return x


def _json_pair(p: Any) -> tuple[float, float]:
    """``[seconds, rate]`` of a JSONL demand curve: a list of two numbers (not a string of
    two digits, nor booleans)."""
    if not isinstance(p, list) or len(p) != 2:
        raise TypeError(p)
    if any(isinstance(x, bool) or not isinstance(x, int | float) for x in p):
        raise TypeError(p)
    return float(p[0]), float(p[1])


def _demand(v: Any, source: str, line: int) -> list[tuple[float, float]]:
    if v in (None, ""):
        return []
    try:
        if isinstance(v, str):
            pairs = [
                tuple(float(x) for x in item.split(":")) for item in v.split(";") if item.strip()
            ]
        else:
            pairs = [_json_pair(p) for p in v]
    except (TypeError, ValueError, OverflowError):
        raise InputError.single(
            source,
            "demand must be 'seconds:rate;...' or [[seconds, rate], ...]",
            line=line,
            field="demand",
        ) from None
    if any(
        len(p) != 2 or not all(math.isfinite(x) for x in p) or p[0] < 0 or p[1] < 0 for p in pairs
    ) or any(p[0] > MAX_TRACE_S or p[1] > MAX_WORK for p in pairs):
        raise InputError.single(
            source,
            f"demand pairs need a time from 0 to {MAX_TRACE_S:g} s and a rate from 0 to "
            f"{MAX_WORK:g}",
            line=line,
            field="demand",
        )
    return sorted((float(a), float(b)) for a, b in pairs)


def _unknown_columns(names: Any, source: str, line: int) -> None:
    unknown = [n for n in names if n not in NATIVE_FIELDS]
    if unknown:
        raise InputError.single(
            source,
            f"unknown column(s) {', '.join(repr(n) for n in unknown)}; expected "
            f"{', '.join(NATIVE_FIELDS)}",
            line=line,
        )


def _text(row: dict[str, Any], name: str, source: str, line: int) -> str:
    """A text cell ("" when absent): a JSONL value must be a string (an id may be a whole
    number), not an object, a list or a boolean that would be read as its Python spelling."""
    v = row.get(name)
    if v is None or isinstance(v, str):
        return v or ""
    if name == "id" and isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    raise InputError.single(source, f"{name} must be a string, got {v!r}", line=line, field=name)


def _allowed(row: dict[str, Any], source: str, line: int) -> frozenset[str] | None:
    """``accelerators``: ``a|b`` (CSV) or a list of names (JSONL)."""
    accs = row.get("accelerators")
    if isinstance(accs, list) and all(isinstance(a, str) for a in accs):
        names = accs
    elif isinstance(accs, list):
        raise InputError.single(
            source,
            f"accelerators must be a list of names, got {accs!r}",
            line=line,
            field="accelerators",
        )
    else:
        names = _text(row, "accelerators", source, line).split("|")
    if not any(names):
        return None
    return frozenset(a.strip().lower() for a in names if a.strip())


def _native_row(
    row: dict[str, Any], line: int, source: str, demand: dict[str, list[tuple[float, float]]]
) -> SimJob:
    _unknown_columns(row, source, line)
    kind_s = _text(row, "kind", source, line).strip().lower() or "train"
    if kind_s not in ("train", "serve"):
        raise InputError.single(
            source, f"kind must be train or serve, got {kind_s!r}", line=line, field="kind"
        )
    kind = JobKind(kind_s)
    jid = _text(row, "id", source, line) or f"job{line}"
    job_type = _text(row, "job_type", source, line).strip()
    if not job_type:
        raise InputError.single(source, "job_type is required", line=line, field="job_type")
    allowed = _allowed(row, source, line)
    region = _text(row, "data_region", source, line)
    chips = (
        _num(
            row.get("chips"), "chips", source, line, integer=True, minimum=1, maximum=MAX_JOB_CHIPS
        )
        or 1
    )
    min_chips = _num(
        row.get("min_chips"),
        "min_chips",
        source,
        line,
        integer=True,
        minimum=1,
        maximum=MAX_JOB_CHIPS,
    )
    if min_chips is not None and min_chips > chips:
        raise InputError.single(
            source,
            f"min_chips ({min_chips}) must not exceed chips ({chips})",
            line=line,
            field="min_chips",
        )
    job = SimJob(
        id=jid,
        job_type=job_type,
        arrival=_num(
            row.get("arrival_s"), "arrival_s", source, line, required=True, maximum=MAX_TRACE_S
        ),
        work=_num(
            row.get("work"),
            "work",
            source,
            line,
            required=kind is JobKind.TRAIN,
            minimum=0.0,
            maximum=MAX_WORK,
        )
        or 0.0,
        chips=chips,
        min_chips=min_chips,
        weight=_num(row.get("weight"), "weight", source, line, minimum=1e-9) or 1.0,
        deadline=_num(row.get("deadline_s"), "deadline_s", source, line, maximum=MAX_TRACE_S),
        allowed=allowed,
        kind=kind,
        checkpoint_s=_num(
            row.get("checkpoint_s"),
            "checkpoint_s",
            source,
            line,
            minimum=1.0,
            maximum=MAX_TRACE_S,
        )
        or 1800.0,
        data_region=region or None,
        data_gb=_num(row.get("data_gb"), "data_gb", source, line) or 0.0,
        end=_num(row.get("end_s"), "end_s", source, line, maximum=MAX_TRACE_S),
        index=line,
    )
    if kind is JobKind.TRAIN and job.work <= 0:
        raise InputError.single(
            source, "work must be > 0 for a training job", line=line, field="work"
        )
    if kind is JobKind.SERVE:
        curve = _demand(row.get("demand"), source, line)
        if not curve:
            raise InputError.single(
                source, "a service needs a demand curve", line=line, field="demand"
            )
        if job.end is None or job.end <= job.arrival:
            raise InputError.single(
                source, "a service needs end_s after its arrival_s", line=line, field="end_s"
            )
        demand[jid] = curve
    return job


def _check_header(names: Sequence[str] | None, source: str) -> None:
    """Every column known, none named twice (it would silently keep only its last cell)."""
    _unknown_columns(names or (), source, 1)
    seen: set[str] = set()
    for name in names or ():
        if name in seen:
            raise InputError.single(
                source, f"column {name!r} is given twice in the header", line=1, field=name
            )
        seen.add(name)


def _read_native(text: str, source: str, jsonl: bool) -> Trace:
    jobs: list[SimJob] = []
    demand: dict[str, list[tuple[float, float]]] = {}
    if jsonl:
        # lines end at "\n" only: a JSON string may hold U+2028 or U+0085
        for n, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                row = parse_json_text(line, source)
            except InputError as exc:
                raise InputError.single(source, exc.issues[0].message, line=n) from None
            if not isinstance(row, dict):
                raise InputError.single(source, "each line must be a JSON object", line=n)
            jobs.append(_native_row(row, n, source, demand))
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            _check_header(reader.fieldnames, source)
            for n, row in enumerate(reader, start=2):
                if None in row:
                    raise InputError.single(source, "more values than header columns", line=n)
                jobs.append(_native_row(dict(row), n, source, demand))
        except csv.Error as exc:
            raise InputError.single(source, f"not valid CSV: {exc}", line=reader.line_num) from None
    seen: set[str] = set()
    for j in jobs:  # one pass: a count per id is quadratic on a million-job trace
        if j.id in seen:
            raise InputError.single(source, f"duplicate job id {j.id!r}", line=j.index, field="id")
        seen.add(j.id)
    return _finish(jobs, demand, source, "jsonl" if jsonl else "csv", lines=True)


def check_runnable(
    trace: Trace, table: ThroughputTable, accelerators: Sequence[str], fleet_source: str = "--fleet"
) -> None:
    """Refuse a trace and fleet on which jobs could never run, saying why, instead of a
    simulation in which every job is rejected: a pool's accelerator or a job's type that the
    throughput table does not know (a typo such as ``h1000`` or a model name)."""
    import difflib

    known_accs = sorted(table.accelerators())
    missing = sorted({a.lower() for a in accelerators} - set(known_accs))
    if missing:
        close = [m for a in missing for m in difflib.get_close_matches(a, known_accs, n=1)]
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InputError.single(
            fleet_source,
            f"no throughput for accelerator(s) {', '.join(missing)} in {table.source}, so no job "
            f"could run on those pools; the table covers {', '.join(known_accs) or 'nothing'}"
            f"{hint}",
            field="--fleet",
        )
    known_types = table.job_types()
    unknown = [j for j in trace.jobs if j.job_type.lower() not in known_types]
    if unknown:
        first = unknown[0]
        shown = ", ".join(sorted(known_types)[:12]) + (", ..." if len(known_types) > 12 else "")
        raise InputError.single(
            trace.source,
            f"{len(unknown):,} job(s) have a job_type with no throughput in {table.source} "
            f"(first: {first.job_type!r}), so they could never run; known types: {shown}",
            line=trace.lines.get(first.id),
            field="job_type",
        )
    _check_allowed(trace, table, known_accs)


def _check_allowed(trace: Trace, table: ThroughputTable, known_accs: list[str]) -> None:
    """A job allowed only on accelerators the table does not know (a typo) could never run."""
    known = set(known_accs)
    stuck = [j for j in trace.jobs if j.allowed and not j.allowed & known]
    if stuck:
        first = stuck[0]
        raise InputError.single(
            trace.source,
            f"{len(stuck):,} job(s) may run only on accelerators with no throughput in "
            f"{table.source} (first: {first.id!r} on {', '.join(sorted(first.allowed or ()))}), "
            f"so they could never run; the table covers {', '.join(known_accs)}",
            line=trace.lines.get(first.id),
            field="accelerators",
        )


def read_trace(path: Path | str) -> Trace:
    """A trace file in any of the supported formats, recognised by extension and shape."""
    p = Path(path)
    # any line end (CR LF, or an old Mac's CR alone) is "\n"; a line ends there only
    text = read_text(p, field="--trace").replace("\r\n", "\n").replace("\r", "\n")
    lines = [(n, ln) for n, ln in enumerate(text.split("\n"), start=1) if ln.strip()]
    if not lines:
        raise InputError.single(str(p), "the trace is empty")
    first, head = lines[0]
    if p.suffix.lower() in (".jsonl", ".ndjson") or head.lstrip().startswith("{"):
        return _read_native(text, str(p), jsonl=True)
    if head.lstrip().startswith("["):
        raise InputError.single(
            str(p),
            "a JSON array; a trace in JSON is JSONL: one JSON object per line",
            line=first,
        )
    ncols = len(head.split("\t"))
    if ncols in (7, 10):
        return _read_gavel(lines, str(p))
    if "job_type" in head:
        return _read_native(text, str(p), jsonl=False)
    raise InputError.single(
        str(p),
        "unrecognised trace: expected a CSV with a header naming job_type, JSONL, or Gavel's tab-separated 7- or 10-column format",
        line=first,
    )


def format_trace(trace: Trace, *, jsonl: bool = False) -> str:
    """The trace in the native CSV (or JSONL) format, as text (writing it is the caller's job)."""
    rows = []
    for j in trace.jobs:
        rows.append(
            {
                "id": j.id,
                "job_type": j.job_type,
                "arrival_s": j.arrival,
                "work": j.work,
                "chips": j.chips,
                "min_chips": j.min_chips,
                "weight": j.weight,
                "deadline_s": j.deadline,
                "accelerators": "|".join(sorted(j.allowed)) if j.allowed else None,
                "kind": j.kind.value,
                "checkpoint_s": j.checkpoint_s,
                "data_region": j.data_region,
                "data_gb": j.data_gb or None,
                "end_s": j.end,
                "demand": ";".join(f"{a:g}:{b:g}" for a, b in trace.demand.get(j.id, [])) or None,
            }
        )
    if jsonl:
        return "".join(
            json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in rows
        )
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(NATIVE_FIELDS), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue()


# generator ------------------------------------------------------------------------------------


def check_generated_span(
    n_jobs: int, rate_per_hour: float, *, source: str, jobs_field: str, rate_field: str
) -> None:
    """Generated arrivals within the traces' bound (MAX_TRACE_S, ~317 years): past it the
    bursty generator draws ten-hour cycles for ever (200 jobs at 1e-6 an hour hung) and a
    Poisson one books arrivals no trace file may hold."""
    span_s = n_jobs / rate_per_hour * 3600.0
    if span_s > MAX_TRACE_S:
        raise InputError.single(
            source,
            f"{jobs_field} {n_jobs:,} at {rate_field} {rate_per_hour:g} jobs/h spans "
            f"{span_s:.3g} s of arrivals, past the traces' {MAX_TRACE_S:g} s "
            f"(~317 years); raise {rate_field} or lower {jobs_field}",
            field=rate_field,
        )


def philly_duration_s(rng: np.random.Generator) -> float:
    """A job duration like Philly's: 10^U(1.5, 3) minutes with probability 0.8, else
    10^U(3, 4) minutes (Gavel's generator, Narayanan et al. OSDI 2020, fitted to the Philly
    trace of Jeon et al., ATC 2019)."""
    lo, hi = (1.5, 3.0) if rng.random() < 0.8 else (3.0, 4.0)
    return 60.0 * 10 ** rng.uniform(lo, hi)


def philly_scale(rng: np.random.Generator) -> int:
    """A gang size like Philly's: 1 (70%), 2 (10%), 4 (15%), 8 (5%) (same source)."""
    r = rng.random()
    return 1 if r < 0.7 else 2 if r < 0.8 else 4 if r < 0.95 else 8


def generate_trace(
    n_jobs: int,
    *,
    rate_per_hour: float,
    job_types: Sequence[str],
    reference_rate: Callable[[str, int], float],
    seed: int = 0,
    multi_chip: bool = False,
    bursty: bool = False,
    burst_factor: float = 4.0,
    distributable: Callable[[str], bool] | None = None,
) -> Trace:
    """``n_jobs`` jobs with Poisson (or bursty: on/off modulated) arrivals at ``rate_per_hour``
    on average, types drawn uniformly from ``job_types``, durations and gang sizes like
    Philly's; work = duration x ``reference_rate(job_type, chips)`` (work/s on the reference
    chip, e.g. Gavel's V100 measurements).

    Examples
    --------
    >>> t = generate_trace(3, rate_per_hour=2.0, job_types=["a"], reference_rate=lambda t, c: 1.0, seed=1)
    >>> [j.chips for j in t.jobs], t.jobs[0].arrival <= t.jobs[1].arrival
    ([1, 1, 1], True)
    """
    if n_jobs < 1 or rate_per_hour <= 0 or not job_types:
        raise InputError.single(
            "<generator>", "need n_jobs >= 1, rate_per_hour > 0 and at least one job type"
        )
    rng = np.random.default_rng(seed)
    jobs: list[SimJob] = []
    arrivals = (
        _bursty_arrivals(rng, n_jobs, rate_per_hour, burst_factor)
        if bursty
        else np.concatenate([[0.0], np.cumsum(rng.exponential(3600.0 / rate_per_hour, n_jobs - 1))])
    )
    for i in range(n_jobs):
        t = float(arrivals[i])
        chips = philly_scale(rng) if multi_chip else 1
        while True:
            jt = job_types[int(rng.integers(len(job_types)))]
            if chips == 1 or distributable is None or distributable(jt):
                break
        duration = philly_duration_s(rng)
        work = duration * reference_rate(jt, chips)
        jobs.append(SimJob(id=f"job{i}", job_type=jt, arrival=t, work=work, chips=chips, index=i))
    return _finish(jobs, {}, f"generated (seed {seed})", "generated")


BURST_CYCLE_H = 10.0  # mean length of one on + off cycle of the bursty generator (assumption)
OFF_FACTOR = 0.25  # arrival rate between bursts, as a multiple of the mean (assumption)


def _bursty_arrivals(
    rng: np.random.Generator, n: int, rate_per_hour: float, burst: float
) -> np.ndarray:
    """Markov-modulated Poisson arrivals: bursts at ``burst`` x the mean rate, quiet spells at
    ``OFF_FACTOR`` x, the share of time in bursts chosen so the long-run mean is the rate."""
    burst = max(burst, 1.0 + 1e-9)
    f_on = (1.0 - OFF_FACTOR) / (burst - OFF_FACTOR)
    out: list[float] = []
    t, on = 0.0, True
    while len(out) < n:
        span = rng.exponential(BURST_CYCLE_H * 3600.0 * (f_on if on else 1.0 - f_on))
        lam = rate_per_hour / 3600.0 * (burst if on else OFF_FACTOR)
        k = rng.poisson(lam * span)
        out.extend(np.sort(t + rng.uniform(0.0, span, k)).tolist())
        t += span
        on = not on
    arr = np.asarray(out[:n], dtype=float)
    result: np.ndarray = arr - arr[0]
    return result


# Gavel's own generator, draw for draw ----------------------------------------------------------

# Gavel's JobTable, in its order (scheduler/job_table.py, github.com/stanford-futuredata/gavel,
# read at commit 1a57def): (model, whether it may run as a multi-GPU gang). The order matters:
# Gavel draws a job type with ``rng.choice(JobTable)``.
GAVEL_JOB_TABLE: tuple[tuple[str, bool], ...] = (
    *((f"ResNet-18 (batch size {b})", True) for b in (16, 32, 64, 128, 256)),
    *((f"ResNet-50 (batch size {b})", True) for b in (16, 32, 64, 128)),
    *((f"Transformer (batch size {b})", True) for b in (16, 32, 64, 128, 256)),
    *((f"LM (batch size {b})", True) for b in (5, 10, 20, 40, 80)),
    *((f"Recommendation (batch size {b})", False) for b in (512, 1024, 2048, 4096, 8192)),
    ("A3C", False),
    ("CycleGAN", False),
)


def _gavel_scale(rng: random.Random) -> int:
    """Gavel's ``_generate_scale_factor`` (scheduler/utils.py): one ``uniform(0, 1)`` draw;
    2 on [0.7, 0.8], 4 on (0.8, 0.95], 8 above (the boundaries as Gavel tests them)."""
    r = rng.uniform(0, 1)
    if 0.7 <= r <= 0.8:
        return 2
    if 0.8 <= r <= 0.95:
        return 4
    return 8 if r >= 0.95 else 1


def _gavel_duration(rng: random.Random) -> float:
    """Gavel's ``_generate_duration``: one ``random()`` draw picks the long mode (>= 0.8:
    10^U(3, 4) minutes), else 10^U(1.5, 3) minutes; seconds."""
    if rng.random() >= 0.8:
        return 60.0 * 10 ** rng.uniform(3, 4)
    return 60.0 * 10 ** rng.uniform(1.5, 3)


def _gavel_job(
    rng: random.Random, multi_chip: bool, reference_rate: Callable[[str, int], float]
) -> tuple[str, int, float]:
    """One job as Gavel's ``utils.generate_job`` draws it (its defaults: the scale factor is
    drawn first whether or not multi-GPU jobs are asked for, then the duration, then the type,
    redrawn until a gang's type is distributed): (type, chips, work = duration x V100 rate)."""
    chips = _gavel_scale(rng)
    duration = _gavel_duration(rng)
    if not multi_chip:
        chips = 1
    while True:
        model, distributed = GAVEL_JOB_TABLE[rng.randrange(len(GAVEL_JOB_TABLE))]
        if chips == 1 or distributed:
            break
    return model, chips, duration * reference_rate(model, chips)


def generate_gavel_trace(
    n_jobs: int,
    *,
    rate_per_hour: float,
    reference_rate: Callable[[str, int], float],
    seed: int = 0,
    multi_chip: bool = False,
    steady_state_chips: Mapping[str, int] | None = None,
) -> Trace:
    """The jobs Gavel's simulator generates for ``seed`` (its ``Scheduler.simulate`` without a
    trace, scheduler/scheduler.py at commit c4fa400), the same random numbers in the same
    order, so a run here sees Gavel's very trace rather than another draw of its distributions:

    * jobs from ``random.Random(seed + 2)`` (Gavel's ``_job_generator``), inter-arrival times
      from ``random.Random(seed + 3)`` (``_interarrival_time_generator``): ``-log(1 - U) /
      rate``; the first generated job arrives at 0;
    * ``steady_state_chips`` (Gavel's ``simulate_steady_state``, which its Figure 8/9 drivers
      set): before those, for each worker type in sorted name order, jobs arriving at 0 until
      that type's chips are covered (each job counts its gang size);
    * ``rng.choice(JobTable)`` is ``rng.randrange(len(JobTable))`` in CPython, the draw used
      here.

    ``reference_rate(type, chips)`` is the V100 throughput of the gang (work/s): Gavel's
    ``num_steps = duration x throughputs['v100'][(type, scale)]``. ``n_jobs`` counts all jobs,
    the steady-state ones (ids 0, 1, ...) included, as Gavel's job ids do.

    Examples
    --------
    >>> t = generate_gavel_trace(3, rate_per_hour=2.0, reference_rate=lambda t, c: 1.0)
    >>> [(round(j.arrival), j.job_type) for j in t.jobs]  # doctest: +NORMALIZE_WHITESPACE
    [(0, 'ResNet-18 (batch size 64)'), (489, 'Transformer (batch size 16)'),
     (1904, 'Recommendation (batch size 2048)')]
    """
    if n_jobs < 1 or rate_per_hour <= 0:
        raise InputError.single("<generator>", "need n_jobs >= 1 and rate_per_hour > 0")
    jobs_rng, gaps_rng = random.Random(seed + 2), random.Random(seed + 3)
    rate = rate_per_hour / 3600.0
    jobs: list[SimJob] = []

    def add(at: float) -> None:
        jt, chips, work = _gavel_job(jobs_rng, multi_chip, reference_rate)
        i = len(jobs)
        jobs.append(SimJob(id=f"job{i}", job_type=jt, arrival=at, work=work, chips=chips, index=i))

    for accel in sorted(steady_state_chips or {}):
        left = (steady_state_chips or {})[accel]
        while left > 0 and len(jobs) < n_jobs:
            add(0.0)
            left -= jobs[-1].chips
    t = 0.0
    while len(jobs) < n_jobs:
        add(t)
        t += -math.log(1.0 - gaps_rng.random()) / rate
    return _finish(jobs, {}, f"Gavel's generator (seed {seed})", "generated")
