"""The API's wire schemas (pydantic: the service is an edge): request bodies and responses.

Compatibility: these models are the ``/v1`` contract. Within ``/v1`` a change may only *add*:
a new optional request field (with a default that keeps the old meaning) or a new response
field; clients must ignore response fields they do not know. Renaming or removing a field,
narrowing a type or changing a default's meaning needs ``/v2``. Request models forbid unknown
fields (a typo is a 422, not a silently ignored option).

Every JSON response has a model here, so the OpenAPI document says what each route answers
(a test checks it). Responses that relay a stage's own record (a simulation's report, a training
estimate, a matrix row) declare its fields and allow more (``extra="allow"``): a stage that adds
a figure adds it to the answer, and a declared field that goes away fails the response check.
The plan document's model is the planner's own (:data:`PlanOut`, ``planner.document``).

Every text field is bounded and safe to store: no NUL characters and no lone surrogates
(:data:`SafeStr`), which PostgreSQL and UTF-8 reject; every number is bounded and finite.
The schemas never read the environment.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from computebroker.planner.document import PlanDocument
from computebroker.workflow import DEFAULT_OUT_OF_SAMPLE

__all__ = [
    "EXAMPLE_SCENARIO",
    "EXAMPLE_SCENARIO_NAME",
    "AcceleratorOut",
    "AgainstPlanOut",
    "CancelOut",
    "CatalogOfferingOut",
    "CommittedPoolIn",
    "EvaluationIn",
    "EvaluationOut",
    "Health",
    "JobOut",
    "JobQueued",
    "LivePlacementOut",
    "MatrixIn",
    "MatrixRowOut",
    "OfferOut",
    "OffersIn",
    "OffersSaved",
    "PlacementIn",
    "PlacementJob",
    "PlacementOut",
    "PlacementPartOut",
    "PlacementPool",
    "PlacementsOut",
    "PlanIn",
    "PlanOut",
    "RentalPlacementIn",
    "ReportOut",
    "SafeStr",
    "ScenarioIn",
    "ScenarioInvalid",
    "ScenarioIssueOut",
    "ScenarioOut",
    "ScenarioSaved",
    "ScenarioValid",
    "ScenarioVersion",
    "ShapeIn",
    "SimTimelineOut",
    "SimulationIn",
    "SimulationOut",
    "ThroughputRow",
    "TokenIn",
    "TokenIssued",
    "TokenOut",
    "TrainEstimateOut",
    "UnrentableOut",
]

# the largest scenario, offers or workloads file accepted (a real scenario is a few KB)
MAX_YAML_CHARS = 1_000_000


def _safe_text(v: str) -> str:
    if "\x00" in v:
        raise ValueError("text must not contain NUL characters")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (a lone surrogate is not)") from exc
    return v


SafeStr = Annotated[str, AfterValidator(_safe_text)]
Name = Annotated[SafeStr, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$")]
Yaml = Annotated[SafeStr, Field(min_length=1, max_length=MAX_YAML_CHARS)]
Label = Annotated[SafeStr, Field(min_length=1, max_length=200)]
Finite = Annotated[float, Field(allow_inf_nan=False)]

# The OpenAPI schema's example bodies (a client's starting point, and the valid requests the
# fuzz tests, tests/service/test_fuzz.py, mutate): examples/startup.yaml cut to one workload,
# two offers, three months and four scenarios, so its plan job takes seconds.
EXAMPLE_SCENARIO_NAME = "startup-small"
EXAMPLE_SCENARIO = """\
name: startup-small
horizon: {start: 2026-01, periods: 3, period: month}
workloads:
  - {name: finetune-8b, model: llama3.1-8b, mode: train, chips: 64}
demand:
  classes:
    finetune-8b: {start: 1.2e12, growth: 0.06, volatility: 0.15}
offers:
  - {id: aws-h100-od, provider: aws, accelerator: h100, region: us-east-1, contract: on-demand, max_chips: 512}
  - {id: aws-h100-1y, provider: aws, accelerator: h100, region: us-east-1, contract: commit-1y, block_chips: 8, max_chips: 1024}
scenarios: {count: 4, seed: 1}
"""
_EXAMPLE_PLAN = {
    "scenario": EXAMPLE_SCENARIO_NAME,
    "scenarios": 4,
    "out_of_sample": 0,
    "frontier": False,
}


def _examples(*bodies: dict[str, Any]) -> ConfigDict:
    """A request model's config with example bodies for its OpenAPI schema."""
    return ConfigDict(json_schema_extra={"examples": list(bodies)})


