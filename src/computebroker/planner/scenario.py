"""The scenario file (YAML, validated at the edge) and its conversion to a ``ScenarioSpec``.

The format is documented in ``docs/scenario.md``. Every problem is reported with the file, the
line, the field and what was expected; unknown keys are rejected. Prices written ``catalog`` are
looked up: on-demand and spot from the catalog's offerings of that provider and chip (cheapest,
in the region if one is given; the rentable price, with the host VM of a GPU priced alone, as
``catalog.contract_quotes`` quotes it), commitments as that on-demand price less the provider's
published discount for the term (``catalog/data/contract_terms.csv``).
"""

from __future__ import annotations

import fnmatch
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from computebroker.catalog import (
    Catalog,
    ContractKind,
    ContractQuote,
    contract_quotes,
    term_for,
    unquoted_offerings,
)
from computebroker.errors import ComputeBrokerError, InputError, Issue
from computebroker.inputs import (
    LocatedDocument,
    NumbersNotBools,
    load_yaml,
    parse_yaml_text,
    validation_issues,
)
from computebroker.perf.layout import MAX_CHIPS
from computebroker.perf.workloads import WorkloadEntry, parse_workload_entries
from computebroker.planner.periods import MAX_POST_PERIODS, Horizon, PeriodKind, parse_period
from computebroker.planner.spec import (
    DISCOUNT_RATE_DEFAULT,
    BudgetBasis,
    DemandClass,
    DemandSpec,
    ExistingCommitment,
    OfferSpec,
    Policy,
    SamplingMethod,
    SamplingSpec,
    ScarcitySpec,
    ScenarioSpec,
    ShareBasis,
    ShareScope,
    TerminalSalvage,
)

__all__ = ["ScenarioFile", "load_scenario", "parse_scenario", "scenario_from_document"]

# Share of rented spot capacity that does work when an offer does not say: a stated assumption
# (10% lost to preemption and restarts), documented in docs/planner.md; set per offer.
SPOT_USABLE_DEFAULT = 0.9

# Bounds on sizes, so a typo is refused at once instead of exhausting memory or the solver:
# chips as the fleet and trace readers bound them (perf.layout.MAX_CHIPS, 10 million: far above
# any cluster); a name fits on a line of a report; demand is bounded in sim_plan's work units
# (MAX_DEMAND: 1e24 is 10^8 x the ~1e16 tokens of the largest published training runs).
MAX_NAME = 200
MAX_TEXT = 100_000
MAX_DEMAND = 1e24
MAX_ROW_WEIGHT = 1e12  # an explicit demand row's relative weight
# a price per chip-hour 50x the dearest on-demand chip-hour in the shipped catalog ($19.33, GCP
# a4-highgpu-8g in asia-southeast1, catalog/data) is a typo (cents for dollars, a node price)
MAX_PRICE_CHIP_HOUR = 1_000.0
HOURS_PER_YEAR_MAX = 8_784  # a leap year: the longest period (period: year)

Frac = Annotated[float, Field(ge=0, le=1)]
Pos = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]


class _Strict(NumbersNotBools):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class HorizonModel(_Strict):
    """``horizon:`` section."""

    start: str
    periods: Annotated[int, Field(gt=0, le=240)]
    period: PeriodKind = PeriodKind.QUARTER
    hours_per_period: Annotated[float, Field(gt=0, le=HOURS_PER_YEAR_MAX)] | None = None

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("start must be a period label such as 2026Q1 or 2026-01")
        return v.strip()

    @model_validator(mode="after")
    def _label(self) -> HorizonModel:
        first = parse_period(self.start, self.period)  # a ValueError with the expected form
        per_year = self.period.per_year
        last_year = (first + self.periods - 1) // per_year
        # labels have four-digit years: 0000Q1 was planned (as '0Q1', unreadable by --as-of),
        # 9999Q4 with 4 periods ran to '10000Q3', which no label can name
        if first // per_year < 1:
            raise ValueError(f"start {self.start!r}: year 0 is no year; expected 0001 to 9999")
        if last_year > 9999:
            raise ValueError(
                f"{self.periods} periods from {self.start} run into year {last_year}; a "
                "period label's year has four digits (at most 9999)"
            )
        return self


