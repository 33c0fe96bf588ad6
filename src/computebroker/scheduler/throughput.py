"""The throughput table policies and the simulator read: work per second of a job type on an
accelerator at a gang size.

Two sources fill it: the performance model's throughput matrix (work per chip-hour per
chip, scaled linearly with the gang — the data-parallel assumption) and measured tables such
as Gavel's (steps per second of the whole job at each scale factor; Narayanan et al., OSDI
2020). A measured gang entry wins over the per-chip figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from computebroker.scheduler.types import JobKind, JobState, PoolView, SimJob

__all__ = ["ThroughputTable"]


@dataclass(slots=True)
class ThroughputTable:
    """``per_gang[(job_type, chips, accelerator)]`` and ``per_chip[(job_type, accelerator)]``
    in work per second; names are lower-case."""

    per_gang: dict[tuple[str, int, str], float] = field(default_factory=dict)
    per_chip: dict[tuple[str, str], float] = field(default_factory=dict)
    unit: str = "work"
    source: str = ""
    # caches of lookups (not part of the table's value)
    _scales: dict[tuple[str, str], list[int]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _memo: dict[tuple[str, str, int], float] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_per_chip_hour(
        cls, rows: Mapping[tuple[str, str], float], unit: str = "work", source: str = ""
    ) -> ThroughputTable:
        """From work per chip-hour by (job type, accelerator), e.g. the perf stage's matrix.

        Examples
        --------
        >>> t = ThroughputTable.from_per_chip_hour({("llm", "h100"): 3.6e6}, unit="tokens")
        >>> t.lookup("llm", "h100", 8)
        8000.0
        """
        return cls(
            per_chip={(w.lower(), a.lower()): v / 3600.0 for (w, a), v in rows.items() if v > 0},
            unit=unit,
            source=source,
        )

    def lookup(self, job_type: str, accelerator: str, chips: int) -> float:
        """Work per second of a gang of ``chips`` (0 if unknown).

        A gang larger than any measured for its job type (Philly jobs of 16-64 GPUs against
        Gavel's measurements up to 8) runs at the largest measured gang's throughput scaled by
        the chip ratio: the data-parallel assumption, optimistic for communication-bound jobs.
        A gap *within* the measured range (e.g. ResNet-50 at batch 128 on 2+ K80s, which Gavel
        did not measure) stays 0: the job does not run there.
        """
        jt, acc = job_type.lower(), accelerator.lower()
        v = self.per_gang.get((jt, chips, acc))
        if v is not None:
            return v
        pc = self.per_chip.get((jt, acc))
        if pc is not None:
            return pc * chips
        if self.per_gang:
            scales = self._scales.get((jt, acc))
            if scales is None:
                scales = self._scales[(jt, acc)] = sorted(
                    k[1] for k in self.per_gang if k[0] == jt and k[2] == acc
                )
                top = max((k[1] for k in self.per_gang if k[0] == jt), default=0)
                self._scales[(jt, "*")] = [top]
            if scales and chips > self._scales[(jt, "*")][0]:
                s = scales[-1]
                return self.per_gang[(jt, s, acc)] * chips / s
        return 0.0

    def rate(self, job: SimJob | JobState, pool: PoolView, chips: int) -> float:
        """The ``RateFn`` policies use: 0 where the job may not or cannot run."""
        if job.allowed is not None and pool.accelerator.lower() not in job.allowed:
            return 0.0
        key = (job.job_type, pool.accelerator, chips)
        v = self._memo.get(key)
        if v is None:
            v = self._memo[key] = self.lookup(job.job_type, pool.accelerator, chips)
        return v

    def per_chip_rate(self, job: SimJob | JobState, pool: PoolView) -> float:
        """Work per second per chip (services size their gang by it)."""
        return (
            self.rate(job, pool, 1)
            if job.kind is JobKind.SERVE
            else self.rate(job, pool, job.chips) / max(job.chips, 1)
        )

    def job_types(self) -> set[str]:
        """Job types with any entry."""
        return {k[0] for k in self.per_gang} | {k[0] for k in self.per_chip}

    def accelerators(self) -> set[str]:
        """Accelerators with any entry."""
        return {k[2] for k in self.per_gang} | {k[1] for k in self.per_chip}

    def scales(self, job_type: str, accelerator: str) -> Iterable[int]:
        """Gang sizes measured for a job type on an accelerator."""
        jt, acc = job_type.lower(), accelerator.lower()
        return sorted(k[1] for k in self.per_gang if k[0] == jt and k[2] == acc)
