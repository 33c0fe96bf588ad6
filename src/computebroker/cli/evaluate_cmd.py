"""``computebroker evaluate SCENARIO.yaml``: static and rolling commitment policies judged on the
same simulated futures (docs/evaluate.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from computebroker.catalog import load_catalog
from computebroker.cli.limits import MAX_PATHS, MAX_PERIODS, MAX_SCENARIOS, MAX_WORKERS
from computebroker.cli.output import Format, fmt_usd, make_console, output_folder, render_rows
from computebroker.errors import InputError
from computebroker.outputs import write_json_atomic, write_text_atomic
from computebroker.planner import PlanOptions, load_scenario
from computebroker.planner.policy_eval import Evaluation, evaluate_policies, evaluation_document
from computebroker.planner.rolling import EvaluationOptions
from computebroker.reports.evaluate import add_evaluation_sections
from computebroker.reports.html import HtmlReport

__all__ = ["evaluate"]

PATH_SEED_OFFSET = 7919  # default path seed = scenario seed + this (any constant; paths differ)


def _rows(ev: Evaluation) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for s in ev.policies:
        c = s.cost_usd
        rows.append(
            {
                "policy": s.policy,
                "expected_cost_usd": c.mean,
                "ci95": f"{fmt_usd(c.low)} .. {fmt_usd(c.high)}",
                "p05_p95": f"{fmt_usd(c.p05)} .. {fmt_usd(c.p95)}",
                "pv_usd": s.pv_usd.mean,
                "obligations_usd": s.obligations_usd.mean,
                "unmet": ", ".join(f"{w} {i.mean:,.3g}" for w, i in s.unmet.items()),
                "vendors": ", ".join(
                    f"{v} {x:.0%}" for v, x in s.vendor_shares.items() if x >= 0.005
                ),
            }
        )
    return rows


def _print(console: Console, ev: Evaluation) -> None:
    money = dict.fromkeys(("expected_cost_usd", "pv_usd", "obligations_usd"), fmt_usd)
    render_rows(
        console,
        _rows(ev),
        Format.TABLE,
        title=f"{ev.scenario}: {ev.paths} true paths, the same for every policy",
        columns=[
            ("policy", "policy"),
            ("expected_cost_usd", "expected cost (nominal)"),
            ("ci95", "95% CI"),
            ("p05_p95", "p5 .. p95"),
            ("pv_usd", "PV"),
            ("obligations_usd", "signed"),
            ("unmet", "unmet work"),
            ("vendors", "vendor shares"),
        ],
        formatters=money,
    )
    if ev.sign_now_or_wait:
        render_rows(
            console,
            [
                {
                    "offer": w.offer,
                    "chips_now": w.chips_now,
                    "wait": w.cost_wait_usd - w.cost_sign_now_usd,
                }
                for w in ev.sign_now_or_wait
            ],
            Format.TABLE,
            title="Sign now or wait one quarter (rolling's first re-plan, expected cost)",
            columns=[
                ("offer", "offer"),
                ("chips_now", "chips signed now"),
                ("wait", "extra cost of waiting"),
            ],
            formatters={"wait": fmt_usd, "chips_now": lambda v: f"{v:,.0f}"},
        )
    flex = ev.value_of_flexibility_usd
    if flex is not None:
        console.print(
            f"value of flexibility (static - rolling): {fmt_usd(flex.mean)} "
            f"(95% CI {fmt_usd(flex.low)} .. {fmt_usd(flex.high)})",
            highlight=False,
        )


def evaluate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (docs/scenario.md).")],
    policies: Annotated[
        str, typer.Option("--policies", help="Comma-separated: static, rolling.")
    ] = "static,rolling",
    paths: Annotated[
        int, typer.Option("--paths", min=1, max=MAX_PATHS, help="True paths to simulate.")
    ] = 50,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, help="Path seed (default: the file's seed + 7919)."),
    ] = None,
    executor: Annotated[
        str, typer.Option("--executor", help="Where paths run: local (process pool), serial, ray.")
    ] = "local",
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, max=MAX_WORKERS, help="Path workers (default: cores)."),
    ] = None,
    replan_scenarios: Annotated[
        int,
        typer.Option(
            "--replan-scenarios",
            min=2,
            max=MAX_SCENARIOS,
            help="Conditioned scenarios per re-plan.",
        ),
    ] = 10,
    decision_lead: Annotated[
        int,
        typer.Option(
            "--decision-lead", min=0, max=MAX_PERIODS, help="Rolling signs starts t .. t + this."
        ),
    ] = 0,
    replan_method: Annotated[
        str,
        typer.Option(
            "--replan-method",
            help="How a re-plan is solved: benders (when it applies) or extensive.",
        ),
    ] = "benders",
    information_lag: Annotated[
        int,
        typer.Option(
            "--information-lag",
            min=0,
            max=MAX_PERIODS,
            help="Periods late that demand is seen (0: now).",
        ),
    ] = 0,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Folder for evaluation.json and evaluation.html."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TABLE,
    catalog: Annotated[
        list[Path] | None, typer.Option("--catalog", help="Extra offerings/deals (YAML/CSV).")
    ] = None,
) -> None:
    """Run static and rolling commitment policies along the same simulated futures."""
    if fmt is Format.CSV:
        raise InputError.single(
            "<args>", "--format csv is not offered; use table or json", field="--format"
        )
    if replan_method not in ("benders", "extensive"):
        raise InputError.single(
            "--replan-method",
            f"unknown re-plan method {replan_method!r}; use benders or extensive",
            field="--replan-method",
        )
    if output is not None:  # before the work: a folder, writable, never onto an input
        output = output_folder(
            output,
            writes=["evaluation.json", "evaluation.html"],
            inputs=[scenario, *(catalog or [])],
        )
    cat = load_catalog(catalog or [])
    spec = load_scenario(scenario, cat)
    opt = EvaluationOptions(
        replan_scenarios=replan_scenarios,
        decision_lead=decision_lead,
        information_lag=information_lag,
        plan=PlanOptions(threads=1),
        replan_method=replan_method,
    )
    rng = np.random.default_rng(spec.sampling.seed + PATH_SEED_OFFSET if seed is None else seed)
    console = make_console()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=make_console(stderr=True),
        transient=True,
        disable=fmt is not Format.TABLE,
    ) as prog:
        task = prog.add_task("paths", total=paths)
        ev = evaluate_policies(
            spec,
            cat,
            [p for p in policies.split(",") if p.strip()],
            paths,
            rng,
            executor,
            workers=workers,
            options=opt,
            progress=lambda done, _n: prog.update(task, completed=done),
        )
    doc = evaluation_document(ev)
    if output is not None:
        write_json_atomic(output / "evaluation.json", doc)
        report = HtmlReport(title=f"{spec.name}: static vs rolling", subtitle=f"{ev.paths} paths")
        add_evaluation_sections(report, ev)
        write_text_atomic(output / "evaluation.html", report.render())
    if fmt is Format.JSON:
        console.file.write(json.dumps(doc, indent=2) + "\n")
        return
    _print(console, ev)
    if output is not None:
        console.print(
            f"wrote {output / 'evaluation.json'} and {output / 'evaluation.html'}", highlight=False
        )
