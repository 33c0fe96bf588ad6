"""``computebroker place``: where to run one job — the team's committed capacity first (from
``--plan``), then the cheapest rentable instance shapes with exactly its chips per node; ranked
by USD per unit of work with ``--workload``; ``--skypilot`` writes the best as a SkyPilot task.
Catalog rows left out because their price is not a whole instance's (GPUs priced without a known
host VM price, per-chip prices of unstated shapes) are listed with the reason: after the table,
or on stderr with ``--format json/csv`` (stdout stays the machine-readable rows)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from computebroker.catalog import Catalog, load_catalog
from computebroker.cli.limits import MAX_NODES, MAX_TOP
from computebroker.cli.output import Format, check_output_file, make_console, render_rows
from computebroker.errors import InputError
from computebroker.scheduler.placement import (
    CommittedPool,
    Placement,
    PlacementRequest,
    Unrentable,
    WorkloadRates,
    known_places,
    plan_placements,
    unrentable_offerings,
)

__all__ = ["place"]


def _shapes(spec: str, chips: int | None) -> list[tuple[str, int]]:
    """``h100:8,h200:8`` -> [("h100", 8), ("h200", 8)] (``chips`` overrides every count)."""
    out = []
    for item in spec.split(","):
        name, colon, count = item.strip().partition(":")
        # ASCII digits (isdigit() also takes '²', which int() refuses) and few enough for int()
        if not name or (colon and not _COUNT.fullmatch(count)):
            raise InputError.single(
                "ACCELERATOR",
                f"expected ACCELERATOR[:CHIPS][,ACCELERATOR[:CHIPS]...], got {spec!r}",
                field="accelerator",
            )
        out.append((name, chips if chips is not None else int(count or 1)))
    return out


_COUNT = re.compile(r"[0-9]{1,12}")


def _in_use(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        pool, _, n = item.partition("=")
        if not pool or not _COUNT.fullmatch(n):
            raise InputError.single(
                "--in-use", f"expected POOL=CHIPS, got {item!r}", field="--in-use"
            )
        out[pool] = out.get(pool, 0) + int(n)
    return out


def _committed(
    plan: Path | None, period: str | None, in_use: list[str]
) -> tuple[list[CommittedPool], Any]:
    """The plan's committed pools in ``period`` (and the plan document, for its matrix)."""
    if plan is None:
        if period is not None or in_use:
            option = "--period" if period is not None else "--in-use"
            raise InputError.single(option, f"{option} needs --plan", field=option)
        return [], None
    from computebroker.planner.document import PlanDocument
    from computebroker.scheduler.placement import committed_pools

    doc = PlanDocument.read(plan)
    return committed_pools(doc, str(plan), period=period, in_use=_in_use(in_use)), doc


def _rates(
    workload: str | None,
    throughputs: str | None,
    doc: Any,
    plan: Path | None,
    accelerators: list[str],
    catalog: Catalog,
) -> WorkloadRates | None:
    if workload is None:
        if throughputs is not None:
            raise InputError.single(
                "--throughputs",
                "--throughputs ranks by a workload: give --workload",
                field="--workload",
            )
        return None
    if throughputs is None:
        if doc is None:
            raise InputError.single(
                "--workload",
                "give --throughputs (a matrix CSV/JSON, a workloads YAML or 'gavel') or --plan "
                "(which carries its matrix)",
                field="--workload",
            )
        from computebroker.scheduler.placement import rates_from_plan

        return rates_from_plan(doc, str(plan), workload)
    from computebroker.sim.gavel import gavel_throughputs
    from computebroker.sim.throughputs import load_throughputs

    table = (
        gavel_throughputs()
        if throughputs == "gavel"
        else load_throughputs(throughputs, accelerators=accelerators, catalog=catalog)
    )
    return WorkloadRates(workload=workload, table=table)


def _write_skypilot(
    path: Path, best: Placement, catalog: Catalog, *, name: str, spot: bool, queue: str
) -> None:
    import yaml

    from computebroker.outputs import write_text_atomic
    from computebroker.scheduler.export import skypilot_task

    task = skypilot_task(best, catalog, name=name, spot=spot, queue=queue)
    write_text_atomic(
        path,
        "# SkyPilot task written by `computebroker place` (add setup/run); launch with:\n"
        f"#   sky launch {path.name}\n" + yaml.safe_dump(task, sort_keys=False),
    )


def _render_unrentable(left_out: list[Unrentable], fmt: Format, shown: int = 5) -> None:
    """The rows left out and why (stderr for JSON/CSV, so stdout stays parseable)."""
    if not left_out:
        return
    console = make_console(stderr=fmt is not Format.TABLE)
    console.print(
        f"left out {len(left_out)} catalog row(s) whose price is not a whole instance's:",
        markup=False,
    )
    for u in left_out[:shown]:
        console.print(f"  {u.offering.id}: {u.reason}", markup=False, soft_wrap=True)
    if len(left_out) > shown:
        console.print(f"  ... and {len(left_out) - shown} more", markup=False)


