"""How sure a plan is: intervals from independent replications, the Mak-Morton-Wood optimality
gap, decision stability, and a sample that grows until they meet a target.

A plan ``x^`` solved on one sample of N scenarios is judged on ``n`` further independent
samples of N scenarios (seeds ``seed + REPLICATION_SEED_OFFSET + i``). On each sample ``i``:

* ``f_i(x^)`` — the objective ``E[C] + lambda CVaR_alpha[C]`` of ``x^`` with its recourse
  re-optimised per scenario (``evaluate.fixed_problem``), and its expected cost, CVaR and
  P(shortfall);
* ``z_i`` — the optimal objective of the sample-average problem on sample ``i`` (solved afresh),
  and its commitments ``x_i``.

Intervals are Student-t over the ``n`` values: ``mean +- t_{n-1, (1+level)/2} sd / sqrt(n)``.
The optimality gap (Mak, Morton and Wood 1999, "Monte Carlo bounding techniques for determining
solution quality in stochastic programs", Oper. Res. Lett. 24, multiple replications procedure)
is ``G_i = f_i(x^) - z_i`` (``E[z_N]`` bounds the true optimum from below, ``f(x^)`` from
above); its one-sided upper bound is ``mean(G) + t_{n-1, level} sd(G) / sqrt(n)``. Decision
stability is ``1 - mean_{i<j} |X_i - X_j|_1 / (|X_i|_1 + |X_j|_1)`` over the replications'
chips per offer ``X_i`` (1: the same commitments every time). A plan is converged when the gap
bound and the interval half-width of the expected cost are both within ``target`` of its
expected cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from scipy.stats import t as student_t

from computebroker.catalog import Catalog
from computebroker.errors import SolverError
from computebroker.planner.build import PlanOptions
from computebroker.planner.evaluate import fixed_problem
from computebroker.planner.problem import KCHIPS, PlanProblem, build_problem
from computebroker.planner.result import Convergence, Interval, Plan, PlanMetrics, cvar, metrics
from computebroker.planner.sampling import sample_scenarios

__all__ = ["REPLICATION_SEED_OFFSET", "objective_of", "plan_until_converged", "replicate"]

REPLICATION_SEED_OFFSET = (
    1000  # replication samples never reuse the plan's or the evaluation's seed
)
DEFAULT_TARGET = 0.01  # 1% of expected cost: the size of a typical negotiated price difference
DEFAULT_REPLICATIONS = 5  # the fewest for which a t interval is not absurdly wide (t_4 = 2.78)


def objective_of(plan: Plan) -> float:
    """``E[C] + lambda CVaR_alpha[C]`` of a plan on its own scenarios, USD (present value)."""
    p = plan.problem
    cost = plan.cost * 1e6
    value = float(cost @ p.prob)
    if plan.risk_weight > 0:
        value += plan.risk_weight * cvar(cost, p.prob, p.spec.policy.cvar_alpha)
    return value


def _interval(values: list[float], level: float) -> Interval:
    v = np.asarray(values, dtype=float)
    n = len(v)
    half = (
        float(student_t.ppf((1 + level) / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
        if n > 1
        else np.inf
    )
    return Interval(mean=float(v.mean()), half_width=half, level=level)


def _stability(signed: list[np.ndarray]) -> float:
    pairs = list(itertools.combinations(signed, 2))
    if not pairs:
        return 1.0
    dist = [float(np.abs(a - b).sum() / max(a.sum() + b.sum(), 1e-12)) for a, b in pairs]
    return 1.0 - float(np.mean(dist))


def _solve(p: PlanProblem, opt: PlanOptions) -> Plan:
    from computebroker.planner.solve import solve_plan

    res = solve_plan(p, opt)
    if res.plan is None:
        raise SolverError(f"replication: no plan ({res.status.value}: {res.termination})")
    return res.plan


def replicate(
    plan: Plan,
    catalog: Catalog,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    scenarios: int | None = None,
    options: PlanOptions | None = None,
    level: float = 0.95,
    target: float = DEFAULT_TARGET,
    progress: Callable[[int, int], None] | None = None,
) -> Convergence:
    """Intervals, optimality gap and stability of ``plan`` from independent replications."""
    p = plan.problem
    n_scen = scenarios or p.n_scenarios
    opt = options or PlanOptions()
    lam = plan.risk_weight
    f, z, cost, tail, short = [], [], [], [], []
    signed: list[np.ndarray] = []
    for i in range(replications):
        seed = p.spec.sampling.seed + REPLICATION_SEED_OFFSET + i
        spec_i = replace(p.spec, sampling=replace(p.spec.sampling, seed=seed))
        scen = sample_scenarios(spec_i, n_scen, seed)
        best = _solve(build_problem(spec_i, p.matrix, scen, catalog), replace(opt, risk_weight=lam))
        z.append(objective_of(best))
        signed.append(best.x.sum(axis=1) * KCHIPS)
        # x^ on the same sample, recourse re-optimised per scenario (separable: risk weight 0)
        fixed = _solve(fixed_problem(plan, scen, catalog), PlanOptions(risk_weight=0.0))
        scored = replace(fixed, risk_weight=lam)
        m = metrics(scored)
        f.append(objective_of(scored))
        cost.append(m.expected_cost_usd)
        tail.append(m.cvar_usd)
        short.append(m.p_shortfall)
        if progress is not None:
            progress(i + 1, replications)
    gaps = np.asarray(f) - np.asarray(z)
    n = len(gaps)
    sd = float(gaps.std(ddof=1)) if n > 1 else np.inf
    gap_upper = float(max(gaps.mean(), 0.0) + student_t.ppf(level, n - 1) * sd / np.sqrt(n))
    exp = _interval(cost, level)
    scale = max(abs(exp.mean), 1e-12)
    converged = gap_upper <= target * scale and exp.half_width <= target * scale
    return Convergence(
        replications=n,
        scenarios=n_scen,
        expected_cost=exp,
        cvar=_interval(tail, level),
        p_shortfall=_interval(short, level),
        gap_mean_usd=float(gaps.mean()),
        gap_upper_usd=gap_upper,
        stability=_stability(signed),
        signed_chips={
            oid: _interval([float(s[o]) for s in signed], level) for o, oid in enumerate(p.commit)
        },
        target=target,
        converged=bool(converged),
    )


def plan_until_converged(
    problem_at: Callable[[int], PlanProblem],
    catalog: Catalog,
    *,
    start: int = 100,
    max_scenarios: int = 3200,
    target: float = DEFAULT_TARGET,
    replications: int = DEFAULT_REPLICATIONS,
    options: PlanOptions | None = None,
    progress: Callable[[str], None] | None = None,
    solve: Callable[[PlanProblem], Plan] | None = None,
) -> tuple[Plan, PlanMetrics]:
    """``--scenarios auto``: plan on ``start`` scenarios, doubling until the gap bound and the
    interval of the expected cost are within ``target`` (or ``max_scenarios`` is reached; the
    metrics then carry ``convergence.converged = False``). ``problem_at(n)`` builds the problem
    on n scenarios (``prepare_problem(spec, catalog, count=n)``); ``solve(problem)`` solves it
    (default: ``solve_plan`` with ``options``, raising ``SolverError`` without a plan)."""
    say = progress or (lambda _m: None)
    opt = options or PlanOptions()
    n = start
    while True:
        p = problem_at(n)
        plan = _solve(p, opt) if solve is None else solve(p)
        conv = replicate(plan, catalog, replications=replications, options=opt, target=target)
        say(
            f"{n:,} scenarios: gap <= {conv.gap_upper_usd / max(conv.expected_cost.mean, 1e-12):.2%}, "
            f"E[cost] +- {conv.expected_cost.relative:.2%}, stability {conv.stability:.2f}"
        )
        if conv.converged or n * 2 > max_scenarios:
            return plan, replace(metrics(plan), convergence=conv)
        n *= 2
