"""Plan results as plain data: terminal rows, and ``plan.json`` — the input of ``simulate``.

``plan.json`` (schema ``computebroker.plan/1``) is written and read by one typed model,
:class:`PlanDocument`:

* ``scenario``, ``horizon`` (labels, hours per period), ``status``;
* ``commitments``: the schedule (offer, provider, accelerator, region, contract, start, chips,
  term, price, obligation, existing or new);
* ``offers``: every offer with its terms (so simulate can rent on-demand and spot capacity);
* ``capacity``: nominal usable chips per commitment offer and period;
* ``throughput``: the matrix rows (work per chip-hour per workload class and accelerator);
* ``demand``: per workload class, the base path and scenario percentiles;
* ``metrics``: the figures of the plan (in-sample, and out-of-sample when evaluated);
* ``frontier`` and ``whatif`` when computed.

A document without a plan (an infeasible scenario) carries the status and its explanation and
``null`` for every plan section; :meth:`PlanDocument.planned` refuses it where a plan is needed.
A file that lacks a field, or names an offer it does not describe, is an input error naming the
file and the field — never a default.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from computebroker.errors import InputError
from computebroker.inputs import load_json, validation_issues
from computebroker.perf.layout import MAX_CHIPS
from computebroker.perf.matrix import matrix_records
from computebroker.planner.frontier import FrontierPoint
from computebroker.planner.periods import MAX_POST_PERIODS
from computebroker.planner.problem import KCHIPS, PlanProblem
from computebroker.planner.result import Plan, PlanMetrics
from computebroker.planner.scenario import HOURS_PER_YEAR_MAX
from computebroker.planner.solve import PlanResult
from computebroker.units import MILLION

__all__ = [
    "PLAN_SCHEMA",
    "SCHEDULE_COLUMNS",
    "CommitmentRow",
    "MetricsRecord",
    "OfferRow",
    "PlanDocument",
    "WhatIfRecord",
    "metrics_record",
    "plan_document",
    "price_of_work_rows",
    "schedule_rows",
    "whatif_rows",
]

PLAN_SCHEMA: Final = "computebroker.plan/1"


MAX_PERIODS = 240  # = the scenario file's horizon.periods bound


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SolveRecord(_Record):
    """How the plan was solved (the two ``*_seconds`` are timings, not results)."""

    build_seconds: float
    solve_seconds: float
    variables: int
    constraints: int
    milp: bool
    # None: nothing proven (a feasible solution stopped at a limit without a bound)
    proven_gap: float | None = None
    # the limit that stopped the solver (time, iterations, ...); None: it ran to its end
    stopped_by: str | None = None


class HorizonRecord(_Record):
    """The planning periods."""

    start: str
    # at least one period: an empty list was 'internal error: IndexError' in export and place
    periods: Annotated[list[str], Field(min_length=1, max_length=MAX_PERIODS)]
    period: str
    hours_per_period: Annotated[float, Field(gt=0, le=HOURS_PER_YEAR_MAX)]


class SamplingRecord(_Record):
    """How many scenarios the plan was fitted on, and how they were drawn."""

    count: int
    seed: int
    method: str


class CommitmentRow(_Record):
    """One row of the commitment schedule."""

    offer: str
    provider: str
    accelerator: str
    region: str
    contract: str
    start: str
    start_index: Annotated[int, Field(ge=0, le=MAX_PERIODS)]
    # a hand-edited plan.json is read by place, export and simulate: chips as the fleet bounds
    chips: Annotated[float, Field(gt=0, le=MAX_CHIPS, allow_inf_nan=False)]
    existing: bool
    term_periods: Annotated[int, Field(gt=0, le=MAX_PERIODS + MAX_POST_PERIODS)]
    price_chip_hour: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    obligation_usd: float  # total contract value (nominal, whole term)
    after_horizon_usd: float = 0.0  # the part of obligation_usd past the horizon


class OfferRow(_Record):
    """An offer with its terms."""

    id: str
    provider: str
    accelerator: str
    region: str
    contract: str
    price_chip_hour: float
    price_source: str
    term_periods: int
    max_chips: Annotated[float, Field(gt=0, le=MAX_CHIPS)] | None  # None: no limit
    usable_fraction: float
    slip_prob: float
    slip_periods: int
    partial_prob: float
    partial_fraction: float
    available_from: int


class CapacityRow(_Record):
    """Nominal usable chips of a commitment offer in a period."""

    offer: str
    period: str
    chips: float


class WorkloadRow(_Record):
    """A workload class, its unit of work, and the planner's scale for it."""

    name: str
    unit: str
    scale: float


