"""The replication formulas of docs/planner.md ("How sure the plan is"), by hand: the Student-t
interval and decision stability."""

from __future__ import annotations

import numpy as np
import pytest

from computebroker.planner.replicate import _interval, _stability


def test_student_t_interval_by_hand() -> None:
    # values 1..5: mean 3, sd (ddof 1) sqrt(2.5) = 1.581139; t_{4, 0.975} = 2.776445 (tables);
    # half-width 2.776445 x 1.581139 / sqrt(5) = 1.963243
    iv = _interval([1.0, 2.0, 3.0, 4.0, 5.0], 0.95)
    assert iv.mean == pytest.approx(3.0)
    assert iv.half_width == pytest.approx(1.963243, rel=1e-6)
    # 90%: t_{4, 0.95} = 2.131847 -> 2.131847 x 0.707107 = 1.507443
    assert _interval([1.0, 2.0, 3.0, 4.0, 5.0], 0.90).half_width == pytest.approx(
        1.507443, rel=1e-6
    )


def test_one_value_has_no_interval() -> None:
    assert _interval([7.0], 0.95).half_width == np.inf


def test_decision_stability_by_hand() -> None:
    a, b, c = np.array([1.0, 1.0]), np.array([1.0, 3.0]), np.array([0.0, 2.0])
    # |a - b| = 2 over |a| + |b| = 6: 1/3 apart, stability 2/3
    assert _stability([a, b]) == pytest.approx(2 / 3)
    # pairs: (a, b) 1/3, (a, c) 2/4, (b, c) 2/6: mean 7/18, stability 11/18
    assert _stability([a, b, c]) == pytest.approx(11 / 18)
    # disjoint decisions: 0; the same decision every time: 1
    assert _stability([np.array([1.0, 0.0]), np.array([0.0, 1.0])]) == pytest.approx(0.0)
    assert _stability([a, a, a]) == pytest.approx(1.0)
