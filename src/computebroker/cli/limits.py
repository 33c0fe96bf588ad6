"""Upper bounds on counts given on the command line, so a typo (``--scenarios 100000000``) is
refused at once (exit 2) instead of exhausting memory after minutes.

Each bound matches the file format's own where there is one (``scenarios.count`` <= 100,000
in a scenario file) and sits far above what a run needs.
"""

from __future__ import annotations

__all__ = [
    "MAX_GENERATED_JOBS",
    "MAX_NODES",
    "MAX_OUT_OF_SAMPLE",
    "MAX_PATHS",
    "MAX_PERIODS",
    "MAX_SCENARIOS",
    "MAX_TOP",
    "MAX_TRAIN_TOKENS",
    "MAX_WORKERS",
]

MAX_SCENARIOS = 100_000  # = ScenariosModel.count's bound in planner/scenario.py
MAX_OUT_OF_SAMPLE = 100_000
MAX_GENERATED_JOBS = 1_000_000  # simulate --generate: about a minute of simulation per 100k
MAX_WORKERS = 1_024
MAX_PATHS = 10_000  # evaluate --paths: a frontier-lab path takes ~7 CPU-s (docs/evaluate.md)
MAX_PERIODS = 240  # = HorizonModel.periods' bound: a lead or lag past the horizon means nothing
MAX_NODES = 1_000_000  # place --num-nodes: x 8 chips a node, near the fleet bound of 10M chips
MAX_TOP = 1_000  # place --top: options listed
# estimate train --tokens: about 60,000x the 15.6e12 tokens Llama 3 was trained on (Meta,
# 2024); a typo past it is refused
MAX_TRAIN_TOKENS = 1e18
