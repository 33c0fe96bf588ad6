"""The decomposition on the plans labs make (issue 15): a binding per-period budget, whole
blocks under ``--milp`` and ``min_vendors: 3``, and a shortfall-risk limit, side by side with
the extensive form.

Instance: ``examples/frontier-lab.yaml`` (12 quarters, 4 workload classes, 17 offers with their
real block sizes) with its offer menu extended to 40 as in ``bench_plan`` (variants in another
region at +4% a round and one more quarter of lead; the catalog's price of the original offer is
written in, since the variant regions have no catalog price), ``min_vendors: 3`` and a
per-period budget of ``BUDGET_USD`` (binding: the unbudgeted plan spends more than that in the
peak quarters of some scenarios). Growth cases scale one dimension, at ``GROWTH_SCENARIOS``
scenarios against the base case at the same count: offers (40 -> 160), periods
(12 -> 36, demand growth continuing) and classes (4 -> 12: each class split into three of a
third of its demand, a distinct name for each, so the matrix has 12 rows).

Every solve runs in a fresh process, two at a time (``python -m bench.bench_decomposition CASE
METHOD COUNT``), so its
peak memory (RSS of the process and its worker processes) is its own; wall and CPU seconds
(process and children, so the workers count) are both recorded, with the load average at the
start, since the machine is shared. The extensive form runs under ``EF_LIMIT_S``: where it
stops there, its row says so and the speed-up is a lower bound.
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bench.harness import Result, at_least, at_most, below

TITLE = "plan decomposition: budget + --milp + min_vendors 3, 12 quarters x 40 offers x 4 classes"
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "frontier-lab.yaml"
BUDGET_USD = (
    12e9  # per quarter: the unbudgeted plan spends up to $15.6B in its peak quarter (50 scenarios)
)
MIN_VENDORS = 3
EF_LIMIT_S = 600.0  # the extensive form's time limit in this bench
MIP_GAP = 0.01
SHORTFALL = {
    "alpha": 0.9,
    "max_unmet_fraction": 0.10,
}  # binding: the budgeted plan has 11.2% (50 scenarios)


def example_prices() -> dict[str, float]:
    """The catalog price of each offer of the example (resolved by the scenario loader)."""
    from computebroker.catalog import shipped_catalog
    from computebroker.planner import load_scenario

    spec = load_scenario(EXAMPLE, shipped_catalog())
    return {o.id: o.price_chip_hour for o in spec.offers}


def extended_offers(base: list[dict[str, Any]], offers: int) -> list[dict[str, Any]]:
    """The example's offers with the catalog's prices written in, extended to ``offers`` by
    variants in another region at +4% a round and one more quarter of lead."""
    price = example_prices()
    base = [dict(o, price_chip_hour=price[o["id"]]) for o in base]
    out = list(base)
    i = 0
    while len(out) < offers:
        o = dict(base[i % len(base)])
        round_ = i // len(base) + 1
        o["id"] = f"{o['id']}-v{round_}"
        o["region"] = f"{o.get('region', 'any')}-alt{round_}"
        o["price_chip_hour"] = round(price[base[i % len(base)]["id"]] * (1 + 0.04 * round_), 4)
        if o["contract"] not in ("on-demand", "spot"):
            o["lead_periods"] = int(o.get("lead_periods", 0)) + round_
        out.append(o)
        i += 1
    return out


def instance(
    *, offers: int = 40, periods: int = 12, classes: int = 4, shortfall: bool = False
) -> dict[str, Any]:
    """frontier-lab with ``offers`` offers, ``periods`` quarters and ``classes`` classes, the
    bench's budget and vendor minimum."""
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc["offers"] = extended_offers(doc["offers"], offers)
    doc["policy"].pop("regions", None)
    doc["horizon"]["periods"] = periods
    if classes > len(doc["workloads"]):
        _split_classes(doc, classes // len(doc["workloads"]))
    doc["policy"]["budget_per_period"] = BUDGET_USD
    doc["policy"]["min_vendors"] = MIN_VENDORS
    if shortfall:
        doc["policy"]["shortfall_risk"] = dict(SHORTFALL)
    return doc


def _split_classes(doc: dict[str, Any], parts: int) -> None:
    """Each workload class into ``parts`` classes of ``1/parts`` of its demand."""
    workloads, demand = [], {}
    for w in doc["workloads"]:
        for j in range(parts):
            name = f"{w['name']}-{j + 1}"
            workloads.append({**w, "name": name})
            d = dict(doc["demand"]["classes"][w["name"]])
            d["start"] = float(d["start"]) / parts
            demand[name] = d
    doc["workloads"] = workloads
    doc["demand"]["classes"] = demand


CASES: dict[str, dict[str, Any]] = {
    "base": {},
    "shortfall": {"shortfall": True},
    "offers160": {"offers": 160},
    "periods36": {"periods": 36},
    "classes12": {"classes": 12},
}


def child(case: str, method: str, count: int) -> dict[str, Any]:
    """One measured plan (run in its own process): ``benders`` (the decomposition),
    ``extensive`` (the extensive-form MILP under ``EF_LIMIT_S``) or ``relaxation`` (the
    extensive form's LP relaxation: the same model without whole blocks, minimums and the
    vendor minimum, whose optimum is a lower bound on the MILP's)."""
    from bench.harness import peak_rss_mib
    from computebroker.catalog import shipped_catalog
    from computebroker.planner import parse_scenario, prepare_problem

    load = os.getloadavg()[0]
    cat = shipped_catalog()
    doc = instance(**CASES[case])
    spec = parse_scenario(yaml.safe_dump(doc, sort_keys=False), cat, source=f"bench {case}")
    p = prepare_problem(spec, cat, count=count)
    cpu0 = _cpu()
    t = time.perf_counter()
    out = _decomposed(p) if method == "benders" else _extensive(p, milp=method == "extensive")
    return {
        "case": case,
        "method": method,
        "scenarios": count,
        "seconds": time.perf_counter() - t,
        "cpu_seconds": _cpu() - cpu0,
        "load": load,
        "peak_rss_mib": peak_rss_mib(),
        **out,
    }


def _decomposed(p: Any) -> dict[str, Any]:
    """The decomposition through ``solve_plan`` (status, termination, gap, objective, bound)."""
    from computebroker.errors import SolveStoppedError
    from computebroker.planner import PlanOptions, solve_plan
    from computebroker.planner.result import cvar

    opt = PlanOptions(milp=True, mip_gap=MIP_GAP, method="benders", workers=2)
    nan = float("nan")
    try:
        res = solve_plan(p, opt)
    except SolveStoppedError as e:  # no plan at the time limit: measured, and said
        return {
            "status": "no plan",
            "termination": f"no plan: {e}",
            "gap": nan,
            "objective": nan,
            "bound": nan,
        }
    objective = nan
    if res.plan is not None:
        pol = p.spec.policy
        c = res.plan.cost
        objective = float(c @ p.prob) + pol.risk_weight * cvar(c, p.prob, pol.cvar_alpha)
    return {
        "status": res.status.value,
        "termination": res.termination,
        "gap": res.gap if res.gap is not None else nan,
        "objective": objective,
        "bound": nan,
    }


def _extensive(p: Any, *, milp: bool) -> dict[str, Any]:
    """The extensive form built and solved as ``solve_plan`` does (``build_model``, HiGHS with
    its options), read directly so that a MILP stopped at its limit still gives its proven dual
    bound; the objective and the bound include the constant the model carries alongside
    (``ModelVars.cost_const``), so they are in the decomposition's terms."""
    from computebroker.planner import PlanOptions
    from computebroker.planner.build import build_model
    from computebroker.planner.outcome import solve_linopy
    from computebroker.planner.solve import _highs_options

    # the MILP is the speed reference, under the bench's limit; the LP relaxation is a bound
    # (no speed claim), solved to its end within the child's wall limit
    limit = EF_LIMIT_S if milp else None
    opt = PlanOptions(milp=milp, mip_gap=MIP_GAP, method="extensive", time_limit_s=limit)
    m, _ = build_model(p, opt)
    facts = solve_linopy(m, _highs_options(opt))
    info = m.solver_model.getInfo()
    const = float(p.prob @ p.cost_const())
    done = facts.termination.value == "optimal"
    objective = float(info.objective_function_value) + const if facts.has_solution else math.nan
    # an LP's optimum is its own bound; stopped short, it bounds nothing
    lp_bound = objective if done else math.nan
    bound = float(info.mip_dual_bound) + const if milp else lp_bound
    what = "MILP" if milp else "LP relaxation"
    if done:
        text = f"{what} optimal"
    else:
        text = f"{what} stopped ({facts.termination.value}) after {facts.seconds:,.0f} s"
        text += "" if facts.has_solution else " without any plan"
    if milp and math.isfinite(bound):
        text += f"; its proven dual bound {bound:,.1f} $M"
    return {
        "status": "optimal" if done else ("stopped" if facts.has_solution else "no plan"),
        "termination": text,
        "gap": float(facts.mip_gap) if milp else 0.0,
        "objective": objective,
        "bound": bound if math.isfinite(bound) else math.nan,
    }


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


# wall-clock limit of each child (s): a case past it is recorded as not finished (its row says
# so, and fails where it has a target); the machine is shared, so these are generous multiples
# of the targets
LANES = 2  # children at once (each with its pool of 2 workers): the bench's wall time halves
CHILD_LIMIT_S = {"extensive": EF_LIMIT_S * 3, 200: 600, 1000: 900, 5000: 1200, 10000: 1500}


def _limit(method: str, count: int) -> int:
    return int(CHILD_LIMIT_S["extensive" if method != "benders" else count])


def _run(case: str, method: str, count: int) -> dict[str, Any]:
    limit = _limit(method, count)
    cmd = [sys.executable, "-m", "bench.bench_decomposition", case, method, str(count)]
    load = os.getloadavg()[0]
    # its own session, so that a child stopped at the limit takes its worker processes along
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        cpu = _group_cpu(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        print(f"    {case} {method} {count:,}: not finished in {limit:,} s", flush=True)
        return _missing(
            case,
            method,
            count,
            load,
            f"not finished (> {limit:,} s wall)",
            f"stopped at the bench's limit after {cpu:,.0f} s CPU (process and workers), load "
            f"average {os.getloadavg()[0]:.1f} then",
        )
    if proc.returncode != 0:
        last = stderr.strip().splitlines()[-1:] or ["no message"]
        print(f"    {case} {method} {count:,}: failed: {last[0]}", flush=True)
        return _missing(case, method, count, load, "failed", last[0])
    r: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    print(
        f"    {case} {method} {count:,}: {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, "
        f"load {r['load']:.1f}, {r['peak_rss_mib']:,.0f} MiB, {r['status']}, gap {r['gap']:.2%}, "
        f"objective {r['objective']:,.2f}, bound {r['bound']:,.2f}",
        flush=True,
    )
    return r


def _group_cpu(pgid: int) -> float:
    """CPU seconds used so far by the processes of group ``pgid`` (a child and its workers,
    read from ``/proc``; 0 where there is none): what a child stopped at its limit had used."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # after the name: state, ppid, pgrp, ...; utime, stime at 11, 12
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    return total


def _missing(
    case: str, method: str, count: int, load: float, shown: str, why: str = ""
) -> dict[str, Any]:
    """A child with no measurement: NaN figures, ``shown`` in their place (a fail where the
    row has a target), ``why`` in its note."""
    nan = float("nan")
    return {
        "case": case,
        "method": method,
        "scenarios": count,
        "seconds": nan,
        "cpu_seconds": nan,
        "load": load,
        "peak_rss_mib": nan,
        "status": shown,
        "termination": f"{shown}: {why}" if why else shown,
        "missing": shown,
        "gap": nan,
        "objective": nan,
        "bound": nan,
    }


def _notes(r: dict[str, Any]) -> str:
    if "missing" in r:
        load = f"load average {r['load']:.1f} at start; " if math.isfinite(r["load"]) else ""
        return f"{load}{r['termination']}"
    return (
        f"{r['cpu_seconds']:,.1f} s CPU (process and workers), load average {r['load']:.1f} at "
        f"start, peak RSS {r['peak_rss_mib']:,.0f} MiB; {r['termination']}"
    )


def _shown(r: dict[str, Any]) -> str:
    """What a row without a figure shows."""
    return str(r.get("missing", "not measured"))


def _cpu_row(name: str, r: dict[str, Any], wall_target_s: float) -> Result:
    """The CPU seconds against the wall target: on a shared machine the comparable figure (the
    solve takes no longer than its CPU time on idle cores, the workers running in parallel)."""
    return Result(
        name=f"{name} (CPU time)",
        value=r["cpu_seconds"],
        unit="s",
        target=below(wall_target_s, f"< {wall_target_s:,g} s (the wall target)"),
        missing=_shown(r),
    )


def _row(name: str, r: dict[str, Any], target: Any) -> Result:
    return Result(
        name=name, value=r["seconds"], unit="s", target=target, notes=_notes(r), missing=_shown(r)
    )


GROWTH_SCENARIOS = 200  # the growth cases against the base case at this count
JOBS: list[tuple[str, str, int]] = [  # (case, method, scenarios), in the order they start
    ("base", "extensive", 1000),
    ("base", "relaxation", 1000),
    ("base", "benders", 200),
    ("base", "benders", 1000),
    ("shortfall", "benders", 1000),
    ("base", "benders", 10000),
    ("base", "benders", 5000),
    ("offers160", "benders", GROWTH_SCENARIOS),
    ("periods36", "benders", GROWTH_SCENARIOS),
    ("classes12", "benders", GROWTH_SCENARIOS),
]


def _bound_row(bd: dict[str, Any], ef: dict[str, Any], lp: dict[str, Any]) -> Result:
    """How far the decomposition's objective lies above the best lower bound the extensive form
    proves (its MILP's dual bound at its time limit, or its LP relaxation's optimum): within the
    MIP gap, the decomposition's plan is proven within the gap of the optimum, whether or not
    the extensive MILP finds a plan itself."""
    bounds = {
        "the extensive MILP's dual bound": float(ef["bound"]),
        "the LP relaxation's optimum": float(lp["bound"]),
    }
    known = {k: v for k, v in bounds.items() if math.isfinite(v)}
    best = max(known.items(), key=lambda kv: kv[1]) if known else ("", math.nan)
    listed = "; ".join(
        f"{k} {v:,.1f} $M" if math.isfinite(v) else f"{k}: none" for k, v in bounds.items()
    )
    obj = float(bd["objective"])
    notes = f"decomposition objective {obj:,.1f} $M; {listed}" if math.isfinite(obj) else listed
    if best[0]:
        notes += f"; the best is {best[0]}"
    return Result(
        name="1,000 scenarios: decomposition objective above the extensive form's lower bound",
        value=(obj - best[1]) / abs(obj) * 100,
        unit="%",
        target=at_most(MIP_GAP * 100, f"<= {MIP_GAP:.0%} (the MIP gap): proven within it"),
        notes=notes,
        missing=_shown(bd) if "missing" in bd else "no lower bound from the extensive form",
    )


def record(paths: list[str]) -> None:
    """Write the section from child results saved one JSON object a file (``python -m
    bench.bench_decomposition CASE METHOD COUNT > FILE``, one child at a time on a shared
    machine); a job with no file is recorded as not run."""
    from bench.harness import write_section

    done = {j: _missing(*j, float("nan"), "not run in this recording") for j in JOBS}
    for path in paths:
        r = json.loads(Path(path).read_text().strip().splitlines()[-1])
        r.setdefault("bound", float("nan"))  # files written before the bound was recorded
        done[r["case"], r["method"], int(r["scenarios"])] = r
    write_section(TITLE, _results(done), EXTRA)


EXTRA = (
    "Figures from one child process each (``python -m bench.bench_decomposition --run CASE "
    "METHOD COUNT > FILE`` runs one job as the bench does, within its wall limit), recorded "
    "with ``python -m bench.bench_decomposition --record FILE...`` when the shared machine "
    "could not run the whole list in one go; CPU seconds count the process and its worker "
    "processes, and are the comparable figure on a loaded machine (wall time there is several "
    "times the CPU time). A row without a figure says why (not finished within the bench's "
    "wall limit, failed, not run in this recording) and fails where it has a target."
)


def run() -> list[Result]:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=LANES) as pool:
        done = dict(zip(JOBS, pool.map(lambda j: _run(*j), JOBS), strict=True))
    return _results(done)


def _results(done: dict[tuple[str, str, int], dict[str, Any]]) -> list[Result]:
    runs = {n: done["base", "benders", n] for n in (200, 1000, 5000, 10000)}
    ef, sf = done["base", "extensive", 1000], done["shortfall", "benders", 1000]
    lp = done["base", "relaxation", 1000]
    growth = {
        c: done[c, "benders", GROWTH_SCENARIOS] for c in ("offers160", "periods36", "classes12")
    }
    bd = runs[1000]
    stopped = (
        ""
        if ef["status"] == "optimal"
        else f"a lower bound: the extensive form stopped at its {EF_LIMIT_S:,.0f} s limit (on "
        f"the wall clock: {ef['cpu_seconds']:,.0f} s of CPU by then)"
    )
    results = [
        _row("200 scenarios: decomposition", runs[200], "growth"),
        _row("1,000 scenarios: decomposition", bd, below(60)),
        _cpu_row("1,000 scenarios: decomposition", bd, 60),
        _row("1,000 scenarios: extensive form (HiGHS MILP)", ef, "reference"),
        _row("1,000 scenarios: extensive form's LP relaxation", lp, "reference"),
        *(
            Result(
                name=f"1,000 scenarios: speed-up ({label})",
                value=ef[key] / bd[key],
                unit="x",
                target=at_least(8),
                notes=stopped,
                missing=_shown(bd if "missing" in bd else ef),
            )
            for label, key in (("wall", "seconds"), ("CPU", "cpu_seconds"))
        ),
        Result(
            name="1,000 scenarios: objective, decomposition vs extensive",
            value=(bd["objective"] - ef["objective"]) / abs(ef["objective"]) * 100,
            unit="%",
            target=at_most(MIP_GAP * 100, f"<= {MIP_GAP:.0%} (the MIP gap)"),
            missing="no extensive-form plan within its limit"
            if "missing" not in ef
            else _shown(ef),
        ),
        _bound_row(bd, ef, lp),
        _row("1,000 scenarios with a shortfall-risk limit: decomposition", sf, below(120)),
        _cpu_row("1,000 scenarios with a shortfall-risk limit: decomposition", sf, 120),
        _row("5,000 scenarios: decomposition", runs[5000], "growth"),
        _row("10,000 scenarios: decomposition", runs[10000], below(600)),
        _cpu_row("10,000 scenarios: decomposition", runs[10000], 600),
        Result(
            name="10,000 scenarios: peak memory",
            value=runs[10000]["peak_rss_mib"],
            unit="MiB",
            target=below(4096),
            missing=_shown(runs[10000]),
        ),
    ]
    for case, label in (
        ("offers160", "160 offers"),
        ("periods36", "36 quarters"),
        ("classes12", "12 classes"),
    ):
        results.append(
            _row(f"{GROWTH_SCENARIOS:,} scenarios, {label}: decomposition", growth[case], "growth")
        )
    return results


if __name__ == "__main__":
    if sys.argv[1] == "--record":
        record(sys.argv[2:])
    elif sys.argv[1] == "--run":  # one job as the bench runs it: its own child, its wall limit
        print(json.dumps(_run(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
    else:
        print(json.dumps(child(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
