"""Commitment policies judged on the futures they will meet: ``evaluate_policies``.

Two policies: ``static``, the two-stage plan (every commitment for every start fixed before
anything is observed, ``solve_plan`` on the scenario's own planning samples), and ``rolling``
(``rolling.py``: re-plan every period on conditioned scenarios, sign what starts now).

``paths`` true paths of demand and deliveries are drawn from the unconditional model with a
child of the caller's generator (``conditional.sample_paths``), never the planning samples.
Every policy runs along the same paths; its realised cost on a path is the commitments it
signed, billed for what the path delivers, plus the cheapest recourse on that path (rentals,
allocation, unmet work at its penalty: recourse is per period, so choosing it with the path's
demand known is choosing it each period as the period is seen) plus the post-horizon
obligations net of salvage, as ``result.plan_from_arrays`` scores any plan: delivered
capacity on the path's slip shifts and partial shares, rentals at the path's (scarcity) prices,
nominal and at present value with the problem's discount factors; what a policy signed is its
total contract value (``PlanProblem.tcv``, whole terms from delivery). Vendor caps and the
shortfall-risk limit are rules for choosing commitments, so they are not imposed on the
realisation (as in ``evaluate.py``). The value of flexibility is the paired difference
static - rolling on the same paths.

Paths are independent given the static plan, so they run in parallel: ``serial``, ``local``
(a process pool) or ``ray``. The module never prints; ``progress(done, total)`` reports paths.
"""

from __future__ import annotations

import importlib.util
import math
import multiprocessing
import multiprocessing.context
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np
import xarray as xr

from computebroker.catalog import Catalog
from computebroker.errors import InputError
from computebroker.perf.matrix import throughput_matrix
from computebroker.planner.build import PlanOptions
from computebroker.planner.conditional import sample_paths
from computebroker.planner.evaluate import recourse_policy
from computebroker.planner.problem import KCHIPS, MUSD, PlanProblem, build_problem
from computebroker.planner.result import Plan, plan_from_arrays
from computebroker.planner.rolling import (
    EvaluationOptions,
    WaitValue,
    commit_ids,
    rolling_commitments,
    sign_now_or_wait,
    signed_chips,
    solve_or_raise,
)
from computebroker.planner.sampling import ScenarioSet, reduce_scenarios, sample_scenarios
from computebroker.planner.spec import ScenarioSpec

__all__ = [
    "Evaluation",
    "Interval",
    "PathOutcome",
    "PolicyKind",
    "PolicySummary",
    "evaluate_policies",
    "evaluation_document",
]


class PolicyKind(StrEnum):
    """A commitment policy that ``evaluate_policies`` can run."""

    STATIC = "static"  # the two-stage plan: everything signed before anything is seen
    ROLLING = "rolling"  # re-plan every period on conditioned scenarios, sign what starts now


@dataclass(frozen=True, slots=True, kw_only=True)
class PathOutcome:
    """One policy on one true path. Money in USD, chips in chips, work in class units."""

    policy: str
    path: int
    cost_usd: float  # realised, nominal: commitments delivered + rentals + penalties + post-horizon
    pv_usd: float  # the same at present value (policy.discount_rate; equal to cost_usd at 0)
    cost_by_period_usd: tuple[float, ...]  # nominal; the post-horizon obligations in the last
    penalty_usd: float  # nominal
    unmet: dict[str, float]  # work units left unmet over the horizon, per class
    obligations_usd: float  # total contract value signed by the policy (nominal, whole terms)
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
    pv_usd: Interval
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
    sign_now_or_wait: tuple[WaitValue, ...] = ()  # per offer signed now by rolling's first re-plan

    def summary(self, policy: str) -> PolicySummary:
        """The summary of ``policy``."""
        for s in self.policies:
            if s.policy == policy:
                return s
        raise KeyError(policy)

    def costs(self, policy: str) -> np.ndarray:
        """(paths,) realised cost of ``policy`` on each path, USD."""
        return np.array([o.cost_usd for o in self.outcomes if o.policy == policy])


# -- one path --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    """What every path needs (sent once to each worker)."""

    spec: ScenarioSpec
    matrix: xr.Dataset
    catalog: Catalog
    policies: tuple[PolicyKind, ...]
    static_x: np.ndarray | None  # (C, P) kchips of the static plan
    options: EvaluationOptions


