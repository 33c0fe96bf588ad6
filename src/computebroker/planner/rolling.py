"""The rolling commitment policy: re-plan every period on scenarios conditioned on what was
observed, sign only what starts now.

At each period ``t`` (in order) the policy observes the demand and deliveries of periods
``<= t - information_lag`` (lag 0: a quarter's demand is known when its commitments are signed,
as a lab knows the work it has queued), re-plans on ``replan_scenarios`` scenarios conditioned
on that history (``conditional.sample_conditional``) with every commitment already signed fixed
(``build_problem``'s ``as_of``/``signed``, the mechanism of ``--as-of``; they may still slip,
unlike ``policy.existing``), and signs only the commitments that start in
``t .. t + decision_lead``.

The re-plan must know that later starts can still wait: in a plain two-stage re-plan every
later start is a first-stage decision fixed now, which is the static plan again and sees no
value in waiting. So each later start is decided per scenario (``_adaptive``): a copy of the
offer per scenario that delivers, bills, supplies and owes its post-horizon obligation only in
its scenario (on that scenario's slip shift, rental prices and discount factors, like any
offer), with its vendor-share weight at the scenario's probability. Later decisions
thus see their scenario's whole future (a wait-and-see relaxation of the later stages, which
values waiting optimistically); the commitments actually signed at ``t`` are shared by all
scenarios (non-anticipative). Skipped when nothing can start in the window. One more piece of
that optimism: an offer's usable-chip cap (``max_chips``) binds the shared starts and each
scenario's later starts separately, so a re-plan may count on later capacity that the shared
commitments already use; what is signed always respects the cap, because a signed start is
shared in every later re-plan. The other way round, a signed-contract budget
(``budget_basis: signed``) counts every scenario's later starts in full, not at their
probability, so it binds a re-plan harder than it binds the plan (conservative).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import xarray as xr

from computebroker.catalog import Catalog
from computebroker.errors import SolverError
from computebroker.planner.build import PlanOptions
from computebroker.planner.conditional import History, sample_conditional
from computebroker.planner.problem import KCHIPS, MUSD, PlanProblem, build_problem
from computebroker.planner.result import Plan
from computebroker.planner.spec import ScenarioSpec

__all__ = [
    "EvaluationOptions",
    "WaitValue",
    "commit_ids",
    "rolling_commitments",
    "sign_now_or_wait",
    "signed_chips",
    "solve_or_raise",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationOptions:
    """How the policies plan.

    ``replan_scenarios``: conditioned scenarios per rolling re-plan; ``decision_lead``: the
    rolling policy signs starts ``t .. t + decision_lead`` at ``t``; ``information_lag``: how
    many periods late demand and deliveries are seen (0: period ``t``'s are known when its
    commitments are signed, 1: only finished periods); ``plan``: solve settings of every plan
    (the static one uses the scenario's own sample count and seed); ``replan_method``: how a
    re-plan is solved when ``plan.method`` is ``auto``: ``benders`` (the default) by the
    decomposition whenever it applies (``benders.benders_supported``; else the extensive form),
    ``extensive`` always by the extensive form.

    Why the decomposition: a re-plan is small (10 scenarios) but is solved 12 times a path, and
    the extensive form spends most of its time building the linopy model (about 0.4 of 0.5
    CPU-s on frontier-lab), while the decomposition builds its HiGHS LPs directly; on the 12
    re-plans of one frontier-lab path it took 5.4 CPU-s against 6.6 (2026-12-01, this
    machine), to its proven gap (``plan.benders_gap``, 1e-4 of the re-plan's expected cost).
    """

    replan_scenarios: int = 10
    decision_lead: int = 0
    information_lag: int = 0
    plan: PlanOptions = field(default_factory=PlanOptions)
    replan_method: str = "benders"

    def replan_options(self, p: PlanProblem) -> PlanOptions:
        """The solve settings of re-plan ``p``: ``plan``, by the decomposition when
        ``replan_method`` asks for it, ``plan.method`` is ``auto`` and it applies."""
        from computebroker.planner.benders import benders_supported

        if self.plan.method != "auto" or self.replan_method != "benders":
            return self.plan
        if self.plan.milp or benders_supported(p, self.plan):
            return self.plan
        return replace(self.plan, method="benders")


def commit_ids(spec: ScenarioSpec) -> list[str]:
    """Ids of the spec's commitment offers, in the planner's order."""
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


def signed_chips(
    ids: Sequence[str], x: np.ndarray, mask: np.ndarray
) -> dict[tuple[str, int], float]:
    """(offer, start) -> chips of the kchips ``x`` (C, start) where ``mask``, for ``as_of``."""
    return {
        (oid, st): float(x[i, st] * KCHIPS)
        for i, oid in enumerate(ids)
        for st in range(x.shape[1])
        if mask[i, st]
    }


def solve_or_raise(problem: PlanProblem, options: PlanOptions, what: str) -> Plan:
    """The plan of ``problem``; a ``SolverError`` naming ``what`` and why when there is none."""
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
    shift: np.ndarray,
    rng: np.random.Generator,
    options: EvaluationOptions | None = None,
) -> np.ndarray:
    """(C, P) kchips the rolling policy signs along the true path ``demand`` (W, P),
    ``delivery`` (C, P) and ``shift`` (C,) (periods late of each offer's new commitments: seen
    only once due, ``conditional.History``), re-planning each period on conditioned scenarios
    drawn from ``rng``."""
    opt = options or EvaluationOptions()
    P = spec.horizon.count
    ids = commit_ids(spec)
    avail = _available(spec)
    x = np.zeros((len(ids), P))
    done = np.zeros(x.shape, dtype=bool)
    for t in range(P):
        window = slice(t, min(P, t + opt.decision_lead + 1))
        if not np.any(~done[:, window] & avail[:, window]):
            continue  # nothing can be signed now: no re-plan needed
        seen = max(0, t + 1 - opt.information_lag)
        history = History(demand=demand[:, :seen], delivery=delivery[:, :seen], shift=shift)
        scen = sample_conditional(spec, history, opt.replan_scenarios, rng)
        mask = done.copy()
        mask[:, :t] = True
        p = build_problem(spec, matrix, scen, catalog, as_of=t, signed=signed_chips(ids, x, mask))
        ahead = done & ~p.x_fixed  # signed earlier for a later start: fixed too
        lb, ub = p.x_lb.copy(), p.x_ub.copy()
        lb[ahead] = np.maximum(x[ahead], p.x_delivered[ahead])
        ub[ahead] = lb[ahead]
        p = replace(p, x_lb=lb, x_ub=ub, x_fixed=p.x_fixed | ahead)
        q = _adaptive(p, window.stop)
        plan = solve_or_raise(q, opt.replan_options(q), f"rolling re-plan at {p.periods[t]}")
        new = np.zeros_like(done)
        new[:, window] = ~done[:, window]
        x[new] = plan.x[: len(ids)][new]
        done |= new
    return x


# PlanProblem's fields indexed by commitment offer first: ``_adaptive`` extends each of them
# (tests/planner/test_rolling.py checks that no such field is missing).
PER_OFFER_FIELDS = (
    "commit",
    "commit_provider",
    "commit_pool",
    "c_commit",
    "R",
    "Rext",
    "post",
    "x_lb",
    "x_delivered",
    "x_ub",
    "x_fixed",
    "active_max",
    "block",
    "min_start",
    "share_weight",
    "d",
    "shift",
)


def _adaptive(p: PlanProblem, split: int) -> PlanProblem:
    """The re-plan with every commitment starting from ``split`` on decided per scenario.

    Each such (offer, scenario) becomes a copy of the offer (same price, profiles, slip
    ``shift`` and caps) that delivers only in its scenario (delivered share 0 elsewhere), so it
    is billed, supplies capacity and owes its post-horizon obligation only there (the
    obligation follows the delivered share, ``PlanProblem.post_coef``); its weight in vendor
    shares is scaled by the scenario's probability (its expectation). Starts before ``split``
    stay shared (non-anticipative). Without this, a two-stage re-plan would fix later starts
    now and see no value in waiting. Every field not indexed by offer carries over unchanged
    (``dataclasses.replace``); the per-offer ones (``PER_OFFER_FIELDS``) take the copied rows.
    """
    later = p.x_ub[:, split:] > p.x_lb[:, split:]
    offers = [i for i in range(len(p.commit)) if later[i].any()]
    if not offers:
        return p
    S = p.n_scenarios
    pairs = [(i, s) for i in offers for s in range(S)]
    idx = np.array([i for i, _ in pairs])
    prob = np.array([p.prob[s] for _, s in pairs])
    shared_ub = p.x_ub.copy()
    shared_ub[:, split:] = p.x_lb[:, split:]  # shared offers: only what is already fixed there
    copy_ub = p.x_ub[idx].copy()
    copy_ub[:, :split] = 0.0
    copy_d = np.zeros((len(pairs), p.n_periods, S))
    for j, (i, s) in enumerate(pairs):
        copy_d[j, :, s] = p.d[i, :, s]
    zeros = np.zeros((len(pairs), p.n_periods))
    copies: dict[str, Any] = {
        "commit": tuple(f"{p.commit[i]}#s{s}" for i, s in pairs),
        "x_lb": zeros,
        "x_delivered": zeros,
        "x_ub": copy_ub,
        "x_fixed": zeros.astype(bool),
        "share_weight": p.share_weight[idx] * prob,
        "d": copy_d,
    }
    changes: dict[str, Any] = {}
    for name in PER_OFFER_FIELDS:
        old = shared_ub if name == "x_ub" else getattr(p, name)
        if isinstance(old, tuple):
            changes[name] = old + tuple(copies.get(name, [old[i] for i in idx]))
        else:
            changes[name] = np.concatenate([old, copies.get(name, old[idx])])
    return replace(p, **changes)


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitValue:
    """Sign an offer now, or wait one period: the re-plan's expected cost both ways (USD).

    ``cost_wait_usd`` is the same re-plan with the offer's start now forbidden (it may still
    start later, if the offer allows); ``value_of_signing_now_usd`` is the difference: what the
    planner expects to lose by waiting (negative: waiting is cheaper).
    """

    offer: str
    chips_now: float
    cost_sign_now_usd: float
    cost_wait_usd: float

    @property
    def value_of_signing_now_usd(self) -> float:
        """Expected cost of waiting less that of signing now."""
        return self.cost_wait_usd - self.cost_sign_now_usd


def sign_now_or_wait(
    spec: ScenarioSpec,
    matrix: xr.Dataset,
    catalog: Catalog,
    rng: np.random.Generator,
    options: EvaluationOptions | None = None,
) -> tuple[WaitValue, ...]:
    """For each offer the rolling policy would sign in the first period (before anything is
    observed), the expected cost of signing it now against waiting one period."""
    opt = options or EvaluationOptions()
    scen = sample_conditional(spec, History.empty(spec), opt.replan_scenarios, rng)
    p = build_problem(spec, matrix, scen, catalog, as_of=0, signed={})

    def expected(q: PlanProblem) -> tuple[float, Plan]:
        a = _adaptive(q, 1)
        plan = solve_or_raise(a, opt.replan_options(a), "sign-now-or-wait re-plan")
        return float(plan.cost @ q.prob) * MUSD, plan

    now, plan = expected(p)
    out = []
    for i, oid in enumerate(p.commit):
        chips = float(plan.x[i, 0] - p.x_lb[i, 0]) * KCHIPS
        if chips <= 1e-6:
            continue
        ub = p.x_ub.copy()
        ub[i, 0] = p.x_lb[i, 0]
        wait, _ = expected(replace(p, x_ub=ub))
        out.append(WaitValue(offer=oid, chips_now=chips, cost_sign_now_usd=now, cost_wait_usd=wait))
    return tuple(out)
