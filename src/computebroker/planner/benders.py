"""L-shaped (Benders) decomposition of the plan, with one cut per scenario (multi-cut), or per
group of similar scenarios past ``BendersOptions.max_groups`` scenarios.

The extensive form (``build.py``) grows with the scenario count; here the first stage —
commitments ``x``, usable capacity ``k``, the CVaR threshold and, under a shortfall-risk limit,
each scenario's allowed unmet share ``omega_s`` — sits in a small master and each scenario's
recourse (rentals, allocation, unmet work; ``recourse.py``) is its own LP, solved over and over
with only its right-hand side changed (HiGHS hot-starts from the previous basis).

Scenario cost ``C_s = C1(x) + A_s(k) + Q_s(k, omega_s)``: the post-horizon obligations, the
delivered commitments' bill (linear in ``k``), and the recourse value ``Q_s``, convex
piecewise-linear in what it is given. The master holds ``theta_s >= Q_s`` through cuts
``theta_s >= Q_s(k^, w^) + g_s . (k - k^) + gw_s (omega_s - w^)``, ``g_s`` the capacity and
budget duals seen through the scenario's delivery; CVaR stays exact in the Rockafellar-Uryasev
form ``eta + 1/(1-alpha) sum_s pi_s z_s``, ``z_s >= C_s - eta``, over the master's ``theta``.

Rules that tie a scenario's recourse to the first stage:

* budgets (nominal spend per period, or in total on the spend basis): the commitments' bill is
  first-stage, so each scenario's rentals get what the budget leaves (``recourse.py``); the
  rows ``bill_t,s(k) <= B_t`` are the feasibility cuts, added for the most exceeded scenario of
  each row once a master point exceeds it (lazy rows of the extensive form). A budget on the
  contract value signed (``budget_basis: signed``) is a master row.
* the shortfall-risk limit: the master holds the CVaR of the ``omega_s`` (``zeta +
  1/(1-alpha_u) sum pi_s v_s <= eps``, ``v_s >= omega_s - zeta``) and each recourse keeps its
  unmet share within ``omega_s``; the second value function per scenario, the least unmet
  share ``V_s(k)``, gives the feasibility cuts ``omega_s >= V_s(k^) + h_s . (k - k^)``. A point
  whose shares some scenario cannot meet is repaired (``_repair``: the same commitments, shares
  at least ``V_s(k^)`` and within the limit) into a feasible plan, an upper bound and incumbent;
  an infeasible master says how far the limit is out of reach (``_why_infeasible``).

Past ``max_groups`` (1,000) scenarios the cuts aggregate (``ScenarioGroups``): the master holds
one ``theta_g`` per group of similar scenarios, bounding the group's mean recourse value, and one
``z_g`` bounding its mean CVaR excess ``sum_s w_s (C_s - eta)^+``, each through cuts (the exact
CVaR rows above need one ``theta`` per scenario); the master's size then stops growing with the
scenario count, the bounds stay exact, and only the path (a few more iterations) changes.

The lower bound is the master's optimum (its proven dual bound for a MILP), the upper bound the
true objective of the best first stage whose every recourse was feasible; the loop stops when
they are within ``gap``.

Under ``--milp`` whole blocks, minimum quantities and the vendor minimum make the master a MILP
with the same cuts (the integer L-shaped method: exact, because the recourse stays continuous).
It is stabilised by an LP phase: the master's integrality is relaxed until the relaxation is
within a tenth of the MIP gap (its cuts are valid for the MILP, and its bound is a lower bound), then restored; each
MILP master then starts from the best plan so far as an incumbent (``setSolution``, with its
true recourse values as ``theta``, so it prunes by the upper bound at once) or, under a vendor
minimum and with no plan yet, from the master with the vendors in use fixed (``_vendor_start``:
a restriction of the master, so the loop stays exact), and optimality
cuts slack for ``drop_after`` master solves in a row are dropped (a dropped cut that binds again
is found again). Not covered: a vendor cap on the portfolio's contract value
(``benders_supported`` says so; those plans use the extensive form).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from computebroker.errors import SolverError
from computebroker.planner.build import PlanOptions, _capacity_bound
from computebroker.planner.outcome import PlanStatus
from computebroker.planner.problem import MUSD, PlanProblem
from computebroker.planner.recourse import Recourse, budget_rows, commit_spend, solved
from computebroker.planner.result import Plan, cvar, plan_from_arrays
from computebroker.planner.spec import BudgetBasis
from computebroker.solvers import new_highs

__all__ = [
    "BendersOptions",
    "BendersResult",
    "Decomposition",
    "MasterInfeasibleError",
    "Recourse",
    "ScenarioGroups",
    "benders_supported",
    "solve_benders",
]

INF = highspy.kHighsInf
HAIR = 1e-7  # relative: HiGHS's primal feasibility tolerance (a repaired share's margin)
Row = tuple[np.ndarray, np.ndarray, float, float]


class MasterInfeasibleError(SolverError):
    """The master has no point: the first-stage rules and the feasibility cuts contradict each
    other (the plan is infeasible). ``explanation``: the decomposition's own account of why, in
    the input's terms (on small problems the extensive form's diagnosis is used instead)."""

    def __init__(self, message: str, explanation: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.explanation = explanation


@dataclass(frozen=True, slots=True, kw_only=True)
class BendersOptions:
    """Stopping rules and stabilisation of the decomposition."""

    gap: float = 1e-4  # relative gap between the bounds
    max_iterations: int = 300
    time_limit_s: float | None = None
    executor: str = "local"  # local (process pool), serial, or ray
    workers: int | None = None  # default: the machine's cores
    ray_address: str | None = None
    lp_phase: bool = True  # MILP master: converge its LP relaxation first, keeping the cuts
    warm_start: bool = True  # MILP master: start each solve from the best plan so far
    # MILP master with a vendor minimum, before a solve with no plan to start from yet: fix the
    # vendors in use to a set chosen on the LP relaxation, solve that restriction, start there
    vendor_start: bool = True
    drop_after: int = (
        5  # drop an optimality cut slack in this many master solves in a row (0: keep all)
    )
    # more scenarios than this: their cuts aggregate into this many groups of similar scenarios
    # (``ScenarioGroups``), so the master's size stops growing with the scenario count
    max_groups: int = 1000


@dataclass(slots=True)
class BendersResult:
    """The best plan found, its bounds and how it got there."""

    plan: Plan
    lower: float  # $M
    upper: float  # $M
    iterations: int
    seconds: float
    converged: bool
    history: list[tuple[int, float, float]] = field(default_factory=list)
    subproblem_seconds: float = 0.0
    master_seconds: float = 0.0
    stopped_by: PlanStatus | None = None  # the limit that stopped it before the gap closed
    lp_iterations: int = 0  # of ``iterations``, those of the MILP master's LP phase
    cuts_dropped: int = 0

    @property
    def gap(self) -> float:
        """Relative gap between the bounds."""
        return (self.upper - self.lower) / max(abs(self.upper), 1e-12)


def benders_supported(p: PlanProblem, opt: PlanOptions) -> str:
    """Empty when the decomposition applies; otherwise why the extensive form is needed."""
    pol = p.spec.policy
    if not p.commit:
        return "there is nothing to commit to"
    if pol.share_scope.value == "portfolio" and pol.max_vendor_share is not None:
        return "a vendor cap on the portfolio's contract value needs the extensive form"
    if p.T_mult is not None:
        return "throughput uncertainty changes each scenario's recourse coefficients"
    return ""


@dataclass(slots=True)
class _Loop:
    """The state of one ``Decomposition.solve``."""

    t_start: float
    upper: float = np.inf
    lower: float = -np.inf
    lp_upper: float = np.inf  # the LP phase's best (not a bound on the MILP)
    best_x: np.ndarray | None = None
    best_point: tuple[np.ndarray, np.ndarray] | None = None  # (k, omega) of the best plan
    incumbent: np.ndarray | None = None  # the master point of the best plan, theta = Q
    history: list[tuple[int, float, float]] = field(default_factory=list)
    t_sub: float = 0.0
    t_master: float = 0.0
    it: int = 0
    lp_its: int = 0


@dataclass(slots=True)
class _Evaluation:
    """The recourse at one master point."""

    feasible: bool
    value: float  # the point's true objective ($M, without the expected constant); inf if not
    cuts: list[Row]
    optimality: int  # how many of ``cuts`` are optimality cuts (they come first)
    point: tuple[np.ndarray, np.ndarray]  # (k, omega) the recourse was solved at
    q: np.ndarray


@dataclass(frozen=True, slots=True)
class _Slope:
    """Every scenario's cut slope at one point: in ``k`` (S, C*P), in its unmet share (S,),
    and the unmet shares it was taken at (S,)."""

    g: np.ndarray
    gw: np.ndarray
    omega: np.ndarray


def _violation(value: np.ndarray) -> np.ndarray:
    """How far below ``value`` a master's estimate must be for its cut to count as violated."""
    return np.asarray(1e-9 * np.maximum(1.0, np.abs(value)), dtype=float)


