"""Faults: provider or region outages, delivery slips and spot preemptions, each with the cost
of a restart (work since the last checkpoint is lost; the job waits ``restart_s``).

A faults file (YAML, ``faults:`` list; docs/simulate.md):

```yaml
faults:
  - {kind: outage, provider: aws, start_h: 100, duration_h: 6, restart_s: 600}
  - {kind: slip, pool: "coreweave-*", delay_h: 2190, fraction: 0.7}
  - {kind: preemption, provider: gcp, rate_per_chip_hour: 0.01, restart_s: 300}
  - {kind: random-outages, provider: oci, rate_per_day: 0.05, duration_h: 4}
```

Pools are matched by ``pool`` (a name or glob), ``provider``, ``region`` and
``accelerator``: all that are given must match. ``random-outages`` draws outage start times as
a Poisson process from the simulation's seeded generator, so a seed gives the same faults.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from computebroker.errors import InputError
from computebroker.inputs import load_yaml, validation_issues
from computebroker.sim.fleet import HOUR, MAX_PREEMPTIONS_PER_CHIP_HOUR, Fleet, Pool

__all__ = [
    "FaultKind",
    "FaultSpec",
    "Outage",
    "apply_static_faults",
    "check_faults",
    "draw_outages",
    "load_faults",
]


# Bounds, so a typo is refused instead of drawing outages without end: a fault's times within
# the traces' bound (sim/traces.py MAX_TRACE_S, ~317 years, in hours); an outage a minute; a
# preemption a second per chip; and at most MAX_DRAWN_OUTAGES random outages in one run.
MAX_FAULT_H = 1e10 / HOUR
MAX_OUTAGES_PER_DAY = 1_440.0
MAX_DRAWN_OUTAGES = 1_000_000


class FaultKind(StrEnum):
    """The kinds of fault."""

    OUTAGE = "outage"
    SLIP = "slip"
    PREEMPTION = "preemption"
    RANDOM_OUTAGES = "random-outages"


class FaultSpec(BaseModel):
    """One fault (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, defer_build=True)

    kind: FaultKind
    pool: str | None = None
    provider: str | None = None
    region: str | None = None
    accelerator: str | None = None
    start_h: Annotated[float, Field(ge=0, le=MAX_FAULT_H)] = 0.0
    duration_h: Annotated[float, Field(gt=0, le=MAX_FAULT_H)] | None = None
    delay_h: Annotated[float, Field(ge=0, le=MAX_FAULT_H)] = 0.0
    fraction: Annotated[float, Field(ge=0, le=1)] = 1.0
    rate_per_chip_hour: Annotated[float, Field(ge=0, le=MAX_PREEMPTIONS_PER_CHIP_HOUR)] | None = (
        None
    )
    rate_per_day: Annotated[float, Field(gt=0, le=MAX_OUTAGES_PER_DAY)] | None = None
    restart_s: Annotated[float, Field(ge=0, le=MAX_FAULT_H * HOUR)] = 600.0
    # where the fault was written (file and line), for the messages of checks made later
    # against a fleet; not a field of the file
    _source: str = PrivateAttr(default="faults")
    _line: int | None = PrivateAttr(default=None)

    @property
    def source(self) -> str:
        """The file the fault was read from (``faults`` when built in code)."""
        return self._source

    @model_validator(mode="after")
    def _fields(self) -> FaultSpec:
        if not any((self.pool, self.provider, self.region, self.accelerator)):
            raise ValueError("name the pools it hits: pool, provider, region and/or accelerator")
        if self.kind is FaultKind.OUTAGE and self.duration_h is None:
            raise ValueError("an outage needs duration_h")
        if self.kind is FaultKind.RANDOM_OUTAGES and (
            self.rate_per_day is None or self.duration_h is None
        ):
            raise ValueError("random-outages need rate_per_day and duration_h")
        if self.kind is FaultKind.PREEMPTION and self.rate_per_chip_hour is None:
            raise ValueError("a preemption fault needs rate_per_chip_hour")
        if self.kind is FaultKind.SLIP and self.delay_h == 0 and self.fraction == 1:
            raise ValueError("a slip needs delay_h > 0 or fraction < 1")
        return self

    def matches(self, pool: Pool) -> bool:
        """Whether this fault hits ``pool``."""
        v = pool.view
        return (
            (self.pool is None or fnmatch.fnmatchcase(v.name, self.pool))
            and (self.provider is None or v.provider == self.provider.lower())
            and (self.region is None or fnmatch.fnmatchcase(v.region, self.region))
            and (self.accelerator is None or v.accelerator == self.accelerator.lower())
        )


class _FaultsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, defer_build=True)
    faults: list[FaultSpec] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Outage:
    """Pools ``pools`` (indices) have no capacity from ``start`` for ``duration`` seconds."""

    pools: tuple[int, ...]
    start: float
    duration: float
    restart_s: float
    label: str


