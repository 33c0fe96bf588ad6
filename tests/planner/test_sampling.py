"""Scenario sampling and reduction: seeded, unbiased for the stated base path, antithetic pairs,
stratified margins, delivery risk frequencies, and probability-preserving reduction."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from computebroker.catalog import shipped_catalog
from computebroker.planner import parse_scenario, reduce_scenarios, sample_scenarios
from computebroker.planner.spec import ScenarioSpec
from tests.planner.helpers import tiny


def spec_of(
    method: str = "antithetic",
    vol: float = 0.3,
    gvol: float = 0.05,
    slip: float = 0.0,
    partial: float = 0.0,
) -> ScenarioSpec:
    doc = tiny(
        periods=6,
        throughput={"h100": 1000.0},
        offers=[
            {
                "id": "c",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 2.0,
                "lead_periods": 1,
                "delivery_risk": {
                    "slip_prob": slip,
                    "slip_periods": 2,
                    "partial_prob": partial,
                    "partial_fraction": 0.5,
                },
            }
        ],
        demand={
            "correlation": 0.5,
            "classes": {
                "w": {"start": 100.0, "growth": 0.2, "volatility": vol, "growth_volatility": gvol}
            },
        },
    )
    doc["scenarios"]["method"] = method
    return parse_scenario(yaml.safe_dump(doc), shipped_catalog())


def test_same_seed_same_scenarios_other_seed_other() -> None:
    s = spec_of()
    a, b, c = sample_scenarios(s, 64, 7), sample_scenarios(s, 64, 7), sample_scenarios(s, 64, 8)
    assert np.array_equal(a.demand.values, b.demand.values)
    assert not np.allclose(a.demand.values, c.demand.values)


@pytest.mark.parametrize("method", ["antithetic", "stratified", "mc"])
def test_mean_demand_is_the_base_path(method: str) -> None:
    s = spec_of(method)
    ss = sample_scenarios(s, 20000, 1)
    base = 100.0 * 1.2 ** np.arange(6)
    mean = (ss.demand.values[0] * ss.probability.values).sum(axis=1)
    # lognormal with sd of log up to ~0.8 at the end: 20k draws -> relative SE < 1%
    assert mean == pytest.approx(base, rel=0.03)


def test_antithetic_pairs_mirror_the_log_shocks() -> None:
    s = spec_of("antithetic")
    d = sample_scenarios(s, 100, 3).demand.values[0]  # (period, scenario)
    base = 100.0 * 1.2 ** np.arange(6)
    log_dev = np.log(d / base[:, None])
    # pairs (i, i + 50) have shocks of opposite sign around the same -var/2 centre
    centre = (log_dev[:, :50] + log_dev[:, 50:]) / 2
    assert np.allclose(centre, centre[:, :1])
    assert np.allclose(np.diff(centre, axis=0), centre[1:, :1] - centre[:-1, :1])


def test_stratified_first_period_hits_every_stratum() -> None:
    from scipy.stats import norm

    s = spec_of("stratified", gvol=0.0)
    n = 40
    d = sample_scenarios(s, n, 5).demand.values[0, 0]  # period 0: log dev = vol * z - vol^2 / 2
    z = (np.log(d / 100.0) + 0.3**2 / 2) / 0.3
    strata = np.floor(norm.cdf(z) * n).astype(int)
    assert sorted(strata) == list(range(n))


def test_delivery_risk_frequencies() -> None:
    s = spec_of(slip=0.3, partial=0.2)
    ss = sample_scenarios(s, 4000, 11)
    shift = ss.shift.values[0]  # (scenario,) periods late
    slipped = shift > 0
    assert slipped.mean() == pytest.approx(0.3, abs=0.03)
    assert set(np.unique(shift)) == {0, 2}  # a slip shifts delivery (and term) by slip_periods
    dl = ss.delivery.values[0]  # (period, scenario): share of the shifted capacity delivered
    partial = dl[5] == 0.5
    assert partial.mean() == pytest.approx(0.2, abs=0.03)
    assert (dl[:, partial] == 0.5).all() and (dl[:, ~partial] == 1.0).all()


@settings(max_examples=20)
@given(n=st.integers(5, 60), keep=st.integers(1, 30), seed=st.integers(0, 1000))
def test_reduction_keeps_probability_and_real_scenarios(n: int, keep: int, seed: int) -> None:
    s = spec_of("mc", slip=0.2)
    full = sample_scenarios(s, n, seed)
    red = reduce_scenarios(full, keep)
    assert red.count == min(n, keep)
    assert red.probability.values.sum() == pytest.approx(1.0)
    assert (red.probability.values > 0).all()
    fd = full.demand.values.reshape(-1, n).T
    for row in red.demand.values.reshape(-1, red.count).T:
        assert np.isclose(fd, row).all(axis=1).any()  # each kept scenario is one of the originals


def test_reduction_to_one_keeps_the_medoid() -> None:
    s = spec_of("mc", vol=0.5, gvol=0.0)
    full = sample_scenarios(s, 31, 2)
    red = reduce_scenarios(full, 1)
    d = full.demand.values / full.demand.values.mean(axis=(1, 2), keepdims=True)
    feats = np.concatenate([d.reshape(-1, 31), full.delivery.values.reshape(-1, 31)]).T
    dist = np.linalg.norm(feats[:, None, :] - feats[None, :, :], axis=2)
    medoid = int(np.argmin(dist.sum(axis=1)))
    assert np.allclose(red.demand.values[..., 0], full.demand.values[..., medoid])
