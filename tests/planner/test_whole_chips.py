"""The schedule signs whole chips and its obligations are on those chips (leftover (d) of the
hostile sweep: the schedule showed ``round(chips)`` while each obligation and ``signed_usd``
used the LP's fractional chips, so chips x price x hours x periods did not give the obligation
printed next to it). Hand-computed on the economics module's one-offer plan."""

from __future__ import annotations

import pytest

from computebroker.planner import metrics
from tests.planner.test_economics import commit, doc, fixed_plan


def test_obligation_is_on_the_whole_chips_shown() -> None:
    # 1,234.56 chips signed in Q1, lead 1: the 4-quarter term runs Q2..Q5, one quarter past
    # the horizon. Whole chips: 1,235. Obligation: 1,235 x $2 x 1,000 h x 4 = $9.88M; past the
    # horizon: 1,235 x $2 x 1,000 h x 1 = $2.47M (not $9,876,480 and $2,469,120 on 1,234.56)
    _, plan = fixed_plan(doc([commit(lead_periods=1)]), 1234.56)
    m = metrics(plan)
    (row,) = m.schedule
    assert row.chips == 1235
    assert row.obligation_usd == pytest.approx(9_880_000.0, rel=1e-12)
    assert row.after_horizon_usd == pytest.approx(2_470_000.0, rel=1e-12)
    assert m.signed_usd == pytest.approx(9_880_000.0, rel=1e-12)
    assert m.signed_after_horizon_usd == pytest.approx(2_470_000.0, rel=1e-12)


def test_below_one_chip_is_not_signed() -> None:
    _, plan = fixed_plan(doc([commit()]), 0.4)
    m = metrics(plan)
    assert m.schedule == ()
    assert m.signed_usd == 0.0
