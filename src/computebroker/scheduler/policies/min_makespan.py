"""``min-makespan``: finish the whole batch as early as possible (Gavel's minimize-makespan
policy, Narayanan et al., OSDI 2020, section 4.1): maximise the slowest job's rate of progress
``sum_k throughput[j,k] x[j,k] / remaining[j]``, i.e. minimise the time the last job needs.
Preemptive; services first."""

from __future__ import annotations

import numpy as np

from computebroker.scheduler.policies._lp import AllocationLp
from computebroker.scheduler.policies.common import round_label, services_first
from computebroker.scheduler.policies.maxmin import max_min_shares
from computebroker.scheduler.types import Allocation, AllocationInput, Placement

__all__ = ["MinMakespan"]


class MinMakespan:
    """Max-min of the fraction of remaining work done per second."""

    name = "min-makespan"
    preemptive = True
    reads_remaining = True

    def __init__(self) -> None:
        self._lp: AllocationLp | None = None

    def allocate(self, inp: AllocationInput) -> Allocation:
        """One LP row per job (remaining work differs job to job)."""
        done, free, rest = services_first(inp)
        ready = [j for j in rest if inp.jobs[j].ready_at <= inp.now and inp.jobs[j].remaining > 0]
        if not ready:
            return Allocation(placements=done)
        rates = np.array(
            [[inp.rate(inp.jobs[j], p, inp.jobs[j].chips) for p in inp.pools] for j in ready],
            dtype=float,
        )
        remaining = np.array([inp.jobs[j].remaining for j in ready], dtype=float)
        a = rates / remaining[:, None]
        top = a.max()
        if top <= 0:
            return Allocation(placements=done)
        chips = np.array([inp.jobs[j].chips for j in ready], dtype=float)
        self._lp = self._lp or AllocationLp()
        x = max_min_shares(
            self._lp,
            a / top,
            np.ones(len(ready)),
            chips,
            np.asarray(free, dtype=float),
            context=round_label(self.name, inp),
        )
        out = list(done)
        for u, k in zip(*np.nonzero(x > 1e-6), strict=True):
            out.append(
                Placement(job=ready[u], pool=int(k), share=float(x[u, k]), chips=int(chips[u]))
            )
        return Allocation(placements=out)