class DemandClassModel(_Strict):
    """One class under ``demand.classes``: ``base`` or ``start`` + ``growth``."""

    base: list[Annotated[float, Field(ge=0, le=MAX_DEMAND)]] | None = None
    start: Annotated[float, Field(ge=0, le=MAX_DEMAND)] | None = None
    growth: Annotated[float, Field(gt=-1)] = 0.0
    volatility: Annotated[float, Field(ge=0, le=2)] = 0.0
    growth_volatility: Annotated[float, Field(ge=0, le=1)] = 0.0

    @model_validator(mode="after")
    def _one_form(self) -> DemandClassModel:
        if (self.base is None) == (self.start is None):
            raise ValueError("give either base: [work per period, ...] or start: W with growth: g")
        return self


class DemandModel(_Strict):
    """``demand:`` section."""

    correlation: Annotated[float, Field(ge=-1, le=1)] = 0.0
    classes: dict[str, DemandClassModel] = Field(default_factory=dict)
    scenarios: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> DemandModel:
        if not self.classes and not self.scenarios:
            raise ValueError("give demand.classes (a base path per workload) or demand.scenarios")
        return self


class DeliveryRiskModel(_Strict):
    """``delivery_risk:`` of an offer."""

    slip_prob: Frac = 0.0
    slip_periods: Annotated[int, Field(ge=0, le=40)] = 0
    partial_prob: Frac = 0.0
    partial_fraction: Frac = 1.0


class OfferModel(_Strict):
    """One entry of ``offers:``."""

    id: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.:\-]+$")]
    provider: Annotated[str, Field(min_length=1)]
    accelerator: Annotated[str, Field(min_length=1)]
    region: str = "any"
    contract: ContractKind
    price_chip_hour: float | str = "catalog"  # USD per chip-hour, or looked up in the catalog
    term_months: Pos | None = None
    term_periods: Annotated[int, Field(gt=0)] | None = None
    block_chips: Annotated[int, Field(gt=0, le=MAX_CHIPS)] = 1
    min_chips: Annotated[float, Field(ge=0, le=MAX_CHIPS)] = 0
    max_chips: Annotated[float, Field(gt=0, le=MAX_CHIPS)] | None = None
    available_from: str | None = None
    available_until: str | None = None
    lead_periods: Annotated[int, Field(ge=0, le=40)] = 0
    ramp: list[Frac] = Field(default_factory=list)
    delivery_risk: DeliveryRiskModel = Field(default_factory=DeliveryRiskModel)
    # at least 0.1% usable: below it an offer is no capacity, and the solver's coefficients blow up
    usable_fraction: Annotated[float, Field(ge=0.001, le=1)] | None = None
    note: str = ""

    @field_validator("price_chip_hour", mode="before")
    @classmethod
    def _price(cls, v: object) -> float | str:
        if v == "catalog":
            return "catalog"
        if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
            raise ValueError("expected a price in USD per chip-hour (a number > 0) or 'catalog'")
        if v > MAX_PRICE_CHIP_HOUR:
            raise ValueError(
                f"a price of {v:g} USD per chip-hour is over {MAX_PRICE_CHIP_HOUR:g}; "
                "give the price of one chip for one hour"
            )
        return float(v)

    @model_validator(mode="after")
    def _consistent(self) -> OfferModel:
        if self.term_months is not None and self.term_periods is not None:
            raise ValueError("give term_months or term_periods, not both")
        if self.contract is ContractKind.DEAL and self.price_chip_hour == "catalog":
            raise ValueError("a deal needs its own price_chip_hour (USD per chip-hour)")
        if self.max_chips is not None and self.min_chips > self.max_chips:
            raise ValueError(
                f"min_chips ({self.min_chips:g}) must not exceed max_chips ({self.max_chips:g})"
            )
        if not self.contract.is_commitment and (self.ramp or self.lead_periods):
            raise ValueError("ramp and lead_periods apply to commitments, not on-demand or spot")
        return self