class _In(BaseModel):
    """A request body: unknown fields are an error; floats are finite."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ScenarioIn(_In):
    """A scenario file to store (YAML text, validated first)."""

    model_config = _examples({"name": EXAMPLE_SCENARIO_NAME, "yaml": EXAMPLE_SCENARIO})

    name: Name
    yaml: Yaml


class PlanIn(_In):
    """A plan to compute from a stored scenario."""

    model_config = _examples(_EXAMPLE_PLAN, {**_EXAMPLE_PLAN, "seed": 7, "method": "extensive"})

    scenario: Name
    version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    # a count, or "auto": grow the sample until the optimality gap and the interval of the
    # expected cost meet 1% (as `plan --scenarios auto`)
    scenarios: Annotated[int, Field(ge=1, le=20_000)] | Literal["auto"] | None = None
    # independent replications behind the convergence record (0: not measured; with "auto",
    # per sample size, default 5; None: the scenario file's), as `plan --replications`
    replications: Annotated[int, Field(ge=0, le=50)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    method: Annotated[str, Field(pattern=r"^(auto|extensive|benders)$")] = "auto"
    # cost vs risk over the planner's default risk weights, in the document and the report
    frontier: bool = True
    # fresh scenarios to re-score the plan on (0: skip), as `plan --out-of-sample`
    out_of_sample: Annotated[int, Field(ge=0, le=20_000)] = DEFAULT_OUT_OF_SAMPLE
    # the solver's time limit in seconds, as `plan --time-limit` (None: no limit); a solve that
    # stops without a plan fails the job with the limit it hit
    time_limit_s: Annotated[float, Field(gt=0, le=86_400)] | None = None

    @field_validator("replications")
    @classmethod
    def _two_or_none(cls, v: int | None) -> int | None:
        if v == 1:
            raise ValueError("replications must be 0 (not measured) or at least 2")
        return v


class EvaluationIn(_In):
    """Commitment policies judged on the same simulated futures (as ``computebroker evaluate``,
    docs/evaluate.md) for a stored scenario."""

    scenario: Name
    version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    policies: Annotated[list[Literal["static", "rolling"]], Field(min_length=1, max_length=2)] = [
        "static",
        "rolling",
    ]
    # true paths every policy meets (as `evaluate --paths`); each rolling path re-plans once a
    # period, so a path of a 12-quarter scenario is 12 solves
    paths: Annotated[int, Field(ge=1, le=1_000)] = 20
    # the path seed (None: the scenario's seed + 7919, as `evaluate`)
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    replan_scenarios: Annotated[int, Field(ge=2, le=200)] = 10
    decision_lead: Annotated[int, Field(ge=0, le=100)] = 0
    information_lag: Annotated[int, Field(ge=0, le=100)] = 0
    # processes the paths run on inside the job (1: in the job's own process)
    workers: Annotated[int, Field(ge=1, le=64)] = 1


class OffersIn(_In):
    """A team's private offerings and deals: a user catalog file (docs/catalog.md) as YAML."""

    name: Name
    yaml: Yaml


class MatrixIn(_In):
    """Workload classes (the ``workloads:`` YAML of docs/estimate.md) to price on chips."""

    model_config = _examples(
        {
            "yaml": "workloads:\n  - {name: ft, model: llama3.1-8b, mode: train, chips: 64}\n",
            "accelerators": ["h100", "tpu-v6e"],
        }
    )

    yaml: Yaml
    accelerators: Annotated[list[Label], Field(min_length=1, max_length=64)]


class SimulationIn(_In):
    """A simulation: a fleet (inline, or the fleet of a finished plan job), a trace (Gavel's
    shipped traces or generated jobs), a policy."""

    model_config = _examples(
        {
            "fleet": "v100=8,p100=16,k80=24",
            "generate": 20,
            "throughputs": "gavel",
            "policy": "max-min-fairness",
        }
    )

    fleet: Annotated[SafeStr, Field(min_length=1, max_length=2000)] | None = None
    plan_job: Annotated[SafeStr, Field(max_length=64)] | None = None
    trace: Annotated[str, Field(pattern=r"^gavel:(max_min_fairness|minimize_makespan)$")] | None = (
        None
    )
    generate: Annotated[int, Field(ge=1, le=100_000)] | None = None
    arrival_rate: Annotated[float, Field(gt=0, le=1e6)] = 2.0
    policy: Annotated[SafeStr, Field(max_length=100)] = "max-min-fairness"
    throughputs: Annotated[str, Field(pattern=r"^gavel$")] | None = None
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    stress: bool = True  # with a plan_job: also run each named fault and report its effect


