"""From a scenario to a solvable problem: price every chip on every workload (perf), draw the
scenarios, and scale and index everything (the one-way flow catalog -> perf -> plan)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from computebroker.catalog import Catalog
from computebroker.perf.hardware import Constants, Efficiency
from computebroker.perf.matrix import throughput_matrix
from computebroker.planner.problem import PlanProblem, build_problem
from computebroker.planner.sampling import reduce_scenarios, sample_scenarios
from computebroker.planner.spec import ScenarioSpec

__all__ = ["prepare_problem"]


def prepare_problem(
    spec: ScenarioSpec,
    catalog: Catalog,
    *,
    count: int | None = None,
    seed: int | None = None,
    as_of: int | None = None,
    signed: Mapping[tuple[str, int], float] | None = None,
    efficiencies: Mapping[str, Efficiency] | None = None,
    constants: Constants | None = None,
    progress: Callable[[str], None] | None = None,
) -> PlanProblem:
    """The throughput matrix of the scenario's workloads on its offers' chips, the sampled (and
    optionally reduced) scenarios, and the scaled problem."""
    say = progress or (lambda _m: None)
    accs = sorted({o.accelerator for o in spec.offers})
    say(f"pricing {len(spec.workloads)} workload classes on {len(accs)} accelerators")
    matrix = throughput_matrix(
        spec.workloads, catalog, accs, efficiencies=efficiencies, constants=constants
    )
    n = count or spec.sampling.count
    say(
        f"sampling {n:,} scenarios ({spec.sampling.method.value}, seed {spec.sampling.seed if seed is None else seed})"
    )
    scen = sample_scenarios(spec, n, seed)
    if spec.policy.throughput_uncertainty:
        say(
            "throughput uncertainty: each chip's work per chip-hour drawn per scenario from its "
            f"estimate's band (correlation {spec.policy.throughput_correlation:g} within a vendor)"
        )
    if spec.sampling.reduce_to:
        say(f"reducing to {spec.sampling.reduce_to} scenarios")
        scen = reduce_scenarios(scen, spec.sampling.reduce_to)
    return build_problem(spec, matrix, scen, catalog, as_of=as_of, signed=dict(signed or {}))
