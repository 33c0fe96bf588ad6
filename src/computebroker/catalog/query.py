"""Questions asked of a catalog: filtered, normalised offerings; side-by-side chips; contracts.

Normalisation: ``price_chip_hour = price_hour / chips`` and
``price_pflop_hour = price_chip_hour / (bf16_tflops / 1000)`` — USD per hour of one peak dense
bf16 PFLOP/s. Peak is the vendor figure; what a workload really gets is the perf stage's job.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from computebroker.catalog.catalog import Catalog
from computebroker.catalog.rental import NotRentable, Rental, rental
from computebroker.catalog.types import (
    Accelerator,
    ContractKind,
    ContractQuote,
    ContractTerm,
    HostVm,
    Offering,
    OfferingQuote,
)
from computebroker.errors import UnknownNameError

__all__ = [
    "AcceleratorComparison",
    "OfferingQuery",
    "SortKey",
    "cheapest_quotes",
    "compare_accelerators",
    "contract_quotes",
    "find_offerings",
    "quote_offering",
    "term_for",
    "unquoted_offerings",
]


class SortKey(StrEnum):
    """Orderings of an offerings listing."""

    PRICE = "price"
    PRICE_PER_PFLOP = "price-per-pflop"


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferingQuery:
    """Filters of an offerings listing; ``None`` means no filter.

    ``region`` matches a prefix (``us-east`` matches ``us-east1`` and ``us-east-1``) or an
    fnmatch pattern when it contains ``*``. With ``spot`` only offerings with a spot price are
    listed and prices shown are spot prices.
    """

    accelerator: str | None = None
    cloud: str | None = None
    region: str | None = None
    spot: bool = False
    min_chips: int | None = None
    sort: SortKey = SortKey.PRICE


def quote_offering(
    offering: Offering, accelerator: Accelerator, hosts: Sequence[HostVm] = ()
) -> OfferingQuote:
    """Normalise an offering's prices per chip-hour and per peak bf16 PFLOP-hour, and give
    what a chip-hour costs to rent (``catalog.rental``, with ``hosts`` the host VM rows of
    accelerators priced alone).

    Examples
    --------
    >>> from computebroker.catalog import load_catalog
    >>> cat = load_catalog()
    >>> o = Offering(id="t", cloud="aws", region="us-east-1", instance_type="p5.48xlarge",
    ...              accelerator="h100", chips=8, price_hour=55.04, spot_price_hour=16.9508)
    >>> q = quote_offering(o, cat.accelerator("h100"))
    >>> round(q.price_chip_hour, 4), round(q.price_pflop_hour, 4)
    (6.88, 6.9537)
    """
    pflops = accelerator.bf16_pflops
    per_chip = offering.price_chip_hour
    spot_chip = offering.spot_price_chip_hour
    od, spot = rental(hosts, offering), rental(hosts, offering, spot=True)
    return OfferingQuote(
        offering=offering,
        accelerator=accelerator,
        price_chip_hour=per_chip,
        spot_price_chip_hour=spot_chip,
        price_pflop_hour=None if per_chip is None or not pflops else per_chip / pflops,
        spot_price_pflop_hour=None if spot_chip is None or not pflops else spot_chip / pflops,
        rent_chip_hour=od.chip_hour if isinstance(od, Rental) else None,
        spot_rent_chip_hour=spot.chip_hour if isinstance(spot, Rental) else None,
        price_includes_host=isinstance(od, Rental) and od.includes_host,
    )


def _region_matches(pattern: str, region: str) -> bool:
    p, r = pattern.lower(), region.lower()
    if "*" in p or "?" in p:
        return fnmatch.fnmatchcase(r, p)
    return r.startswith(p)


def find_offerings(
    catalog: Catalog, query: OfferingQuery, *, flags: tuple[str, str] | None = None
) -> list[OfferingQuote]:
    """Offerings matching ``query``, normalised, sorted cheapest first (unpriced last).
    ``flags``: the command-line flags the accelerator and the cloud were given as, which an
    unknown name's error names.

    Examples
    --------
    >>> from computebroker.catalog import load_catalog
    >>> rows = find_offerings(load_catalog(), OfferingQuery(accelerator="Trillium", cloud="gcp",
    ...                                                     min_chips=256))
    >>> {r.accelerator.id for r in rows}, min(r.offering.chips for r in rows)
    ({'tpu-v6e'}, 256)
    """
    acc_flag, cloud_flag = (None, None) if flags is None else flags
    acc_id = catalog.accelerator(query.accelerator, flag=acc_flag).id if query.accelerator else None
    cloud = query.cloud.lower() if query.cloud else None
    if cloud is not None and cloud not in catalog.clouds:
        raise UnknownNameError(
            kind="cloud",
            name=query.cloud or "",
            known=catalog.clouds,
            source=cloud_flag or "<input>",
            field=cloud_flag,
        )
    rows: list[OfferingQuote] = []
    for o in catalog.offerings:
        if acc_id is not None and o.accelerator != acc_id:
            continue
        if cloud is not None and o.cloud != cloud:
            continue
        if query.region is not None and not _region_matches(query.region, o.region):
            continue
        if query.min_chips is not None and o.chips < query.min_chips:
            continue
        if query.spot and o.spot_price_hour is None:
            continue
        rows.append(quote_offering(o, catalog.accelerators.by_id[o.accelerator], catalog.hosts))

    def key(q: OfferingQuote) -> tuple[int, float, str, str, int, str]:
        if query.sort is SortKey.PRICE_PER_PFLOP:
            v = q.spot_price_pflop_hour if query.spot else q.price_pflop_hour
        else:
            v = q.spot_price_chip_hour if query.spot else q.price_chip_hour
        o = q.offering
        return (v is None, v or 0.0, o.cloud, o.region, o.chips, o.id)

    rows.sort(key=key)
    return rows


def term_for(
    catalog: Catalog, provider: str, accelerator: str, kind: ContractKind
) -> ContractTerm | None:
    """The most specific published term of ``kind`` for a provider and chip, if any."""
    best: ContractTerm | None = None
    for t in catalog.terms:
        if t.provider != provider or t.kind is not kind:
            continue
        if not fnmatch.fnmatchcase(accelerator, t.accelerators):
            continue
        if best is None or len(t.accelerators.replace("*", "")) > len(
            best.accelerators.replace("*", "")
        ):
            best = t
    return best


def contract_quotes(catalog: Catalog, accelerator: str) -> list[ContractQuote]:
    """Every way to buy one chip-hour of ``accelerator``: on-demand, spot, commitments, deals.

    Prices are the rentable price of each offering per chip-hour (``catalog.rental``: a row
    that prices the accelerators alone adds its host VM's price, split over its GPUs; each such
    quote says so in ``price_basis`` and ``price_includes_host``). A row with no host VM price
    that completes it is not quoted; ``unquoted_offerings`` lists it with the reason.
    Commitment prices are the on-demand price less the provider's published discount for that
    term (``contract_terms.csv``, each with its source and confidence).
    """
    acc_id = catalog.accelerator(accelerator).id
    quotes: list[ContractQuote] = []
    for o in catalog.offerings:
        if o.accelerator != acc_id:
            continue
        od = rental(catalog.hosts, o)
        if isinstance(od, Rental):
            quotes.extend(_on_demand_quotes(catalog, od))
        spot = rental(catalog.hosts, o, spot=True)
        if isinstance(spot, Rental):
            quotes.append(_quote(spot, ContractKind.SPOT, confidence="primary"))
    for d in catalog.deals:
        if d.accelerator == acc_id:
            quotes.append(
                ContractQuote(
                    provider=d.provider,
                    region=d.region,
                    accelerator=acc_id,
                    kind=ContractKind.DEAL,
                    price_chip_hour=d.price_chip_hour,
                    term_months=d.term_months,
                    basis=d.id,
                    source=d.source,
                    confidence="user",
                    price_basis="the deal's own price per chip-hour",
                )
            )
    return quotes


def unquoted_offerings(catalog: Catalog, accelerator: str) -> list[NotRentable]:
    """The priced rows of ``accelerator`` that ``contract_quotes`` leaves out, each with the
    reason (accelerators priced without their host VM, and no host VM price completes them;
    on-demand and spot each), sorted by cloud, region, offering id and on-demand first."""
    acc_id = catalog.accelerator(accelerator).id
    out = [
        r
        for o in catalog.offerings
        if o.accelerator == acc_id
        for spot in (False, True)
        if isinstance(r := rental(catalog.hosts, o, spot=spot), NotRentable)
    ]
    return sorted(out, key=lambda r: (r.offering.cloud, r.offering.region, r.offering.id, r.spot))


def _quote(
    r: Rental,
    kind: ContractKind,
    *,
    confidence: str,
    discount: float = 0.0,
    term_months: float = 0.0,
    discount_source: str = "",
) -> ContractQuote:
    o = r.offering
    return ContractQuote(
        provider=o.cloud,
        region=o.region,
        accelerator=o.accelerator,
        kind=kind,
        price_chip_hour=r.chip_hour * (1.0 - discount),
        term_months=term_months,
        basis=o.id,
        source=r.source if not discount_source else f"{r.source}; discount: {discount_source}",
        confidence=confidence,
        price_basis=r.basis,
        price_includes_host=r.includes_host,
    )


def _on_demand_quotes(catalog: Catalog, od: Rental) -> list[ContractQuote]:
    """The on-demand quote of a rental and its commitment quotes (on-demand less the
    provider's published discount, the host VM part included: the GCP terms rows' source,
    docs.archera.ai's Compute Engine brief, counts VMs' vCPU and memory as covered)."""
    o = od.offering
    # A shipped row whose source starts with ESTIMATE is a derived price (no list price is
    # public, e.g. TPU7x): every quote built on it says so.
    estimated = o.source.startswith("ESTIMATE")
    out = [_quote(od, ContractKind.ON_DEMAND, confidence="estimate" if estimated else "primary")]
    for kind in (ContractKind.COMMIT_1Y, ContractKind.COMMIT_3Y, ContractKind.CAPACITY_BLOCK):
        term = term_for(catalog, o.cloud, o.accelerator, kind)
        if term is None:
            continue
        out.append(
            _quote(
                od,
                kind,
                confidence="estimate" if estimated else term.confidence,
                discount=term.discount,
                term_months=term.term_months,
                discount_source=term.source,
            )
        )
    return out


def cheapest_quotes(quotes: Iterable[ContractQuote]) -> list[ContractQuote]:
    """The cheapest quote per (provider, kind), sorted by price."""
    best: dict[tuple[str, ContractKind], ContractQuote] = {}
    for q in quotes:
        k = (q.provider, q.kind)
        if k not in best or q.price_chip_hour < best[k].price_chip_hour:
            best[k] = q
    return sorted(best.values(), key=lambda q: (q.price_chip_hour, q.provider, q.kind.value))


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceleratorComparison:
    """One accelerator's specs beside its cheapest on-demand and spot offers, cheapest by what
    a chip-hour costs to rent (``OfferingQuote.rent_chip_hour``: with the host VM of GPUs the
    catalog prices alone)."""

    accelerator: Accelerator
    cheapest_on_demand: OfferingQuote | None
    cheapest_spot: OfferingQuote | None
    offerings: int


def compare_accelerators(
    catalog: Catalog, names: Sequence[str], *, flag: str | None = None
) -> list[AcceleratorComparison]:
    """Side-by-side specs and the cheapest offers per rented chip-hour of each named
    accelerator (rows without a rentable price are not the cheapest; ``flag``: the
    command-line argument the names were given as)."""
    out = []
    for name in names:
        acc = catalog.accelerator(name, flag=flag)
        od = find_offerings(catalog, OfferingQuery(accelerator=acc.id))
        od_priced = [q for q in od if q.rent_chip_hour is not None]
        spot = find_offerings(catalog, OfferingQuery(accelerator=acc.id, spot=True))
        spot_priced = [q for q in spot if q.spot_rent_chip_hour is not None]
        out.append(
            AcceleratorComparison(
                accelerator=acc,
                cheapest_on_demand=min(od_priced, key=lambda q: q.rent_chip_hour or 0.0)
                if od_priced
                else None,
                cheapest_spot=min(spot_priced, key=lambda q: q.spot_rent_chip_hour or 0.0)
                if spot_priced
                else None,
                offerings=len(od),
            )
        )
    return out
