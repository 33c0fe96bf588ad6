"""``computebroker place``: the cheapest rentable instance shape for a job's chips and nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from computebroker.catalog import load_catalog
from computebroker.cli.output import Format, make_console, render_rows
from computebroker.errors import InputError
from computebroker.scheduler.placement import PlacementRequest, placement_options

__all__ = ["place"]


def place(
    accelerator: Annotated[
        str, typer.Argument(help="ACCELERATOR or ACCELERATOR:CHIPS, e.g. h100:2.")
    ],
    chips: Annotated[
        int | None, typer.Option("--chips", min=1, help="Chips per node (default: from :N, or 1).")
    ] = None,
    num_nodes: Annotated[int, typer.Option("--num-nodes", min=1, help="Nodes (gang).")] = 1,
    cloud: Annotated[
        list[str] | None, typer.Option("--cloud", help="Only these clouds (repeat).")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", help="Only these regions (repeat).")
    ] = None,
    spot: Annotated[bool, typer.Option("--spot", help="Price at spot.")] = False,
    top: Annotated[int, typer.Option("--top", min=1, help="Options to show.")] = 5,
    catalog: Annotated[
        list[Path] | None, typer.Option("--catalog", help="Extra offerings/deals (YAML/CSV).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TABLE,
) -> None:
    """Where to rent a job's chips: instance shapes with exactly that many, cheapest first."""
    name, _, count = accelerator.partition(":")
    if count and not count.isdigit():
        raise InputError.single(
            "ACCELERATOR", f"expected ACCELERATOR:CHIPS, got {accelerator!r}", field="accelerator"
        )
    request = PlacementRequest(
        accelerator=name,
        chips=chips if chips is not None else int(count or 1),
        num_nodes=num_nodes,
        clouds=frozenset(c.lower() for c in cloud) if cloud else None,
        regions=frozenset(region) if region else None,
        spot=spot,
    )
    rows = [o.row() for o in placement_options(load_catalog(catalog or []), request)[:top]]
    console = make_console()
    if not rows:
        console.print("no rentable instance matches (check --cloud, --region, --spot)")
        return
    render_rows(
        console,
        rows,
        fmt,
        title=f"{request.accelerator}:{request.chips} x {request.num_nodes} node(s)",
        columns=[
            ("cloud", "cloud"),
            ("region", "region"),
            ("instance_type", "instance"),
            ("chips_per_node", "chips/node"),
            ("num_nodes", "nodes"),
            ("price_chip_hour", "$/chip-h"),
            ("cost_hour", "$/h"),
        ],
        formatters={"price_chip_hour": lambda v: f"{v:,.2f}", "cost_hour": lambda v: f"{v:,.2f}"},
    )
