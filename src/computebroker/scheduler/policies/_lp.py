"""The allocation LPs' solver: HiGHS through ``highspy``, one instance kept warm, and fallbacks.

Policies solve one small LP per round, thousands of times a run, so the first attempt is the
fast one for tiny LPs (simplex, presolve off). A large or degenerate round can defeat it
(HiGHS answers "Unknown" on 10,000-chip max-min rounds with presolve off and solves them with
it on), so each failure falls back to presolve on, then to the interior-point solver; only
when every attempt fails is it an error, naming the round and what each attempt answered.

The constraint matrix comes in coordinate form and is compressed by column here with numpy
(no scipy), and ``highspy`` is imported on the first solve: building a policy costs nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from computebroker.errors import SolverError

__all__ = ["ATTEMPTS", "AllocationLp", "csc"]

# HiGHS options of each attempt, in order (names and values from the HiGHS options reference)
# The first, for the thousands of tiny LPs, also leaves the matrix unscaled
# (simplex_scale_strategy 0, "off"): the allocation LPs' entries are shares, gang-size
# multiples and rates normalised to the agnostic share, all within a few orders of magnitude,
# and scaling each one cost more than it saved (heterogeneity-aware LAS on the 1,000-job
# multi-GPU Gavel-generator trace: 2-15% less CPU in alternating runs at load 10-18, average
# JCT equal to 1e-5; measured 2026-12-01). An LP it fails on goes to the next attempt, which resets every option.
ATTEMPTS: tuple[dict[str, str | int | float], ...] = (
    {"presolve": "off", "solver": "simplex", "simplex_scale_strategy": 0},
    {"presolve": "on", "solver": "simplex"},
    {"presolve": "on", "solver": "ipm"},
)
# One HiGHS thread for these LPs: they are tiny (about 50 rows and 70 columns) and solved by
# serial simplex, and HiGHS's default (half the cores) only adds a per-solve cost of waking
# and querying its worker threads: heterogeneity-aware LAS on the 1,000-job multi-GPU
# Gavel-generator trace 1.03-1.05 s of CPU against 1.11-1.13 s in alternating runs, results
# bit for bit equal (measured 2026-12-01). HiGHS keeps one thread scheduler per process and
# refuses a solve asking for another count than the one it started with (another solve in
# the process may have come first), so then the LPs take the scheduler there is (``threads``
# 0, HiGHS's default).
THREADS = 1


def csc(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_cols: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column starts, row indices and values of a matrix given by its entries (duplicates are
    kept as separate entries; HiGHS sums them).

    Examples
    --------
    >>> start, index, value = csc(np.array([1, 0, 0]), np.array([0, 1, 0]), np.array([5., 6., 7.]), 2)
    >>> start.tolist(), index.tolist(), value.tolist()
    ([0, 2, 3], [0, 1, 0], [7.0, 5.0, 6.0])
    """
    order = np.lexsort((rows, cols))
    c = np.asarray(cols)[order]
    start = np.searchsorted(c, np.arange(n_cols + 1), side="left").astype(np.int32)
    return start, np.asarray(rows, dtype=np.int32)[order], np.asarray(vals, dtype=float)[order]


# passModel's codes (HiGHS's MatrixFormat::kColwise and ObjSense::kMinimize)
_COLWISE, _MINIMIZE = 1, 1


