"""Planning periods: quarters (``2026Q1``) or months (``2026-03``), with their labels and hours.

A horizon is a start label, a count and the hours per period (default: 8,760 / 4 for quarters,
8,760 / 12 for months). Labels are parsed and generated here so that every stage agrees on them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from computebroker.units import HOURS_PER_MONTH, HOURS_PER_QUARTER

# Periods past the horizon that obligations are tracked over (terms + lead + ramp + slip of any
# offer must fit; 10 years of months).
MAX_POST_PERIODS = 120

__all__ = ["Horizon", "PeriodKind", "parse_period"]

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


class PeriodKind(StrEnum):
    """Length of a planning period."""

    QUARTER = "quarter"
    MONTH = "month"

    @property
    def default_hours(self) -> float:
        """Hours in one period of this kind (365-day year)."""
        return HOURS_PER_QUARTER if self is PeriodKind.QUARTER else HOURS_PER_MONTH

    @property
    def per_year(self) -> int:
        """Periods per year."""
        return 4 if self is PeriodKind.QUARTER else 12


def parse_period(label: str, kind: PeriodKind) -> int:
    """An absolute period ordinal (periods since year 0) from its label.

    Examples
    --------
    >>> parse_period("2026Q3", PeriodKind.QUARTER) - parse_period("2026Q1", PeriodKind.QUARTER)
    2
    >>> parse_period("2027-01", PeriodKind.MONTH) - parse_period("2026-11", PeriodKind.MONTH)
    2
    """
    if kind is PeriodKind.QUARTER:
        m = _QUARTER.match(label)
        if m is None:
            raise ValueError(f"{label!r} is not a quarter; expected YYYYQn such as 2026Q1")
        return int(m.group(1)) * 4 + int(m.group(2)) - 1
    m = _MONTH.match(label)
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{label!r} is not a month; expected YYYY-MM such as 2026-03")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def _label(ordinal: int, kind: PeriodKind) -> str:
    if kind is PeriodKind.QUARTER:
        return f"{ordinal // 4}Q{ordinal % 4 + 1}"
    return f"{ordinal // 12}-{ordinal % 12 + 1:02d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Horizon:
    """``count`` periods of ``kind`` from ``start``."""

    start: str
    count: int
    kind: PeriodKind = PeriodKind.QUARTER
    hours_per_period: float = HOURS_PER_QUARTER

    @property
    def labels(self) -> tuple[str, ...]:
        """Period labels in order.

        Examples
        --------
        >>> Horizon(start="2026Q3", count=3).labels
        ('2026Q3', '2026Q4', '2027Q1')
        """
        first = parse_period(self.start, self.kind)
        return tuple(_label(first + i, self.kind) for i in range(self.count))

    def index(self, label: str) -> int:
        """Position of a label in the horizon (may be negative or past the end)."""
        return parse_period(label, self.kind) - parse_period(self.start, self.kind)

    def months_to_periods(self, months: float) -> int:
        """A term in months as whole periods, rounded up (at least one): a contract is owed to
        its end, so a 16-month term on quarters is 6 periods, not 5.

        Examples
        --------
        >>> Horizon(start="2026Q1", count=4).months_to_periods(16)
        6
        >>> Horizon(start="2026Q1", count=4).months_to_periods(12)
        4
        >>> Horizon(start="2026Q1", count=4).months_to_periods(0.5)
        1
        """
        per = 3 if self.kind is PeriodKind.QUARTER else 1
        return max(1, math.ceil(months / per - 1e-9))

    def discount_factors(self, annual_rate: float) -> np.ndarray:
        """Present value of one dollar paid at the start of each period ``t`` (0-based) of the
        horizon and the ``MAX_POST_PERIODS`` periods past it: ``(1 + r) ** (-t / periods_per_year)``.

        Examples
        --------
        >>> Horizon(start="2026Q1", count=5).discount_factors(0.1)[[0, 4]].round(4).tolist()
        [1.0, 0.9091]
        """
        t = np.arange(self.count + MAX_POST_PERIODS)
        return np.asarray((1.0 + annual_rate) ** (-t / self.kind.per_year), dtype=float)
