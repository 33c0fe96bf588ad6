"""What a planning scenario says, as frozen domain values (built from YAML by ``scenario.py``).

A ``ScenarioSpec`` is everything the planner is told: the horizon, the workload classes and
their demand model, the offers that can be contracted (with price, term, blocks, quantities,
availability, delivery ramp and delivery risk), the policy (vendor caps, budgets, shortfall
penalty, risk measure, residency rules, commitments already signed) and how to sample
scenarios. Period indices count from the horizon's first period (0-based).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from computebroker.catalog import ContractKind
from computebroker.perf.matrix import WorkloadClass
from computebroker.planner.periods import Horizon

__all__ = [
    "BudgetBasis",
    "DemandClass",
    "DemandSpec",
    "ExistingCommitment",
    "OfferSpec",
    "Policy",
    "SamplingMethod",
    "SamplingSpec",
    "ScarcitySpec",
    "ScenarioSpec",
    "ShareBasis",
    "ShareScope",
    "TerminalSalvage",
]

# Annual discount rate applied to every cash flow when a scenario does not give one: a typical
# cost of capital of a large US technology company (Damodaran, "Cost of Capital by Sector (US)",
# pages.stern.nyu.edu/~adamodar/New_Home_Page/datafile/wacc.html, updated each January: the
# software, semiconductor and information-services sectors sit at about 8-10% in 2023-2025).
# A stated assumption; set ``policy.discount_rate`` (0 gives the undiscounted sums).
DISCOUNT_RATE_DEFAULT = 0.08


class ShareBasis(StrEnum):
    """What a vendor share is measured on."""

    SPEND = "spend"
    CAPACITY = "capacity"  # peak bf16 PFLOP/s committed


class ShareScope(StrEnum):
    """Where a vendor cap applies."""

    PERIOD = "period"  # in every period, on committed (nominal usable) capacity
    PORTFOLIO = "portfolio"  # on the total contract value signed over the whole term


class BudgetBasis(StrEnum):
    """What ``budget_total`` bounds."""

    SPEND = "spend"  # nominal spend over the horizon, in every scenario
    SIGNED = "signed"  # total contract value signed (new commitments, including post-horizon)


class SamplingMethod(StrEnum):
    """How demand shocks are drawn."""

    MONTE_CARLO = "mc"
    ANTITHETIC = "antithetic"  # pairs (z, -z): halves the variance of symmetric estimates
    STRATIFIED = "stratified"  # the common shock on stratified normal quantiles


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferSpec:
    """One thing that can be contracted.

    Commitments (``contract.is_commitment``) are decided now for every start period; on-demand
    and spot capacity is rented per period and scenario. Quantities are chips; ``max_chips``
    bounds the active (usable) chips of the offer in any period, ``min_chips`` is the least a
    signed commitment may hold (enforced with ``--milp``). ``ramp[k]`` is the share of a
    commitment usable ``k`` periods after it starts (after ``lead_periods``); shares past the
    ramp are 1. Delivery risk: with probability ``slip_prob`` the offer's first deliveries arrive
    ``slip_periods`` late; with probability ``partial_prob`` only ``partial_fraction`` arrives.
    """

    id: str
    provider: str
    accelerator: str
    region: str
    contract: ContractKind
    price_chip_hour: float
    price_source: str
    term_periods: int = 1
    block_chips: int = 1
    min_chips: int = 0
    max_chips: float = float("inf")
    available_from: int = 0
    available_until: int | None = None
    lead_periods: int = 0
    ramp: tuple[float, ...] = ()
    slip_prob: float = 0.0
    slip_periods: int = 0
    partial_prob: float = 0.0
    partial_fraction: float = 1.0
    usable_fraction: float = 1.0  # spot: share of rented capacity left after preemptions

    @property
    def is_commitment(self) -> bool:
        """Decided now (first stage) rather than rented per scenario."""
        return self.contract.is_commitment


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandClass:
    """Work per period of one workload class: a base path and how it varies."""

    workload: str
    base: tuple[float, ...]  # expected work per period (the workload's unit)
    volatility: float = 0.0  # std of the per-period log shock (a random walk in log demand)
    growth_volatility: float = 0.0  # std of a scenario-wide drift in log growth per period


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandSpec:
    """Demand for every class and how classes move together."""

    classes: tuple[DemandClass, ...]
    correlation: float = 0.0  # correlation of the shocks between classes
    explicit: tuple[tuple[float, dict[str, tuple[float, ...]]], ...] = ()  # (weight, class -> path)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExistingCommitment:
    """A commitment already signed: ``chips`` of ``offer`` starting at period ``start``."""

    offer: str
    start: int
    chips: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalSalvage:
    """Salvage from demand past the horizon (``policy.terminal_salvage``): a committed
    chip-period at period ``t >= P`` (0-based) is worth ``min(1, u[t] * m[t])`` of its price,
    ``m[t] = (1 - price_decline) ** (t / periods_per_year)`` (what the same capacity would cost
    on the market then, relative to the price signed at the start) and
    ``u[t] = min(1, (1 + demand_growth) ** ((t - P + 1) / periods_per_year))`` (the share of it
    that demand continuing past the horizon uses, the plan's last-period capacity being what its
    last period's demand needed)."""

    price_decline: float = 0.20  # per year; see docs/planner.md for its source
    demand_growth: float = 0.0  # per year, past the horizon

    def fractions(self, periods: int, post_periods: int, per_year: int) -> np.ndarray:
        """(post_periods,) salvage fraction of each period past a horizon of ``periods``.

        Examples
        --------
        >>> TerminalSalvage(price_decline=0.2).fractions(4, 2, 4).round(4).tolist()
        [0.8, 0.7566]
        """
        t = np.arange(periods, periods + post_periods, dtype=float)
        market = (1.0 - self.price_decline) ** (t / per_year)
        used = np.minimum(1.0, (1.0 + self.demand_growth) ** ((t - periods + 1) / per_year))
        return np.asarray(np.minimum(1.0, used * market), dtype=float)


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Rules and preferences of the buyer."""

    max_vendor_share: float | None = None
    share_basis: ShareBasis = ShareBasis.SPEND
    min_vendors: int | None = None
    budget_per_period: float | None = None  # USD
    budget_total: float | None = None  # USD over the horizon
    penalty_multiple: float | None = 3.0  # shortfall priced at this multiple of on-demand work
    penalty_usd_per_unit: dict[str, float] = field(default_factory=dict)  # overrides, by class
    cvar_alpha: float = 0.95
    risk_weight: float = 0.0  # lambda on CVaR_alpha of scenario cost
    shortfall_alpha: float | None = None  # "in the worst 1 - alpha of scenarios ..."
    shortfall_max_fraction: float | None = None  # "... average unmet demand is at most this"
    regions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # class -> allowed patterns
    existing: tuple[ExistingCommitment, ...] = ()
    salvage_fraction: float = 0.5  # value recovered per dollar committed after the horizon
    terminal_salvage: TerminalSalvage | None = None  # given: replaces salvage_fraction
    discount_rate: float = DISCOUNT_RATE_DEFAULT  # annual; every cash flow discounted (see above)
    share_scope: ShareScope = ShareScope.PERIOD
    budget_basis: BudgetBasis = BudgetBasis.SPEND
    # Throughput as a scenario dimension (``planner.sampling.throughput_multipliers``): each
    # scenario scales a chip's work per chip-hour by a mean-one lognormal draw whose spread is
    # the chip's out-of-sample band, correlated within its vendor by ``throughput_correlation``.
    throughput_uncertainty: bool = False
    throughput_correlation: float = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class ScarcitySpec:
    """How delivery risk and rentals move together (``scarcity:`` in the scenario file).

    Slips are drawn by a Gaussian copula: offer o slips in scenario s when
    ``Phi(Z[o,s]) < slip_prob[o]`` with
    ``Z = sqrt(vendor) V[vendor(o),s] + sqrt(chip) A[chip(o),s] - sqrt(demand) F[s]
    + sqrt(1 - vendor - chip - demand) e[o,s]`` (V, A, e independent standard normals, F the
    standardised demand level of the scenario: high demand, low Z, more slips), so each offer
    keeps its own slip probability and two offers of one vendor (chip) have latent correlation
    ``vendor`` (``chip``).
    Rentals: with ``excess[t,s] = max(0, D_total[t,s] / E[D_total[t]] - 1)`` (demand above its
    mean, all classes in their normalised units), rented price is ``(1 + price_premium excess)``
    times list and rentable capacity ``max(0, 1 - capacity_cut excess)`` times its cap.
    Defaults 0: independent slips and rentals unaffected by demand (the pre-scarcity model).
    """

    vendor: float = 0.0
    chip: float = 0.0
    demand: float = 0.0
    price_premium: float = 0.0
    capacity_cut: float = 0.0

    @property
    def rentals_move(self) -> bool:
        """Whether rental prices or capacity depend on the scenario."""
        return self.price_premium > 0 or self.capacity_cut > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SamplingSpec:
    """How many scenarios, from which seed, drawn how."""

    count: int = 200
    seed: int = 0
    method: SamplingMethod = SamplingMethod.ANTITHETIC
    reduce_to: int | None = None
    replications: int = 0  # replications measuring the plan (0: not measured)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioSpec:
    """A whole planning scenario."""

    name: str
    description: str
    horizon: Horizon
    workloads: tuple[WorkloadClass, ...]
    demand: DemandSpec
    offers: tuple[OfferSpec, ...]
    policy: Policy
    sampling: SamplingSpec
    scarcity: ScarcitySpec = field(default_factory=ScarcitySpec)
    source: str = ""
    notes: tuple[str, ...] = ()

    def offer(self, offer_id: str) -> OfferSpec:
        """The offer with this id."""
        for o in self.offers:
            if o.id == offer_id:
                return o
        raise KeyError(offer_id)
