"""``computebroker export``: hand a plan's fleet to the schedulers labs run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from computebroker.cli.output import make_console, output_folder

__all__ = ["app"]

app = typer.Typer(help="Hand a plan's fleet to the schedulers labs run.", no_args_is_help=True)

KUEUE_FILE = "kueue.yaml"


@app.command("kueue")
def kueue(
    plan: Annotated[Path, typer.Argument(help="plan.json written by `computebroker plan`.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help=f"Folder to write {KUEUE_FILE} in.")
    ] = Path("out"),
    period: Annotated[
        str | None, typer.Option("--period", help="The plan's period (default: its first).")
    ] = None,
    queue: Annotated[
        str, typer.Option("--queue", help="Name of the ClusterQueue and LocalQueue.")
    ] = "computebroker",
    namespace: Annotated[
        str, typer.Option("--namespace", help="Namespace of the LocalQueue.")
    ] = "default",
    catalog: Annotated[
        list[Path] | None,
        typer.Option("--catalog", help="Extra accelerators/offerings (YAML/CSV) the plan names."),
    ] = None,
) -> None:
    """Kueue ResourceFlavors, ClusterQueue and LocalQueue for the plan's committed chips."""
    import yaml

    from computebroker.catalog import load_catalog
    from computebroker.outputs import write_text_atomic
    from computebroker.planner.document import PlanDocument
    from computebroker.scheduler.export import kueue_manifests

    folder = output_folder(output, writes=[KUEUE_FILE], inputs=[plan, *(catalog or [])])
    manifests = kueue_manifests(
        PlanDocument.read(plan),
        str(plan),
        load_catalog(catalog or []),
        period=period,
        queue=queue,
        namespace=namespace,
    )
    text = f"# Kueue manifests of {plan.name}, written by `computebroker export kueue`\n"
    text += yaml.safe_dump_all(manifests, sort_keys=False, explicit_start=True)
    path = write_text_atomic(folder / KUEUE_FILE, text)
    console = make_console()
    for m in manifests:
        if m["kind"] == "ClusterQueue":
            for g in m["spec"]["resourceGroups"]:
                for f in g["flavors"]:
                    r = f["resources"][0]
                    console.print(f"{f['name']}: {r['nominalQuota']:,} {r['name']}")
    console.print(f"wrote {path} (kubectl apply -f {path})")
