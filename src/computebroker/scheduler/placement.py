"""Placement of one job: committed capacity first, then rentable instance shapes and prices.

A request names an accelerator, the chips each node needs and how many nodes (``H100:2`` is
one node with 2 GPUs; ``H100:8 x 4`` is four 8-GPU nodes). The answer is the catalog's
instance shapes with *exactly* that many chips per instance — a 2-GPU job rents a 2-GPU
instance, not an 8-GPU box priced per chip — ranked by what the job pays per hour (the
instance price x nodes), then by price per chip, then by cloud, region and instance name, so
equal prices never fall to list order. Spot requests use the spot price and skip shapes without
one.

The instance price is what renting the node costs (``catalog.rental``, the one price the
planner's catalog quotes and ``estimate`` use too). Where the catalog prices the accelerators
alone (GCP's attachable T4, V100, P100, P4 and L4: ``price_covers = accelerator``) the node is
the GPUs plus the host VM SkyPilot would pick for them (``catalog.hosts.default_host``), and
its price is the sum; such a row without a known host price, and a per-chip price of an
instance whose shape the source does not state (``price_covers = chip``), are not rentable:
``unrentable_offerings`` lists them with the reason, and they are never ranked as if the GPUs
alone were the instance. A row without any price is not offered either.

``place_with_retries`` is the blocked-placement loop a launcher runs: try the cheapest
option; when it fails (no capacity, a preemption), block that offering — or its whole region,
as SkyPilot's failover does — and try the next, until one launches or none is left.

``plan_placements`` goes past that (SkyPilot ranks rentable offers only): capacity the team has
already paid for (``CommittedPool``: free chips on a commitment of its plan) is used first — its
marginal cost is 0 while it has free chips — and the rest of the gang is rented; each answer says
which nodes are committed and which rented. Given the job's workload and a throughput table (the
perf stage's matrix), answers are ranked by USD per unit of work instead of USD per hour, so a
faster chip that costs more per hour wins when it does the work for less.

Pure: a catalog and a request in, options out; the launch attempt is the caller's function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from computebroker.catalog import Catalog, HostVm, NotRentable, Offering, PriceCovers, rental
from computebroker.errors import InputError, UnknownNameError
from computebroker.scheduler.throughput import ThroughputTable
from computebroker.units import SECONDS_PER_HOUR

if TYPE_CHECKING:  # the planner stack loads only when a plan is read
    from computebroker.planner.document import PlanDocument

__all__ = [
    "CommittedPool",
    "Placement",
    "PlacementOption",
    "PlacementPart",
    "PlacementRequest",
    "Unrentable",
    "WorkloadRates",
    "committed_pools",
    "known_places",
    "place_with_retries",
    "placement_options",
    "plan_placements",
    "rates_from_plan",
    "unrentable_offerings",
]


def known_places(
    catalog: Catalog,
    pools: Sequence[CommittedPool],
    *,
    clouds: Sequence[str] | None,
    regions: Sequence[str] | None,
    fields: tuple[str, str] = ("clouds", "regions"),
) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """The clouds (lower case) and regions a request is limited to, each one the catalog or a
    committed pool knows: a typo (``asw``) would only answer that no placement matches."""
    out: list[frozenset[str] | None] = []
    for kind, given, field_name in (("cloud", clouds, fields[0]), ("region", regions, fields[1])):
        if not given:
            out.append(None)
            continue
        attr = "cloud" if kind == "cloud" else "region"
        known = {getattr(o, attr).lower() for o in catalog.offerings}
        known |= {getattr(p, attr).lower() for p in pools}
        for name in given:
            if name.lower() not in known:
                raise UnknownNameError(
                    kind=kind, name=name, known=sorted(known), source=field_name, field=field_name
                )
        # clouds match lower case, regions as given (as the request always took them)
        out.append(frozenset(n.lower() if kind == "cloud" else n for n in given))
    return out[0], out[1]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlacementRequest:
    """What a job needs: ``chips`` of ``accelerator`` on each of ``num_nodes`` nodes;
    ``alternatives`` are other (accelerator, chips per node) that would do as well (SkyPilot's
    ``accelerators: {H100:8, A100-80GB:8}``); ``split`` lets a gang take some nodes from a
    committed pool and rent the rest."""

    accelerator: str
    chips: int = 1
    num_nodes: int = 1
    alternatives: tuple[tuple[str, int], ...] = ()
    split: bool = True
    clouds: frozenset[str] | None = None  # None: any
    regions: frozenset[str] | None = None  # None: any
    spot: bool = False
    blocked_offerings: frozenset[str] = field(default_factory=frozenset)
    blocked_regions: frozenset[tuple[str, str]] = field(
        default_factory=frozenset
    )  # (cloud, region)

    def __post_init__(self) -> None:
        if self.chips < 1 or self.num_nodes < 1:
            raise InputError.single(
                "placement",
                f"chips and num_nodes must be >= 1, got chips={self.chips}, "
                f"num_nodes={self.num_nodes}",
                field="chips" if self.chips < 1 else "num_nodes",
            )
        for i, (_, n) in enumerate(self.alternatives):
            if n < 1:
                raise InputError.single(
                    "placement", f"chips must be >= 1, got {n}", field=f"alternatives[{i}]"
                )

    @property
    def shapes(self) -> tuple[tuple[str, int], ...]:
        """Every (accelerator, chips per node) that would do, the first one first."""
        return ((self.accelerator, self.chips), *self.alternatives)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlacementOption:
    """One way to place the request: an offering, its price and what the job pays."""

    offering: Offering
    num_nodes: int
    price_instance_hour: float  # USD per instance-hour (spot price for a spot request)
    cost_hour: float  # USD per hour for all nodes
    host: HostVm | None = None  # the host VM of accelerators priced alone
    host_price_hour: float | None = None  # its USD per hour, included in price_instance_hour

    @property
    def price_chip_hour(self) -> float:
        """USD per chip-hour."""
        return self.price_instance_hour / self.offering.chips

    @property
    def instance_type(self) -> str:
        """What is launched: the host VM's type where the GPUs are attached to one."""
        return self.offering.instance_type if self.host is None else self.host.instance_type

    def row(self) -> dict[str, object]:
        """A flat row for tables and JSON."""
        return {
            **_where(self.offering, self.instance_type),
            "num_nodes": self.num_nodes,
            "price_instance_hour": self.price_instance_hour,
            "price_chip_hour": self.price_chip_hour,
            "cost_hour": self.cost_hour,
            "host_price_hour": self.host_price_hour,
        }