class PenaltyModel(_Strict):
    """``policy.shortfall_penalty``."""

    multiple_of_on_demand: Annotated[float, Field(gt=0, le=1_000)] | None = 3.0
    usd_per_unit: dict[str, Pos] = Field(default_factory=dict)


class RiskModel(_Strict):
    """``policy.risk``: CVaR level and weight in the objective."""

    cvar_alpha: Annotated[float, Field(gt=0, lt=1)] = 0.95
    # at most 1,000 (200x the frontier's largest, 5): a weight of 1e300 made HiGHS end with
    # status 'unknown' (exit 1, 'HiGHS failed')
    weight: Annotated[float, Field(ge=0, le=1_000)] = 0.0


class ShortfallRiskModel(_Strict):
    """``policy.shortfall_risk``: in the worst 1 - alpha of scenarios, unmet <= max fraction."""

    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.95
    max_unmet_fraction: Frac


class ExistingModel(_Strict):
    """One commitment already signed."""

    offer: str
    start: str
    chips: Annotated[float, Field(gt=0, le=MAX_CHIPS)]


class TerminalSalvageModel(_Strict):
    """``policy.terminal_salvage``: salvage from demand past the horizon (docs/planner.md)."""

    # ASSUMPTION (default): the market price of a chip's capacity falls 20% a year; H100 rental
    # went from about $4.70/h at its 2023 launch to $2.35/h on one-year contracts in March 2026
    # (about half in three years); sources in docs/planner.md
    price_decline: Annotated[float, Field(ge=0, lt=1)] = 0.20
    demand_growth: Annotated[float, Field(gt=-1, le=10)] = 0.0


class PolicyModel(_Strict):
    """``policy:`` section."""

    max_vendor_share: Annotated[float, Field(gt=0, le=1)] | None = None
    share_basis: ShareBasis = ShareBasis.SPEND
    min_vendors: Annotated[int, Field(ge=1, le=20)] | None = None
    budget_per_period: Pos | None = None
    budget_total: Pos | None = None
    shortfall_penalty: PenaltyModel = Field(default_factory=PenaltyModel)
    risk: RiskModel = Field(default_factory=RiskModel)
    shortfall_risk: ShortfallRiskModel | None = None
    regions: dict[str, list[str]] = Field(default_factory=dict)
    existing: list[ExistingModel] = Field(default_factory=list)
    salvage_fraction: Frac = 0.5
    terminal_salvage: TerminalSalvageModel | None = None
    discount_rate: Annotated[float, Field(ge=0, le=1)] = DISCOUNT_RATE_DEFAULT
    share_scope: ShareScope = ShareScope.PERIOD
    budget_basis: BudgetBasis = BudgetBasis.SPEND
    throughput_uncertainty: bool = False
    throughput_correlation: Frac = 0.5

    @model_validator(mode="after")
    def _one_salvage(self) -> PolicyModel:
        if self.terminal_salvage is not None and "salvage_fraction" in self.model_fields_set:
            raise ValueError(
                "give salvage_fraction (explicit) or terminal_salvage (from demand past the "
                "horizon), not both"
            )
        return self


class ScarcityModel(_Strict):
    """``scarcity:`` section: correlated slips and rentals that tighten with demand."""

    vendor_correlation: Frac = 0.0
    chip_correlation: Frac = 0.0
    demand_correlation: Frac = 0.0
    # at most 100 (a demand 1% above its expectation doubles the price, or cuts all capacity):
    # 1e300 put costs of 1e300 in the LP, which HiGHS reads as infinite
    rental_price_premium: Annotated[float, Field(ge=0, le=100)] = 0.0
    rental_capacity_cut: Annotated[float, Field(ge=0, le=100)] = 0.0

    @model_validator(mode="after")
    def _sum(self) -> ScarcityModel:
        total = self.vendor_correlation + self.chip_correlation + self.demand_correlation
        if total > 1 + 1e-9:
            raise ValueError(
                "vendor_correlation + chip_correlation + demand_correlation must be at most 1, "
                f"got {total:g}"
            )
        return self


