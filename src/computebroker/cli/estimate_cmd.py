"""``computebroker estimate``: how long and how much a workload takes on each accelerator."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from computebroker.catalog import (
    Catalog,
    ContractKind,
    cheapest_quotes,
    contract_quotes,
    load_catalog,
)
from computebroker.cli.limits import MAX_TRAIN_TOKENS
from computebroker.cli.output import (
    Format,
    fmt_money,
    fmt_num,
    fmt_usd,
    make_console,
    output_folder,
    render_rows,
)
from computebroker.errors import ComputeBrokerError, InfeasibleRequestError, InputError
from computebroker.inputs import read_text
from computebroker.outputs import write_text_atomic
from computebroker.perf import (
    LayoutConstraints,
    Precision,
    Recompute,
    ServeSetup,
    TrainingRequest,
    calibrate,
    estimate_serving,
    estimate_training,
    get_stack,
    load_workloads,
    model_names,
    modelable_accelerators,
    parse_count,
    profile_for,
    published_runs,
    resolve_model,
    run_errors,
    throughput_matrix,
    write_matrix,
)
from computebroker.perf.goodput import LLAMA3, NO_INTERRUPTIONS, Goodput
from computebroker.perf.hardware import Constants, Efficiency, load_efficiency_file
from computebroker.perf.layout import MAX_CHIPS
from computebroker.perf.serve import WEIGHT_BYTES, ServePrecision
from computebroker.perf.serve_validation import KV_BYTES
from computebroker.perf.uncertainty import serve_band_for
from computebroker.perf.validation import accuracy_summary, parse_runs
from computebroker.reports.perf import serve_record, training_report_record

__all__ = ["app"]

app = typer.Typer(
    help="How long and how much a workload takes on each accelerator.", no_args_is_help=True
)

CatalogFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        help="Extra offerings/deals/chips (YAML or CSV). Repeatable.",
        show_default=False,
    ),
]
EfficiencyFile = Annotated[
    Path | None,
    typer.Option(
        "--efficiency",
        help="Your calibration (from `estimate calibrate -o`), laid over the shipped one.",
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
DAY = 86400.0


def _effs(path: Path | None) -> tuple[dict[str, Efficiency] | None, Constants | None]:
    if path is None:
        return None, None
    return load_efficiency_file(str(path))


def _plain_count(text: str, what: str) -> int | None:
    """A plain number of chips (ASCII digits: ``'²'.isdigit()`` is true, yet int() refuses it),
    1 to MAX_CHIPS; None when ``text`` is not a plain number. With ``--accelerator all`` a
    count was unbounded: --chips 99999999999999999999 searched layouts for hours, 0 printed
    a table of failures (found by fuzz2)."""
    if re.fullmatch(r"\s*[0-9]+\s*", text) is None:
        return None
    n = int(text)
    if not 1 <= n <= MAX_CHIPS:
        raise InputError.single(
            "<args>", f"{text!r}: expected between 1 and {MAX_CHIPS:,} chips", field=what
        )
    return n


def _count(text: str | None, catalog: Catalog, acc: str, what: str) -> int | None:
    if text is None:
        return None
    if acc != "all":
        return parse_count(text, catalog.accelerator(acc), what=what)
    n = _plain_count(text, what)
    if n is None:  # '16c' was dropped silently: no pin at all
        raise InputError.single(
            "<args>",
            f"with --accelerator all, --{what} must be a plain number of chips",
            field=what,
            value=text,
        )
    return n


@app.command("train")
def train(
    model: Annotated[
        str,
        typer.Option(
            "--model", "-m", help="Preset name (see `estimate models`) or a model YAML file."
        ),
    ],
    accelerator: Annotated[
        str,
        typer.Option(
            "--accelerator", "-a", help="Chip name/alias, or 'all' to compare every chip."
        ),
    ] = "all",
    chips: Annotated[
        str,
        typer.Option(
            "--chips", "-n", help="Chips (or 'Nc' cores, or a TPU slice name such as v5p-1024)."
        ),
    ] = "1024",
    tokens: Annotated[
        float | None,
        typer.Option(
            "--tokens",
            "-t",
            min=1,
            max=MAX_TRAIN_TOKENS,
            help="Tokens to train (e.g. 15e12) for time and cost.",
        ),
    ] = None,
    tp: Annotated[
        str | None, typer.Option("--tp", help="Pin tensor parallel degree (chips, or 'Nc' cores).")
    ] = None,
    pp: Annotated[str | None, typer.Option("--pp", help="Pin pipeline parallel degree.")] = None,
    dp: Annotated[str | None, typer.Option("--dp", help="Pin data parallel degree.")] = None,
    ep: Annotated[
        int | None, typer.Option("--ep", min=1, help="Pin expert parallel degree.")
    ] = None,
    cp: Annotated[
        int | None, typer.Option("--cp", min=1, help="Pin context parallel degree.")
    ] = None,
    vpp: Annotated[
        int | None, typer.Option("--vpp", min=1, help="Pin interleaved virtual pipeline stages.")
    ] = None,
    microbatch: Annotated[
        int | None, typer.Option("--microbatch", min=1, help="Pin micro-batch size (sequences).")
    ] = None,
    zero: Annotated[
        int | None, typer.Option("--zero", min=0, max=3, help="Pin ZeRO stage (3 = FSDP).")
    ] = None,
    recompute: Annotated[
        Recompute | None, typer.Option("--recompute", help="Pin activation recomputation.")
    ] = None,
    precision: Annotated[
        Precision, typer.Option("--precision", help="GEMM precision.")
    ] = Precision.BF16,
    seq_len: Annotated[
        int | None, typer.Option("--seq-len", min=1, help="Sequence length (default: the model's).")
    ] = None,
    global_batch_tokens: Annotated[
        float | None,
        typer.Option("--global-batch-tokens", min=1, help="Tokens per optimizer step."),
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option("--stack", help="Software stack (megatron-core, maxtext, neuronx, ...)."),
    ] = None,
    interruptions_per_chip_day: Annotated[
        float | None,
        typer.Option(
            "--interruptions-per-chip-day",
            min=0,
            help="Job interruptions per chip per day (default: Llama 3's 466 in 54 days on 16,384 GPUs).",
        ),
    ] = None,
    restart_min: Annotated[
        float | None,
        typer.Option(
            "--restart-min", min=0, help="Minutes to restart from a checkpoint (default 5)."
        ),
    ] = None,
    eval_fraction: Annotated[
        float | None,
        typer.Option(
            "--eval-fraction",
            min=0,
            max=0.9,
            help="Share of time spent on evaluation (default 0.01).",
        ),
    ] = None,
    no_goodput: Annotated[
        bool,
        typer.Option("--no-goodput", help="Ignore interruptions, restarts and evaluation."),
    ] = False,
    catalog: CatalogFiles = None,
    efficiency: EfficiencyFile = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Best parallel layout, step time, MFU, memory, time to train and cost on every contract.

    Days and cost include goodput (interruptions, restarts, checkpoints, evaluation); every
    throughput carries its out-of-sample band."""
    cat = load_catalog(catalog or [])
    spec, defaulted = resolve_model(model, flag="--model")
    acc = (
        "all"
        if accelerator.strip().lower() == "all"
        else cat.accelerator(accelerator, flag="--accelerator").id
    )
    n_chips = (
        parse_count(chips, cat.accelerator(acc), what="chips")
        if acc != "all"
        else _plain_count(chips, "chips")
    )
    if n_chips is None:
        raise InputError.single(
            "<args>",
            "with --accelerator all, --chips must be a plain number of chips",
            field="chips",
            value=chips,
        )
    effs, consts = _effs(efficiency)
    req = TrainingRequest(
        model=spec,
        accelerator=acc,
        chips=n_chips,
        tokens=tokens,
        seq_len=seq_len,
        global_batch_tokens=global_batch_tokens,
        precision=precision,
        constraints=LayoutConstraints(
            tp=_count(tp, cat, acc, "tp"),
            pp=_count(pp, cat, acc, "pp"),
            dp=_count(dp, cat, acc, "dp"),
            cp=cp,
            ep=ep,
            vpp=vpp,
            microbatch=microbatch,
            zero=zero,
            recompute=recompute,
        ),
        stack=get_stack(stack) if stack else None,
        efficiencies=effs,
        constants=consts,
        goodput=_goodput(interruptions_per_chip_day, restart_min, eval_fraction, no_goodput),
    )
    console = make_console()
    with _progress(console, fmt, "searching layouts") as prog:
        if acc == "all":
            task = prog.add_task("accelerators", total=len(modelable_accelerators(cat)))
            reports = []
            for a in modelable_accelerators(cat):
                prog.update(task, description=f"searching layouts on {a}")
                reports.extend(estimate_training(cat, _with_acc(req, a)))
                prog.advance(task)
            reports.sort(
                key=lambda r: (
                    r.best is None,
                    r.cheapest is None,
                    r.cheapest.usd_per_million_tokens if r.cheapest else 0.0,
                )
            )
        else:
            reports = estimate_training(cat, req)
    records = [training_report_record(r) for r in reports]
    if fmt is Format.JSON:
        console.file.write(json.dumps(records if acc == "all" else records[0], indent=2) + "\n")
        return
    if fmt is Format.CSV:
        flat = [{k: v for k, v in r.items() if not isinstance(v, dict | list)} for r in records]
        render_rows(console, flat, fmt)
        return
    if defaulted:
        console.print(f"[dim]model file: defaulted {', '.join(defaulted)}[/dim]")
    if acc != "all":
        _print_single(console, spec.name, records[0])
        return
    rows = [_ranked_row(r) for r in records if r.get("feasible")]
    render_rows(
        console,
        rows,
        Format.TABLE,
        title=f"{spec.name} on {n_chips:,} chips, every accelerator (cheapest $/M tokens first)",
        columns=[
            ("accelerator", "chip"),
            ("parallel", "layout"),
            ("tokens_per_s_per_chip", "tok/s/chip"),
            ("time_to_train_days", "days"),
            ("band", "±"),
            ("offer", "cheapest offer"),
            ("cheapest_price_chip_hour", "$/chip-h"),
            ("usd_per_million_tokens", "$/M tok"),
            ("cost_usd", "job cost"),
            ("obligation", "obligation"),
        ],
        formatters={
            "tokens_per_s_per_chip": lambda v: fmt_num(v, 0),
            "time_to_train_days": lambda v: fmt_num(v, 1),
            "cheapest_price_chip_hour": lambda v: fmt_money(v, 2),
            "cost_usd": fmt_usd,
            "obligation": fmt_usd,
            "usd_per_million_tokens": lambda v: fmt_money(v, 3),
        },
        caption="Cheapest firm (non-spot) contract per chip, at its rentable price (a GPU the "
        "catalog prices alone carries its host VM's share); spot* where spot is the only public "
        "price; est. where no list price is public and the price is a labelled estimate. ±: out-of-sample band (f: fitted on runs of the chip's family, d: vendor "
        "default). obligation: what the contract's whole term costs at the job's chip count. "
        "Full layout, memory, band label and every contract: --format json or --accelerator CHIP",
    )
    if rows:
        console.print(f"[dim]assumption: {rows[0]['goodput_assumption']}[/dim]", highlight=False)
        console.print(
            "[dim]band: ± the 90th percentile of leave-one-publication-out error "
            "for the chip's vendor and stack (docs/perf-accuracy.md)[/dim]",
            highlight=False,
        )
    for r in rows:
        if r.get("price_estimate"):
            console.print(
                f"[dim]estimated price, {r['accelerator']}: {r['price_estimate']}[/dim]",
                highlight=False,
            )
    bad = [r for r in records if not r.get("feasible")]
    if bad:
        console.print("[dim]Not costed:[/dim]")
        for r in bad:
            console.print(f"[dim]  {r['accelerator']}: {r['error']}[/dim]", highlight=False)
    _print_unquoted(console, records)