def _realise(ctx: _Context, policy: str, path: int, x: np.ndarray, ss: ScenarioSet) -> PathOutcome:
    """Commitments ``x`` (C, P kchips) run along one true path with the best recourse."""
    spec = ctx.spec
    rules = recourse_policy(spec.policy)
    signed = signed_chips(commit_ids(spec), x, np.ones(x.shape, dtype=bool))
    p = build_problem(
        replace(spec, policy=rules), ctx.matrix, ss, ctx.catalog, as_of=x.shape[1], signed=signed
    )
    plan = _recourse(
        p, x, replace(ctx.options.plan, milp=False, risk_weight=0.0), f"{policy} on path {path}"
    )
    return _outcome(p, plan, policy, path)


def _recourse(p: PlanProblem, x: np.ndarray, options: PlanOptions, what: str) -> Plan:
    """The best recourse for fixed commitments: the decomposition's warm HiGHS subproblem when
    it applies (no budgets), else the extensive form."""
    from computebroker.planner.benders import benders_supported
    from computebroker.planner.parallel import make_executor

    if benders_supported(p, options):
        return solve_or_raise(p, replace(options, method="extensive"), what)
    x_full = np.maximum(x, p.x_lb)
    ex = make_executor(p, "serial")
    try:
        y, a, u = ex.recourse(np.einsum("oij,oi->oj", p.R, x_full))
    finally:
        ex.close()
    return plan_from_arrays(p, x=x_full, y=y, a=a, u=u)


def _outcome(p: PlanProblem, plan: Plan, policy: str, path: int) -> PathOutcome:
    """The path's bill by period (nominal), its total nominal and at present value (the
    problem's own discount factors, ``Plan.cost``), and what the policy signed."""
    P = p.n_periods
    # delivered capacity on the path: the slip shifts delivery and term, partial shares apply
    delivered = p.delivered(plan.k)[:, :, 0] if len(p.commit) else np.zeros((0, P))
    commit_t = p.c_commit[:, None] * delivered  # (C, P) $M
    rent_t = p.rent_price[:, :, 0] * plan.y[:, :, 0] if len(p.recourse) else np.zeros((0, P))
    pen_t = (p.penalty[:, None] * plan.u[:, :, 0]).sum(axis=0)
    by_period = commit_t.sum(axis=0) + rent_t.sum(axis=0) + pen_t
    new = plan.x - p.x_delivered
    if len(p.commit):  # post-horizon obligations (shifted terms), net of salvage, at the end
        post = p.post_coef(nominal=True)[:, :, 0]
        owed = (post * new).sum() + (p.post_existing(nominal=True) * p.x_delivered).sum()
        by_period[-1] += float(owed)
    vendors: dict[str, float] = {}
    for i, prov in enumerate(p.commit_provider):
        vendors[prov] = vendors.get(prov, 0.0) + float(commit_t[i].sum()) * MUSD
    for i, prov in enumerate(p.recourse_provider):
        vendors[prov] = vendors.get(prov, 0.0) + float(rent_t[i].sum()) * MUSD
    return PathOutcome(
        policy=policy,
        path=path,
        cost_usd=float(plan.cost_nominal[0] * MUSD),
        pv_usd=float(plan.cost[0] * MUSD),
        cost_by_period_usd=tuple(float(v * MUSD) for v in by_period),
        penalty_usd=float(pen_t.sum() * MUSD),
        unmet={w: float(plan.u[i].sum() * p.scale[i]) for i, w in enumerate(p.workloads)},
        obligations_usd=float((p.tcv * new).sum() * MUSD) if len(p.commit) else 0.0,
        vendor_spend_usd=vendors,
        signed_chips=new * KCHIPS,
    )


def _run_path(ctx: _Context, path: int, ss: ScenarioSet, seed: int) -> list[PathOutcome]:
    demand = ss.demand.values[:, :, 0]
    delivery = ss.delivery.values[:, :, 0]
    shift = ss.shift.values[:, 0]
    out = []
    for policy in ctx.policies:
        if policy is PolicyKind.STATIC:
            assert ctx.static_x is not None  # solved before the paths
            x = ctx.static_x
        else:
            rng = np.random.default_rng(seed)
            x = rolling_commitments(
                ctx.spec, ctx.matrix, ctx.catalog, demand, delivery, shift, rng, ctx.options
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
        shift=ss.shift.isel(sel).assign_coords(scenario=[0]),
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
        max_workers=workers, mp_context=_pool_context(), initializer=_init_worker, initargs=(ctx,)
    ) as pool:
        futures = [pool.submit(_worker_path, task) for task in tasks]
        for i, fut in enumerate(as_completed(futures)):
            results += fut.result()
            progress(i + 1, n)
    return results


