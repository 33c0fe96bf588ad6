"""The fleet a simulation runs on: pools (provider x accelerator x region x contract) with a
capacity that changes over time (commitments that start, ramp and end).

Three ways to give one (``load_fleet``): an inline list ``v100=8,p100=16,k80=24`` (or
``aws:h100=64``), a YAML file (``pools:`` with chips or a capacity schedule, prices, spot
preemption rates), or a ``plan.json`` written by ``computebroker plan`` (one pool per offer,
capacity per period from its commitments; on-demand and spot offers up to their maximum).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from computebroker.catalog import Catalog, ContractKind, contract_quotes, unquoted_offerings
from computebroker.catalog.schema import MAX_PRICE_CHIP_HOUR
from computebroker.errors import InputError, UnknownNameError
from computebroker.inputs import load_yaml, validation_issues
from computebroker.scheduler.types import NOT_PRICED, PoolView
from computebroker.sim.traces import MAX_TRACE_S
from computebroker.units import SECONDS_PER_HOUR

if TYPE_CHECKING:  # the planner stack loads only when a plan.json is read
    from computebroker.planner.document import OfferRow, PlanDocument

__all__ = ["Fleet", "Pool", "fleet_from_plan", "load_fleet", "parse_inline_fleet"]

HOUR = SECONDS_PER_HOUR


@dataclass(frozen=True, slots=True)
class Pool:
    """A pool and its capacity schedule: ``steps`` of (time s, chips) from that time on (kept
    as a tuple: a pool is a value; faults make new pools, see ``faults.apply_static_faults``)."""

    view: PoolView
    steps: Sequence[tuple[float, int]]
    preemption_per_chip_hour: float = 0.0  # spot: preemptions per chip-hour of use
    restart_s: float = 300.0  # delay before a preempted job runs again

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple((float(at), int(n)) for at, n in self.steps))

    def chips_at(self, t: float) -> int:
        """Capacity at time ``t``."""
        chips = 0
        for at, n in self.steps:
            if at <= t:
                chips = n
            else:
                break
        return chips

    @property
    def max_chips(self) -> int:
        """The largest capacity it ever has."""
        return max((n for _, n in self.steps), default=0)


@dataclass(frozen=True, slots=True)
class Fleet:
    """Pools, and where they came from (a value: ``pools`` is kept as a tuple)."""

    pools: Sequence[Pool]
    source: str = ""
    throughput_rows: list[dict[str, Any]] = field(
        default_factory=list
    )  # plan.json carries the matrix
    units: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pools", tuple(self.pools))

    def describe(self) -> str:
        """One line: pools and chips."""
        parts = [f"{p.view.name} {p.max_chips:,}" for p in self.pools]
        return ", ".join(parts)


# A pool larger than any real cluster is a typo, and would make per-chip bookkeeping huge.
MAX_POOL_CHIPS = 10_000_000
# A fleet file's times within the traces' bound (~317 years); a preemption a second per chip
# at most (faults.py's bound for a preemption fault: past it a spot job restarts for ever)
MAX_AT_HOURS = MAX_TRACE_S / HOUR
MAX_PREEMPTIONS_PER_CHIP_HOUR = 3_600.0


def _check_provider(catalog: Catalog | None, provider: str, where: str, field: str) -> None:
    """A provider named explicitly must be one the catalog knows (a typo would price at $0)."""
    if catalog is None or provider == "any":
        return
    known = {o.cloud.lower() for o in catalog.offerings} | {d.provider for d in catalog.deals}
    if provider.lower() not in known:
        raise UnknownNameError(
            kind="provider", name=provider, known=sorted(known), source=where, field=field
        )


@dataclass(frozen=True, slots=True)
class PoolPrice:
    """A pool's price per chip-hour and where it came from (``PoolView.price_basis``)."""

    chip_hour: float
    basis: str

    @classmethod
    def not_priced(cls, why: str) -> PoolPrice:
        """No price: $0, and a basis that says why (``PoolView.unpriced``)."""
        return cls(chip_hour=0.0, basis=NOT_PRICED + why)

    @property
    def priced(self) -> bool:
        """False for :meth:`not_priced` (a price given as 0 is a price)."""
        return not self.basis.startswith(NOT_PRICED)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _no_quote(
    catalog: Catalog, acc: str, provider: str, kind: ContractKind, others: Sequence[str]
) -> PoolPrice:
    """Why no catalog quote of ``kind`` prices ``acc`` (from ``provider``): rows priced without
    their host VM, quotes from other providers only, or no priced row at all."""
    spot = kind is ContractKind.SPOT
    left = [
        u
        for u in unquoted_offerings(catalog, acc)
        if u.spot is spot and provider in ("any", u.offering.cloud)
    ]
    if left:
        ids = ", ".join(u.offering.id for u in left[:3]) + (", ..." if len(left) > 3 else "")
        where = "" if provider == "any" else f" from {provider}"
        return PoolPrice.not_priced(
            f"no rentable {kind.value} row for {acc}{where} ({_rows(len(left))} priced without "
            f"a host VM, and no host VM price completes them: {ids})"
        )
    if others:
        return PoolPrice.not_priced(
            f"no {kind.value} catalog quote for {acc} from {provider} "
            f"(quotes from: {', '.join(sorted(set(others)))})"
        )
    return PoolPrice.not_priced(f"the catalog has no {kind.value} price for {acc}")


