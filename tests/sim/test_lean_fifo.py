"""``fifo``'s lean decision (``SimConfig.lean_fifo``, the default) against the general policy
path on random small instances (hypothesis): the same records, placement log, timeline and
pool integrals, bit for bit, with and without faults, event-driven and with rounds."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computebroker.sim import SimConfig, SimState, simulate
from computebroker.sim.faults import FaultSpec
from tests.strategies import sim_cases

from .helpers import fleet, job, table, trace


def _both(case: tuple[Any, Any, Any, str], **kw: Any) -> tuple[SimState, SimState]:
    fl, tr, tab, _ = case
    faults = kw.pop("faults", [])
    out = []
    for lean in (True, False):
        cfg = SimConfig(
            policy="fifo",
            check_invariants=True,
            record_allocations=True,
            until_s=200_000.0,
            lean_fifo=lean,
            **kw,
        )
        out.append(simulate(fl, tr, tab, faults=faults, config=cfg))
    return out[0], out[1]


def _same(a: SimState, b: SimState) -> None:
    assert a.records == b.records
    assert a.allocations == b.allocations
    assert (a.end, a.reallocations, a.events) == (b.end, b.reallocations, b.events)
    assert (a.busy_chip_s, a.capacity_chip_s, a.paid_chip_s) == (
        b.busy_chip_s,
        b.capacity_chip_s,
        b.paid_chip_s,
    )
    assert (a.timeline_t, a.timeline_used) == (b.timeline_t, b.timeline_used)


@settings(max_examples=150, deadline=None)
@given(
    case=sim_cases(),
    seed=st.integers(0, 3),
    outage=st.booleans(),
    spot=st.booleans(),
    rounds=st.sampled_from([None, 0.0, 30.0]),
)
def test_lean_fifo_matches_the_policy(
    case: tuple[Any, Any, Any, str], seed: int, outage: bool, spot: bool, rounds: float | None
) -> None:
    first = case[0].pools[0].view.name
    faults = []
    if outage:
        faults.append(
            FaultSpec(
                kind="outage", pool=first, start_h=50 / 3600, duration_h=40 / 3600, restart_s=10.0
            )
        )
    if spot:
        faults.append(
            FaultSpec(kind="preemption", pool=first, rate_per_chip_hour=20.0, restart_s=5.0)
        )
    lean, general = _both(case, faults=faults, seed=seed, round_seconds=rounds)
    _same(lean, general)


def test_lean_fifo_by_hand() -> None:
    """3 chips on x, 2 on y; the head (2 chips) goes where most chips are free, the next (2)
    to y, the third (1) waits for the first to end: by hand, starts 0, 0, 10."""
    tr = trace(
        job("a", 0.0, 20.0, chips=2),
        job("b", 0.0, 20.0, chips=2),
        job("c", 0.0, 20.0, chips=2),
    )
    case = (fleet(("x", 3), ("y", 2)), tr, table({("a", "x"): 1.0, ("a", "y"): 1.0}), "fifo")
    lean, general = _both(case)
    _same(lean, general)
    assert [r.started for r in lean.records] == [0.0, 0.0, 10.0]
    assert [sorted(r.pools) for r in lean.records] == [["x"], ["y"], ["x"]]


def test_min_chips_takes_the_general_path() -> None:
    """A job with ``min_chips`` may start smaller (the policy's ``fits``): same answer."""
    tr = trace(job("a", 0.0, 20.0, chips=2), job("b", 0.0, 20.0, chips=4, min_chips=1))
    case = (fleet(("x", 3)), tr, table({("a", "x"): 1.0}), "fifo")
    lean, general = _both(case)
    _same(lean, general)
    assert [r.started for r in lean.records] == [0.0, 0.0]


def test_the_library_leaves_the_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run never pauses or resumes the cyclic collector (a process-wide setting: only the
    CLI's edge, ``cli.simulate_cmd``, pauses it for a run)."""

    def touched() -> None:
        raise AssertionError("the simulator changed the garbage collector's setting")

    monkeypatch.setattr(gc, "disable", touched)
    monkeypatch.setattr(gc, "enable", touched)
    case = (fleet(("x", 1)), trace(job("a", 0.0, 5.0)), table({("a", "x"): 1.0}), "fifo")
    _same(*_both(case))
    assert gc.isenabled()
