"""A simulated case on the plan's terms: spend in the horizon, plus the plan's post-horizon
obligations, plus the plan's shortfall penalty on work not done in its period — set against the
distribution of scenario costs the plan promised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from computebroker.planner import Plan, PlanMetrics
from computebroker.planner.problem import MUSD, PlanProblem
from computebroker.sim import SimReport

__all__ = ["Realised", "realise"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Realised:
    """A simulated case on the plan's terms (USD; shares of demand)."""

    spend_usd: float
    post_horizon_usd: float
    penalty_usd: float
    total_usd: float
    unmet_by_class: dict[str, float]  # share of the class's demand not done in its period
    unmet_share: float  # all classes, weighted by the plan's penalty (comparable units)
    plan_p05_usd: float
    plan_p95_usd: float
    plan_min_usd: float
    plan_max_usd: float
    plan_expected_usd: float
    plan_expected_unmet: dict[str, float]

    @property
    def within_range(self) -> bool:
        """Realised cost inside the range of the plan's scenario costs."""
        return self.plan_min_usd <= self.total_usd <= self.plan_max_usd


def realise(
    r: SimReport, p: PlanProblem, plan: Plan, m: PlanMetrics, demand: np.ndarray
) -> Realised:
    """Case ``r`` of ``plan`` on the plan's terms; ``demand[w, t]``: the path it ran (work units)."""
    costs = plan.cost_nominal * MUSD  # the simulator bills nominal dollars: compare like with like
    # the report lists every class that had jobs; a class with none had nothing to fall short
    unmet_units = {
        w: float(r.shortfall_by_type[w]) if w in r.shortfall_by_type else 0.0 for w in p.workloads
    }
    penalty_per_unit = {
        w: float(p.penalty[i] * MUSD / p.scale[i]) for i, w in enumerate(p.workloads)
    }
    penalty = sum(unmet_units[w] * penalty_per_unit[w] for w in p.workloads)
    total_demand = {w: float(demand[i].sum()) for i, w in enumerate(p.workloads)}
    unmet_by = {
        w: unmet_units[w] / total_demand[w] if total_demand[w] > 0 else 0.0 for w in p.workloads
    }
    weighted = sum(total_demand[w] * penalty_per_unit[w] for w in p.workloads)
    return Realised(
        spend_usd=r.cost_usd,
        post_horizon_usd=m.post_horizon_nominal_usd,
        penalty_usd=penalty,
        total_usd=r.cost_usd + m.post_horizon_nominal_usd + penalty,
        unmet_by_class=unmet_by,
        unmet_share=penalty / weighted if weighted > 0 else 0.0,
        plan_p05_usd=float(np.quantile(costs, 0.05)),
        plan_p95_usd=float(np.quantile(costs, 0.95)),
        plan_min_usd=float(costs.min()),
        plan_max_usd=float(costs.max()),
        plan_expected_usd=m.expected_cost_usd,
        plan_expected_unmet=dict(m.expected_unmet_fraction),
    )
