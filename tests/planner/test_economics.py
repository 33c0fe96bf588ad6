"""The planner's economic conventions, each checked against a sum done by hand: terms from
first delivery, month terms rounded up, discounting, slips that shift delivery and term, what is
signed (total contract value) and a budget on it, portfolio vendor caps, explicit demand rows
crossed with deliveries, correlated slips, rentals that tighten with demand, and shortfall
weighted by volume."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from computebroker.catalog import shipped_catalog
from computebroker.planner import (
    PlanOptions,
    metrics,
    parse_scenario,
    sample_scenarios,
    solve_plan,
)
from computebroker.planner.result import plan_from_arrays
from tests.planner.helpers import HOURS, problem_of, tiny

TPH = 1000.0
CHIPS = 1000
PRICE = 2.0


def commit(**kw: Any) -> dict[str, Any]:
    return {
        "id": "c",
        "provider": "aws",
        "accelerator": "h100",
        "contract": "commit-1y",
        "price_chip_hour": PRICE,
        "term_periods": 4,
        **kw,
    }


def doc(
    offers: list[dict[str, Any]], policy: dict[str, Any] | None = None, periods: int = 4
) -> dict[str, Any]:
    return tiny(
        periods=periods,
        throughput={"h100": TPH, "tpu-v6e": TPH},
        offers=offers,
        demand={"classes": {"w": {"start": CHIPS * TPH * HOURS, "growth": 0.0}}},
        policy={"shortfall_penalty": {"usd_per_unit": {"w": 30.0 / TPH}}, **(policy or {})},
        count=4,
    )


def fixed_plan(d: dict[str, Any], chips: float) -> Any:
    """The plan that signs ``chips`` of the first offer in period 0 and rents nothing."""
    p = problem_of(d)
    x = np.zeros((len(p.commit), p.n_periods))
    x[0, 0] = chips / 1000
    y = np.zeros((len(p.recourse), p.n_periods, p.n_scenarios))
    a = np.zeros((len(p.pools), len(p.workloads), p.n_periods, p.n_scenarios))
    return p, plan_from_arrays(p, x=x, y=y, a=a, u=p.D.copy())


# (1) terms ---------------------------------------------------------------------------------------


def test_term_runs_from_first_delivery() -> None:
    # signed in Q1, lead 1: usable Q2..Q5 (the 4-quarter term starts at delivery), so three
    # quarters in the horizon and one past it
    p = problem_of(doc([commit(lead_periods=1)]))
    assert p.R[0, 0].tolist() == [0.0, 1.0, 1.0, 1.0]
    assert p.post[0, 0] == 1.0
    # total contract value: $2 x 1,000 h x 4 quarters = $8,000 per chip = $8M per kchip
    assert p.tcv[0, 0] == pytest.approx(8.0)
    assert p.tcv_post[0, 0] == pytest.approx(2.0)
    p, plan = fixed_plan(doc([commit(lead_periods=1)], {"salvage_fraction": 0.5}), 1000)
    # in the horizon: 1,000 chips x $2 x 1,000 h x 3 = $6M; past it: $2M x (1 - 0.5) = $1M
    assert plan.cost_commit == pytest.approx(6.0)
    assert plan.cost_post == pytest.approx(1.0)
    m = metrics(plan)
    assert m.signed_usd == pytest.approx(8e6)
    assert m.signed_after_horizon_usd == pytest.approx(2e6)
    row = m.schedule[0]
    assert row.obligation_usd == pytest.approx(8e6) and row.after_horizon_usd == pytest.approx(2e6)


def test_ramp_counts_inside_the_term() -> None:
    # lead 0, ramp [0.5]: usable shares 0.5, 1, 1, 1 over the 4-quarter term
    p = problem_of(doc([commit(ramp=[0.5])]))
    assert p.R[0, 0].tolist() == [0.5, 1.0, 1.0, 1.0]
    assert p.tcv[0, 0] == pytest.approx(2.0 * 3.5)


@pytest.mark.parametrize(("months", "periods"), [(16, 6), (12, 4), (13, 5), (0.5, 1), (36, 12)])
def test_month_terms_are_rounded_up_to_whole_periods(months: float, periods: int) -> None:
    d = doc([commit(term_periods=None, term_months=months)])
    del d["offers"][0]["term_periods"]
    spec = parse_scenario(yaml.safe_dump(d), shipped_catalog())
    assert spec.offers[0].term_periods == periods


# (2) discounting ---------------------------------------------------------------------------------


def test_every_cash_flow_is_discounted_at_the_start_of_its_period() -> None:
    # r = 10%/year on quarters: disc[t] = 1.1 ** (-t / 4) = 1, 0.976454, 0.953463, 0.931012;
    # past the horizon (a 6-quarter term) 1.1 ** -1 = 0.909091 and 1.1 ** -1.25 = 0.887685
    d = doc([commit(term_periods=6)], {"discount_rate": 0.10, "salvage_fraction": 0.5})
    p, plan = fixed_plan(d, 1000)
    assert p.disc[:6] == pytest.approx([1, 0.976454, 0.953463, 0.931012, 0.909091, 0.887685], 1e-5)
    assert plan.cost_commit == pytest.approx(2.0 * 3.860929, rel=1e-5)
    assert plan.cost_post == pytest.approx(2.0 * 1.796776 * 0.5, rel=1e-5)
    # unmet work: 1 normalised unit per quarter at $30 per chip-quarter-equivalent x 1000 chips
    pen = 30.0 / TPH * CHIPS * TPH * HOURS / 1e6
    assert plan.cost_penalty == pytest.approx(pen * 3.860929, rel=1e-5)
    m = metrics(plan)
    nominal = 2.0 * 4 + 2.0 * 2 * 0.5 + pen * 4
    assert m.expected_cost_nominal_usd == pytest.approx(nominal * 1e6, rel=1e-6)
    assert m.signed_pv_usd == pytest.approx(2e6 * (3.860929 + 1.796776), rel=1e-5)
    assert m.discount_rate == 0.10


def test_discounting_favours_paying_later() -> None:
    # the same commitment, signed in Q1 or in Q2, for demand only in Q2..Q4 and 10% a year:
    # the planner is indifferent undiscounted but at 10% the bill paid later is cheaper; a
    # term of 3 quarters from Q2 ends at the horizon, so nothing moves past it
    d = doc([commit(term_periods=3)], {"discount_rate": 0.10})
    d["demand"] = {"classes": {"w": {"base": [0.0] + [CHIPS * TPH * HOURS] * 3}}}
    p = problem_of(d)
    res = solve_plan(p, PlanOptions())
    assert res.plan is not None
    assert res.plan.x[0, 1] * 1000 == pytest.approx(CHIPS, rel=1e-6)
    assert res.plan.x[0, 0] == pytest.approx(0, abs=1e-9)


# (4) slips shift delivery and term ---------------------------------------------------------------


def test_a_slip_shifts_delivery_and_the_term() -> None:
    # certain 1-quarter slip: usable Q2..Q5 instead of Q1..Q4; Q1 is neither delivered nor
    # billed, and one quarter moves past the horizon (owed at 1 - salvage)
    d = doc(
        [commit(delivery_risk={"slip_prob": 1.0, "slip_periods": 1})], {"salvage_fraction": 0.5}
    )
    p, plan = fixed_plan(d, 1000)
    assert (p.shift == 1).all()
    assert p.delivered(plan.k)[0, :, 0].tolist() == pytest.approx([0.0, 1.0, 1.0, 1.0])
    assert plan.cost_commit == pytest.approx(2.0 * 3)
    assert plan.cost_post == pytest.approx(2.0 * 1 * 0.5)


def test_partial_delivery_is_billed_for_what_arrives() -> None:
    d = doc([commit(delivery_risk={"partial_prob": 1.0, "partial_fraction": 0.5})])
    _, plan = fixed_plan(d, 1000)
    assert plan.cost_commit == pytest.approx(2.0 * 4 * 0.5)


def test_explicit_demand_rows_are_crossed_with_deliveries() -> None:
    # three rows with slip_prob 0.4: before, the rows were the scenarios and none slipped
    d = doc([commit(delivery_risk={"slip_prob": 0.4, "slip_periods": 1})])
    d["demand"] = {
        "scenarios": [
            {"weight": 1, "w": [1e6] * 4},
            {"weight": 2, "w": [2e6] * 4},
            {"weight": 1, "w": [3e6] * 4},
        ]
    }
    d["scenarios"] = {"count": 400, "seed": 3}
    spec = parse_scenario(yaml.safe_dump(d), shipped_catalog())
    ss = sample_scenarios(spec)
    assert ss.count == 400
    assert (ss.shift.values[0] > 0).mean() == pytest.approx(0.4, abs=0.06)
    first = ss.demand.values[0, 0]  # (scenario,)
    # systematic resampling: each row's share of scenarios is its weight share, exactly
    assert [(first == v).sum() for v in (1e6, 2e6, 3e6)] == [100, 200, 100]
    # and without delivery risk the rows stay the scenarios with their weights
    d["offers"][0].pop("delivery_risk")
    ss0 = sample_scenarios(parse_scenario(yaml.safe_dump(d), shipped_catalog()))
    assert ss0.count == 3 and ss0.probability.values.tolist() == pytest.approx([0.25, 0.5, 0.25])


def _two_offers(scarcity: dict[str, float], same_vendor: bool, same_chip: bool) -> Any:
    risk = {"slip_prob": 0.3, "slip_periods": 1}
    d = doc(
        [
            commit(id="a", delivery_risk=risk),
            commit(
                id="b",
                provider="aws" if same_vendor else "gcp",
                accelerator="h100" if same_chip else "tpu-v6e",
                delivery_risk=risk,
            ),
        ]
    )
    d["scarcity"] = scarcity
    d["scenarios"] = {"count": 4000, "seed": 5}
    return sample_scenarios(parse_scenario(yaml.safe_dump(d), shipped_catalog())).shift.values > 0


def test_slips_share_a_vendor_factor_and_a_chip_factor() -> None:
    together = _two_offers({"vendor_correlation": 1.0}, same_vendor=True, same_chip=False)
    assert (together[0] == together[1]).all()  # one vendor factor: they slip together
    assert together[0].mean() == pytest.approx(0.3, abs=0.03)  # marginal kept
    chip = _two_offers({"chip_correlation": 1.0}, same_vendor=False, same_chip=True)
    assert (chip[0] == chip[1]).all()
    apart = _two_offers({}, same_vendor=True, same_chip=True)
    assert (apart[0] & apart[1]).mean() == pytest.approx(0.09, abs=0.02)  # independent: 0.3^2


def test_slips_can_move_with_demand() -> None:
    d = doc([commit(delivery_risk={"slip_prob": 0.5, "slip_periods": 1})])
    d["demand"] = {"classes": {"w": {"start": 1e6, "volatility": 0.3}}}
    d["scarcity"] = {"demand_correlation": 1.0}
    d["scenarios"] = {"count": 400, "seed": 1}
    ss = sample_scenarios(parse_scenario(yaml.safe_dump(d), shipped_catalog()))
    total = ss.demand.values.sum(axis=(0, 1))
    slipped = ss.shift.values[0] > 0
    assert total[slipped].min() >= total[~slipped].max()  # the high-demand half slips


def test_rentals_tighten_with_demand() -> None:
    # rows of 1 and 3 (expected 2): the high row is 50% above its mean, so with a premium of 1
    # and a cut of 1 on-demand costs 1.5x and only half its capacity can be rented
    d = doc(
        [
            commit(),
            {
                "id": "od",
                "provider": "lambda",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 6.0,
                "max_chips": 2000,
            },
        ]
    )
    d["demand"] = {"scenarios": [{"w": [1e6] * 4}, {"w": [3e6] * 4}]}
    d["scarcity"] = {"rental_price_premium": 1.0, "rental_capacity_cut": 1.0}
    p = problem_of(d)
    c = 6.0 * HOURS * 1000 / 1e6
    assert p.rent_price[0, :, 0] == pytest.approx([c] * 4)
    assert p.rent_price[0, :, 1] == pytest.approx([1.5 * c] * 4)
    assert p.rent_cap[0, :, 1] == pytest.approx([1.0] * 4)  # 2 kchips x (1 - 0.5)


# (3) what is signed ------------------------------------------------------------------------------


def test_budget_total_can_bound_signed_contract_value() -> None:
    # $4M of contract value at $8,000 per chip (4 quarters x 1,000 h x $2) buys 500 chips
    d = doc([commit()], {"budget_total": 4.0e6, "budget_basis": "signed"})
    res = solve_plan(problem_of(d), PlanOptions())
    assert res.plan is not None
    m = metrics(res.plan)
    assert m.signed_usd == pytest.approx(4.0e6, rel=1e-6)
    assert res.plan.x.sum() * 1000 == pytest.approx(500, rel=1e-6)


# (6) vendor caps over the portfolio --------------------------------------------------------------


def test_portfolio_cap_bounds_each_vendors_contract_value() -> None:
    # AWS at $2, GCP at $2.6: unconstrained everything goes to AWS; a 60% portfolio cap on
    # contract value: aws_tcv <= 0.6 (aws_tcv + gcp_tcv)
    offers = [
        commit(id="aws"),
        commit(id="gcp", provider="gcp", accelerator="tpu-v6e", price_chip_hour=2.6),
    ]
    d = doc(offers, {"max_vendor_share": 0.6, "share_scope": "portfolio"})
    p = problem_of(d)
    res = solve_plan(p, PlanOptions())
    assert res.plan is not None
    tcv = (p.tcv * res.plan.x).sum(axis=1)
    assert tcv[0] == pytest.approx(0.6 * tcv.sum(), rel=1e-6)


# (5) risk in kind --------------------------------------------------------------------------------


def test_shortfall_is_weighted_by_volume_and_cash_cvar_excludes_penalties() -> None:
    # two classes on one chip, w with 9x the work of v; v entirely unmet, w entirely met
    d = doc([commit()])
    d["workloads"].append({**d["workloads"][0], "name": "v"})
    d["demand"] = {"classes": {"w": {"start": 9e6}, "v": {"start": 1e6}}}
    p = problem_of(d)
    x = np.zeros((1, 4))
    y = np.zeros((0, 4, p.n_scenarios))
    a = np.zeros((len(p.pools), 2, 4, p.n_scenarios))
    u = p.D.copy()
    u[0] = 0.0  # class w met
    plan = plan_from_arrays(p, x=x, y=y, a=a, u=u)
    m = metrics(plan)
    assert m.p_shortfall == pytest.approx(0.1)  # v's 10% of the volume is short every time
    assert m.p_shortfall_any == pytest.approx(1.0)
    assert m.unmet_volume_share == pytest.approx(0.1)
    assert m.unmet_fraction_cvar == pytest.approx(0.1)
    assert m.cash_cvar_usd == pytest.approx(0.0)
    assert m.cvar_usd == pytest.approx(m.expected_penalty_usd)


# the decomposition agrees with the extensive form on every convention above ---------------------


def test_decomposition_matches_the_extensive_form_with_the_new_economics() -> None:
    from computebroker.planner.benders import BendersOptions, solve_benders
    from computebroker.planner.replicate import objective_of

    offers = [
        commit(
            id="aws",
            lead_periods=1,
            ramp=[0.5],
            delivery_risk={
                "slip_prob": 0.5,
                "slip_periods": 1,
                "partial_prob": 0.3,
                "partial_fraction": 0.6,
            },
        ),
        commit(
            id="gcp",
            provider="gcp",
            accelerator="tpu-v6e",
            price_chip_hour=2.3,
            term_periods=6,
            delivery_risk={"slip_prob": 0.3, "slip_periods": 2},
        ),
        {
            "id": "od",
            "provider": "lambda",
            "accelerator": "h100",
            "contract": "on-demand",
            "price_chip_hour": 6.0,
            "max_chips": 1500,
        },
    ]
    d = doc(
        offers,
        {"discount_rate": 0.1, "max_vendor_share": 0.7, "risk": {"cvar_alpha": 0.9, "weight": 0.5}},
        periods=5,
    )
    d["offers"][1]["available_from"] = "2026Q3"  # one vendor in Q1-Q2: the cap is relaxed there
    d["demand"] = {
        "classes": {"w": {"start": CHIPS * TPH * HOURS, "growth": 0.1, "volatility": 0.3}}
    }
    d["scarcity"] = {
        "vendor_correlation": 0.4,
        "demand_correlation": 0.3,
        "rental_price_premium": 1.0,
        "rental_capacity_cut": 0.5,
    }
    d["scenarios"] = {"count": 16, "seed": 4}
    p = problem_of(d)
    ef = solve_plan(p, PlanOptions(method="extensive"))
    assert ef.plan is not None
    b = solve_benders(p, bopt=BendersOptions(gap=1e-7, executor="serial"))
    assert b.converged
    assert objective_of(b.plan) == pytest.approx(objective_of(ef.plan), rel=1e-5)
    assert b.upper * 1e6 == pytest.approx(objective_of(ef.plan), rel=1e-5)


def test_portfolio_cap_against_dominant_existing_is_explained() -> None:
    from computebroker.planner import PlanStatus

    offers = [
        commit(id="aws"),
        commit(id="gcp", provider="gcp", accelerator="tpu-v6e", max_chips=100),
    ]
    d = doc(offers, {"max_vendor_share": 0.5, "share_scope": "portfolio"})
    d["policy"]["existing"] = [{"offer": "aws", "start": "2026Q1", "chips": 500}]
    res = solve_plan(problem_of(d), PlanOptions())
    assert res.status is PlanStatus.INFEASIBLE
    assert "portfolio's contract value: aws" in " ".join(res.explanation)
