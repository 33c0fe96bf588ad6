"""Quiet HiGHS instances, without touching the process's file descriptors.

HiGHS is told to be quiet through its own options (``output_flag``, ``log_to_console``), which
belong to one solver instance; nothing here swaps ``stdout`` or changes a process-wide setting
for the length of a solve, so overlapping solves in threads cannot leave the terminal muted.

Two things print regardless of options, and each is handled once, at its source:

* the HiGHS banner ("Running HiGHS ..."), which ``highspy.Highs()`` writes from C the first
  time any instance in the process installs its callbacks, before options can be set. HiGHS
  writes it once per process, to the instance's log; :func:`prime_highs` has a raw instance
  with console logging off write it (to no console), so later instances — ours and linopy's —
  stay silent.
* linopy's log records about each solve: a filter on the ``linopy`` logger drops records
  emitted *by a thread inside* :func:`linopy_quiet`, so other threads' logging is untouched.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import highspy
from highspy._core import _Highs

__all__ = ["QUIET_OPTIONS", "linopy_quiet", "new_highs", "prime_highs"]

QUIET_OPTIONS: Final[dict[str, Any]] = {"output_flag": False, "log_to_console": False}
"""HiGHS options for no output; passed to every solve (linopy's ``solve(**options)`` too)."""

_PRIMED = False
_PRIME_LOCK = threading.Lock()


def prime_highs() -> None:
    """Have HiGHS write its once-per-process banner nowhere (idempotent, thread-safe)."""
    global _PRIMED  # noqa: PLW0603 - a once-per-process fact about the HiGHS library
    if _PRIMED:
        return
    with _PRIME_LOCK:
        if not _PRIMED:
            raw = _Highs()
            raw.setOptionValue("log_to_console", False)
            raw.setCallback(lambda *_args: None, None)  # writes the banner to its (empty) log
            raw.setCallback(None, None)
            _PRIMED = True


def new_highs(**options: Any) -> highspy.Highs:
    """A ``highspy.Highs`` with no output, and ``options`` set."""
    prime_highs()
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    for name, value in {**QUIET_OPTIONS, **options}.items():
        h.setOptionValue(name, value)
    return h


class _ThreadFilter(logging.Filter):
    """Drops records from threads that are inside ``linopy_quiet``."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(self.local, "depth", 0) == 0 or record.levelno >= logging.ERROR


_FILTER = _ThreadFilter()
_FILTERED: set[str] = set()


def _filter_linopy_loggers() -> None:
    """Put the filter on linopy's loggers (one per module: filters are not inherited)."""
    names = [n for n in logging.root.manager.loggerDict if n == "linopy" or n.startswith("linopy.")]
    for name in names:
        if name not in _FILTERED:
            logging.getLogger(name).addFilter(_FILTER)
            _FILTERED.add(name)


@contextmanager
def linopy_quiet() -> Iterator[None]:
    """Silence linopy's info and warning records from this thread while inside (primes HiGHS
    so that the ``highspy.Highs`` linopy creates prints no banner)."""
    prime_highs()
    with _PRIME_LOCK:
        _filter_linopy_loggers()
    local = _FILTER.local
    local.depth = getattr(local, "depth", 0) + 1
    try:
        yield
    finally:
        local.depth -= 1
