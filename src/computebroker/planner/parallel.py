"""Where the decomposition's scenario subproblems run: in this process, in a local process
pool (the default with more than one worker), or on a Ray cluster (``pip install
computebroker[ray]``). Every executor answers the same two questions for a first stage ``k``:
each scenario's recourse value and cut slope, and — once, at the end — each scenario's
recourse decisions. Results do not depend on the executor (the same LPs are solved).

Each worker builds its ``Recourse`` LP once from the problem it is handed when it starts and
keeps it warm across iterations; per iteration only ``k`` travels out and (value, slope) back.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

import numpy as np

from computebroker.errors import SolverError
from computebroker.planner.problem import PlanProblem

__all__ = ["Executor", "LocalExecutor", "ProcessExecutor", "RayExecutor", "make_executor"]


class Executor(Protocol):
    """Evaluates scenario subproblems for a first stage."""

    def evaluate(self, k: np.ndarray) -> tuple[np.ndarray, ...]:
        """(Q (S,), slope dQ/dk (S, C, P), y (R, P, S), a (pool, W, P, S), u (W, P, S)) at
        usable capacity ``k`` (C, P)."""
        ...

    def recourse(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(y (R, P, S), a (pool, W, P, S), u (W, P, S)) at ``k``."""
        ...

    def cuts(
        self, k: np.ndarray, omega: np.ndarray, primal: bool = False
    ) -> tuple[np.ndarray, ...]:
        """What the decomposition's cuts need at ``k`` and unmet shares ``omega`` (S,):
        ``_Worker.cuts`` over every scenario (the recourse decisions only with ``primal``)."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...


class _Worker:
    """Scenario range [lo, hi) of a problem, with its recourse LP (and, under a shortfall-risk
    limit, the least-unmet-share LP of the feasibility cuts)."""

    def __init__(self, p: PlanProblem) -> None:
        from computebroker.planner.recourse import Recourse

        self.p = p
        self.rec = Recourse(p)
        self.least = (
            Recourse(p, least_unmet=True)
            if p.spec.policy.shortfall_max_fraction is not None
            else None
        )
        pools = np.zeros((len(p.pools), len(p.commit)))
        for o, pool in enumerate(p.commit_pool):
            pools[pool, o] = 1.0
        self.pools = pools
        # scenarios are solved in order of how much work they ask, so that each LP starts
        # from the basis of a similar one (a third fewer simplex iterations than in index order
        # on frontier-lab)
        self.similar = np.einsum("w,wts->s", p.volume, p.D)

    def _supply(self, k: np.ndarray, lo: int, hi: int) -> np.ndarray:
        delivered = self.p.delivered(k, lo, hi)
        return np.asarray(np.einsum("po,ots->pts", self.pools, delivered), dtype=float)

    def evaluate(self, k: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, ...]:
        q, g, _, _, _, y, a, u = self.cuts(k, np.full(hi - lo, np.inf), lo, hi, primal=True)
        bad = np.nonzero(np.isnan(q))[0]
        if len(bad):  # only a budget can leave a scenario no recourse here
            raise SolverError(
                f"the commitments' bill alone exceeds the budget in {len(bad)} scenario(s), the "
                f"first scenario {lo + int(bad[0])}: no recourse stays within it"
            )
        return q, g, y, a, u

    def cuts(
        self, k: np.ndarray, omega: np.ndarray, lo: int, hi: int, primal: bool = False
    ) -> tuple[np.ndarray, ...]:
        """(Q (n,), dQ/dk (n, C, P), dQ/domega (n,), least unmet share V (n,), dV/dk (n, C, P),
        y, a, u) for scenarios [lo, hi) at ``k`` and unmet shares ``omega`` (n,). Q is NaN where
        the recourse is infeasible: the commitments' bill alone exceeds a budget (V NaN too) or
        ``omega`` is below V (V and its slope given, for a feasibility cut). Without ``primal``
        the decisions y, a, u have no scenarios (size 0 on their last axis): the loop needs
        only values and slopes, and shipping every scenario's decisions back from the workers
        at every iteration would cost memory in proportion to the scenarios."""
        from computebroker.planner.recourse import FEAS_TOL, budgets_of, commit_spend

        p = self.p
        supply = self._supply(k, lo, hi)
        spend = commit_spend(p, k, lo, hi)
        bud = budgets_of(p)
        n, shape = hi - lo, (hi - lo, len(p.commit), p.n_periods)
        q, gw, v = np.full(n, np.nan), np.zeros(n), np.full(n, np.nan)
        g, h = np.zeros(shape), np.zeros(shape)
        m = n if primal else 0
        y = np.zeros((len(p.recourse), p.n_periods, m))
        a = np.zeros((len(p.pools), len(p.workloads), p.n_periods, m))
        u = np.zeros((len(p.workloads), p.n_periods, m))
        for i in np.argsort(self.similar[lo:hi], kind="stable"):
            s = lo + int(i)
            if bud.per_period is not None and (spend[:, i] > bud.per_period + FEAS_TOL).any():
                continue
            if bud.total is not None and spend[:, i].sum() > bud.total + FEAS_TOL:
                continue
            args = (supply[:, :, i], p.D[:, :, s], s)
            val, duals, x = self.rec.solve_full(*args, spend=spend[:, i], omega=float(omega[i]))
            if val is None:
                assert self.least is not None  # only the share row can make it infeasible
                least, duals, _ = self.least.solve_full(*args, spend=spend[:, i])
                if least is None:
                    raise SolverError("least-unmet-share LP: infeasible within the budgets")
                tot = float(self.least.total_vol[s])
                v[i] = least / tot
                h[i] = p.delivered_slope(self.least.k_price(duals, s), s) / tot
                continue
            q[i] = val
            g[i] = p.delivered_slope(self.rec.k_price(duals, s), s)
            gw[i] = self.rec.share_price(duals, s)
            if primal:
                y[:, :, i], a[:, :, :, i], u[:, :, i] = self.rec.unpack(x)
        return q, g, gw, v, h, y, a, u

    def recourse(
        self, k: np.ndarray, lo: int, hi: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        _, _, y, a, u = self.evaluate(k, lo, hi)
        return y, a, u


def _chunks(n: int, parts: int) -> list[tuple[int, int]]:
    edges = np.linspace(0, n, max(1, min(parts, n)) + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


def _join(parts: Sequence[Sequence[np.ndarray]], axis: list[int]) -> tuple[np.ndarray, ...]:
    return tuple(np.concatenate([p[i] for p in parts], axis=ax) for i, ax in enumerate(axis))


class LocalExecutor:
    """Everything in this process."""

    def __init__(self, p: PlanProblem) -> None:
        self.w = _Worker(p)
        self.n = p.n_scenarios

    def evaluate(self, k: np.ndarray) -> tuple[np.ndarray, ...]:
        return self.w.evaluate(k, 0, self.n)

    def cuts(
        self, k: np.ndarray, omega: np.ndarray, primal: bool = False
    ) -> tuple[np.ndarray, ...]:
        return self.w.cuts(k, omega, 0, self.n, primal)

    def recourse(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.w.recourse(k, 0, self.n)

    def close(self) -> None:
        return None


_PROCESS_WORKER: _Worker | None = None


def _init_process(p: PlanProblem) -> None:
    global _PROCESS_WORKER  # noqa: PLW0603 - the pool initializer's per-process worker, built once
    _PROCESS_WORKER = _Worker(p)


def _process_evaluate(args: tuple[np.ndarray, int, int]) -> tuple[np.ndarray, ...]:
    assert _PROCESS_WORKER is not None
    return _PROCESS_WORKER.evaluate(*args)


def _process_cuts(args: tuple[np.ndarray, np.ndarray, int, int, bool]) -> tuple[np.ndarray, ...]:
    assert _PROCESS_WORKER is not None
    return _PROCESS_WORKER.cuts(*args)


def _process_recourse(
    args: tuple[np.ndarray, int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    assert _PROCESS_WORKER is not None
    return _PROCESS_WORKER.recourse(*args)


class ProcessExecutor:
    """A local pool of ``workers`` processes (fork start, so the problem is shared cheaply)."""

    def __init__(self, p: PlanProblem, workers: int) -> None:
        import multiprocessing as mp

        self.n = p.n_scenarios
        self.parts = _chunks(self.n, workers * 2)
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=mp.get_context("fork"),
            initializer=_init_process,
            initargs=(p,),
        )

    def evaluate(self, k: np.ndarray) -> tuple[np.ndarray, ...]:
        out = list(self.pool.map(_process_evaluate, [(k, lo, hi) for lo, hi in self.parts]))
        return _join(out, [0, 0, 2, 3, 2])

    def cuts(
        self, k: np.ndarray, omega: np.ndarray, primal: bool = False
    ) -> tuple[np.ndarray, ...]:
        jobs = [(k, omega[lo:hi], lo, hi, primal) for lo, hi in self.parts]
        return _join(list(self.pool.map(_process_cuts, jobs)), [0, 0, 0, 0, 0, 2, 3, 2])

    def recourse(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out = list(self.pool.map(_process_recourse, [(k, lo, hi) for lo, hi in self.parts]))
        y, a, u = _join(out, [2, 3, 2])
        return y, a, u

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class RayExecutor:
    """Ray actors, one per worker, each holding its recourse LP (``ray.init`` is the caller's,
    or ``address`` — "auto" or HOST:PORT — is joined here)."""

    def __init__(self, p: PlanProblem, workers: int, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            from computebroker.errors import InputError

            raise InputError.single(
                "--executor",
                "Ray is not installed: pip install 'computebroker[ray]'",
                field="--executor",
            ) from None
        self.ray: Any = ray
        r: Any = ray
        self._own = False
        if not r.is_initialized():
            r.init(
                address=address, include_dashboard=False, logging_level="ERROR", log_to_driver=False
            )
            self._own = True
        actor: Any = r.remote(_Worker)
        ref = r.put(p)
        n_actors = max(1, min(workers, p.n_scenarios))
        self.actors: list[Any] = [actor.remote(ref) for _ in range(n_actors)]
        self.parts = _chunks(p.n_scenarios, n_actors)

    def evaluate(self, k: np.ndarray) -> tuple[np.ndarray, ...]:
        ray: Any = self.ray
        refs = [
            a.evaluate.remote(k, lo, hi)
            for a, (lo, hi) in zip(self.actors, self.parts, strict=False)
        ]
        return _join(ray.get(refs), [0, 0, 2, 3, 2])

    def cuts(
        self, k: np.ndarray, omega: np.ndarray, primal: bool = False
    ) -> tuple[np.ndarray, ...]:
        ray: Any = self.ray
        refs = [
            a.cuts.remote(k, omega[lo:hi], lo, hi, primal)
            for a, (lo, hi) in zip(self.actors, self.parts, strict=False)
        ]
        return _join(ray.get(refs), [0, 0, 0, 0, 0, 2, 3, 2])

    def recourse(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ray: Any = self.ray
        refs = [
            a.recourse.remote(k, lo, hi)
            for a, (lo, hi) in zip(self.actors, self.parts, strict=False)
        ]
        y, a, u = _join(ray.get(refs), [2, 3, 2])
        return y, a, u

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)
        if self._own:
            self.ray.shutdown()


def make_executor(
    p: PlanProblem, kind: str = "local", workers: int | None = None, address: str | None = None
) -> Executor:
    """``local`` (a process pool when ``workers`` > 1, default: the machine's cores), ``serial``
    (this process) or ``ray``."""
    n = workers or (os.cpu_count() or 1)
    if kind == "ray":
        return RayExecutor(p, n, address)
    if kind == "serial" or n <= 1 or p.n_scenarios < 100:
        return LocalExecutor(p)
    return ProcessExecutor(p, n)
