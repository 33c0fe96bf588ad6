"""Training estimates a strategy team reads: best layout, time to train, cost on every contract.

``estimate_training`` runs the layout search on one accelerator (or every accelerator the
catalog can model) and prices the result on every way to buy that chip: each provider's
cheapest on-demand, spot, 1- and 3-year commitment, capacity block and user deal
(``catalog.contract_quotes``: rentable prices, a GPU priced without its host VM carrying its
share of the host's price). Rows are ranked by cost per million training tokens. Catalog rows
that cannot be rented at a known price (GPUs whose host VM has no price) are in ``unquoted``
with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from computebroker.catalog import (
    Catalog,
    ContractKind,
    ContractQuote,
    NotRentable,
    cheapest_quotes,
    contract_quotes,
    unquoted_offerings,
)
from computebroker.errors import ComputeBrokerError
from computebroker.perf.goodput import LLAMA3, Goodput
from computebroker.perf.hardware import Constants, Efficiency, HardwareProfile, profile_for
from computebroker.perf.layout import LayoutConstraints, Precision
from computebroker.perf.models import ModelSpec
from computebroker.perf.stacks import Stack, default_stack_for
from computebroker.perf.train import (
    TrainEstimate,
    TrainSetup,
    default_global_batch_tokens,
    search_layouts,
)
from computebroker.perf.uncertainty import Band, band_for

__all__ = [
    "CostLine",
    "TrainingReport",
    "TrainingRequest",
    "estimate_training",
    "modelable_accelerators",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingRequest:
    """What a user asks: a model, tokens to train, chips and whatever they pin."""

    model: ModelSpec
    accelerator: str  # a name, or "all"
    chips: int
    tokens: float | None = None
    seq_len: int | None = None
    global_batch_tokens: float | None = None
    precision: Precision = Precision.BF16
    constraints: LayoutConstraints = field(default_factory=LayoutConstraints)
    stack: Stack | None = None
    efficiencies: Mapping[str, Efficiency] | None = None
    constants: Constants | None = None
    # Interruptions, restarts and evaluation (perf.goodput); NO_INTERRUPTIONS turns it off.
    goodput: Goodput = LLAMA3
    # MoE: slowest expert-parallel rank's routed load over the mean; 0 takes
    # train.MOE_DEFAULT_IMBALANCE (1.25), 1.0 is forced-balanced routing.
    moe_imbalance: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CostLine:
    """The cost of the training job bought one way."""

    quote: ContractQuote
    cost_usd: float | None
    usd_per_million_tokens: float
    # what signing for the job obliges: a commitment is paid for its whole term (its hourly
    # rate is only available on those terms), on-demand and spot for the job's hours only
    obligation_usd: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingReport:
    """The best layout on one accelerator, alternatives, and prices."""

    accelerator: str
    best: TrainEstimate | None
    alternatives: tuple[TrainEstimate, ...]
    costs: tuple[CostLine, ...]
    tokens: float | None
    error: str = ""
    goodput: float = 1.0  # share of wall-clock time that advances training
    goodput_note: str = ""
    band: Band | None = None  # out-of-sample uncertainty of the throughput
    # catalog rows of the chip left out of ``costs``: no rentable price (catalog.rental)
    unquoted: tuple[NotRentable, ...] = ()

    @property
    def compute_time_s(self) -> float | None:
        """Seconds of uninterrupted training for ``tokens`` at the best layout's throughput."""
        if self.best is None or not self.tokens:
            return None
        return self.tokens / self.best.tokens_per_s

    @property
    def time_to_train_s(self) -> float | None:
        """Wall-clock seconds to train ``tokens``: compute time / goodput."""
        t = self.compute_time_s
        return None if t is None else t / self.goodput

    @property
    def chip_hours(self) -> float | None:
        """Chip-hours paid for the job, goodput included."""
        t = self.time_to_train_s
        return None if t is None or self.best is None else t * self.best.chips / 3600.0

    @property
    def cheapest(self) -> CostLine | None:
        """The cheapest way to buy the job without spot capacity (which can be reclaimed
        mid-run and is rarely available at training scale); spot lines stay in ``costs``.

        A chip whose only public price is spot (Trainium2: AWS publishes no on-demand rate;
        it sells Trn2 through Capacity Blocks and Savings Plans) falls back to its cheapest
        spot line, flagged by ``spot_only``, so that it can still be ranked."""
        firm = [c for c in self.costs if c.quote.kind is not ContractKind.SPOT]
        if firm:
            return firm[0]
        return self.costs[0] if self.costs else None

    @property
    def price_estimate(self) -> str:
        """The derivation when the cheapest line's price is a labelled estimate (a shipped
        offering whose ``source`` starts with ``ESTIMATE``: no public list price exists, e.g.
        TPU7x), else empty."""
        c = self.cheapest
        return c.quote.source if c is not None and c.quote.source.startswith("ESTIMATE") else ""

    @property
    def spot_only(self) -> bool:
        """True when the only public prices of the chip are spot prices."""
        return bool(self.costs) and all(c.quote.kind is ContractKind.SPOT for c in self.costs)


