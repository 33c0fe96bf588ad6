"""``fifo-perf``: heterogeneity-aware first come, first served, re-placed every round — Gavel's
``fifo_perf`` (``FIFOPolicyWithPerf``, Narayanan et al., OSDI 2020).

Every round the placement starts afresh: in arrival order, each ready job goes to the pool
where it runs fastest among those with room for its gang; when the head job fits nowhere,
nothing behind it starts (no backfilling). Because nothing is pinned, a job that started on a
slow chip moves up to a faster one as soon as one frees (a move checkpoints it, so no work is
lost) — what ``greedy-fast``, which never moves a running job, cannot do. Services spread over
the fastest pools first.
"""

from __future__ import annotations

from computebroker.scheduler.policies.common import by_speed, fastest, place_in_order
from computebroker.scheduler.types import Allocation, AllocationInput

__all__ = ["FifoPerf"]


class FifoPerf:
    """Arrival order, fastest pool with room, re-placed every round."""

    name = "fifo-perf"
    preemptive = True
    reads_remaining = False

    def allocate(self, inp: AllocationInput) -> Allocation:
        """Place the active jobs from the head of the queue while they fit (``inp.free`` is
        the whole capacity: a preemptive policy re-places the running jobs too)."""
        return place_in_order(
            inp, range(len(inp.jobs)), fastest(inp), block=True, service_key=by_speed(inp)
        )
