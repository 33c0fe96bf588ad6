"""The decomposition reaches the extensive form's optimum (same instances, both solvers)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from computebroker.catalog import shipped_catalog
from computebroker.examples import example_path
from computebroker.planner import (
    Plan,
    PlanOptions,
    PlanProblem,
    load_scenario,
    prepare_problem,
    solve_plan,
)
from computebroker.planner.benders import (
    BendersOptions,
    Recourse,
    ScenarioGroups,
    benders_supported,
    solve_benders,
)
from computebroker.planner.result import cvar
from tests.planner.helpers import problem_of
from tests.planner.test_policy import two_vendor_doc


def _objective(res_plan: Plan, p: PlanProblem, lam: float, alpha: float) -> float:
    c = res_plan.cost
    return float(c @ p.prob) + lam * cvar(c, p.prob, alpha)


@pytest.mark.parametrize("weight", [0.0, 0.7])
def test_matches_the_extensive_form_on_a_small_instance(weight: float) -> None:
    doc = two_vendor_doc(max_vendor_share=0.7, risk={"cvar_alpha": 0.9, "weight": weight})
    p = problem_of(doc)
    ef = solve_plan(p, PlanOptions())
    assert ef.plan is not None
    b = solve_benders(p, bopt=BendersOptions(gap=1e-6))
    assert b.converged
    ref = _objective(ef.plan, p, weight, 0.9)
    assert b.lower <= ref * (1 + 1e-6) + 1e-9
    assert _objective(b.plan, p, weight, 0.9) == pytest.approx(ref, rel=1e-5)


def test_matches_on_the_frontier_lab_example() -> None:
    cat = shipped_catalog()
    p = prepare_problem(load_scenario(example_path("frontier-lab.yaml"), cat), cat, count=40)
    ef = solve_plan(p, PlanOptions())
    assert ef.plan is not None
    b = solve_benders(p)
    lam, alpha = p.spec.policy.risk_weight, p.spec.policy.cvar_alpha
    ref = _objective(ef.plan, p, lam, alpha)
    assert b.gap <= 1e-4
    assert b.upper == pytest.approx(ref, rel=1e-3)
    assert b.lower <= ref * (1 + 1e-9)


def _integer_doc() -> dict:  # type: ignore[type-arg]
    doc = two_vendor_doc(min_vendors=2, max_vendor_share=0.9)
    aws, gcp = doc["offers"][0], doc["offers"][1]
    aws.update(block_chips=200, min_chips=600)
    gcp.update(block_chips=150, min_chips=300)
    return doc


@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_milp_decomposition_matches_the_extensive_form(weight: float) -> None:
    """Whole blocks, minimum quantities and the vendor minimum in the master (a MILP with the
    same cuts): the same objective as the extensive-form MILP, within the MIP gap."""
    doc = _integer_doc()
    doc["policy"]["risk"] = {"cvar_alpha": 0.9, "weight": weight}
    p = problem_of(doc)
    ef = solve_plan(p, PlanOptions(milp=True, mip_gap=1e-6, method="extensive"))
    assert ef.plan is not None and ef.relaxed == ()
    b = solve_benders(p, PlanOptions(milp=True, mip_gap=1e-6), BendersOptions(gap=1e-6))
    assert b.converged
    ref = _objective(ef.plan, p, weight, 0.9)
    assert _objective(b.plan, p, weight, 0.9) == pytest.approx(ref, rel=1e-4)
    assert b.lower <= ref * (1 + 1e-4)
    chips = b.plan.x * 1000
    for o, (block, least) in enumerate([(200, 600), (150, 300)]):
        for c in chips[o]:
            assert c < 0.5 or (c >= least - 1e-6 and abs(c / block - round(c / block)) < 1e-6)
    assert (chips[0] > 0.5).any() and (chips[1] > 0.5).any()  # two vendors, as required


@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_aggregated_cuts_reach_the_extensive_milp_optimum(weight: float) -> None:
    """Past ``max_groups`` scenarios the master bounds each group's mean recourse value and
    mean CVaR excess: a coarser outer approximation, the same optimum."""
    doc = _integer_doc()
    doc["policy"]["risk"] = {"cvar_alpha": 0.9, "weight": weight}
    p = problem_of(doc)
    ef = solve_plan(p, PlanOptions(milp=True, mip_gap=1e-6, method="extensive"))
    assert ef.plan is not None
    b = solve_benders(
        p, PlanOptions(milp=True, mip_gap=1e-6), BendersOptions(gap=1e-6, max_groups=5)
    )
    assert b.converged
    ref = _objective(ef.plan, p, weight, 0.9)
    assert _objective(b.plan, p, weight, 0.9) == pytest.approx(ref, rel=1e-4)
    assert b.lower <= ref * (1 + 1e-4)


def test_scenario_groups_partition_the_scenarios_into_similar_runs() -> None:
    p = _frontier_lab(103)
    gr = ScenarioGroups.of(p, 10)
    assert gr.n == 10 and not gr.exact
    assert sorted(np.concatenate(gr.members).tolist()) == list(range(103))
    assert {len(m) for m in gr.members} == {10, 11}
    assert gr.prob.sum() == pytest.approx(1.0)
    assert gr.mean(np.ones(103)) == pytest.approx(np.ones(10))  # weights: pi_s / pi_g
    work = np.einsum("w,wts->s", p.volume, p.D)
    runs = [(work[m].min(), work[m].max()) for m in gr.members]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(runs))  # sorted runs
    assert ScenarioGroups.of(p, 1000).exact and ScenarioGroups.of(p, 1000).n == 103


def test_milp_decomposition_is_what_auto_and_benders_choose() -> None:
    p = problem_of(_integer_doc())
    res = solve_plan(p, PlanOptions(milp=True, mip_gap=1e-6, method="benders", benders_gap=1e-6))
    ef = solve_plan(p, PlanOptions(milp=True, mip_gap=1e-6, method="extensive"))
    assert res.plan is not None and ef.objective is not None and res.objective is not None
    assert res.termination.startswith("optimal: decomposition")
    assert res.objective == pytest.approx(ef.objective, rel=1e-4)


def test_cut_slope_is_the_derivative_of_the_recourse() -> None:
    p = problem_of(two_vendor_doc())
    rec = Recourse(p)
    supply = np.full((len(p.pools), p.n_periods), 0.3)
    q0, pi, _ = rec.solve(supply, p.D[:, :, 0])
    h = 1e-4
    bumped = supply.copy()
    bumped[0, 1] += h
    q1, _, _ = rec.solve(bumped, p.D[:, :, 0])
    assert (q1 - q0) / h == pytest.approx(pi[0, 1], rel=1e-3, abs=1e-6)


def test_says_when_the_extensive_form_is_needed() -> None:
    p = problem_of(two_vendor_doc(max_vendor_share=0.7, share_scope="portfolio"))
    assert "portfolio" in benders_supported(p, PlanOptions())
    assert benders_supported(problem_of(two_vendor_doc()), PlanOptions(milp=True)) == ""
    risky = problem_of(two_vendor_doc(shortfall_risk={"alpha": 0.9, "max_unmet_fraction": 0.02}))
    assert benders_supported(risky, PlanOptions()) == ""  # decomposed (test_benders_rules)
    with pytest.raises(ValueError, match="does not apply"):
        solve_benders(p)


def _frontier_lab(count: int) -> PlanProblem:
    cat = shipped_catalog()
    return prepare_problem(load_scenario(example_path("frontier-lab.yaml"), cat), cat, count=count)


def test_process_pool_gives_the_serial_answer() -> None:
    p = _frontier_lab(120)
    serial = solve_benders(p, bopt=BendersOptions(executor="serial"))
    pooled = solve_benders(p, bopt=BendersOptions(executor="local", workers=2))
    # the same LPs; degenerate duals may differ with the basis a worker starts from, so the
    # cuts (and the path) can differ, but both reach the optimum within the gap
    assert pooled.converged and serial.converged
    assert pooled.upper == pytest.approx(serial.upper, rel=2e-4)
    assert pooled.lower <= serial.upper * (1 + 1e-9) and serial.lower <= pooled.upper * (1 + 1e-9)


def test_ray_two_workers_same_objective() -> None:
    ray = pytest.importorskip(
        "ray", reason="Ray is an optional extra (pip install computebroker[ray])"
    )
    p = _frontier_lab(120)
    serial = solve_benders(p, bopt=BendersOptions(executor="serial"))
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        on_ray = solve_benders(p, bopt=BendersOptions(executor="ray", workers=2))
    finally:
        ray.shutdown()
    assert on_ray.upper == pytest.approx(serial.upper, rel=1e-4)
    assert on_ray.gap <= 1e-4


def test_auto_decomposes_at_scale() -> None:
    from computebroker.planner.solve import AUTO_BENDERS_SCENARIOS, decomposes

    doc = _integer_doc()
    doc["scenarios"]["count"] = AUTO_BENDERS_SCENARIOS
    big = problem_of(doc)
    small = problem_of(_integer_doc())
    assert decomposes(big, PlanOptions()) and not decomposes(small, PlanOptions())
    assert decomposes(big, PlanOptions(milp=True))  # the MILP too, from the same count
    assert decomposes(big, PlanOptions(milp=True, method="benders"))
    assert not decomposes(big, PlanOptions(method="extensive"))
    portfolio = problem_of(two_vendor_doc(max_vendor_share=0.7, share_scope="portfolio"))
    assert not decomposes(portfolio, PlanOptions(method="benders"))
