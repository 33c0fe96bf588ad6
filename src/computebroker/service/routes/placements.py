"""Routes: placement, ``POST /v1/placements``, in one of two forms told apart by the body:

* with ``accelerator`` (:class:`RentalPlacementIn`): where to run one job — committed capacity
  first, then the cheapest rentable instance shapes with exactly its chips per node, ranked by
  USD per unit of work when a workload is given (``scheduler.placement.plan_placements``, the
  library call behind ``computebroker place``);
* with ``jobs`` and ``pools`` (:class:`PlacementIn`): live placement, the scheduler's policies
  on the pools' free chips now.

Both answer at once (200), not as a queued job: a placement is a scan of the team's catalog
(about 2,000 rows) and of its committed pools, with no solver, in milliseconds, where plans
and simulations take seconds to minutes and run in worker processes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import Discriminator, Tag

from computebroker.catalog import Catalog
from computebroker.errors import InputError
from computebroker.planner.document import PlanDocument
from computebroker.scheduler import PoolView, SimJob, ThroughputTable
from computebroker.scheduler.live import place
from computebroker.scheduler.placement import (
    CommittedPool,
    PlacementRequest,
    WorkloadRates,
    committed_pools,
    known_places,
    plan_placements,
    rates_from_plan,
    unrentable_offerings,
)
from computebroker.service.context import Auth, Ctx
from computebroker.service.schemas import (
    LivePlacementOut,
    PlacementIn,
    PlacementsOut,
    RentalPlacementIn,
)
from computebroker.store import repo

__all__ = ["router"]

router = APIRouter()


def _form(body: Any) -> str:
    """Which request it is: one job to place (it names an accelerator) or live placement."""
    if isinstance(body, dict):
        return "rent" if "accelerator" in body else "live"
    return "rent" if isinstance(body, RentalPlacementIn) else "live"


PlacementBody = Annotated[
    Annotated[RentalPlacementIn, Tag("rent")] | Annotated[PlacementIn, Tag("live")],
    Discriminator(_form),
]


@router.post("/v1/placements", response_model=PlacementsOut | list[LivePlacementOut])
def placements(
    body: Annotated[PlacementBody, Body()], t: Auth, ctx: Ctx
) -> PlacementsOut | list[dict[str, Any]]:
    if isinstance(body, RentalPlacementIn):
        return _rent(body, ctx.team_catalog(t.id), _plan(ctx, t.id, body))
    return _live(body)


def _plan(ctx: Ctx, team_id: int, body: RentalPlacementIn) -> PlanDocument | None:
    if body.plan_job is None:
        for name in ("period", "in_use"):
            if getattr(body, name):
                raise InputError.single("body", f"{name} needs a plan_job", field=name)
        return None
    if body.committed:
        raise InputError.single(
            "body", "give committed pools or a plan_job, not both", field="committed"
        )
    with ctx.store() as s:
        job = repo.get_job(s, team_id, body.plan_job)
        if job is None or job.kind != "plan" or job.status != "done" or job.result is None:
            raise InputError.single(
                "plan_job", f"no finished plan job {body.plan_job!r}", field="plan_job"
            )
        return PlanDocument.from_json(job.result, f"plan job {body.plan_job}")


def _rates(body: RentalPlacementIn, doc: PlanDocument | None) -> WorkloadRates | None:
    if body.workload is None:
        if body.throughputs is not None:
            raise InputError.single(
                "body", "throughputs rank by a workload: give workload too", field="workload"
            )
        return None
    if body.throughputs is not None:
        table = ThroughputTable.from_per_chip_hour(
            {(r.job_type, r.accelerator): r.work_per_chip_hour for r in body.throughputs},
            unit=body.work_unit,
            source="throughputs",
        )
        return WorkloadRates(workload=body.workload, table=table)
    if doc is None:
        raise InputError.single(
            "body",
            "a workload needs its throughputs, or a plan_job (which carries its matrix)",
            field="throughputs",
        )
    return rates_from_plan(doc, f"plan job {body.plan_job}", body.workload)


def _rent(body: RentalPlacementIn, catalog: Catalog, doc: PlanDocument | None) -> PlacementsOut:
    pools = (
        committed_pools(doc, f"plan job {body.plan_job}", period=body.period, in_use=body.in_use)
        if doc is not None
        else [
            CommittedPool(
                name=p.name,
                accelerator=p.accelerator,
                free_chips=p.free_chips,
                cloud=p.cloud.lower(),
                region=p.region,
                price_chip_hour=p.price_chip_hour,
            )
            for p in body.committed
        ]
    )
    clouds, regions = known_places(catalog, pools, clouds=body.clouds, regions=body.regions)
    request = PlacementRequest(
        accelerator=body.accelerator,
        chips=body.chips,
        num_nodes=body.num_nodes,
        alternatives=tuple((a.accelerator, a.chips) for a in body.alternatives),
        clouds=clouds,
        regions=regions,
        spot=body.spot,
        split=body.split,
    )
    rates = _rates(body, doc)
    got = plan_placements(catalog, request, committed=pools, rates=rates)[: body.top]
    return PlacementsOut.model_validate(
        {
            "placements": [p.row() for p in got],
            "ranked_by": "cost_hour" if rates is None else "cost_per_work",
            "unrentable": [u.row() for u in unrentable_offerings(catalog, request)],
        }
    )


def _live(body: PlacementIn) -> list[dict[str, Any]]:
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
