"""Service under plan load (issue 18): health latency while 20 plan jobs run in two worker
processes (target p99 < 20 ms), the API server's CPU time meanwhile, and its memory across 100
plan jobs, each fetched as a client does (target flat, within ±10%). ``python -m bench
service_load``; ``CB_BENCH_SERVICE=plans`` or ``=memory`` runs one part (its rows alone are then
written). The code is in :mod:`bench.bench_service`."""

from __future__ import annotations

import os

from bench.bench_service import PLAN_JOBS, RSS_JOBS, run_memory, run_under_plans
from bench.harness import Result

TITLE = (
    f"service under load: health while {PLAN_JOBS} plan jobs run, memory over {RSS_JOBS} plan jobs"
)
EXTRA = """
The health figure counts the machine as much as the server: on a shared machine its p99 can
miss the target with no plan running at all (compare the two p99s in the notes).
What the API process itself does is in its CPU time: about a millisecond per request served
(health, and the job list without plan documents), the plans' CPU being in the workers.
"""
PARTS = {"plans": run_under_plans, "memory": run_memory}


def run() -> list[Result]:
    chosen = os.environ.get("CB_BENCH_SERVICE", ",".join(PARTS)).split(",")
    return [r for name in chosen for r in PARTS[name]()]