@dataclass(frozen=True, slots=True)
class ScenarioGroups:
    """The scenario groups whose cuts the master aggregates: ``group[s]`` scenario ``s``'s
    group, ``weight[s]`` its probability within it (``pi_s / pi_g``), ``prob`` (G,) each group's
    probability and ``matrix`` (G, S) the weights, so that ``matrix @ f`` is each group's mean
    of ``f``. One scenario a group (``exact``) is the multi-cut method. Past ``max_groups``
    scenarios, groups of similar scenarios (sorted by their volume-weighted total demand, cut
    into runs of equal size): the master then bounds each group's mean recourse value, a
    coarser outer approximation than one cut per scenario whose cuts are as valid (multi-cut
    and single-cut L-shaped are its two ends; Birge & Louveaux, *Introduction to Stochastic
    Programming*, 2nd ed., sec. 5.3), so both bounds stay exact and only the path changes,
    while the master stops growing with the scenario count."""

    group: np.ndarray
    weight: np.ndarray
    prob: np.ndarray
    matrix: sp.csr_matrix
    members: tuple[np.ndarray, ...]

    @property
    def n(self) -> int:
        """Number of groups."""
        return len(self.prob)

    @property
    def exact(self) -> bool:
        """One scenario a group."""
        return self.n == len(self.group)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """(G,) each group's probability-weighted mean of ``values`` (S,)."""
        return np.asarray(self.matrix @ values, dtype=float)

    @classmethod
    def of(cls, p: PlanProblem, max_groups: int) -> ScenarioGroups:
        """One scenario a group up to ``max_groups`` scenarios, else ``max_groups`` groups."""
        S = p.n_scenarios
        if max(max_groups, 1) >= S:
            members: list[np.ndarray] = [np.array([s]) for s in range(S)]
        else:
            size = np.einsum("w,wts->s", p.volume, p.D)  # how much work the scenario asks
            members = list(np.array_split(np.argsort(size, kind="stable"), max_groups))
        group = np.zeros(S, dtype=np.int64)
        for i, m in enumerate(members):
            group[m] = i
        prob = np.bincount(group, weights=p.prob, minlength=len(members))
        weight = p.prob / np.where(prob[group] > 0, prob[group], 1.0)
        matrix = sp.csr_matrix((weight, (group, np.arange(S))), shape=(len(members), S))
        return cls(group=group, weight=weight, prob=prob, matrix=matrix, members=tuple(members))


