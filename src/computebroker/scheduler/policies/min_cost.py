"""``min-cost``: each job on the cheapest pool that still meets its deadline.

The cost of a job on a pool is the marginal price of its chips for the time its remaining
work takes there — on spot capacity at the rate left after interruptions (each costs half a
checkpoint interval of work and a restart, and a gang of n chips is interrupted n times as
often), so big gangs stay off spot — (capacity already committed costs nothing more to use; on-demand and spot
cost their price) plus moving its data out of its region (``data_gb`` x
``EGRESS_USD_PER_GB``). Among pools that finish it by its deadline the cheapest wins (ties:
the faster); with no such pool, the fastest. Services go first (latency-bound work cannot
wait), then jobs with deadlines, earliest first, then the rest in arrival order.
Non-preemptive.
"""

from __future__ import annotations

from computebroker.scheduler.policies.common import Choice, fits, place_in_order
from computebroker.scheduler.types import Allocation, AllocationInput, JobKind, JobState

__all__ = ["EGRESS_USD_PER_GB", "MinCost"]

# Inter-region data transfer, USD per GB: AWS's published rate between US regions
# (aws.amazon.com/ec2/pricing/on-demand, "Data Transfer within AWS", $0.02/GB); other clouds
# charge similar amounts for inter-region traffic.
EGRESS_USD_PER_GB = 0.02
RESTART_S = 300.0  # time to restart after an interruption, for pricing spot (the fleet's default)


class MinCost:
    """Cheapest pool that meets the deadline."""

    name = "min-cost"
    preemptive = False
    reads_remaining = True

    def allocate(self, inp: AllocationInput) -> Allocation:
        """Place waiting jobs, deadline jobs first (EDF), each on its cheapest adequate pool."""

        def choose(job: JobState, free: list[float]) -> Choice:
            options = []
            for k, pool in enumerate(inp.pools):
                n = fits(inp, job, k, free[k])
                if not n:
                    continue
                r = inp.rate(job, pool, n)
                if pool.preemption_per_chip_hour > 0 and job.kind is JobKind.TRAIN:
                    per_s = pool.preemption_per_chip_hour * n / 3600.0
                    r = r / (1.0 + per_s * (job.checkpoint_s / 2 + RESTART_S))
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

        def key(j: int) -> tuple[int, float, int]:
            job = inp.jobs[j]
            tier = 0 if job.kind is JobKind.SERVE else (1 if job.deadline is not None else 2)
            return tier, job.deadline or 0.0, job.index

        order = sorted(range(len(inp.jobs)), key=key)
        # services: paid-for capacity first, then the cheapest, each pool the faster first
        return place_in_order(
            inp,
            order,
            choose,
            service_key=lambda job, k: (
                inp.pools[k].marginal_price,
                -inp.rate(job, inp.pools[k], 1),
            ),
        )
