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
    hist = History(demand=np.array([[1.0, 1.5]]), delivery=np.zeros((0, 2)))
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
        History(demand=np.array([[observed]]), delivery=np.zeros((0, 1))),
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
        History(demand=np.array([[d0]]), delivery=np.zeros((0, 1))),
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
        History(demand=np.array([[1e6, 5e5]]), delivery=np.zeros((0, 2))),
        8,
        np.random.default_rng(5),
    )
    assert (s.demand.values[0, 3] == 5e5).all()


def test_an_observed_slip_is_known_and_an_unseen_one_keeps_its_odds() -> None:
    offers = [
        {
            "id": "c",
            "provider": "aws",
            "accelerator": "h100",
            "contract": "commit-1y",
            "price_chip_hour": 1.0,
            "term_periods": 4,
            "delivery_risk": {"slip_prob": 0.3, "slip_periods": 2},
        },
    ]
    spec = _spec({"classes": {"w": {"base": [1e6] * 4}}}, offers=offers)
    rng = np.random.default_rng(6)
    seen = sample_conditional(
        spec, History(demand=np.full((1, 1), 1e6), delivery=np.zeros((1, 1))), 100, rng
    )
    assert (seen.delivery.values[0, :2] == 0).all() and (seen.delivery.values[0, 2:] == 1).all()
    unseen = sample_conditional(spec, History.empty(spec), 4000, rng)
    assert (unseen.delivery.values[0, 0] == 0).mean() == pytest.approx(0.3, abs=0.03)
