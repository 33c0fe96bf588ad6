"""Gavel's shipped data (``sim/data/gavel``, see its README): the measured throughputs and the
physical-cluster traces, by name."""

from __future__ import annotations

from pathlib import Path

from computebroker.scheduler.throughput import ThroughputTable
from computebroker.sim.throughputs import read_gavel_throughputs
from computebroker.sim.traces import Trace, read_trace

__all__ = ["GAVEL_DIR", "gavel_throughputs", "gavel_trace"]

GAVEL_DIR = Path(__file__).with_name("data") / "gavel"


def gavel_throughputs() -> ThroughputTable:
    """Gavel's isolated throughputs (steps/s) on K80, P100 and V100."""
    return read_gavel_throughputs(GAVEL_DIR / "throughputs.json")


def gavel_trace(name: str = "max_min_fairness") -> Trace:
    """A Gavel physical-cluster trace: ``max_min_fairness`` or ``minimize_makespan``."""
    return read_trace(GAVEL_DIR / "physical_cluster" / f"{name}.trace")