def _pool_context() -> multiprocessing.context.BaseContext:
    """Fork where the platform has it: the workers inherit the context (the catalog holds
    read-only mapping proxies, which do not pickle) whatever start method this process was
    given (a service job's process is started by a fork server and would pass it on)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _no_ray() -> InputError:
    return InputError.single(
        "--executor", "Ray is not installed: pip install 'computebroker[ray]'", field="--executor"
    )


def _run_ray(
    ctx: _Context, tasks: list[tuple[int, ScenarioSet, int]], progress: Callable[[int, int], None]
) -> list[PathOutcome]:
    try:
        import ray
    except ImportError:
        raise _no_ray() from None
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
    return PolicySummary(
        policy=policy,
        cost_usd=Interval.of([o.cost_usd for o in outcomes]),
        pv_usd=Interval.of([o.pv_usd for o in outcomes]),
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
    if executor == "ray" and importlib.util.find_spec("ray") is None:
        raise _no_ray()
    accs = sorted({o.accelerator for o in spec.offers})
    matrix = throughput_matrix(spec.workloads, catalog, accs)
    planning = sample_scenarios(spec)
    if spec.sampling.reduce_to:
        planning = reduce_scenarios(planning, spec.sampling.reduce_to)
    problem = build_problem(spec, matrix, planning, catalog)
    static_x = (
        solve_or_raise(problem, opt.plan, "static plan").x if PolicyKind.STATIC in kinds else None
    )
    path_rng, plan_rng, wait_rng = rng.spawn(3)
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
        sign_now_or_wait=(
            sign_now_or_wait(spec, matrix, catalog, wait_rng, opt)
            if PolicyKind.ROLLING in kinds
            else ()
        ),
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


def _interval_doc(i: Interval | None) -> dict[str, float] | None:
    if i is None:
        return None
    return {"mean": i.mean, "ci95_low": i.low, "ci95_high": i.high, "p05": i.p05, "p95": i.p95}


def evaluation_document(ev: Evaluation) -> dict[str, Any]:
    """The evaluation as plain JSON-ready data (money in USD, chips in chips).

    Examples
    --------
    >>> # tests/cli/test_evaluate_cli.py reads it back from evaluation.json
    """
    flex = ev.value_of_flexibility_usd
    return {
        "scenario": ev.scenario,
        "paths": ev.paths,
        "periods": list(ev.periods),
        "options": {
            "replan_scenarios": ev.options.replan_scenarios,
            "decision_lead": ev.options.decision_lead,
            "information_lag": ev.options.information_lag,
        },
        "value_of_flexibility_usd": _interval_doc(flex),
        "sign_now_or_wait": [
            {
                "offer": w.offer,
                "chips_now": w.chips_now,
                "cost_sign_now_usd": w.cost_sign_now_usd,
                "cost_wait_usd": w.cost_wait_usd,
                "value_of_signing_now_usd": w.value_of_signing_now_usd,
            }
            for w in ev.sign_now_or_wait
        ],
        "policies": [
            {
                "policy": s.policy,
                "cost_usd": _interval_doc(s.cost_usd),
                "pv_usd": _interval_doc(s.pv_usd),
                "unmet": {w: _interval_doc(i) for w, i in s.unmet.items()},
                "obligations_usd": _interval_doc(s.obligations_usd),
                "vendor_shares": s.vendor_shares,
                "signed_chips": [
                    {"offer": o, "start": t, "chips": float(s.signed_chips.sel(offer=o, start=t))}
                    for o in ev.offers
                    for t in ev.periods
                    if float(s.signed_chips.sel(offer=o, start=t)) > 1e-6
                ],
            }
            for s in ev.policies
        ],
        "paths_detail": [
            {
                "policy": o.policy,
                "path": o.path,
                "cost_usd": o.cost_usd,
                "pv_usd": o.pv_usd,
                "penalty_usd": o.penalty_usd,
                "obligations_usd": o.obligations_usd,
                "unmet": o.unmet,
                "cost_by_period_usd": list(o.cost_by_period_usd),
            }
            for o in ev.outcomes
        ],
    }
