"""Traces, fleets, throughput tables and fault files at the edge: formats recognised by shape,
round trips, and errors that name the file, line and field."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from computebroker.catalog import shipped_catalog
from computebroker.errors import InputError, UnknownNameError
from computebroker.outputs import write_text_atomic
from computebroker.scheduler import JobKind, get_policy
from computebroker.sim import format_trace, generate_trace, load_faults, load_fleet, read_trace
from computebroker.sim.gavel import GAVEL_DIR

PHILLY = Path(__file__).resolve().parents[2] / "bench" / "data" / "philly_vc_seed0"


def test_gavel_formats_by_shape() -> None:
    t10 = read_trace(GAVEL_DIR / "physical_cluster" / "minimize_makespan.trace")
    assert (
        t10.format == "gavel-10col"
        and len(t10.jobs) == 100
        and all(j.arrival == 0 for j in t10.jobs)
    )
    t7 = read_trace(PHILLY / "e13805.trace")
    assert t7.format == "gavel-7col" and len(t7.jobs) == 607 and max(j.chips for j in t7.jobs) == 24


def test_native_round_trip_csv_and_jsonl(tmp_path: Path) -> None:
    tr = generate_trace(
        50,
        rate_per_hour=10,
        job_types=["a", "b"],
        reference_rate=lambda t, c: 2.0 * c,
        seed=3,
        multi_chip=True,
    )
    jobs = list(tr.jobs)
    jobs[0] = replace(jobs[0], deadline=5000.0)
    jobs[1] = replace(jobs[1], allowed=frozenset({"h100", "b200"}))
    tr = replace(tr, jobs=jobs)
    for name in ("t.csv", "t.jsonl"):
        write_text_atomic(tmp_path / name, format_trace(tr, jsonl=name.endswith(".jsonl")))
        back = read_trace(tmp_path / name)
        assert [
            (j.id, j.job_type, j.arrival, j.work, j.chips, j.deadline, j.allowed) for j in back.jobs
        ] == [
            (j.id, j.job_type, j.arrival, j.work, j.chips, j.deadline, j.allowed) for j in tr.jobs
        ]


def test_generator_statistics() -> None:
    tr = generate_trace(
        4000,
        rate_per_hour=2.0,
        job_types=["a"],
        reference_rate=lambda t, c: 1.0,
        seed=0,
        multi_chip=True,
    )
    gaps = [b.arrival - a.arrival for a, b in zip(tr.jobs, tr.jobs[1:], strict=False)]
    assert sum(gaps) / len(gaps) == pytest.approx(1800.0, rel=0.06)  # Poisson at 2/h
    chips = [j.chips for j in tr.jobs]
    assert chips.count(1) / len(chips) == pytest.approx(0.70, abs=0.03)
    assert chips.count(8) / len(chips) == pytest.approx(0.05, abs=0.015)
    minutes = sorted(j.work / 60.0 for j in tr.jobs)  # work = duration at rate 1
    assert minutes[0] >= 10**1.5 * 0.99 and minutes[-1] <= 10**4 * 1.01
    long = sum(m > 1000 for m in minutes) / len(minutes)
    assert long == pytest.approx(0.2, abs=0.03)  # the 10^U(3,4)-minute branch
    bursty = generate_trace(
        4000,
        rate_per_hour=2.0,
        job_types=["a"],
        reference_rate=lambda t, c: 1.0,
        seed=0,
        bursty=True,
    )
    g2 = [b.arrival - a.arrival for a, b in zip(bursty.jobs, bursty.jobs[1:], strict=False)]
    cv = (sum((g - sum(g2) / len(g2)) ** 2 for g in g2) / len(g2)) ** 0.5 / (sum(g2) / len(g2))
    assert cv > 1.2  # burstier than Poisson (cv 1)
    assert sum(g2) / len(g2) == pytest.approx(1800.0, rel=0.3)


def test_native_errors_name_line_and_field(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("job_type,arrival_s,work,chips\na,0,10,1\nb,5,-3,1\n")
    with pytest.raises(InputError) as ei:
        read_trace(p)
    issue = ei.value.issues[0]
    assert (issue.line, issue.field) == (3, "work")
    p.write_text("job_type,arrival_s,work,colour\na,0,10,red\n")
    with pytest.raises(InputError, match="unknown column"):
        read_trace(p)
    p.write_text("what,is,this\n1,2,3\n")
    with pytest.raises(InputError, match="unrecognised trace"):
        read_trace(p)
    q = tmp_path / "svc.jsonl"
    q.write_text(
        json.dumps(
            {"id": "s", "job_type": "a", "arrival_s": 0, "kind": "serve", "demand": [[0, 5]]}
        )
        + "\n"
    )
    with pytest.raises(InputError, match="end_s"):
        read_trace(q)
    q.write_text(
        json.dumps(
            {
                "id": "s",
                "job_type": "a",
                "arrival_s": 0,
                "kind": "serve",
                "demand": [[0, 5]],
                "end_s": 100,
            }
        )
        + "\n"
    )
    t = read_trace(q)
    assert t.jobs[0].kind is JobKind.SERVE and t.demand["s"] == [(0.0, 5.0)]


def test_fleets(tmp_path: Path, repo_root: Path) -> None:
    with pytest.raises(InputError, match="ACCELERATOR=CHIPS"):
        load_fleet("v100=8,p100", shipped_catalog())
    f = load_fleet("aws:h100=64,v100=8", shipped_catalog())
    assert [p.view.name for p in f.pools] == ["aws-h100", "v100"]
    assert f.pools[0].view.price_chip_hour > 0  # priced from the catalog
    y = tmp_path / "fleet.yaml"
    y.write_text(
        "pools:\n"
        "  - {provider: gcp, accelerator: tpu-v6e, contract: commit-1y, price_chip_hour: 2.0, capacity: [{at_hours: 0, chips: 64}, {at_hours: 24, chips: 128}]}\n"
        "  - {provider: aws, accelerator: h100, contract: spot, chips: 16, preemption_per_chip_hour: 0.01}\n"
    )
    f2 = load_fleet(str(y), shipped_catalog())
    assert f2.pools[0].chips_at(3600 * 30) == 128 and f2.pools[0].view.committed
    assert f2.pools[1].view.spot and f2.pools[1].preemption_per_chip_hour == 0.01
    y.write_text("pools:\n  - {accelerator: h100, chips: 8, colour: red}\n")
    with pytest.raises(InputError) as ei:
        load_fleet(str(y), shipped_catalog())
    assert ei.value.issues[0].line == 2


def _offer(oid: str, accelerator: str, contract: str, price: float, **kw: Any) -> dict[str, Any]:
    return {
        "id": oid,
        "provider": "aws",
        "accelerator": accelerator,
        "region": "us-east-2",
        "contract": contract,
        "price_chip_hour": price,
        "price_source": "test",
        "term_periods": 1,
        "max_chips": None,
        "usable_fraction": 1.0,
        "slip_prob": 0.0,
        "slip_periods": 0,
        "partial_prob": 0.0,
        "partial_fraction": 1.0,
        "available_from": 0,
    } | kw


def _metrics() -> dict[str, Any]:
    return dict.fromkeys(
        (
            "expected_cost_usd",
            "expected_spend_usd",
            "cost_p05_usd",
            "cost_p50_usd",
            "cost_p95_usd",
            "cvar_usd",
            "cvar_alpha",
            "p_shortfall",
            "unmet_fraction_cvar",
            "hhi",
            "utilisation",
            "committed_spend_usd",
            "post_horizon_usd",
        ),
        0.0,
    ) | {
        "scenarios": 1,
        "expected_unmet": {},
        "expected_unmet_fraction": {},
        "vendor_shares": {},
        "utilisation_by_pool": {},
        "usd_per_million_work": {},
    }


def plan_json(offers: list[dict[str, Any]], commitments: list[dict[str, Any]]) -> dict[str, Any]:
    """A whole plan document (schema computebroker.plan/1) with these offers and commitments."""
    periods = ["2026Q1", "2026Q2", "2026Q3"]
    return {
        "schema": "computebroker.plan/1",
        "status": "optimal",
        "termination": "optimal",
        "explanation": [],
        "solve": {
            "build_seconds": 0.0,
            "solve_seconds": 0.0,
            "variables": 0,
            "constraints": 0,
            "milp": False,
        },
        "scenario": "t",
        "description": "",
        "horizon": {
            "start": "2026Q1",
            "periods": periods,
            "period": "quarter",
            "hours_per_period": 2190.0,
        },
        "scenarios": {"count": 1, "seed": 0, "method": "monte-carlo"},
        "commitments": [
            {
                "provider": "aws",
                "accelerator": "trn2",
                "region": "us-east-2",
                "contract": "commit-1y",
                "start": periods[c["start_index"]],
                "existing": False,
                "price_chip_hour": 1.5,
                "obligation_usd": 0.0,
            }
            | c
            for c in commitments
        ],
        "offers": offers,
        "capacity": [],
        "workloads": [{"name": "w", "unit": "tokens trained", "scale": 1.0}],
        "throughput": [
            {
                "workload": "w",
                "accelerator": "trn2",
                "work_per_chip_hour": 3.6e6,
                "unit": "tokens trained",
                "layout": "",
                "note": "",
            }
        ],
        "demand": {},
        "metrics": _metrics(),
        "cost_by_scenario_usd": [0.0],
        "out_of_sample": None,
        "frontier": None,
        "whatif": None,
    }


def test_fleet_from_plan(tmp_path: Path) -> None:
    plan = plan_json(
        [
            _offer("c", "trn2", "commit-1y", 1.5),
            _offer("od", "h100", "on-demand", 6.0, max_chips=32),
        ],
        [{"offer": "c", "start_index": 1, "chips": 100.0, "term_periods": 1}],
    )
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(plan))
    f = load_fleet(str(p))
    c = next(x for x in f.pools if x.view.name == "c")
    assert [c.chips_at(h * 3600) for h in (0, 2190, 4380)] == [0, 100, 0]
    od = next(x for x in f.pools if x.view.name == "od")
    assert od.chips_at(0) == 32 and not od.view.committed
    assert f.throughput_rows[0]["workload"] == "w"


def test_a_plan_naming_an_offer_it_does_not_describe_is_refused(tmp_path: Path) -> None:
    plan = plan_json(
        [_offer("od", "h100", "on-demand", 6.0, max_chips=32)],
        [{"offer": "c", "start_index": 1, "chips": 100.0, "term_periods": 1}],
    )
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(plan))
    with pytest.raises(InputError, match=r"commitments\[0\]\.offer 'c' is not one of"):
        load_fleet(str(p))
    del plan["offers"][0]["price_chip_hour"]
    plan["commitments"] = []
    p.write_text(json.dumps(plan))
    with pytest.raises(InputError, match=r"offers\[0\]\.price_chip_hour: Field required"):
        load_fleet(str(p))


def test_faults_file(tmp_path: Path) -> None:
    p = tmp_path / "f.yaml"
    p.write_text("faults:\n  - {kind: outage, provider: aws, start_h: 1}\n")
    with pytest.raises(InputError, match="duration_h"):
        load_faults(p)
    p.write_text("faults:\n  - {kind: outage, start_h: 1, duration_h: 2}\n")
    with pytest.raises(InputError, match="name the pools"):
        load_faults(p)


def test_policy_registry_did_you_mean() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'fifo'"):
        get_policy("fifa")
    assert get_policy("gavel:max_min_fairness").name == "max-min-fairness-agnostic"
