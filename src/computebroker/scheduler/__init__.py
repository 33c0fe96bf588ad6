"""Scheduler stage (library): where each job should run, decided by a policy.

Policies are pure: an ``AllocationInput`` in, an ``Allocation`` out (``types``), registered
by name in ``registry``; the throughput they weigh comes from a ``ThroughputTable``. The
simulator (``computebroker.sim``) drives them on virtual time; a live placement call can
drive them on wall time with the same code.
"""

from computebroker.scheduler.registry import POLICIES, Policy, get_policy, policy_names
from computebroker.scheduler.throughput import ThroughputTable
from computebroker.scheduler.types import (
    Allocation,
    AllocationInput,
    JobKind,
    JobState,
    Placement,
    PoolView,
    RateFn,
    SimJob,
)

__all__ = [
    "POLICIES",
    "Allocation",
    "AllocationInput",
    "JobKind",
    "JobState",
    "Placement",
    "Policy",
    "PoolView",
    "RateFn",
    "SimJob",
    "ThroughputTable",
    "get_policy",
    "policy_names",
]