def _render(got: list[Placement], fmt: Format, title: str, ranked: bool) -> None:
    if not got:  # JSON and CSV keep stdout parseable: an empty list, the reason on stderr
        if fmt is Format.JSON:
            sys.stdout.write("[]\n")
        make_console(stderr=fmt is not Format.TABLE).print(
            "no placement matches (check --cloud, --region, --spot)"
        )
        return
    console = make_console()
    rows = [p.row() for p in got]
    if fmt is Format.CSV:
        rows = [{k: v for k, v in r.items() if k != "parts"} for r in rows]
    unit = got[0].unit or "work"
    columns = [
        ("accelerator", "chip"),
        ("committed_nodes", "committed"),
        ("rented_nodes", "rented"),
        ("where", "where"),
        ("cost_hour", "$/h added"),
    ]
    if ranked:
        columns.append(("cost_per_work", f"$/M {unit}"))
    render_rows(
        console,
        rows,
        fmt,
        title=title,
        columns=columns,
        formatters={
            "cost_hour": lambda v: f"{v:,.2f}",
            "cost_per_work": lambda v: "—" if v is None else f"{v * 1e6:,.4f}",
        },
        caption="committed nodes add $0/h: the plan's commitments are paid whether used or not"
        if any(p.nodes("committed") for p in got)
        else None,
    )


def place(
    accelerator: Annotated[
        str,
        typer.Argument(
            help="ACCELERATOR[:CHIPS], or several that would do: h100:8,h200:8,tpu-v6e:8."
        ),
    ],
    chips: Annotated[
        int | None, typer.Option("--chips", min=1, help="Chips per node (default: from :N, or 1).")
    ] = None,
    num_nodes: Annotated[
        int, typer.Option("--num-nodes", min=1, max=MAX_NODES, help="Nodes (gang).")
    ] = 1,
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="plan.json: use its committed capacity first ($0 marginal)."),
    ] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="The plan's period (default: its first).")
    ] = None,
    in_use: Annotated[
        list[str] | None,
        typer.Option("--in-use", help="POOL=CHIPS already busy on a committed pool (repeat)."),
    ] = None,
    workload: Annotated[
        str | None,
        typer.Option("--workload", help="Rank by $ per unit of this workload's work."),
    ] = None,
    throughputs: Annotated[
        str | None,
        typer.Option(
            "--throughputs",
            help="The workload's rates: a matrix CSV/JSON, a workloads YAML, or 'gavel' "
            "(default: the --plan's matrix).",
        ),
    ] = None,
    split: Annotated[
        bool,
        typer.Option(
            "--split/--no-split", help="Let a gang take a committed pool's room and rent the rest."
        ),
    ] = True,
    cloud: Annotated[
        list[str] | None, typer.Option("--cloud", help="Only these clouds (repeat).")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", help="Only these regions (repeat).")
    ] = None,
    spot: Annotated[bool, typer.Option("--spot", help="Price at spot.")] = False,
    top: Annotated[int, typer.Option("--top", min=1, max=MAX_TOP, help="Options to show.")] = 5,
    skypilot: Annotated[
        Path | None,
        typer.Option("--skypilot", help="Write the best placement as a SkyPilot task YAML."),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="The SkyPilot task's name.")] = "job",
    queue: Annotated[
        str, typer.Option("--queue", help="Kueue queue of committed capacity (SkyPilot task).")
    ] = "computebroker",
    catalog: Annotated[
        list[Path] | None, typer.Option("--catalog", help="Extra offerings/deals (YAML/CSV).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TABLE,
) -> None:
    """Where to run a job's chips: committed capacity first, then exact instance shapes, cheapest first."""
    shapes = _shapes(accelerator, chips)
    if skypilot is not None:
        check_output_file(skypilot, inputs=[plan, *(catalog or [])], option="--skypilot")
    cat = load_catalog(catalog or [])
    pools, doc = _committed(plan, period, in_use or [])
    clouds, regions = known_places(
        cat, pools, clouds=cloud, regions=region, fields=("--cloud", "--region")
    )
    request = PlacementRequest(
        accelerator=shapes[0][0],
        chips=shapes[0][1],
        num_nodes=num_nodes,
        alternatives=tuple(shapes[1:]),
        clouds=clouds,
        regions=regions,
        spot=spot,
        split=split,
    )
    accs = [cat.accelerator(a, flag="ACCELERATOR").id for a, _ in shapes]
    rates = _rates(workload, throughputs, doc, plan, accs, cat)
    got = plan_placements(cat, request, committed=pools, rates=rates)
    if skypilot is not None:
        if not got:
            raise InputError.single(
                "--skypilot",
                "no placement matches, so there is no task to write",
                field="--skypilot",
            )
        _write_skypilot(skypilot, got[0], cat, name=name, spot=spot, queue=queue)
    title = " or ".join(f"{a}:{n}" for a, n in shapes) + f" x {num_nodes} node(s)"
    _render(
        got[:top],
        fmt,
        title + (f", ranked by $ per {rates.table.unit}" if rates else ""),
        rates is not None,
    )
    _render_unrentable(unrentable_offerings(cat, request), fmt)
    if skypilot is not None:
        make_console(stderr=True).print(f"wrote {skypilot}")
