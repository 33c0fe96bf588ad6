"""Plan results as plain data: terminal rows, and ``plan.json`` — the input of ``simulate``.

``plan.json`` (schema ``computebroker.plan/1``):

* ``scenario``, ``horizon`` (labels, hours per period), ``status``;
* ``commitments``: the schedule (offer, provider, accelerator, region, contract, start, chips,
  term, price, obligation, existing or new);
* ``offers``: every offer with its terms (so simulate can rent on-demand and spot capacity);
* ``capacity``: nominal usable chips per commitment offer and period;
* ``throughput``: the matrix rows (work per chip-hour per workload class and accelerator);
* ``demand``: per workload class, the base path and scenario percentiles;
* ``metrics``: the figures of the plan (in-sample, and out-of-sample when evaluated);
* ``frontier`` and ``whatif`` when computed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from computebroker.perf.matrix import matrix_records
from computebroker.planner.frontier import FrontierPoint
from computebroker.planner.problem import KCHIPS, PlanProblem
from computebroker.planner.result import Plan, PlanMetrics
from computebroker.planner.solve import PlanResult

__all__ = ["PLAN_SCHEMA", "metrics_record", "plan_document", "schedule_rows", "whatif_rows"]

PLAN_SCHEMA = "computebroker.plan/1"


def metrics_record(m: PlanMetrics) -> dict[str, Any]:
    """The headline figures (USD, fractions)."""
    return {
        "scenarios": m.scenarios,
        "expected_cost_usd": m.expected_cost_usd,
        "expected_spend_usd": m.expected_spend_usd,
        "cost_p05_usd": m.cost_p05_usd,
        "cost_p50_usd": m.cost_p50_usd,
        "cost_p95_usd": m.cost_p95_usd,
        f"cvar{round(m.cvar_alpha * 100)}_usd": m.cvar_usd,
        "cvar_usd": m.cvar_usd,
        "cvar_alpha": m.cvar_alpha,
        "p_shortfall": m.p_shortfall,
        "expected_unmet": m.expected_unmet,
        "expected_unmet_fraction": m.expected_unmet_fraction,
        "unmet_fraction_cvar": m.unmet_fraction_cvar,
        "vendor_shares": m.vendor_shares,
        "hhi": m.hhi,
        "utilisation": m.utilisation,
        "utilisation_by_pool": m.utilisation_by_pool,
        "usd_per_million_work": m.usd_per_million_work,
        "committed_spend_usd": m.committed_spend_usd,
        "post_horizon_usd": m.post_horizon_usd,
    }


# (key, header) of the commitment schedule, as every table of it shows it
SCHEDULE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("start", "start"),
    ("offer", "offer"),
    ("provider", "provider"),
    ("accelerator", "chip"),
    ("contract", "contract"),
    ("chips", "chips"),
    ("term_periods", "term"),
    ("price_chip_hour", "$/chip-h"),
    ("obligation_usd", "obligation"),
    ("existing", "signed"),
)


def schedule_rows(m: PlanMetrics) -> list[dict[str, Any]]:
    """The commitment schedule as rows."""
    return [asdict(c) for c in m.schedule]


def _demand_summary(p: PlanProblem) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, w in enumerate(p.workloads):
        d = p.D[i] * p.scale[i]  # (period, S)
        order = np.argsort(d, axis=1)
        cum = np.cumsum(p.prob[order], axis=1)
        q = {}
        for name, level in (
            ("p05", 0.05),
            ("p25", 0.25),
            ("p50", 0.5),
            ("p75", 0.75),
            ("p95", 0.95),
        ):
            idx = np.argmax(cum >= level, axis=1)
            q[name] = [float(d[t, order[t, idx[t]]]) for t in range(p.n_periods)]
        out[w] = {
            "unit": p.units[i],
            "mean": [float((d[t] * p.prob).sum()) for t in range(p.n_periods)],
            **q,
        }
    return out


def plan_document(
    result: PlanResult,
    m: PlanMetrics | None,
    *,
    out_of_sample: PlanMetrics | None = None,
    frontier: list[FrontierPoint] | None = None,
    whatif: dict[str, Any] | None = None,
    milp: bool = False,
) -> dict[str, Any]:
    """The JSON document written to ``plan.json``."""
    plan = result.plan
    doc: dict[str, Any] = {
        "schema": PLAN_SCHEMA,
        "status": result.status.value,
        "termination": result.termination,
        "explanation": list(result.explanation),
        "solve": {
            "build_seconds": result.build_seconds,
            "solve_seconds": result.solve_seconds,
            "variables": result.variables,
            "constraints": result.constraints,
            "milp": milp,
            "proven_gap": result.gap,  # None: nothing proven (a feasible LP stopped at a limit)
            "stopped_by": None if result.stopped_by is None else result.stopped_by.value,
        },
    }
    if result.relaxed:
        doc["relaxed"] = list(result.relaxed)  # rules not enforced: never silent
    if plan is None or m is None:
        return doc
    p = plan.problem
    spec = p.spec
    doc.update(
        scenario=spec.name,
        description=spec.description,
        horizon={
            "start": spec.horizon.start,
            "periods": list(p.periods),
            "period": spec.horizon.kind.value,
            "hours_per_period": p.hours,
        },
        scenarios={
            "count": p.n_scenarios,
            "seed": spec.sampling.seed,
            "method": spec.sampling.method.value,
        },
        commitments=schedule_rows(m),
        offers=[
            {
                "id": o.id,
                "provider": o.provider,
                "accelerator": o.accelerator,
                "region": o.region,
                "contract": o.contract.value,
                "price_chip_hour": o.price_chip_hour,
                "price_source": o.price_source,
                "term_periods": o.term_periods,
                "max_chips": None if o.max_chips == float("inf") else o.max_chips,
                "usable_fraction": o.usable_fraction,
                "slip_prob": o.slip_prob,
                "slip_periods": o.slip_periods,
                "partial_prob": o.partial_prob,
                "partial_fraction": o.partial_fraction,
                "available_from": o.available_from,
            }
            for o in spec.offers
        ],
        capacity=[
            {"offer": oid, "period": p.periods[t], "chips": float(plan.k[i, t] * KCHIPS)}
            for i, oid in enumerate(p.commit)
            for t in range(p.n_periods)
            if plan.k[i, t] * KCHIPS >= 0.5
        ],
        workloads=[
            {"name": w, "unit": p.units[i], "scale": float(p.scale[i])}
            for i, w in enumerate(p.workloads)
        ],
        throughput=matrix_records(p.matrix),
        demand=_demand_summary(p),
        metrics=metrics_record(m),
        cost_by_scenario_usd=[float(c) * 1e6 for c in plan.cost],
    )
    if out_of_sample is not None:
        doc["out_of_sample"] = metrics_record(out_of_sample)
    if frontier:
        doc["frontier"] = [asdict(f) for f in frontier]
    if whatif:
        doc["whatif"] = whatif
    return doc


def whatif_rows(base: PlanMetrics, other: PlanMetrics) -> list[dict[str, Any]]:
    """Deltas of the headline figures, what-if minus base."""
    rows = []
    for key, label, unit in (
        ("expected_cost_usd", "expected cost", "usd"),
        ("cvar_usd", f"CVaR{round(base.cvar_alpha * 100)}", "usd"),
        ("p_shortfall", "P(shortfall)", "fraction"),
        ("committed_spend_usd", "committed spend (expected)", "usd"),
        ("utilisation", "utilisation", "fraction"),
        ("hhi", "HHI", "index"),
    ):
        b, o = getattr(base, key), getattr(other, key)
        rows.append({"figure": label, "unit": unit, "base": b, "what_if": o, "delta": o - b})
    return rows


def price_of_work_rows(m: PlanMetrics, units: dict[str, str]) -> list[dict[str, Any]]:
    """One row per workload class: USD per million units of work on each vendor (None: unused)."""
    vendors = sorted({v for per in m.usd_per_million_work.values() for v in per})
    rows = []
    for wname, per in m.usd_per_million_work.items():
        row: dict[str, Any] = {"class": wname, "unit": units.get(wname, "work")}
        row.update({v: per.get(v) for v in vendors})
        rows.append(row)
    return rows


def plan_summary(plan: Plan) -> dict[str, Any]:
    """Small facts about the plan for headers."""
    p = plan.problem
    return {
        "scenario": p.spec.name,
        "periods": f"{p.periods[0]}..{p.periods[-1]}",
        "scenarios": p.n_scenarios,
        "offers": len(p.commit) + len(p.recourse),
        "workloads": len(p.workloads),
    }
