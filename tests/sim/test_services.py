"""Services: a demand curve served from the chips it can get; SLO attainment and shortfall."""

from __future__ import annotations

import pytest

from computebroker.scheduler import JobKind, SimJob
from computebroker.sim import SimConfig, Trace, report, simulate
from tests.sim.helpers import fleet, table


def test_service_demand_beyond_capacity_is_shortfall() -> None:
    # 4 chips at 1 unit/s each; demand 2/s for 100 s then 6/s for 100 s:
    # served 200 + 400 of 200 + 600 wanted -> 75%
    svc = SimJob(
        id="s", job_type="a", arrival=0.0, work=0.0, kind=JobKind.SERVE, end=200.0, index=0
    )
    tr = Trace(jobs=[svc], source="t", format="t", demand={"s": [(0.0, 2.0), (100.0, 6.0)]})
    st = simulate(
        fleet(("x", 4)),
        tr,
        table({("a", "x"): 1.0}),
        config=SimConfig(policy="slo-first", check_invariants=True),
    )
    r = report(st)
    assert r.slo_attainment == pytest.approx(0.75)
    assert r.service_shortfall == pytest.approx(200.0)
    rec = st.records[0]
    assert rec.finished == 200.0


def test_services_take_chips_before_training_under_slo_first() -> None:
    svc = SimJob(
        id="s", job_type="a", arrival=0.0, work=0.0, kind=JobKind.SERVE, end=100.0, index=1
    )
    train = SimJob(id="t", job_type="a", arrival=0.0, work=100.0, chips=2, index=0)
    tr = Trace(jobs=[train, svc], source="t", format="t", demand={"s": [(0.0, 3.0)]})
    st = simulate(
        fleet(("x", 4)),
        tr,
        table({("a", "x"): 1.0}),
        config=SimConfig(policy="slo-first", check_invariants=True),
    )
    r = report(st)
    assert r.slo_attainment == pytest.approx(1.0)
    t = next(x for x in st.records if x.id == "t")
    assert t.started == pytest.approx(100.0)  # waits for the service's chips
