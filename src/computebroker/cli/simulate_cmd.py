"""``computebroker simulate``: run a job stream on a fleet under a policy, with faults."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from computebroker.cli.limits import MAX_ARRIVAL_RATE, MAX_GENERATED_JOBS, MIN_ROUND_SECONDS
from computebroker.cli.output import (
    Format,
    check_output_file,
    make_console,
    output_folder,
    render_rows,
    rows_text,
)
from computebroker.errors import InputError
from computebroker.outputs import write_text_atomic
from computebroker.scheduler.registry import policy_names
from computebroker.sim.records import RoundMode

# The simulator, the catalog and the report (numpy, pydantic, HiGHS) are imported when the
# command runs: ``simulate --help`` needs only the options above.
if TYPE_CHECKING:
    from rich.console import Console

    from computebroker.scheduler.throughput import ThroughputTable
    from computebroker.sim.faults import FaultSpec
    from computebroker.sim.fleet import Fleet
    from computebroker.sim.records import SimConfig, SimState
    from computebroker.sim.traces import Trace

__all__ = ["simulate_cmd"]

SIM_FILES = ("simulate.html", "simulate.json")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for one simulation, and restored after.

    A run's objects (a few per job) live until it ends and it makes no cyclic garbage worth
    collecting, so the collector would only rescan them: 1.2 s of 5.3 s of CPU (23%) at
    100,000 jobs with fifo, 7 ms at 1,000 jobs (measured with gc.callbacks, 2026-12-01). The
    setting is process-wide, so it is made here, at the command's edge, never in the library.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def simulate(
    fleet: Fleet,
    trace: Trace,
    table: ThroughputTable,
    *,
    faults: list[FaultSpec],
    config: SimConfig,
    progress: Callable[[float, float], None] | None = None,
) -> SimState:
    """``computebroker.sim.simulate``, whose module (numpy, the policies) is imported when a
    run starts."""
    from computebroker.sim.simulator import simulate as run

    return run(fleet, trace, table, faults=faults, config=config, progress=progress)


def _run(
    fl: Fleet,
    tr: Trace,
    table: ThroughputTable,
    faults: list[FaultSpec],
    cfg: SimConfig,
    *,
    bar: bool,
) -> SimState:
    """The simulation, with the collector paused and, with ``bar``, a progress bar on stderr
    (rich's progress module is imported only then)."""
    if not bar:
        with _collector_paused():
            return simulate(fl, tr, table, faults=faults, config=cfg)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[dim]simulating[/dim]"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}% of arrivals"),
        TimeElapsedColumn(),
        console=make_console(stderr=True),
        transient=True,
    ) as progress_bar:
        task = progress_bar.add_task("sim", total=1.0)

        def progress(now: float, last: float) -> None:
            progress_bar.update(task, completed=min(1.0, now / last) if last > 0 else 1.0)

        with _collector_paused():
            return simulate(fl, tr, table, faults=faults, config=cfg, progress=progress)


def _throughputs(spec: str | None, fleet: Fleet, catalog_files: list[Path]) -> ThroughputTable:
    from computebroker.catalog import load_catalog
    from computebroker.sim.gavel import gavel_throughputs
    from computebroker.sim.throughputs import load_throughputs, table_from_rows

    if spec == "gavel":
        return gavel_throughputs()
    if spec is None:
        if fleet.throughput_rows:
            return table_from_rows(
                fleet.throughput_rows, f"{fleet.source} (the plan's throughput matrix)"
            )
        raise InputError.single(
            "--throughputs",
            "give --throughputs: 'gavel' (Gavel's measured K80/P100/V100 table), a matrix CSV/JSON from "
            "`computebroker estimate matrix`, or a workloads YAML to price on the fleet's chips",
            field="--throughputs",
        )
    accs = sorted({p.view.accelerator for p in fleet.pools})
    return load_throughputs(spec, accelerators=accs, catalog=load_catalog(catalog_files))


def _trace(
    spec: str | None,
    generate: int | None,
    rate: float,
    bursty: bool,
    multi_chip: bool,
    seed: int,
    table: ThroughputTable,
) -> Trace:
    from computebroker.sim.traces import check_generated_span, generate_trace, read_trace

    if spec and generate is not None:
        raise InputError.single(
            "--trace", "give --trace or --generate, not both", field="--generate"
        )
    if spec and spec.startswith("gavel:"):
        return _gavel_trace(spec)
    if spec:
        return read_trace(spec)
    if generate is None:
        raise InputError.single(
            "--trace",
            "give --trace FILE (or gavel:max_min_fairness), or --generate N",
            field="--trace",
        )
    check_generated_span(
        generate,
        rate,
        source="--arrival-rate",
        jobs_field="--generate",
        rate_field="--arrival-rate",
    )
    types = sorted(table.job_types())
    accs = sorted(table.accelerators())

    def ref(jt: str, chips: int) -> float:
        # work = duration x throughput on the fastest chip for the job (Gavel uses its V100)
        return max((table.lookup(jt, a, chips) for a in accs), default=0.0)

    def distributable(jt: str) -> bool:
        return all(ref(jt, c) > 0 for c in (2, 4, 8))

    return generate_trace(
        generate,
        rate_per_hour=rate,
        job_types=types,
        reference_rate=ref,
        seed=seed,
        multi_chip=multi_chip,
        bursty=bursty,
        distributable=distributable,
    )