class Decomposition:
    """The master and the subproblem workers of one problem, kept across solves: cuts bound
    each scenario's recourse value, which depends on neither the risk weight nor the vendor
    cap, so a frontier re-solves with every cut found so far (``set_policy`` then ``solve``)."""

    def __init__(self, p: PlanProblem, opt: PlanOptions, bopt: BendersOptions) -> None:
        why = benders_supported(p, opt)
        if why:
            raise ValueError(f"the decomposition does not apply: {why}")
        self.p, self.bopt = p, bopt
        self.alpha = p.spec.policy.cvar_alpha
        # constant part of each scenario's bill: existing capacity that never slips
        self.const = p.cost_const()
        self.a_coef = p.bill_coef()  # A_s(k) = sum bill_coef[o,t,s] k_ot (present value)
        self.post = p.post_coef()  # post-horizon obligations: sum post[o,tau,s] x[o,tau]
        self.share = p.spec.policy.shortfall_max_fraction is not None
        pol = p.spec.policy
        self.budgets = pol.budget_per_period is not None or (
            pol.budget_total is not None and pol.budget_basis is BudgetBasis.SPEND
        )
        self.groups = ScenarioGroups.of(p, bopt.max_groups)
        # the CVaR cuts of aggregated groups read each scenario's first-stage bill as rows
        C_P = len(p.commit) * p.n_periods
        exact = self.groups.exact
        self.a_rows = np.zeros((0, C_P)) if exact else self.a_coef.reshape(C_P, -1).T.copy()
        self.post_rows = np.zeros((0, C_P)) if exact else self.post.reshape(C_P, -1).T.copy()
        self.eta_floor = -np.inf if exact else float(self.const.min())
        lower, upper = self._columns()
        master = new_highs()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_cols, 0
        lp.col_cost_ = np.zeros(self.n_cols)
        lp.col_lower_, lp.col_upper_ = lower, upper
        master.passModel(lp)
        _add_rows(master, self._structural_rows())
        self.master = master
        self.milp = opt.milp
        # a MILP master is solved to the MIP gap, so the loop cannot prove better than that
        self.target_gap = max(bopt.gap, opt.mip_gap) if opt.milp else bopt.gap
        self.int_cols = np.zeros(0, dtype=np.int32)
        self.vendor_cols = np.zeros(0, dtype=np.int32)  # the vendor minimum's "used" binaries
        self.vendor_set: np.ndarray | None = None  # (V,) 0/1: the vendors the start fixes
        if opt.milp:
            self.int_cols, self.vendor_cols = _add_integer_rules(
                master, p, self.col_x, self.col_k, upper[self.col_x]
            )
            master.setOptionValue("mip_rel_gap", max(opt.mip_gap, bopt.gap) / 2)
        self.relaxed = False  # the MILP master's integrality is relaxed (LP phase)
        self.lp_done = not (opt.milp and bopt.lp_phase)
        from computebroker.planner.parallel import make_executor

        self.ex = make_executor(p, bopt.executor, bopt.workers, bopt.ray_address)
        self.lam = 0.0
        self.cuts = 0
        self.dropped = 0
        self.cut_rows = np.zeros(0, dtype=np.int64)  # master rows of the optimality cuts
        self.cut_lo = np.zeros(0)
        self.cut_slack = np.zeros(0, dtype=np.int64)  # master solves in a row each was slack
        self.set_policy(
            opt.risk_weight if opt.risk_weight is not None else pol.risk_weight,
            opt.max_vendor_share if opt.max_vendor_share is not None else pol.max_vendor_share,
        )

    def _columns(self) -> tuple[np.ndarray, np.ndarray]:
        """Lay out the master's columns; their (lower, upper) bounds."""
        p = self.p
        C, P, S = len(p.commit), p.n_periods, p.n_scenarios
        G = self.groups.n
        n_x = C * P
        self.col_x = np.arange(n_x)
        self.col_k = n_x + np.arange(n_x)
        self.col_th = 2 * n_x + np.arange(G)  # one recourse value per scenario group
        self.col_eta = 2 * n_x + G
        self.col_z = 2 * n_x + G + 1 + np.arange(G)  # and its CVaR excess
        n = 2 * n_x + 2 * G + 1
        n_share = 2 * S + 1 if self.share else 0
        self.col_om = n + np.arange(S) if self.share else np.zeros(0, dtype=int)
        self.col_v = n + S + np.arange(S) if self.share else np.zeros(0, dtype=int)
        self.col_zeta = n + 2 * S
        self.n_cols = n + n_share
        big = _capacity_bound(p)
        lower = np.zeros(self.n_cols)
        upper = np.full(self.n_cols, INF)
        lower[self.col_x] = p.x_lb.reshape(-1)
        upper[self.col_x] = np.where(np.isinf(p.x_ub), big[:, None], p.x_ub).reshape(-1)
        upper[self.col_k] = np.repeat(np.minimum(p.active_max, big)[:, None], P, axis=1).reshape(-1)
        # aggregated: only cuts bound the CVaR excess, so the threshold needs a floor; every
        # scenario's cost is ``const_s`` plus non-negative terms, so its VaR is at least that
        lower[self.col_eta] = self.eta_floor
        if self.share:  # unmet shares and their VaR lie in [0, 1]
            upper[self.col_om] = 1.0
            upper[self.col_zeta] = 1.0
        return lower, upper

    def _structural_rows(self) -> list[Row]:
        """Usable capacity, vendor caps (coefficients set by ``set_policy``), CVaR, the signed
        budget and the shortfall-risk limit."""
        p = self.p
        C, P = len(p.commit), p.n_periods
        rows: list[Row] = []
        for o in range(C):  # usable capacity: k[o,t] - sum_tau R[o,tau,t] x[o,tau] = 0
            for t in range(P):
                taus = np.nonzero(p.R[o, :, t])[0]
                cols = np.concatenate([[self.col_k[o * P + t]], self.col_x[o * P + taus]])
                rows.append((cols, np.concatenate([[1.0], -p.R[o, taus, t]]), 0.0, 0.0))
        self.cap_rows: list[tuple[int, np.ndarray, np.ndarray]] = []  # (row, cols, offers)
        for _vendor in p.providers:
            offers = np.nonzero(p.share_weight)[0]
            for t in range(P):
                self.cap_rows.append((len(rows), self.col_k[offers * P + t], offers))
                rows.append((self.col_k[offers * P + t], np.zeros(len(offers)), -INF, 0.0))
        self.cap_vendor = [v for v in p.providers for _ in range(P)]
        rows.extend(self._cvar_rows())
        pol = p.spec.policy
        if pol.budget_total is not None and pol.budget_basis is BudgetBasis.SIGNED:
            # sum tcv (x - x_existing) <= B: first stage only (build.define_signed_budget)
            rhs = pol.budget_total / MUSD + float((p.tcv * p.x_delivered).sum())
            rows.append((self.col_x, p.tcv.reshape(-1), -INF, rhs))
        if self.share:
            self.row_limit = len(rows) + p.n_scenarios  # the CVaR limit, after the v_s rows
            rows.extend(self._shortfall_rows())
        return rows

    def _cvar_rows(self) -> list[Row]:
        """One scenario a group: ``z_s - theta_s - A_s(k) - post_s x + eta >= const_s`` (the
        CVaR exact in the master). Aggregated groups have CVaR cuts instead (``_group_cuts``)."""
        if not self.groups.exact:
            return []
        rows: list[Row] = []
        for s in range(self.p.n_scenarios):
            cols = np.concatenate(
                [[self.col_z[s], self.col_th[s], self.col_eta], self.col_k, self.col_x]
            )
            vals = np.concatenate(
                [
                    [1.0, -1.0, 1.0],
                    -self.a_coef[:, :, s].reshape(-1),
                    -self.post[:, :, s].reshape(-1),
                ]
            )
            rows.append((cols, vals, float(self.const[s]), INF))
        return rows

    def _shortfall_rows(self) -> list[Row]:
        """``v_s - omega_s + zeta >= 0`` and ``zeta + 1/(1-alpha_u) sum pi_s v_s <= eps``."""
        p, pol = self.p, self.p.spec.policy
        assert pol.shortfall_max_fraction is not None and pol.shortfall_alpha is not None
        rows: list[Row] = [
            (
                np.array([self.col_v[s], self.col_om[s], self.col_zeta]),
                np.array([1.0, -1.0, 1.0]),
                0.0,
                INF,
            )
            for s in range(p.n_scenarios)
        ]
        cols = np.append(self.col_v, self.col_zeta)
        vals = np.append(p.prob / (1.0 - pol.shortfall_alpha), 1.0)
        rows.append((cols, vals, -INF, float(pol.shortfall_max_fraction)))
        return rows

    def set_policy(self, risk_weight: float, max_vendor_share: float | None) -> None:
        """Objective weights for ``risk_weight`` and cap coefficients for ``max_vendor_share``."""
        p, m = self.p, self.master
        lam = self.lam = float(risk_weight)
        n = self.n_cols
        cost = np.zeros(n)
        cost[self.col_x] = np.einsum("ots,s->ot", self.post, p.prob).reshape(-1)
        cost[self.col_k] = np.einsum("ots,s->ot", self.a_coef, p.prob).reshape(-1)
        cost[self.col_th] = self.groups.prob
        cost[self.col_eta] = lam
        cost[self.col_z] = lam * self.groups.prob / (1 - self.alpha)
        m.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        caps = p.vendor_cap_by_period(1.0 if max_vendor_share is None else max_vendor_share)
        for i, ((row, cols, offers), vendor) in enumerate(
            zip(self.cap_rows, self.cap_vendor, strict=True)
        ):
            member = np.array([1.0 if p.commit_provider[o] == vendor else 0.0 for o in offers])
            cap = caps[i % p.n_periods]
            for col, v in zip(cols, p.share_weight[offers] * (member - cap), strict=True):
                m.changeCoeff(row, int(col), float(v))

    def solve(self, progress: Callable[[int, float, float], None] | None = None) -> BendersResult:
        """Iterate until the bounds meet (or a limit), keeping every cut for later solves."""
        bopt = self.bopt
        st = _Loop(t_start=time.perf_counter())
        expected_const = float(self.p.prob @ self.const)
        converged = False
        stopped_by: PlanStatus | None = PlanStatus.ITERATION_LIMIT
        if not self.lp_done:
            self._relax(True)
        while st.it < bopt.max_iterations:
            st.it += 1
            st.lp_its += self.relaxed
            t0 = time.perf_counter()
            ran = self._run_master(
                st.t_start, first=st.best_x is None and not self.relaxed, incumbent=st.incumbent
            )
            st.t_master += time.perf_counter() - t0
            if ran is None:  # the master stopped without a new point: keep the best so far
                stopped_by = PlanStatus.TIME_LIMIT
                break
            sol, bound, master_stopped = ran
            st.lower = max(st.lower, bound + expected_const)
            t0 = time.perf_counter()
            ev = self._evaluate(sol)
            st.t_sub += time.perf_counter() - t0
            self._record(st, sol, ev)
            repaired = None if ev.feasible or not self.share else self._repair(sol, ev)
            if repaired is not None:  # the same commitments with unmet shares they can meet
                self._record(st, *repaired)
                st.history.pop(-2)
            if progress is not None and np.isfinite(st.history[-1][2]):
                progress(*st.history[-1])
            closed = self._closed(st, ev) or (repaired is not None and self._near(st))
            if not master_stopped and closed and self.relaxed:
                self._relax(False)  # the LP phase is over: restore integrality, keep the cuts
                self.lp_done = True
                self._add_cuts(ev)  # (those of its last point too)
                continue
            if not master_stopped and closed:
                converged, stopped_by = True, None
                break
            if master_stopped or (
                bopt.time_limit_s is not None
                and time.perf_counter() - st.t_start > bopt.time_limit_s
            ):
                stopped_by = PlanStatus.TIME_LIMIT
                break
            if not ev.cuts:
                raise SolverError("the decomposition stalled: an infeasible recourse gave no cut")
            self._add_cuts(ev)
            if repaired is not None:
                self._add_cuts(repaired[1])
        return self._result(st, converged, stopped_by)

    def _closed(self, st: _Loop, ev: _Evaluation) -> bool:
        """Whether the current phase has converged: a feasible point with no violated cut, or
        bounds within the target gap."""
        if not ev.feasible:
            return False
        upper = st.lp_upper if self.relaxed else st.upper
        # the LP phase only gathers cuts: a tenth of the MIP gap is close enough
        gap = max(self.bopt.gap, self.target_gap / 10) if self.relaxed else self.target_gap
        return ev.optimality == 0 or upper - st.lower <= gap * max(abs(upper), 1e-12)

    def _near(self, st: _Loop) -> bool:
        """The bounds of the current phase within its target gap."""
        upper = st.lp_upper if self.relaxed else st.upper
        gap = max(self.bopt.gap, self.target_gap / 10) if self.relaxed else self.target_gap
        return bool(upper - st.lower <= gap * max(abs(upper), 1e-12))

    def _repair(self, sol: np.ndarray, ev: _Evaluation) -> tuple[np.ndarray, _Evaluation] | None:
        """A master point whose commitments can meet the shortfall-risk limit with other unmet
        shares than the master chose (it chose some below the least its capacity allows): the
        same ``x, k`` with shares ``omega'`` at least each scenario's least unmet share
        ``V_s(k)`` and within the limit, as (point, its evaluation), or None when the least
        shares already exceed the limit. Feasible, so its true objective is an upper bound
        (and a starting incumbent for the MILP master) long before the master's own point is;
        its cuts are valid like any other (this is the feasibility-repair step of the loop)."""
        p, pol = self.p, self.p.spec.policy
        assert pol.shortfall_max_fraction is not None and pol.shortfall_alpha is not None
        alpha = float(pol.shortfall_alpha)
        # shares are raised a hair (HAIR) above what they must reach, for the LPs' tolerance
        eps = float(pol.shortfall_max_fraction) * (1 - 2 * HAIR) - 2 * HAIR
        least = self._least_shares(sol, ev)
        if least is None:
            return None
        if cvar(least, p.prob, alpha) > eps and not self.relaxed:
            # the bound is loose where the master's share was met: the least shares themselves
            # (one more pass; in the integer phase only, where each master solve is dear)
            C, P = len(p.commit), p.n_periods
            q0, _, _, v0, *_ = self.ex.cuts(sol[self.col_k].reshape(C, P), np.zeros(len(least)))
            least = np.where(np.isnan(q0), v0, 0.0)
        if not np.isfinite(least).all() or cvar(least, p.prob, alpha) > eps:
            return None
        hi = np.maximum(sol[self.col_om], least)  # the master's shares where they are possible
        t_lo, t_hi = 0.0, 1.0
        if cvar(hi, p.prob, alpha) > eps:  # as close to them as the limit allows
            for _ in range(30):
                t = (t_lo + t_hi) / 2
                if cvar(least + t * (hi - least), p.prob, alpha) <= eps:
                    t_lo = t
                else:
                    t_hi = t
            hi = least + t_lo * (hi - least)
        omega = np.minimum(hi * (1 + HAIR) + HAIR, 1.0)
        point = sol.copy()
        point[self.col_om] = omega
        zeta = _quantile(omega, p.prob, alpha)
        point[self.col_zeta] = zeta
        point[self.col_v] = np.maximum(omega - zeta, 0.0)
        fixed = self._evaluate(point)
        return (point, fixed) if fixed.feasible else None

    def _least_shares(self, sol: np.ndarray, ev: _Evaluation) -> np.ndarray | None:
        """(S,) an upper bound on each scenario's least unmet share at ``sol``'s capacity: the
        least share itself where the master's share was too low (read off its feasibility
        cut: ``V_s = omega_s + lo - activity``), the master's share where it was met; None
        where a budget left a scenario no recourse (no shares help)."""
        least = np.asarray(sol[self.col_om], dtype=float).copy()
        om = {int(c): s for s, c in enumerate(self.col_om)}
        seen = 0
        for cols, vals, lo, _ in ev.cuts[ev.optimality :]:
            s = om.get(int(cols[0]))
            if s is not None and np.isfinite(lo):
                least[s] = max(float(sol[cols[0]] + lo - vals @ sol[cols]), 0.0)
                seen += 1
        return None if np.isnan(ev.q).sum() > seen else least

    def _record(self, st: _Loop, sol: np.ndarray, ev: _Evaluation) -> None:
        """Update the best plan (or, in the LP phase, the relaxation's best) and the history."""
        value = ev.value
        if ev.feasible and self.relaxed:
            st.lp_upper = min(st.lp_upper, value)
        elif ev.feasible and value < st.upper:
            st.upper, st.best_point = value, ev.point
            st.best_x = sol[self.col_x].reshape(len(self.p.commit), self.p.n_periods).copy()
            st.incumbent = self._incumbent(sol, ev.q)
        st.history.append((st.it, st.lower, st.lp_upper if self.relaxed else st.upper))

    def _incumbent(self, sol: np.ndarray, q: np.ndarray) -> np.ndarray:
        """The master point ``sol`` with its true recourse values as ``theta`` (each group's
        mean) and the CVaR variables at their best: feasible for every cut (cuts bound ``Q``
        and the CVaR excess from below), with the plan's true objective (a MILP master then
        prunes by it)."""
        out = sol.copy()
        gr = self.groups
        out[self.col_th] = gr.mean(q)
        costs = self._costs(sol, q)
        eta = max(_quantile(costs, self.p.prob, self.alpha), self.eta_floor)
        out[self.col_eta] = eta
        out[self.col_z] = gr.mean(np.maximum(costs - eta, 0.0))
        return out

    def _costs(self, sol: np.ndarray, q: np.ndarray) -> np.ndarray:
        """(S,) each scenario's cost at master point ``sol`` with recourse values ``q``."""
        C, P = len(self.p.commit), self.p.n_periods
        x = sol[self.col_x].reshape(C, P)
        k = sol[self.col_k].reshape(C, P)
        first = np.einsum("ots,ot->s", self.post, x)
        return np.asarray(
            first + np.einsum("ots,ot->s", self.a_coef, k) + self.const + q, dtype=float
        )

    def _evaluate(self, sol: np.ndarray) -> _Evaluation:
        """Solve every scenario's recourse at ``sol``: the cuts it violates, and its value."""
        p = self.p
        C, P = len(p.commit), p.n_periods
        k_hat = sol[self.col_k].reshape(C, P)
        omega = sol[self.col_om] if self.share else np.full(p.n_scenarios, np.inf)
        q, g, gw, v, h, *_ = self.ex.cuts(k_hat, omega)
        ok = ~np.isnan(q)
        slope = _Slope(g=g.reshape(p.n_scenarios, -1), gw=gw, omega=omega)
        if self.groups.exact:
            cuts = self._scenario_cuts(sol, q, slope)
        else:
            cuts = self._group_cuts(sol, q, slope)
        n_opt = len(cuts)
        flat_k = k_hat.reshape(-1)
        for s in np.nonzero(~np.isnan(v))[0]:  # omega_s >= V_s(k^) + h_s . (k - k^)
            hk = h[s].reshape(-1)
            nz = np.nonzero(hk)[0]
            cols = np.concatenate([[self.col_om[s]], self.col_k[nz]])
            cuts.append((cols, np.concatenate([[1.0], -hk[nz]]), float(v[s] - hk @ flat_k), INF))
        if self.budgets:
            for gk_b, rhs_b in budget_rows(p, k_hat, commit_spend(p, k_hat)):
                flat = gk_b.reshape(-1)
                nz = np.nonzero(flat)[0]
                cuts.append((self.col_k[nz], flat[nz], -INF, rhs_b))
        feasible = bool(ok.all())
        value = np.inf
        if feasible:
            costs = self._costs(sol, q)
            value = float(p.prob @ costs) + (
                self.lam * cvar(costs, p.prob, self.alpha) if self.lam > 0 else 0.0
            )
        return _Evaluation(
            feasible=feasible, value=value, cuts=cuts, optimality=n_opt, point=(k_hat, omega), q=q
        )

    def _scenario_cuts(self, sol: np.ndarray, q: np.ndarray, sl: _Slope) -> list[Row]:
        """One scenario a group: ``theta_s >= Q_s^ + g_s . (k - k^) + gw_s (omega_s - w^)`` for
        each scenario whose ``theta_s`` is below its recourse value."""
        flat_k = sol[self.col_k]
        theta = sol[self.col_th]
        cuts: list[Row] = []
        ok = ~np.isnan(q)
        for s in np.nonzero(ok & (q > theta + _violation(np.nan_to_num(q))))[0]:
            gk = sl.g[s]
            nz = np.nonzero(gk)[0]
            cols = np.concatenate([[self.col_th[s]], self.col_k[nz]])
            vals = np.concatenate([[1.0], -gk[nz]])
            rhs = float(q[s] - gk @ flat_k)
            if self.share and sl.gw[s] != 0.0:
                cols = np.append(cols, self.col_om[s])
                vals = np.append(vals, -sl.gw[s])
                rhs -= float(sl.gw[s] * sl.omega[s])
            cuts.append((cols, vals, rhs, INF))
        return cuts

    def _group_cuts(self, sol: np.ndarray, q: np.ndarray, sl: _Slope) -> list[Row]:
        """Aggregated groups: for each group whose every recourse is feasible, the cut on its
        mean recourse value ``theta_g >= sum_s w_s (Q_s^ + g_s . (k - k^) + gw_s (omega_s -
        w^))`` (``w_s`` the scenario's weight in its group), and under a risk weight the cut on
        its mean CVaR excess, the convex ``z_g >= sum_s w_s (C_s(k, x, omega) - eta)^+``
        linearised at the point: ``sum`` over the scenarios whose cost exceeds ``eta^`` of
        ``w_s (C_s^ - eta^ + dC_s . (k - k^, x - x^, omega - w^) - (eta - eta^))``, with
        ``dC_s = (A_s + g_s, post_s, gw_s)``. Both under-estimate what they bound (each term is
        a subgradient inequality of a convex function), so the master's optimum stays a lower
        bound; they are violated where the master's value is below the true one."""
        gr = self.groups
        whole = np.bincount(gr.group[np.isnan(q)], minlength=gr.n) == 0
        q0 = np.nan_to_num(q)
        k_hat, x_hat = sol[self.col_k], sol[self.col_x]
        cuts: list[Row] = []
        value = gr.mean(q0)
        slope_k = np.asarray(gr.matrix @ sl.g)
        for i in np.nonzero(whole & (value > sol[self.col_th] + _violation(value)))[0]:
            cols, vals, rhs = self._linear(int(i), slope_k[i], None, gr.weight * sl.gw, sl.omega)
            rhs += float(value[i] - slope_k[i] @ k_hat)
            cuts.append((np.append(self.col_th[i], cols), np.append(1.0, -vals), rhs, INF))
        if self.lam <= 0:
            return cuts
        costs = self._costs(sol, q0)
        eta = float(sol[self.col_eta])
        active = (costs > eta).astype(float)
        excess = gr.mean(np.maximum(costs - eta, 0.0))
        m_act = gr.matrix.multiply(active[None, :]).tocsr()
        grad_k = np.asarray(m_act @ (self.a_rows + sl.g))
        grad_x = np.asarray(m_act @ self.post_rows)
        w_act = np.asarray(m_act.sum(axis=1)).reshape(-1)
        wgw = gr.weight * active * sl.gw
        for i in np.nonzero(whole & (excess > sol[self.col_z] + _violation(excess)))[0]:
            cols, vals, rhs = self._linear(int(i), grad_k[i], grad_x[i], wgw, sl.omega)
            rhs += float(excess[i] - grad_k[i] @ k_hat - grad_x[i] @ x_hat + w_act[i] * eta)
            cuts.append(
                (
                    np.concatenate([[self.col_z[i], self.col_eta], cols]),
                    np.concatenate([[1.0, w_act[i]], -vals]),
                    rhs,
                    INF,
                )
            )
        return cuts

    def _linear(
        self,
        i: int,
        on_k: np.ndarray,
        on_x: np.ndarray | None,
        on_omega: np.ndarray,
        omega: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Group ``i``'s cut slope as (columns, coefficients, the omega part of its right-hand
        side): ``on_k`` (C*P) on ``k``, ``on_x`` on ``x``, ``on_omega`` (S,) on the members'
        unmet shares."""
        nz = np.nonzero(on_k)[0]
        cols, vals = [self.col_k[nz]], [on_k[nz]]
        if on_x is not None:
            nx = np.nonzero(on_x)[0]
            cols.append(self.col_x[nx])
            vals.append(on_x[nx])
        rhs = 0.0
        if self.share:
            members = self.groups.members[i]
            sel = members[on_omega[members] != 0.0]
            cols.append(self.col_om[sel])
            vals.append(on_omega[sel])
            rhs -= float(on_omega[sel] @ omega[sel])
        return np.concatenate(cols), np.concatenate(vals), rhs

    def _add_cuts(self, ev: _Evaluation) -> None:
        """Append the point's cuts; remember the optimality cuts' rows (they may be dropped)."""
        first = self.master.getNumRow()
        _add_rows(self.master, ev.cuts)
        n = ev.optimality
        self.cut_rows = np.append(self.cut_rows, first + np.arange(n))
        self.cut_lo = np.append(self.cut_lo, [c[2] for c in ev.cuts[:n]])
        self.cut_slack = np.append(self.cut_slack, np.zeros(n, dtype=np.int64))
        self.cuts += n

    def _drop_slack_cuts(self) -> None:
        """Count the master solves each optimality cut was slack in; delete those slack in
        ``drop_after`` in a row (MILP phase only: there each master solve is dear)."""
        if not self.bopt.drop_after or self.relaxed or not len(self.cut_rows):
            return
        activity = np.asarray(self.master.getSolution().row_value, dtype=float)[self.cut_rows]
        slack = activity - self.cut_lo > 1e-6 * np.maximum(1.0, np.abs(self.cut_lo))
        self.cut_slack = np.where(slack, self.cut_slack + 1, 0)
        drop = self.cut_slack >= self.bopt.drop_after
        if not drop.any():
            return
        gone = np.sort(self.cut_rows[drop])
        self.master.deleteRows(len(gone), gone.astype(np.int32))
        keep = ~drop
        # every later row moves up by the deleted rows before it
        self.cut_rows = self.cut_rows[keep] - np.searchsorted(gone, self.cut_rows[keep])
        self.cut_lo, self.cut_slack = self.cut_lo[keep], self.cut_slack[keep]
        self.dropped += len(gone)

    def _relax(self, on: bool) -> None:
        """Relax (``on``) or restore the integrality of the MILP master's integer columns."""
        n = len(self.int_cols)
        if n:
            kind = highspy.HighsVarType.kContinuous if on else highspy.HighsVarType.kInteger
            self.master.changeColsIntegrality(n, self.int_cols, np.full(n, kind))
        self.relaxed = on and bool(n)

    def _warm_start(self, incumbent: np.ndarray | None) -> None:
        """Hand the MILP master the best plan so far as a starting incumbent."""
        if incumbent is None or self.relaxed or not self.milp or not self.bopt.warm_start:
            return
        n = min(len(incumbent), self.master.getNumCol())
        self.master.setSolution(
            n, np.arange(n, dtype=np.int32), np.asarray(incumbent[:n], dtype=float)
        )

    def _result(self, st: _Loop, converged: bool, stopped_by: PlanStatus | None) -> BendersResult:
        p = self.p
        if st.best_x is None:
            if stopped_by is PlanStatus.TIME_LIMIT:
                from computebroker.planner.outcome import stopped_error

                raise stopped_error(
                    PlanStatus.TIME_LIMIT,
                    time.perf_counter() - st.t_start,
                    self.bopt.time_limit_s,
                    ("a longer --time-limit", "a looser --gap", "fewer --scenarios"),
                )
            raise SolverError("the decomposition found no first stage whose recourse is feasible")
        if (st.best_x < p.x_lb - 1e-6 * np.maximum(1.0, p.x_lb)).any():
            raise SolverError("the decomposition's plan drops commitments already signed")
        best_x = np.maximum(st.best_x, p.x_lb)
        # the recourse of the best first stage, solved once more there: its decisions are not
        # shipped back at every iteration (their size grows with the scenarios)
        assert st.best_point is not None
        *_, y, a, u = self.ex.cuts(*st.best_point, primal=True)
        return BendersResult(
            plan=plan_from_arrays(p, x=best_x, y=y, a=a, u=u, risk_weight=self.lam),
            lower=st.lower,
            upper=st.upper,
            iterations=st.it,
            seconds=time.perf_counter() - st.t_start,
            converged=converged,
            history=st.history,
            subproblem_seconds=st.t_sub,
            master_seconds=st.t_master,
            stopped_by=stopped_by,
            lp_iterations=st.lp_its,
            cuts_dropped=self.dropped,
        )

    def _run_master(
        self, t_start: float, *, first: bool, incumbent: np.ndarray | None = None
    ) -> tuple[np.ndarray, float, bool] | None:
        """Solve the master (an LP, or a MILP with whole blocks, minimums and the vendor
        minimum) within the time left: (solution, lower bound on its optimum, stopped at the
        time limit), or None when it stopped without a solution after earlier iterations found
        a plan. Stopped without one on the ``first`` iteration: ``SolveStoppedError``;
        infeasible: ``MasterInfeasibleError``."""
        m, limit = self.master, self.bopt.time_limit_s
        if self.bopt.vendor_start and incumbent is None and self._integer_vendors():
            incumbent = self._vendor_start(t_start, incumbent)
        self._time_left(t_start)
        self._warm_start(incumbent)
        m.run()
        status = m.getModelStatus()
        info = m.getInfo()
        has = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
        stopped = status == highspy.HighsModelStatus.kTimeLimit
        if stopped and not has and not first:
            return None
        if stopped and not has:
            from computebroker.planner.outcome import stopped_error

            raise stopped_error(
                PlanStatus.TIME_LIMIT,
                time.perf_counter() - t_start,
                limit,
                ("a longer --time-limit", "a looser --gap", "fewer --scenarios"),
            )
        if status == highspy.HighsModelStatus.kInfeasible:
            raise MasterInfeasibleError(
                "the decomposition's master is infeasible: no commitments meet the first-stage "
                "rules together with the budgets and the shortfall-risk limit",
                self._why_infeasible(t_start),
            )
        if status != highspy.HighsModelStatus.kOptimal and not stopped:
            raise SolverError(f"Benders master: {m.modelStatusToString(status)}")
        sol = solved(m.getSolution().col_value, m.getNumCol(), "Benders master values")
        integer = self.milp and not self.relaxed
        bound = float(info.mip_dual_bound if integer else info.objective_function_value)
        if not np.isfinite(bound):
            raise SolverError("Benders master: no finite bound")
        self._drop_slack_cuts()
        return sol, bound, stopped

    def _integer_vendors(self) -> bool:
        """The integer phase of a MILP master under a vendor minimum."""
        return self.milp and not self.relaxed and len(self.vendor_cols) > 0

    def _time_left(self, t_start: float) -> None:
        """Give the master's next run the time the loop has left."""
        limit = self.bopt.time_limit_s
        if limit is not None:
            left = max(limit - (time.perf_counter() - t_start), 1e-3)
            self.master.setOptionValue("time_limit", left)

    def _vendor_start(self, t_start: float, incumbent: np.ndarray | None) -> np.ndarray | None:
        """A starting incumbent for the MILP master under a vendor minimum, where the loop has
        no evaluated plan to start from (later solves start from the best plan): the master with the
        vendors in use fixed (``_vendor_set``) is a restriction of it, solved to the same MIP
        gap, so its point satisfies every row and cut of the master. Its relaxation's rounding
        can be far off (the big-M rows let the relaxation use a sliver of a vendor), and
        branch-and-bound may then never find a good plan; fixed, the vendor choice is gone
        and the rest solves fast. Returns the better (by the master's objective) of this point
        and ``incumbent``; the master's own solve, and so its dual bound, is unchanged."""
        m, cols = self.master, self.vendor_cols
        if self.vendor_set is None:
            self.vendor_set = self._vendor_set(t_start)
        if self.vendor_set is None:
            return incumbent
        n = len(cols)
        m.changeColsBounds(n, cols, self.vendor_set, self.vendor_set)
        self._time_left(t_start)
        m.run()
        info = m.getInfo()
        found = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
        value = float(info.objective_function_value)
        point = np.asarray(m.getSolution().col_value, dtype=float)
        m.changeColsBounds(n, cols, np.zeros(n), np.ones(n))
        if not found:
            return incumbent
        if incumbent is not None:
            cost = np.asarray(m.getLp().col_cost_, dtype=float)
            k = min(len(incumbent), len(cost))
            if float(cost[:k] @ incumbent[:k]) <= value:
                return incumbent
        return point

    def _vendor_set(self, t_start: float) -> np.ndarray | None:
        """(V,) 0/1, the vendors to use: greedy on the master's LP relaxation with the
        vendors fixed, from all of them, dropping at each step the vendor whose removal
        leaves the cheapest relaxation, down to the minimum; the cheapest set seen (None when
        no set is feasible). ``V + (V - 1) + ... + (n + 1)`` LPs, each hot-started."""
        m, cols = self.master, self.vendor_cols
        n_min = int(self.p.spec.policy.min_vendors or 1)
        V = len(cols)
        m.setOptionValue("solve_relaxation", True)
        try:
            current = np.ones(V)
            best = (self._relaxed_with(t_start, current), current)
            while current.sum() > n_min:
                trials = []
                for v in np.nonzero(current)[0]:
                    trial = current.copy()
                    trial[v] = 0.0
                    trials.append((self._relaxed_with(t_start, trial), trial))
                value, current = min(trials, key=lambda t: t[0])
                if not np.isfinite(value):
                    break
                best = min(best, (value, current), key=lambda t: t[0])
        finally:
            m.setOptionValue("solve_relaxation", False)
            m.changeColsBounds(V, cols, np.zeros(V), np.ones(V))
        return best[1] if np.isfinite(best[0]) else None

    def _relaxed_with(self, t_start: float, use: np.ndarray) -> float:
        """The master's LP relaxation with the vendors in use fixed to ``use`` (inf where
        infeasible or stopped)."""
        m, cols = self.master, self.vendor_cols
        m.changeColsBounds(len(cols), cols, use, use)
        self._time_left(t_start)
        m.run()
        if m.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return float("inf")
        return float(m.getInfo().objective_function_value)

    def _why_infeasible(self, t_start: float) -> tuple[str, ...]:
        """Why the master has no point, in the input's terms. Under a shortfall-risk limit: the
        least CVaR of the unmet shares the master allows with the limit lifted (the limit's
        left-hand side as objective). The cuts bound each least unmet share ``V_s`` from below,
        so that least value (the master's proven dual bound) is a lower bound on what any plan
        reaches: above the limit, it proves the limit unreachable."""
        rules = self._rules_named()
        if not self.share:
            return (f"no commitments meet {rules} together with the budgets in every scenario",)
        pol, m = self.p.spec.policy, self.master
        assert pol.shortfall_max_fraction is not None and pol.shortfall_alpha is not None
        n = self.n_cols
        saved = np.asarray(m.getLp().col_cost_, dtype=float)[:n].copy()
        cost = np.zeros(n)
        cost[self.col_v] = self.p.prob / (1.0 - pol.shortfall_alpha)
        cost[self.col_zeta] = 1.0
        m.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        m.changeRowBounds(self.row_limit, -INF, INF)
        limit = self.bopt.time_limit_s
        if limit is not None:
            m.setOptionValue("time_limit", max(limit - (time.perf_counter() - t_start), 1e-3))
        try:
            m.run()
            status, info = m.getModelStatus(), m.getInfo()
        finally:
            m.changeRowBounds(self.row_limit, -INF, float(pol.shortfall_max_fraction))
            m.changeColsCost(n, np.arange(n, dtype=np.int32), saved)
        eps, alpha = float(pol.shortfall_max_fraction), float(pol.shortfall_alpha)
        if status == highspy.HighsModelStatus.kInfeasible:
            return (
                f"no commitments meet {rules} together with the budgets in every scenario, "
                "even without the shortfall-risk limit",
            )
        integer = self.milp and not self.relaxed
        least = float(info.mip_dual_bound if integer else info.objective_function_value)
        if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit):
            least = -np.inf
        if not np.isfinite(least) or least <= eps:
            return (
                f"the shortfall risk limit (CVaR_{alpha:g} of the unmet share at most "
                f"{eps:.2%}) cannot be met with {rules} and the budgets",
            )
        return (
            f"the shortfall risk limit cannot be met: with {rules} and the budgets, the CVaR_"
            f"{alpha:g} of the unmet share is at least {least:.2%} in every plan, above the "
            f"limit of {eps:.2%} (raise shortfall_risk.max_unmet_fraction to at least "
            f"{least:.2%}, or the budget)",
        )

    def _rules_named(self) -> str:
        """The first-stage rules of the master, in words."""
        if not self.milp or self.relaxed:
            return "the first-stage rules"
        return "whole blocks, minimum quantities, the vendor minimum"

    def close(self) -> None:
        """Release the workers."""
        self.ex.close()


