"""Policy names, aliases and "did you mean" errors: the one place policies are registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from computebroker.errors import UnknownNameError
from computebroker.scheduler.policies.fifo import Fifo
from computebroker.scheduler.policies.fifo_perf import FifoPerf
from computebroker.scheduler.policies.greedy_fast import GreedyFast
from computebroker.scheduler.policies.min_cost import MinCost
from computebroker.scheduler.policies.slo_first import SloFirst
from computebroker.scheduler.types import Allocation, AllocationInput

__all__ = ["POLICIES", "Policy", "get_policy", "policy_names"]


class Policy(Protocol):
    """What every policy is: a name, whether it moves running jobs, whether it reads the
    jobs' remaining work (the simulator then brings it up to date before every decision), and
    ``allocate``."""

    name: str
    preemptive: bool
    reads_remaining: bool

    def allocate(self, inp: AllocationInput) -> Allocation:
        """Placements for the jobs of ``inp`` (see ``scheduler.types``)."""
        ...


# The LP policies' modules (numpy, HiGHS) are imported when one is made, so that listing the
# names (a command's --help) loads none of the numerical stack.
def _max_min_fairness() -> Policy:
    from computebroker.scheduler.policies.max_min_fairness import MaxMinFairness

    return MaxMinFairness()


def _max_min_fairness_agnostic() -> Policy:
    from computebroker.scheduler.policies.max_min_fairness import MaxMinFairnessAgnostic

    return MaxMinFairnessAgnostic()


def _min_makespan() -> Policy:
    from computebroker.scheduler.policies.min_makespan import MinMakespan

    return MinMakespan()


POLICIES: dict[str, Callable[[], Policy]] = {
    "fifo": Fifo,
    "fifo-perf": FifoPerf,
    "max-min-fairness": _max_min_fairness,
    "max-min-fairness-agnostic": _max_min_fairness_agnostic,
    "min-cost": MinCost,
    "min-makespan": _min_makespan,
    "slo-first": SloFirst,
    "greedy-fast": GreedyFast,
}

# Other names people use, including Gavel's policy names (where "max_min_fairness" is the
# heterogeneity-*agnostic* one).
ALIASES = {
    "las": "max-min-fairness",
    "gavel": "max-min-fairness",
    "las-agnostic": "max-min-fairness-agnostic",
    "gavel:max_min_fairness": "max-min-fairness-agnostic",
    "gavel:max_min_fairness_perf": "max-min-fairness",
    "gavel:min_total_duration": "min-makespan",
    "gavel:fifo": "fifo",
    "gavel:fifo_perf": "fifo-perf",
    "greedy": "greedy-fast",
    "cost": "min-cost",
    "edf": "slo-first",
}


def policy_names() -> list[str]:
    """The registered names."""
    return list(POLICIES)


def get_policy(name: str) -> Policy:
    """A fresh policy instance by name or alias.

    Examples
    --------
    >>> get_policy("las").name
    'max-min-fairness'
    >>> get_policy("fifo").preemptive
    False
    """
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in POLICIES:
        raise UnknownNameError(
            kind="policy", name=name, known=[*POLICIES, *ALIASES], field="--policy"
        )
    return POLICIES[key]()
