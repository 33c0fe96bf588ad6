"""Routes: the catalog (accelerators, offerings), a team's private offers, model presets,
training estimates and throughput matrices."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from computebroker.catalog import OfferingQuery, find_offerings, shipped_catalog
from computebroker.catalog.catalog import load_catalog_texts
from computebroker.errors import InputError
from computebroker.service.context import Auth, Ctx
from computebroker.service.schemas import (
    AcceleratorOut,
    CatalogOfferingOut,
    MatrixIn,
    MatrixRowOut,
    OfferOut,
    OffersIn,
    OffersSaved,
    TrainEstimateOut,
)
from computebroker.store.models import Offer

__all__ = ["router"]

router = APIRouter()


@router.get("/v1/catalog/accelerators", response_model=list[AcceleratorOut])
def accelerators(_: Auth) -> list[dict[str, Any]]:
    return [
        {
            "id": a.id,
            "vendor": a.vendor,
            "bf16_tflops": a.bf16_tflops,
            "hbm_gib": a.hbm_gib,
            "source": a.source,
        }
        for a in shipped_catalog().accelerators
    ]


@router.get("/v1/catalog/offerings", response_model=list[CatalogOfferingOut])
def offerings(
    _: Auth,
    accelerator: str | None = None,
    provider: str | None = None,
    region: Annotated[str | None, Query(max_length=100)] = None,
    contract: Annotated[str, Query(pattern=r"^(on-demand|spot)$")] = "on-demand",
    sort: Annotated[str, Query(pattern=r"^(price|price-per-pflop)$")] = "price",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    from computebroker.catalog import SortKey

    q = OfferingQuery(
        accelerator=accelerator,
        cloud=provider,
        region=region,
        spot=contract == "spot",
        sort=SortKey(sort),
    )
    rows = find_offerings(shipped_catalog(), q)[: max(1, min(limit, 1000))]
    return [
        {
            "id": r.offering.id,
            "provider": r.offering.cloud,
            "region": r.offering.region,
            "accelerator": r.accelerator.id,
            "contract": contract,
            "price_chip_hour": r.spot_price_chip_hour if contract == "spot" else r.price_chip_hour,
            "price_pflop_hour": r.spot_price_pflop_hour
            if contract == "spot"
            else r.price_pflop_hour,
            "source": r.offering.source,
            "as_of": r.offering.as_of,
        }
        for r in rows
    ]


@router.post("/v1/offers", status_code=201, response_model=OffersSaved)
def put_offers(body: OffersIn, t: Auth, ctx: Ctx) -> dict[str, Any]:
    cat = load_catalog_texts([(f"{body.name}.yaml", body.yaml)])  # 422 with the line on bad rows
    with ctx.store.begin() as s:
        s.add(Offer(team_id=t.id, payload={"name": body.name, "yaml": body.yaml}))
    return {
        "name": body.name,
        "offerings": len(cat.offerings) - len(shipped_catalog().offerings),
        "deals": len(cat.deals),
    }


@router.get("/v1/offers", response_model=list[OfferOut])
def list_offers(t: Auth, ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.store() as s:
        return [
            {"name": o.payload["name"], "created_at": o.created_at.isoformat()}
            for o in s.query(Offer).filter(Offer.team_id == t.id).order_by(Offer.id)
        ]


@router.get("/v1/models", response_model=list[str])
def models(_: Auth) -> list[str]:
    """The model presets the performance model knows."""
    from computebroker.perf.presets import model_names

    return model_names()


@router.get(
    "/v1/estimate/train",
    response_model=list[TrainEstimateOut],
    response_model_exclude_unset=True,  # a row carries the fields its record has, no more
)
def estimate_train(
    _: Auth,
    model: Annotated[str, Query(min_length=1, max_length=100)],
    tokens: Annotated[float, Query(gt=0, le=1e17)] = 1e12,
    chips: Annotated[int, Query(ge=1, le=1_000_000)] = 1024,
) -> list[dict[str, Any]]:
    """Every chip's best layout, time to train and cost for ``tokens`` of ``model``."""
    from computebroker.perf.estimate import TrainingRequest, estimate_training
    from computebroker.perf.presets import get_model
    from computebroker.reports.perf import training_report_record

    reports = estimate_training(
        shipped_catalog(),
        TrainingRequest(model=get_model(model), accelerator="all", chips=chips, tokens=tokens),
    )
    rows = [training_report_record(r) for r in reports]
    return sorted(
        rows,
        key=lambda r: (not r.get("feasible"), r.get("usd_per_million_tokens") or float("inf")),
    )


@router.post("/v1/matrices", response_model=list[MatrixRowOut])
def matrix(body: MatrixIn, _: Auth) -> list[dict[str, Any]]:
    """The throughput matrix (work per chip-hour) of the workload classes on the chips."""
    from computebroker.inputs import parse_yaml_text
    from computebroker.perf.matrix import matrix_records, throughput_matrix
    from computebroker.perf.workloads import parse_workload_entries

    doc = parse_yaml_text(body.yaml, "workloads")
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("workloads"), list):
        raise InputError.single("workloads", "expected a top-level 'workloads:' list", line=1)
    cat = shipped_catalog()
    classes = [
        e.to_domain()
        for e in parse_workload_entries(doc, doc.data["workloads"], ("workloads",), cat)
    ]
    accs = [cat.accelerator(a).id for a in body.accelerators]
    return matrix_records(throughput_matrix(classes, cat, accs))
