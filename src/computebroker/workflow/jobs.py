"""The job stream of one demand path: training campaigns split into runs that arrive at the start
of each period and are due at its end, and serving load as services whose demand follows the
period's rate, sharded so a shard fits a pool."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from computebroker.perf.matrix import Mode
from computebroker.planner.spec import ScenarioSpec
from computebroker.scheduler import JobKind, SimJob
from computebroker.sim import Trace
from computebroker.units import SECONDS_PER_HOUR

__all__ = ["JobStreamOptions", "demand_trace"]


@dataclass(frozen=True, slots=True, kw_only=True)
class JobStreamOptions:
    """How demand becomes jobs."""

    run_length: float = (
        0.5  # a training run takes this share of a period at full gang on the slowest chip in play
    )
    max_runs_per_period: int = 16  # beyond this, runs get bigger gangs rather than more runs
    serve_shard_chips: int = 4096  # chips of one serving shard at peak on its fastest chip


def demand_trace(
    spec: ScenarioSpec, matrix: xr.Dataset, demand: np.ndarray, opt: JobStreamOptions
) -> Trace:
    """Jobs for one demand path ``demand[w, t]`` (work units per period)."""
    period_s = spec.horizon.hours_per_period * SECONDS_PER_HOUR
    jobs: list[SimJob] = []
    curves: dict[str, list[tuple[float, float]]] = {}
    n_periods = spec.horizon.count
    for wi, w in enumerate(spec.workloads):
        rates_w = matrix.work_per_chip_hour.sel(workload=w.name).values
        best = float(np.nanmax(rates_w)) / SECONDS_PER_HOUR
        if w.mode is Mode.TRAIN:
            # runs sized so that one finishes in its period wherever it lands (campaigns are
            # split to fit the hardware they run on)
            slowest = float(np.nanmin(np.where(rates_w > 0, rates_w, np.nan))) / SECONDS_PER_HOUR
            per_chip = opt.run_length * period_s * slowest  # work one chip does in a run
            for t in range(n_periods):
                work = float(demand[wi, t])
                if work <= 0 or per_chip <= 0:
                    continue
                n = max(1, math.ceil(work / (per_chip * w.chips)))
                gang = w.chips
                if n > opt.max_runs_per_period:
                    n = opt.max_runs_per_period
                    gang = math.ceil(work / (per_chip * n))
                for i in range(n):
                    jobs.append(
                        SimJob(
                            id=f"{w.name}-{spec.horizon.labels[t]}-{i}",
                            job_type=w.name,
                            arrival=t * period_s
                            + (i / n)
                            * period_s
                            * 0.1,  # a campaign's runs start over its first ~9 days
                            work=work / n,
                            chips=gang,
                            min_chips=max(1, gang // 8),
                            deadline=(t + 1) * period_s,
                        )
                    )
            continue
        rates = [float(demand[wi, t]) / period_s for t in range(n_periods)]
        shards = max(1, math.ceil(max(rates) / (best * opt.serve_shard_chips))) if best > 0 else 1
        for k in range(shards):
            sid = f"{w.name}-shard{k}"
            curves[sid] = [(t * period_s, rates[t] / shards) for t in range(n_periods)]
            jobs.append(
                SimJob(
                    id=sid,
                    job_type=w.name,
                    arrival=0.0,
                    work=0.0,
                    kind=JobKind.SERVE,
                    end=n_periods * period_s,
                )
            )
    jobs.sort(key=lambda j: j.arrival)
    return Trace(
        jobs=[replace(j, index=i) for i, j in enumerate(jobs)],
        source=f"{spec.name}: one demand scenario",
        format="generated",
        demand=curves,
    )
