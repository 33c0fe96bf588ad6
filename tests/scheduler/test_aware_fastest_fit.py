"""Heterogeneity-aware max-min fairness answers a round where every group fits on its fastest
pool without computing the agnostic share (the yardstick): the LP's optimum there is each job
on its fastest pool, whatever the yardstick, so the shortcut must equal the LP solved the
long way."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from computebroker.scheduler.policies._lp import AllocationLp
from computebroker.scheduler.policies.max_min_fairness import MaxMinFairness
from computebroker.scheduler.policies.maxmin import agnostic_shares, fastest_fit, lp_shares


def _long_way(
    rates: np.ndarray, counts: np.ndarray, chips: np.ndarray, free: np.ndarray
) -> np.ndarray:
    """The aware LP through its yardstick, with no shortcut at all."""
    lp, weights = AllocationLp(), np.ones(len(counts))
    agn = agnostic_shares(lp, rates > 0, counts, chips, weights, free)
    iso = (rates * agn).sum(axis=1)
    a = np.where(iso[:, None] > 0, rates * (chips / np.where(iso > 0, iso, 1.0))[:, None], 0.0)
    return lp_shares(lp, a, counts, chips, free)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.floats(0.5, 50.0), min_size=3, max_size=3),
            st.integers(1, 3),
            st.sampled_from([1, 2, 4]),
        ),
        min_size=1,
        max_size=5,
    ),
    st.lists(st.integers(4, 24), min_size=3, max_size=3),
)
def test_the_shortcut_is_the_lps_answer(
    groups: list[tuple[list[float], int, int]], free: list[int]
) -> None:
    rates = np.array([g[0] for g in groups])
    counts = np.array([float(g[1]) for g in groups])
    chips = np.array([float(g[2]) for g in groups])
    pools = np.array([float(f) for f in free])
    got = MaxMinFairness().shares(AllocationLp(), rates, counts, chips, np.ones(len(groups)), pools)
    if fastest_fit(rates, counts, chips, pools) is not None:
        np.testing.assert_allclose(got, _long_way(rates, counts, chips, pools), atol=1e-6)


def test_by_hand_two_jobs_each_on_its_fastest_pool() -> None:
    # a job 3x faster on pool 0, another 2x faster on pool 1, one chip each, a chip free on
    # each: each all the time on its own fast pool
    rates = np.array([[3.0, 1.0], [1.0, 2.0]])
    x = MaxMinFairness().shares(
        AllocationLp(), rates, np.ones(2), np.ones(2), np.ones(2), np.array([1.0, 1.0])
    )
    assert x.tolist() == [[1.0, 0.0], [0.0, 1.0]]
