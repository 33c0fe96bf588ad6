"""``computebroker run SCENARIO.yaml`` and ``computebroker demo``: the whole broker, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel

from computebroker.catalog import load_catalog
from computebroker.cli.limits import MAX_OUT_OF_SAMPLE, MAX_SCENARIOS
from computebroker.cli.output import Format, make_console, output_folder, render_rows
from computebroker.examples import example_path
from computebroker.outputs import write_json_atomic, write_text_atomic
from computebroker.planner import load_scenario
from computebroker.planner.document import schedule_rows
from computebroker.reports.run import (
    build_run_report,
    plan_percentile,
    verdict_rows,
    verdict_text,
)
from computebroker.reports.sim import summary_rows
from computebroker.units import BILLION
from computebroker.workflow import DEFAULT_OUT_OF_SAMPLE, RunOptions, RunResult, run_pipeline

__all__ = ["demo", "run"]


def _summary(run: RunResult) -> dict[str, Any]:
    return {
        "scenario": run.spec.name,
        "seconds": run.seconds,
        "plan": run.document.to_json(),
        "cases": [
            {
                "name": c.name,
                "description": c.description,
                "realised": {
                    "total_usd": c.realised.total_usd,
                    "spend_usd": c.realised.spend_usd,
                    "penalty_usd": c.realised.penalty_usd,
                    "post_horizon_usd": c.realised.post_horizon_usd,
                    "unmet_share": c.realised.unmet_share,
                    "unmet_by_class": c.realised.unmet_by_class,
                    "within_plan_range": c.realised.within_range,
                    "plan_percentile": plan_percentile(run, c.realised.total_usd),
                    "plan_p05_usd": c.realised.plan_p05_usd,
                    "plan_p95_usd": c.realised.plan_p95_usd,
                },
                "simulation": c.report.record() | {"timeline": None},
            }
            for c in run.cases
        ],
    }


RUN_FILES = ("report.html", "plan.json", "run.json")


def _execute(scenario: Path, out: Path, opt: RunOptions, fmt: Format, catalog: list[Path]) -> None:
    console = make_console()
    err = make_console(stderr=True)
    out = output_folder(out, writes=RUN_FILES, inputs=[scenario, *catalog])
    cat = load_catalog(catalog)
    spec = load_scenario(scenario, cat)

    def say(msg: str) -> None:
        if fmt is Format.TABLE:
            err.print(f"[dim]{msg}[/dim]", highlight=False)

    with err.status("running", spinner="dots") if fmt is Format.TABLE else _Null():
        run = run_pipeline(spec, cat, opt, progress=say)
    report = build_run_report(run)
    write_text_atomic(out / "report.html", report.render())
    write_json_atomic(out / "plan.json", run.document.to_json())
    summary = _summary(run)
    write_json_atomic(out / "run.json", summary)
    if fmt is Format.JSON:
        console.file.write(
            json.dumps({k: v for k, v in summary.items() if k != "plan"}, indent=2, default=str)
            + "\n"
        )
        return
    m = run.metrics
    console.print(
        Panel(verdict_text(run), title=f"[bold]{spec.name}: does the plan survive?", expand=False),
        highlight=False,
    )
    render_rows(
        console,
        [r for r in run.ranking if r["rank"] == 1],
        Format.TABLE,
        title="Estimate: the cheapest chip for each class (at its cheapest offer in play)",
        columns=[
            ("workload", "class"),
            ("accelerator", "chip"),
            ("offer", "offer"),
            ("usd_per_million", "$ per million"),
            ("unit", "unit"),
        ],
        formatters={"usd_per_million": lambda v: f"${v:,.2f}"},
    )
    render_rows(
        console,
        schedule_rows(m)[:20],
        Format.TABLE,
        title=f"Plan: commitment schedule (expected cost ${m.expected_cost_usd / BILLION:,.1f}B, CVaR{round(m.cvar_alpha * 100)} ${m.cvar_usd / BILLION:,.1f}B, P(shortfall) {m.p_shortfall:.0%})",
        columns=[
            ("start", "start"),
            ("offer", "offer"),
            ("provider", "provider"),
            ("accelerator", "chip"),
            ("chips", "chips"),
            ("obligation_usd", "obligation"),
        ],
        formatters={
            "chips": lambda v: f"{v:,.0f}",
            "obligation_usd": lambda v: f"${v / BILLION:,.2f}B",
        },
    )
    render_rows(
        console,
        verdict_rows(run),
        Format.TABLE,
        title="Simulate: each case on the plan's terms",
        columns=[
            ("case", "case"),
            ("spend in horizon", "spend"),
            ("+ shortfall penalty", "+ penalty"),
            ("+ after horizon", "+ after\nhorizon"),
            ("= realised cost", "= realised"),
            ("percentile in plan", "plan\npctile"),
            ("unmet (penalty-weighted)", "unmet"),
            ("util. committed", "util.\ncommitted"),
            ("util. rentals", "util.\nrentals"),
        ],
        caption="realised = spend in the horizon + shortfall penalty + charged after the horizon;"
        " plan pctile: where it falls among the plan's scenario costs; worst class and work lost"
        " are in report.html and run.json",
    )
    if run.cases:
        render_rows(
            console,
            summary_rows(run.cases[0].report),
            Format.TABLE,
            title=f"Simulation of the plan as drawn ({len(run.trace.jobs):,} jobs and services)",
        )
    console.print(
        "stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in run.seconds.items()), highlight=False
    )
    console.print(
        f"wrote {out / 'report.html'}, {out / 'plan.json'} and {out / 'run.json'}", highlight=False
    )


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> None:
        return None


def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (docs/scenario.md).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for report.html, plan.json, run.json.")
    ] = Path("out"),
    scenarios: Annotated[
        int | None,
        typer.Option(
            "--scenarios",
            min=1,
            max=MAX_SCENARIOS,
            help="Planning scenarios (default: the file's).",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Seed (default: the file's).")
    ] = None,
    policy: Annotated[
        str, typer.Option("--policy", help="Scheduling policy for the simulation.")
    ] = "min-cost",
    no_stress: Annotated[bool, typer.Option("--no-stress", help="Skip the stress cases.")] = False,
    no_frontier: Annotated[
        bool, typer.Option("--no-frontier", help="Skip the efficient frontier.")
    ] = False,
    out_of_sample: Annotated[
        int,
        typer.Option(
            "--out-of-sample",
            min=0,
            max=MAX_OUT_OF_SAMPLE,
            help="Fresh scenarios to re-score the plan on.",
        ),
    ] = DEFAULT_OUT_OF_SAMPLE,
    catalog: Annotated[
        list[Path] | None, typer.Option("--catalog", help="Extra offerings/deals (YAML/CSV).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TABLE,
) -> None:
    """Catalog -> estimate -> plan -> simulate -> report on a scenario: does the plan survive?"""
    from computebroker.scheduler import get_policy

    get_policy(policy)
    opt = RunOptions(
        scenarios=scenarios,
        seed=seed,
        policy=policy,
        stress=not no_stress,
        frontier=not no_frontier,
        out_of_sample=out_of_sample,
    )
    _execute(scenario, output, opt, fmt, catalog or [])


def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for report.html, plan.json, run.json.")
    ] = Path("out"),
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TABLE,
) -> None:
    """The main job on the bundled frontier-lab example: plan 2026-2028 compute and test it."""
    if fmt is Format.TABLE:
        make_console().print(DEMO_NOTE, highlight=False)
    opt = RunOptions(scenarios=DEMO_SCENARIOS, replications=0)
    _execute(example_path("frontier-lab.yaml"), output, opt, fmt, [])


# the demo plans on fewer scenarios than the file's 800 so that it runs in about a minute; its
# plan is not measured for convergence, and says so (docs/planner.md, "How sure the plan is")
DEMO_SCENARIOS = 200
DEMO_NOTE = (
    f"demo: a quick plan on {DEMO_SCENARIOS} scenarios, convergence not measured (at this size "
    "the optimality gap is several per cent). For the converged plan, with its intervals and "
    "gap bound: computebroker plan examples/frontier-lab.yaml"
)
