"""The one error hierarchy of computebroker.

Every error the package raises on purpose derives from :class:`ComputeBrokerError`. Errors are
raised where the fact is known and reported once, at the edge (the CLI prints the message and
exits with code 2 for bad input; the service answers HTTP 422).

::

    ComputeBrokerError
    ├── InputError                 bad input a user can fix: names the source, line, field,
    │   │                          the bad value and what was expected
    │   └── UnknownNameError       a name (accelerator, model, policy, ...) that is not known;
    │                              carries the close matches ("did you mean")
    ├── InfeasibleRequestError     a request that is well-formed but cannot be met
    │                              ("405B needs >= 64 chips of h100"); carries the reason
    └── SolverError                a solver backend failed in a way that is not a status
                                   (infeasible / unbounded plans are *statuses*, not errors)

Warnings have their own classes, and the test-suite runs with warnings as errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ComputeBrokerError",
    "ComputeBrokerWarning",
    "DataQualityWarning",
    "InfeasibleRequestError",
    "InputError",
    "Issue",
    "SolverError",
    "UnknownNameError",
]


class ComputeBrokerError(Exception):
    """Base class of every error raised by computebroker on purpose."""


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
        if self.field:
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

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SolverError(ComputeBrokerError):
    """A solver backend failed (crashed, not installed); never used for infeasible models."""


class ComputeBrokerWarning(UserWarning):
    """Base class of computebroker's warnings."""


class DataQualityWarning(ComputeBrokerWarning):
    """Input data looks suspicious (for example a spot price above on-demand) but was accepted."""
