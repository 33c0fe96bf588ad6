"""Placement of one job on rentable instances: which instance shape, where, at what price.

A request names an accelerator, the chips each node needs and how many nodes (``H100:2`` is
one node with 2 GPUs; ``H100:8 x 4`` is four 8-GPU nodes). The answer is the catalog's
instance shapes with *exactly* that many chips per instance — a 2-GPU job rents a 2-GPU
instance, not an 8-GPU box priced per chip — ranked by what the job pays per hour (the
instance price x nodes), then by price per chip, then by cloud, region and instance name, so
equal prices never fall to list order. A catalog row without an instance price (an
accelerator listed without its host VM) is not rentable and never offered. Spot requests use
the spot price and skip shapes without one.

``place_with_retries`` is the blocked-placement loop a launcher runs: try the cheapest
option; when it fails (no capacity, a preemption), block that offering — or its whole region,
as SkyPilot's failover does — and try the next, until one launches or none is left.

Pure: a catalog and a request in, options out; the launch attempt is the caller's function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from computebroker.catalog import Catalog, Offering
from computebroker.errors import InputError

__all__ = ["PlacementOption", "PlacementRequest", "place_with_retries", "placement_options"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlacementRequest:
    """What a job needs: ``chips`` of ``accelerator`` on each of ``num_nodes`` nodes."""

    accelerator: str
    chips: int = 1
    num_nodes: int = 1
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


@dataclass(frozen=True, slots=True, kw_only=True)
class PlacementOption:
    """One way to place the request: an offering, its price and what the job pays."""

    offering: Offering
    num_nodes: int
    price_instance_hour: float  # USD per instance-hour (spot price for a spot request)
    cost_hour: float  # USD per hour for all nodes

    @property
    def price_chip_hour(self) -> float:
        """USD per chip-hour."""
        return self.price_instance_hour / self.offering.chips

    def row(self) -> dict[str, object]:
        """A flat row for tables and JSON."""
        o = self.offering
        return {
            "offering": o.id,
            "cloud": o.cloud,
            "region": o.region,
            "instance_type": o.instance_type,
            "accelerator": o.accelerator,
            "chips_per_node": o.chips,
            "num_nodes": self.num_nodes,
            "price_instance_hour": self.price_instance_hour,
            "price_chip_hour": self.price_chip_hour,
            "cost_hour": self.cost_hour,
        }


def placement_options(catalog: Catalog, request: PlacementRequest) -> list[PlacementOption]:
    """The rentable instance shapes for ``request``, cheapest first (see the module docstring).

    Raises ``InputError`` naming the shapes that exist when none has exactly the chips asked
    for (for example: use 4 nodes of 8 rather than one node of 32).
    """
    acc = catalog.accelerator(request.accelerator).id
    rows = [o for o in catalog.offerings if o.accelerator == acc]
    shapes = sorted({o.chips for o in rows})
    if request.chips not in shapes:
        raise InputError.single(
            "placement",
            f"no {acc} instance has {request.chips} chips; {acc} comes with "
            f"{', '.join(map(str, shapes)) or 'no'} chips per instance "
            "(ask for one of those per node and set num_nodes)",
            field="chips",
        )
    out = []
    for o in rows:
        price = o.spot_price_hour if request.spot else o.price_hour
        if (
            o.chips != request.chips
            or price is None
            or price <= 0
            or (request.clouds is not None and o.cloud not in request.clouds)
            or (request.regions is not None and o.region not in request.regions)
            or o.id in request.blocked_offerings
            or (o.cloud, o.region) in request.blocked_regions
        ):
            continue
        out.append(
            PlacementOption(
                offering=o,
                num_nodes=request.num_nodes,
                price_instance_hour=price,
                cost_hour=price * request.num_nodes,
            )
        )
    out.sort(
        key=lambda p: (
            p.cost_hour,
            p.price_chip_hour,
            p.offering.cloud,
            p.offering.region,
            p.offering.instance_type,
            p.offering.id,
        )
    )
    return out


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
