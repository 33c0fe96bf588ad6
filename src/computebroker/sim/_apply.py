"""The simulator's small helpers for applying allocations: a view of jobs by index (no copy),
an allocation turned into per-job placements, and placement comparison."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import overload

from computebroker.scheduler.types import Allocation, JobState

__all__ = ["JobsView", "differs", "new_placements"]


class JobsView(Sequence[JobState]):
    """The jobs at the given indices from position ``base`` on, without copying the list."""

    __slots__ = ("_base", "_idx", "_jobs")

    def __init__(self, jobs: list[JobState], idx: list[int], base: int = 0) -> None:
        self._jobs, self._idx, self._base = jobs, idx, base

    def __len__(self) -> int:
        return len(self._idx) - self._base

    def __iter__(self) -> Iterator[JobState]:
        return map(self._jobs.__getitem__, itertools.islice(self._idx, self._base, None))

    @overload
    def __getitem__(self, i: int) -> JobState: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[JobState]: ...
    def __getitem__(self, i: int | slice) -> JobState | Sequence[JobState]:
        if isinstance(i, slice):
            return [self._jobs[j] for j in self._idx[self._base :][i]]
        if i < 0:
            i += len(self)
        return self._jobs[self._idx[self._base + i]]


def new_placements(
    alloc: Allocation, cand: list[int], base: int
) -> dict[int, list[tuple[int, float, int]]]:
    """Job index -> its placements, from an allocation over ``cand[base:]``."""
    new: dict[int, list[tuple[int, float, int]]] = {}
    for p in alloc.placements:
        new.setdefault(cand[base + p.job], []).append((p.pool, p.share, p.chips))
    # a group's placements (on one or more pools): one list its members share
    index = cand.__getitem__ if base == 0 else cand[base:].__getitem__
    merge = bool(new)  # jobs with placements of their own too (services): merged
    for g in alloc.shared:
        if merge:
            for j in map(index, g.jobs):
                cur = new.get(j)
                new[j] = g.places if cur is None else [*cur, *g.places]
        else:
            new.update(zip(map(index, g.jobs), itertools.repeat(g.places)))
    return new


def differs(a: list[tuple[int, float, int]], b: list[tuple[int, float, int]]) -> bool:
    if len(a) != len(b):
        return True
    return any(
        x[0] != y[0] or x[2] != y[2] or abs(x[1] - y[1]) > 1e-9
        for x, y in zip(sorted(a), sorted(b), strict=True)
    )
