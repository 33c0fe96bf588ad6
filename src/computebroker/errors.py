"""The one error hierarchy of computebroker.

Every error the package raises on purpose derives from :class:`ComputeBrokerError`. Errors are
raised where the fact is known and reported once, at the edge: the CLI prints the message and
exits with the class's ``exit_code`` (2 for input a user can fix, 1 otherwise); the service
answers the class's ``http_status`` (422 for input, 5xx for the server's own failures).

::

    ComputeBrokerError
    ├── InputError                 bad input a user can fix: names the source, line, field,
    │   │                          the bad value and what was expected
    │   └── UnknownNameError       a name (accelerator, model, policy, ...) that is not known;
    │                              carries the close matches ("did you mean")
    ├── InfeasibleRequestError     a request that is well-formed but cannot be met
    │                              ("405B needs >= 64 chips of h100"); carries the reason
    ├── SolverError                a solver backend failed in a way that is not a status
    │                              (infeasible / unbounded plans are *statuses*, not errors)
    └── SolveStoppedError          a solve stopped at a limit (time, iterations, memory,
                                   interrupt) before it had any plan: no plan, exit 1, job
                                   failed; the message names the limit, the time and what to try

Warnings have their own classes, and the test-suite runs with warnings as errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "ComputeBrokerError",
    "ComputeBrokerWarning",
    "DataQualityWarning",
    "InfeasibleRequestError",
    "InputError",
    "Issue",
    "SolveStoppedError",
    "SolverError",
    "UnknownNameError",
]


class ComputeBrokerError(Exception):
    """Base class of every error raised by computebroker on purpose."""

    exit_code: ClassVar[int] = 1  # the CLI's exit status
    http_status: ClassVar[int] = 422  # the service's answer


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """One problem found in an input: where it is and what was expected.

    Examples
    --------
    >>> str(Issue(source="my.yaml", line=4, field="offerings[0].price_hour",
    ...           message="must be >= 0", value=-1))
    'my.yaml:4: offerings[0].price_hour: must be >= 0 (got -1)'
    """

    source: str
    message: str
    line: int | None = None
    field: str | None = None
    value: object = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        parts = [where]
        if self.field and self.field != self.source:  # a flag names itself once
            parts.append(self.field)
        text = ": ".join(parts) + ": " + self.message
        if self.value is not None:
            text += f" (got {self.value!r})"
        return text


class InputError(ComputeBrokerError):
    """Input a user can fix. Holds one or more :class:`Issue` records.

    Examples
    --------
    >>> err = InputError([Issue(source="c.csv", line=3, field="chips", message="must be > 0")])
    >>> print(err)
    c.csv:3: chips: must be > 0
    """

    exit_code: ClassVar[int] = 2

    def __init__(self, issues: Sequence[Issue] | Issue) -> None:
        self.issues: tuple[Issue, ...] = (issues,) if isinstance(issues, Issue) else tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))

    @classmethod
    def single(
        cls,
        source: str,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> InputError:
        """Build an error holding a single issue."""
        return cls(Issue(source=source, message=message, line=line, field=field, value=value))


class UnknownNameError(InputError):
    """A name that is not known, with the allowed values and the closest matches.

    Examples
    --------
    >>> e = UnknownNameError(kind="accelerator", name="h10", known=["h100", "h200", "b200"])
    >>> print(e)
    <input>: accelerator: unknown accelerator 'h10'; did you mean 'h100' or 'h200'?
    """

    def __init__(
        self,
        *,
        kind: str,
        name: str,
        known: Sequence[str],
        source: str = "<input>",
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        import difflib

        self.kind = kind
        self.name = name
        self.known = tuple(sorted(known))
        self.suggestions = tuple(
            difflib.get_close_matches(name.lower(), self.known, n=3, cutoff=0.5)
        )
        if self.suggestions:
            hint = "did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        else:
            shown = ", ".join(self.known[:12]) + (", ..." if len(self.known) > 12 else "")
            hint = f"expected one of: {shown}"
        message = f"unknown {kind} {name!r}; {hint}"
        super().__init__(Issue(source=source, line=line, field=field or kind, message=message))


class InfeasibleRequestError(ComputeBrokerError):
    """A well-formed request that cannot be met; the message says why and what would work."""

    exit_code: ClassVar[int] = 2

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SolverError(ComputeBrokerError):
    """A solver backend failed (crashed, not installed, returned no or non-finite values where
    it reported a solution); never used for infeasible models. The server's fault: HTTP 500."""

    http_status: ClassVar[int] = 500


class SolveStoppedError(ComputeBrokerError):
    """A solve stopped at a limit before it found any plan. The input was fine (exit 1, not 2);
    the server could not finish the work (HTTP 503). ``limit`` names the limit (``time_limit``,
    ``iteration_limit``, ...), ``seconds`` the time the solve ran, ``hints`` what to try.

    Examples
    --------
    >>> print(SolveStoppedError(limit="time_limit", what="the time limit (1 s)", seconds=1.02,
    ...       hints=("a longer --time-limit",)))
    no plan: the solver stopped at the time limit (1 s) after 1.0 s without finding any plan; try a longer --time-limit
    """

    http_status: ClassVar[int] = 503

    def __init__(self, *, limit: str, what: str, seconds: float, hints: Sequence[str]) -> None:
        self.limit = limit
        self.seconds = seconds
        self.hints = tuple(hints)
        text = (
            f"no plan: the solver stopped at {what} after {seconds:,.1f} s without finding any plan"
        )
        if self.hints:
            text += "; try " + ", or ".join(self.hints)
        super().__init__(text)


class ComputeBrokerWarning(UserWarning):
    """Base class of computebroker's warnings."""


class DataQualityWarning(ComputeBrokerWarning):
    """Input data looks suspicious (for example a spot price above on-demand) but was accepted."""
