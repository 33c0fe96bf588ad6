"""Routes: live placement — the scheduler's policies on the pools' free chips now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from computebroker.scheduler import PoolView, SimJob, ThroughputTable
from computebroker.scheduler.live import place
from computebroker.service.context import Auth
from computebroker.service.schemas import PlacementIn

__all__ = ["router"]

router = APIRouter()


@router.post("/v1/placements")
def placements(body: PlacementIn, _: Auth) -> list[dict[str, Any]]:
    table = ThroughputTable.from_per_chip_hour(
        {(r.job_type, r.accelerator): r.work_per_chip_hour for r in body.throughputs}
    )
    jobs = [
        SimJob(
            id=j.id,
            job_type=j.job_type,
            arrival=0.0,
            work=j.work,
            chips=j.chips,
            allowed=frozenset(a.lower() for a in j.accelerators) if j.accelerators else None,
            index=i,
        )
        for i, j in enumerate(body.jobs)
    ]
    pools = [
        PoolView(
            name=p.name,
            accelerator=p.accelerator.lower(),
            price_chip_hour=p.price_chip_hour,
            contract=p.contract,
        )
        for p in body.pools
    ]
    decisions = place(jobs, pools, [p.free for p in body.pools], table, body.policy)
    return [
        {
            "job": d.job,
            "pool": d.pool,
            "chips": d.chips,
            "share": d.share,
            "work_per_second": d.rate,
        }
        for d in decisions
    ]