class ThroughputRow(_Record):
    """Work per chip-hour of a class on a chip (``None``: it cannot run there)."""

    workload: str
    accelerator: str
    work_per_chip_hour: float | None
    unit: str
    layout: str
    note: str
    # the estimate's uncertainty: relative half-width and its label ("fitted on N runs, ±X%")
    band_rel: float | None = None
    band_label: str = ""


class DemandRecord(_Record):
    """Demand of a class per period: the mean and scenario percentiles."""

    unit: str
    mean: list[float]
    p05: list[float]
    p25: list[float]
    p50: list[float]
    p75: list[float]
    p95: list[float]


class IntervalRecord(_Record):
    """A mean with its confidence interval."""

    mean: float
    half_width: float
    level: float = 0.95


class ConvergenceRecord(_Record):
    """How sure the plan is, from independent replications (see ``replicate``)."""

    replications: int
    scenarios: int
    expected_cost: IntervalRecord
    cvar: IntervalRecord
    p_shortfall: IntervalRecord
    gap_mean_usd: float
    gap_upper_usd: float
    stability: float
    signed_chips: dict[str, IntervalRecord]
    target: float
    converged: bool


class MetricsRecord(_Record):
    """The headline figures (USD, fractions)."""

    scenarios: int
    expected_cost_usd: float
    expected_spend_usd: float
    cost_p05_usd: float
    cost_p50_usd: float
    cost_p95_usd: float
    cvar_usd: float
    cvar_alpha: float
    p_shortfall: float
    expected_unmet: dict[str, float]
    expected_unmet_fraction: dict[str, float]
    unmet_fraction_cvar: float
    vendor_shares: dict[str, float]
    hhi: float
    utilisation: float
    utilisation_by_pool: dict[str, float]
    usd_per_million_work: dict[str, dict[str, float]]
    committed_spend_usd: float
    post_horizon_usd: float
    post_horizon_nominal_usd: float = 0.0
    # money apart from penalty, nominal figures, what is signed (PlanMetrics' fields)
    discount_rate: float = 0.0
    expected_cost_nominal_usd: float = 0.0
    expected_penalty_usd: float = 0.0
    cash_cvar_usd: float = 0.0
    p_shortfall_any: float = 0.0
    unmet_volume_share: float = 0.0
    signed_usd: float = 0.0
    signed_after_horizon_usd: float = 0.0
    signed_pv_usd: float = 0.0
    existing_contract_usd: float = 0.0
    convergence: ConvergenceRecord | None = None


class FrontierRow(_Record):
    """One re-plan on the efficient frontier."""

    axis: str
    value: float
    status: str
    expected_cost_usd: float | None
    cvar_usd: float | None
    p_shortfall: float | None
    max_vendor_share: float | None
    hhi: float | None


class WhatIfRow(_Record):
    """A headline figure, base and what-if."""

    figure: str
    unit: str
    base: float
    what_if: float
    delta: float


class WhatIfRecord(_Record):
    """The what-if re-plan: its edits, status and, when it has a plan, the deltas and the plan."""

    edits: list[str]
    status: str
    explanation: list[str]
    deltas: list[WhatIfRow] | None
    plan: PlanDocument | None


