"""Unit-bearing aliases and the conversions used across the package.

Field names carry their units (``price_usd_per_h``, ``hbm_gib``); these aliases document the
intent of plain floats in signatures. Constants state where they come from.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BILLION",
    "GBIT_PER_S_TO_BYTES_PER_S",
    "GIB",
    "HOURS_PER_DAY",
    "HOURS_PER_MONTH",
    "HOURS_PER_QUARTER",
    "HOURS_PER_WEEK",
    "HOURS_PER_YEAR",
    "MILLION",
    "SECONDS_PER_HOUR",
    "TERA",
    "USD",
    "Hours",
    "Seconds",
]

USD = float
Hours = float
Seconds = float

TERA: Final = 1e12
GIB: Final = 1024**3
# 1 Gbit/s = 1e9 bits/s = 1.25e8 bytes/s (network rates are decimal, SI).
GBIT_PER_S_TO_BYTES_PER_S: Final = 1e9 / 8

SECONDS_PER_HOUR: Final = 3600.0
MILLION: Final = 1e6  # "per million units of work", $M
BILLION: Final = 1e9  # $B in headlines
HOURS_PER_DAY: Final = 24.0
HOURS_PER_WEEK: Final = 7 * HOURS_PER_DAY
# A 365-day year: cloud prices are quoted per hour and commitments per 1- or 3-year term;
# AWS and Azure use 730 h per month = 8,760 h per year in their own monthly estimates.
HOURS_PER_YEAR: Final = 8760.0
HOURS_PER_QUARTER: Final = HOURS_PER_YEAR / 4
HOURS_PER_MONTH: Final = HOURS_PER_YEAR / 12
