"""``min-cost``: each job on the cheapest pool that still meets its deadline.

The cost of a job on a pool is the marginal price of its chips for the time its remaining
work takes there (capacity already committed costs nothing more to use; on-demand and spot
cost their price) plus moving its data out of its region (``data_gb`` x
``EGRESS_USD_PER_GB``). Among pools that finish it by its deadline the cheapest wins (ties:
the faster); with no such pool, the fastest. Jobs with deadlines are placed first, earliest
deadline first. Non-preemptive.
"""

from __future__ import annotations

from computebroker.scheduler.policies.common import Choice, fits, place_in_order
from computebroker.scheduler.types import Allocation, AllocationInput, JobKind, SimJob

__all__ = ["EGRESS_USD_PER_GB", "MinCost"]

# Inter-region data transfer, USD per GB: AWS's published rate between US regions
# (aws.amazon.com/ec2/pricing/on-demand, "Data Transfer within AWS", $0.02/GB); other clouds
# charge similar amounts for inter-region traffic.
EGRESS_USD_PER_GB = 0.02


class MinCost:
    """Cheapest pool that meets the deadline."""

    name = "min-cost"
    preemptive = False

    def allocate(self, inp: AllocationInput) -> Allocation:
        """Place waiting jobs, deadline jobs first (EDF), each on its cheapest adequate pool."""

        def choose(job: SimJob, free: list[float]) -> Choice:
            options = []
            for k, pool in enumerate(inp.pools):
                n = fits(inp, job, k, free[k])
                if not n:
                    continue
                r = inp.rate(job, pool, n)
                hours = (job.remaining / r / 3600.0) if job.kind is JobKind.TRAIN else 1.0
                egress = (
                    job.data_gb * EGRESS_USD_PER_GB
                    if job.data_region and pool.region not in ("any", job.data_region)
                    else 0.0
                )
                cost = pool.marginal_price * n * hours + egress
                on_time = job.deadline is None or inp.now + job.remaining / r <= job.deadline
                options.append((not on_time, cost if on_time else -r, -r, k, n))
            if not options:
                return None
            best = min(options)
            return best[3], best[4]

        order = sorted(
            range(len(inp.jobs)),
            key=lambda j: (
                inp.jobs[j].deadline is None,
                inp.jobs[j].deadline or 0.0,
                inp.jobs[j].index,
            ),
        )
        return place_in_order(inp, order, choose)
