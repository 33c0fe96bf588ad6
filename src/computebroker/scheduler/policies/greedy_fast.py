"""``greedy-fast``: each waiting job, in arrival order, on the fastest pool with room, with
backfilling. No solver: one pass over the queue per decision, so it scales to very large
traces (the 15 Philly virtual clusters, 100,000-job streams). Non-preemptive."""

from __future__ import annotations

from computebroker.scheduler.policies.common import by_speed, fastest, place_in_order
from computebroker.scheduler.types import Allocation, AllocationInput

__all__ = ["GreedyFast"]


class GreedyFast:
    """Fastest free pool first, smaller jobs may pass a blocked one."""

    name = "greedy-fast"
    preemptive = False
    reads_remaining = False

    def allocate(self, inp: AllocationInput) -> Allocation:
        """Place every waiting job that fits somewhere."""
        return place_in_order(inp, range(len(inp.jobs)), fastest(inp), service_key=by_speed(inp))
