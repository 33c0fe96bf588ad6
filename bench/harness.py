"""Tiny benchmark harness: each bench module returns Results; RESULTS.md keeps one section each.

A section is replaced on every run of its benchmark, so running one benchmark leaves the
others' latest figures in place. Each section records the machine and the date.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import resource
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """One measured figure against its target."""

    name: str
    value: float
    unit: str
    target: str
    passed: bool
    notes: str = ""


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


def write_section(title: str, results: list[Result], extra: str = "") -> None:
    """Replace (or append) the section ``## title`` of RESULTS.md."""
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        f"## {title}",
        "",
        f"Measured {now} on {machine()}.",
        "",
        "| measure | value | target | pass |",
        "|---|---|---|---|",
    ]
    for r in results:
        val = f"{r.value:,.3g} {r.unit}" if abs(r.value) < 1000 else f"{r.value:,.0f} {r.unit}"
        lines.append(f"| {r.name} | {val} | {r.target} | {'yes' if r.passed else '**no**'} |")
    notes = [r for r in results if r.notes]
    if notes:
        lines.append("")
        lines.extend(f"- {r.name}: {r.notes}" for r in notes)
    if extra:
        lines += ["", extra.strip()]
    section = "\n".join(lines) + "\n"
    text = (
        RESULTS.read_text()
        if RESULTS.exists()
        else "# Benchmark results\n\nWritten by `make bench` (`python -m bench [NAME ...]`).\n"
    )
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(section + "\n", text)
        if pattern.search(text)
        else text.rstrip("\n") + "\n\n" + section
    )
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(RESULTS)
