"""``fifo``: first come, first served, blind to chip speed; the head of the queue blocks.

Each job, in arrival order, goes to the allowed pool with the most free chips; when the head
job does not fit anywhere, nothing behind it starts (no backfilling). Non-preemptive: a job
stays where it started.

The type choice, and how it differs from Gavel's: Gavel's ``fifo`` picks uniformly at random
among the worker types with room for the gang, from an RNG inside the policy. Policies here
draw no random numbers (the same answer for the same input, on virtual or wall time), so the
speed-blind choice is the pool with the most free chips (ties: the first listed) — it spreads
jobs over the pools as a random pick does on average, and never looks at throughput. For the
speed-aware FIFO that moves jobs up to faster chips, use ``fifo-perf``.
"""

from __future__ import annotations

from computebroker.scheduler.policies.common import Choice, fits, place_in_order
from computebroker.scheduler.types import Allocation, AllocationInput, JobState

__all__ = ["Fifo"]


class Fifo:
    """Strict first-in first-out."""

    name = "fifo"
    preemptive = False
    reads_remaining = False

    def allocate(self, inp: AllocationInput) -> Allocation:
        """Place the queue's head jobs while they fit."""

        def choose(job: JobState, free: list[float]) -> Choice:
            best: Choice = None
            for k in range(len(inp.pools)):
                n = fits(inp, job, k, free[k])
                if n and (best is None or free[k] > free[best[0]]):
                    best = (k, n)
            return best

        return place_in_order(
            inp,
            range(len(inp.jobs)),
            choose,
            block=True,
            service_key=lambda job, k: (-inp.free[k],),
        )
