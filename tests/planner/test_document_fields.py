"""``plan.json``'s typed records carry every figure of the planner's results: a field added to
``PlanMetrics`` or ``Commitment`` without its record would fail every plan at write time."""

from __future__ import annotations

import dataclasses

from computebroker.planner.document import CommitmentRow, ConvergenceRecord, MetricsRecord
from computebroker.planner.result import Commitment, Convergence, PlanMetrics


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_metrics_record_mirrors_plan_metrics() -> None:
    assert set(MetricsRecord.model_fields) == _fields(PlanMetrics) - {"schedule"}


def test_commitment_row_mirrors_commitment() -> None:
    assert set(CommitmentRow.model_fields) == _fields(Commitment)


def test_convergence_record_mirrors_convergence() -> None:
    assert set(ConvergenceRecord.model_fields) == _fields(Convergence)
