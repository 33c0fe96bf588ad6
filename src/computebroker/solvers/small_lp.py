"""A small in-memory LP for the scheduler.

The planner builds its models with linopy; the scheduler's policies solve many tiny LPs (one
per reallocation) and call HiGHS directly through ``highspy``, reusing one solver object, so
each solve costs a fraction of a millisecond rather than a model build.
"""

from __future__ import annotations

import highspy
import numpy as np
import scipy.sparse as sp

from computebroker.errors import SolverError
from computebroker.solvers.highs import new_highs

__all__ = ["SmallLp"]


class SmallLp:
    """``min c.x`` s.t. ``row_lo <= A x <= row_hi``, ``col_lo <= x <= col_hi`` with one reused
    HiGHS instance (presolve off: these LPs are tiny and solved thousands of times)."""

    def __init__(self) -> None:
        self._h = new_highs(presolve="off")
        self.solves = 0

    def solve(
        self,
        c: np.ndarray,
        a: sp.csc_matrix,
        row_lo: np.ndarray,
        row_hi: np.ndarray,
        col_lo: np.ndarray,
        col_hi: np.ndarray,
    ) -> np.ndarray:
        """The optimal ``x``; raises ``SolverError`` when HiGHS finds none."""
        lp = highspy.HighsLp()
        lp.num_col_ = int(a.shape[1])
        lp.num_row_ = int(a.shape[0])
        lp.col_cost_ = np.asarray(c, dtype=float)
        lp.col_lower_ = np.asarray(col_lo, dtype=float)
        lp.col_upper_ = np.asarray(col_hi, dtype=float)
        lp.row_lower_ = np.asarray(row_lo, dtype=float)
        lp.row_upper_ = np.asarray(row_hi, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        lp.a_matrix_.num_col_ = int(a.shape[1])
        lp.a_matrix_.num_row_ = int(a.shape[0])
        h = self._h
        h.passModel(lp)
        h.run()
        self.solves += 1
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(
                f"HiGHS could not solve an allocation LP: {h.modelStatusToString(status)}"
            )
        x = np.asarray(h.getSolution().col_value, dtype=float)
        if x.shape != (lp.num_col_,) or not np.isfinite(x).all():
            raise SolverError("HiGHS reported an optimal allocation LP but returned no values")
        return x