class ScenariosModel(_Strict):
    """``scenarios:`` section."""

    count: Annotated[int, Field(gt=0, le=100_000)] = 200
    seed: Annotated[int, Field(ge=0)] = 0
    method: SamplingMethod = SamplingMethod.ANTITHETIC
    reduce_to: Annotated[int, Field(gt=0, le=100_000)] | None = None
    # independent replications measuring the plan (intervals, MMW gap, stability); 0: not
    # measured. `plan --replications N` overrides it.
    replications: Annotated[int, Field(ge=0, le=50)] = 0

    @field_validator("replications")
    @classmethod
    def _replications(cls, v: int) -> int:
        if v == 1:
            raise ValueError(
                "replications must be 0 (not measured) or at least 2 (a t interval needs two)"
            )
        return v


class ScenarioFile(_Strict):
    """The whole file."""

    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    description: Annotated[str, Field(max_length=MAX_TEXT)] = ""
    horizon: HorizonModel
    workloads: list[dict[str, Any]]
    demand: DemandModel
    offers: list[OfferModel] = Field(min_length=1)
    policy: PolicyModel = Field(default_factory=PolicyModel)
    scenarios: ScenariosModel = Field(default_factory=ScenariosModel)
    scarcity: ScarcityModel = Field(default_factory=ScarcityModel)
    notes: list[str] = Field(default_factory=list)


def load_scenario(
    path: Path | str, catalog: Catalog, *, overrides: list[tuple[str, Any]] | None = None
) -> ScenarioSpec:
    """Read, validate and resolve a scenario file (``overrides`` = ``--set key=value`` pairs)."""
    doc = load_yaml(path)
    if overrides:
        from computebroker.planner.overrides import apply_overrides

        doc = LocatedDocument(
            data=apply_overrides(doc.data, overrides, doc.source),
            source=doc.source,
            lines=doc.lines,
        )
    return scenario_from_document(doc, catalog)


def parse_scenario(text: str, catalog: Catalog, source: str = "<scenario>") -> ScenarioSpec:
    """Validate and resolve scenario YAML text."""
    return scenario_from_document(parse_yaml_text(text, source), catalog)


class _Errors:
    """Issues collected while resolving a validated file, located by field path."""

    def __init__(self, doc: LocatedDocument, horizon: Horizon) -> None:
        self.doc, self.horizon = doc, horizon
        self.issues: list[Issue] = []

    def __call__(self, loc: tuple[str | int, ...], message: str, value: object = None) -> None:
        from computebroker.inputs import format_loc

        self.issues.append(
            Issue(
                source=self.doc.source,
                line=self.doc.line_of(loc),
                field=format_loc(loc),
                message=message,
                value=value,
            )
        )

    def period(
        self, label: str | None, loc: tuple[str | int, ...], default: int | None
    ) -> int | None:
        """The horizon index of a period label (``default`` when absent or wrong)."""
        if label is None:
            return default
        try:
            return self.horizon.index(label)
        except ValueError as exc:
            self(loc, str(exc))
            return default


