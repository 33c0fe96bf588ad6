"""Commitment policies judged on the futures they will meet: static vs rolling re-planning.

A *policy* turns what it has observed into commitments. Two are implemented:

* ``static``: the two-stage plan. Every commitment for every start period is fixed before
  anything is observed (``solve_plan`` on the scenario's own planning samples).
* ``rolling``: at each period ``t`` (in order), observe the demand and deliveries of periods
  ``<= t - information_lag`` (lag 0: a quarter's demand is known when its commitments are
  signed, as a lab knows the work it has queued), re-plan on ``replan_scenarios`` scenarios
  conditioned on that history (``conditional.sample_conditional``) with every commitment
  already signed fixed, and sign only the commitments that start in ``t .. t + decision_lead``;
  later starts in the re-plan are tentative and are decided again later.

Evaluation (``evaluate_policies``): ``paths`` true paths of demand and deliveries are drawn from
the unconditional model with the caller's generator (``conditional.sample_paths``), never the
planning samples. Every policy runs along the same paths; its realised cost on a path is the
commitments it signed, billed for what the path delivers, plus the cheapest recourse on that
path (rentals, allocation, unmet work at its penalty: recourse is per period, so choosing it
with the path's demand known is choosing it each period as the period is seen) plus the
post-horizon obligations net of salvage, exactly as ``result.plan_from_arrays`` scores a plan.
The value of flexibility is the paired difference static - rolling on the same paths.

Paths are independent given the static plan, so they run in parallel: ``serial``, ``local``
(a process pool) or ``ray``. The module never prints; ``progress(done, total)`` reports paths.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
import xarray as xr

from computebroker.catalog import Catalog
from computebroker.errors import InputError, SolverError
from computebroker.perf.matrix import throughput_matrix
from computebroker.planner.build import PlanOptions
from computebroker.planner.conditional import History, sample_conditional, sample_paths
from computebroker.planner.problem import KCHIPS, MUSD, PlanProblem, build_problem
from computebroker.planner.result import Plan, plan_from_arrays
from computebroker.planner.sampling import ScenarioSet, reduce_scenarios, sample_scenarios
from computebroker.planner.spec import ScenarioSpec

__all__ = [
    "Evaluation",
    "EvaluationOptions",
    "Interval",
    "PathOutcome",
    "PolicyKind",
    "PolicySummary",
    "evaluate_policies",
    "rolling_commitments",
]


class PolicyKind(StrEnum):
    """A commitment policy that ``evaluate_policies`` can run."""

    STATIC = "static"  # the two-stage plan: everything signed before anything is seen
    ROLLING = "rolling"  # re-plan every period on conditioned scenarios, sign what starts now


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationOptions:
    """How the policies plan. ``replan_scenarios``: conditioned scenarios per rolling re-plan;
    ``decision_lead``: the rolling policy signs starts ``t .. t + decision_lead`` at ``t``;
    ``information_lag``: how many periods late demand and deliveries are seen (0: period
    ``t``'s are known when its commitments are signed, 1: only finished periods); ``plan``: solve settings of every
    plan (the static one uses the scenario's own sample count and seed)."""

    replan_scenarios: int = 20
    decision_lead: int = 0
    information_lag: int = 0
    plan: PlanOptions = field(default_factory=PlanOptions)


@dataclass(frozen=True, slots=True, kw_only=True)
class PathOutcome:
    """One policy on one true path. Money in USD, chips in chips, work in class units."""

    policy: str
    path: int
    cost_usd: float  # realised, nominal: commitments delivered + rentals + penalties + post-horizon
    pv_usd: float | None  # the same discounted, when the scenario states a discount rate
    cost_by_period_usd: tuple[float, ...]
    penalty_usd: float
    unmet: dict[str, float]  # work units left unmet over the horizon, per class
    obligations_usd: float  # contract value signed by the policy (whole terms)
    vendor_spend_usd: dict[str, float]  # commitments delivered + rentals, per vendor
    signed_chips: np.ndarray  # (commitment offer, start) chips signed by the policy


@dataclass(frozen=True, slots=True, kw_only=True)
class Interval:
    """A mean over paths with its 95% confidence interval (normal, ``1.96 s / sqrt(n)``) and
    the 5th and 95th percentiles of the distribution."""

    mean: float
    low: float
    high: float
    p05: float
    p95: float

    @staticmethod
    def of(values: Sequence[float] | np.ndarray) -> Interval:
        """The interval of ``values``.

        Examples
        --------
        >>> i = Interval.of([1.0, 3.0])
        >>> (i.mean, round(i.high - i.mean, 3))
        (2.0, 1.96)
        """
        v = np.asarray(values, dtype=float)
        half = 1.96 * float(v.std(ddof=1)) / math.sqrt(len(v)) if len(v) > 1 else 0.0
        m = float(v.mean())
        return Interval(
            mean=m,
            low=m - half,
            high=m + half,
            p05=float(np.percentile(v, 5)),
            p95=float(np.percentile(v, 95)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySummary:
    """One policy over all paths."""

    policy: str
    cost_usd: Interval
    pv_usd: Interval | None
    unmet: dict[str, Interval]
    obligations_usd: Interval
    vendor_shares: dict[str, float]  # share of spend over all paths
    signed_chips: xr.DataArray  # (offer, start) mean chips signed


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """Every policy on the same ``paths`` true paths."""

    scenario: str
    paths: int
    periods: tuple[str, ...]
    offers: tuple[str, ...]
    policies: tuple[PolicySummary, ...]
    outcomes: tuple[PathOutcome, ...]
    value_of_flexibility_usd: Interval | None  # static - rolling, paired on the paths
    options: EvaluationOptions

    def summary(self, policy: str) -> PolicySummary:
        """The summary of ``policy``."""
        for s in self.policies:
            if s.policy == policy:
                return s
        raise KeyError(policy)

    def costs(self, policy: str) -> np.ndarray:
        """(paths,) realised cost of ``policy`` on each path, USD."""
        return np.array([o.cost_usd for o in self.outcomes if o.policy == policy])


# -- one path ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    """What every path needs (sent once to each worker)."""

    spec: ScenarioSpec
    matrix: xr.Dataset
    catalog: Catalog
    policies: tuple[PolicyKind, ...]
    static_x: np.ndarray | None  # (C, P) kchips of the static plan
    options: EvaluationOptions


def _path_set(spec: ScenarioSpec, demand: np.ndarray, delivery: np.ndarray) -> ScenarioSet:
    """One true path as a one-scenario set."""
    periods = list(spec.horizon.labels)
    commit = [o.id for o in spec.offers if o.is_commitment]
    return ScenarioSet(
        probability=xr.DataArray([1.0], dims=("scenario",), coords={"scenario": [0]}),
        demand=xr.DataArray(
            demand[:, :, None],
            dims=("workload", "period", "scenario"),
            coords={
                "workload": [w.name for w in spec.workloads],
                "period": periods,
                "scenario": [0],
            },
        ),
        delivery=xr.DataArray(
            delivery[:, :, None],
            dims=("offer", "period", "scenario"),
            coords={"offer": commit, "period": periods, "scenario": [0]},
        ),
        seed=-1,
        method="true path",
    )


def _commit_ids(spec: ScenarioSpec) -> list[str]:
    return [o.id for o in spec.offers if o.is_commitment]


def _available(spec: ScenarioSpec) -> np.ndarray:
    """(C, start) whether a commitment of each offer may start in each period."""
    P = spec.horizon.count
    commit = [o for o in spec.offers if o.is_commitment]
    out = np.zeros((len(commit), P), dtype=bool)
    for i, o in enumerate(commit):
        last = P - 1 if o.available_until is None else min(P - 1, o.available_until)
        out[i, o.available_from : last + 1] = True
    return out


def _signed(ids: Sequence[str], x: np.ndarray, mask: np.ndarray) -> dict[tuple[str, int], float]:
    return {
        (oid, st): float(x[i, st] * KCHIPS)
        for i, oid in enumerate(ids)
        for st in range(x.shape[1])
        if mask[i, st]
    }


def _solve(problem: PlanProblem, options: PlanOptions, what: str) -> Plan:
    from computebroker.planner.solve import solve_plan

    res = solve_plan(problem, options)
    if res.plan is None:
        detail = "; ".join(res.explanation) or res.termination
        raise SolverError(f"{what}: no plan ({detail})")
    return res.plan


def rolling_commitments(
    spec: ScenarioSpec,
    matrix: xr.Dataset,
    catalog: Catalog,
    demand: np.ndarray,
    delivery: np.ndarray,
    rng: np.random.Generator,
    options: EvaluationOptions | None = None,
) -> np.ndarray:
    """(C, P) kchips the rolling policy signs along the true path ``demand`` (W, P) and
    ``delivery`` (C, P), re-planning each period on conditioned scenarios drawn from ``rng``."""
    opt = options or EvaluationOptions()
    P = spec.horizon.count
    ids = _commit_ids(spec)
    avail = _available(spec)
    x = np.zeros((len(ids), P))
    done = np.zeros(x.shape, dtype=bool)
    for t in range(P):
        window = slice(t, min(P, t + opt.decision_lead + 1))
        if not np.any(~done[:, window] & avail[:, window]):
            continue  # nothing can be signed now: no re-plan needed
        seen = max(0, t + 1 - opt.information_lag)
        history = History(demand=demand[:, :seen], delivery=delivery[:, :seen])
        scen = sample_conditional(spec, history, opt.replan_scenarios, rng)
        mask = done.copy()
        mask[:, :t] = True
        p = build_problem(spec, matrix, scen, catalog, as_of=t, signed=_signed(ids, x, mask))
        ahead = done & ~p.x_fixed  # signed earlier for a later start: fixed too
        lb, ub = p.x_lb.copy(), p.x_ub.copy()
        lb[ahead] = np.maximum(x[ahead], p.x_delivered[ahead])
        ub[ahead] = lb[ahead]
        p = replace(p, x_lb=lb, x_ub=ub, x_fixed=p.x_fixed | ahead)
        plan = _solve(_adaptive(p, window.stop), opt.plan, f"rolling re-plan at {p.periods[t]}")
        new = np.zeros_like(done)
        new[:, window] = ~done[:, window]
        x[new] = plan.x[: len(ids)][new]
        done |= new
    return x


def _adaptive(p: PlanProblem, split: int) -> PlanProblem:
    """The re-plan with every commitment starting from ``split`` on decided per scenario.

    Each such (offer, scenario) becomes a copy of the offer that delivers only in its scenario
    (delivered share 0 elsewhere), so it is billed and supplies capacity only there; its
    post-horizon obligation and its weight in vendor shares are scaled by the scenario's
    probability (their expectation). Starts before ``split`` stay shared (non-anticipative).
    Without this, a two-stage re-plan would fix later starts now and see no value in waiting.
    """
    later = p.x_ub[:, split:] > p.x_lb[:, split:]
    offers = [i for i in range(len(p.commit)) if later[i].any()]
    if not offers:
        return p
    S = p.n_scenarios
    pairs = [(i, s) for i in offers for s in range(S)]
    idx = np.array([i for i, _ in pairs])
    prob = np.array([p.prob[s] for _, s in pairs])
    x_ub = p.x_ub.copy()
    x_ub[:, split:] = p.x_lb[:, split:]  # shared offers: only what is already fixed there
    copy_ub = p.x_ub[idx].copy()
    copy_ub[:, :split] = 0.0
    copy_d = np.zeros((len(pairs), p.n_periods, S))
    for j, (i, s) in enumerate(pairs):
        copy_d[j, :, s] = p.d[i, :, s]
    zeros = np.zeros((len(pairs), p.n_periods))
    return replace(
        p,
        commit=p.commit + tuple(f"{p.commit[i]}#s{s}" for i, s in pairs),
        commit_provider=p.commit_provider + tuple(p.commit_provider[i] for i in idx),
        commit_pool=p.commit_pool + tuple(p.commit_pool[i] for i in idx),
        c_commit=np.concatenate([p.c_commit, p.c_commit[idx]]),
        R=np.concatenate([p.R, p.R[idx]]),
        post=np.concatenate([p.post, p.post[idx] * prob[:, None]]),
        x_lb=np.concatenate([p.x_lb, zeros]),
        x_delivered=np.concatenate([p.x_delivered, zeros]),
        x_ub=np.concatenate([x_ub, copy_ub]),
        x_fixed=np.concatenate([p.x_fixed, zeros.astype(bool)]),
        active_max=np.concatenate([p.active_max, p.active_max[idx]]),
        block=np.concatenate([p.block, p.block[idx]]),
        min_start=np.concatenate([p.min_start, p.min_start[idx]]),
        share_weight=np.concatenate([p.share_weight, p.share_weight[idx] * prob]),
        d=np.concatenate([p.d, copy_d]),
    )


def _realise(ctx: _Context, policy: str, path: int, x: np.ndarray, ss: ScenarioSet) -> PathOutcome:
    """Commitments ``x`` (C, P kchips) run along one true path with the best recourse."""
    spec = ctx.spec
    rules = replace(
        spec.policy,
        shortfall_alpha=None,
        shortfall_max_fraction=None,
        max_vendor_share=None,
        min_vendors=None,
    )
    signed = _signed(_commit_ids(spec), x, np.ones(x.shape, dtype=bool))
    p = build_problem(
        replace(spec, policy=rules), ctx.matrix, ss, ctx.catalog, as_of=x.shape[1], signed=signed
    )
    plan = _recourse(
        p, x, replace(ctx.options.plan, milp=False, risk_weight=0.0), f"{policy} on path {path}"
    )
    return _outcome(spec, p, plan, policy, path)


def _recourse(p: PlanProblem, x: np.ndarray, options: PlanOptions, what: str) -> Plan:
    """The best recourse for fixed commitments: the decomposition's warm HiGHS subproblem when
    it applies (no budgets), else the extensive form."""
    from computebroker.planner.benders import benders_supported
    from computebroker.planner.parallel import make_executor

    if benders_supported(p, options):
        return _solve(p, replace(options, method="extensive"), what)
    x_full = np.maximum(x, p.x_lb)
    ex = make_executor(p, "serial")
    try:
        y, a, u = ex.recourse(np.einsum("oij,oi->oj", p.R, x_full))
    finally:
        ex.close()
    return plan_from_arrays(p, x=x_full, y=y, a=a, u=u)


def _outcome(spec: ScenarioSpec, p: PlanProblem, plan: Plan, policy: str, path: int) -> PathOutcome:
    P = p.n_periods
    delivered = p.delivered(plan.k)[:, :, 0] if len(p.commit) else np.zeros((0, P))
    commit_t = p.c_commit[:, None] * delivered  # (C, P) $M
    rent_t = p.c_recourse[:, None] * plan.y[:, :, 0] if len(p.recourse) else np.zeros((0, P))
    pen_t = (p.penalty[:, None] * plan.u[:, :, 0]).sum(axis=0)
    by_period = commit_t.sum(axis=0) + rent_t.sum(axis=0) + pen_t
    by_period[-1] += plan.cost_first  # post-horizon obligations, net of salvage, at the end
    new = plan.x - p.x_delivered
    terms = np.array([spec.offer(o).term_periods for o in p.commit])
    vendors: dict[str, float] = {}
    for i, prov in enumerate(p.commit_provider):
        vendors[prov] = vendors.get(prov, 0.0) + float(commit_t[i].sum()) * MUSD
    for i, prov in enumerate(p.recourse_provider):
        vendors[prov] = vendors.get(prov, 0.0) + float(rent_t[i].sum()) * MUSD
    rate = getattr(spec.policy, "discount_rate", None)  # stated by the scenario, if at all
    pv = None
    if rate:
        years = np.arange(P) / spec.horizon.kind.per_year
        pv = float((by_period / (1 + float(rate)) ** years).sum() * MUSD)
    return PathOutcome(
        policy=policy,
        path=path,
        cost_usd=float(by_period.sum() * MUSD),
        pv_usd=pv,
        cost_by_period_usd=tuple(float(v * MUSD) for v in by_period),
        penalty_usd=float(pen_t.sum() * MUSD),
        unmet={w: float(plan.u[i].sum() * p.scale[i]) for i, w in enumerate(p.workloads)},
        obligations_usd=float((p.c_commit[:, None] * terms[:, None] * new).sum() * MUSD),
        vendor_spend_usd=vendors,
        signed_chips=new * KCHIPS,
    )


def _run_path(ctx: _Context, path: int, ss: ScenarioSet, seed: int) -> list[PathOutcome]:
    demand = ss.demand.values[:, :, 0]
    delivery = ss.delivery.values[:, :, 0]
    out = []
    for policy in ctx.policies:
        if policy is PolicyKind.STATIC:
            assert ctx.static_x is not None  # solved before the paths
            x = ctx.static_x
        else:
            rng = np.random.default_rng(seed)
            x = rolling_commitments(
                ctx.spec, ctx.matrix, ctx.catalog, demand, delivery, rng, ctx.options
            )
        out.append(_realise(ctx, policy.value, path, x, ss))
    return out


_WORKER: _Context | None = None


def _init_worker(ctx: _Context) -> None:
    global _WORKER  # noqa: PLW0603 - the pool initializer's per-process context, set once
    _WORKER = ctx


def _worker_path(args: tuple[int, ScenarioSet, int]) -> list[PathOutcome]:
    assert _WORKER is not None  # set by the pool initializer
    return _run_path(_WORKER, *args)


# -- many paths ----------------------------------------------------------------------------


def _one(ss: ScenarioSet, j: int) -> ScenarioSet:
    sel = {"scenario": [j]}
    return replace(
        ss,
        probability=xr.DataArray([1.0], dims=("scenario",), coords={"scenario": [0]}),
        demand=ss.demand.isel(sel).assign_coords(scenario=[0]),
        delivery=ss.delivery.isel(sel).assign_coords(scenario=[0]),
    )


def _run_all(
    ctx: _Context,
    tasks: list[tuple[int, ScenarioSet, int]],
    executor: str,
    workers: int | None,
    progress: Callable[[int, int], None],
) -> list[PathOutcome]:
    n = len(tasks)
    results: list[PathOutcome] = []
    if executor == "serial" or n == 1:
        for i, task in enumerate(tasks):
            results += _run_path(ctx, *task)
            progress(i + 1, n)
        return results
    if executor == "ray":
        return _run_ray(ctx, tasks, progress)
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(ctx,)
    ) as pool:
        futures = [pool.submit(_worker_path, task) for task in tasks]
        for i, fut in enumerate(as_completed(futures)):
            results += fut.result()
            progress(i + 1, n)
    return results


def _run_ray(
    ctx: _Context, tasks: list[tuple[int, ScenarioSet, int]], progress: Callable[[int, int], None]
) -> list[PathOutcome]:
    try:
        import ray
    except ImportError:
        raise InputError.single(
            "--executor",
            "Ray is not installed: pip install 'computebroker[ray]'",
            field="--executor",
        ) from None
    r: Any = ray
    if not r.is_initialized():
        r.init(ignore_reinit_error=True, log_to_driver=False)
    remote = r.remote(_run_path)
    ref = r.put(ctx)
    pending = [remote.remote(ref, *task) for task in tasks]
    results: list[PathOutcome] = []
    done = 0
    while pending:
        ready, pending = r.wait(pending, num_returns=1)
        results += r.get(ready[0])
        done += 1
        progress(done, len(tasks))
    return results


def _summarise(policy: str, outcomes: list[PathOutcome], problem: PlanProblem) -> PolicySummary:
    spend: dict[str, float] = {}
    for o in outcomes:
        for v, usd in o.vendor_spend_usd.items():
            spend[v] = spend.get(v, 0.0) + usd
    total = sum(spend.values())
    pvs = [o.pv_usd for o in outcomes if o.pv_usd is not None]
    return PolicySummary(
        policy=policy,
        cost_usd=Interval.of([o.cost_usd for o in outcomes]),
        pv_usd=Interval.of(pvs) if len(pvs) == len(outcomes) else None,
        unmet={w: Interval.of([o.unmet[w] for o in outcomes]) for w in problem.workloads},
        obligations_usd=Interval.of([o.obligations_usd for o in outcomes]),
        vendor_shares={v: (usd / total if total else 0.0) for v, usd in sorted(spend.items())},
        signed_chips=xr.DataArray(
            np.mean([o.signed_chips for o in outcomes], axis=0),
            dims=("offer", "start"),
            coords={"offer": list(problem.commit), "start": list(problem.periods)},
        ),
    )


def evaluate_policies(
    spec: ScenarioSpec,
    catalog: Catalog,
    policies: Sequence[str],
    paths: int,
    rng: np.random.Generator,
    executor: str = "local",
    *,
    workers: int | None = None,
    options: EvaluationOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Run each of ``policies`` along the same ``paths`` true paths drawn from ``rng``.

    The static plan is solved once on the scenario's planning samples (its own count and
    seed); the paths come from a child of ``rng`` and are never those samples.

    Examples
    --------
    >>> # tests/planner/test_rolling.py: the two-regime example, rolling 12.5% below static
    """
    opt = options or EvaluationOptions()
    kinds = _policy_kinds(policies)
    if paths < 1:
        raise InputError.single(
            "--paths", f"paths must be at least 1, got {paths}", field="--paths"
        )
    if executor not in ("serial", "local", "ray"):
        raise InputError.single(
            "--executor",
            f"unknown executor {executor!r}; use serial, local or ray",
            field="--executor",
        )
    accs = sorted({o.accelerator for o in spec.offers})
    matrix = throughput_matrix(spec.workloads, catalog, accs)
    planning = sample_scenarios(spec)
    if spec.sampling.reduce_to:
        planning = reduce_scenarios(planning, spec.sampling.reduce_to)
    problem = build_problem(spec, matrix, planning, catalog)
    static_x = _solve(problem, opt.plan, "static plan").x if PolicyKind.STATIC in kinds else None
    path_rng, plan_rng = rng.spawn(2)
    true = sample_paths(spec, paths, path_rng)
    seeds = plan_rng.integers(0, 2**63 - 1, size=paths)
    ctx = _Context(
        spec=spec, matrix=matrix, catalog=catalog, policies=kinds, static_x=static_x, options=opt
    )
    tasks = [(j, _one(true, j), int(seeds[j])) for j in range(paths)]
    outcomes = _run_all(ctx, tasks, executor, workers, progress or (lambda _d, _n: None))
    outcomes.sort(key=lambda o: (kinds.index(PolicyKind(o.policy)), o.path))
    summaries = tuple(
        _summarise(k.value, [o for o in outcomes if o.policy == k.value], problem) for k in kinds
    )
    flex = None
    if PolicyKind.STATIC in kinds and PolicyKind.ROLLING in kinds:
        by = {(o.policy, o.path): o.cost_usd for o in outcomes}
        flex = Interval.of([by["static", j] - by["rolling", j] for j in range(paths)])
    return Evaluation(
        scenario=spec.name,
        paths=paths,
        periods=problem.periods,
        offers=problem.commit,
        policies=summaries,
        outcomes=tuple(outcomes),
        value_of_flexibility_usd=flex,
        options=opt,
    )


def _policy_kinds(policies: Sequence[str]) -> tuple[PolicyKind, ...]:
    out: list[PolicyKind] = []
    for name in policies:
        try:
            kind = PolicyKind(name.strip().lower())
        except ValueError:
            allowed = ", ".join(k.value for k in PolicyKind)
            raise InputError.single(
                "--policies", f"unknown policy {name!r}; use {allowed}", field="--policies"
            ) from None
        if kind not in out:
            out.append(kind)
    if not out:
        raise InputError.single(
            "--policies", "no policy given; use static, rolling", field="--policies"
        )
    return tuple(out)
