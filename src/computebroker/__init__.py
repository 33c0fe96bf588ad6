"""computebroker: buy accelerator compute from several vendors at once.

Stages, in the one direction data flows: ``catalog`` (what exists, at what price) ->
``perf`` (how long and how much a workload takes on each chip) -> ``planner`` (which
commitments to sign) -> ``sim`` (does the fleet run the job stream) -> ``reports``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