def scenario_from_document(doc: LocatedDocument, catalog: Catalog) -> ScenarioSpec:
    """Validate a parsed scenario and resolve names, periods and prices."""
    if not isinstance(doc.data, dict):
        raise InputError.single(
            doc.source, "expected a mapping with name, horizon, workloads, demand, offers", line=1
        )
    try:
        sf = ScenarioFile.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(validation_issues(exc, doc.source, doc=doc)) from None
    horizon = Horizon(
        start=sf.horizon.start,
        count=sf.horizon.periods,
        kind=sf.horizon.period,
        hours_per_period=sf.horizon.hours_per_period or sf.horizon.period.default_hours,
    )
    entries: list[WorkloadEntry] = parse_workload_entries(
        doc, sf.workloads, ("workloads",), catalog
    )
    workloads = tuple(e.to_domain() for e in entries)
    names = [w.name for w in workloads]
    err = _Errors(doc, horizon)
    classes = _demand_classes(sf, names, horizon, err)
    explicit = _explicit_rows(sf, names, horizon, err)
    covered = {c.workload for c in classes} | {k for _, p in explicit for k in p}
    for i, n in enumerate(names):
        if n not in covered:
            err(("workloads", i, "name"), f"workload {n!r} has no demand: add demand.classes.{n}")
    offers = _offers(sf, catalog, horizon, err)
    policy = _policy(sf, names, offers, err)
    if err.issues:
        raise InputError(sorted(err.issues, key=lambda x: x.line or 0))
    sc = sf.scarcity
    return ScenarioSpec(
        name=sf.name,
        description=sf.description,
        horizon=horizon,
        workloads=workloads,
        demand=DemandSpec(
            classes=tuple(classes), correlation=sf.demand.correlation, explicit=tuple(explicit)
        ),
        offers=tuple(offers),
        policy=policy,
        sampling=SamplingSpec(
            count=sf.scenarios.count,
            seed=sf.scenarios.seed,
            method=sf.scenarios.method,
            reduce_to=sf.scenarios.reduce_to,
            replications=sf.scenarios.replications,
        ),
        scarcity=ScarcitySpec(
            vendor=sc.vendor_correlation,
            chip=sc.chip_correlation,
            demand=sc.demand_correlation,
            price_premium=sc.rental_price_premium,
            capacity_cut=sc.rental_capacity_cut,
        ),
        source=doc.source,
        notes=tuple(sf.notes),
    )


def _grows_past(start: float, growth: float, periods: int) -> bool:
    """Whether ``start * (1 + growth) ** (periods - 1)`` exceeds MAX_DEMAND (in logs: the power
    itself overflows a float for a large growth).

    Examples
    --------
    >>> _grows_past(1e12, 0.05, 12), _grows_past(1e12, 1e12, 4), _grows_past(0.0, 1e12, 240)
    (False, True, False)
    """
    if start <= 0 or growth <= 0:
        return False
    return math.log(start) + (periods - 1) * math.log1p(growth) > math.log(MAX_DEMAND)


def _demand_classes(
    sf: ScenarioFile, names: list[str], horizon: Horizon, err: _Errors
) -> list[DemandClass]:
    classes: list[DemandClass] = []
    for name, dc in sf.demand.classes.items():
        loc: tuple[str | int, ...] = ("demand", "classes", name)
        if name not in names:
            err(loc, f"no workload named {name!r}; workloads are {', '.join(names)}")
            continue
        if dc.base is not None:
            if len(dc.base) != horizon.count:
                err(
                    (*loc, "base"),
                    f"needs {horizon.count} values (one per period), got {len(dc.base)}",
                )
                continue
            base = tuple(float(v) for v in dc.base)
        else:
            assert dc.start is not None
            if _grows_past(dc.start, dc.growth, horizon.count):
                err(
                    (*loc, "growth"),
                    f"start {dc.start:g} growing {dc.growth:g} a period passes {MAX_DEMAND:g} "
                    f"(the most work a period may need) within the {horizon.count} periods",
                )
            # in log space, capped before exp: a growth reported above (1e300 a period) must
            # not overflow while the other fields are checked
            cap = math.log(MAX_DEMAND)
            base = tuple(
                math.exp(min(cap, math.log(dc.start) + t * math.log1p(dc.growth)))
                if dc.start > 0
                else 0.0
                for t in range(horizon.count)
            )
        classes.append(
            DemandClass(
                workload=name,
                base=base,
                volatility=dc.volatility,
                growth_volatility=dc.growth_volatility,
            )
        )
    return classes


