"""The rolling policy against the static plan on the two-regime example of issue 16.

Hand check (tests/planner/data/two-regime.yaml): 1,000 chips now, then 1,600 or 600 from Q2
with equal odds; a 3-quarter contract at $0.6/chip-h now, a 2-quarter one at $1.2 from Q2,
on-demand at $2.0, 1,000 h a quarter. For each chip above 1,000 (needed in Q2-Q3 only in the
high regime) static must choose now: long 3 x 0.6 = 1.8 < expected on-demand 0.5 x 2 x 2.0 =
2.0, so it signs 1,600 long: $2.88M on every path. Rolling waits: the long contract (1.8) costs
more than the short one bought only when needed (0.5 x 2 x 1.2 = 1.2), so it signs 1,000 long
now ($1.8M) and 600 short in the high regime ($1.44M): $2.52M expected = 12.5% below static.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from computebroker.catalog import shipped_catalog
from computebroker.planner import load_scenario
from computebroker.planner.policy_eval import Evaluation, PathOutcome, evaluate_policies
from computebroker.planner.sampling import ScenarioSet

TWO_REGIME = Path(__file__).parent / "data" / "two-regime.yaml"


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    cat = shipped_catalog()
    spec = load_scenario(TWO_REGIME, cat)
    return evaluate_policies(
        spec, cat, ["static", "rolling"], 4, np.random.default_rng(7), "serial"
    )


def test_static_signs_1600_of_the_long_contract(evaluation: Evaluation) -> None:
    signed = evaluation.summary("static").signed_chips
    assert float(signed.sel(offer="long-3q", start="2026Q1")) == pytest.approx(1600, abs=1e-3)
    assert float(signed.sel(offer="short-2q").sum()) == pytest.approx(0, abs=1e-3)
    assert evaluation.summary("static").cost_usd.mean == pytest.approx(2.88e6, rel=1e-6)


def test_rolling_signs_1000_now_and_the_short_contract_only_when_demand_is_high(
    evaluation: Evaluation,
) -> None:
    for o in evaluation.outcomes:
        if o.policy != "rolling":
            continue
        assert o.signed_chips[0, 0] == pytest.approx(1000, abs=1e-3)
        high = o.cost_usd > 2.0e6
        assert o.signed_chips[1, 1] == pytest.approx(600 if high else 0, abs=1e-3)
        assert o.cost_usd == pytest.approx(3.24e6 if high else 1.8e6, rel=1e-6)


def test_rolling_costs_12_5_percent_less_than_static(evaluation: Evaluation) -> None:
    static = evaluation.summary("static").cost_usd.mean
    rolling = evaluation.summary("rolling").cost_usd.mean
    assert rolling == pytest.approx(2.52e6, rel=1e-6)
    assert 1 - rolling / static == pytest.approx(0.125, abs=1e-6)
    flex = evaluation.value_of_flexibility_usd
    assert flex is not None and flex.mean == pytest.approx(0.36e6, rel=1e-6)


def test_signing_the_long_contract_now_is_worth_2_12m_against_waiting(
    evaluation: Evaluation,
) -> None:
    # waiting a quarter: the long contract can start only now, so Q1's 1,000 chips rent
    # on demand (1,000 x 2.0 x 1,000 h = $2.0M) and Q2-Q3 take the short contract for the whole
    # need (0.5 x 1,600 + 0.5 x 600) x 2.4k = $2.64M: $4.64M against $2.52M signing now
    (w,) = evaluation.sign_now_or_wait
    assert w.offer == "long-3q" and w.chips_now == pytest.approx(1000, abs=1e-3)
    assert w.cost_sign_now_usd == pytest.approx(2.52e6, rel=1e-6)
    assert w.cost_wait_usd == pytest.approx(4.64e6, rel=1e-6)
    assert w.value_of_signing_now_usd == pytest.approx(2.12e6, rel=1e-6)


def test_both_policies_meet_the_same_paths(evaluation: Evaluation) -> None:
    assert evaluation.paths == 4
    for policy in ("static", "rolling"):
        assert sorted(o.path for o in evaluation.outcomes if o.policy == policy) == [0, 1, 2, 3]
    # equal odds and an even number of paths: exactly half of them are high
    assert sum(o.cost_usd > 2.0e6 for o in evaluation.outcomes if o.policy == "rolling") == 2


def test_paths_are_shared_by_the_policies_and_are_not_the_planning_samples(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import yaml

    from computebroker.planner import parse_scenario, policy_eval, sample_scenarios
    from tests.planner.helpers import tiny

    doc = tiny(
        offers=[
            {
                "id": "c",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 1.0,
                "term_periods": 2,
            },
            {
                "id": "od",
                "provider": "azure",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 2.0,
            },
        ],
        demand={
            "classes": {"w": {"base": [1e6, 1e6], "volatility": 0.2, "growth_volatility": 0.1}}
        },
        periods=2,
        count=4,
        seed=3,
    )
    cat = shipped_catalog()
    spec = parse_scenario(yaml.safe_dump(doc, sort_keys=False), cat)
    seen: dict[str, list[np.ndarray]] = {"static": [], "rolling": []}
    realise = policy_eval._realise

    def spy(ctx: Any, policy: str, path: int, x: np.ndarray, ss: ScenarioSet) -> PathOutcome:
        seen[policy].append(ss.demand.values[:, :, 0].copy())
        return realise(ctx, policy, path, x, ss)

    monkeypatch.setattr(policy_eval, "_realise", spy)
    # the same seed as the planning samples: the paths must still be others
    evaluate_policies(spec, cat, ["static", "rolling"], 2, np.random.default_rng(3), "serial")
    assert len(seen["static"]) == 2
    for a, b in zip(seen["static"], seen["rolling"], strict=True):
        assert (a == b).all()
    planning = sample_scenarios(spec).demand.values
    for path in seen["static"]:
        assert not np.isclose(planning, path[:, :, None]).all(axis=(0, 1)).any()


def test_with_a_discount_rate_the_present_value_is_below_the_nominal_cost() -> None:
    # the same decisions at 8% a year (both offers are billed in the same quarters); PV by hand
    # with d_t = 1.08 ** (-t / 4): static 1,600 x 0.6k x (1 + d1 + d2), rolling 1,000 x 0.6k x
    # (1 + d1 + d2) plus 600 x 1.2k x (d1 + d2) in the high regime
    from dataclasses import replace

    cat = shipped_catalog()
    spec = load_scenario(TWO_REGIME, cat)
    spec = replace(spec, policy=replace(spec.policy, discount_rate=0.08))
    ev = evaluate_policies(spec, cat, ["static", "rolling"], 2, np.random.default_rng(7), "serial")
    d1, d2 = 1.08**-0.25, 1.08**-0.5
    for o in ev.outcomes:
        assert o.pv_usd < o.cost_usd
        assert sum(o.cost_by_period_usd) == pytest.approx(o.cost_usd, rel=1e-9)
        high = o.cost_usd > 3.0e6 if o.policy == "rolling" else False
        long = 1.6e3 if o.policy == "static" else 1.0e3
        pv = long * 600 * (1 + d1 + d2) + (600 * 1200 * (d1 + d2) if high else 0.0)
        assert o.pv_usd == pytest.approx(pv, rel=1e-6)
    assert ev.summary("static").cost_usd.mean == pytest.approx(2.88e6, rel=1e-6)
    assert ev.summary("rolling").cost_usd.mean == pytest.approx(2.52e6, rel=1e-6)
    assert ev.summary("rolling").pv_usd.mean < ev.summary("rolling").cost_usd.mean


def test_a_slip_shifts_the_realised_bill_and_the_term() -> None:
    # "c" always slips one quarter: signed in Q1 for 1,000 chips with a 2-quarter term, it
    # delivers and bills Q2-Q3 ($1.0M each); Q1 rents on demand ($2.0M). Nominal $4.0M.
    import yaml

    from computebroker.planner import parse_scenario
    from tests.planner.helpers import tiny

    doc = tiny(
        offers=[
            {
                "id": "c",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": 1.0,
                "term_periods": 2,
                "available_until": "2026Q1",
                "delivery_risk": {"slip_prob": 1.0, "slip_periods": 1},
            },
            {
                "id": "od",
                "provider": "azure",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": 2.0,
            },
        ],
        demand={"classes": {"w": {"base": [1e9, 1e9, 1e9]}}},
        periods=3,
        count=2,
    )
    cat = shipped_catalog()
    spec = parse_scenario(yaml.safe_dump(doc, sort_keys=False), cat)
    ev = evaluate_policies(spec, cat, ["static", "rolling"], 1, np.random.default_rng(1), "serial")
    for o in ev.outcomes:
        assert o.signed_chips[0, 0] == pytest.approx(1000, abs=1e-3)
        assert o.cost_by_period_usd == pytest.approx((2.0e6, 1.0e6, 1.0e6), rel=1e-6)
        assert o.obligations_usd == pytest.approx(2.0e6, rel=1e-6)  # whole term, from delivery
        assert o.vendor_spend_usd == pytest.approx({"aws": 2.0e6, "azure": 2.0e6}, rel=1e-6)


def test_adaptive_extends_every_per_offer_field() -> None:
    # a problem whose offer count (3) is no other dimension (periods 4, scenarios 5, one class
    # and one pool): every field with the offer axis first must be extended by _adaptive
    import dataclasses

    import yaml

    from computebroker.perf.matrix import throughput_matrix
    from computebroker.planner import parse_scenario
    from computebroker.planner.problem import build_problem
    from computebroker.planner.rolling import PER_OFFER_FIELDS, _adaptive
    from computebroker.planner.sampling import sample_scenarios
    from tests.planner.helpers import tiny

    def offer(oid: str, **kw: Any) -> dict[str, Any]:
        return {"id": oid, "provider": "aws", "accelerator": "h100", "price_chip_hour": 1.0, **kw}

    doc = tiny(
        offers=[
            offer("a", contract="commit-1y", term_periods=2),
            offer("b", contract="commit-1y", term_periods=3),
            offer("c", contract="commit-1y", term_periods=1, lead_periods=1),
            offer("od", contract="on-demand", price_chip_hour=2.0),
        ],
        demand={"classes": {"w": {"base": [1e9] * 4, "volatility": 0.2}}},
        periods=4,
        count=5,
    )
    cat = shipped_catalog()
    spec = parse_scenario(yaml.safe_dump(doc, sort_keys=False), cat)
    matrix = throughput_matrix(spec.workloads, cat, ["h100"])
    p = build_problem(spec, matrix, sample_scenarios(spec), cat)
    C = len(p.commit)
    assert C == 3 and p.n_periods == 4 and p.n_scenarios == 5
    per_offer = {
        f.name
        for f in dataclasses.fields(p)
        if isinstance(getattr(p, f.name), tuple | np.ndarray) and len(getattr(p, f.name)) == C
    }
    assert per_offer == set(PER_OFFER_FIELDS)
    q = _adaptive(p, 1)
    for name in PER_OFFER_FIELDS:
        assert len(getattr(q, name)) == C + 3 * 5, name  # 3 offers can start later, 5 scenarios
