"""Stress tests: a plan's commitments scored on a stressed copy of its scenario, with the cost
difference split into what moved (commitment bill, rentals, obligations past the horizon, unmet
work) so that a report can say why the stress costs what it does.

``chip_slip(spec, accelerator, periods)`` is the stress of issue 14: every seller of one chip
slips together (``slip_prob`` 1, ``slip_periods`` K), shifting deliveries and terms.
``common_slip_chip(metrics, spec)`` picks the chip a plan leans on that several sellers offer
(the largest new contract value among chips with commitment offers from two or more providers),
and ``chip_stress`` scores the plan on that chip's common slip.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from computebroker.catalog import Catalog
from computebroker.errors import SolverError
from computebroker.planner.build import PlanOptions
from computebroker.planner.evaluate import fixed_problem
from computebroker.planner.result import Plan, PlanMetrics, metrics
from computebroker.planner.sampling import sample_scenarios
from computebroker.planner.spec import ScenarioSpec

__all__ = [
    "COMMON_SLIP_PERIODS",
    "StressResult",
    "chip_slip",
    "chip_stress",
    "common_slip_chip",
    "stress",
]

# the issue-14 stress: every seller of the chip delivers two periods late together (two quarters
# on a quarterly horizon). A stated stress, not a forecast, of the size of the Blackwell delays:
# NVIDIA told customers of a delay of "three months or more" (The Information via
# datacenterdynamics.com, Aug 2024), and GB200 NVL72 mass production went from Sep 2024 to
# Dec 2024 and then to 2025Q1-Q2 (Ming-Chi Kuo, TF International, via smbom.com/news/18677)
COMMON_SLIP_PERIODS = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class StressResult:
    """Expected costs (USD, present value) of one set of commitments, base and stressed; the
    difference is exactly the sum of the four ``delta_*`` parts."""

    name: str
    base_usd: float
    stressed_usd: float
    delta_commit_usd: float  # commitment bill inside the horizon
    delta_rentals_usd: float
    delta_post_usd: float  # obligations past the horizon, net of salvage
    delta_penalty_usd: float  # unmet work
    base_unmet_share: float  # expected unmet share (volume-weighted)
    stressed_unmet_share: float
    description: str = ""  # what the stress does, in words
    scenarios: int = 0  # scenarios both were scored on (common random numbers)

    @property
    def difference_usd(self) -> float:
        """Stressed minus base expected cost."""
        return self.stressed_usd - self.base_usd

    @property
    def parts(self) -> tuple[tuple[str, float], ...]:
        """(part, change in USD) of the difference, largest effect first; they sum to it."""
        parts = [
            ("unmet work (penalty)", self.delta_penalty_usd),
            ("rentals bought to cover the gap", self.delta_rentals_usd),
            ("commitment bill inside the horizon", self.delta_commit_usd),
            ("obligations pushed past the horizon", self.delta_post_usd),
        ]
        parts.sort(key=lambda kv: -abs(kv[1]))
        return tuple(parts)

    @property
    def explanation(self) -> tuple[str, ...]:
        """Why the stress costs what it does, largest effect first."""
        head = (
            f"{self.name}: expected cost {self.base_usd / 1e9:,.2f}B -> "
            f"{self.stressed_usd / 1e9:,.2f}B ({self.difference_usd:+,.0f} USD); "
            f"unmet work {self.base_unmet_share:.2%} -> {self.stressed_unmet_share:.2%}"
        )
        return (head, *(f"  {what}: {delta / 1e9:+,.3f}B" for what, delta in self.parts))


def chip_slip(spec: ScenarioSpec, accelerator: str, periods: int) -> ScenarioSpec:
    """``spec`` with every commitment offer of ``accelerator`` certainly ``periods`` late."""
    offers = tuple(
        replace(o, slip_prob=1.0, slip_periods=periods)
        if o.is_commitment and o.accelerator == accelerator
        else o
        for o in spec.offers
    )
    return replace(spec, offers=offers)


def common_slip_chip(m: PlanMetrics, spec: ScenarioSpec) -> tuple[str, tuple[str, ...]] | None:
    """(chip, its sellers) of the chip-wide common-slip stress: among chips with commitment
    offers from at least two providers, the one with the largest new contract value in the
    plan's schedule; None when the plan signs no such chip."""
    sellers: dict[str, set[str]] = {}
    for o in spec.offers:
        if o.is_commitment:
            sellers.setdefault(o.accelerator, set()).add(o.provider)
    signed: dict[str, float] = {}
    for c in m.schedule:
        if not c.existing and len(sellers.get(c.accelerator, ())) >= 2:
            signed[c.accelerator] = signed.get(c.accelerator, 0.0) + c.obligation_usd
    if not signed:
        return None
    chip = max(sorted(signed), key=lambda a: signed[a])
    return chip, tuple(sorted(sellers[chip]))


def _expected(plan: Plan) -> tuple[float, float, float, float, float, float]:
    m = metrics(plan)
    e = plan.problem.prob
    return (
        float(plan.cost @ e) * 1e6,
        float(plan.cost_commit @ e) * 1e6,
        float(plan.cost_recourse @ e) * 1e6,
        float(plan.cost_post @ e) * 1e6,
        float(plan.cost_penalty @ e) * 1e6,
        m.unmet_volume_share,
    )


def stress(
    plan: Plan,
    stressed: ScenarioSpec,
    catalog: Catalog,
    *,
    name: str = "stress",
    description: str = "",
) -> StressResult:
    """``plan``'s commitments on ``stressed`` and on its own scenario, on the same number of
    scenarios from the same seed (common random numbers), recourse re-optimised."""
    from computebroker.planner.solve import solve_plan

    p = plan.problem
    n, seed = p.n_scenarios, p.spec.sampling.seed
    out = []
    for spec in (p.spec, stressed):
        fixed = fixed_problem(
            replace(plan, problem=replace(p, spec=spec)), sample_scenarios(spec, n, seed), catalog
        )
        res = solve_plan(fixed, PlanOptions(risk_weight=0.0))
        if res.plan is None:
            raise SolverError(f"{name}: no recourse ({res.termination})")
        out.append(_expected(res.plan))
    (b, bc, br, bp, bu, bs), (s, sc, sr, sp, su, ss) = out
    return StressResult(
        name=name,
        base_usd=b,
        stressed_usd=s,
        delta_commit_usd=sc - bc,
        delta_rentals_usd=sr - br,
        delta_post_usd=sp - bp,
        delta_penalty_usd=su - bu,
        base_unmet_share=bs,
        stressed_unmet_share=ss,
        description=description,
        scenarios=n,
    )


def chip_stress(
    plan: Plan, m: PlanMetrics, catalog: Catalog, *, periods: int = COMMON_SLIP_PERIODS
) -> StressResult | None:
    """The chip-wide common slip of ``plan`` (:func:`common_slip_chip`): every seller of that
    chip delivers ``periods`` periods late together, deliveries and terms shifted; None when
    the plan signs no chip sold by two or more providers."""
    spec = plan.problem.spec
    target = common_slip_chip(m, spec)
    if target is None:
        return None
    chip, sellers = target
    unit = spec.horizon.kind.value
    name = f"every {chip.upper()} seller {periods} {unit}s late"
    description = (
        f"every commitment offer of {chip} ({', '.join(sellers)}) delivers {periods} {unit}s "
        "late in every scenario, together: new capacity and its term shift with the delivery; "
        "the plan's commitments are kept and rentals re-optimised, on the plan's own scenarios"
    )
    return stress(plan, chip_slip(spec, chip, periods), catalog, name=name, description=description)
