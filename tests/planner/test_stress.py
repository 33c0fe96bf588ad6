"""The stress of issue 14: every GB200 seller slips two quarters together."""

from __future__ import annotations

from computebroker.catalog import shipped_catalog
from computebroker.examples import example_path
from computebroker.planner import PlanOptions, load_scenario, prepare_problem, solve_plan
from computebroker.planner.stress import chip_slip, stress


def test_every_gb200_seller_slipping_two_quarters_costs_more_and_says_why() -> None:
    cat = shipped_catalog()
    spec = load_scenario(example_path("frontier-lab.yaml"), cat)
    p = prepare_problem(spec, cat, count=24)
    res = solve_plan(p, PlanOptions(method="extensive"))
    assert res.plan is not None
    gb200 = [o.id for o in spec.offers if o.is_commitment and o.accelerator == "gb200"]
    assert len({spec.offer(i).provider for i in gb200}) >= 2  # several sellers
    signed = {p.commit[i] for i in range(len(p.commit)) if res.plan.x[i].sum() > 1e-6}
    assert signed & set(gb200), "the base plan signs GB200"
    stressed = chip_slip(spec, "gb200", 2)
    r = stress(res.plan, stressed, cat, name="every GB200 seller slips 2 quarters")
    assert r.stressed_usd > r.base_usd
    assert r.stressed_unmet_share >= r.base_unmet_share
    # the bill inside the horizon falls (less is delivered) while rentals and unmet work rise
    assert r.delta_commit_usd < 0 < r.delta_rentals_usd + r.delta_penalty_usd
    assert r.explanation[0].startswith("every GB200 seller slips 2 quarters: expected cost")
    # re-planned knowing the stress, it still costs more than the base plan
    p2 = prepare_problem(stressed, cat, count=24)
    res2 = solve_plan(p2, PlanOptions(method="extensive"))
    assert res2.objective is not None and res.objective is not None
    assert res2.plan is not None
    from computebroker.planner.result import metrics

    assert metrics(res2.plan).expected_cost_usd > metrics(res.plan).expected_cost_usd
