"""A run whose jobs can never finish ends when no event is left, with them unfinished.

A fleet whose only pool falls to 0 chips for good (a commitment that ends) leaves its jobs
active with nothing left to happen: no arrival, completion or capacity step. The run used to
step an empty event queue ("internal error: IndexError" on the CLI); it ends there, and the
report counts those jobs unfinished.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from computebroker.catalog import shipped_catalog
from computebroker.sim import SimConfig, report, simulate
from computebroker.sim.fleet import load_fleet
from computebroker.sim.gavel import gavel_throughputs
from computebroker.sim.traces import read_trace

FLEET = """\
pools:
  - name: ending
    accelerator: v100
    price_chip_hour: 1.0
    capacity: [{at_hours: 0, chips: 4}, {at_hours: 1, chips: 0}]
"""
# two single-chip ResNet-18 jobs, each far longer than the pool's hour (Gavel's table: about
# 32 steps/s on a V100, so 1e7 steps take 3.6 days)
TRACE = """\
id,job_type,arrival_s,work,chips
a,ResNet-18 (batch size 16),0,1e7,1
b,ResNet-18 (batch size 16),600,1e7,1
"""


@pytest.mark.parametrize("policy", ["max-min-fairness", "fifo", "fifo-perf"])
def test_jobs_left_without_chips_end_the_run_unfinished(tmp_path: Path, policy: str) -> None:
    (tmp_path / "fleet.yaml").write_text(FLEET)
    (tmp_path / "trace.csv").write_text(TRACE)
    fleet = load_fleet(str(tmp_path / "fleet.yaml"), shipped_catalog())
    trace = read_trace(tmp_path / "trace.csv")
    st = simulate(fleet, trace, gavel_throughputs(), config=SimConfig(policy=policy))
    r = report(st)
    assert (r.jobs, r.finished, r.unfinished, r.rejected) == (2, 0, 2, 0)
    # each ran alone on a V100 until the chips went at 1 h: a from 0 s, b from its arrival at
    # 600 s (fifo, event-driven) or the next 6-minute round, 720 s (the preemptive policies)
    b_start = 600.0 if policy == "fifo" else 720.0
    rate = gavel_throughputs().lookup("resnet-18 (batch size 16)", "v100", 1)
    assert r.work_done == pytest.approx(rate * (3600 + 3600 - b_start), rel=1e-9)
