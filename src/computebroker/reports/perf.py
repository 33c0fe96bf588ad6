"""Perf results as plain records for tables, JSON and CSV."""

from __future__ import annotations

from typing import Any

from computebroker.catalog import NotRentable
from computebroker.perf import ServeEstimate, TrainEstimate, TrainingReport
from computebroker.perf.estimate import CostLine
from computebroker.perf.uncertainty import Band

__all__ = [
    "cost_record",
    "serve_record",
    "train_estimate_record",
    "training_report_record",
    "unquoted_record",
]

DAY = 86400.0


def _r(v: float | None, digits: int = 4) -> float | None:
    return None if v is None else round(v, digits)


def cost_record(c: CostLine) -> dict[str, Any]:
    """One way of buying the job."""
    q = c.quote
    return {
        "provider": q.provider,
        "region": q.region,
        "contract": q.kind.value,
        "price_chip_hour": _r(q.price_chip_hour),
        "cost_usd": _r(c.cost_usd, 0),
        "obligation_usd": _r(c.obligation_usd, 0),
        "usd_per_million_tokens": _r(c.usd_per_million_tokens),
        "basis": q.basis,
        "price_basis": q.price_basis,
        "price_includes_host": q.price_includes_host,
        "confidence": q.confidence,
        "source": q.source,
    }


def unquoted_record(u: NotRentable) -> dict[str, Any]:
    """A catalog row left out of the costs: it has no rentable price, and why."""
    return {
        "offering": u.offering.id,
        "provider": u.offering.cloud,
        "region": u.offering.region,
        "contract": "spot" if u.spot else "on-demand",
        "reason": u.reason,
    }


def train_estimate_record(e: TrainEstimate) -> dict[str, Any]:
    """One costed layout."""
    return {
        "accelerator": e.accelerator,
        "chips": e.chips,
        "layout": e.layout_text(),
        "layout_degrees": e.layout.as_dict(),
        "recompute_fraction": e.recompute_fraction,
        "stack": e.stack,
        "precision": e.precision.value,
        "step_time_s": _r(e.step_time_s),
        "step_breakdown": {k: _r(v) for k, v in e.step.as_dict().items()},
        "tokens_per_step": e.tokens_per_step,
        "tokens_per_s": _r(e.tokens_per_s, 1),
        "tokens_per_s_per_chip": _r(e.tokens_per_s_per_chip, 2),
        "mfu": _r(e.mfu),
        "hfu": _r(e.hfu),
        "flop_convention": "model FLOPs = 3 x (2 x active matmul params + causal attention + logits) per token; "
        "MFU against dense peak of the GEMM precision; HFU adds recomputation",
        "memory_gib_per_chip": _r(e.memory.total / 1024**3, 2),
        "memory": {k: _r(v, 2) for k, v in e.memory.as_dict().items()},
        "notes": list(e.notes),
    }


def training_report_record(r: TrainingReport) -> dict[str, Any]:
    """The report for one accelerator: best layout, time, cost, alternatives, prices."""
    if r.best is None:
        return {"accelerator": r.accelerator, "feasible": False, "error": r.error}
    rec = train_estimate_record(r.best)
    t = r.time_to_train_s
    tc = r.compute_time_s
    cheapest = r.cheapest
    if r.band is not None:
        lo, hi = r.band.bounds(r.best.tokens_per_s_per_chip)
        rec.update(r.band.as_dict())
        rec.update(tokens_per_s_per_chip_low=_r(lo, 2), tokens_per_s_per_chip_high=_r(hi, 2))
        if t:
            d_lo, d_hi = r.band.time_bounds(t / DAY)
            rec.update(time_to_train_days_low=_r(d_lo, 3), time_to_train_days_high=_r(d_hi, 3))
    rec.update(
        feasible=True,
        tokens=r.tokens,
        goodput=_r(r.goodput),
        goodput_assumption=r.goodput_note,
        compute_days=_r(tc / DAY if tc else None, 3),
        chip_hours=_r(r.chip_hours, 0),
        time_to_train_days=_r(t / DAY if t else None, 3),
        cost_usd=_r(cheapest.cost_usd, 0) if cheapest else None,
        cheapest_provider=cheapest.quote.provider if cheapest else None,
        cheapest_contract=(
            f"{cheapest.quote.kind.value} (only public price)"
            if r.spot_only
            else f"{cheapest.quote.kind.value} (estimated price)"
            if r.price_estimate
            else cheapest.quote.kind.value
        )
        if cheapest
        else None,
        price_estimate=r.price_estimate or None,
        cheapest_price_chip_hour=_r(cheapest.quote.price_chip_hour) if cheapest else None,
        usd_per_million_tokens=_r(cheapest.usd_per_million_tokens) if cheapest else None,
        cheapest=cost_record(cheapest) if cheapest else None,
        costs=[cost_record(c) for c in r.costs],
        unquoted=[unquoted_record(u) for u in r.unquoted],
        alternatives=[
            {
                "layout": a.layout_text(),
                "tokens_per_s_per_chip": _r(a.tokens_per_s_per_chip, 2),
                "mfu": _r(a.mfu),
            }
            for a in r.alternatives
        ],
    )
    return rec


def serve_record(
    e: ServeEstimate,
    price_chip_hour: float | None = None,
    where: str = "",
    *,
    utilisation: float = 1.0,
    band: Band | None = None,
) -> dict[str, Any]:
    """One serving configuration and, given a price, dollars per million output tokens.

    ``utilisation`` is the average share of the fleet's serving capacity that demand uses; the
    paid chip-hours of idle capacity are spread over the tokens served.
    """
    per_m = None
    if price_chip_hour is not None and e.output_tokens_per_s_per_chip > 0:
        per_m = price_chip_hour / (e.output_tokens_per_chip_hour * utilisation) * 1e6
    extra: dict[str, Any] = {"utilisation": utilisation}
    if band is not None:
        lo, hi = band.bounds(e.output_tokens_per_s_per_chip)
        extra.update(band.as_dict())
        extra.update(
            output_tokens_per_s_per_chip_low=_r(lo, 1), output_tokens_per_s_per_chip_high=_r(hi, 1)
        )
    return extra | {
        "accelerator": e.accelerator,
        "tp": e.tp,
        "batch": e.batch,
        "ttft_ms": _r(e.ttft_s * 1000, 1),
        "tpot_ms": _r(e.tpot_s * 1000, 2),
        "output_tokens_per_s_per_chip": _r(e.output_tokens_per_s_per_chip, 1),
        "weights_gib_per_chip": _r(e.weights_gib_per_chip, 2),
        "kv_gib_per_chip": _r(e.kv_gib_per_chip, 2),
        "bound": e.bound,
        "cheapest_price_chip_hour": _r(price_chip_hour),
        "cheapest_at": where or None,
        "usd_per_million_output_tokens": _r(per_m),
    }