class PlacementJob(_In):
    """A job to place now."""

    id: Label
    job_type: Label
    work: Annotated[float, Field(gt=0, le=1e30, allow_inf_nan=False)]
    chips: Annotated[int, Field(ge=1, le=10_000_000)] = 1
    accelerators: Annotated[list[Label], Field(max_length=64)] | None = None


class PlacementPool(_In):
    """A pool and its free chips now."""

    name: Label
    accelerator: Label
    free: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
    price_chip_hour: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = 0.0
    contract: Annotated[SafeStr, Field(max_length=40)] = "on-demand"


class ThroughputRow(_In):
    """Work per chip-hour of a job type on an accelerator."""

    job_type: Label
    accelerator: Label
    work_per_chip_hour: Annotated[float, Field(gt=0, le=1e30, allow_inf_nan=False)]


class PlacementIn(_In):
    """A live placement request."""

    model_config = _examples(
        {
            "policy": "greedy-fast",
            "jobs": [{"id": "j1", "job_type": "llm", "work": 1e9, "chips": 8}],
            "pools": [
                {"name": "slow", "accelerator": "a100", "free": 64},
                {"name": "fast", "accelerator": "h100", "free": 16},
            ],
            "throughputs": [
                {"job_type": "llm", "accelerator": "a100", "work_per_chip_hour": 1e6},
                {"job_type": "llm", "accelerator": "h100", "work_per_chip_hour": 3e6},
            ],
        }
    )

    policy: Annotated[SafeStr, Field(max_length=100)] = "greedy-fast"
    jobs: Annotated[list[PlacementJob], Field(min_length=1, max_length=10_000)]
    pools: Annotated[list[PlacementPool], Field(min_length=1, max_length=1_000)]
    throughputs: Annotated[list[ThroughputRow], Field(min_length=1, max_length=100_000)]


class ShapeIn(_In):
    """Another accelerator and chips per node that would do for the job."""

    accelerator: Label
    chips: Annotated[int, Field(ge=1, le=10_000)] = 1


class CommittedPoolIn(_In):
    """Capacity the team has paid for and its free chips now."""

    name: Label
    accelerator: Label
    free_chips: Annotated[int, Field(ge=0, le=10_000_000)]
    cloud: Label = "any"
    region: Label = "any"
    price_chip_hour: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = 0.0


class RentalPlacementIn(_In):
    """Where to run one job (``POST /v1/placements`` with ``accelerator``): committed capacity
    first (``committed`` pools, or a finished ``plan_job``'s commitments in ``period``), then the
    cheapest rentable instance shapes with exactly ``chips`` per node; with ``workload``, ranked
    by USD per unit of its work (rates from ``throughputs`` or the plan job's matrix)."""

    accelerator: Label
    chips: Annotated[int, Field(ge=1, le=10_000)] = 1
    num_nodes: Annotated[int, Field(ge=1, le=10_000)] = 1
    alternatives: Annotated[list[ShapeIn], Field(max_length=16)] = Field(default_factory=list)
    clouds: Annotated[list[Label], Field(min_length=1, max_length=64)] | None = None
    regions: Annotated[list[Label], Field(min_length=1, max_length=256)] | None = None
    spot: bool = False
    split: bool = True  # a gang may take some nodes on a committed pool and rent the rest
    top: Annotated[int, Field(ge=1, le=100)] = 5
    committed: Annotated[list[CommittedPoolIn], Field(max_length=1_000)] = Field(
        default_factory=list
    )
    plan_job: Annotated[SafeStr, Field(min_length=1, max_length=64)] | None = None
    period: Label | None = None  # a period of the plan job's horizon (default: its first)
    in_use: Annotated[
        dict[Label, Annotated[int, Field(ge=0, le=10_000_000)]], Field(max_length=1_000)
    ] = Field(default_factory=dict)
    workload: Label | None = None
    work_unit: Annotated[SafeStr, Field(min_length=1, max_length=100)] = "work"
    throughputs: Annotated[list[ThroughputRow], Field(min_length=1, max_length=100_000)] | None = (
        None
    )


class TokenIn(_In):
    """A new token for the caller's team."""

    model_config = _examples({"name": "nightly-ci", "expires_in_days": 30})

    name: Annotated[SafeStr, Field(max_length=100)] = ""
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = None


# ---- responses -------------------------------------------------------------------------------


class Health(BaseModel):
    """Liveness and version."""

    status: str
    version: str


class JobQueued(BaseModel):
    """A job accepted into the queue."""

    id: str
    status: str


