"""Chips without an on-demand list price still rank in ``estimate train -a all``: Trainium2 at
its published Capacity Block rate, TPU7x at a labelled estimate (whose derivation the report
carries), each checked against the published figure it comes from."""

from __future__ import annotations

import pytest

from computebroker.catalog import ContractKind, load_catalog
from computebroker.perf import TrainingRequest, estimate_training, get_model
from computebroker.perf.estimate import TrainingReport
from computebroker.reports.perf import training_report_record


def _report(acc: str) -> TrainingReport:
    (r,) = estimate_training(
        load_catalog(),
        TrainingRequest(model=get_model("llama3-8b"), accelerator=acc, chips=64, tokens=1e12),
    )
    return r


def test_trn2_ranks_at_its_capacity_block_rate() -> None:
    # AWS EC2 Capacity Blocks pricing (2026-01-31): trn2.48xlarge $35.7608 per instance-hour
    # in US East (Ohio), 16 chips -> $2.2351 per chip-hour; trn2.3xlarge (1 chip) $2.235 in
    # Melbourne; no discount is stacked on either.
    r = _report("trn2")
    assert r.cheapest is not None and not r.spot_only and not r.price_estimate
    assert r.cheapest.quote.price_chip_hour == pytest.approx(min(35.7608 / 16, 2.235))
    assert r.cheapest.quote.kind is ContractKind.CAPACITY_BLOCK


def test_tpu_v7_ranks_at_a_labelled_estimate() -> None:
    # SemiAnalysis' TPUv7 3-year rent is $2.00 per chip-hour; the shipped on-demand-equivalent
    # is $2.00 / (1 - 0.40 GCP TPU 3-year CUD), so the 3-year line reproduces the $2.00.
    r = _report("tpu-v7")
    assert r.cheapest is not None
    assert r.cheapest.quote.kind is ContractKind.COMMIT_3Y
    assert r.cheapest.quote.price_chip_hour == pytest.approx(2.00, abs=1e-4)
    assert r.price_estimate.startswith("ESTIMATE") and "$2.00" in r.price_estimate
    assert {c.quote.confidence for c in r.costs} == {"estimate"}
    rec = training_report_record(r)
    assert rec["cheapest_contract"] == "commit-3y (estimated price)"
    assert rec["price_estimate"] == r.price_estimate


def test_published_prices_are_not_labelled_estimates() -> None:
    r = _report("h100")
    assert r.cheapest is not None and r.price_estimate == ""
    assert "price_estimate" in training_report_record(r)