def _print_unquoted(console: Console, records: list[dict[str, Any]]) -> None:
    """One warning line per catalog row left out of the prices (no rentable price)."""
    for r in records:
        for u in r.get("unquoted") or []:
            console.print(
                f"[yellow]not priced[/yellow] {r['accelerator']} {u['offering']} "
                f"({u['contract']}): {u['reason']}",
                highlight=False,
            )


def _goodput(
    per_chip_day: float | None, restart_min: float | None, eval_fraction: float | None, off: bool
) -> Goodput:
    if off:
        return NO_INTERRUPTIONS
    g = LLAMA3
    changes: dict[str, Any] = {}
    if per_chip_day is not None:
        changes["interruptions_per_chip_hour"] = per_chip_day / 24.0
    if restart_min is not None:
        changes["restart_s"] = restart_min * 60.0
    if eval_fraction is not None:
        changes["eval_fraction"] = eval_fraction
    if changes:
        from dataclasses import replace

        g = replace(g, source="user-set, defaults from Llama 3", **changes)
    return g


def _with_acc(req: TrainingRequest, acc: str) -> TrainingRequest:
    from dataclasses import replace

    return replace(req, accelerator=acc)


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, *a: Any, **k: Any) -> int:
        return 0

    def update(self, *a: Any, **k: Any) -> None:
        return None

    def advance(self, *a: Any, **k: Any) -> None:
        return None


