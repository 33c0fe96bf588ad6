"""L-shaped (Benders) decomposition of the plan, with one cut per scenario (multi-cut).

The extensive form (``build.py``) grows with the scenario count; here the first stage —
commitments ``x``, usable capacity ``k`` and the CVaR threshold — sits in a small master LP and
each scenario's recourse (rentals, allocation, unmet work) is its own LP, solved over and over
with only its right-hand side changed (HiGHS hot-starts from the previous basis).

Scenario cost ``C_s = C1(x) + A_s(k) + Q_s(k)``: the post-horizon obligations, the delivered
commitments' bill (linear in ``k``), and the recourse value ``Q_s``, convex piecewise-linear in
the supply it is given. The master holds ``theta_s >= Q_s`` through cuts
``theta_s >= Q_s(k^) + g_s . (k - k^)`` with ``g_s[o,t] = pi_s[pool(o),t] d[o,t,s]``, ``pi`` the
duals of the capacity rows; CVaR stays exact in the Rockafellar-Uryasev form
``eta + 1/(1-alpha) sum_s pi_s z_s``, ``z_s >= C_s - eta``, over the master's ``theta``. The lower
bound is the master's optimum, the upper bound the true objective of the best first stage seen;
the loop stops when they are within ``gap``.

What the decomposition covers: vendor caps and everything of the LP, and under ``--milp`` the
first-stage integer rules — whole blocks, minimum quantities and the vendor minimum — which make
the master a MILP with the same cuts (the integer L-shaped method: exact, because the recourse
stays continuous; the lower bound is the master's proven dual bound). Not yet: the rules that tie
the scenarios' recourse together — a shortfall-risk limit and budgets (``benders_supported``
says which; those plans use the extensive form).
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
from computebroker.planner.problem import PlanProblem
from computebroker.planner.result import Plan, cvar, plan_from_arrays
from computebroker.solvers import new_highs

__all__ = [
    "BendersOptions",
    "BendersResult",
    "Decomposition",
    "Recourse",
    "benders_supported",
    "solve_benders",
]

INF = highspy.kHighsInf


@dataclass(frozen=True, slots=True, kw_only=True)
class BendersOptions:
    """Stopping rules of the decomposition."""

    gap: float = 1e-4  # relative gap between the bounds
    max_iterations: int = 300
    time_limit_s: float | None = None
    executor: str = "local"  # local (process pool), serial, or ray
    workers: int | None = None  # default: the machine's cores
    ray_address: str | None = None


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

    @property
    def gap(self) -> float:
        """Relative gap between the bounds."""
        return (self.upper - self.lower) / max(abs(self.upper), 1e-12)


def benders_supported(p: PlanProblem, opt: PlanOptions) -> str:
    """Empty when the decomposition applies; otherwise why the extensive form is needed."""
    pol = p.spec.policy
    if pol.shortfall_max_fraction is not None:
        return "a shortfall-risk limit ties the scenarios' recourse together"
    if pol.budget_per_period is not None or pol.budget_total is not None:
        return "budgets constrain each scenario's recourse spend"
    if not p.commit:
        return "there is nothing to commit to"
    if pol.share_scope.value == "portfolio" and pol.max_vendor_share is not None:
        return "a vendor cap on the portfolio's contract value needs the extensive form"
    if p.T_mult is not None:
        return "throughput uncertainty changes each scenario's recourse coefficients"
    return ""


class Recourse:
    """One scenario's recourse LP (all periods); only its right-hand side changes between
    solves: the supply of each pool and the demand of each class."""

    def __init__(self, p: PlanProblem) -> None:
        self.p = p
        n_pool, n_w, n_t, n_r = len(p.pools), len(p.workloads), p.n_periods, len(p.recourse)
        allowed = np.argwhere(p.T.T > 0)  # (pool, w) pairs
        self.allowed = allowed
        # columns: y[r,t], a[(pool,w) pair, t], u[w,t]
        self.n_y = n_r * n_t
        self.n_a = len(allowed) * n_t
        self.n_u = n_w * n_t
        rows, cols, vals = [], [], []

        def cap_row(pool: int, t: int) -> int:
            return pool * n_t + t

        def dem_row(w: int, t: int) -> int:
            return n_pool * n_t + w * n_t + t

        for r in range(n_r):
            for t in range(n_t):
                rows.append(cap_row(p.recourse_pool[r], t))
                cols.append(r * n_t + t)
                vals.append(-float(p.usable_recourse[r]))
        for i, (pool, w) in enumerate(allowed):
            for t in range(n_t):
                col = self.n_y + i * n_t + t
                rows += [cap_row(int(pool), t), dem_row(int(w), t)]
                cols += [col, col]
                vals += [1.0, float(p.T[w, pool])]
        for w in range(n_w):
            for t in range(n_t):
                rows.append(dem_row(w, t))
                cols.append(self.n_y + self.n_a + w * n_t + t)
                vals.append(1.0)
        n_rows = (n_pool + n_w) * n_t
        n_cols = self.n_y + self.n_a + self.n_u
        a = sp.csc_matrix((vals, (rows, cols)), shape=(n_rows, n_cols))
        cost = np.concatenate(
            [p.rent_price_pv[:, :, 0].reshape(-1), np.zeros(self.n_a), p.penalty_pv.reshape(-1)]
        )
        upper = np.concatenate(
            [np.minimum(p.cap_recourse, 1e9).reshape(-1), np.full(self.n_a + self.n_u, INF)]
        )
        self.n_cap = n_pool * n_t
        self.n_rows = n_rows
        h = new_highs(presolve="off")
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.col_cost_ = cost
        lp.col_lower_ = np.zeros(n_cols)
        lp.col_upper_ = upper
        lp.row_lower_ = np.concatenate([np.full(self.n_cap, -INF), np.zeros(n_w * n_t)])
        lp.row_upper_ = np.concatenate([np.zeros(self.n_cap), np.zeros(n_w * n_t)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, n_rows
        h.passModel(lp)
        self.h = h
        self.idx = np.arange(n_rows, dtype=np.int32)
        self.lower = np.concatenate([np.full(self.n_cap, -INF), np.zeros(n_w * n_t)])
        self.upper = np.zeros(n_rows)

    def solve(
        self, supply: np.ndarray, demand: np.ndarray, scenario: int | None = None
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """(Q, capacity duals (pool, t), primal x) for ``supply`` (pool, t) and ``demand`` (w, t);
        with ``scenario``, that scenario's rental prices and capacity (scarcity)."""
        if scenario is not None and self.p.spec.scarcity.rentals_move and self.n_y:
            cols = np.arange(self.n_y, dtype=np.int32)
            price = self.p.rent_price_pv[:, :, scenario].reshape(-1)
            cap = np.minimum(self.p.rent_cap[:, :, scenario], 1e9).reshape(-1)
            self.h.changeColsCost(self.n_y, cols, price)
            self.h.changeColsBounds(self.n_y, cols, np.zeros(self.n_y), cap)
        self.upper[: self.n_cap] = supply.reshape(-1)
        dem = demand.reshape(-1)
        self.lower[self.n_cap :] = dem
        self.upper[self.n_cap :] = dem
        h = self.h
        h.changeRowsBounds(self.n_rows, self.idx, self.lower, self.upper)  # type: ignore[attr-defined]
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"recourse LP: {h.modelStatusToString(h.getModelStatus())}")
        sol = h.getSolution()
        return (
            float(h.getInfo().objective_function_value),
            _solved(sol.row_dual, self.n_rows, "recourse LP duals")[: self.n_cap].reshape(
                len(self.p.pools), self.p.n_periods
            ),
            _solved(sol.col_value, self.n_y + self.n_a + self.n_u, "recourse LP values"),
        )

    def unpack(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(y (R, P), a (pool, W, P), u (W, P)) from a primal vector."""
        p = self.p
        n_t = p.n_periods
        y = x[: self.n_y].reshape(len(p.recourse), n_t)
        a = np.zeros((len(p.pools), len(p.workloads), n_t))
        a[self.allowed[:, 0], self.allowed[:, 1]] = x[self.n_y : self.n_y + self.n_a].reshape(
            len(self.allowed), n_t
        )
        u = x[self.n_y + self.n_a :].reshape(len(p.workloads), n_t)
        return y, a, u


class Decomposition:
    """The master LP and the subproblem workers of one problem, kept across solves: cuts bound
    each scenario's recourse value, which depends on neither the risk weight nor the vendor
    cap, so a frontier re-solves with every cut found so far (``set_policy`` then ``solve``)."""

    def __init__(self, p: PlanProblem, opt: PlanOptions, bopt: BendersOptions) -> None:
        why = benders_supported(p, opt)
        if why:
            raise ValueError(f"the decomposition does not apply: {why}")
        self.p, self.bopt = p, bopt
        C, P, S = len(p.commit), p.n_periods, p.n_scenarios
        self.alpha = p.spec.policy.cvar_alpha
        # constant part of each scenario's bill: existing capacity that never slips
        self.const = p.cost_const()
        self.a_coef = p.bill_coef()  # A_s(k) = sum bill_coef[o,t,s] k_ot (present value)
        self.post = p.post_coef()  # post-horizon obligations: sum post[o,tau,s] x[o,tau]
        n_x = C * P
        self.col_x = np.arange(n_x)
        self.col_k = n_x + np.arange(n_x)
        self.col_th = 2 * n_x + np.arange(S)
        self.col_eta = 2 * n_x + S
        self.col_z = 2 * n_x + S + 1 + np.arange(S)
        n_cols = 2 * n_x + 2 * S + 1
        big = _capacity_bound(p)
        lower = np.zeros(n_cols)
        upper = np.full(n_cols, INF)
        lower[self.col_x] = p.x_lb.reshape(-1)
        upper[self.col_x] = np.where(np.isinf(p.x_ub), big[:, None], p.x_ub).reshape(-1)
        upper[self.col_k] = np.repeat(np.minimum(p.active_max, big)[:, None], P, axis=1).reshape(-1)
        lower[self.col_eta] = -INF
        rows: list[tuple[np.ndarray, np.ndarray, float, float]] = []
        for o in range(C):  # usable capacity: k[o,t] - sum_tau R[o,tau,t] x[o,tau] = 0
            for t in range(P):
                taus = np.nonzero(p.R[o, :, t])[0]
                cols = np.concatenate([[self.col_k[o * P + t]], self.col_x[o * P + taus]])
                rows.append((cols, np.concatenate([[1.0], -p.R[o, taus, t]]), 0.0, 0.0))
        self.cap_rows: list[tuple[int, np.ndarray, np.ndarray]] = []  # (row, cols, offers)
        for _vendor in p.providers:  # vendor caps on k; coefficients set by set_policy
            offers = np.nonzero(p.share_weight)[0]
            for t in range(P):
                self.cap_rows.append((len(rows), self.col_k[offers * P + t], offers))
                rows.append((self.col_k[offers * P + t], np.zeros(len(offers)), -INF, 0.0))
        self.cap_vendor = [v for v in p.providers for _ in range(P)]
        for s in range(S):  # CVaR: z_s - theta_s - A_s(k) + eta >= const_s
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
        master = new_highs()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_cols, 0
        lp.col_cost_ = np.zeros(n_cols)
        lp.col_lower_, lp.col_upper_ = lower, upper
        master.passModel(lp)
        _add_rows(master, rows)
        self.master = master
        self.milp = opt.milp
        # a MILP master is solved to the MIP gap, so the loop cannot prove better than that
        self.target_gap = max(bopt.gap, opt.mip_gap) if opt.milp else bopt.gap
        if opt.milp:
            _add_integer_rules(master, p, self.col_x, self.col_k, upper[self.col_x])
            master.setOptionValue("mip_rel_gap", max(opt.mip_gap, bopt.gap) / 2)
        from computebroker.planner.parallel import make_executor

        self.ex = make_executor(p, bopt.executor, bopt.workers, bopt.ray_address)
        self.lam = 0.0
        self.cuts = 0
        self.set_policy(
            opt.risk_weight if opt.risk_weight is not None else p.spec.policy.risk_weight,
            opt.max_vendor_share
            if opt.max_vendor_share is not None
            else p.spec.policy.max_vendor_share,
        )

    def set_policy(self, risk_weight: float, max_vendor_share: float | None) -> None:
        """Objective weights for ``risk_weight`` and cap coefficients for ``max_vendor_share``."""
        p, m = self.p, self.master
        lam = self.lam = float(risk_weight)
        n = len(self.col_x) * 2 + 2 * p.n_scenarios + 1
        cost = np.zeros(n)
        cost[self.col_x] = np.einsum("ots,s->ot", self.post, p.prob).reshape(-1)
        cost[self.col_k] = np.einsum("ots,s->ot", self.a_coef, p.prob).reshape(-1)
        cost[self.col_th] = p.prob
        cost[self.col_eta] = lam
        cost[self.col_z] = lam * p.prob / (1 - self.alpha)
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
        p, bopt, m = self.p, self.bopt, self.master
        t_start = time.perf_counter()
        C, P = len(p.commit), p.n_periods
        prob, lam = p.prob, self.lam
        best_x: np.ndarray | None = None
        best_primal: list[np.ndarray] = []
        upper_bound, lower_bound = np.inf, -np.inf
        history: list[tuple[int, float, float]] = []
        t_sub = t_master = 0.0
        it = 0
        converged = False
        stopped_by: PlanStatus | None = PlanStatus.ITERATION_LIMIT
        expected_const = float(prob @ self.const)
        while it < bopt.max_iterations:
            it += 1
            t0 = time.perf_counter()
            ran = self._run_master(t_start, first=best_x is None)
            t_master += time.perf_counter() - t0
            if ran is None:  # the master stopped without a new point: keep the best so far
                stopped_by = PlanStatus.TIME_LIMIT
                break
            sol, bound, master_stopped = ran
            lower_bound = max(lower_bound, bound + expected_const)
            x_hat = sol[self.col_x].reshape(C, P)
            k_hat = sol[self.col_k].reshape(C, P)
            theta = sol[self.col_th]
            t0 = time.perf_counter()
            q, slopes, *primal = self.ex.evaluate(k_hat)
            t_sub += time.perf_counter() - t0
            cuts: list[tuple[np.ndarray, np.ndarray, float, float]] = []
            flat_k = k_hat.reshape(-1)
            for s in np.nonzero(q > theta + 1e-9 * np.maximum(1.0, np.abs(q)))[0]:
                gk = slopes[s].reshape(-1)
                nz = np.nonzero(gk)[0]
                cols = np.concatenate([[self.col_th[s]], self.col_k[nz]])
                vals = np.concatenate([[1.0], -gk[nz]])
                cuts.append((cols, vals, float(q[s] - gk @ flat_k), INF))
            first = np.einsum("ots,ot->s", self.post, x_hat)
            costs = first + np.einsum("ots,ot->s", self.a_coef, k_hat) + self.const + q
            value = float(prob @ costs) + (lam * cvar(costs, prob, self.alpha) if lam > 0 else 0.0)
            if value < upper_bound:
                upper_bound, best_x, best_primal = value, x_hat.copy(), primal
            history.append((it, lower_bound, upper_bound))
            if progress is not None:
                progress(it, lower_bound, upper_bound)
            if not master_stopped and (
                upper_bound - lower_bound <= self.target_gap * max(abs(upper_bound), 1e-12)
                or not cuts
            ):
                converged, stopped_by = True, None
                break
            if master_stopped or (
                bopt.time_limit_s is not None and time.perf_counter() - t_start > bopt.time_limit_s
            ):
                stopped_by = PlanStatus.TIME_LIMIT
                break
            _add_rows(m, cuts)
            self.cuts += len(cuts)
        if best_x is None:  # no iteration ran (max_iterations < 1)
            raise SolverError("the decomposition evaluated no first stage")
        if (best_x < p.x_lb - 1e-6 * np.maximum(1.0, p.x_lb)).any():
            raise SolverError("the decomposition's plan drops commitments already signed")
        best_x = np.maximum(best_x, p.x_lb)
        y, a, u = best_primal  # the recourse of the best first stage, kept when it was evaluated
        return BendersResult(
            plan=plan_from_arrays(p, x=best_x, y=y, a=a, u=u, risk_weight=lam),
            lower=lower_bound,
            upper=upper_bound,
            iterations=it,
            seconds=time.perf_counter() - t_start,
            converged=converged,
            history=history,
            subproblem_seconds=t_sub,
            master_seconds=t_master,
            stopped_by=stopped_by,
        )

    def _run_master(self, t_start: float, *, first: bool) -> tuple[np.ndarray, float, bool] | None:
        """Solve the master (an LP, or a MILP with whole blocks, minimums and the vendor
        minimum) within the time left: (solution, lower bound on its optimum, stopped at the
        time limit), or None when it stopped without a solution after earlier iterations found
        a plan. Stopped without one on the ``first`` iteration: ``SolveStoppedError``."""
        m, limit = self.master, self.bopt.time_limit_s
        if limit is not None:
            m.setOptionValue("time_limit", max(limit - (time.perf_counter() - t_start), 1e-3))
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
        if status != highspy.HighsModelStatus.kOptimal and not stopped:
            raise SolverError(f"Benders master: {m.modelStatusToString(status)}")
        sol = _solved(m.getSolution().col_value, m.getNumCol(), "Benders master values")
        bound = float(info.mip_dual_bound if self.milp else info.objective_function_value)
        if not np.isfinite(bound):
            raise SolverError("Benders master: no finite bound")
        return sol, bound, stopped

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


def _add_integer_rules(
    h: highspy.Highs, p: PlanProblem, col_x: np.ndarray, col_k: np.ndarray, ub_x: np.ndarray
) -> None:
    """Whole blocks, minimum quantities and the vendor minimum on the master's first stage,
    written as in the extensive form (``build.define_commitments``, ``define_min_vendors``):
    first-stage rules only, so the same cuts stay valid and the integer L-shaped method is
    exact (the recourse is continuous)."""
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
        big = float((p.c_commit * np.minimum(_capacity_bound(p), 1e6)).sum() * P) + 1.0
        cost = np.repeat(p.c_commit, P)
        use = _add_int_cols(h, np.zeros(len(p.providers)), np.ones(len(p.providers)))
        for v, col in zip(p.providers, use, strict=True):
            mine = np.repeat([prov == v for prov in p.commit_provider], P)
            rows.append((np.append(col_k, col), np.append(cost * mine, -big), -INF, 0.0))
            share = cost * mine - cost / (2 * n)
            rows.append((np.append(col_k, col), np.append(share, -big), -big, INF))
        rows.append((use, np.ones(len(use)), float(n), INF))
    _add_rows(h, rows)


def _add_int_cols(h: highspy.Highs, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Append integer columns (cost 0) and return their indices."""
    first = h.getNumCol()
    if len(lower):
        h.addVars(len(lower), lower, upper)
        idx = np.arange(first, first + len(lower), dtype=np.int32)
        kinds = np.full(len(lower), highspy.HighsVarType.kInteger)
        h.changeColsIntegrality(len(lower), idx, kinds)
    return np.arange(first, first + len(lower))


def _solved(values: object, n: int, name: str) -> np.ndarray:
    """HiGHS's values as an array of ``n`` finite numbers; raises ``SolverError`` otherwise
    (a value HiGHS did not give is never read as zero)."""
    out = np.asarray(values, dtype=float)
    if out.shape != (n,) or not np.isfinite(out).all():
        raise SolverError(f"{name}: HiGHS returned {out.size} values, {n} expected, or NaN")
    return out


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
