"""``computebroker demo``: the main job on the bundled example."""

from __future__ import annotations

from computebroker.catalog import (
    OfferingQuery,
    SortKey,
    compare_accelerators,
    find_offerings,
    load_catalog,
)
from computebroker.cli.output import make_console

__all__ = ["demo"]


def demo() -> None:
    """Run the main job on the bundled example (for now: a tour of the catalog)."""
    console = make_console()
    cat = load_catalog()
    console.rule("[bold]computebroker demo: the catalog")
    console.print(
        f"{len(cat.accelerators)} accelerators, {len(cat.offerings):,} offerings from "
        f"{len(cat.clouds)} clouds ({', '.join(cat.clouds)}), {len(cat.terms)} commitment terms."
    )
    names = ["h100", "h200", "b200", "mi300x", "tpu-v5p", "tpu-v6e", "trn2"]
    for c in compare_accelerators(cat, names):
        od = c.cheapest_on_demand
        price = (
            f"${od.price_chip_hour:.2f}/chip-h at {od.offering.id}"
            if od and od.price_chip_hour
            else "no on-demand price"
        )
        console.print(
            f"  {c.accelerator.id:8s} {c.accelerator.bf16_tflops or 0:7.0f} TFLOP/s  {price}"
        )
    best = find_offerings(cat, OfferingQuery(sort=SortKey.PRICE_PER_PFLOP, min_chips=8))[:5]
    console.print("Cheapest peak bf16 PFLOP-hour on 8+ chip instances:")
    for q in best:
        console.print(f"  ${q.price_pflop_hour:.3f}/PFLOP-h  {q.offering.id} ({q.accelerator.id})")
