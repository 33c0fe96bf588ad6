"""The report's percentiles and timeline sampling are numpy's, computed without the numpy
functions (np.percentile, np.unique) whose first call imports numpy.ma at start-up."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from computebroker.sim.metrics import _pct

finite = st.floats(min_value=0.0, max_value=1e9, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=80), st.floats(min_value=0.0, max_value=100.0))
def test_percentile_is_numpys_bit_for_bit(values: list[float], q: float) -> None:
    assert _pct(values, q) == float(np.percentile(values, q))


def test_percentile_hand_computed() -> None:
    # four values: p50 halfway between the 2nd and 3rd, p99 at 0.97 of the way from 3rd to 4th
    assert _pct([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert _pct([1.0, 2.0, 3.0, 11.0], 99) == pytest.approx(3.0 + 0.97 * 8.0, rel=1e-12)
    assert _pct([7.0], 99) == 7.0
    assert _pct([], 50) is None
