"""``computebroker catalog``: accelerators, offerings and side-by-side comparisons."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from computebroker.catalog import (
    OfferingQuery,
    SortKey,
    compare_accelerators,
    find_offerings,
    load_catalog,
)
from computebroker.cli.output import Format, fmt_money, fmt_num, make_console, render_rows
from computebroker.reports.catalog import accelerator_record, comparison_record, offering_record

__all__ = ["app"]

app = typer.Typer(help="What chips exist, who sells them, at what price.", no_args_is_help=True)

CatalogFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        help="Your own offerings, deals or chips (YAML or CSV), merged over the shipped catalog. "
        "Repeatable.",
        show_default=False,
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


@app.command("accelerators")
def accelerators(
    vendor: Annotated[
        str | None, typer.Option(help="Only this vendor (NVIDIA, AMD, Google, AWS, Intel).")
    ] = None,
    catalog: CatalogFiles = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Accelerator specs: peak dense bf16/fp8, HBM, scale-up and scale-out bandwidth, power."""
    cat = load_catalog(catalog or [])
    accs = [a for a in cat.accelerators if vendor is None or a.vendor.lower() == vendor.lower()]
    if vendor is not None and not accs:
        vendors = sorted({a.vendor for a in cat.accelerators})
        raise typer.BadParameter(
            f"no accelerator from vendor {vendor!r}; vendors: {', '.join(vendors)}"
        )
    rows = [accelerator_record(a) for a in accs]
    render_rows(
        make_console(),
        rows,
        fmt,
        title="Accelerators (peak dense, per chip)",
        columns=[
            ("name", "name"),
            ("vendor", "vendor"),
            ("bf16_tflops", "bf16 TFLOP/s"),
            ("fp8_tflops", "fp8 TFLOP/s"),
            ("hbm_gib", "HBM GiB"),
            ("hbm_tbps", "HBM TB/s"),
            ("scale_up_chips", "scale-up chips"),
            ("scale_up_gbps", "scale-up Gb/s"),
            ("scale_out_gbps", "scale-out Gb/s"),
            ("tdp_w", "TDP W"),
        ],
        formatters={
            "bf16_tflops": lambda v: fmt_num(v, 0),
            "fp8_tflops": lambda v: fmt_num(v, 0),
            "hbm_gib": lambda v: fmt_num(v, 0),
            "scale_up_gbps": lambda v: fmt_num(v, 0),
            "scale_out_gbps": lambda v: fmt_num(v, 0),
            "tdp_w": lambda v: fmt_num(v, 0),
            "scale_up_chips": lambda v: fmt_num(v, 0) if v is not None else "—",
        },
        caption="Sources: `--format json` gives each row's source, as_of and assumptions.",
    )


