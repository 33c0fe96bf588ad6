"""``slo-first``: latency-bound work first. Services get the chips their demand needs on the
fastest pool; then training jobs with deadlines, earliest deadline first; then the rest in
arrival order, each on the fastest pool with room. Non-preemptive."""

from __future__ import annotations

from computebroker.scheduler.policies.common import by_speed, fastest, place_in_order
from computebroker.scheduler.types import Allocation, AllocationInput, JobKind

__all__ = ["SloFirst"]


class SloFirst:
    """Services, then deadlines (EDF), then FIFO; fastest pool each."""

    name = "slo-first"
    preemptive = False
    reads_remaining = False

    def allocate(self, inp: AllocationInput) -> Allocation:
        """Place in SLO order."""

        def key(j: int) -> tuple[int, float, int]:
            job = inp.jobs[j]
            tier = 0 if job.kind is JobKind.SERVE else (1 if job.deadline is not None else 2)
            return tier, job.deadline or 0.0, job.index

        return place_in_order(
            inp, sorted(range(len(inp.jobs)), key=key), fastest(inp), service_key=by_speed(inp)
        )
