"""Planner stage: which compute to contract, from whom, when, at what risk.

A scenario file (``scenario.load_scenario``) is priced by the perf stage and sampled into
demand and delivery scenarios (``prepare.prepare_problem``); the two-stage stochastic program
is built with linopy and solved with HiGHS (``solve.solve_plan``) into a ``PlanResult`` whose
plan is scored by ``result.metrics``. ``evaluate`` re-scores a plan out of sample,
``frontier`` sweeps risk weight or vendor cap, ``diagnose`` explains infeasible inputs.
"""

from computebroker.planner.build import PlanOptions, build_model
from computebroker.planner.evaluate import evaluate_out_of_sample
from computebroker.planner.frontier import FrontierAxis, FrontierPoint, frontier
from computebroker.planner.overrides import apply_overrides, parse_set, parse_slip
from computebroker.planner.periods import Horizon, PeriodKind, parse_period
from computebroker.planner.prepare import prepare_problem
from computebroker.planner.problem import PlanProblem, build_problem
from computebroker.planner.result import Commitment, Plan, PlanMetrics, cvar, metrics
from computebroker.planner.sampling import ScenarioSet, reduce_scenarios, sample_scenarios
from computebroker.planner.scenario import load_scenario, parse_scenario
from computebroker.planner.solve import PlanResult, PlanStatus, solve_plan
from computebroker.planner.spec import OfferSpec, Policy, ScenarioSpec

__all__ = [
    "Commitment",
    "FrontierAxis",
    "FrontierPoint",
    "Horizon",
    "OfferSpec",
    "PeriodKind",
    "Plan",
    "PlanMetrics",
    "PlanOptions",
    "PlanProblem",
    "PlanResult",
    "PlanStatus",
    "Policy",
    "ScenarioSet",
    "ScenarioSpec",
    "apply_overrides",
    "build_model",
    "build_problem",
    "cvar",
    "evaluate_out_of_sample",
    "frontier",
    "load_scenario",
    "metrics",
    "parse_period",
    "parse_scenario",
    "parse_set",
    "parse_slip",
    "prepare_problem",
    "reduce_scenarios",
    "sample_scenarios",
    "solve_plan",
]