def _where(o: Offering, instance_type: str) -> dict[str, object]:
    """The columns naming a catalog row and what it launches, first in every placement row."""
    return {
        "offering": o.id,
        "cloud": o.cloud,
        "region": o.region,
        "instance_type": instance_type,
        "accelerator": o.accelerator,
        "chips_per_node": o.chips,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Unrentable:
    """A catalog row of a requested accelerator left out of placement, and why: its price is
    not a whole instance's and no host VM price completes it."""

    offering: Offering
    reason: str

    def row(self) -> dict[str, object]:
        """A flat row for tables and JSON."""
        o = self.offering
        return {
            **_where(o, o.instance_type),
            "price_hour": o.price_hour,
            "price_covers": str(o.price_covers),
            "reason": self.reason,
        }


def placement_options(catalog: Catalog, request: PlacementRequest) -> list[PlacementOption]:
    """The rentable instance shapes for ``request``, cheapest first (see the module docstring).

    Raises ``InputError`` naming the shapes that exist when none has exactly the chips asked
    for (for example: use 4 nodes of 8 rather than one node of 32).
    """
    acc = catalog.accelerator(request.accelerator).id
    shapes = _catalog_shapes(catalog, acc)
    if request.chips not in shapes:
        raise InputError.single(
            "placement",
            f"no {acc} instance has {request.chips} chips; {acc} comes with "
            f"{', '.join(map(str, shapes)) or 'no'} chips per instance "
            "(ask for one of those per node and set num_nodes)",
            field="chips",
        )
    return _rented(catalog, request, acc, request.chips, request.num_nodes)


def _catalog_shapes(catalog: Catalog, acc: str) -> list[int]:
    """Chips per instance of ``acc``'s shapes (a per-chip price of an unstated shape is none)."""
    return sorted(
        {
            o.chips
            for o in catalog.offerings
            if o.accelerator == acc and o.price_covers is not PriceCovers.CHIP
        }
    )


def _listed(o: Offering, request: PlacementRequest) -> bool:
    """Whether ``o`` is in the request's clouds and regions and not blocked."""
    return (
        (request.clouds is None or o.cloud in request.clouds)
        and (request.regions is None or o.region in request.regions)
        and o.id not in request.blocked_offerings
        and (o.cloud, o.region) not in request.blocked_regions
    )


_Priced = tuple[float, HostVm | None, float | None]  # instance price, host, host's price


def _instance_price(catalog: Catalog, o: Offering, spot: bool) -> _Priced | str | None:
    """What one instance of ``o`` costs per hour (``catalog.rental``: with its host VM where
    the accelerators are priced alone); a reason when it cannot be rented at a known price;
    None when the row has no price at all (spot: no spot price)."""
    r = rental(catalog.hosts, o, spot=spot)
    if r is None or isinstance(r, NotRentable):
        return None if r is None else r.reason
    if o.price_covers is PriceCovers.CHIP:
        kind = "spot " if spot else ""
        return (
            f"its {kind}price (${r.price_hour:,.2f}/h) covers {o.price_covers.meaning} (chips "
            "per instance unknown), so no instance can be priced"
        )
    return r.instance_hour, r.host, r.host_price_hour


def _rented(
    catalog: Catalog, request: PlacementRequest, acc: str, chips: int, num_nodes: int
) -> list[PlacementOption]:
    """Rentable offerings of ``acc`` with exactly ``chips`` per instance, cheapest first."""
    out = []
    for o in catalog.offerings:
        if o.accelerator != acc or o.chips != chips or not _listed(o, request):
            continue
        priced = _instance_price(catalog, o, request.spot)
        if priced is None or isinstance(priced, str):
            continue
        price, host, host_price = priced
        out.append(
            PlacementOption(
                offering=o,
                num_nodes=num_nodes,
                price_instance_hour=price,
                cost_hour=price * num_nodes,
                host=host,
                host_price_hour=host_price,
            )
        )
    out.sort(
        key=lambda p: (
            p.cost_hour,
            p.price_chip_hour,
            p.offering.cloud,
            p.offering.region,
            p.instance_type,
            p.offering.id,
        )
    )
    return out


def unrentable_offerings(catalog: Catalog, request: PlacementRequest) -> list[Unrentable]:
    """The catalog rows of the request's shapes (in its clouds and regions) left out because
    their price is not a whole instance's — accelerators priced without a known host VM price,
    or one chip's price of an instance whose shape is not stated (listed for every chip count
    asked, since its shape is unknown) — each with the reason, sorted by cloud, region, id."""
    out = []
    for name, chips in request.shapes:
        acc = catalog.accelerator(name).id
        for o in catalog.offerings:
            if (
                o.accelerator != acc
                or not (o.chips == chips or o.price_covers is PriceCovers.CHIP)
                or not _listed(o, request)
            ):
                continue
            priced = _instance_price(catalog, o, request.spot)
            if isinstance(priced, str):
                out.append(Unrentable(offering=o, reason=priced))
    unique = {u.offering.id: u for u in out}
    return sorted(
        unique.values(), key=lambda u: (u.offering.cloud, u.offering.region, u.offering.id)
    )


def place_with_retries(
    catalog: Catalog,
    request: PlacementRequest,
    launch: Callable[[PlacementOption], bool],
    *,
    block_region: bool = False,
    max_attempts: int = 20,
) -> tuple[PlacementOption | None, list[PlacementOption]]:
    """Try the cheapest option, blocking each that fails (its offering, or with
    ``block_region`` its cloud region), until ``launch`` succeeds; returns the placement (None
    when none is left or ``max_attempts`` ran out) and the options that failed, in order."""
    failed: list[PlacementOption] = []
    req = request
    for _ in range(max_attempts):
        options = placement_options(catalog, req)
        if not options:
            return None, failed
        best = options[0]
        if launch(best):
            return best, failed
        failed.append(best)
        o = best.offering
        req = (
            replace(req, blocked_regions=req.blocked_regions | {(o.cloud, o.region)})
            if block_region
            else replace(req, blocked_offerings=req.blocked_offerings | {o.id})
        )
    return None, failed


# ---- committed capacity first, ranked by price-performance --------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CommittedPool:
    """Capacity the team has already paid for (a commitment of its plan) and its free chips
    now; ``price_chip_hour`` is what the commitment costs, paid whether the chips are used."""

    name: str
    accelerator: str
    free_chips: int
    cloud: str = "any"
    region: str = "any"
    price_chip_hour: float = 0.0

    def __post_init__(self) -> None:
        if self.free_chips < 0:
            raise InputError.single(
                "placement",
                f"pool {self.name!r}: free chips must be >= 0, got {self.free_chips}",
                field="free_chips",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkloadRates:
    """The job's workload and the table of its throughput on each chip (the perf stage's
    matrix: work per chip-hour, or measured per-gang rates)."""

    workload: str
    table: ThroughputTable

    def work_per_hour(self, accelerator: str, chips: int) -> float:
        """Work per hour of a gang of ``chips`` (0: the workload does not run there)."""
        return self.table.lookup(self.workload, accelerator, chips) * SECONDS_PER_HOUR


@dataclass(frozen=True, slots=True, kw_only=True)
class PlacementPart:
    """Nodes of a placement on one committed pool or one rented instance shape."""

    source: Literal["committed", "rented"]
    name: str  # the committed pool, or the catalog offering's id
    cloud: str
    region: str
    accelerator: str
    instance_type: str | None  # None on committed capacity; the host VM's for attached GPUs
    chips_per_node: int
    num_nodes: int
    price_chip_hour: float  # list price; on committed capacity the commitment's (already paid)
    cost_hour: float  # what using these nodes adds per hour: 0 on committed capacity
    free_chips_after: int | None = None  # committed: the pool's free chips once placed
    host_price_hour: float | None = None  # per node: the host VM of GPUs priced alone

    def row(self) -> dict[str, object]:
        """A flat row for JSON."""
        return {
            "source": self.source,
            "name": self.name,
            "cloud": self.cloud,
            "region": self.region,
            "accelerator": self.accelerator,
            "instance_type": self.instance_type,
            "chips_per_node": self.chips_per_node,
            "num_nodes": self.num_nodes,
            "price_chip_hour": self.price_chip_hour,
            "cost_hour": self.cost_hour,
            "host_price_hour": self.host_price_hour,
        }

    @property
    def where(self) -> str:
        """Where the nodes run, for one line of text."""
        if self.source == "committed":
            return self.name
        host = (
            ""
            if self.host_price_hour is None
            else f" + {self.chips_per_node} x {self.accelerator} (host ${self.host_price_hour:,.2f}/h)"
        )
        return f"{self.cloud}/{self.region} {self.instance_type}{host}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    """A whole gang: its parts (committed nodes first), the hourly cost it adds and, with a
    workload, the work it does per hour and USD per unit of work."""

    accelerator: str
    chips_per_node: int
    num_nodes: int
    parts: tuple[PlacementPart, ...]
    work_per_hour: float | None = None
    unit: str | None = None

    @property
    def cost_hour(self) -> float:
        """USD per hour the job adds (committed nodes add nothing: they are paid for)."""
        return sum(p.cost_hour for p in self.parts)

    @property
    def cost_per_work(self) -> float | None:
        """USD per unit of work (None without a workload)."""
        if self.work_per_hour is None:
            return None
        return self.cost_hour / self.work_per_hour

    def nodes(self, source: Literal["committed", "rented"]) -> int:
        """Nodes on committed capacity or rented."""
        return sum(p.num_nodes for p in self.parts if p.source == source)

    def describe(self) -> str:
        """One line: where each part runs."""
        return "; ".join(
            f"{p.source} {p.num_nodes} x {p.chips_per_node} on {p.where}" for p in self.parts
        )

    def row(self) -> dict[str, object]:
        """A flat row for tables and JSON (``parts`` as a list of rows)."""
        return {
            "accelerator": self.accelerator,
            "chips_per_node": self.chips_per_node,
            "num_nodes": self.num_nodes,
            "committed_nodes": self.nodes("committed"),
            "rented_nodes": self.nodes("rented"),
            "where": self.describe(),
            "cost_hour": self.cost_hour,
            "work_per_hour": self.work_per_hour,
            "cost_per_work": self.cost_per_work,
            "unit": self.unit,
            "parts": [p.row() for p in self.parts],
        }


def plan_placements(
    catalog: Catalog,
    request: PlacementRequest,
    *,
    committed: Sequence[CommittedPool] = (),
    rates: WorkloadRates | None = None,
) -> list[Placement]:
    """Every way to place ``request`` on committed capacity and rented shapes, best first.

    Committed pools of the accelerator take whole nodes (``chips`` each) while they have free
    chips; a gang larger than a pool's room takes what fits and rents the other nodes in the
    pool's cloud (``request.split``; one gang, one provider's network). Ranked by the hourly
    cost the job adds, or with ``rates`` by USD per unit of the workload's work (then faster
    first); ties: fewer rented nodes, the tighter committed fit, price per chip, then names.
    """
    out: list[Placement] = []
    no_run: list[str] = []
    for name, chips in request.shapes:
        acc = catalog.accelerator(name).id
        pools = [p for p in committed if _pool_matches(catalog, p, acc, request)]
        shapes = _catalog_shapes(catalog, acc)
        if chips not in shapes and not pools:
            raise InputError.single(
                "placement",
                f"no {acc} instance has {chips} chips and no committed {acc} pool is given; "
                f"{acc} comes with {', '.join(map(str, shapes)) or 'no'} chips per instance "
                "(ask for one of those per node and set num_nodes)",
                field="chips",
            )
        work = None
        if rates is not None:
            work = rates.work_per_hour(acc, chips * request.num_nodes)
            if work <= 0:
                no_run.append(acc)
                continue
        unit = rates.table.unit if rates is not None else None
        rented = _rented(catalog, request, acc, chips, request.num_nodes)
        out.extend(
            Placement(
                accelerator=acc,
                chips_per_node=chips,
                num_nodes=request.num_nodes,
                parts=(_rented_part(o),),
                work_per_hour=work,
                unit=unit,
            )
            for o in rented
        )
        for pool in pools:
            parts = _on_pool(catalog, request, pool, acc, chips)
            if parts:
                out.append(
                    Placement(
                        accelerator=acc,
                        chips_per_node=chips,
                        num_nodes=request.num_nodes,
                        parts=parts,
                        work_per_hour=work,
                        unit=unit,
                    )
                )
    if rates is not None and len(no_run) == len(request.shapes):
        raise InputError.single(
            "placement",
            f"the throughput table has no rate for workload {rates.workload!r} on "
            f"{', '.join(no_run)} ({rates.table.source or 'no source'})",
            field="workload",
        )
    out.sort(key=_rank_key)
    return out


def _acc_id(catalog: Catalog, name: str) -> str:
    try:
        return catalog.accelerator(name).id
    except InputError:  # a pool of a chip the catalog does not list (e.g. Gavel's K80)
        return name.lower()


def _pool_matches(catalog: Catalog, p: CommittedPool, acc: str, r: PlacementRequest) -> bool:
    return (
        _acc_id(catalog, p.accelerator) == acc
        and (r.clouds is None or p.cloud in r.clouds)
        and (r.regions is None or p.region in r.regions)
    )


def _rented_part(o: PlacementOption) -> PlacementPart:
    return PlacementPart(
        source="rented",
        name=o.offering.id,
        cloud=o.offering.cloud,
        region=o.offering.region,
        accelerator=o.offering.accelerator,
        instance_type=o.instance_type,
        chips_per_node=o.offering.chips,
        num_nodes=o.num_nodes,
        price_chip_hour=o.price_chip_hour,
        cost_hour=o.cost_hour,
        host_price_hour=o.host_price_hour,
    )


def _on_pool(
    catalog: Catalog, request: PlacementRequest, pool: CommittedPool, acc: str, chips: int
) -> tuple[PlacementPart, ...]:
    """The gang's nodes on ``pool`` and, when it has room for only some, the rest rented in
    the pool's cloud; () when it has room for none (or the rest cannot be rented)."""
    n = min(request.num_nodes, pool.free_chips // chips)
    if n == 0 or (n < request.num_nodes and not request.split):
        return ()
    part = PlacementPart(
        source="committed",
        name=pool.name,
        cloud=pool.cloud,
        region=pool.region,
        accelerator=acc,
        instance_type=None,
        chips_per_node=chips,
        num_nodes=n,
        price_chip_hour=pool.price_chip_hour,
        cost_hour=0.0,
        free_chips_after=pool.free_chips - n * chips,
    )
    if n == request.num_nodes:
        return (part,)
    same_cloud = (
        request if pool.cloud == "any" else replace(request, clouds=frozenset({pool.cloud}))
    )
    rest = _rented(catalog, same_cloud, acc, chips, request.num_nodes - n)
    return (part, _rented_part(rest[0])) if rest else ()


def _rank_key(p: Placement) -> tuple[object, ...]:
    first: tuple[float, ...] = (
        (p.cost_hour,)
        if p.cost_per_work is None or p.work_per_hour is None
        else (p.cost_per_work, -p.work_per_hour, p.cost_hour)
    )
    fit = min((q.free_chips_after for q in p.parts if q.free_chips_after is not None), default=0)
    chip_price = p.cost_hour / (p.chips_per_node * p.num_nodes)
    names = tuple((q.cloud, q.region, q.instance_type or "", q.name) for q in p.parts)
    return (*first, p.nodes("rented"), fit, chip_price, names)


# ---- from a plan -------------------------------------------------------------------------

COMMITTED_CONTRACTS_EXCLUDED = ("on-demand", "spot")  # rented by the hour, not paid for ahead


def committed_pools(
    doc: PlanDocument,
    source: str,
    *,
    period: str | None = None,
    in_use: Mapping[str, int] | None = None,
) -> list[CommittedPool]:
    """The plan's committed capacity in ``period`` (a label of its horizon; None: the first)
    as pools: the chips of each commitment offer active then (as ``simulate --fleet`` counts
    them: signed chips from their start for their term, whole chips) less the chips ``in_use``
    names for that offer. Errors name ``source`` and the field."""
    plan = doc.planned(source)
    labels = plan.horizon.periods
    label = labels[0] if period is None else period
    if label not in labels:
        raise InputError.single(
            source,
            f"no period {label!r} in the plan; its periods are {', '.join(labels)}",
            field="period",
        )
    t = labels.index(label)
    offers = {o.id: o for o in plan.offers}
    chips: dict[str, float] = {}
    for c in plan.commitments:
        if offers[c.offer].contract in COMMITTED_CONTRACTS_EXCLUDED:
            continue
        if c.start_index <= t < c.start_index + c.term_periods:
            chips[c.offer] = chips.get(c.offer, 0.0) + c.chips
    used = dict(in_use or {})
    unknown = sorted(set(used) - set(chips))
    if unknown:
        raise InputError.single(
            source,
            f"in-use pool {unknown[0]!r} is not a commitment of the plan in {label}; "
            f"its committed pools are {', '.join(sorted(chips)) or 'none'}",
            field="in_use",
        )
    out = []
    for oid, n in sorted(chips.items()):
        o = offers[oid]
        free = int(n + 1e-9) - used.get(oid, 0)  # whole chips; 1e-9: float sums of whole chips
        if free < 0:
            raise InputError.single(
                source,
                f"in-use chips of {oid} ({used[oid]}) exceed its {int(n + 1e-9)} chips in {label}",
                field="in_use",
            )
        out.append(
            CommittedPool(
                name=oid,
                accelerator=o.accelerator,
                free_chips=free,
                cloud=o.provider,
                region=o.region,
                price_chip_hour=o.price_chip_hour,
            )
        )
    return out


def rates_from_plan(doc: PlanDocument, source: str, workload: str) -> WorkloadRates:
    """The plan's throughput matrix for ``workload`` (an error naming the workloads it has)."""
    plan = doc.planned(source)
    units = {w.name: w.unit for w in plan.workloads}
    if workload not in units:
        raise InputError.single(
            source,
            f"no workload {workload!r} in the plan; it has {', '.join(sorted(units))}",
            field="workload",
        )
    table = ThroughputTable.from_per_chip_hour(
        {
            (r.workload, r.accelerator): r.work_per_chip_hour
            for r in plan.throughput
            if r.workload == workload and r.work_per_chip_hour is not None
        },
        unit=units[workload],
        source=f"{source} (the plan's throughput matrix)",
    )
    return WorkloadRates(workload=workload, table=table)
