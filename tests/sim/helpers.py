"""Tiny fleets, traces and tables for hand-checked simulations."""

from __future__ import annotations

from dataclasses import replace

from computebroker.scheduler import SimJob, ThroughputTable
from computebroker.scheduler.types import PoolView
from computebroker.sim import Trace
from computebroker.sim.fleet import Fleet, Pool


def table(rates: dict[tuple[str, str], float]) -> ThroughputTable:
    """Work per second per chip by (job type, accelerator)."""
    return ThroughputTable(per_chip={(jt, acc): v for (jt, acc), v in rates.items()}, unit="units")


def fleet(*pools: tuple[str, int], price: float = 0.0, contract: str = "on-demand") -> Fleet:
    return Fleet(
        pools=[
            Pool(
                view=PoolView(name=n, accelerator=n, price_chip_hour=price, contract=contract),
                steps=[(0.0, c)],
            )
            for n, c in pools
        ]
    )


def trace(*jobs: SimJob) -> Trace:
    return Trace(
        jobs=[replace(j, index=i) for i, j in enumerate(jobs)],
        source="test",
        format="test",
        demand={},
    )


def job(
    jid: str, arrival: float, work: float, *, jt: str = "a", chips: int = 1, **kw: object
) -> SimJob:
    return SimJob(id=jid, job_type=jt, arrival=arrival, work=work, chips=chips, **kw)  # type: ignore[arg-type]