def load_faults(path: Path | str) -> list[FaultSpec]:
    """Read and validate a faults file."""
    doc = load_yaml(path)
    try:
        faults = _FaultsFile.model_validate(doc.data).faults
    except ValidationError as exc:
        raise InputError(validation_issues(exc, doc.source, doc=doc)) from None
    for i, f in enumerate(faults):
        f._source, f._line = doc.source, doc.line_of(("faults", i))
    return faults


def check_faults(fleet: Fleet, faults: Sequence[FaultSpec]) -> None:
    """Refuse a fault that hits no pool of ``fleet`` (a typo in a name), naming its file."""
    for i, f in enumerate(faults):
        _check_hits(f, [k for k, p in enumerate(fleet.pools) if f.matches(p)], fleet, i)


def _check_hits(spec: FaultSpec, hits: list[int], fleet: Fleet, i: int) -> None:
    if not hits:
        names = ", ".join(p.view.name for p in fleet.pools)
        raise InputError.single(
            spec.source,
            f"faults[{i}] ({spec.kind.value}) matches no pool; pools are {names}",
            line=spec._line,
            field=f"faults[{i}]",
        )


def apply_static_faults(fleet: Fleet, faults: Sequence[FaultSpec]) -> Fleet:
    """The fleet with slips (capacity schedules moved and scaled) and preemption rates applied:
    a new fleet; ``fleet`` is unchanged."""
    pools = list(fleet.pools)
    for i, f in enumerate(faults):
        hits = [k for k, p in enumerate(pools) if f.matches(p)]
        if f.kind in (FaultKind.SLIP, FaultKind.PREEMPTION):
            _check_hits(f, hits, fleet, i)
        for k in hits:
            pool = pools[k]
            if f.kind is FaultKind.SLIP:
                steps = _slipped(list(pool.steps), f.start_h * HOUR, f.delay_h * HOUR, f.fraction)
                pools[k] = replace(pool, steps=steps)
            elif f.kind is FaultKind.PREEMPTION:
                assert f.rate_per_chip_hour is not None
                pools[k] = replace(
                    pool, preemption_per_chip_hour=f.rate_per_chip_hour, restart_s=f.restart_s
                )
    return replace(fleet, pools=pools)


def _slipped(
    steps: list[tuple[float, int]], after: float, delay: float, fraction: float
) -> list[tuple[float, int]]:
    """Capacity increases at or after ``after`` arrive ``delay`` later and only ``fraction`` of
    them; decreases (contract ends) keep their dates.

    Examples
    --------
    >>> _slipped([(0.0, 8), (100.0, 16), (300.0, 0)], after=50.0, delay=50.0, fraction=0.5)
    [(0.0, 8), (150.0, 12), (300.0, 0)]
    """

    def orig(t: float) -> int:
        level = 0
        for at, n in steps:
            if at <= t:
                level = n
            else:
                break
        return level

    base = orig(after - 1e-9) if after > 0 else 0
    times = sorted({at for at, _ in steps} | {at + delay for at, _ in steps if at >= after})
    out: list[tuple[float, int]] = []
    for t in times:
        if t < after:
            level = orig(t)
        else:
            late = orig(t - delay) if t - delay >= after else base
            level = min(orig(t), base + round(fraction * max(0, late - base)))
        if not out or out[-1][1] != level:
            out.append((t, level))
    return out


def draw_outages(
    fleet: Fleet, faults: Sequence[FaultSpec], horizon_s: float, rng: np.random.Generator
) -> list[Outage]:
    """The outages of a run: the fixed ones, and random ones drawn up to ``horizon_s``."""
    out: list[Outage] = []
    for i, f in enumerate(faults):
        if f.kind not in (FaultKind.OUTAGE, FaultKind.RANDOM_OUTAGES):
            continue
        hits = tuple(k for k, p in enumerate(fleet.pools) if f.matches(p))
        _check_hits(f, list(hits), fleet, i)
        assert f.duration_h is not None
        if f.kind is FaultKind.OUTAGE:
            out.append(
                Outage(
                    pools=hits,
                    start=f.start_h * HOUR,
                    duration=f.duration_h * HOUR,
                    restart_s=f.restart_s,
                    label=f"faults[{i}]",
                )
            )
            continue
        assert f.rate_per_day is not None
        t = f.start_h * HOUR
        while True:
            t += float(rng.exponential(86400.0 / f.rate_per_day))
            if t >= horizon_s:
                break
            if len(out) >= MAX_DRAWN_OUTAGES:
                raise InputError.single(
                    f.source,
                    f"draws more than {MAX_DRAWN_OUTAGES:,} outages over the run; "
                    "lower rate_per_day or the run's length",
                    line=f._line,
                    field=f"faults[{i}].rate_per_day",
                )
            out.append(
                Outage(
                    pools=hits,
                    start=t,
                    duration=f.duration_h * HOUR,
                    restart_s=f.restart_s,
                    label=f"faults[{i}] (random)",
                )
            )
    return sorted(out, key=lambda o: o.start)
