"""The workflows that join the stages: the plan workflow every entry point shares
(:mod:`.plan`), and the whole run — catalog -> estimate -> plan -> simulate — of ``run`` and
``demo`` (:mod:`.run`), with its parts each in its home: the offers in play and the price of
work (:mod:`.pricing`), the job stream of a demand path (:mod:`.jobs`), the named stress cases
(:mod:`.stress`) and the realised cost of a simulated case on the plan's terms
(:mod:`.realised`).

Above the stages (catalog, perf, planner, scheduler, sim) and below the edges (reports, store,
service, cli): the import contract in ``pyproject.toml`` keeps it there.
"""

from computebroker.workflow.jobs import JobStreamOptions, demand_trace
from computebroker.workflow.plan import (
    DEFAULT_OUT_OF_SAMPLE,
    PlanRun,
    PlanRunOptions,
    WhatIf,
    WhatIfRun,
    no_plan_error,
    plan_run,
)
from computebroker.workflow.pricing import offers_in_play, price_performance
from computebroker.workflow.realised import Realised, realise
from computebroker.workflow.run import RunOptions, RunResult, SimCase, run_pipeline
from computebroker.workflow.stress import stress_cases

__all__ = [
    "DEFAULT_OUT_OF_SAMPLE",
    "JobStreamOptions",
    "PlanRun",
    "PlanRunOptions",
    "Realised",
    "RunOptions",
    "RunResult",
    "SimCase",
    "WhatIf",
    "WhatIfRun",
    "demand_trace",
    "no_plan_error",
    "offers_in_play",
    "plan_run",
    "price_performance",
    "realise",
    "run_pipeline",
    "stress_cases",
]
