"""Catalog stage: what chips exist, who sells them, at what price and on what terms.

The library API is a handful of typed functions over frozen values::

    from computebroker.catalog import load_catalog, find_offerings, OfferingQuery
    cat = load_catalog()                       # shipped snapshot (+ user files)
    cat.accelerator("Trainium2")               # alias lookup, any case
    find_offerings(cat, OfferingQuery(accelerator="h100", sort=SortKey.PRICE_PER_PFLOP))
"""

from computebroker.catalog.accelerators import AcceleratorIndex, normalise_name
from computebroker.catalog.catalog import Catalog, load_catalog, shipped_catalog
from computebroker.catalog.hosts import HOST_RULES, HostRule, default_host
from computebroker.catalog.query import (
    AcceleratorComparison,
    OfferingQuery,
    SortKey,
    cheapest_quotes,
    compare_accelerators,
    contract_quotes,
    find_offerings,
    quote_offering,
    term_for,
    unquoted_offerings,
)
from computebroker.catalog.rental import NotRentable, Rental, rental
from computebroker.catalog.types import (
    Accelerator,
    ContractKind,
    ContractQuote,
    ContractTerm,
    Deal,
    DeliveryStep,
    HostVm,
    Offering,
    OfferingQuote,
    PriceCovers,
)

__all__ = [
    "HOST_RULES",
    "Accelerator",
    "AcceleratorComparison",
    "AcceleratorIndex",
    "Catalog",
    "ContractKind",
    "ContractQuote",
    "ContractTerm",
    "Deal",
    "DeliveryStep",
    "HostRule",
    "HostVm",
    "NotRentable",
    "Offering",
    "OfferingQuery",
    "OfferingQuote",
    "PriceCovers",
    "Rental",
    "SortKey",
    "cheapest_quotes",
    "compare_accelerators",
    "contract_quotes",
    "default_host",
    "find_offerings",
    "load_catalog",
    "normalise_name",
    "quote_offering",
    "rental",
    "shipped_catalog",
    "term_for",
    "unquoted_offerings",
]