def _explicit_rows(
    sf: ScenarioFile, names: list[str], horizon: Horizon, err: _Errors
) -> list[tuple[float, dict[str, tuple[float, ...]]]]:
    explicit: list[tuple[float, dict[str, tuple[float, ...]]]] = []
    for i, row in enumerate(sf.demand.scenarios):
        loc: tuple[str | int, ...] = ("demand", "scenarios", i)
        weight = row.get("weight", 1.0)
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not 0 < weight <= MAX_ROW_WEIGHT
        ):
            # weights are relative: two of 1e308 overflowed their sum ('scenario probabilities
            # sum to 0.0000, not 1', naming no row)
            err((*loc, "weight"), f"weight must be a number > 0 and <= {MAX_ROW_WEIGHT:g}", weight)
            continue
        paths: dict[str, tuple[float, ...]] = {}
        for k, v in row.items():
            if k == "weight":
                continue
            if k not in names:
                err((*loc, k), f"no workload named {k!r}")
            elif (
                not isinstance(v, list)
                or len(v) != horizon.count
                or not all(
                    isinstance(x, int | float) and not isinstance(x, bool) and 0 <= x <= MAX_DEMAND
                    for x in v
                )
            ):
                err((*loc, k), f"needs {horizon.count} numbers from 0 to {MAX_DEMAND:g}")
            else:
                paths[k] = tuple(float(x) for x in v)
        explicit.append((float(weight), paths))
    return explicit


def _offers(sf: ScenarioFile, catalog: Catalog, horizon: Horizon, err: _Errors) -> list[OfferSpec]:
    offers: list[OfferSpec] = []
    seen: dict[str, int] = {}
    for i, om in enumerate(sf.offers):
        loc: tuple[str | int, ...] = ("offers", i)
        if om.id in seen:
            err((*loc, "id"), f"duplicate offer id {om.id!r} (also offers[{seen[om.id]}])")
            continue
        seen[om.id] = i
        try:
            acc = catalog.accelerator(om.accelerator)
        except ComputeBrokerError as exc:
            err((*loc, "accelerator"), str(exc).split(": ", 2)[-1])
            continue
        provider = om.provider.lower()
        price, source = _price(catalog, om, provider, acc.id)
        if price is None:
            err((*loc, "price_chip_hour"), source)
            continue
        offers.append(_offer(om, provider, acc.id, (price, source), err, loc))
    return offers


def _offer(
    om: OfferModel,
    provider: str,
    acc: str,
    priced: tuple[float, str],
    err: _Errors,
    loc: tuple[str | int, ...],
) -> OfferSpec:
    if not om.contract.is_commitment:
        term = 1
    elif om.term_periods is not None:
        term = om.term_periods
    else:
        term = err.horizon.months_to_periods(om.term_months or om.contract.term_hint_months)
    if om.lead_periods + term > MAX_POST_PERIODS:
        field = "term_periods" if om.term_periods is not None else "term_months"
        err(
            (*loc, field),
            f"lead + term of {om.lead_periods + term} periods is longer than the "
            f"{MAX_POST_PERIODS} periods past the horizon that are tracked",
        )
    start = err.period(om.available_from, (*loc, "available_from"), 0)
    until = err.period(om.available_until, (*loc, "available_until"), None)
    _check_window(om, start, until, err, loc)
    risk = om.delivery_risk
    return OfferSpec(
        id=om.id,
        provider=provider,
        accelerator=acc,
        region=om.region,
        contract=om.contract,
        price_chip_hour=priced[0],
        price_source=priced[1],
        term_periods=term,
        block_chips=om.block_chips,
        min_chips=int(om.min_chips),
        max_chips=float(om.max_chips) if om.max_chips is not None else float("inf"),
        available_from=start if start is not None else 0,
        available_until=until,
        lead_periods=om.lead_periods,
        ramp=tuple(om.ramp),
        slip_prob=risk.slip_prob,
        slip_periods=risk.slip_periods,
        partial_prob=risk.partial_prob,
        partial_fraction=risk.partial_fraction,
        usable_fraction=om.usable_fraction
        if om.usable_fraction is not None
        else (SPOT_USABLE_DEFAULT if om.contract is ContractKind.SPOT else 1.0),
    )


