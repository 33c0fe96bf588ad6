"""``greedy-fast``: each waiting job, in arrival order, on the fastest pool with room, with
backfilling. No solver: one pass over the queue per decision, so it scales to very large
traces (the 15 Philly virtual clusters, 100,000-job streams). Non-preemptive."""

from __future__ import annotations

from computebroker.scheduler.policies.common import Choice, fits, place_in_order
from computebroker.scheduler.types import Allocation, AllocationInput, SimJob

__all__ = ["GreedyFast"]


class GreedyFast:
    """Fastest free pool first, smaller jobs may pass a blocked one."""

    name = "greedy-fast"
    preemptive = False

    def allocate(self, inp: AllocationInput) -> Allocation:
        """Place every waiting job that fits somewhere."""

        def choose(job: SimJob, free: list[float]) -> Choice:
            best: Choice = None
            best_rate = 0.0
            for k in range(len(inp.pools)):
                n = fits(inp, job, k, free[k])
                if not n:
                    continue
                r = inp.rate(job, inp.pools[k], n)
                if r > best_rate:
                    best, best_rate = (k, n), r
            return best

        return place_in_order(
            inp,
            range(len(inp.jobs)),
            choose,
            service_key=lambda job, k: (-inp.rate(job, inp.pools[k], 1),),
        )
