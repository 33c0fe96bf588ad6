"""The agnostic share when jobs may use different sets of pools: with room for them it is the
speed-blind spread (each job over the pools it may use, in proportion to their free chips),
the same whatever order the pools are listed in; where the spread does not fit it is the LP,
and either way no job gets less than the LP's max-min level."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computebroker.scheduler.policies._lp import AllocationLp
from computebroker.scheduler.policies.maxmin import agnostic_shares, lp_shares


def test_room_for_every_job_spreads_each_over_its_own_pools() -> None:
    # job 0 may use pools 0 and 1 (4 and 2 chips free), job 1 only pool 1: both run whole,
    # job 0 two thirds on pool 0 and one third on pool 1 (4:2), job 1 all on pool 1
    x = agnostic_shares(
        AllocationLp(),
        np.array([[True, True], [False, True]]),
        np.ones(2),
        np.ones(2),
        np.ones(2),
        np.array([4.0, 2.0]),
    )
    assert x == pytest.approx(np.array([[2 / 3, 1 / 3], [0.0, 1.0]]))


@st.composite
def roomy_rounds(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """(allowed, counts, free, a permutation of the pools): single-chip jobs, each allowed on
    at least one pool, and every pool with room for all of them."""
    n_units, n_pools = draw(st.integers(1, 5)), draw(st.integers(2, 4))
    rows = st.lists(st.booleans(), min_size=n_pools, max_size=n_pools).filter(any)
    allowed = np.array(draw(st.lists(rows, min_size=n_units, max_size=n_units)))
    counts = np.array(draw(st.lists(st.integers(1, 3), min_size=n_units, max_size=n_units)))
    extra = draw(st.lists(st.integers(0, 5), min_size=n_pools, max_size=n_pools))
    free = float(counts.sum()) + np.array(extra, dtype=float)
    perm = draw(st.permutations(range(n_pools)))
    return allowed, counts.astype(float), free, list(perm)


@settings(max_examples=150, deadline=None)
@given(roomy_rounds())
def test_with_room_the_share_does_not_depend_on_the_pools_order(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, list[int]],
) -> None:
    allowed, counts, free, perm = case
    ones = np.ones(len(counts))
    x = agnostic_shares(AllocationLp(), allowed, counts, ones, ones, free)
    y = agnostic_shares(AllocationLp(), allowed[:, perm], counts, ones, ones, free[perm])
    assert y == pytest.approx(x[:, perm], abs=1e-9)
    assert x.sum(axis=1) == pytest.approx(ones)  # room for all: every job runs whole
    assert ((x > 0) <= allowed).all()


@st.composite
def rounds(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(allowed, counts, chips, free): gangs of 1-4 chips on 1-3 pools, contended or not."""
    n_units, n_pools = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    rows = st.lists(st.booleans(), min_size=n_pools, max_size=n_pools).filter(any)
    allowed = np.array(draw(st.lists(rows, min_size=n_units, max_size=n_units)))
    counts = draw(st.lists(st.integers(1, 3), min_size=n_units, max_size=n_units))
    chips = draw(st.lists(st.sampled_from([1, 2, 4]), min_size=n_units, max_size=n_units))
    free = draw(st.lists(st.integers(0, 12), min_size=n_pools, max_size=n_pools))
    return allowed, np.array(counts, float), np.array(chips, float), np.array(free, float)


@settings(max_examples=200, deadline=None)
@given(rounds())
def test_no_job_gets_less_than_the_lps_level_and_the_pools_hold_the_share(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    allowed, counts, chips, free = case
    ones = np.ones(len(counts))
    x = agnostic_shares(AllocationLp(), allowed, counts, chips, ones, free)
    usable = allowed & (free[None, :] >= 1)
    runs = usable.any(axis=1)
    # the reference: the max-min LP itself, every allowed pool counting the same
    a = usable * chips[:, None]
    level = (a * lp_shares(AllocationLp(), a, counts, chips, free)).sum(axis=1)[runs]
    got = (chips[:, None] * x).sum(axis=1)[runs]
    if runs.any():
        assert got.min() >= level.min() - 1e-6
    assert ((counts * chips) @ x <= free + 1e-6).all()
    assert (x.sum(axis=1) <= 1 + 1e-9).all() and ((x > 1e-12) <= usable).all()
