"""One scenario's recourse LP for the decomposition, and the first-stage rows its rules imply.

Given the nominal usable capacity ``k`` (C, P) and the scenario, the recourse chooses rentals
``y[r,t]``, allocation ``a[pool,w,t]`` and unmet work ``u[w,t]``:

    min  sum disc[t] c_r[t,s] y + sum disc[t] penalty_w u
    capacity   sum_w a[pool,w,t] - sum_{r in pool} e_r y[r,t] <= supply[pool,t](k)
    demand     sum_pool T[w,pool] a + u = D[w,t,s]
    budget t   sum_r c_r[t,s] y[r,t] <= B_t - spend_t(k)          (budget_per_period)
    budget     sum_{r,t} c_r[t,s] y[r,t] <= B - sum_t spend_t(k)   (budget_total, basis spend)
    share      sum_{w,t} V_w u[w,t] <= omega_s sum_{w,t} V_w D[w,t,s]   (shortfall-risk limit)

``spend_t(k) = sum_o c_o delivered[o,t,s](k)`` is the nominal bill of the commitments delivered
(``build.define_budgets``); ``omega_s`` is the unmet share the master allows scenario ``s``
(``build.define_shortfall_risk``: the CVaR of the shares is then a first-stage constraint). The
value ``Q_s(k, omega_s)`` is convex piecewise-linear; its slope in ``k`` is the capacity duals
plus the budget duals, seen through the scenario's delivery (``PlanProblem.delivered_slope``),
and in ``omega_s`` the share row's dual. The recourse is infeasible exactly when
``spend_t(k) > B_t`` (commitments alone over the budget: a first-stage row, ``budget_rows``) or
when ``omega_s`` is below the least unmet share the capacity allows, ``V_s(k)`` — the second
value function, convex in ``k``, minimised by the same LP with the unmet share as its objective
(``Recourse(p, least_unmet=True)``), whose cuts ``omega_s >= V_s(k^) + h.(k - k^)`` are the
feasibility cuts.

Rental prices may move with the scenario (scarcity). Where they move by a factor per period and
scenario common to every rental (``problem._rentals``), the per-period budget row keeps its list
prices and its right-hand side is divided by the factor; otherwise the row's coefficients are
changed per scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from computebroker.errors import SolverError
from computebroker.planner.problem import MUSD, PlanProblem
from computebroker.planner.spec import BudgetBasis
from computebroker.solvers import new_highs

__all__ = ["BudgetRows", "Recourse", "budget_rows", "commit_spend", "solved"]

INF = highspy.kHighsInf
_SETTLED = (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kInfeasible)
FEAS_TOL = 1e-7  # $M: a budget row exceeded by less is met (HiGHS's primal feasibility tolerance)


def solved(values: object, n: int, name: str) -> np.ndarray:
    """HiGHS's values as an array of ``n`` finite numbers; raises ``SolverError`` otherwise
    (a value HiGHS did not give is never read as zero)."""
    out = np.asarray(values, dtype=float)
    if out.shape != (n,) or not np.isfinite(out).all():
        raise SolverError(f"{name}: HiGHS returned {out.size} values, {n} expected, or NaN")
    return out


def commit_spend(p: PlanProblem, k: np.ndarray, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """(P, n) nominal $M billed for the commitments delivered in scenarios [lo, hi) at ``k``."""
    if not p.commit:
        hi = p.n_scenarios if hi is None else hi
        return np.zeros((p.n_periods, hi - lo))
    return np.asarray(np.einsum("o,ots->ts", p.c_commit, p.delivered(k, lo, hi)), dtype=float)


@dataclass(frozen=True, slots=True)
class BudgetRows:
    """The budgets that bound each scenario's spend: per period (P,) and in total, $M."""

    per_period: np.ndarray | None
    total: float | None

    @property
    def any(self) -> bool:
        """Whether a budget bounds the recourse."""
        return self.per_period is not None or self.total is not None


def budgets_of(p: PlanProblem) -> BudgetRows:
    """The scenario's spend budgets in $M (``budget_total`` only on the spend basis: on the
    signed basis it bounds the first stage alone)."""
    pol = p.spec.policy
    per = None
    if pol.budget_per_period is not None:
        per = np.full(p.n_periods, pol.budget_per_period / MUSD)
    total = None
    if pol.budget_total is not None and pol.budget_basis is BudgetBasis.SPEND:
        total = pol.budget_total / MUSD
    return BudgetRows(per_period=per, total=total)


