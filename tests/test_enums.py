"""Closed sets are StrEnums; every member is mapped where a mapping exists."""

from __future__ import annotations

from computebroker.catalog import ContractKind


def test_contract_kinds_have_term_hints() -> None:
    for kind in ContractKind:
        assert kind.term_hint_months >= 0
    assert {k for k in ContractKind if k.is_commitment} == {
        ContractKind.COMMIT_1Y,
        ContractKind.COMMIT_3Y,
        ContractKind.CAPACITY_BLOCK,
        ContractKind.DEAL,
    }