def _catalog_price(
    catalog: Catalog | None, provider: str, accelerator: str, contract: ContractKind
) -> PoolPrice:
    """The cheapest catalog quote of ``contract`` for the chip (from ``provider`` unless
    "any"), or no price ($0) with the reason: no catalog, a chip it does not know (e.g.
    Gavel's K80), or no quote (rows priced without their host VM, another provider's only)."""
    if catalog is None:
        return PoolPrice.not_priced("no catalog was given to price the pool")
    try:
        acc = catalog.accelerator(accelerator).id
    except UnknownNameError:  # an accelerator the catalog does not know (e.g. Gavel's K80)
        return PoolPrice.not_priced(f"{accelerator} is not in the catalog")
    every = [q for q in contract_quotes(catalog, acc) if q.kind is contract]
    quotes = [q for q in every if provider in ("any", q.provider)]
    if not quotes:
        return _no_quote(catalog, acc, provider, contract, [q.provider for q in every])
    best = min(quotes, key=lambda q: q.price_chip_hour)
    what = f", {best.price_basis}" if best.price_basis else ""
    return PoolPrice(
        chip_hour=best.price_chip_hour,
        basis=f"cheapest {contract.value} catalog quote: {best.basis} ({best.provider}{what})",
    )


_INLINE = re.compile(
    r"^\s*(?:(?P<provider>[a-z0-9_-]+):)?(?P<acc>[A-Za-z0-9_.-]+)\s*=\s*(?P<n>[0-9]+)\s*$"
)


def parse_inline_fleet(text: str, catalog: Catalog | None = None) -> Fleet:
    """``v100=8,p100=16,k80=24`` or ``aws:h100=64,gcp:tpu-v5p=128``: on-demand pools.

    Examples
    --------
    >>> [(p.view.name, p.max_chips) for p in parse_inline_fleet("v100=8,k80=24").pools]
    [('v100', 8), ('k80', 24)]
    """
    pools = []
    for i, part in enumerate(x for x in text.split(",") if x.strip()):
        m = _INLINE.match(part)
        if not m:
            raise InputError.single(
                "--fleet",
                f"item {i + 1} {part.strip()!r}: expected ACCELERATOR=CHIPS or PROVIDER:ACCELERATOR=CHIPS",
                field="--fleet",
            )
        provider = m["provider"] or "any"
        acc = m["acc"].lower()
        # ASCII digits only, and few enough for int() (which refuses 4,300 and more)
        if len(m["n"]) > 12 or not 1 <= int(m["n"]) <= MAX_POOL_CHIPS:
            raise InputError.single(
                "--fleet",
                f"item {i + 1} {part.strip()!r}: expected between 1 and {MAX_POOL_CHIPS:,} chips",
                field="--fleet",
            )
        _check_provider(catalog, provider, "--fleet", "--fleet")
        name = acc if provider == "any" else f"{provider}-{acc}"
        price = _catalog_price(catalog, provider, acc, ContractKind.ON_DEMAND)
        view = PoolView(
            name=name,
            accelerator=acc,
            provider=provider,
            price_chip_hour=price.chip_hour,
            price_basis=price.basis,
        )
        pools.append(Pool(view=view, steps=[(0.0, int(m["n"]))]))
    if not pools:
        raise InputError.single("--fleet", "no pools given", field="--fleet")
    names = [p.view.name for p in pools]
    if len(set(names)) != len(names):
        raise InputError.single(
            "--fleet", f"a pool is listed twice: {', '.join(names)}", field="--fleet"
        )
    return Fleet(pools=pools, source=text)


