"""A job the fleet can never run falls short by all of its work (leftover (c) of the hostile
sweep): the simulator used to skip rejected jobs, so the plan's realisation
(workflow/realised.py) billed no shortfall penalty for them. Hand-computed on one chip."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from computebroker.planner.problem import MUSD
from computebroker.scheduler.types import JobKind
from computebroker.sim import SimConfig, report, simulate
from computebroker.sim.simulator import curve_work
from computebroker.workflow.realised import realise
from tests.sim.helpers import fleet, job, table, trace

RATE = table({("a", "x"): 1.0})  # 1 unit of work per second per chip; type "s" runs nowhere


def _run() -> Any:
    tr = trace(
        job("A", 0, 100, deadline=200.0),  # runs 0..100 on the chip: on time
        job("B", 0, 50, chips=4, deadline=200.0),  # a 4-chip gang, one chip: rejected, 50 short
        job("C", 0, 30, chips=4),  # rejected, but no deadline: nothing is late
        job("S", 10, 0, jt="s", kind=JobKind.SERVE, end=110.0),  # rejected service
    )
    # the service wants 2/s from 10 to 60 and 3/s from 60 to 110: 2 x 50 + 3 x 50 = 250
    tr = replace(tr, demand={"S": [(0.0, 2.0), (60.0, 3.0)]})
    return report(simulate(fleet(("x", 1)), tr, RATE, config=SimConfig(policy="fifo")))


def test_rejected_jobs_count_as_shortfall() -> None:
    r = _run()
    assert r.rejected == 3
    assert r.shortfall_by_type == pytest.approx({"a": 50.0, "s": 250.0})


def test_curve_work_by_hand() -> None:
    curve = [(0.0, 2.0), (60.0, 3.0)]
    assert curve_work(curve, 10.0, 110.0) == pytest.approx(250.0)
    assert curve_work(curve, 70.0, 80.0) == pytest.approx(30.0)
    assert curve_work([], 0.0, 100.0) == 0.0


def test_realise_bills_the_rejected_work() -> None:
    r = _run()
    # penalty per unit of work = penalty * MUSD / scale: class a $2/unit, class s $0.5/unit
    p = SimpleNamespace(
        workloads=["a", "s"], penalty=np.array([2.0, 1.0]) / MUSD, scale=np.array([1.0, 2.0])
    )
    plan = SimpleNamespace(cost_nominal=np.array([1.0, 2.0]))
    m = SimpleNamespace(
        post_horizon_nominal_usd=0.0, expected_cost_usd=0.0, expected_unmet_fraction={}
    )
    demand = np.array([[180.0], [250.0]])  # the path: a's 100 + 50 + 30, s's 250
    out = realise(r, cast(Any, p), cast(Any, plan), cast(Any, m), demand)
    assert out.penalty_usd == pytest.approx(50 * 2.0 + 250 * 0.5)  # 225
    assert out.unmet_by_class == pytest.approx({"a": 50 / 180, "s": 1.0})
    assert out.total_usd == pytest.approx(r.cost_usd + 225.0)
