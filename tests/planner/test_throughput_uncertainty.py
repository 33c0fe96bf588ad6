"""Throughput as a scenario dimension (``policy.throughput_uncertainty``): each scenario scales a
chip's work per chip-hour by a mean-one lognormal draw from the band of its estimate.

Hand-checkable case: one quarter of 1,000 hours, demand 1e9 tokens (no volatility), every chip
does 1,000 tokens per chip-hour, so 1,000 chips cover it. b200 commitments cost $1.9 per
chip-hour, h100 commitments $2.0 and h100 on-demand $6.0. Without uncertainty the plan commits
1,000 b200 chips: $1.9M. A band on b200's estimate makes its work uncertain: the plan must
either hold spare b200 chips or lean on h100, so it costs more than $1.9M, and never more than
the $2.0M of covering everything with h100 commitments (certain throughput: its band is 0).
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from computebroker.catalog import shipped_catalog
from computebroker.planner import PlanOptions, parse_scenario, solve_plan
from computebroker.planner.problem import PlanProblem, build_problem
from computebroker.planner.result import metrics
from computebroker.planner.sampling import sample_scenarios, throughput_multipliers
from tests.planner.helpers import problem_of, tiny


def _doc(uncertain: bool) -> dict:  # type: ignore[type-arg]
    def commit(oid: str, acc: str, price: float) -> dict:  # type: ignore[type-arg]
        return {
            "id": oid,
            "provider": "aws" if acc == "h100" else "gcp",
            "accelerator": acc,
            "contract": "commit-1y",
            "price_chip_hour": price,
            "term_periods": 1,
        }

    od = {"id": "od", "provider": "aws", "accelerator": "h100", "contract": "on-demand"}
    return tiny(
        offers=[commit("b", "b200", 1.9), commit("h", "h100", 2.0), {**od, "price_chip_hour": 6.0}],
        demand={"classes": {"w": {"start": 1e9, "volatility": 0.0}}},
        throughput={"h100": 1000.0, "b200": 1000.0},
        policy={"throughput_uncertainty": uncertain},
        count=200,
    )


def _problem(uncertain: bool, b200_band: float) -> PlanProblem:
    """The tiny problem with ``b200_band`` as the b200 estimate's band (h100's 0): the explicit
    throughputs of ``tiny`` carry no band of their own."""
    cat = shipped_catalog()
    spec = parse_scenario(yaml.safe_dump(_doc(uncertain), sort_keys=False), cat)
    matrix = problem_of(_doc(False)).matrix.copy()
    band = np.zeros((1, matrix.sizes["accelerator"]))
    band[0, list(matrix.accelerator.values).index("b200")] = b200_band
    matrix["band_rel"] = (("workload", "accelerator"), band)
    return build_problem(spec, matrix, sample_scenarios(spec), cat)


def _solve(p: PlanProblem) -> tuple[float, dict[str, float]]:
    res = solve_plan(p, PlanOptions(method="extensive"))
    assert res.plan is not None
    chips = {oid: float(res.plan.x[i].sum() * 1000.0) for i, oid in enumerate(p.commit)}
    return metrics(res.plan).expected_cost_usd, chips


def test_off_by_default_and_certain_plan_is_the_hand_value() -> None:
    p = _problem(False, 0.9)
    assert p.T_mult is None
    cost, chips = _solve(p)
    assert cost == pytest.approx(1.9e6, rel=1e-6)  # 1,000 chips x 1,000 h x $1.9
    assert chips["b"] == pytest.approx(1000.0, rel=1e-6) and chips["h"] == pytest.approx(0.0)


def test_zero_band_equals_the_plan_without() -> None:
    p = _problem(True, 0.0)
    assert p.T_mult is not None and np.all(p.T_mult == 1.0)
    (cost, chips), (cost0, chips0) = _solve(p), _solve(_problem(False, 0.0))
    assert cost == pytest.approx(cost0, rel=1e-9)
    assert chips == pytest.approx(chips0, abs=1e-6)


def test_wide_band_on_one_chip_costs_more_and_moves_work_off_it() -> None:
    cost, chips = _solve(_problem(True, 0.9))
    assert 1.9e6 * 1.001 < cost <= 2.0e6 * (1 + 1e-6)
    assert chips["h"] > 100.0  # the certain chip now carries part of the work
    assert chips["b"] < 1000.0


def test_multipliers_are_mean_one_spread_by_the_band_and_correlated_in_a_family() -> None:
    band = np.array([[0.25, 0.25, 0.0]])
    m = throughput_multipliers(band, ["nvidia", "nvidia", "amd"], 20000, seed=3, correlation=0.5)
    assert m.shape == (1, 3, 20000)
    assert np.all(m[0, 2] == 1.0)  # no band: exactly the estimate
    assert m[0, 0].mean() == pytest.approx(1.0, abs=0.01)
    sigma = np.log(1.25) / 1.6448536
    assert np.log(m[0, 0]).std() == pytest.approx(sigma, rel=0.03)
    corr = np.corrcoef(np.log(m[0, 0]), np.log(m[0, 1]))[0, 1]
    assert corr == pytest.approx(0.5, abs=0.03)


def test_draws_stay_with_their_scenarios_in_subsets_and_reductions() -> None:
    # Out-of-sample evaluation solves chunks of a fresh sample; a chunk's throughput draws must
    # be the whole sample's draws for those scenarios, not a new draw of the chunk's size.
    from computebroker.planner.evaluate import _subset
    from computebroker.planner.sampling import reduce_scenarios

    cat = shipped_catalog()
    spec = parse_scenario(yaml.safe_dump(_doc(True), sort_keys=False), cat)
    whole = _problem(True, 0.5)
    assert whole.T_mult is not None
    scen = sample_scenarios(spec)
    part = build_problem(spec, whole.matrix, _subset(scen, 50, 80), cat)
    assert part.T_mult is not None
    assert np.array_equal(part.T_mult, whole.T_mult[:, :, 50:80])
    reduced = reduce_scenarios(scen, 20)
    assert reduced.draw_index is not None
    red = build_problem(spec, whole.matrix, reduced, cat)
    assert red.T_mult is not None
    assert np.array_equal(red.T_mult, whole.T_mult[:, :, reduced.draw_index])