# a count of chips is a YAML integer: not true (1), '2' or 2.5
Chips = Annotated[int, Field(ge=0, le=MAX_POOL_CHIPS, strict=True)]


# The fleet file's models are built on first use (``defer_build``): a run on an inline fleet
# never validates one, and building them, the faults file's and the catalog rows' at import
# took 0.06-0.07 s of every `simulate` (its start-up 0.32 -> 0.25 s of CPU, measured
# 2026-12-02).
class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, defer_build=True)
    at_hours: Annotated[float, Field(ge=0, le=MAX_AT_HOURS)]
    chips: Chips


class _PoolModel(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, defer_build=True)
    name: Annotated[str, Field(min_length=1)] | None = None
    provider: str = "any"
    accelerator: Annotated[str, Field(min_length=1)]
    region: str = "any"
    contract: ContractKind = ContractKind.ON_DEMAND
    chips: Chips | None = None
    capacity: list[_Step] = Field(default_factory=list)
    price_chip_hour: Annotated[float, Field(ge=0, le=MAX_PRICE_CHIP_HOUR)] | None = None
    preemption_per_chip_hour: Annotated[float, Field(ge=0, le=MAX_PREEMPTIONS_PER_CHIP_HOUR)] = 0.0
    restart_s: Annotated[float, Field(ge=0, le=MAX_TRACE_S)] = 300.0


class _FleetModel(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, defer_build=True)
    pools: list[_PoolModel] = Field(min_length=1)


def _yaml_pool_price(pm: _PoolModel, acc: str, catalog: Catalog | None, source: str) -> PoolPrice:
    """The pool's own ``price_chip_hour``, else the catalog's (a commitment pool at the
    on-demand price: the catalog's commitment quotes are not the pool's contract)."""
    if pm.price_chip_hour is not None:
        return PoolPrice(chip_hour=pm.price_chip_hour, basis=f"given in the fleet file {source}")
    if not pm.contract.is_commitment:
        return _catalog_price(catalog, pm.provider, acc, pm.contract)
    price = _catalog_price(catalog, pm.provider, acc, ContractKind.ON_DEMAND)
    if not price.priced:
        return price
    return PoolPrice(price.chip_hour, f"{price.basis}; the {pm.contract.value} pool at that price")


def _fleet_from_yaml(path: Path, catalog: Catalog | None) -> Fleet:
    doc = load_yaml(path)
    try:
        fm = _FleetModel.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(validation_issues(exc, doc.source, doc=doc)) from None
    pools = []
    seen: set[str] = set()
    for i, pm in enumerate(fm.pools):
        if (pm.chips is None) == (not pm.capacity):
            raise InputError.single(
                doc.source,
                "give chips: N or capacity: [{at_hours, chips}, ...]",
                line=doc.line_of(("pools", i)),
                field=f"pools[{i}]",
            )
        acc = pm.accelerator.lower()
        _check_provider(catalog, pm.provider, doc.source, f"pools[{i}].provider")
        name = pm.name or "-".join(
            x
            for x in (
                pm.provider if pm.provider != "any" else "",
                acc,
                pm.region if pm.region != "any" else "",
                pm.contract.value,
            )
            if x
        )
        if name in seen:
            raise InputError.single(
                doc.source,
                f"duplicate pool name {name!r}",
                line=doc.line_of(("pools", i)),
                field=f"pools[{i}].name",
            )
        seen.add(name)
        steps = _yaml_steps(pm, doc.source, doc.line_of(("pools", i, "capacity")), i)
        price = _yaml_pool_price(pm, acc, catalog, doc.source)
        view = PoolView(
            name=name,
            accelerator=acc,
            provider=pm.provider,
            region=pm.region,
            contract=pm.contract.value,
            price_chip_hour=price.chip_hour,
            price_basis=price.basis,
            spot=pm.contract is ContractKind.SPOT,
        )
        pools.append(
            Pool(
                view=view,
                steps=steps,
                preemption_per_chip_hour=pm.preemption_per_chip_hour,
                restart_s=pm.restart_s,
            )
        )
    if not any(p.max_chips for p in pools):
        raise InputError.single(
            doc.source,
            "no pool ever has a chip (chips: 0 everywhere), so no job could run",
            line=doc.line_of(("pools",)),
            field="pools",
        )
    return Fleet(pools=pools, source=str(path))


