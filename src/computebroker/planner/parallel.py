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

    def close(self) -> None:
        """Release workers."""
        ...


class _Worker:
    """Scenario range [lo, hi) of a problem, with its recourse LP."""

    def __init__(self, p: PlanProblem) -> None:
        from computebroker.planner.benders import Recourse

        self.p = p
        self.rec = Recourse(p)
        pools = np.zeros((len(p.pools), len(p.commit)))
        for o, pool in enumerate(p.commit_pool):
            pools[pool, o] = 1.0
        self.pools = pools
        self.commit_pool = list(p.commit_pool)

    def _supply(self, k: np.ndarray, lo: int, hi: int) -> np.ndarray:
        delivered = self.p.delivered(k, lo, hi)
        return np.asarray(np.einsum("po,ots->pts", self.pools, delivered), dtype=float)

    def evaluate(self, k: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, ...]:
        p = self.p
        supply = self._supply(k, lo, hi)
        n = hi - lo
        q = np.zeros(n)
        g = np.zeros((n, len(p.commit), p.n_periods))
        y = np.zeros((len(p.recourse), p.n_periods, n))
        a = np.zeros((len(p.pools), len(p.workloads), p.n_periods, n))
        u = np.zeros((len(p.workloads), p.n_periods, n))
        for i, s in enumerate(range(lo, hi)):
            q[i], pi, x = self.rec.solve(supply[:, :, i], p.D[:, :, s], s)
            g[i] = p.delivered_slope(pi[self.commit_pool, :], s)
            y[:, :, i], a[:, :, :, i], u[:, :, i] = self.rec.unpack(x)
        return q, g, y, a, u

    def recourse(
        self, k: np.ndarray, lo: int, hi: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.p
        supply = self._supply(k, lo, hi)
        n = hi - lo
        y = np.zeros((len(p.recourse), p.n_periods, n))
        a = np.zeros((len(p.pools), len(p.workloads), p.n_periods, n))
        u = np.zeros((len(p.workloads), p.n_periods, n))
        for i, s in enumerate(range(lo, hi)):
            _, _, x = self.rec.solve(supply[:, :, i], p.D[:, :, s], s)
            y[:, :, i], a[:, :, :, i], u[:, :, i] = self.rec.unpack(x)
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