class JobOut(BaseModel):
    """A job's state."""

    id: str
    kind: str
    status: str  # queued, running, done, failed, cancelled
    progress: float
    message: str
    error: str | None
    attempts: int = 0
    cancel_requested: bool = False
    created_at: str | None = None
    finished_at: str | None = None
    params: dict[str, Any] | None = None


class CancelOut(BaseModel):
    """What a cancel did: a queued job is cancelled now; a running one is stopped by its
    worker within a heartbeat; a finished one is left as it is (``cancel_requested`` false)."""

    id: str
    status: str
    cancel_requested: bool


class IntervalOut(BaseModel):
    """A mean over the paths with its 95% interval and the 5th..95th percentiles."""

    mean: float
    ci95_low: float
    ci95_high: float
    p05: float
    p95: float


class SignedOut(BaseModel):
    """Mean chips a policy signed of one offer for one start period."""

    offer: str
    start: str
    chips: float


class PolicyOut(BaseModel):
    """One policy over every path (money in USD, unmet work in each class's unit)."""

    policy: str
    cost_usd: IntervalOut  # realised, nominal
    pv_usd: IntervalOut  # at the scenario's discount rate
    unmet: dict[str, IntervalOut]
    obligations_usd: IntervalOut  # total contract value signed
    vendor_shares: dict[str, float]
    signed_chips: list[SignedOut]


class WaitOut(BaseModel):
    """Sign an offer now or wait one period: the rolling policy's first re-plan both ways."""

    offer: str
    chips_now: float
    cost_sign_now_usd: float
    cost_wait_usd: float
    value_of_signing_now_usd: float


class PathOut(BaseModel):
    """One policy on one true path."""

    policy: str
    path: int
    cost_usd: float
    pv_usd: float
    penalty_usd: float
    obligations_usd: float
    unmet: dict[str, float]
    cost_by_period_usd: list[float]


class EvaluationOptionsOut(BaseModel):
    """How the rolling policy re-planned."""

    replan_scenarios: int
    decision_lead: int
    information_lag: int


class EvaluationOut(BaseModel):
    """An evaluation's result (``evaluation.json`` of ``computebroker evaluate``)."""

    scenario: str
    paths: int
    periods: list[str]
    options: EvaluationOptionsOut
    value_of_flexibility_usd: IntervalOut | None  # static - rolling, paired on the paths
    sign_now_or_wait: list[WaitOut]
    policies: list[PolicyOut]
    paths_detail: list[PathOut]


class ScenarioSaved(BaseModel):
    """A stored scenario version."""

    name: str
    version: int


class ScenarioVersion(ScenarioSaved):
    """A version in the list of a team's scenarios."""

    created_at: str


class ScenarioOut(ScenarioSaved):
    """A scenario version with its text."""

    yaml: str


class PlacementPartOut(BaseModel):
    """Nodes of a placement on one committed pool or one rented instance shape."""

    source: Literal["committed", "rented"]
    name: str
    cloud: str
    region: str
    accelerator: str
    instance_type: str | None
    chips_per_node: int
    num_nodes: int
    price_chip_hour: float  # list price; on committed capacity the commitment's, already paid
    cost_hour: float  # what these nodes add per hour (0 on committed capacity)
    # per node: the host VM of GPUs the catalog prices alone (GCP N1/G2), in the prices above
    host_price_hour: float | None = None


class UnrentableOut(BaseModel):
    """A catalog row of a requested accelerator left out: its price is not a whole instance's
    (GPUs priced without a known host VM price, or one chip's price of an unstated shape)."""

    offering: str
    cloud: str
    region: str
    instance_type: str
    accelerator: str
    chips_per_node: int
    price_hour: float | None
    price_covers: Literal["instance", "accelerator", "chip"]
    reason: str


class PlacementOut(BaseModel):
    """One way to place the job, whole gang."""

    accelerator: str
    chips_per_node: int
    num_nodes: int
    committed_nodes: int
    rented_nodes: int
    where: str
    cost_hour: float
    work_per_hour: float | None
    cost_per_work: float | None
    unit: str | None
    parts: list[PlacementPartOut]


class PlacementsOut(BaseModel):
    """The placements of one job, best first."""

    placements: list[PlacementOut]
    ranked_by: Literal["cost_hour", "cost_per_work"]
    unrentable: list[UnrentableOut] = Field(default_factory=list)  # left out, with the reason


class TokenOut(BaseModel):
    """A token (never its secret): its prefix identifies it."""

    prefix: str
    name: str
    created_at: str
    expires_at: str | None
    revoked: bool


class TokenIssued(TokenOut):
    """A new token: the secret is shown this once."""

    token: str


# ---- catalog, offers, estimates, matrices ------------------------------------------------


