"""A simulation ends even where the clock's resolution is coarser than what a job has left.

At 6.3e7 s (two years) a float second has 7.5e-9 s steps. In ``--rounds gavel`` a round ends
when its last placed job has run a round or finished; a job with less than half a step left
made the next round start at the very same time, over and over, while the job's completion,
booked from another time, waited one step later: the run never ended (155 million events at
one instant before it was stopped). Found by the fidelity bench on Gavel's multi-GPU
generator at 0.4 jobs/h, seed 1, with 7,500 jobs (the 6,250th arrival comes before that
instant, so shorter traces never met it); the run is checked end to end here, in a child
process with a time limit so that a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import subprocess
import sys

from computebroker.sim.simulator import after

_RUN = """
from computebroker.sim import SimConfig, parse_inline_fleet, simulate
from computebroker.sim.gavel import gavel_throughputs
from computebroker.sim.records import RoundMode
from computebroker.sim.traces import generate_gavel_trace

table = gavel_throughputs()
tr = generate_gavel_trace(
    7500, rate_per_hour=0.4, reference_rate=lambda jt, c: table.lookup(jt, "v100", c),
    seed=1, multi_chip=True,
)
st = simulate(
    parse_inline_fleet("v100=36,p100=36,k80=36"), tr, table,
    config=SimConfig(policy="max-min-fairness", rounds=RoundMode.GAVEL, seed=1,
                     until_s=tr.jobs[-1].arrival),
)
window = st.records[4000:5000]
print(sum(r.finished is not None for r in window))
"""


def test_the_next_round_is_after_now_where_now_plus_its_length_rounds_to_now() -> None:
    now = 62693134.792089395  # the instant the run above was stuck at
    assert now + 2e-9 == now  # the float fact behind it
    assert after(now, 2e-9) > now
    assert after(now, 2e-9) - now < 1e-8  # the next representable time, not a round later
    assert after(100.0, 5.0) == 105.0


def test_gavels_multi_gpu_generator_at_0_4_jobs_an_hour_seed_1_runs_to_its_end() -> None:
    # about 17 s of CPU on an idle core; the limit is for a loaded one
    out = subprocess.run(
        [sys.executable, "-c", _RUN], capture_output=True, text=True, check=True, timeout=240
    )
    assert out.stdout.split()[-1] == "1000"  # every job of Gavel's window finished