def _progress(console: Console, fmt: Format, what: str) -> Any:
    if fmt is not Format.TABLE:
        return _NoProgress()
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=make_console(stderr=True),
        transient=True,
    )


def _print_single(console: Console, model: str, rec: dict[str, Any]) -> None:
    if not rec.get("feasible"):
        raise InfeasibleRequestError(rec["error"])
    step = rec["step_breakdown"]
    mem = rec["memory"]
    lines = [
        f"[bold]{model}[/bold] on {rec['chips']:,} x {rec['accelerator']} ({rec['precision']}, stack {rec['stack']})",
        f"layout         {rec['layout']}",
        f"step time      {step['step_time_s']:.3f} s for {rec['tokens_per_step']:,.0f} tokens",
        f"throughput     {rec['tokens_per_s_per_chip']:,.1f} tokens/s per chip, {rec['tokens_per_s']:,.0f} tokens/s in all",
        f"band           {rec.get('band_label', 'none')}: {rec.get('tokens_per_s_per_chip_low', 0):,.1f} to "
        f"{rec.get('tokens_per_s_per_chip_high', 0):,.1f} tokens/s per chip",
        f"MFU / HFU      {rec['mfu']:.1%} / {rec['hfu']:.1%}   (FLOP convention: docs/estimate.md)",
        f"memory         {mem['total_gib']:.1f} of {mem['usable_gib']:.1f} GiB usable per chip "
        f"(weights {mem['weights_gib']:.1f}, grads {mem['gradients_gib']:.1f}, optimizer {mem['optimizer_gib']:.1f}, "
        f"activations {mem['activations_gib']:.1f}, logits {mem['logits_gib']:.1f})",
    ]
    if rec.get("time_to_train_days") is not None:
        lines.append(
            f"time to train  {rec['time_to_train_days']:,.1f} days for {rec['tokens']:.3g} tokens "
            f"({rec['time_to_train_days_low']:,.1f} to {rec['time_to_train_days_high']:,.1f}), "
            f"{rec['chip_hours'] / 1e6:,.3g}M chip-hours; uninterrupted {rec['compute_days']:,.1f} days"
        )
        lines.append(f"goodput        {rec['goodput_assumption']}")
    console.print(Panel("\n".join(lines), title="estimate", expand=False), highlight=False)
    bd = Table(title="Step time by cause (exposed seconds)", header_style="bold")
    bd.add_column("cause")
    bd.add_column("seconds", justify="right")
    bd.add_column("share", justify="right")
    total = step["step_time_s"] or 1.0
    for k in (
        "compute_s",
        "tp_comm_s",
        "cp_comm_s",
        "ep_comm_s",
        "pp_comm_s",
        "dp_comm_s",
        "bubble_s",
        "optimizer_s",
        "host_s",
    ):
        bd.add_row(
            k.removesuffix("_s").replace("_", " "), f"{step[k]:.3f}", f"{step[k] / total:.1%}"
        )
    console.print(bd)
    costs = rec.get("costs") or []
    if costs:
        render_rows(
            console,
            costs[:12],
            Format.TABLE,
            title="Cost on every contract (cheapest per provider and contract)",
            columns=[
                ("provider", "provider"),
                ("contract", "contract"),
                ("price_chip_hour", "$/chip-h"),
                ("price_includes_host", "incl. host VM"),
                ("usd_per_million_tokens", "$/M tokens"),
                ("cost_usd", "job cost"),
                ("obligation_usd", "obligation (whole term)"),
                ("confidence", "price confidence"),
            ],
            formatters={
                "price_chip_hour": lambda v: fmt_money(v, 3),
                "price_includes_host": _yes,
                "usd_per_million_tokens": lambda v: fmt_money(v, 3),
                "cost_usd": lambda v: fmt_money(v, 0),
                "obligation_usd": lambda v: fmt_money(v, 0),
            },
        )
    if rec.get("price_estimate"):
        console.print(f"[dim]estimated price: {rec['price_estimate']}[/dim]", highlight=False)
    for n in rec.get("notes") or []:
        console.print(f"[dim]assumption: {n}[/dim]", highlight=False)
    _print_unquoted(console, [rec])


