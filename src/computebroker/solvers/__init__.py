"""Solver plumbing shared by the stages.

* ``highs``: quiet HiGHS instances and quiet linopy solves, per instance and per thread (no
  process-wide output tricks). The scheduler's allocation LPs use ``new_highs`` through their
  own wrapper (``scheduler/policies/_lp.py``).
"""

from __future__ import annotations

from computebroker.solvers.highs import QUIET_OPTIONS, linopy_quiet, new_highs, prime_highs

__all__ = ["QUIET_OPTIONS", "linopy_quiet", "new_highs", "prime_highs"]
