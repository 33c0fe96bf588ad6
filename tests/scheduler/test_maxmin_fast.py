"""``fastest_fit``, the max-min LP's answer without the LP when every group of jobs fits on its
own best pool at once: where it answers, HiGHS on the full LP gives the same shares; where the
best pools are contended (chips or whole gangs) or a group's best pool is tied, it declines."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computebroker.scheduler.policies._lp import AllocationLp
from computebroker.scheduler.policies.maxmin import fastest_fit, lp_shares, max_min_shares


@st.composite
def rounds(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Small rounds: (a, counts, chips, free), a 0 where a group cannot run; throughputs from
    a short list so that ties happen."""
    n_units = draw(st.integers(1, 5))
    n_pools = draw(st.integers(1, 3))
    levels = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])
    a = np.array(draw(st.lists(levels, min_size=n_units * n_pools, max_size=n_units * n_pools)))
    counts = np.array(draw(st.lists(st.integers(1, 3), min_size=n_units, max_size=n_units)))
    chips = np.array(draw(st.lists(st.sampled_from([1, 2, 4]), min_size=n_units, max_size=n_units)))
    free = np.array(draw(st.lists(st.integers(0, 12), min_size=n_pools, max_size=n_pools)))
    return (
        a.reshape(n_units, n_pools),
        counts.astype(float),
        chips.astype(float),
        free.astype(float),
    )


@settings(max_examples=150, deadline=None)
@given(rounds())
def test_where_it_answers_the_lp_gives_the_same_shares(
    r: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    a, counts, chips, free = r
    usable = (a > 0) & (free[None, :] >= 1)
    fast = fastest_fit(np.where(usable, a, 0.0), counts, chips, free)
    if fast is None:
        return
    lp = lp_shares(AllocationLp(), a, counts, chips, free)
    np.testing.assert_allclose(fast, lp, atol=1e-7)


def test_an_uncontended_round_is_each_group_on_its_fastest_pool() -> None:
    # two 1-chip jobs, 3x and 2x faster on pool 0, which has 2 chips: both there, no LP needed
    a = np.array([[3.0, 1.0], [2.0, 1.0]])
    x = fastest_fit(a, np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([2.0, 2.0]))
    assert x is not None and x.tolist() == [[1.0, 0.0], [1.0, 0.0]]
    lp = AllocationLp()
    full = max_min_shares(lp, a, np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([2.0, 2.0]))
    assert full.tolist() == x.tolist() and lp.solves == 0


def test_contended_chips_tied_pools_and_whole_gangs_go_to_the_lp() -> None:
    one = np.array([1.0])
    # two jobs want pool 0, which has one chip
    assert (
        fastest_fit(
            np.array([[3.0, 1.0], [2.0, 1.0]]), np.ones(2), np.ones(2), np.array([1.0, 2.0])
        )
        is None
    )
    # a job as fast on either pool: which one is the LP's choice
    assert fastest_fit(np.array([[2.0, 2.0]]), one, one, np.array([4.0, 4.0])) is None
    # two 2-chip gangs on 3 chips (4 chips asked for); on 4 chips they fit, whole gangs too
    gang = np.array([2.0])
    assert fastest_fit(np.array([[1.0]]), gang, gang, np.array([3.0])) is None
    x = fastest_fit(np.array([[1.0]]), gang, gang, np.array([4.0]))
    assert x is not None and x.tolist() == [[1.0]]
    # a job that cannot run anywhere gets nothing and does not stop the others
    x = fastest_fit(
        np.array([[0.0, 0.0], [1.0, 2.0]]), np.ones(2), np.ones(2), np.array([1.0, 1.0])
    )
    assert x is not None and x.tolist() == [[0.0, 0.0], [0.0, 1.0]]


_SCHEDULER_PROBE = """
import sys
import highspy
import subprocess
import sys

import numpy as np
import pytest
from computebroker.scheduler.policies._lp import AllocationLp
from computebroker.scheduler.policies.maxmin import lp_shares
from computebroker.solvers import new_highs

first = sys.argv[1]
if first != "none":  # another HiGHS solve in the process starts the scheduler first
    h = new_highs(threads=int(first))
    h.passModel(1, 1, 1, 1, 1, 0.0, np.array([1.0]), np.array([0.0]), np.array([1.0]),
                np.array([0.5]), np.array([2.0]), np.array([0, 1], dtype=np.int32),
                np.array([0], dtype=np.int32), np.array([1.0]), np.zeros(1, dtype=np.int32))
    assert h.run() == highspy.HighsStatus.kOk
lp = AllocationLp()
# two single-chip jobs, one chip: half the time each, whatever the thread count
x = lp_shares(lp, np.array([[1.0], [1.0]]), np.array([1, 1]), np.array([1, 1]), np.array([1]))
print(x[:, 0].round(9).tolist(), lp._threads, lp.fallbacks)
"""


@pytest.mark.parametrize(("first", "threads"), [("none", 1), ("1", 1), ("2", 0)])
def test_the_lps_run_on_one_thread_or_on_the_scheduler_already_started(
    first: str, threads: int
) -> None:
    """HiGHS keeps one thread scheduler per process and refuses a solve asking for another
    count than it started with: the allocation LPs ask for one thread, and where an earlier
    solve started it with two they take that one (threads 0), with no attempt failed. A fresh
    process each, as the scheduler lives as long as the process."""
    out = subprocess.run(
        [sys.executable, "-c", _SCHEDULER_PROBE, first],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["[0.5,", "0.5]", str(threads), "0"]
