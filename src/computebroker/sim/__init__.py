"""Simulation stage: run a job stream on a fleet under a scheduling policy, with faults.

``engine`` is a tiny discrete-event loop; ``fleet`` reads pools (inline, YAML, plan.json);
``traces`` reads and generates job streams (native CSV/JSONL, Gavel's formats);
``throughputs`` reads throughput tables; ``faults`` reads outages, slips and preemptions;
``simulator.simulate`` runs it all (``records``: its config, per-job records and state;
``gavel_rounds``: Gavel's round mechanism for ``--rounds gavel``) and ``metrics.report`` turns
the result into figures. The inputs (trace, fleet, table, faults) are values a run never
changes.

The names below are imported from their modules on first use, so importing a light module of
the package (``records``, for the command line's options) does not load numpy, pydantic and
the simulator with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from computebroker.sim.engine import Clock, Engine, WallClock
    from computebroker.sim.faults import FaultSpec, check_faults, load_faults
    from computebroker.sim.fleet import Fleet, Pool, load_fleet, parse_inline_fleet
    from computebroker.sim.metrics import SimReport, report
    from computebroker.sim.simulator import SimConfig, SimState, simulate
    from computebroker.sim.throughputs import (
        load_throughputs,
        read_gavel_throughputs,
        table_from_rows,
    )
    from computebroker.sim.traces import (
        Trace,
        check_runnable,
        format_trace,
        generate_trace,
        read_trace,
    )

__all__ = [
    "Clock",
    "Engine",
    "FaultSpec",
    "Fleet",
    "Pool",
    "SimConfig",
    "SimReport",
    "SimState",
    "Trace",
    "WallClock",
    "check_faults",
    "check_runnable",
    "format_trace",
    "generate_trace",
    "load_faults",
    "load_fleet",
    "load_throughputs",
    "parse_inline_fleet",
    "read_gavel_throughputs",
    "read_trace",
    "report",
    "simulate",
    "table_from_rows",
]

# the module that defines each name of __all__
_HOME = {
    **dict.fromkeys(("Clock", "Engine", "WallClock"), "engine"),
    **dict.fromkeys(("FaultSpec", "check_faults", "load_faults"), "faults"),
    **dict.fromkeys(("Fleet", "Pool", "load_fleet", "parse_inline_fleet"), "fleet"),
    **dict.fromkeys(("SimReport", "report"), "metrics"),
    **dict.fromkeys(("SimConfig", "SimState", "simulate"), "simulator"),
    **dict.fromkeys(
        ("load_throughputs", "read_gavel_throughputs", "table_from_rows"), "throughputs"
    ),
    **dict.fromkeys(
        ("Trace", "check_runnable", "format_trace", "generate_trace", "read_trace"), "traces"
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # found once; later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