class AcceleratorOut(BaseModel):
    """A chip of the shipped catalog (``GET /v1/catalog/accelerators``)."""

    id: str
    vendor: str
    bf16_tflops: float | None  # peak dense bf16 per chip
    hbm_gib: float | None
    source: str


class CatalogOfferingOut(BaseModel):
    """One offering of the shipped catalog, priced per chip (``GET /v1/catalog/offerings``)."""

    id: str
    provider: str
    region: str
    accelerator: str
    contract: Literal["on-demand", "spot"]
    price_chip_hour: float | None
    price_pflop_hour: float | None  # per peak bf16 PFLOP-hour
    source: str
    as_of: str


class OffersSaved(BaseModel):
    """A team's private offers file, stored: how many offerings and deals it adds."""

    name: str
    offerings: int
    deals: int


class OfferOut(BaseModel):
    """A stored private offers file."""

    name: str
    created_at: str


class TrainEstimateOut(BaseModel):
    """One chip's best layout, time and cost to train (a row of ``estimate train``'s record;
    the layout, memory, costs and alternatives are the perf report's, relayed as they are)."""

    model_config = ConfigDict(extra="allow")

    accelerator: str
    feasible: bool
    error: str | None = None  # why the model does not fit (infeasible rows)
    chips: int | None = None
    layout: str | None = None
    tokens: float | None = None
    tokens_per_s_per_chip: float | None = None
    mfu: float | None = None
    chip_hours: float | None = None
    time_to_train_days: float | None = None
    cost_usd: float | None = None
    cheapest_provider: str | None = None
    cheapest_contract: str | None = None
    usd_per_million_tokens: float | None = None


class MatrixRowOut(BaseModel):
    """One (workload, accelerator) of a throughput matrix: work per chip-hour and its band."""

    model_config = ConfigDict(extra="allow")

    workload: str
    accelerator: str
    work_per_chip_hour: float | None  # None: the workload does not run there
    unit: str
    layout: str
    note: str
    band_rel: float | None
    band_label: str


# ---- scenario checks --------------------------------------------------------------------


class ScenarioIssueOut(BaseModel):
    """One problem of a scenario: where (field path, line) and what."""

    loc: list[str]
    line: int | None
    msg: str


class ScenarioValid(BaseModel):
    """A scenario that parses: its size."""

    ok: Literal[True]
    offers: int
    workloads: int
    periods: int


class ScenarioInvalid(BaseModel):
    """A scenario that does not parse: every problem."""

    ok: Literal[False]
    detail: list[ScenarioIssueOut]


# ---- simulations, live placement, reports -------------------------------------------------


class SimTimelineOut(BaseModel):
    """Chips used and available per pool over time (thinned to a few hundred points)."""

    t_hours: list[float]
    used: dict[str, list[float]]
    capacity: dict[str, list[float]]


class AgainstPlanOut(BaseModel):
    """A simulation of a plan's fleet next to the plan's own utilisation."""

    model_config = ConfigDict(extra="allow")

    jobs: str
    plan_utilisation: float
    simulated_utilisation_of_paid_capacity: float
    simulated_utilisation_all_pools: float
    note: str


class SimulationOut(BaseModel):
    """A finished simulation (``simulate --format json``'s report, ``sim.metrics.SimReport``),
    with ``against_plan`` and ``fault_effects`` when it ran a plan's fleet."""

    model_config = ConfigDict(extra="allow")

    policy: str
    jobs: int
    finished: int
    unfinished: int
    rejected: int
    avg_jct_s: float | None
    p50_jct_s: float | None
    p99_jct_s: float | None
    makespan_s: float
    avg_queue_s: float | None
    utilisation: float
    utilisation_by_pool: dict[str, float]
    cost_usd: float
    cost_by_provider: dict[str, float]
    cost_by_contract: dict[str, float]
    work_submitted: float
    work_done: float
    work_lost: float
    work_remaining: float
    unit: str
    timeline: SimTimelineOut | None = None
    rejected_reasons: dict[str, int] | None = None
    against_plan: AgainstPlanOut | None = None
    fault_effects: list[dict[str, Any]] | None = None  # one row per stress case


class LivePlacementOut(BaseModel):
    """Live placement (a body with ``jobs`` and ``pools``): one job's pool, chips and rate."""

    job: str
    pool: str
    chips: int
    share: float  # of the job's time on the pool
    work_per_second: float


PlanOut = PlanDocument  # the plan document (``plan.json``): the planner's model is the contract
ReportOut = PlanDocument | SimulationOut | EvaluationOut  # a finished job's JSON result, by kind