def _check_window(
    om: OfferModel,
    start: int | None,
    until: int | None,
    err: _Errors,
    loc: tuple[str | int, ...],
) -> None:
    """An offer's availability window must lie in the horizon and run forwards."""
    horizon = err.horizon
    span = f"{horizon.labels[0]}..{horizon.labels[-1]}"
    if start is not None and not 0 <= start < horizon.count:
        err(
            (*loc, "available_from"),
            f"available_from ({om.available_from}) is outside the horizon {span}; the offer "
            "could never be used",
        )
    if until is not None and until < 0:
        err(
            (*loc, "available_until"),
            f"available_until ({om.available_until}) is before the horizon {span}",
        )
    if start is not None and until is not None and until < start:
        err(
            (*loc, "available_until"),
            f"available_until ({om.available_until}) is before available_from "
            f"({om.available_from}); give a period on or after it",
        )


def _policy(sf: ScenarioFile, names: list[str], offers: list[OfferSpec], err: _Errors) -> Policy:
    pm = sf.policy
    for name in pm.shortfall_penalty.usd_per_unit:
        if name not in names:
            err(
                ("policy", "shortfall_penalty", "usd_per_unit", name), f"no workload named {name!r}"
            )
    for name, patterns in pm.regions.items():
        if name not in names:
            err(("policy", "regions", name), f"no workload named {name!r}")
        elif not any(
            fnmatch.fnmatchcase(o.region, p) or o.region == "any" for o in offers for p in patterns
        ):
            err(
                ("policy", "regions", name),
                f"no offer is in a region matching {', '.join(patterns)}",
            )
    existing = _existing(pm, offers, err)
    n_vendors = len({o.provider for o in offers if o.is_commitment})
    if pm.min_vendors is not None and pm.min_vendors > n_vendors:
        err(
            ("policy", "min_vendors"), f"only {n_vendors} vendors offer commitments", pm.min_vendors
        )
    return Policy(
        max_vendor_share=pm.max_vendor_share,
        share_basis=pm.share_basis,
        min_vendors=pm.min_vendors,
        budget_per_period=pm.budget_per_period,
        budget_total=pm.budget_total,
        penalty_multiple=pm.shortfall_penalty.multiple_of_on_demand,
        penalty_usd_per_unit=dict(pm.shortfall_penalty.usd_per_unit),
        cvar_alpha=pm.risk.cvar_alpha,
        risk_weight=pm.risk.weight,
        shortfall_alpha=pm.shortfall_risk.alpha if pm.shortfall_risk else None,
        shortfall_max_fraction=pm.shortfall_risk.max_unmet_fraction if pm.shortfall_risk else None,
        regions={k: tuple(v) for k, v in pm.regions.items()},
        existing=tuple(existing),
        salvage_fraction=pm.salvage_fraction,
        terminal_salvage=None
        if pm.terminal_salvage is None
        else TerminalSalvage(
            price_decline=pm.terminal_salvage.price_decline,
            demand_growth=pm.terminal_salvage.demand_growth,
        ),
        discount_rate=pm.discount_rate,
        share_scope=pm.share_scope,
        budget_basis=pm.budget_basis,
        throughput_uncertainty=pm.throughput_uncertainty,
        throughput_correlation=pm.throughput_correlation,
    )


def _existing(pm: PolicyModel, offers: list[OfferSpec], err: _Errors) -> list[ExistingCommitment]:
    existing: list[ExistingCommitment] = []
    ids = {o.id: o for o in offers}
    for i, ex in enumerate(pm.existing):
        loc: tuple[str | int, ...] = ("policy", "existing", i)
        if ex.offer not in ids:
            err((*loc, "offer"), f"no offer with id {ex.offer!r}")
            continue
        if not ids[ex.offer].is_commitment:
            err(
                (*loc, "offer"), f"{ex.offer!r} is {ids[ex.offer].contract.value}, not a commitment"
            )
            continue
        start = err.period(ex.start, (*loc, "start"), None)
        if start is not None:
            existing.append(ExistingCommitment(offer=ex.offer, start=start, chips=ex.chips))
    return existing


