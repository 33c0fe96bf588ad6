"""``computebroker plan SCENARIO.yaml``: which commitments to sign, with whom, when, at what risk."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel

from computebroker.catalog import Catalog, load_catalog
from computebroker.cli.limits import MAX_OUT_OF_SAMPLE, MAX_SCENARIOS, MAX_WORKERS
from computebroker.cli.output import (
    Format,
    fmt_money,
    fmt_num,
    fmt_usd,
    make_console,
    output_folder,
    render_rows,
)
from computebroker.errors import InputError
from computebroker.outputs import write_json_atomic, write_text_atomic
from computebroker.planner import (
    FrontierAxis,
    PlanMetrics,
    PlanOptions,
    ScenarioSpec,
    load_scenario,
    parse_set,
    parse_slip,
)
from computebroker.planner.document import (
    SCHEDULE_COLUMNS,
    PlanDocument,
    price_of_work_rows,
    schedule_rows,
)
from computebroker.reports.plan import (
    CLI_HINT,
    convergence_line,
    headline_rows,
    plan_report,
    stress_text,
)
from computebroker.workflow import (
    DEFAULT_OUT_OF_SAMPLE,
    PlanRun,
    PlanRunOptions,
    WhatIf,
    no_plan_error,
    plan_run,
)

__all__ = ["plan"]

Bounds = Callable[[int, float, float], None]


def _status_line(console: Console, fmt: Format, text: str) -> None:
    if fmt is Format.TABLE:
        make_console(stderr=True).print(f"[dim]{text}[/dim]", highlight=False)


def _signed_from(path: Path, spec: ScenarioSpec, as_of: int) -> dict[tuple[str, int], float]:
    doc = PlanDocument.read(path)
    periods = spec.horizon.labels
    offers = sorted(o.id for o in spec.offers if o.is_commitment)
    out: dict[tuple[str, int], float] = {}
    for i, c in enumerate(doc.planned(str(path)).commitments):
        if c.start not in periods:
            raise InputError.single(
                str(path),
                f"commitments[{i}].start {c.start!r} is not a period of this scenario",
            )
        if periods.index(c.start) < as_of and c.offer not in offers:
            # a signed contract of an offer the scenario no longer has was dropped silently
            raise InputError.single(
                str(path),
                f"signed before --as-of, but this scenario has no commitment offer {c.offer!r}"
                f" (it has {', '.join(offers) or 'none'}); put the offer back in the scenario",
                field=f"commitments[{i}].offer",
            )
        key = (c.offer, periods.index(c.start))
        out[key] = out.get(key, 0.0) + c.chips
    return out


def _on_server(
    server: str,
    token: str | None,
    scenario: Path,
    scenarios: int | str | None,
    replications: int | None,
    seed: int | None,
    method: str,
    output: Path | None,
    fmt: Format,
    console: Console,
) -> None:
    """``plan --server``: the server plans; the document comes back here."""
    from computebroker.cli.remote import remote_plan

    if not token:
        raise InputError.single(
            "<args>",
            "--server needs --token (or $CB_TOKEN): computebroker token create --team T",
            field="--token",
        )
    plan = remote_plan(
        server,
        token,
        scenario,
        scenarios=scenarios,
        replications=replications,
        seed=seed,
        method=method,
        progress=lambda m: _status_line(console, fmt, m),
    )
    if output is not None:
        write_json_atomic(output / "plan.json", plan.to_json())
    if fmt is Format.JSON:
        console.file.write(plan.text())
        return
    got = plan.planned(server)
    m = got.metrics
    console.print(
        f"{plan.scenario}: expected cost ${m.expected_cost_usd:,.0f}, CVaR ${m.cvar_usd:,.0f}, "
        f"P(shortfall) {m.p_shortfall:.1%} ({plan.termination})",
        highlight=False,
    )
    c = m.convergence
    console.print(
        "convergence: "
        + (
            f"not measured: {CLI_HINT}"
            if c is None
            else f"{'converged' if c.converged else 'NOT converged'} at {c.scenarios:,} scenarios"
        ),
        highlight=False,
    )
    render_rows(
        console,
        [c.model_dump() for c in got.commitments],
        Format.TABLE,
        title="Commitment schedule (planned on the server)",
        columns=[
            ("start", "start"),
            ("offer", "offer"),
            ("provider", "provider"),
            ("accelerator", "chip"),
            ("chips", "chips"),
            ("obligation_usd", "obligation"),
        ],
        formatters={"chips": lambda v: fmt_num(v, 0), "obligation_usd": fmt_usd},
    )


def _fmt_figure(v: float, unit: str, *, signed: bool = False) -> str:
    """A what-if figure in its unit (percentage points for fractions' deltas)."""
    if unit == "usd":
        return ("+" if signed and v > 0 else "") + fmt_usd(v)
    if unit == "fraction":
        return f"{v * 100:+.1f} pp" if signed else f"{v:.1%}"
    return f"{v:+.3f}" if signed else f"{v:.3f}"


@contextmanager
def _bounds_bar(opt: PlanOptions, fmt: Format) -> Iterator[Bounds]:
    """A decomposition's bounds and gap on a progress bar (table output)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    target = max(opt.benders_gap, 1e-12)
    with Progress(
        TextColumn("[dim]decomposition[/dim]"),
        BarColumn(),
        TextColumn("{task.fields[text]}"),
        TimeElapsedColumn(),
        console=make_console(stderr=True),
        transient=True,
        disable=fmt is not Format.TABLE,
    ) as bar:
        task = bar.add_task("bounds", total=1.0, text="")

        def bounds(it: int, lo: float, hi: float) -> None:
            gap = max((hi - lo) / max(abs(hi), 1e-12), target)
            # progress on a log scale: from a gap of 1 down to the target gap
            done = min(1.0, math.log10(1.0 / gap) / math.log10(1.0 / target)) if gap < 1 else 0.0
            bar.update(
                task,
                completed=done,
                text=f"iteration {it}  lower ${lo:,.0f}M  upper ${hi:,.0f}M  gap {gap:.1e}",
            )

        yield bounds


def _whatif_of(
    scenario: Path, cat: Catalog, sets: list[str] | None, slips: list[str] | None
) -> WhatIf | None:
    """The what-if of ``--set``/``--slip``, checked before any solving (a typo costs nothing)."""
    edits: list[tuple[str, Any]] = [parse_set(s) for s in sets or []]
    for s in slips or []:
        edits.extend(parse_slip(s))
    if not edits:
        return None
    return WhatIf(spec=load_scenario(scenario, cat, overrides=edits), edits=tuple(edits))


def _replan_from(
    spec: ScenarioSpec, as_of: str | None, signed: Path | None
) -> tuple[int | None, dict[tuple[str, int], float]]:
    """``--as-of`` as a period index, and the commitments of ``--signed``."""
    if as_of is None:
        if signed is not None:
            raise InputError.single(
                "<args>", "--signed needs --as-of (the first period still open)", field="--signed"
            )
        return None, {}
    try:
        index = spec.horizon.index(as_of)
    except ValueError as exc:
        raise InputError.single("<args>", str(exc), field="--as-of") from None
    if not 0 <= index < spec.horizon.count:
        raise InputError.single(
            "<args>",
            f"--as-of {as_of} is outside the horizon {spec.horizon.labels[0]}..{spec.horizon.labels[-1]}",
            field="--as-of",
        )
    return index, ({} if signed is None else _signed_from(signed, spec, index))


def _scenario_count(value: str | None) -> int | str | None:
    """``--scenarios``: a positive count, ``auto``, or None (the file's count)."""
    if value is None or value == "auto":
        return value
    try:
        n = int(value)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_SCENARIOS:
        raise InputError.single(
            "<args>",
            f"--scenarios must be a count from 1 to {MAX_SCENARIOS:,} or auto, got {value!r}",
            field="--scenarios",
        )
    return n


def _choice(value: str, allowed: tuple[str, ...], flag: str) -> str:
    if value not in allowed:
        raise InputError.single(
            "<args>",
            f"{flag} must be {', '.join(allowed[:-1])} or {allowed[-1]}, got {value!r}",
            field=flag,
        )
    return value


def _write(output: Path, run: PlanRun) -> None:
    write_json_atomic(output / "plan.json", run.document.to_json())
    if run.plan is not None:
        write_text_atomic(output / "plan.html", plan_report(run).render())


def plan(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (docs/scenario.md).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for plan.json and plan.html.")
    ] = None,
    scenarios: Annotated[
        str | None,
        typer.Option(
            "--scenarios",
            help="Scenario count (default: the file's), or auto: grow the sample until the "
            "optimality gap and the interval of the expected cost meet 1%.",
        ),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications",
            min=0,
            max=50,
            help="Independent replications measuring the plan's intervals, optimality gap and "
            "stability (default: the file's scenarios.replications; 0: not measured; with "
            "--scenarios auto, per sample size, default 5).",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Sampling seed (default: the file's).")
    ] = None,
    milp: Annotated[
        bool,
        typer.Option(
            "--milp", help="Whole blocks, minimum quantities and the vendor minimum (MILP)."
        ),
    ] = False,
    throughput_uncertainty: Annotated[
        bool,
        typer.Option(
            "--throughput-uncertainty",
            help="Draw each chip's throughput per scenario from its estimate's band, so a plan "
            "leaning on an unfitted chip pays for the risk (policy.throughput_uncertainty).",
        ),
    ] = False,
    gap: Annotated[
        float | None,
        typer.Option(
            "--gap",
            min=0.0,
            max=1.0,
            help="Relative gap: MILP (default 0.01) or decomposition (default 1e-4).",
        ),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            help="Where decomposition subproblems run: local (process pool), serial, ray.",
        ),
    ] = "local",
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, max=MAX_WORKERS, help="Subproblem workers (default: cores)."
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address", help="Ray cluster to join: auto or HOST:PORT (with --executor ray)."
        ),
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="extensive, benders, or auto (benders from 300 scenarios when it applies).",
        ),
    ] = "auto",
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", min=1.0, help="Solver time limit (s).")
    ] = None,
    with_frontier: Annotated[
        bool, typer.Option("--frontier", help="Also sweep the efficient frontier.")
    ] = False,
    with_stress: Annotated[
        bool,
        typer.Option(
            "--stress",
            help="Also score the plan on every seller of its main chip two periods late together.",
        ),
    ] = False,
    frontier_over: Annotated[
        FrontierAxis,
        typer.Option("--frontier-over", help="Sweep the risk weight or the vendor cap."),
    ] = FrontierAxis.RISK,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help="What-if: KEY=VALUE on the scenario (repeatable)."),
    ] = None,
    slips: Annotated[
        list[str] | None,
        typer.Option(
            "--slip", help="What-if: OFFER:PERIODS, the offer's deliveries that much late."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Re-plan from this period; earlier starts stay as signed."),
    ] = None,
    signed: Annotated[
        Path | None,
        typer.Option(
            "--signed", help="plan.json of the commitments already signed (with --as-of)."
        ),
    ] = None,
    out_of_sample: Annotated[
        int,
        typer.Option(
            "--out-of-sample",
            min=0,
            max=MAX_OUT_OF_SAMPLE,
            help="Fresh scenarios to re-score the plan on (0: skip).",
        ),
    ] = DEFAULT_OUT_OF_SAMPLE,
    catalog: Annotated[
        list[Path] | None, typer.Option("--catalog", help="Extra offerings/deals (YAML/CSV).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TABLE,
    server: Annotated[
        str | None,
        typer.Option("--server", help="Plan on a computebroker server (URL) instead of here."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="CB_TOKEN", help="API token for --server (or $CB_TOKEN)."),
    ] = None,
) -> None:
    """Which commitments to sign, with whom, when: a two-stage stochastic program (LP/MILP)."""
    console = make_console()
    if output is not None:
        output = output_folder(
            output, writes=("plan.json", "plan.html"), inputs=[scenario, signed, *(catalog or [])]
        )
    count = _scenario_count(scenarios)
    if replications == 1:  # a t interval needs two
        raise InputError.single(
            "<args>",
            "--replications must be 0 (not measured) or at least 2",
            field="--replications",
        )
    if server is not None:
        if throughput_uncertainty:
            raise InputError.single(
                "<args>",
                "with --server, set policy.throughput_uncertainty: true in the scenario file",
                field="--throughput-uncertainty",
            )
        _on_server(server, token, scenario, count, replications, seed, method, output, fmt, console)
        return
    cat = load_catalog(catalog or [])
    spec = load_scenario(scenario, cat)
    if throughput_uncertainty:
        spec = replace(spec, policy=replace(spec.policy, throughput_uncertainty=True))
    whatif = _whatif_of(scenario, cat, sets, slips)
    as_of_index, signed_map = _replan_from(spec, as_of, signed)
    solve = PlanOptions(
        milp=milp,
        mip_gap=gap if gap is not None else 0.01,
        benders_gap=gap if gap is not None else 1e-4,
        time_limit_s=time_limit,
        method=_choice(method, ("auto", "extensive", "benders"), "--method"),
        executor=_choice(executor, ("local", "serial", "ray"), "--executor"),
        workers=workers,
        ray_address=ray_address,
    )
    options = PlanRunOptions(
        scenarios=count if isinstance(count, int) else None,
        converge=count == "auto",
        replications=replications,
        seed=seed,
        solve=solve,
        out_of_sample=out_of_sample,
        frontier=frontier_over if with_frontier else None,
        stress=with_stress,
        as_of=as_of_index,
        signed=signed_map,
    )

    def say(msg: str) -> None:
        _status_line(console, fmt, msg)

    def frontier_progress(i: int, n: int, value: float) -> None:
        if i < n:
            say(f"frontier point {i + 1}/{n} ({frontier_over.value} = {value:g})")

    with _bounds_bar(solve, fmt) as bounds:
        run = plan_run(
            spec,
            cat,
            options,
            whatif=whatif,
            progress=say,
            bounds=bounds,
            frontier_progress=frontier_progress,
        )
    if output is not None:
        _write(output, run)
    if fmt is Format.JSON:
        console.file.write(run.document.text())
    if run.plan is None:
        raise no_plan_error(run.result)
    if fmt is Format.CSV:
        render_rows(
            console, [c.model_dump() for c in run.document.planned("plan").commitments], fmt
        )
    elif fmt is Format.TABLE:
        _print_plan(console, run)
        _print_whatif(console, run)
        _print_frontier(console, run)
        if run.stress is not None:
            console.print(stress_text(run.stress), highlight=False)
        if output is not None:
            console.print(f"wrote {output / 'plan.json'} and {output / 'plan.html'}")


def _print_whatif(console: Console, run: PlanRun) -> None:
    w = run.whatif
    if w is None:
        return
    title = ", ".join(w.whatif.labels)
    if w.rows is None:
        console.print(
            f"[bold red]what-if has no plan ({w.result.status.value}):[/bold red] "
            + "; ".join(w.result.explanation),
            highlight=False,
        )
        return
    shown = [
        {
            "figure": r["figure"],
            **{
                k: _fmt_figure(r[k], r["unit"], signed=k == "delta")
                for k in ("base", "what_if", "delta")
            },
        }
        for r in w.rows
    ]
    render_rows(
        console,
        shown,
        Format.TABLE,
        title="What-if: " + title,
        columns=[
            ("figure", "figure"),
            ("base", "base"),
            ("what_if", "what-if"),
            ("delta", "delta"),
        ],
    )


def _print_frontier(console: Console, run: PlanRun) -> None:
    if not run.frontier:
        return
    render_rows(
        console,
        [
            {
                "value": pt.value,
                "status": pt.status,
                "expected_cost_usd": pt.expected_cost_usd,
                "cvar_usd": pt.cvar_usd,
                "p_shortfall": pt.p_shortfall,
                "max_vendor_share": pt.max_vendor_share,
            }
            for pt in run.frontier
        ],
        Format.TABLE,
        title=f"Efficient frontier over the {run.frontier[0].axis.value}",
        formatters={
            "expected_cost_usd": fmt_usd,
            "cvar_usd": fmt_usd,
            "p_shortfall": lambda v: "—" if v is None else f"{v:.1%}",
            "max_vendor_share": lambda v: "—" if v is None else f"{v:.0%}",
        },
    )


def _convergence_markup(m: PlanMetrics) -> str:
    """The convergence line, in yellow unless the plan converged."""
    # the intervals on one line, the gap bound and stability on the next
    line = f"{'convergence':<27}{convergence_line(m)}".replace(
        "; optimality gap", ";\n" + " " * 27 + "optimality gap"
    )
    return (
        line
        if m.convergence is not None and m.convergence.converged
        else f"[yellow]{line}[/yellow]"
    )


def _print_plan(console: Console, run: PlanRun) -> None:
    plan, m = run.require()
    result, oos, p = run.result, run.out_of_sample, plan.problem
    schedule = schedule_rows(m)
    lines = [
        f"[bold]{p.spec.name}[/bold]: {p.periods[0]}..{p.periods[-1]}, "
        f"{p.n_scenarios} scenarios, status {result.status.value} "
        + (
            f"(build {result.build_seconds:.1f} s, solve {result.solve_seconds:.1f} s, {result.variables:,} variables)"
            if result.variables
            else f"({result.termination}, {result.solve_seconds:.1f} s)"
        ),
        *(
            [f"[yellow]not proven optimal: {result.plan.unproven}[/yellow]"]
            if result.plan and result.plan.unproven
            else []
        ),
        *[f"[yellow]relaxed: {note}[/yellow]" for note in result.relaxed],
        *[f"{k:<27}{v}" for k, v in headline_rows(m)],
        f"{'cost range':<27}p05 {fmt_usd(m.cost_p05_usd)}, p95 {fmt_usd(m.cost_p95_usd)}",
        f"{'expected unmet':<27}"
        + ", ".join(f"{w} {f:.2%}" for w, f in m.expected_unmet_fraction.items()),
        f"{'vendor shares':<27}"
        + ", ".join(
            f"{k} {v:.0%}" for k, v in sorted(m.vendor_shares.items(), key=lambda kv: -kv[1])
        )
        + f"   (HHI {m.hhi:.2f})",
        f"{'utilisation':<27}{m.utilisation:.0%}",
        _convergence_markup(m),
    ]
    if oos is not None:
        lines.append(
            f"{'out of sample':<27}expected cost {fmt_usd(oos.expected_cost_usd)}, CVaR {fmt_usd(oos.cvar_usd)}, "
            f"P(shortfall) {oos.p_shortfall:.1%}"
        )
    console.print(Panel("\n".join(lines), title="plan", expand=False), highlight=False)
    render_rows(
        console,
        schedule,
        Format.TABLE,
        title="Commitment schedule",
        columns=list(SCHEDULE_COLUMNS),
        formatters={
            "chips": lambda v: fmt_num(v, 0),
            "price_chip_hour": lambda v: fmt_money(v, 2),
            "obligation_usd": fmt_usd,
            "existing": lambda v: "yes" if v else "",
        },
    )
    if not run.document.solve.milp:
        blocks = {o.id: o.block_chips for o in p.spec.offers}
        partial = [
            c
            for c in schedule
            if not c["existing"]
            and abs(c["chips"] / blocks[c["offer"]] - round(c["chips"] / blocks[c["offer"]])) > 1e-6
        ]
        if partial:
            console.print(
                f"[dim]LP relaxation: {len(partial)} of {len(schedule)} commitments are not whole "
                "blocks; --milp makes them whole (and enforces min_chips and min_vendors)[/dim]",
                highlight=False,
            )
    rows = price_of_work_rows(m, dict(zip(p.workloads, p.units, strict=True)))
    if rows:
        vendors = sorted({k for r in rows for k in r if k not in ("class", "unit")})
        render_rows(
            console,
            rows,
            Format.TABLE,
            title="Effective $ per million units of work (the price of the work, idle capacity included)",
            columns=[("class", "class"), ("unit", "unit")] + [(v, v) for v in vendors],
            formatters={v: (lambda x: "—" if x is None else fmt_money(x, 2)) for v in vendors},
        )