@app.command("offerings")
def offerings(
    accelerator: Annotated[
        str | None, typer.Option("--accelerator", "-a", help="Chip name or alias (any case).")
    ] = None,
    cloud: Annotated[str | None, typer.Option("--cloud", "-c", help="Only this cloud.")] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", "-r", help="Region prefix or pattern (us-east, europe-*)."),
    ] = None,
    spot: Annotated[
        bool, typer.Option("--spot", help="Only offerings with a spot price; rank by it.")
    ] = False,
    min_chips: Annotated[
        int | None,
        typer.Option("--min-chips", min=1, help="At least this many chips per instance."),
    ] = None,
    sort: Annotated[
        SortKey,
        typer.Option("--sort", help="Rank by price per chip-hour or per peak bf16 PFLOP-hour."),
    ] = SortKey.PRICE,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="Rows to show in a table (0 = all).")
    ] = 25,
    catalog: CatalogFiles = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Offerings, normalised to USD per chip-hour and per peak bf16 PFLOP-hour, cheapest first."""
    cat = load_catalog(catalog or [])
    q = OfferingQuery(
        accelerator=accelerator,
        cloud=cloud,
        region=region,
        spot=spot,
        min_chips=min_chips,
        sort=sort,
    )
    quotes = find_offerings(cat, q, flags=("--accelerator", "--cloud"))
    rows = [offering_record(x) for x in quotes]
    console = make_console()
    if fmt is not Format.TABLE:
        render_rows(console, rows, fmt)
        return
    shown = rows if limit == 0 else rows[:limit]
    price_key = "spot_price_chip_hour" if spot else "price_chip_hour"
    pflop_key = "spot_price_pflop_hour" if spot else "price_pflop_hour"
    label = "spot " if spot else ""
    render_rows(
        console,
        shown,
        fmt,
        title=f"Offerings ({len(rows):,} match; sorted by {label}{sort.value})",
        columns=[
            ("cloud", "cloud"),
            ("region", "region"),
            ("instance_type", "instance"),
            ("accelerator", "chip"),
            ("chips", "chips"),
            ("spot_price_hour" if spot else "price_hour", f"{label}$/h"),
            (price_key, f"{label}$/chip-h"),
            (pflop_key, f"{label}$/PFLOP-h"),
            ("as_of", "as of"),
        ],
        formatters={
            "price_hour": fmt_money,
            "spot_price_hour": fmt_money,
            price_key: lambda v: fmt_money(v, 3),
            pflop_key: lambda v: fmt_money(v, 3),
        },
        caption=None
        if len(shown) == len(rows)
        else f"{len(rows) - len(shown):,} more: use --limit 0 or --format csv",
    )


@app.command("compare")
def compare(
    names: Annotated[list[str], typer.Argument(help="Two or more chip names or aliases.")],
    catalog: CatalogFiles = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Side-by-side specs and the cheapest offer per chip-hour of each chip."""
    cat = load_catalog(catalog or [])
    comps = compare_accelerators(cat, names, flag="NAMES")
    rows = [comparison_record(c) for c in comps]
    console = make_console()
    if fmt is not Format.TABLE:
        render_rows(console, rows, fmt)
        return
    table = Table(title="Side by side", header_style="bold")
    table.add_column("")
    for r in rows:
        table.add_column(str(r["name"]), justify="right")
    fields: list[tuple[str, str, Callable[[Any], str]]] = [
        ("vendor", "vendor", str),
        ("bf16_tflops", "bf16 TFLOP/s (dense)", lambda v: fmt_num(v, 0)),
        ("fp8_tflops", "fp8 TFLOP/s (dense)", lambda v: fmt_num(v, 0)),
        ("hbm_gib", "HBM GiB", lambda v: fmt_num(v, 0)),
        ("hbm_tbps", "HBM TB/s", lambda v: fmt_num(v, 2)),
        ("scale_up_chips", "scale-up domain (chips)", lambda v: fmt_num(v, 0) if v else "—"),
        ("scale_up_gbps", "scale-up Gb/s per chip", lambda v: fmt_num(v, 0)),
        ("scale_out_gbps", "scale-out Gb/s per chip", lambda v: fmt_num(v, 0)),
        ("tdp_w", "TDP W", lambda v: fmt_num(v, 0)),
        ("offerings", "offerings", fmt_num),
        ("cheapest_price_chip_hour", "cheapest on-demand $/chip-h", lambda v: fmt_money(v, 3)),
        ("cheapest_offering", "  at", lambda v: v or "—"),
        ("cheapest_price_includes_host", "  incl. host VM", lambda v: "yes" if v else "—"),
        ("cheapest_price_pflop_hour", "  $/PFLOP-h", lambda v: fmt_money(v, 3)),
        ("cheapest_spot_price_chip_hour", "cheapest spot $/chip-h", lambda v: fmt_money(v, 3)),
        ("cheapest_spot_offering", "  at", lambda v: v or "—"),
    ]
    for key, label, f in fields:
        table.add_row(label, *[f(r[key]) for r in rows])
    console.print(table)
