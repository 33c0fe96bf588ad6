"""Solver plumbing shared by the stages.

* ``highs``: quiet HiGHS instances and quiet linopy solves, per instance and per thread (no
  process-wide output tricks);
* ``small_lp``: a reused in-memory HiGHS LP for the scheduler's many tiny allocation LPs.
"""

from __future__ import annotations

from computebroker.solvers.highs import QUIET_OPTIONS, linopy_quiet, new_highs, prime_highs
from computebroker.solvers.small_lp import SmallLp

__all__ = ["QUIET_OPTIONS", "SmallLp", "linopy_quiet", "new_highs", "prime_highs"]
