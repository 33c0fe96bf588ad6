"""Stress tests: a plan's commitments scored on a stressed copy of its scenario, with the cost
difference split into what moved (commitment bill, rentals, obligations past the horizon, unmet
work) so that a report can say why the stress costs what it does.

``chip_slip(spec, accelerator, periods)`` is the stress of issue 14: every seller of one chip
slips together (``slip_prob`` 1, ``slip_periods`` K), shifting deliveries and terms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from computebroker.catalog import Catalog
from computebroker.errors import SolverError
from computebroker.planner.build import PlanOptions
from computebroker.planner.evaluate import fixed_problem
from computebroker.planner.result import Plan
from computebroker.planner.sampling import sample_scenarios
from computebroker.planner.spec import ScenarioSpec

__all__ = ["StressResult", "chip_slip", "stress"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StressResult:
    """Expected costs (USD, present value) of one set of commitments, base and stressed."""

    name: str
    base_usd: float
    stressed_usd: float
    delta_commit_usd: float  # commitment bill inside the horizon
    delta_rentals_usd: float
    delta_post_usd: float  # obligations past the horizon, net of salvage
    delta_penalty_usd: float  # unmet work
    base_unmet_share: float  # expected unmet share (volume-weighted)
    stressed_unmet_share: float

    @property
    def explanation(self) -> tuple[str, ...]:
        """Why the stress costs what it does, largest effect first."""
        parts = [
            ("unmet work (penalty)", self.delta_penalty_usd),
            ("rentals bought to cover the gap", self.delta_rentals_usd),
            ("commitment bill inside the horizon", self.delta_commit_usd),
            ("obligations pushed past the horizon", self.delta_post_usd),
        ]
        parts.sort(key=lambda kv: -abs(kv[1]))
        head = (
            f"{self.name}: expected cost {self.base_usd / 1e9:,.2f}B -> "
            f"{self.stressed_usd / 1e9:,.2f}B ({self.stressed_usd - self.base_usd:+,.0f} USD); "
            f"unmet work {self.base_unmet_share:.2%} -> {self.stressed_unmet_share:.2%}"
        )
        return (head, *(f"  {what}: {delta / 1e9:+,.3f}B" for what, delta in parts))


def chip_slip(spec: ScenarioSpec, accelerator: str, periods: int) -> ScenarioSpec:
    """``spec`` with every commitment offer of ``accelerator`` certainly ``periods`` late."""
    offers = tuple(
        replace(o, slip_prob=1.0, slip_periods=periods)
        if o.is_commitment and o.accelerator == accelerator
        else o
        for o in spec.offers
    )
    return replace(spec, offers=offers)


def _expected(plan: Plan) -> tuple[float, float, float, float, float, float]:
    p = plan.problem
    from computebroker.planner.result import metrics

    m = metrics(plan)
    e = p.prob
    return (
        float(plan.cost @ e) * 1e6,
        float(plan.cost_commit @ e) * 1e6,
        float(plan.cost_recourse @ e) * 1e6,
        float(plan.cost_post @ e) * 1e6,
        float(plan.cost_penalty @ e) * 1e6,
        m.unmet_volume_share,
    )


def stress(
    plan: Plan, stressed: ScenarioSpec, catalog: Catalog, *, name: str = "stress"
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
    )
