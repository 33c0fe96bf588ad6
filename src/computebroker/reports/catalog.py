"""Catalog results as plain records (dicts of JSON-ready values) for tables, JSON and CSV."""

from __future__ import annotations

from typing import Any

from computebroker.catalog import (
    Accelerator,
    AcceleratorComparison,
    ContractQuote,
    OfferingQuote,
)

__all__ = ["accelerator_record", "comparison_record", "offering_record", "quote_record"]


def accelerator_record(acc: Accelerator) -> dict[str, Any]:
    """One accelerator as a flat record; ``name`` is the canonical id used everywhere."""
    return {
        "name": acc.id,
        "display_name": acc.name,
        "vendor": acc.vendor,
        "bf16_tflops": acc.bf16_tflops,
        "fp8_tflops": acc.fp8_tflops,
        "hbm_gib": acc.hbm_gib,
        "hbm_tbps": acc.hbm_tbps,
        "scale_up_chips": acc.scale_up_chips,
        "scale_up_gbps": acc.scale_up_gbps,
        "scale_out_gbps": acc.scale_out_gbps,
        "tdp_w": acc.tdp_w,
        "cores_per_chip": acc.cores_per_chip,
        "core_name": acc.core_name,
        "aliases": list(acc.aliases),
        "assumed": acc.assumed or None,
        "private": acc.private,
        "source": acc.source,
        "as_of": acc.as_of,
    }


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def offering_record(q: OfferingQuote) -> dict[str, Any]:
    """One offering with its normalised prices."""
    o = q.offering
    return {
        "id": o.id,
        "cloud": o.cloud,
        "region": o.region,
        "instance_type": o.instance_type,
        "accelerator": o.accelerator,
        "chips": o.chips,
        "price_hour": o.price_hour,
        "spot_price_hour": o.spot_price_hour,
        # what the row's price pays for (accelerator: the GPUs only, without their host VM;
        # the rentable price adds it: catalog.rental, as placement, plan and estimate quote)
        "price_covers": str(o.price_covers),
        "price_chip_hour": _r(q.price_chip_hour),
        "rent_chip_hour": _r(q.rent_chip_hour),
        "spot_rent_chip_hour": _r(q.spot_rent_chip_hour),
        "price_includes_host": q.price_includes_host,
        "spot_price_chip_hour": _r(q.spot_price_chip_hour),
        "price_pflop_hour": _r(q.price_pflop_hour),
        "spot_price_pflop_hour": _r(q.spot_price_pflop_hour),
        "private": o.private,
        "source": o.source,
        "as_of": o.as_of,
        "notes": o.notes,
    }


def quote_record(q: ContractQuote) -> dict[str, Any]:
    """One way to buy a chip-hour."""
    return {
        "provider": q.provider,
        "region": q.region,
        "accelerator": q.accelerator,
        "contract": q.kind.value,
        "price_chip_hour": _r(q.price_chip_hour),
        "term_months": q.term_months,
        "basis": q.basis,
        "price_basis": q.price_basis,
        "price_includes_host": q.price_includes_host,
        "confidence": q.confidence,
        "source": q.source,
    }


def comparison_record(c: AcceleratorComparison) -> dict[str, Any]:
    """Specs and cheapest offers of one accelerator, at what a chip-hour costs to rent (with
    the host VM of GPUs the catalog prices alone: ``cheapest_price_includes_host``)."""
    rec = accelerator_record(c.accelerator)
    od, spot = c.cheapest_on_demand, c.cheapest_spot
    pflops = c.accelerator.bf16_pflops
    rent = od.rent_chip_hour if od else None
    rec.update(
        offerings=c.offerings,
        cheapest_price_chip_hour=_r(rent),
        cheapest_offering=od.offering.id if od else None,
        cheapest_price_includes_host=od.price_includes_host if od else None,
        cheapest_price_pflop_hour=_r(rent / pflops) if rent is not None and pflops else None,
        cheapest_spot_price_chip_hour=_r(spot.spot_rent_chip_hour) if spot else None,
        cheapest_spot_offering=spot.offering.id if spot else None,
    )
    return rec