def _price(catalog: Catalog, om: OfferModel, provider: str, acc: str) -> tuple[float | None, str]:
    """(USD per chip-hour, where it came from); None and a reason when it cannot be found.

    Catalog prices are rentable prices (``catalog.contract_quotes``: a GPU priced without its
    host VM carries its share of the host's price, and the source says so); a row with no host
    VM price is not quoted, and the source or the error names it with the reason."""
    if om.price_chip_hour != "catalog":
        return float(om.price_chip_hour), "scenario file"
    every = contract_quotes(catalog, acc)
    quotes = [q for q in every if q.provider == provider]
    left = _left_out(catalog, om, provider, acc)
    if not quotes:
        import difflib

        sellers = sorted({q.provider for q in every})
        close = difflib.get_close_matches(provider, sellers, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return None, (
            f"no provider {provider!r} sells {acc} in the catalog{left}; {hint}sellers are "
            f"{', '.join(sellers) or 'none'}; or give price_chip_hour"
        )
    if om.region != "any":
        regional = [q for q in quotes if _in_region(q.region, om.region)]
        if not regional:
            regions = sorted({q.region for q in quotes})
            return None, (
                f"the catalog has no price for {acc} from {provider} in region {om.region!r}"
                f"{left}; regions with a price: {', '.join(regions)}; give one of them, "
                "region: any, or price_chip_hour"
            )
        quotes = regional
    want = {
        ContractKind.ON_DEMAND: ContractKind.ON_DEMAND,
        ContractKind.SPOT: ContractKind.SPOT,
    }.get(om.contract)
    if want is not None:
        match = [q for q in quotes if q.kind is want]
        if not match:
            return (
                None,
                f"the catalog has no {om.contract.value} price for {acc} from {provider}{left}; "
                "give price_chip_hour",
            )
        q = min(match, key=lambda q: q.price_chip_hour)
        return q.price_chip_hour, f"catalog {q.basis} ({q.kind.value}){_host_note(q)}{left}"
    od = [q for q in quotes if q.kind is ContractKind.ON_DEMAND]
    term = term_for(catalog, provider, acc, om.contract)
    if not od or term is None:
        return None, (
            f"the catalog has no on-demand price or no published {om.contract.value} discount for {acc} "
            f"from {provider}{left}; give price_chip_hour"
        )
    q = min(od, key=lambda q: q.price_chip_hour)
    return q.price_chip_hour * (1 - term.discount), (
        f"catalog {q.basis} on-demand{_host_note(q)} less {term.discount:.1%} {om.contract.value} discount ({term.confidence}: {term.source}){left}"
    )


def _in_region(region: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(region, pattern) or region == pattern


def _host_note(q: ContractQuote) -> str:
    """``, incl. host VM: ...`` where the quote adds a host VM to GPUs priced alone."""
    return f", incl. host VM: {q.price_basis}" if q.price_includes_host else ""


def _left_out(catalog: Catalog, om: OfferModel, provider: str, acc: str) -> str:
    """``; not quoted: ...`` naming the provider's rows of ``acc`` (in the offer's region)
    that price the GPUs without their host VM and that no host VM price completes."""
    spot = om.contract is ContractKind.SPOT
    left = [
        u
        for u in unquoted_offerings(catalog, acc)
        if u.offering.cloud == provider
        and u.spot == spot
        and (om.region == "any" or _in_region(u.offering.region, om.region))
    ]
    if not left:
        return ""
    first = left[0]
    more = f" and {len(left) - 1} more" if len(left) > 1 else ""
    return f"; not quoted: {first.offering.id} ({first.reason}){more}"
