"""Conditional scenarios: the future given the observed demand and deliveries."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from computebroker.catalog import shipped_catalog
from computebroker.planner import parse_scenario
from computebroker.planner.conditional import History, sample_conditional, sample_paths
from computebroker.planner.spec import ScenarioSpec
from tests.planner.helpers import tiny

_NONE = np.zeros(0, dtype=int)  # no commitment offer: no slips to observe


def _spec(demand: dict, offers: list | None = None, periods: int = 4) -> ScenarioSpec:  # type: ignore[type-arg]
    doc = tiny(
        offers=offers
        or [
            {
                "id": "od",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 2.0,
            }
        ],
        demand=demand,
        periods=periods,
    )
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), shipped_catalog())


def test_unconditional_paths_have_the_base_path_as_mean() -> None:
    spec = _spec(
        {
            "classes": {
                "w": {"base": [1.0, 2.0, 3.0, 4.0], "volatility": 0.1, "growth_volatility": 0.05}
            }
        }
    )
    paths = sample_paths(spec, 20000, np.random.default_rng(1))
    mean = paths.demand.values[0].mean(axis=1)
    assert mean == pytest.approx([1.0, 2.0, 3.0, 4.0], rel=0.01)


def test_observed_periods_are_kept_and_the_walk_continues_from_them() -> None:
    # volatility only: log D[t] - log D[t-1] = 0.1 eps - var increment / 2; no growth shock, so
    # the future's median is the observed level times the base ratio, less the variance terms
    spec = _spec({"classes": {"w": {"base": [1.0, 1.0, 1.0, 1.0], "volatility": 0.1}}})
    hist = History(demand=np.array([[1.0, 1.5]]), delivery=np.zeros((0, 2)), shift=_NONE)
    s = sample_conditional(spec, hist, 20000, np.random.default_rng(2))
    d = s.demand.values[0]
    assert (d[:2] == np.array([[1.0], [1.5]])).all()
    # E[D[2] | D[1]] = D[1] * exp(var[1]/2 - var[2]/2 + 0.01/2) = D[1] (var grows 0.01 a period)
    assert d[2].mean() == pytest.approx(1.5, rel=0.01)
    assert np.log(d[3] / d[2]).std() == pytest.approx(0.1, rel=0.03)


def test_the_growth_shock_is_learned_from_the_history() -> None:
    # growth volatility only (no per-period noise): one observed period reveals G exactly,
    # L[0] = g G, so the future L[t] = g G (t + 1): D[3] = exp(L[3] - var[3]/2), var = (g t1)^2
    g = 0.2
    spec = _spec({"classes": {"w": {"base": [1.0] * 4, "growth_volatility": g}}})
    big_g = 1.5
    observed = np.exp(g * big_g - g**2 / 2)
    s = sample_conditional(
        spec,
        History(demand=np.array([[observed]]), delivery=np.zeros((0, 1)), shift=_NONE),
        8,
        np.random.default_rng(3),
    )
    expected = np.exp(g * big_g * 4 - (g * 4) ** 2 / 2)
    assert s.demand.values[0, 3] == pytest.approx(np.full(8, expected), rel=1e-6)


def test_posterior_mixes_noise_and_growth_by_their_variances() -> None:
    # sigma = g = 0.1, one increment y = 0.1 eps + 0.1 G: E[G | y] = y * 0.1 / (0.01 + 0.01)
    spec = _spec(
        {"classes": {"w": {"base": [1.0] * 4, "volatility": 0.1, "growth_volatility": 0.1}}}
    )
    y = 0.05  # observed L[0]
    d0 = np.exp(y - 0.02 / 2)
    s = sample_conditional(
        spec,
        History(demand=np.array([[d0]]), delivery=np.zeros((0, 1)), shift=_NONE),
        40000,
        np.random.default_rng(4),
    )
    L = (
        np.log(s.demand.values[0])
        + (0.01 * np.arange(1, 5) + (0.1 * np.arange(1, 5)) ** 2)[:, None] / 2
    )
    growth = L[1] - L[0]  # = 0.1 eps1 + 0.1 G
    assert growth.mean() == pytest.approx(0.1 * (y * 0.1 / 0.02), abs=2e-3)


def test_explicit_rows_that_disagree_with_the_history_are_dropped() -> None:
    spec = _spec(
        {
            "scenarios": [
                {"w": [1e6, 2e6, 2e6, 2e6], "weight": 1},
                {"w": [1e6, 5e5, 5e5, 5e5], "weight": 3},
            ]
        }
    )
    prior = sample_conditional(spec, History.empty(spec), 8, np.random.default_rng(5))
    assert prior.probability.values.sum() == pytest.approx(1.0)
    high = prior.demand.values[0, 1] > 1e6
    assert prior.probability.values[high].sum() == pytest.approx(0.25)
    s = sample_conditional(
        spec,
        History(demand=np.array([[1e6, 5e5]]), delivery=np.zeros((0, 2)), shift=_NONE),
        8,
        np.random.default_rng(5),
    )
    assert (s.demand.values[0, 3] == 5e5).all()


def _commit(oid: str, risk: dict, **kw: object) -> dict:  # type: ignore[type-arg]
    return {
        "id": oid,
        "provider": "aws",
        "accelerator": "h100",
        "contract": "commit-1y",
        "price_chip_hour": 1.0,
        "term_periods": 4,
        "delivery_risk": risk,
        **kw,
    }


def _slip_spec(offers: list, scarcity: dict | None = None) -> ScenarioSpec:  # type: ignore[type-arg]
    doc = tiny(offers=offers, demand={"classes": {"w": {"base": [1e6] * 4}}}, periods=4)
    if scarcity:
        doc["scarcity"] = scarcity
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), shipped_catalog())


def test_an_observed_slip_is_known_and_an_unseen_one_keeps_its_odds() -> None:
    # the first delivery of "c" is due in period 0: once period 0 is seen, its slip (a shift
    # of the delivery and the term, as in sampling.py) is the true path's
    spec = _slip_spec([_commit("c", {"slip_prob": 0.3, "slip_periods": 2})])
    rng = np.random.default_rng(6)
    demand = np.full((1, 1), 1e6)
    for true in (2, 0):
        hist = History(demand=demand, delivery=np.ones((1, 1)), shift=np.array([true]))
        seen = sample_conditional(spec, hist, 100, rng)
        assert (seen.shift.values[0] == true).all()
        assert (seen.delivery.values[0] == 1).all()  # the shift, not a lost share
    unseen = sample_conditional(spec, History.empty(spec), 4000, rng)
    assert (unseen.shift.values[0] == 2).mean() == pytest.approx(0.3, abs=0.03)
    assert set(np.unique(unseen.shift.values[0])) == {0, 2}


def test_unseen_slips_keep_the_vendor_correlation_of_sampling_py() -> None:
    # "now" delivers in period 0 (seen), "a" and "b" from period 2 (unseen at one observed
    # period); one vendor with latent correlation 0.9: unseen slips move together, each at its
    # prior odds, and (the stated approximation) regardless of the observed slip of "now"
    spec = _slip_spec(
        [
            _commit("now", {"slip_prob": 0.3, "slip_periods": 1}),
            _commit("a", {"slip_prob": 0.3, "slip_periods": 1}, available_from="2026Q3"),
            _commit("b", {"slip_prob": 0.3, "slip_periods": 1}, available_from="2026Q3"),
        ],
        {"vendor_correlation": 0.9},
    )
    hist = History(demand=np.full((1, 1), 1e6), delivery=np.ones((3, 1)), shift=np.array([1, 0, 0]))
    s = sample_conditional(spec, hist, 4000, np.random.default_rng(8))
    slipped = s.shift.values > 0
    assert slipped[0].all()
    assert slipped[1].mean() == pytest.approx(0.3, abs=0.03)
    assert slipped[2].mean() == pytest.approx(0.3, abs=0.03)
    assert (slipped[1] & slipped[2]).mean() > 0.2  # independent: 0.09


def test_a_partial_delivery_is_known_once_the_shifted_capacity_has_arrived() -> None:
    spec = _slip_spec(
        [
            _commit(
                "c",
                {"slip_prob": 0.5, "slip_periods": 1, "partial_prob": 0.5, "partial_fraction": 0.4},
            )
        ]
    )
    rng = np.random.default_rng(9)
    slipped = np.array([1])
    # period 0 seen: the slip is known, nothing has arrived yet, so the partial is unseen
    early = sample_conditional(
        spec,
        History(demand=np.full((1, 1), 1e6), delivery=np.ones((1, 1)), shift=slipped),
        4000,
        rng,
    )
    assert (early.shift.values[0] == 1).all()
    assert (early.delivery.values[0, 1] == 0.4).mean() == pytest.approx(0.5, abs=0.03)
    # periods 0-1 seen: the capacity arrived in period 1 at 40%
    seen = sample_conditional(
        spec,
        History(demand=np.full((1, 2), 1e6), delivery=np.array([[0.4, 0.4]]), shift=slipped),
        100,
        rng,
    )
    assert (seen.delivery.values[0] == 0.4).all()


def test_paths_carry_the_shift_of_each_offer() -> None:
    spec = _slip_spec([_commit("c", {"slip_prob": 0.5, "slip_periods": 2})])
    paths = sample_paths(spec, 400, np.random.default_rng(10))
    assert paths.shift.dims == ("offer", "scenario") and paths.shift.sizes["scenario"] == 400
    assert (paths.shift.values[0] == 2).mean() == pytest.approx(0.5, abs=0.08)


def test_both_samplers_share_one_class_correlation() -> None:
    # three classes at correlation -0.9, below -1/2 (no such correlation matrix): both the
    # planning sampler and the conditional one (no history) use sampling.class_model, the
    # valid correlation -1/2 with each class keeping its volatility 0.2 (log sd 0.2 in the
    # first period)
    doc = tiny(
        offers=[
            {
                "id": "od",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 2.0,
            }
        ],
        demand={},
        periods=2,
    )
    doc["workloads"] = [{**doc["workloads"][0], "name": n} for n in ("a", "b", "c")]
    doc["demand"] = {
        "correlation": -0.9,
        "classes": {n: {"base": [1.0, 1.0], "volatility": 0.2} for n in ("a", "b", "c")},
    }
    doc["scenarios"] = {"count": 20000, "seed": 3}
    spec = parse_scenario(yaml.safe_dump(doc, sort_keys=False), shipped_catalog())
    from computebroker.planner import sample_scenarios

    for demand in (
        sample_scenarios(spec).demand.values,
        sample_paths(spec, 20000, np.random.default_rng(3)).demand.values,
    ):
        logs = np.log(demand[:, 0, :])  # (class, scenario), first period
        assert logs.std(axis=1) == pytest.approx([0.2, 0.2, 0.2], rel=0.03)
        c = np.corrcoef(logs)
        assert c[np.triu_indices(3, 1)] == pytest.approx([-0.5, -0.5, -0.5], abs=0.03)
