"""The API's request bodies (pydantic: the service is an edge)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from computebroker.workflow import DEFAULT_OUT_OF_SAMPLE

__all__ = [
    "MatrixIn",
    "OffersIn",
    "PlacementIn",
    "PlacementJob",
    "PlacementPool",
    "PlanIn",
    "ScenarioIn",
    "SimulationIn",
    "ThroughputRow",
]


class ScenarioIn(BaseModel):
    """A scenario file to store (YAML text, validated first)."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$")]
    yaml: Annotated[str, Field(min_length=1, max_length=2_000_000)]


class PlanIn(BaseModel):
    """A plan to compute from a stored scenario."""

    scenario: Annotated[str, Field(min_length=1)]
    version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    # a count, or "auto": grow the sample until the optimality gap and the interval of the
    # expected cost meet 1% (as `plan --scenarios auto`)
    scenarios: Annotated[int, Field(ge=1, le=20_000)] | Literal["auto"] | None = None
    # independent replications behind the convergence record (0: not measured; with "auto",
    # per sample size, default 5), as `plan --replications`
    replications: Annotated[int, Field(ge=0, le=50)] = 0
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    method: Annotated[str, Field(pattern=r"^(auto|extensive|benders)$")] = "auto"
    # cost vs risk over the planner's default risk weights, in the document and the report
    frontier: bool = True
    # fresh scenarios to re-score the plan on (0: skip), as `plan --out-of-sample`
    out_of_sample: Annotated[int, Field(ge=0, le=20_000)] = DEFAULT_OUT_OF_SAMPLE

    @field_validator("replications")
    @classmethod
    def _two_or_none(cls, v: int) -> int:
        if v == 1:
            raise ValueError("replications must be 0 (not measured) or at least 2")
        return v


class OffersIn(BaseModel):
    """A team's private offerings and deals: a user catalog file (docs/catalog.md) as YAML."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$")]
    yaml: Annotated[str, Field(min_length=1, max_length=2_000_000)]


class MatrixIn(BaseModel):
    """Workload classes (the ``workloads:`` YAML of docs/estimate.md) to price on chips."""

    yaml: Annotated[str, Field(min_length=1, max_length=500_000)]
    accelerators: Annotated[list[str], Field(min_length=1, max_length=64)]


class SimulationIn(BaseModel):
    """A simulation: a fleet (inline, or the fleet of a finished plan job), a trace (Gavel's
    shipped traces or generated jobs), a policy."""

    fleet: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    plan_job: str | None = None
    trace: Annotated[str, Field(pattern=r"^gavel:(max_min_fairness|minimize_makespan)$")] | None = (
        None
    )
    generate: Annotated[int, Field(ge=1, le=100_000)] | None = None
    arrival_rate: Annotated[float, Field(gt=0, le=1e6)] = 2.0
    policy: str = "max-min-fairness"
    throughputs: Annotated[str, Field(pattern=r"^gavel$")] | None = None
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    stress: bool = True  # with a plan_job: also run each named fault and report its effect


class PlacementJob(BaseModel):
    """A job to place now."""

    id: Annotated[str, Field(min_length=1)]
    job_type: Annotated[str, Field(min_length=1)]
    work: Annotated[float, Field(gt=0)]
    chips: Annotated[int, Field(ge=1, le=10_000_000)] = 1
    accelerators: list[str] | None = None


class PlacementPool(BaseModel):
    """A pool and its free chips now."""

    name: Annotated[str, Field(min_length=1)]
    accelerator: Annotated[str, Field(min_length=1)]
    free: Annotated[float, Field(ge=0)]
    price_chip_hour: Annotated[float, Field(ge=0)] = 0.0
    contract: str = "on-demand"


class ThroughputRow(BaseModel):
    """Work per chip-hour of a job type on an accelerator."""

    job_type: Annotated[str, Field(min_length=1)]
    accelerator: Annotated[str, Field(min_length=1)]
    work_per_chip_hour: Annotated[float, Field(gt=0)]


class PlacementIn(BaseModel):
    """A live placement request."""

    policy: str = "greedy-fast"
    jobs: Annotated[list[PlacementJob], Field(min_length=1, max_length=10_000)]
    pools: Annotated[list[PlacementPool], Field(min_length=1, max_length=1_000)]
    throughputs: Annotated[list[ThroughputRow], Field(min_length=1)]