class PlanDocument(_Record):
    """``plan.json``: what ``plan`` writes and ``simulate`` reads."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_id: Literal["computebroker.plan/1"] = Field(PLAN_SCHEMA, alias="schema")
    status: str
    termination: str
    explanation: list[str]
    solve: SolveRecord
    # model rules the solve did not enforce (e.g. blocks relaxed without --milp): never silent
    relaxed: list[str] = Field(default_factory=list)
    # the plan: all present, or (no plan) all None
    scenario: str | None
    description: str | None
    horizon: HorizonRecord | None
    scenarios: SamplingRecord | None
    commitments: list[CommitmentRow] | None
    offers: list[OfferRow] | None
    capacity: list[CapacityRow] | None
    workloads: list[WorkloadRow] | None
    throughput: list[ThroughputRow] | None
    demand: dict[str, DemandRecord] | None
    metrics: MetricsRecord | None
    cost_by_scenario_usd: list[float] | None
    out_of_sample: MetricsRecord | None
    frontier: list[FrontierRow] | None
    whatif: WhatIfRecord | None

    @model_validator(mode="after")
    def _whole(self) -> PlanDocument:
        parts = {k: getattr(self, k) is None for k in _PLAN_PARTS}
        if len(set(parts.values())) > 1:
            missing = ", ".join(k for k, none in parts.items() if none)
            raise ValueError(f"a plan document with a plan needs every plan section; no {missing}")
        if self.offers is not None and self.commitments is not None:
            known = {o.id for o in self.offers}
            for i, c in enumerate(self.commitments):
                if c.offer not in known:
                    raise ValueError(
                        f"commitments[{i}].offer {c.offer!r} is not one of the document's offers"
                    )
        return self

    @property
    def has_plan(self) -> bool:
        """Whether the document holds a plan (not only a status and its explanation)."""
        return self.commitments is not None

    def planned(self, source: str) -> PlannedDocument:
        """The plan sections, typed as present (an :class:`InputError` when there is no plan)."""
        if (
            self.horizon is None
            or self.commitments is None
            or self.offers is None
            or self.throughput is None
            or self.workloads is None
            or self.metrics is None
        ):
            raise InputError.single(
                source,
                f"the plan document has no plan (status {self.status}): "
                + ("; ".join(self.explanation) or "nothing to simulate"),
            )
        return PlannedDocument(
            horizon=self.horizon,
            commitments=self.commitments,
            offers=self.offers,
            throughput=self.throughput,
            workloads=self.workloads,
            metrics=self.metrics,
        )

    def to_json(self) -> Any:
        """The document as JSON data (what ``plan.json`` holds)."""
        return self.model_dump(mode="json", by_alias=True)

    def text(self) -> str:
        """The document as indented JSON text."""
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def from_json(cls, data: Any, source: str) -> PlanDocument:
        """A document from JSON data; every problem names ``source`` and the field."""
        if not isinstance(data, dict) or data.get("schema") != PLAN_SCHEMA:
            raise InputError.single(
                source,
                f"not a plan written by `computebroker plan` (schema {PLAN_SCHEMA} with commitments)",
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(validation_issues(exc, source)) from None

    @classmethod
    def read(cls, path: Path) -> PlanDocument:
        """``plan.json`` from ``path``."""
        # bounded, checked read (size, binary, NaN) shared with every user file
        return cls.from_json(load_json(path), str(path))


_PLAN_PARTS = (
    "scenario",
    "description",
    "horizon",
    "scenarios",
    "commitments",
    "offers",
    "capacity",
    "workloads",
    "throughput",
    "demand",
    "metrics",
    "cost_by_scenario_usd",
)


class PlannedDocument(BaseModel):
    """The sections of a document that holds a plan (what a fleet is built from)."""

    model_config = ConfigDict(frozen=True)

    horizon: HorizonRecord
    commitments: list[CommitmentRow]
    offers: list[OfferRow]
    throughput: list[ThroughputRow]
    workloads: list[WorkloadRow]
    metrics: MetricsRecord


def metrics_record(m: PlanMetrics) -> MetricsRecord:
    """The headline figures (USD, fractions)."""
    fields = asdict(m)
    fields.pop("schedule")
    return MetricsRecord.model_validate(fields)


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


def _demand_summary(p: PlanProblem) -> dict[str, DemandRecord]:
    out: dict[str, DemandRecord] = {}
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
        out[w] = DemandRecord(
            unit=p.units[i], mean=[float((d[t] * p.prob).sum()) for t in range(p.n_periods)], **q
        )
    return out


def _solve_record(result: PlanResult, milp: bool) -> SolveRecord:
    return SolveRecord(
        build_seconds=result.build_seconds,
        solve_seconds=result.solve_seconds,
        variables=result.variables,
        constraints=result.constraints,
        milp=milp,
        proven_gap=result.gap,
        stopped_by=None if result.stopped_by is None else result.stopped_by.value,
    )


def _offer_rows(p: PlanProblem) -> list[OfferRow]:
    return [
        OfferRow(
            id=o.id,
            provider=o.provider,
            accelerator=o.accelerator,
            region=o.region,
            contract=o.contract.value,
            price_chip_hour=o.price_chip_hour,
            price_source=o.price_source,
            term_periods=o.term_periods,
            max_chips=None if o.max_chips == float("inf") else o.max_chips,
            usable_fraction=o.usable_fraction,
            slip_prob=o.slip_prob,
            slip_periods=o.slip_periods,
            partial_prob=o.partial_prob,
            partial_fraction=o.partial_fraction,
            available_from=o.available_from,
        )
        for o in p.spec.offers
    ]


def plan_document(
    result: PlanResult,
    m: PlanMetrics | None,
    *,
    out_of_sample: PlanMetrics | None = None,
    frontier: list[FrontierPoint] | None = None,
    whatif: WhatIfRecord | None = None,
    milp: bool = False,
) -> PlanDocument:
    """The document written to ``plan.json``."""
    plan = result.plan
    head: dict[str, Any] = {
        "status": result.status.value,
        "termination": result.termination,
        "explanation": list(result.explanation),
        "solve": _solve_record(result, milp),
        "relaxed": list(result.relaxed),  # rules not enforced: never silent
    }
    if plan is None or m is None:
        none = dict.fromkeys((*_PLAN_PARTS, "out_of_sample", "frontier", "whatif"))
        return PlanDocument.model_validate({**head, **none})
    p = plan.problem
    spec = p.spec
    return PlanDocument(
        **head,
        scenario=spec.name,
        description=spec.description,
        horizon=HorizonRecord(
            start=spec.horizon.start,
            periods=list(p.periods),
            period=spec.horizon.kind.value,
            hours_per_period=p.hours,
        ),
        scenarios=SamplingRecord(
            count=p.n_scenarios, seed=spec.sampling.seed, method=spec.sampling.method.value
        ),
        commitments=[CommitmentRow.model_validate(r) for r in schedule_rows(m)],
        offers=_offer_rows(p),
        capacity=[
            CapacityRow(offer=oid, period=p.periods[t], chips=float(plan.k[i, t] * KCHIPS))
            for i, oid in enumerate(p.commit)
            for t in range(p.n_periods)
            if plan.k[i, t] * KCHIPS >= 0.5
        ],
        workloads=[
            WorkloadRow(name=w, unit=p.units[i], scale=float(p.scale[i]))
            for i, w in enumerate(p.workloads)
        ],
        throughput=[ThroughputRow.model_validate(r) for r in matrix_records(p.matrix)],
        demand=_demand_summary(p),
        metrics=metrics_record(m),
        cost_by_scenario_usd=[float(c) * MILLION for c in plan.cost],
        out_of_sample=None if out_of_sample is None else metrics_record(out_of_sample),
        frontier=[FrontierRow.model_validate(asdict(f)) for f in frontier] if frontier else None,
        whatif=whatif,
    )


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
        row: dict[str, Any] = {"class": wname, "unit": units[wname]}
        row.update({v: per.get(v) for v in vendors})  # None: the class did not run there
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


WhatIfRecord.model_rebuild()
