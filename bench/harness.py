"""Tiny benchmark harness: each bench module returns Results; RESULTS.md keeps one section each.

A section is replaced on every run of its benchmark, so running one benchmark leaves the
others' latest figures in place. Each section records the machine and the date. A row's pass is
computed from its stated :class:`Target` (``below(60)``, ``at_least(8)``, ...); a row measured
for context ("growth", "reference") has no target and shows a dash, never "yes".
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import re
import resource
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda v, b: v < b,
    "<=": lambda v, b: v <= b,
    ">": lambda v, b: v > b,
    ">=": lambda v, b: v >= b,
}


@dataclass(frozen=True, slots=True)
class Target:
    """A stated target: the measure must satisfy ``value OP bound`` (``bound`` in the measure's
    unit). ``text`` is how it is shown (default: ``OP bound unit``)."""

    op: str
    bound: float
    text: str = ""

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"target operator must be one of {sorted(_OPS)}, got {self.op!r}")
        if not math.isfinite(self.bound):
            raise ValueError(f"target bound must be finite, got {self.bound!r}")

    def met(self, value: float) -> bool:
        """Whether ``value`` meets the target (a NaN never does)."""
        return math.isfinite(value) and _OPS[self.op](value, self.bound)

    def shown(self, unit: str) -> str:
        """The target as written in the table."""
        return self.text or f"{self.op} {self.bound:,g} {unit}".rstrip()


def below(bound: float, text: str = "") -> Target:
    """``value < bound``."""
    return Target("<", bound, text)


def at_most(bound: float, text: str = "") -> Target:
    """``value <= bound``."""
    return Target("<=", bound, text)


def above(bound: float, text: str = "") -> Target:
    """``value > bound``."""
    return Target(">", bound, text)


def at_least(bound: float, text: str = "") -> Target:
    """``value >= bound``."""
    return Target(">=", bound, text)


NO_TARGET = "\u2014"  # an em dash: shown for rows without a target, in both columns


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """One measured figure. Its pass is computed from ``target`` (a :class:`Target`), never
    written in; a row measured for context ("growth", "reference") has a label or nothing as
    its target and no pass."""

    name: str
    value: float
    unit: str
    target: Target | str | None = None
    notes: str = ""
    missing: str = ""  # shown instead of a NaN value: why there is no figure ("not finished")

    @property
    def passed(self) -> bool | None:
        """True or False against the target; None when the row has no target."""
        return self.target.met(self.value) if isinstance(self.target, Target) else None

    @property
    def value_text(self) -> str:
        """The value column: the figure with its unit, or why there is none (a NaN value is
        never shown as "nan"; its pass is "no" wherever the row has a target)."""
        if math.isfinite(self.value):
            return format_value(self.value, self.unit)
        return self.missing or "not measured"

    @property
    def target_text(self) -> str:
        """The target column: the bound, the context label, or a dash."""
        if isinstance(self.target, Target):
            return self.target.shown(self.unit)
        return self.target or NO_TARGET

    @property
    def pass_text(self) -> str:
        """The pass column: yes, **no**, or a dash for rows without a target."""
        return {True: "yes", False: "**no**", None: NO_TARGET}[self.passed]


def machine() -> str:
    """One line naming the machine: CPU model, cores, memory, OS and Python."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024**2:.0f} GiB"
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def peak_rss_mib() -> float:
    """Peak resident memory of this process (and waited-for children) in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def format_value(value: float, unit: str) -> str:
    """A measured value with its unit, as the table shows it."""
    if not math.isfinite(value):
        return f"{value} {unit}".rstrip()
    text = f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def render_section(
    title: str, results: list[Result], extra: str = "", *, measured: str | None = None
) -> str:
    """The markdown of one section (``measured``: the date-and-machine line's content)."""
    when = measured or f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}"
    lines = [
        f"## {title}",
        "",
        f"Measured {when}.",
        "",
        "| measure | value | target | pass |",
        "|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r.name} | {r.value_text} | {r.target_text} | {r.pass_text} |")
    notes = [r for r in results if r.notes]
    if notes:
        lines.append("")
        lines.extend(f"- {r.name}: {r.notes}" for r in notes)
    if extra:
        lines += ["", extra.strip()]
    return "\n".join(lines) + "\n"


def write_section(
    title: str, results: list[Result], extra: str = "", *, path: Path = RESULTS
) -> None:
    """Replace (or append) the section ``## title`` of RESULTS.md (or ``path``)."""
    section = render_section(title, results, extra)
    text = (
        path.read_text()
        if path.exists()
        else "# Benchmark results\n\nWritten by `make bench` (`python -m bench [NAME ...]`).\n"
    )
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(lambda _m: section + "\n", text)
        if pattern.search(text)
        else text.rstrip("\n") + "\n\n" + section
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