def solve_benders(
    p: PlanProblem,
    opt: PlanOptions | None = None,
    bopt: BendersOptions | None = None,
    *,
    progress: Callable[[int, float, float], None] | None = None,
) -> BendersResult:
    """Solve the plan by multi-cut L-shaped decomposition (see the module docstring)."""
    dcp = Decomposition(p, opt or PlanOptions(), bopt or BendersOptions())
    try:
        return dcp.solve(progress)
    finally:
        dcp.close()


def _quantile(values: np.ndarray, prob: np.ndarray, alpha: float) -> float:
    """The alpha-quantile (VaR) of ``values`` under ``prob``: the CVaR threshold at its best."""
    order = np.argsort(values)
    cum = np.cumsum(prob[order])
    i = min(int(np.searchsorted(cum, alpha - 1e-12)), len(values) - 1)
    return float(values[order][i])


def _add_integer_rules(
    h: highspy.Highs, p: PlanProblem, col_x: np.ndarray, col_k: np.ndarray, ub_x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whole blocks, minimum quantities and the vendor minimum on the master's first stage,
    written as in the extensive form (``build.define_commitments``, ``define_min_vendors``):
    first-stage rules only, so the same cuts stay valid and the integer L-shaped method is
    exact (the recourse is continuous). Returns (every integer column, the vendor minimum's
    "vendor used" binaries, empty without one)."""
    P = p.n_periods
    free = (~p.x_fixed & (p.x_ub > 0)).reshape(-1)
    lb = p.x_lb.reshape(-1)
    fixed = np.nonzero(~free)[0]
    if len(fixed):  # what is not free is what is signed
        h.changeColsBounds(len(fixed), col_x[fixed].astype(np.int32), lb[fixed], lb[fixed])
    block = np.repeat(p.block, P)
    mins = np.repeat(p.min_start, P)
    j = np.nonzero(free)[0]
    rows: list[tuple[np.ndarray, np.ndarray, float, float]] = []
    blocks = _add_int_cols(h, np.zeros(len(j)), np.ceil(ub_x[j] / block[j]))
    for i, col in zip(j, blocks, strict=True):  # x = block * n
        rows.append((np.array([col_x[i], col]), np.array([1.0, -block[i]]), 0.0, 0.0))
    jm = j[mins[j] > 0]
    used = _add_int_cols(h, np.zeros(len(jm)), np.ones(len(jm)))
    for i, col in zip(jm, used, strict=True):  # signed: x >= min; not signed: x = 0
        rows.append((np.array([col_x[i], col]), np.array([1.0, -mins[i]]), 0.0, INF))
        rows.append((np.array([col_x[i], col]), np.array([1.0, -ub_x[i]]), -INF, 0.0))
    n = p.spec.policy.min_vendors
    if n is not None and n > 1:
        cost = np.repeat(p.c_commit, P)
        # each row's own big-M, from the master's bounds on k (the extensive form's single
        # big-M is far looser): the most a vendor can be billed, and the most 1/(2n) of the
        # others' bill can be; exact, and a tighter relaxation for the MILP master
        k_ub = np.repeat(np.minimum(p.active_max, _capacity_bound(p)), P)
        use = _add_int_cols(h, np.zeros(len(p.providers)), np.ones(len(p.providers)))
        for v, col in zip(p.providers, use, strict=True):
            mine = np.repeat([prov == v for prov in p.commit_provider], P)
            big_own = float((cost * k_ub)[mine].sum()) * (1 + 1e-9) + 1e-9
            big_share = float((cost * k_ub)[~mine].sum()) / (2 * n) * (1 + 1e-9) + 1e-9
            rows.append((np.append(col_k, col), np.append(cost * mine, -big_own), -INF, 0.0))
            share = cost * mine - cost / (2 * n)
            rows.append((np.append(col_k, col), np.append(share, -big_share), -big_share, INF))
        rows.append((use, np.ones(len(use)), float(n), INF))
    else:
        use = np.zeros(0, dtype=np.int64)
    _add_rows(h, rows)
    return np.concatenate([blocks, used, use]).astype(np.int32), use.astype(np.int32)


def _add_int_cols(h: highspy.Highs, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Append integer columns (cost 0) and return their indices."""
    first = h.getNumCol()
    if len(lower):
        h.addVars(len(lower), lower, upper)
        idx = np.arange(first, first + len(lower), dtype=np.int32)
        kinds = np.full(len(lower), highspy.HighsVarType.kInteger)
        h.changeColsIntegrality(len(lower), idx, kinds)
    return np.arange(first, first + len(lower))


def _add_rows(h: highspy.Highs, rows: list[tuple[np.ndarray, np.ndarray, float, float]]) -> None:
    if not rows:
        return
    starts = np.zeros(len(rows), dtype=np.int32)
    idx: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    n = 0
    for i, (c, v, _, _) in enumerate(rows):
        starts[i] = n
        idx.append(np.asarray(c, dtype=np.int32))
        vals.append(np.asarray(v, dtype=float))
        n += len(c)
    lo = np.array([r[2] for r in rows], dtype=float)
    hi = np.array([r[3] for r in rows], dtype=float)
    h.addRows(len(rows), lo, hi, n, starts, np.concatenate(idx), np.concatenate(vals))