class AllocationLp:
    """``min c.x`` s.t. ``row_lo <= A x <= row_hi``, ``col_lo <= x <= col_hi``, with ``A``
    given by its entries ``(rows, cols, vals)`` and ``n_rows`` rows."""

    def __init__(self, attempts: tuple[dict[str, str | int | float], ...] = ATTEMPTS) -> None:
        self._h: Any = None
        self._attempts = attempts
        self._options: dict[str, str | int | float] | None = None  # the attempt's, as set now
        self._threads = THREADS  # 0 once HiGHS's scheduler is found started with another count
        self.solves = 0
        self.fallbacks = 0  # solves that needed more than the first attempt
        self.warm = 0  # solves started from the basis of an earlier LP of the same shape
        # optimal bases by the LP's sparsity pattern: a round whose groups and pools are those
        # of an earlier one (only counts and free chips changed) starts from its basis
        self._bases: dict[tuple[int, int, int], Any] = {}

    def _highs(self) -> Any:
        if self._h is None:
            from computebroker.solvers import new_highs

            self._h = new_highs()
        return self._h

    def _set_options(self, h: Any, options: dict[str, str | int | float]) -> None:
        """The attempt's options, set once while the same attempt keeps working."""
        if self._options is options:
            return
        h.resetOptions()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", self._threads)
        for k, v in options.items():
            h.setOptionValue(k, v)
        self._options = options

    def _run(self, h: Any, highspy: Any) -> Any:
        """``h.run()``'s model status; when HiGHS refuses the thread count (its scheduler was
        started with another by an earlier solve in this process: status error, model not
        set), the solve is made again on that scheduler, as are the later ones."""
        refused = h.run() == highspy.HighsStatus.kError
        status = h.getModelStatus()
        if refused and status == highspy.HighsModelStatus.kNotset and self._threads != 0:
            self._threads = 0
            h.setOptionValue("threads", 0)
            h.run()
            status = h.getModelStatus()
        return status

    def solve(
        self,
        c: np.ndarray,
        entries: tuple[np.ndarray, np.ndarray, np.ndarray],
        n_rows: int,
        bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        *,
        context: str = "",
    ) -> np.ndarray:
        """The optimal ``x``; ``bounds`` are ``(row_lo, row_hi, col_lo, col_hi)``. Raises
        ``SolverError`` (with ``context`` and each attempt's status) when every attempt
        fails."""
        matrix = csc(*entries, len(c))
        return self.solve_columns(c, matrix, n_rows, bounds, context=context)

    def solve_columns(
        self,
        c: np.ndarray,
        matrix: tuple[np.ndarray, np.ndarray, np.ndarray],
        n_rows: int,
        bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        *,
        context: str = "",
    ) -> np.ndarray:
        """``solve`` with the matrix already compressed by column, as ``csc`` gives it:
        (column starts, row indices in order within each column, values)."""
        import highspy

        h = self._highs()
        n_cols, n_rows = len(c), int(n_rows)
        start, index, value = matrix
        row_lo, row_hi, col_lo, col_hi = (np.asarray(b, dtype=float) for b in bounds)
        cost = np.asarray(c, dtype=float)
        # the array form of passModel (no HighsLp object to fill field by field); every column
        # continuous (HiGHS's kContinuous is 0: an LP)
        continuous = np.zeros(n_cols, dtype=np.int32)
        model = (
            *(n_cols, n_rows, len(value), _COLWISE, _MINIMIZE, 0.0),
            *(cost, col_lo, col_hi, row_lo, row_hi, start, index, value, continuous),
        )
        self.solves += 1
        shape = (n_rows, n_cols, hash((start.tobytes(), index.tobytes())))
        seen: list[str] = []
        for i, options in enumerate(self._attempts):
            self._set_options(h, options)
            h.passModel(*model)
            basis = self._bases.get(shape) if i == 0 else None
            if basis is not None:
                h.setBasis(basis)
                self.warm += 1
            status = self._run(h, highspy)
            if status == highspy.HighsModelStatus.kOptimal:
                x = np.asarray(h.getSolution().col_value, dtype=float)
                if np.isfinite(x).all():
                    self.fallbacks += i > 0
                    if len(self._bases) >= 64:
                        self._bases.clear()
                    self._bases[shape] = h.getBasis()
                    return x
            answer = h.modelStatusToString(status)
            if status == highspy.HighsModelStatus.kOptimal:
                answer = "a solution with NaN or infinite values"
            seen.append(f"{', '.join(f'{k} {v}' for k, v in options.items())}: {answer}")
            h.clearSolver()
        where = f" {context}" if context else ""
        raise SolverError(
            f"HiGHS could not solve the allocation LP{where} ({n_rows:,} rows, {n_cols:,} "
            f"columns); tried {'; '.join(seen)}"
        )