def modelable_accelerators(catalog: Catalog) -> list[str]:
    """Accelerators with the specs the step-time model needs."""
    return [
        a.id
        for a in catalog.accelerators
        if a.bf16_tflops is not None and a.hbm_gib is not None and a.hbm_tbps is not None
    ]


def _term_hours(kind: ContractKind) -> float:
    """Hours of a contract kind's usual term (730 hours a month; 0 for on-demand and spot)."""
    return kind.term_hint_months * 730.0 if kind.is_commitment else 0.0


def _costs(
    catalog: Catalog, acc: str, est: TrainEstimate, tokens: float | None, goodput: float
) -> list[CostLine]:
    hours = tokens / est.tokens_per_s / goodput / 3600 if tokens else None
    # Paid chip-hours include the time lost to interruptions and evaluation.
    per_chip_hour_tokens = est.tokens_per_s_per_chip * 3600 * goodput
    out = []
    for q in cheapest_quotes(contract_quotes(catalog, acc)):
        out.append(
            CostLine(
                quote=q,
                cost_usd=None if hours is None else q.price_chip_hour * est.chips * hours,
                usd_per_million_tokens=q.price_chip_hour / per_chip_hour_tokens * 1e6,
                obligation_usd=None
                if hours is None
                else q.price_chip_hour * est.chips * max(hours, _term_hours(q.kind)),
            )
        )
    out.sort(key=lambda c: c.usd_per_million_tokens)
    return out


def _one(
    catalog: Catalog, req: TrainingRequest, acc_id: str, hw: HardwareProfile | None = None
) -> TrainingReport:
    try:
        hw = hw or profile_for(
            catalog.accelerator(acc_id), efficiencies=req.efficiencies, constants=req.constants
        )
        seq = req.seq_len or req.model.seq_len
        gbt = req.global_batch_tokens or default_global_batch_tokens(req.chips, seq)
        setup = TrainSetup(
            model=req.model,
            seq_len=seq,
            global_batch_tokens=gbt,
            precision=req.precision,
            stack=req.stack,
            moe_imbalance=req.moe_imbalance,
        )
        ests = search_layouts(setup, hw, req.chips, req.constraints, top=5)
    except ComputeBrokerError as exc:
        return TrainingReport(
            accelerator=acc_id,
            best=None,
            alternatives=(),
            costs=(),
            tokens=req.tokens,
            error=str(exc),
        )
    best = ests[0]
    good = req.goodput.fraction(req.chips)
    stack = req.stack or default_stack_for(hw.accelerator.vendor)
    return TrainingReport(
        accelerator=acc_id,
        best=best,
        alternatives=tuple(ests[1:]),
        costs=tuple(_costs(catalog, acc_id, best, req.tokens, good)),
        tokens=req.tokens,
        goodput=good,
        goodput_note=req.goodput.describe(req.chips),
        band=band_for(hw.efficiency, hw.accelerator.vendor, stack.name, moe=req.model.is_moe),
        unquoted=tuple(unquoted_offerings(catalog, acc_id)),
    )


def estimate_training(catalog: Catalog, req: TrainingRequest) -> list[TrainingReport]:
    """One report per accelerator asked for; ``accelerator="all"`` compares every modelable chip.

    Reports that could not be costed carry ``error`` (for example "405B needs >= 64 chips").
    With several accelerators, reports are ranked by the cheapest cost per million tokens,
    chips without any price last.

    Examples
    --------
    >>> from computebroker.catalog import load_catalog
    >>> from computebroker.perf.presets import get_model
    >>> (r,) = estimate_training(load_catalog(), TrainingRequest(
    ...     model=get_model("llama3-8b"), accelerator="h100", chips=64, tokens=1e12))
    >>> r.best.layout.chips, r.time_to_train_s > 0
    (64, True)
    """
    ids: Sequence[str]
    if req.accelerator.strip().lower() == "all":
        ids = modelable_accelerators(catalog)
    else:
        ids = [catalog.accelerator(req.accelerator).id]
    reports = [_one(catalog, req, a) for a in ids]
    if len(reports) > 1:
        reports.sort(
            key=lambda r: (
                r.best is None,
                r.cheapest is None,
                r.cheapest.usd_per_million_tokens if r.cheapest else 0.0,
                -(r.best.tokens_per_s_per_chip if r.best else 0.0),
            )
        )
    return reports