def _yes(v: object) -> str:
    """``yes`` for a price that adds the host VM of GPUs priced alone, else blank."""
    return "yes" if v else ""


DEFAULT_UTILISATION = 0.6  # assumption: a diurnal interactive service averages ~60% of peak


def _serve_rows(
    cat: Catalog,
    setup: ServeSetup,
    accs: list[str],
    tp: int | None,
    effs: dict[str, Efficiency] | None,
    consts: Constants | None,
    utilisation: float,
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    from computebroker.catalog import unquoted_offerings
    from computebroker.reports.perf import unquoted_record

    rows: list[dict[str, Any]] = []
    failed: list[tuple[str, str]] = []
    for a in accs:
        try:
            hw = profile_for(cat.accelerator(a), efficiencies=effs, constants=consts)
            est = estimate_serving(setup, hw, tp=tp)
        except ComputeBrokerError as exc:
            failed.append((a, str(exc)))
            continue
        all_quotes = cheapest_quotes(contract_quotes(cat, a))
        firm = [q for q in all_quotes if q.kind is not ContractKind.SPOT]
        best = firm[0] if firm else None
        rec = serve_record(
            est,
            best.price_chip_hour if best else None,
            f"{best.provider} {best.kind.value}" if best else "",
            utilisation=utilisation,
            band=serve_band_for(hw.efficiency, hw.accelerator.vendor),
        )
        per_hour = est.output_tokens_per_chip_hour * utilisation
        rec["costs"] = [
            {
                "provider": q.provider,
                "contract": q.kind.value,
                "price_chip_hour": round(q.price_chip_hour, 4),
                "usd_per_million_output_tokens": round(q.price_chip_hour / per_hour * 1e6, 4),
                "basis": q.basis,
                "price_basis": q.price_basis,
                "price_includes_host": q.price_includes_host,
                "confidence": q.confidence,
            }
            for q in all_quotes
        ]
        rec["unquoted"] = [unquoted_record(u) for u in unquoted_offerings(cat, a)]
        rows.append(rec)
    return rows, failed


@app.command("serve")
def serve(
    model: Annotated[str, typer.Option("--model", "-m", help="Preset name or model YAML file.")],
    accelerator: Annotated[
        str, typer.Option("--accelerator", "-a", help="Chip name/alias, or 'all'.")
    ] = "all",
    ttft_ms: Annotated[
        float, typer.Option("--ttft-ms", min=1, help="Time-to-first-token target.")
    ] = 2000.0,
    tpot_ms: Annotated[
        float, typer.Option("--tpot-ms", min=1, help="Time-per-output-token target.")
    ] = 50.0,
    prompt_tokens: Annotated[int, typer.Option("--prompt-tokens", min=1)] = 2000,
    output_tokens: Annotated[int, typer.Option("--output-tokens", min=1)] = 500,
    tp: Annotated[
        int | None, typer.Option("--tp", min=1, help="Pin tensor parallel degree of a replica.")
    ] = None,
    precision: Annotated[
        ServePrecision,
        typer.Option("--precision", help="Weights and GEMMs: bf16, fp8 or fp4 (NVFP4/MXFP4)."),
    ] = ServePrecision.BF16,
    kv_precision: Annotated[
        str, typer.Option("--kv-precision", help="KV-cache precision: bf16 or fp8.")
    ] = "bf16",
    batch: Annotated[
        int | None,
        typer.Option(
            "--batch",
            min=1,
            help="Fixed sequences in flight per replica (a fixed-batch benchmark, or concurrency / replicas).",
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", min=1, help="Requests in flight per replica (same as --batch)."
        ),
    ] = None,
    utilisation: Annotated[
        float,
        typer.Option(
            "--utilisation",
            min=0.01,
            max=1.0,
            help="Average share of serving capacity used, for $ per million tokens.",
        ),
    ] = DEFAULT_UTILISATION,
    fp8_weights: Annotated[
        bool, typer.Option("--fp8-weights", help="Same as --precision fp8 (kept for scripts).")
    ] = False,
    catalog: CatalogFiles = None,
    efficiency: EfficiencyFile = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Tokens/s per chip at a latency target, and $ per million output tokens at a utilisation."""
    cat = load_catalog(catalog or [])
    spec, _ = resolve_model(model, flag="--model")
    effs, consts = _effs(efficiency)
    prec = ServePrecision.FP8 if fp8_weights else precision
    if kv_precision not in KV_BYTES:
        raise InputError.single(
            "<args>",
            f"--kv-precision must be one of {', '.join(KV_BYTES)}",
            field="kv-precision",
            value=kv_precision,
        )
    setup = ServeSetup(
        model=spec,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        ttft_ms=ttft_ms,
        tpot_ms=tpot_ms,
        weight_bytes=WEIGHT_BYTES[prec],
        kv_bytes=KV_BYTES[kv_precision],
        precision=prec,
        batch=batch or concurrency,
    )
    accs = (
        modelable_accelerators(cat)
        if accelerator.strip().lower() == "all"
        else [cat.accelerator(accelerator, flag="--accelerator").id]
    )
    rows, failed = _serve_rows(cat, setup, accs, tp, effs, consts, utilisation)
    rows.sort(
        key=lambda r: (
            r["usd_per_million_output_tokens"] is None,
            r["usd_per_million_output_tokens"] or 0.0,
        )
    )
    console = make_console()
    if fmt is Format.JSON:
        console.file.write(json.dumps(rows, indent=2) + "\n")
        return
    if fmt is Format.CSV:
        render_rows(
            console,
            [{k: v for k, v in r.items() if k not in ("costs", "unquoted")} for r in rows],
            fmt,
        )
        return
    if not rows:
        raise InfeasibleRequestError("; ".join(f"{a}: {m}" for a, m in failed))
    render_rows(
        console,
        rows,
        fmt,
        title=f"Serving {spec.name}: prompt {prompt_tokens:,} / output {output_tokens:,} tokens, TTFT <= {ttft_ms:,.0f} ms, TPOT <= {tpot_ms:,.0f} ms",
        columns=[
            ("accelerator", "chip"),
            ("tp", "TP"),
            ("batch", "batch"),
            ("ttft_ms", "TTFT ms"),
            ("tpot_ms", "TPOT ms"),
            ("output_tokens_per_s_per_chip", "out tok/s/chip"),
            ("band_label", "band (out of sample)"),
            ("bound", "decode bound"),
            ("cheapest_at", "cheapest (non-spot)"),
            ("usd_per_million_output_tokens", "$/M out tokens"),
        ],
        formatters={
            "usd_per_million_output_tokens": lambda v: fmt_money(v, 3),
            "ttft_ms": lambda v: fmt_num(v, 0),
            "tpot_ms": lambda v: fmt_num(v, 1),
        },
        caption=f"$ per million output tokens at {utilisation:.0%} average utilisation (--utilisation); "
        f"{setup.precision.value} weights, {kv_precision} KV cache",
    )
    for a, msg in failed:
        console.print(f"[dim]  {a}: {msg}[/dim]", highlight=False)
    if len(rows) == 1 and rows[0]["costs"]:
        render_rows(
            console,
            rows[0]["costs"],
            Format.TABLE,
            title=f"$ per million output tokens on every way to buy {rows[0]['accelerator']}",
            columns=[
                ("provider", "provider"),
                ("contract", "contract"),
                ("price_chip_hour", "$/chip-h"),
                ("price_includes_host", "incl. host VM"),
                ("usd_per_million_output_tokens", "$/M out tokens"),
                ("confidence", "price confidence"),
            ],
            formatters={
                "price_chip_hour": lambda v: fmt_money(v, 3),
                "price_includes_host": _yes,
                "usd_per_million_output_tokens": lambda v: fmt_money(v, 3),
            },
        )
    _print_unquoted(console, rows)


@app.command("matrix")
def matrix(
    workloads: Annotated[
        Path, typer.Argument(help="Workloads YAML (a top-level 'workloads:' list).")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Folder for matrix.csv (created if missing)."),
    ] = None,
    accelerators: Annotated[
        str | None,
        typer.Option(
            "--accelerators", help="Comma-separated chips (default: every chip with specs)."
        ),
    ] = None,
    catalog: CatalogFiles = None,
    efficiency: EfficiencyFile = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """The throughput matrix: work per chip-hour for each workload class x accelerator."""
    if output is not None:
        output = output_folder(
            output, writes=["matrix.csv"], inputs=[workloads, efficiency, *(catalog or [])]
        )
    cat = load_catalog(catalog or [])
    classes = load_workloads(workloads, cat)
    accs = [a.strip() for a in accelerators.split(",") if a.strip()] if accelerators else None
    effs, consts = _effs(efficiency)
    console = make_console()
    n = len(classes) * len(accs or modelable_accelerators(cat))
    with _progress(console, fmt, "pricing") as prog:
        task = prog.add_task("throughput matrix", total=n)

        def tick(w: str, a: str) -> None:
            prog.update(task, description=f"{w} on {a}")
            prog.advance(task)

        ds = throughput_matrix(
            classes, cat, accs, progress=tick, efficiencies=effs, constants=consts
        )
    if output is not None:
        output = output / "matrix.csv"
        write_text_atomic(output, write_matrix(ds, output))
    if fmt is not Format.TABLE:
        from computebroker.perf import matrix_records

        render_rows(console, matrix_records(ds), fmt)
        return
    table = Table(
        title="Throughput matrix: millions of work units per chip-hour", header_style="bold"
    )
    table.add_column("accelerator")
    for w in ds.workload.values:
        table.add_column(f"{w}\n({ds.unit.sel(workload=w).item()})", justify="right")
    for a in ds.accelerator.values:
        cells = []
        for w in ds.workload.values:
            v = float(ds.work_per_chip_hour.sel(workload=w, accelerator=a))
            rel = float(ds.band_rel.sel(workload=w, accelerator=a))
            band = "" if math.isnan(rel) else f" ±{rel:.0%}"
            cells.append("—" if math.isnan(v) else f"{v / 1e6:,.3f}{band}")
        table.add_row(str(a), *cells)
    console.print(table)
    console.print(
        "[dim]± = out-of-sample band (p90 of leave-one-publication-out error for the chip's "
        "vendor and stack; wider for vendor-default chips): docs/perf-accuracy.md[/dim]",
        highlight=False,
    )
    if output is not None:
        console.print(f"wrote {output}")


@app.command("calibrate")
def calibrate_cmd(
    measurements: Annotated[
        Path,
        typer.Argument(help="Your measured runs (CSV, columns as perf/data/published_runs.csv)."),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Folder for efficiency.csv (for --efficiency), created if missing.",
        ),
    ] = None,
    fit_stacks: Annotated[
        bool,
        typer.Option("--fit-stacks", help="Also fit stack overlaps where >= 4 runs exercise them."),
    ] = False,
    catalog: CatalogFiles = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Fit achievable-efficiency parameters to your measured runs and report residuals."""
    if output is not None:
        output = output_folder(
            output, writes=["efficiency.csv"], inputs=[measurements, *(catalog or [])]
        )
    cat = load_catalog(catalog or [])
    text = read_text(measurements)
    runs = parse_runs(text, str(measurements), cat)
    if not runs:
        raise InputError.single(str(measurements), "no runs in the file")
    console = make_console()
    with _progress(console, fmt, "fitting") as prog:
        task = prog.add_task("fitting", total=None)
        cal = calibrate(
            runs,
            fit_stacks=fit_stacks,
            progress=lambda i, rms: prog.update(
                task, description=f"fitting (iteration {i}, rms log error {rms:.3f})"
            ),
        )
    rows = [
        {
            "run": a.run.id,
            "accelerator": a.run.accelerator,
            "observed_tokens_per_s_per_chip": round(a.observed, 2),
            "predicted_before": None if b.predicted is None else round(b.predicted, 2),
            "error_before": None if b.predicted is None else round(b.error, 4),
            "predicted_after": None if a.predicted is None else round(a.predicted, 2),
            "error_after": None if a.predicted is None else round(a.error, 4),
        }
        for b, a in zip(cal.before, cal.after, strict=True)
    ]
    if output is not None:
        lines = ["key,matmul_bf16,matmul_fp8,fitted_on,source"]
        for key in sorted({r.accelerator for r in runs}):
            e = cal.efficiencies[key]
            ids = ";".join(r.id for r in runs if r.accelerator == key)
            lines.append(
                f"{key},{e.matmul_bf16:.4f},{e.matmul_fp8:.4f},{ids},fitted by estimate calibrate to {measurements.name}"
            )
        write_text_atomic(output / "efficiency.csv", "\n".join(lines) + "\n")
    if fmt is not Format.TABLE:
        render_rows(console, rows, fmt)
        return
    render_rows(
        console,
        rows,
        fmt,
        title="Residuals before and after fitting",
        columns=[
            ("run", "run"),
            ("accelerator", "chip"),
            ("observed_tokens_per_s_per_chip", "observed tok/s/chip"),
            ("predicted_before", "before"),
            ("error_before", "error"),
            ("predicted_after", "after"),
            ("error_after", "error"),
        ],
        formatters={
            "error_before": lambda v: "—" if v is None else f"{v:+.1%}",
            "error_after": lambda v: "—" if v is None else f"{v:+.1%}",
        },
    )
    s = cal.summary
    console.print(
        f"median |error| {s['before_median_abs_error']:.1%} -> {s['median_abs_error']:.1%}; max {s['before_max_abs_error']:.1%} -> {s['max_abs_error']:.1%}"
    )
    for k, v in cal.fitted.items():
        console.print(f"  fitted {k} = {v:.4f}")
    if output is not None:
        console.print(f"wrote {output} (use it with --efficiency {output})")


@app.command("validate")
def validate(fmt: FormatOpt = Format.TABLE) -> None:
    """The model against the shipped table of published training runs."""
    errs = run_errors(published_runs())
    rows = [
        {
            "run": e.run.id,
            "accelerator": e.run.accelerator,
            "model": e.run.model.name,
            "chips": e.run.chips,
            "observed": round(e.observed, 2),
            "predicted": None if e.predicted is None else round(e.predicted, 2),
            "error": None if e.predicted is None else round(e.error, 4),
            "source": e.run.source,
        }
        for e in errs
    ]
    console = make_console()
    render_rows(
        console,
        rows,
        fmt,
        title="Published runs: tokens/s per chip, observed vs predicted",
        columns=[
            ("run", "run"),
            ("accelerator", "chip"),
            ("chips", "chips"),
            ("observed", "observed"),
            ("predicted", "predicted"),
            ("error", "error"),
        ],
        formatters={"error": lambda v: "—" if v is None else f"{v:+.1%}"},
    )
    if fmt is Format.TABLE:
        s = accuracy_summary(errs)
        console.print(
            f"{int(s['runs'])} runs: median |error| {s['median_abs_error']:.1%}, max {s['max_abs_error']:.1%} (docs/perf-accuracy.md)"
        )


@app.command("models")
def models(
    reference: Annotated[
        bool, typer.Option("--reference", help="Also list the shapes of benchmark runs.")
    ] = False,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Model presets with their size and source."""
    from computebroker.perf import get_model

    rows = []
    for name in model_names(include_reference=reference):
        m = get_model(name)
        rows.append(
            {
                "name": m.name,
                "type": m.kind.value,
                "params_b": round(m.params / 1e9, 2),
                "active_params_b": round(m.active_params / 1e9, 2),
                "layers": m.layers,
                "hidden": m.hidden,
                "heads": m.heads,
                "kv_heads": m.kv_heads,
                "seq_len": m.seq_len,
                "source": m.source,
            }
        )
    render_rows(
        make_console(),
        rows,
        fmt,
        title="Model presets",
        columns=[
            ("name", "name"),
            ("type", "type"),
            ("params_b", "params (B)"),
            ("active_params_b", "active (B)"),
            ("layers", "layers"),
            ("hidden", "hidden"),
            ("seq_len", "seq"),
        ],
    )


def _ranked_row(r: dict[str, Any]) -> dict[str, Any]:
    """A training record with the short cells the every-accelerator table shows (120 columns):
    the layout's parallel degrees above 1, the band as ±X% with f/d (fitted / vendor default),
    the cheapest offer as provider and term, and the obligation its term requires."""
    layout = str(r.get("layout") or "")
    parallel = " ".join(
        p for p in layout.split() if p[:2] in {"TP", "PP", "DP", "CP", "EP"} and p[2:] != "1"
    )
    rel = r.get("band_rel")
    kind = "d" if "default" in str(r.get("band_label", "")) else "f"
    band = "—" if rel is None else f"±{float(rel):.0%} {kind}"
    contract = str(r.get("cheapest_contract") or "")
    short = contract.split(" ", maxsplit=1)[0].replace("commit-", "")
    if "only public price" in contract:
        short += "*"
    if "estimated price" in contract:
        short += " est."
    cheapest = r.get("cheapest") or {}
    offer = f"{r.get('cheapest_provider') or ''} {short}".strip()
    return {
        **r,
        "parallel": parallel or layout,
        "band": band,
        "offer": offer or "—",
        "obligation": cheapest.get("obligation_usd"),
    }