def _gavel_trace(spec: str) -> Trace:
    """``gavel:NAME``: one of Gavel's shipped physical-cluster traces (a name, not a path)."""
    from computebroker.sim.gavel import GAVEL_DIR
    from computebroker.sim.traces import read_trace

    folder = GAVEL_DIR / "physical_cluster"
    known = sorted(p.stem for p in folder.glob("*.trace"))
    name = spec.split(":", 1)[1]
    if name not in known:
        raise InputError.single(
            "--trace",
            f"{spec!r}: Gavel's shipped traces are {', '.join('gavel:' + k for k in known)}",
            field="--trace",
        )
    return read_trace(folder / f"{name}.trace")


def _check_not_a_report(save_trace: Path, output: Path | None) -> None:
    """--save-trace is not one of the files -o writes after it (the trace would be lost)."""
    if output is None:
        return
    if save_trace.resolve() in {(output / name).resolve() for name in SIM_FILES}:
        raise InputError.single(
            str(save_trace),
            f"--output writes {save_trace.name} after the trace is saved there, so the trace "
            "would be lost; give --save-trace another name",
            field="--save-trace",
        )


def _check_round(round_seconds: float | None) -> None:
    if round_seconds is not None and 0 < round_seconds < MIN_ROUND_SECONDS:
        raise InputError.single(
            "--round-seconds",
            f"{round_seconds:g} s: give 0 (event-driven) or a round of at least "
            f"{MIN_ROUND_SECONDS:g} s (Gavel's are 360 s)",
            field="--round-seconds",
        )


def _warn_rejected(console: Console, reasons: dict[str, int]) -> None:
    """One line per reason jobs were refused at arrival (the table counts them only)."""
    from rich.markup import escape

    for why, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        jobs = "1 job" if n == 1 else f"{n:,} jobs"
        console.print(f"[yellow]{jobs} rejected[/yellow]: {escape(why)}", highlight=False)


def _warn_unpriced(console: Console, fl: Fleet) -> None:
    """One warning line per pool without a price (its cost of 0 is no real cost), saying why."""
    from rich.markup import escape

    for p in fl.pools:
        if p.view.unpriced:
            console.print(
                f"[yellow]pool {escape(p.view.name)}[/yellow] {escape(p.view.price_basis)}; "
                "its cost counts as $0",
                highlight=False,
            )