def _yaml_steps(pm: _PoolModel, source: str, line: int | None, i: int) -> list[tuple[float, int]]:
    """A pool's capacity steps, each ``at_hours`` once (two would leave one of them unused)."""
    if pm.chips is not None:
        return [(0.0, pm.chips)]
    steps = sorted((s.at_hours * HOUR, s.chips) for s in pm.capacity)
    for (a, _), (b, _) in pairwise(steps):
        if a == b:
            raise InputError.single(
                source,
                f"at_hours {a / HOUR:g} is given twice; one capacity per time",
                line=line,
                field=f"pools[{i}].capacity.at_hours",
            )
    return steps


# Default spot interruption rate for spot offers read from a plan: an ASSUMPTION of 1e-4 per
# chip-hour. AWS's Spot Instance Advisor reports interruption frequency per instance type in
# buckets from "<5%" to ">20%" of instances per month; 10% a month of an 8-GPU instance is
# ~1.7e-5 per GPU-hour, so this is ~6x more pessimistic. Set preemption_per_chip_hour in a
# fleet file from your own history.
PLAN_SPOT_PREEMPTION_PER_CHIP_HOUR = 1e-4


def fleet_from_plan(
    doc: PlanDocument, source: str, delivered: Mapping[str, Sequence[float]] | None = None
) -> Fleet:
    """Pools of a plan document (one per offer). ``delivered``: per offer, the share of its new
    (not already signed) commitments delivered in each period — one delivery scenario; capacity
    already signed (``existing``) is always there. A document without a plan is an input error
    naming ``source``."""
    plan = doc.planned(source)
    hours = plan.horizon.hours_per_period
    n_periods = len(plan.horizon.periods)
    offers = {o.id: o for o in plan.offers}
    by_offer: dict[str, list[float]] = {}
    for c in plan.commitments:
        chips = by_offer.setdefault(c.offer, [0.0] * (n_periods + 1))
        share = None if delivered is None or c.existing else delivered[c.offer]
        for t in range(c.start_index, min(n_periods, c.start_index + c.term_periods)):
            chips[t] += c.chips * (1.0 if share is None else share[t])
    pools = []
    for oid, per in by_offer.items():
        o = offers[oid]  # the document checks that every commitment names one of its offers
        steps = [(t * hours * SECONDS_PER_HOUR, round(n)) for t, n in enumerate(per)]
        pools.append(Pool(view=_plan_view(o), steps=_compact(steps)))
    for o in plan.offers:
        if o.contract not in ("on-demand", "spot") or not o.max_chips:
            continue
        spot = o.contract == "spot"
        start = o.available_from * hours * SECONDS_PER_HOUR
        steps = [(start, int(o.max_chips)), (n_periods * hours * SECONDS_PER_HOUR, 0)]
        pools.append(
            Pool(
                view=_plan_view(o),
                steps=steps,
                preemption_per_chip_hour=PLAN_SPOT_PREEMPTION_PER_CHIP_HOUR if spot else 0.0,
            )
        )
    return Fleet(
        pools=pools,
        source=source,
        throughput_rows=[r.model_dump() for r in plan.throughput],
        units={w.name: w.unit for w in plan.workloads},
    )


def _plan_view(o: OfferRow) -> PoolView:
    return PoolView(
        name=o.id,
        accelerator=o.accelerator.lower(),
        provider=o.provider,
        region=o.region,
        contract=o.contract,
        price_chip_hour=o.price_chip_hour,
        price_basis=f"the plan's offer {o.id}: {o.price_source}",
        spot=o.contract == "spot",
    )


def _compact(steps: list[tuple[float, int]]) -> list[tuple[float, int]]:
    out: list[tuple[float, int]] = []
    for at, n in steps:
        if not out or out[-1][1] != n:
            out.append((at, n))
    return out


def load_fleet(spec: str, catalog: Catalog | None = None) -> Fleet:
    """A fleet from ``FLEET.yaml``, ``PLAN.json`` or an inline ``ACC=N,...`` list."""
    path = Path(spec)
    if path.suffix.lower() == ".json":
        if not path.exists():
            raise InputError.single(spec, "file not found")
        from computebroker.planner.document import PlanDocument

        return fleet_from_plan(PlanDocument.read(path), str(path))
    if path.suffix.lower() in (".yaml", ".yml"):
        return _fleet_from_yaml(path, catalog)
    if "=" in spec:
        return parse_inline_fleet(spec, catalog)
    raise InputError.single(
        spec, "expected a fleet: FLEET.yaml, PLAN.json or ACCELERATOR=CHIPS[,...]", field="--fleet"
    )
