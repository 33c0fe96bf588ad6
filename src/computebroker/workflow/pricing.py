"""The offers in play and the price of work on them: each offer normalised to USD per chip-hour
and per peak PFLOP-hour, and, per workload class, the chips ranked by USD per million units of
work at their cheapest offer."""

from __future__ import annotations

import math
from typing import Any

import xarray as xr

from computebroker.catalog import Catalog
from computebroker.planner.spec import ScenarioSpec
from computebroker.units import MILLION

__all__ = ["offers_in_play", "price_performance"]


def offers_in_play(spec: ScenarioSpec, catalog: Catalog) -> list[dict[str, Any]]:
    """The scenario's offers normalised to USD per chip-hour and per peak BF16 PFLOP-hour."""
    rows = []
    for o in spec.offers:
        acc = catalog.accelerator(o.accelerator)
        pflops = (acc.bf16_tflops or 0.0) / 1000.0  # TFLOP/s -> PFLOP/s
        rows.append(
            {
                "offer": o.id,
                "provider": o.provider,
                "accelerator": o.accelerator,
                "region": o.region,
                "contract": o.contract.value,
                "price_chip_hour": o.price_chip_hour,
                "peak_bf16_pflops": pflops or None,
                "usd_per_pflop_hour": o.price_chip_hour / pflops if pflops else None,
                "max_chips": None if math.isinf(o.max_chips) else o.max_chips,
                "price_source": o.price_source,
            }
        )
    return rows


# 2. estimate -------------------------------------------------------------------------------------


def price_performance(
    spec: ScenarioSpec, matrix: xr.Dataset, offers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per workload class and chip: USD per million units of work at the chip's cheapest offer."""
    cheapest: dict[str, dict[str, Any]] = {}
    for o in offers:
        best = cheapest.get(o["accelerator"])
        if best is None or o["price_chip_hour"] < best["price_chip_hour"]:
            cheapest[o["accelerator"]] = o
    rows = []
    for w in spec.workloads:
        for acc, o in cheapest.items():
            rate = float(matrix.work_per_chip_hour.sel(workload=w.name, accelerator=acc))
            if not rate > 0:
                continue
            rows.append(
                {
                    "workload": w.name,
                    "unit": w.unit,
                    "accelerator": acc,
                    "work_per_chip_hour": rate,
                    "offer": o["offer"],
                    "price_chip_hour": o["price_chip_hour"],
                    "usd_per_million": o["price_chip_hour"] / rate * MILLION,
                }
            )
    rows.sort(key=lambda r: (r["workload"], r["usd_per_million"]))
    for w in spec.workloads:
        mine = [r for r in rows if r["workload"] == w.name]
        for i, r in enumerate(mine, start=1):
            r["rank"] = i
    return rows
