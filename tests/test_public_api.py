"""The public surface is explicit: pin each package's ``__all__``."""

from __future__ import annotations

from computebroker import catalog


def test_catalog_all() -> None:
    assert sorted(catalog.__all__) == sorted(
        [
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
    )
    for name in catalog.__all__:
        assert hasattr(catalog, name), name


def test_perf_all() -> None:
    from computebroker import perf

    assert len(perf.__all__) == len(set(perf.__all__))
    for name in perf.__all__:
        assert hasattr(perf, name), name
    assert {
        "estimate_training",
        "estimate_serving",
        "throughput_matrix",
        "calibrate",
        "search_layouts",
    } <= set(perf.__all__)


def test_policy_evaluation_all() -> None:
    from computebroker.planner import conditional, policy_eval, rolling

    assert sorted(conditional.__all__) == ["History", "sample_conditional", "sample_paths"]
    assert sorted(rolling.__all__) == [
        "EvaluationOptions",
        "WaitValue",
        "commit_ids",
        "rolling_commitments",
        "sign_now_or_wait",
        "signed_chips",
        "solve_or_raise",
    ]
    assert sorted(policy_eval.__all__) == [
        "Evaluation",
        "Interval",
        "PathOutcome",
        "PolicyKind",
        "PolicySummary",
        "evaluate_policies",
        "evaluation_document",
    ]
    for mod in (conditional, rolling, policy_eval):
        for name in mod.__all__:
            assert hasattr(mod, name), name
