"""The public surface is explicit: pin each package's ``__all__``."""

from __future__ import annotations

from computebroker import catalog


def test_catalog_all() -> None:
    assert sorted(catalog.__all__) == sorted(
        [
            "Accelerator",
            "AcceleratorComparison",
            "AcceleratorIndex",
            "Catalog",
            "ContractKind",
            "ContractQuote",
            "ContractTerm",
            "Deal",
            "DeliveryStep",
            "Offering",
            "OfferingQuery",
            "OfferingQuote",
            "SortKey",
            "cheapest_quotes",
            "compare_accelerators",
            "contract_quotes",
            "find_offerings",
            "load_catalog",
            "normalise_name",
            "quote_offering",
            "shipped_catalog",
            "term_for",
        ]
    )
    for name in catalog.__all__:
        assert hasattr(catalog, name), name
