"""A tiny discrete-event engine with no domain knowledge (in the manner of SimPy's core).

Events sit in a heap keyed by ``(time, priority, sequence)``: earlier first, then lower
priority number, then the order they were scheduled — so a run is deterministic. A handler
that raises stops the run with its exception (never swallowed).

The clock is behind a small interface so the same policy code runs on virtual time (this
engine) or on wall time (a live placement call reads ``WallClock``).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Clock", "Engine", "WallClock"]

Handler = Callable[[], None]


class Clock(Protocol):
    """Something that tells the time in seconds."""

    def now(self) -> float:
        """Seconds since the clock's origin."""
        ...


class WallClock:
    """Wall time, in seconds since ``origin`` (default: when the clock was made)."""

    def __init__(self, origin: float | None = None) -> None:
        self._origin = time.time() if origin is None else origin

    def now(self) -> float:
        """Seconds since the origin."""
        return time.time() - self._origin


class Engine:
    """The event loop: ``schedule`` handlers at times, ``run`` them in order.

    Examples
    --------
    >>> e = Engine()
    >>> seen = []
    >>> e.schedule(2.0, lambda: seen.append(("b", e.now())))
    >>> e.schedule(1.0, lambda: seen.append(("a", e.now())))
    >>> e.schedule(2.0, lambda: seen.append(("c", e.now())), priority=-1)
    >>> e.run()
    >>> seen
    [('a', 1.0), ('c', 2.0), ('b', 2.0)]
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._heap: list[tuple[float, int, int, Handler]] = []
        self._seq = 0
        self.processed = 0

    def now(self) -> float:
        """The current virtual time (s)."""
        return self._now

    def schedule(self, at: float, handler: Handler, *, priority: int = 0) -> None:
        """Run ``handler`` at time ``at`` (not in the past)."""
        if at < self._now - 1e-9:
            raise ValueError(f"cannot schedule at {at} before now ({self._now})")
        heapq.heappush(self._heap, (max(at, self._now), priority, self._seq, handler))
        self._seq += 1

    def peek(self) -> float:
        """Time of the next event (inf if none)."""
        return self._heap[0][0] if self._heap else float("inf")

    def step(self) -> None:
        """Run the next event."""
        at, _, _, handler = heapq.heappop(self._heap)
        self._now = at
        self.processed += 1
        handler()

    def run(self, until: float | None = None) -> None:
        """Run events until none is left (or the next is after ``until``)."""
        limit = float("inf") if until is None else until
        while self._heap and self._heap[0][0] <= limit:
            self.step()
        if until is not None and until > self._now:
            self._now = until
