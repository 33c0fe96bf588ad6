"""What a solve's end means for the plan: every linopy termination condition mapped to a
planner status, and the facts HiGHS knows about the solution it stopped with.

The table :data:`TERMINATION` maps each :class:`linopy.constants.TerminationCondition` (a test
checks that none is missing). Whether a plan exists is then decided by HiGHS's own word on the
solution it holds (``primal_solution_status``), never by the values linopy hands back:

* ``optimal`` -> a plan (a MILP's is optimal within its gap, which is reported);
* a limit (time, iterations, objective/solution limits, memory, interrupt) *with* a feasible
  solution -> a ``feasible`` plan that says which limit stopped it and its proven gap;
* a limit *without* one -> no plan: :class:`~computebroker.errors.SolveStoppedError`, naming
  the limit, the time and what to try;
* ``infeasible`` / ``unbounded`` -> statuses that the diagnosis explains in the input's terms;
* anything else (solver errors, licensing, unknown) -> :class:`~computebroker.errors.SolverError`,
  the server's fault; it never gets an infeasibility "diagnosis".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

import numpy as np
from linopy.constants import TerminationCondition as Term

from computebroker.errors import SolverError, SolveStoppedError
from computebroker.solvers import QUIET_OPTIONS, linopy_quiet

__all__ = [
    "TERMINATION",
    "PlanStatus",
    "SolveFacts",
    "finite_values",
    "plan_status",
    "solve_linopy",
    "stopped_error",
]


class PlanStatus(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a plan, not proven optimal (a limit stopped the solve, or imprecise)
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"  # the limits: with a solution they end FEASIBLE, without none
    ITERATION_LIMIT = "iteration_limit"
    OTHER_LIMIT = "other_limit"  # an objective bound or target, or a solution-count limit
    INTERRUPTED = "interrupted"
    MEMORY_LIMIT = "memory_limit"
    ERROR = "error"  # the solver failed: never a plan, never a diagnosis

    @property
    def is_ok(self) -> bool:
        """A plan is available."""
        return self in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE)

    @property
    def is_limit(self) -> bool:
        """The solve stopped at a limit (with or without a solution)."""
        return self in _LIMITS

    @property
    def explained(self) -> bool:
        """No plan exists, and the diagnosis says why in the input's terms."""
        return self in (PlanStatus.INFEASIBLE, PlanStatus.UNBOUNDED)

    @property
    def what(self) -> str:
        """The limit in words (for limits)."""
        return _LIMITS.get(self, self.value)


_LIMITS: Final[Mapping[PlanStatus, str]] = MappingProxyType(
    {
        PlanStatus.TIME_LIMIT: "the time limit",
        PlanStatus.ITERATION_LIMIT: "the iteration limit",
        PlanStatus.OTHER_LIMIT: "an objective or solution-count limit",
        PlanStatus.INTERRUPTED: "an interrupt",
        PlanStatus.MEMORY_LIMIT: "the memory limit",
    }
)

TERMINATION: Final[Mapping[Term, PlanStatus]] = MappingProxyType(
    {
        Term.optimal: PlanStatus.OPTIMAL,
        Term.suboptimal: PlanStatus.FEASIBLE,
        Term.imprecise: PlanStatus.FEASIBLE,
        Term.time_limit: PlanStatus.TIME_LIMIT,
        Term.iteration_limit: PlanStatus.ITERATION_LIMIT,
        Term.terminated_by_limit: PlanStatus.OTHER_LIMIT,
        Term.user_interrupt: PlanStatus.INTERRUPTED,
        Term.resource_interrupt: PlanStatus.MEMORY_LIMIT,
        Term.infeasible: PlanStatus.INFEASIBLE,
        Term.infeasible_or_unbounded: PlanStatus.INFEASIBLE,  # the diagnosis tells which
        Term.unbounded: PlanStatus.UNBOUNDED,
        Term.other: PlanStatus.ERROR,
        Term.internal_solver_error: PlanStatus.ERROR,
        Term.error: PlanStatus.ERROR,
        Term.licensing_problems: PlanStatus.ERROR,
        Term.unknown: PlanStatus.ERROR,
    }
)
"""Every linopy termination condition -> the planner's status (before the solution check)."""

_FEASIBLE_SOLUTION = 2  # HighsInfo.primal_solution_status: 0 none, 1 infeasible, 2 feasible


@dataclass(frozen=True, slots=True)
class SolveFacts:
    """What HiGHS says about the solve it finished: its termination, whether it holds a
    feasible solution, the MILP's proven relative gap (``inf`` without a solution) and time."""

    termination: Term
    has_solution: bool
    mip_gap: float
    seconds: float

    @classmethod
    def read(cls, termination: str, highs: Any, seconds: float) -> SolveFacts:
        """From linopy's termination and the ``highspy.Highs`` it solved with (``None`` when
        linopy never reached the solver)."""
        tc = Term.process(termination)
        if highs is None:
            return cls(tc, False, float("inf"), seconds)
        info = highs.getInfo()
        gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else float("inf")
        ran = float(highs.getRunTime())  # the solver's own clock, the one its limit is on
        return cls(
            tc,
            int(info.primal_solution_status) == _FEASIBLE_SOLUTION,
            gap,
            ran if np.isfinite(ran) and ran > 0 else seconds,
        )


def plan_status(facts: SolveFacts) -> PlanStatus:
    """The status of a solve: OPTIMAL, FEASIBLE, a limit *without* a solution, INFEASIBLE or
    UNBOUNDED; raises ``SolverError`` for solver failures and solutions that are not there."""
    status = TERMINATION[facts.termination]
    if status is PlanStatus.ERROR:
        raise SolverError(f"HiGHS failed: the solve ended with {facts.termination.value!r}")
    if status.is_limit:
        return PlanStatus.FEASIBLE if facts.has_solution else status
    if status.is_ok and not facts.has_solution:
        raise SolverError(
            f"HiGHS reported {facts.termination.value!r} but holds no feasible solution"
        )
    return status


def stopped_error(
    status: PlanStatus, seconds: float, limit_s: float | None, hints: tuple[str, ...]
) -> SolveStoppedError:
    """The error for a solve that stopped at ``status`` (a limit) without a plan."""
    what = status.what
    if status is PlanStatus.TIME_LIMIT and limit_s is not None:
        what += f" ({limit_s:g} s)"
    return SolveStoppedError(limit=status.value, what=what, seconds=seconds, hints=hints)


def solve_linopy(model: Any, options: Mapping[str, Any]) -> SolveFacts:
    """Solve a linopy model with HiGHS, quietly, and read what HiGHS says about the end."""
    import time

    t0 = time.perf_counter()
    with linopy_quiet():
        try:
            _, termination = model.solve(
                solver_name="highs", io_api="direct", **{**QUIET_OPTIONS, **options}
            )
        except Exception as exc:  # a solver crash is an error, not a status
            raise SolverError(f"HiGHS failed: {exc}") from exc
    return SolveFacts.read(str(termination), model.solver_model, time.perf_counter() - t0)


def finite_values(var: Any, name: str) -> np.ndarray:
    """A linopy variable's solution values; raises ``SolverError`` when any is missing or NaN
    (a missing value is never read as zero chips)."""
    sol = getattr(var, "solution", None)
    values = np.asarray(sol.values if sol is not None else [np.nan], dtype=float)
    if values.size and not np.isfinite(values).all():
        bad = int((~np.isfinite(values)).sum())
        raise SolverError(f"the solver returned no value for {bad:,} of {values.size:,} {name}")
    return values
