"""``computebroker plan SCENARIO.yaml``: which commitments to sign, with whom, when, at what risk."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel

from computebroker.catalog import load_catalog
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
from computebroker.errors import InfeasibleRequestError, InputError
from computebroker.outputs import write_json_atomic, write_text_atomic
from computebroker.planner import (
    FrontierAxis,
    PlanMetrics,
    PlanOptions,
    PlanResult,
    evaluate_out_of_sample,
    frontier,
    load_scenario,
    metrics,
    parse_set,
    parse_slip,
    prepare_problem,
    solve_plan,
)
from computebroker.planner.document import (
    SCHEDULE_COLUMNS,
    plan_document,
    price_of_work_rows,
    whatif_rows,
)
from computebroker.planner.problem import PlanProblem
from computebroker.reports.html import HtmlReport
from computebroker.reports.plan_figures import add_plan_sections

__all__ = ["plan"]


def _status_line(console: Console, fmt: Format, text: str) -> None:
    if fmt is Format.TABLE:
        make_console(stderr=True).print(f"[dim]{text}[/dim]", highlight=False)


def _signed_from(path: Path, periods: tuple[str, ...]) -> dict[tuple[str, int], float]:
    from computebroker.inputs import load_json

    doc = load_json(path, field="--signed")
    if not isinstance(doc, dict):
        raise InputError.single(str(path), "expected a plan.json written by `computebroker plan`")
    out: dict[tuple[str, int], float] = {}
    for i, c in enumerate(doc.get("commitments") or []):
        try:
            start = periods.index(c["start"])
        except (KeyError, ValueError):
            raise InputError.single(
                str(path),
                f"commitments[{i}].start {c.get('start')!r} is not a period of this scenario",
            ) from None
        out[(c["offer"], start)] = out.get((c["offer"], start), 0.0) + float(c["chips"])
    return out


def _on_server(
    server: str,
    token: str | None,
    scenario: Path,
    scenarios: int | None,
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
    doc = remote_plan(
        server,
        token,
        scenario,
        scenarios=scenarios,
        seed=seed,
        method=method,
        progress=lambda m: _status_line(console, fmt, m),
    )
    if output is not None:
        write_json_atomic(output / "plan.json", doc)
    if fmt is Format.JSON:
        console.file.write(json.dumps(doc, indent=2, default=str) + "\n")
        return
    m = doc["metrics"]
    console.print(
        f"{doc['scenario']}: expected cost ${m['expected_cost_usd']:,.0f}, CVaR ${m['cvar_usd']:,.0f}, "
        f"P(shortfall) {m['p_shortfall']:.1%} ({doc['termination']})",
        highlight=False,
    )
    render_rows(
        console,
        doc["commitments"],
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


def _solve(problem: PlanProblem, opt: PlanOptions, fmt: Format, console: Console) -> PlanResult:
    """Solve; a decomposition shows its bounds and gap on a progress bar (table output)."""
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

        return solve_plan(
            problem, opt, progress=lambda msg: _status_line(console, fmt, msg), bounds=bounds
        )


def plan(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (docs/scenario.md).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for plan.json and plan.html.")
    ] = None,
    scenarios: Annotated[
        int | None,
        typer.Option(
            "--scenarios", min=1, max=MAX_SCENARIOS, help="Scenario count (default: the file's)."
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
    ] = 500,
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
    if server is not None:
        _on_server(server, token, scenario, scenarios, seed, method, output, fmt, console)
        return
    cat = load_catalog(catalog or [])
    edits: list[tuple[str, Any]] = [parse_set(s) for s in sets or []]
    for s in slips or []:
        edits.extend(parse_slip(s))
    spec = load_scenario(scenario, cat)
    # what-if edits are checked before any solving, so a typo costs nothing
    spec2 = load_scenario(scenario, cat, overrides=edits) if edits else None
    as_of_index = None
    signed_map: dict[tuple[str, int], float] = {}
    if as_of is not None:
        try:
            as_of_index = spec.horizon.index(as_of)
        except ValueError as exc:
            raise InputError.single("<args>", str(exc), field="--as-of") from None
        if not 0 <= as_of_index < spec.horizon.count:
            raise InputError.single(
                "<args>",
                f"--as-of {as_of} is outside the horizon {spec.horizon.labels[0]}..{spec.horizon.labels[-1]}",
                field="--as-of",
            )
        if signed is not None:
            signed_map = _signed_from(signed, spec.horizon.labels)
    elif signed is not None:
        raise InputError.single(
            "<args>", "--signed needs --as-of (the first period still open)", field="--signed"
        )
    if method not in ("auto", "extensive", "benders"):
        raise InputError.single(
            "<args>",
            f"--method must be auto, extensive or benders, got {method!r}",
            field="--method",
        )
    opt = PlanOptions(
        milp=milp,
        mip_gap=gap if gap is not None else 0.01,
        benders_gap=gap if gap is not None else 1e-4,
        time_limit_s=time_limit,
        method=method,
        executor=executor,
        workers=workers,
        ray_address=ray_address,
    )
    if executor not in ("local", "serial", "ray"):
        raise InputError.single(
            "<args>",
            f"--executor must be local, serial or ray, got {executor!r}",
            field="--executor",
        )

    def say(msg: str) -> None:
        _status_line(console, fmt, msg)

    def frontier_progress(i: int, n: int, value: float) -> None:
        if i < n:
            say(f"frontier point {i + 1}/{n} ({frontier_over.value} = {value:g})")

    problem = prepare_problem(
        spec, cat, count=scenarios, seed=seed, as_of=as_of_index, signed=signed_map, progress=say
    )
    result = _solve(problem, opt, fmt, console)
    if result.plan is None:
        doc = plan_document(result, None, milp=milp)
        if output is not None:
            write_json_atomic(output / "plan.json", doc)
        if fmt is Format.JSON:
            console.file.write(json.dumps(doc, indent=2) + "\n")
        raise InfeasibleRequestError(
            f"no plan: the scenario is {result.status.value}.\n  " + "\n  ".join(result.explanation)
        )
    m = metrics(result.plan)
    oos: PlanMetrics | None = None
    if out_of_sample > 0:
        say(f"re-scoring the plan on {out_of_sample:,} fresh scenarios")
        oos, _ = evaluate_out_of_sample(result.plan, cat, count=out_of_sample)
    points = None
    if with_frontier:
        points = frontier(
            problem,
            frontier_over,
            base=opt,
            progress=frontier_progress,
        )
    whatif = None
    whatif_doc: dict[str, Any] | None = None
    if spec2 is not None:
        say("what-if: re-planning with " + ", ".join(f"{k}={v}" for k, v in edits))
        problem2 = prepare_problem(
            spec2, cat, count=scenarios, seed=seed, as_of=as_of_index, signed=signed_map
        )
        res2 = _solve(problem2, opt, fmt, console)
        if res2.plan is None:
            whatif_doc = {
                "edits": [f"{k}={v}" for k, v in edits],
                "status": res2.status.value,
                "explanation": list(res2.explanation),
            }
        else:
            m2 = metrics(res2.plan)
            whatif = whatif_rows(m, m2)
            whatif_doc = {
                "edits": [f"{k}={v}" for k, v in edits],
                "status": res2.status.value,
                "deltas": whatif,
                "plan": plan_document(res2, m2, milp=milp),
            }
    doc = plan_document(result, m, out_of_sample=oos, frontier=points, whatif=whatif_doc, milp=milp)
    if output is not None:
        write_json_atomic(output / "plan.json", doc)
        report = HtmlReport(title=f"computebroker plan: {spec.name}", subtitle=spec.description)
        add_plan_sections(report, result.plan, m, out_of_sample=oos, frontier=points, whatif=whatif)
        write_text_atomic(output / "plan.html", report.render())
    if fmt is Format.JSON:
        console.file.write(json.dumps(doc, indent=2, default=str) + "\n")
        return
    if fmt is Format.CSV:
        render_rows(console, doc["commitments"], fmt)
        return
    _print_plan(console, doc, m, result, oos)
    if whatif is not None:
        shown = [
            {
                "figure": r["figure"],
                **{
                    k: _fmt_figure(r[k], r["unit"], signed=k == "delta")
                    for k in ("base", "what_if", "delta")
                },
            }
            for r in whatif
        ]
        render_rows(
            console,
            shown,
            Format.TABLE,
            title="What-if: " + ", ".join(f"{k}={v}" for k, v in edits),
            columns=[
                ("figure", "figure"),
                ("base", "base"),
                ("what_if", "what-if"),
                ("delta", "delta"),
            ],
        )
    elif whatif_doc is not None:
        console.print(
            f"[bold red]what-if has no plan ({whatif_doc['status']}):[/bold red] "
            + "; ".join(whatif_doc["explanation"]),
            highlight=False,
        )
    if points:
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
                for pt in points
            ],
            Format.TABLE,
            title=f"Efficient frontier over the {frontier_over.value}",
            formatters={
                "expected_cost_usd": fmt_usd,
                "cvar_usd": fmt_usd,
                "p_shortfall": lambda v: "—" if v is None else f"{v:.1%}",
                "max_vendor_share": lambda v: "—" if v is None else f"{v:.0%}",
            },
        )
    if output is not None:
        console.print(f"wrote {output / 'plan.json'} and {output / 'plan.html'}")


def _print_plan(
    console: Console,
    doc: dict[str, Any],
    m: PlanMetrics,
    result: PlanResult,
    oos: PlanMetrics | None,
) -> None:
    lines = [
        f"[bold]{doc['scenario']}[/bold]: {doc['horizon']['periods'][0]}..{doc['horizon']['periods'][-1]}, "
        f"{doc['scenarios']['count']} scenarios, status {result.status.value} "
        + (
            f"(build {result.build_seconds:.1f} s, solve {result.solve_seconds:.1f} s, {result.variables:,} variables)"
            if result.variables
            else f"({result.termination}, {result.solve_seconds:.1f} s)"
        ),
        f"expected cost   {fmt_usd(m.expected_cost_usd)}   (p05 {fmt_usd(m.cost_p05_usd)}, p95 {fmt_usd(m.cost_p95_usd)})",
        f"CVaR{round(m.cvar_alpha * 100)}          {fmt_usd(m.cvar_usd)}",
        f"P(shortfall)    {m.p_shortfall:.1%}   expected unmet: "
        + ", ".join(f"{w} {f:.2%}" for w, f in m.expected_unmet_fraction.items()),
        "vendor shares   "
        + ", ".join(
            f"{k} {v:.0%}" for k, v in sorted(m.vendor_shares.items(), key=lambda kv: -kv[1])
        )
        + f"   (HHI {m.hhi:.2f})",
        f"utilisation     {m.utilisation:.0%}",
    ]
    if oos is not None:
        lines.append(
            f"out of sample   expected cost {fmt_usd(oos.expected_cost_usd)}, CVaR {fmt_usd(oos.cvar_usd)}, "
            f"P(shortfall) {oos.p_shortfall:.1%}"
        )
    console.print(Panel("\n".join(lines), title="plan", expand=False), highlight=False)
    render_rows(
        console,
        doc["commitments"],
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
    p = result.plan.problem if result.plan else None
    if p is not None and not doc["solve"]["milp"]:
        blocks = {o.id: o.block_chips for o in p.spec.offers}
        partial = [
            c
            for c in doc["commitments"]
            if not c["existing"]
            and abs(c["chips"] / blocks[c["offer"]] - round(c["chips"] / blocks[c["offer"]])) > 1e-6
        ]
        if partial:
            console.print(
                f"[dim]LP relaxation: {len(partial)} of {len(doc['commitments'])} commitments are not whole "
                "blocks; --milp makes them whole (and enforces min_chips and min_vendors)[/dim]",
                highlight=False,
            )
    rows = price_of_work_rows(m, dict(zip(p.workloads, p.units, strict=True)) if p else {})
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
