"""Upper bounds on counts given on the command line, so a typo (``--scenarios 100000000``) is
refused at once (exit 2) instead of exhausting memory after minutes.

Each bound matches the file format's own where there is one (``scenarios.count`` <= 100,000
in a scenario file) and sits far above what a run needs.
"""

from __future__ import annotations

__all__ = [
    "MAX_ARRIVAL_RATE",
    "MAX_GENERATED_JOBS",
    "MAX_NODES",
    "MAX_OUT_OF_SAMPLE",
    "MAX_PATHS",
    "MAX_PERIODS",
    "MAX_SCENARIOS",
    "MAX_TOP",
    "MAX_TRAIN_TOKENS",
    "MAX_WORKERS",
    "MIN_ROUND_SECONDS",
]

MAX_SCENARIOS = 100_000  # = ScenariosModel.count's bound in planner/scenario.py
MAX_OUT_OF_SAMPLE = 100_000
MAX_GENERATED_JOBS = 1_000_000  # simulate --generate: about a minute of simulation per 100k
MAX_ARRIVAL_RATE = 1e6  # simulate --arrival-rate, jobs an hour: the API's bound (SimulationIn)
# simulate --round-seconds, when not 0 (event-driven): a round shorter than a second is no
# scheduler's (Gavel's are 6 minutes) and costs a round's work each time: 1 s rounds take 32 s
# for 20 generated jobs with --rounds gavel (measured 2026-12-02), 1e-6 s ones never ended
MIN_ROUND_SECONDS = 1.0
MAX_WORKERS = 1_024
MAX_PATHS = 10_000  # evaluate --paths: a frontier-lab path takes ~7 CPU-s (docs/evaluate.md)
MAX_PERIODS = 240  # = HorizonModel.periods' bound: a lead or lag past the horizon means nothing
MAX_NODES = 1_000_000  # place --num-nodes: x 8 chips a node, near the fleet bound of 10M chips
MAX_TOP = 1_000  # place --top: options listed
# estimate train --tokens: about 60,000x the 15.6e12 tokens Llama 3 was trained on (Meta,
# 2024); a typo past it is refused
MAX_TRAIN_TOKENS = 1e18