def simulate_cmd(
    fleet: Annotated[
        str,
        typer.Option("--fleet", help="FLEET.yaml, PLAN.json, or inline 'v100=8,p100=16,k80=24'."),
    ],
    trace: Annotated[
        str | None,
        typer.Option(
            "--trace", help="Trace: native CSV/JSONL, Gavel's format, or gavel:max_min_fairness."
        ),
    ] = None,
    policy: Annotated[
        str, typer.Option("--policy", "-p", help=f"One of: {', '.join(policy_names())}.")
    ] = "max-min-fairness",
    throughputs: Annotated[
        str | None,
        typer.Option(
            "--throughputs", help="'gavel', a matrix CSV/JSON, Gavel's JSON, or a workloads YAML."
        ),
    ] = None,
    faults: Annotated[
        Path | None, typer.Option("--faults", help="Faults YAML (outages, slips, preemptions).")
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed for faults, preemptions and --generate.")
    ] = 0,
    round_seconds: Annotated[
        float | None,
        typer.Option(
            "--round-seconds",
            min=0.0,
            help="Round length; 0 = event-driven (default: 360 for preemptive policies).",
        ),
    ] = None,
    rounds: Annotated[
        RoundMode,
        typer.Option(
            "--rounds",
            help="How preemptive policies' shares run: 'fluid' (average rates, the default) or "
            "'gavel' (Gavel's whole-round placements, to reproduce its results).",
        ),
    ] = RoundMode.FLUID,
    until_hours: Annotated[
        float | None,
        typer.Option("--until-hours", min=0.0, help="Stop after this many simulated hours."),
    ] = None,
    generate: Annotated[
        int | None,
        typer.Option(
            "--generate",
            min=1,
            max=MAX_GENERATED_JOBS,
            help="Instead of --trace: generate N jobs (Philly-like durations).",
        ),
    ] = None,
    arrival_rate: Annotated[
        float,
        typer.Option(
            "--arrival-rate", min=1e-6, max=MAX_ARRIVAL_RATE, help="Jobs per hour for --generate."
        ),
    ] = 2.0,
    bursty: Annotated[
        bool, typer.Option("--bursty", help="Bursty arrivals for --generate.")
    ] = False,
    multi_chip: Annotated[
        bool, typer.Option("--multi-chip", help="Philly gang sizes (1/2/4/8) for --generate.")
    ] = False,
    save_trace: Annotated[
        Path | None,
        typer.Option("--save-trace", help="Write the (generated) trace here: .csv or .jsonl."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Folder for simulate.html and simulate.json (created if missing).",
        ),
    ] = None,
    catalog: Annotated[
        list[Path] | None, typer.Option("--catalog", help="Extra offerings/deals (YAML/CSV).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TABLE,
) -> None:
    """Run a job stream on a fleet under a policy, with faults; JCT, utilisation, cost, SLOs."""
    from computebroker.catalog import load_catalog
    from computebroker.reports.sim import add_sim_sections, pool_rows, summary_rows
    from computebroker.scheduler import get_policy
    from computebroker.sim.faults import check_faults, load_faults
    from computebroker.sim.fleet import load_fleet
    from computebroker.sim.metrics import report
    from computebroker.sim.records import SimConfig
    from computebroker.sim.traces import check_runnable, format_trace

    _check_round(round_seconds)
    given = [fleet, trace, throughputs, faults, *(catalog or [])]
    if output is not None:
        output = output_folder(output, writes=SIM_FILES, inputs=given)
    if save_trace is not None:
        check_output_file(save_trace, inputs=given, option="--save-trace")
        _check_not_a_report(save_trace, output)
    cat = load_catalog(catalog or [])
    fl = load_fleet(fleet, cat)
    table = _throughputs(throughputs, fl, catalog or [])
    tr = _trace(trace, generate, arrival_rate, bursty, multi_chip, seed, table)
    check_runnable(tr, table, [p.view.accelerator for p in fl.pools], fl.source)
    fault_specs = load_faults(faults) if faults is not None else []
    check_faults(fl, fault_specs)
    if save_trace is not None:
        write_text_atomic(save_trace, format_trace(tr, jsonl=save_trace.suffix.lower() == ".jsonl"))
    cfg = SimConfig(
        policy=policy,
        round_seconds=round_seconds,
        rounds=rounds,
        seed=seed,
        until_s=until_hours * 3600.0 if until_hours is not None else None,
    )
    get_policy(policy)  # a bad name fails before the run
    st = _run(fl, tr, table, fault_specs, cfg, bar=fmt is Format.TABLE)
    r = report(st)
    doc = r.record() | {
        "fleet": fl.source,
        "trace": tr.source,
        "pools": pool_rows(st, r),
        "throughputs": table.source,
    }
    if output is not None:
        from computebroker.reports.html import HtmlReport  # plotly: only for the page

        page = HtmlReport(
            title=f"computebroker simulate: {r.policy}",
            subtitle=f"{len(tr.jobs):,} jobs from {tr.source} on {fl.describe()}",
        )
        add_sim_sections(page, st, r)
        write_text_atomic(output / SIM_FILES[0], page.render())
        write_text_atomic(output / SIM_FILES[1], json.dumps(doc, indent=2, default=str) + "\n")
    # JSON and CSV go straight to stdout: no console (importing rich costs start-up)
    if fmt is Format.JSON:
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
        return
    if fmt is Format.CSV:
        sys.stdout.write(rows_text(pool_rows(st, r), fmt))
        return
    console = make_console()
    render_rows(
        console,
        summary_rows(r),
        Format.TABLE,
        title=f"Simulation: {len(tr.jobs):,} jobs on {fl.describe()}",
    )
    render_rows(
        console,
        pool_rows(st, r),
        Format.TABLE,
        title="Pools",
        columns=[
            ("pool", "pool"),
            ("accelerator", "chip"),
            ("contract", "contract"),
            ("utilisation", "util"),
            ("busy_chip_hours", "busy chip-h"),
            ("cost_usd", "cost $"),
        ],
        formatters={
            "utilisation": lambda v: f"{v:.1%}",
            "busy_chip_hours": lambda v: f"{v:,.0f}",
            "cost_usd": lambda v: f"{v:,.0f}",
        },
    )
    _warn_rejected(console, r.rejected_reasons)
    _warn_unpriced(console, fl)
    if output is not None:
        console.print(f"wrote {output / SIM_FILES[0]} and {output / SIM_FILES[1]}", highlight=False)