def budget_rows(p: PlanProblem, k: np.ndarray, spend: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """The first-stage rows ``G . k <= rhs`` (G (C, P)) the commitments' bill must meet for
    every scenario's recourse to be feasible, for the most exceeded scenario of each budget
    row that ``spend`` (P, S, at ``k``) exceeds: the feasibility cuts of the budgets (exact:
    the rows of the extensive form, added only once they bind)."""
    bud = budgets_of(p)
    out: list[tuple[np.ndarray, float]] = []
    zero = commit_spend(p, np.zeros_like(k))  # (P, S) the bill no decision changes
    if bud.per_period is not None:
        over = spend - bud.per_period[:, None]
        for t in np.nonzero(over.max(axis=1) > FEAS_TOL)[0]:
            s = int(np.argmax(over[t]))
            pi = np.zeros((len(p.commit), p.n_periods))
            pi[:, t] = p.c_commit
            out.append((p.delivered_slope(pi, s), float(bud.per_period[t] - zero[t, s])))
    if bud.total is not None:
        over_total = spend.sum(axis=0) - bud.total
        if over_total.max() > FEAS_TOL:
            s = int(np.argmax(over_total))
            pi = np.repeat(p.c_commit[:, None], p.n_periods, axis=1)
            out.append((p.delivered_slope(pi, s), float(bud.total - zero[:, s].sum())))
    return out


def _price_factor(p: PlanProblem) -> np.ndarray | None:
    """(P, S) factor f with ``rent_price[r,t,s] = c_r f[t,s]`` for every rental, or None."""
    if not p.recourse:
        return np.ones((p.n_periods, p.n_scenarios))
    base = np.where(p.c_recourse > 0, p.c_recourse, 1.0)
    f = p.rent_price[0] / base[0]
    ok = np.allclose(p.rent_price, p.c_recourse[:, None, None] * f[None, :, :], rtol=1e-12)
    return np.asarray(f, dtype=float) if ok else None


class Recourse:
    """One scenario's recourse LP (all periods, module docstring), built once; between solves
    only its right-hand side (and, where rentals move with the scenario, prices) changes.
    With ``least_unmet`` its objective is the unmet share (the feasibility subproblem)."""

    def __init__(self, p: PlanProblem, *, least_unmet: bool = False) -> None:
        self.p = p
        n_pool, n_w, n_t, n_r = len(p.pools), len(p.workloads), p.n_periods, len(p.recourse)
        self.allowed = np.argwhere(p.T.T > 0)  # (pool, w) pairs
        # columns: y[r,t], a[(pool,w) pair, t], u[w,t]
        self.n_y, self.n_a, self.n_u = n_r * n_t, len(self.allowed) * n_t, n_w * n_t
        self.n_cap, self.n_dem = n_pool * n_t, n_w * n_t
        self.bud = budgets_of(p)
        self.factor = _price_factor(p)
        self.share = p.spec.policy.shortfall_max_fraction is not None
        self.vol = p.volume
        self.total_vol = np.einsum("w,wts->s", self.vol, p.D)  # (S,) volume-weighted demand
        rows, cols, vals = self._structure()
        self.row_bud = self.n_cap + self.n_dem
        self.row_tot = self.row_bud + (n_t if self.bud.per_period is not None else 0)
        self.row_share = self.row_tot + (1 if self.bud.total is not None else 0)
        n_rows = self.row_share + (1 if self.share else 0)
        rows, cols, vals = self._extra_rows(rows, cols, vals)
        n_cols = self.n_y + self.n_a + self.n_u
        a = sp.csc_matrix((vals, (rows, cols)), shape=(n_rows, n_cols))
        if least_unmet:
            cost = np.concatenate([np.zeros(self.n_y + self.n_a), np.repeat(self.vol, n_t)])
        else:
            cost = np.concatenate(
                [p.rent_price_pv[:, :, 0].reshape(-1), np.zeros(self.n_a), p.penalty_pv.reshape(-1)]
            )
        upper = np.concatenate(
            [np.minimum(p.cap_recourse, 1e9).reshape(-1), np.full(self.n_a + self.n_u, INF)]
        )
        self.n_rows, self.n_cols = n_rows, n_cols
        self.lower = np.full(n_rows, -INF)
        self.lower[self.n_cap : self.row_bud] = 0.0
        self.upper = np.full(n_rows, INF)
        self.upper[: self.row_bud] = 0.0
        self.h = _highs_lp(cost, upper, self.lower, self.upper, a)
        self.least_unmet = least_unmet
        self.idx = np.arange(n_rows, dtype=np.int32)
        self.last_scenario: int | None = None

    def _structure(self) -> tuple[list[int], list[int], list[float]]:
        """Capacity and demand rows (triplets)."""
        p = self.p
        n_pool, n_t = len(p.pools), p.n_periods
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for r in range(len(p.recourse)):
            for t in range(n_t):
                rows.append(p.recourse_pool[r] * n_t + t)
                cols.append(r * n_t + t)
                vals.append(-float(p.usable_recourse[r]))
        for i, (pool, w) in enumerate(self.allowed):
            for t in range(n_t):
                col = self.n_y + i * n_t + t
                rows += [int(pool) * n_t + t, n_pool * n_t + int(w) * n_t + t]
                cols += [col, col]
                vals += [1.0, float(p.T[w, pool])]
        for w in range(len(p.workloads)):
            for t in range(n_t):
                rows.append(n_pool * n_t + w * n_t + t)
                cols.append(self.n_y + self.n_a + w * n_t + t)
                vals.append(1.0)
        return rows, cols, vals

    def _extra_rows(
        self, rows: list[int], cols: list[int], vals: list[float]
    ) -> tuple[list[int], list[int], list[float]]:
        """Budget and unmet-share rows (triplets), with scenario 0's prices."""
        p = self.p
        n_t = p.n_periods
        price = self._per_period_price(0)
        for r in range(len(p.recourse)):
            for t in range(n_t):
                if self.bud.per_period is not None:
                    rows.append(self.row_bud + t)
                    cols.append(r * n_t + t)
                    vals.append(float(price[r, t]))
                if self.bud.total is not None:
                    rows.append(self.row_tot)
                    cols.append(r * n_t + t)
                    vals.append(float(p.rent_price[r, t, 0]))
        if self.share:
            for w in range(len(p.workloads)):
                for t in range(n_t):
                    rows.append(self.row_share)
                    cols.append(self.n_y + self.n_a + w * n_t + t)
                    vals.append(float(self.vol[w]))
        return rows, cols, vals

    def _per_period_price(self, s: int) -> np.ndarray:
        """(R, P) coefficients of the per-period budget rows in scenario ``s``."""
        if self.factor is not None:
            return np.repeat(self.p.c_recourse[:, None], self.p.n_periods, axis=1)
        return np.asarray(self.p.rent_price[:, :, s], dtype=float)

    def _set_scenario(self, s: int) -> None:
        """Scenario ``s``'s rental prices and capacity (scarcity) and budget-row prices."""
        p = self.p
        if not (p.spec.scarcity.rentals_move and self.n_y) or s == self.last_scenario:
            return
        cols = np.arange(self.n_y, dtype=np.int32)
        if not self.least_unmet:  # one scenario's discounted prices (not every scenario's)
            price_pv = p.rent_price[:, :, s] * p.disc[None, : p.n_periods]
            self.h.changeColsCost(self.n_y, cols, price_pv.reshape(-1))
        cap = np.minimum(p.rent_cap[:, :, s], 1e9).reshape(-1)
        self.h.changeColsBounds(self.n_y, cols, np.zeros(self.n_y), cap)
        n_t = p.n_periods
        if self.bud.per_period is not None and self.factor is None:
            price = self._per_period_price(s)
            for r, t in np.ndindex(price.shape):
                self.h.changeCoeff(self.row_bud + t, r * n_t + t, float(price[r, t]))
        if self.bud.total is not None:
            for r, t in np.ndindex(p.rent_price.shape[:2]):
                self.h.changeCoeff(self.row_tot, r * n_t + t, float(p.rent_price[r, t, s]))
        self.last_scenario = s

    def _set_rhs(
        self, supply: np.ndarray, demand: np.ndarray, s: int, spend: np.ndarray | None, omega: float
    ) -> None:
        self.upper[: self.n_cap] = supply.reshape(-1)
        dem = demand.reshape(-1)
        self.lower[self.n_cap : self.row_bud] = dem
        self.upper[self.n_cap : self.row_bud] = dem
        spent = np.zeros(self.p.n_periods) if spend is None else spend
        if self.bud.per_period is not None:
            room = np.maximum(self.bud.per_period - spent, 0.0)
            f = 1.0 if self.factor is None else self.factor[:, s]
            self.upper[self.row_bud : self.row_tot] = room / f
        if self.bud.total is not None:
            self.upper[self.row_tot] = max(self.bud.total - float(spent.sum()), 0.0)
        if self.share:
            self.upper[self.row_share] = (
                INF if not np.isfinite(omega) else max(omega, 0.0) * self.total_vol[s]
            )

    def solve(
        self,
        supply: np.ndarray,
        demand: np.ndarray,
        scenario: int | None = None,
        *,
        spend: np.ndarray | None = None,
        omega: float = np.inf,
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """(Q, capacity duals (pool, t), primal x) for ``supply`` (pool, t) and ``demand``
        (w, t); with ``scenario``, that scenario's rental prices and capacity; ``spend`` (P,)
        the commitments' nominal bill (for the budgets), ``omega`` the unmet share allowed.
        Raises ``SolverError`` unless the LP is solved to optimality."""
        q, duals, x = self.solve_full(supply, demand, scenario, spend=spend, omega=omega)
        if q is None:
            raise SolverError("recourse LP: infeasible")
        return q, duals[: self.n_cap].reshape(len(self.p.pools), self.p.n_periods), x

    def solve_full(
        self,
        supply: np.ndarray,
        demand: np.ndarray,
        scenario: int | None,
        *,
        spend: np.ndarray | None = None,
        omega: float = np.inf,
    ) -> tuple[float | None, np.ndarray, np.ndarray]:
        """(Q or None when infeasible, every row's dual, primal x)."""
        s = 0 if scenario is None else scenario
        if scenario is not None:
            self._set_scenario(scenario)
        self._set_rhs(supply, demand, s, spend, omega)
        h = self.h
        h.changeRowsBounds(self.n_rows, self.idx, self.lower, self.upper)  # type: ignore[attr-defined]
        h.run()
        status = h.getModelStatus()
        if status not in _SETTLED:  # a hot start can end unsettled: solve again from scratch
            h.clearSolver()
            h.run()
            status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None, np.zeros(self.n_rows), np.zeros(self.n_cols)
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"recourse LP: {h.modelStatusToString(status)}")
        sol = h.getSolution()
        return (
            float(h.getInfo().objective_function_value),
            solved(sol.row_dual, self.n_rows, "recourse LP duals"),
            solved(sol.col_value, self.n_cols, "recourse LP values"),
        )

    def k_price(self, duals: np.ndarray, s: int) -> np.ndarray:
        """(C, P) the value of one more delivered kchip of each offer in each period: the
        capacity dual of its pool less its price times the budget rows' duals."""
        p = self.p
        n_pool, n_t = len(p.pools), p.n_periods
        pi = duals[: self.n_cap].reshape(n_pool, n_t)[list(p.commit_pool), :]
        per_kchip = np.zeros(n_t)
        if self.bud.per_period is not None:
            f = 1.0 if self.factor is None else self.factor[:, s]
            per_kchip += duals[self.row_bud : self.row_tot] / f
        if self.bud.total is not None:
            per_kchip += duals[self.row_tot]
        return np.asarray(pi - p.c_commit[:, None] * per_kchip[None, :], dtype=float)

    def share_price(self, duals: np.ndarray, s: int) -> float:
        """dQ / d omega_s: the share row's dual per unit of unmet share."""
        return float(duals[self.row_share] * self.total_vol[s]) if self.share else 0.0

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


def _highs_lp(
    cost: np.ndarray, upper: np.ndarray, row_lo: np.ndarray, row_hi: np.ndarray, a: sp.csc_matrix
) -> highspy.Highs:
    h = new_highs(presolve="off")
    lp = highspy.HighsLp()
    n_rows, n_cols = a.shape
    lp.num_col_, lp.num_row_ = n_cols, n_rows
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = upper
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, n_rows
    h.passModel(lp)
    return h
