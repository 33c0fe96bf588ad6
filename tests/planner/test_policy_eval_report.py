"""The evaluation report shows both policies side by side with their intervals, and the
intervals are the ones computed by hand from the path costs.

Two-regime example (tests/planner/data/two-regime.yaml, undiscounted), 4 paths, two of each
regime (systematic sampling on two equal rows). Path costs, by hand (test_rolling.py):
static $2.88M on every path; rolling $1.8M on a low path, $3.24M on a high one.

rolling: mean 2.52M; deviations +-0.72M, sample sd = 0.72M x sqrt(4/3) = 0.8314M; 95% half-width
1.96 x 0.8314M / sqrt(4) = 0.8148M: 1.7052M .. 3.3348M; p5 and p95 (linear interpolation on
[1.8, 1.8, 3.24, 3.24]) are 1.8M and 3.24M. static: no spread, 2.88M .. 2.88M. Value of
flexibility per path 2.88 - 1.8 = 1.08M or 2.88 - 3.24 = -0.36M: mean 0.36M, the same sd, so
-0.4548M .. 1.1748M. Contract value signed equals the cost here (no rentals, no penalty):
static 1,600 x $0.6 x 3,000 h = 2.88M; rolling 1.8M, or 1.8M + 600 x $1.2 x 2,000 h = 3.24M.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from computebroker.catalog import shipped_catalog
from computebroker.planner import load_scenario
from computebroker.planner.policy_eval import Evaluation, Interval, evaluate_policies
from computebroker.reports.evaluate import add_evaluation_sections, side_by_side, usd
from computebroker.reports.html import HtmlReport

TWO_REGIME = Path(__file__).parent / "data" / "two-regime.yaml"
HALF = 1.96 * 0.72e6 * math.sqrt(4 / 3) / math.sqrt(4)  # 95% half-width of the rolling mean


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    cat = shipped_catalog()
    spec = load_scenario(TWO_REGIME, cat)
    return evaluate_policies(
        spec, cat, ["static", "rolling"], 4, np.random.default_rng(7), "serial"
    )


def _is(i: Interval | None, mean: float, low: float, high: float, p05: float, p95: float) -> None:
    assert i is not None
    got = (i.mean, i.low, i.high, i.p05, i.p95)
    assert got == pytest.approx((mean, low, high, p05, p95), rel=1e-6, abs=1e-3)


def test_the_intervals_are_the_hand_computed_ones(evaluation: Evaluation) -> None:
    assert abs(HALF - 0.8148e6) < 100  # the figure in the docstring
    rolling, static = evaluation.summary("rolling"), evaluation.summary("static")
    _is(rolling.cost_usd, 2.52e6, 2.52e6 - HALF, 2.52e6 + HALF, 1.8e6, 3.24e6)
    _is(static.cost_usd, 2.88e6, 2.88e6, 2.88e6, 2.88e6, 2.88e6)
    _is(evaluation.value_of_flexibility_usd, 0.36e6, 0.36e6 - HALF, 0.36e6 + HALF, -0.36e6, 1.08e6)
    _is(rolling.obligations_usd, 2.52e6, 2.52e6 - HALF, 2.52e6 + HALF, 1.8e6, 3.24e6)
    _is(rolling.pv_usd, 2.52e6, 2.52e6 - HALF, 2.52e6 + HALF, 1.8e6, 3.24e6)  # rate 0
    _is(static.unmet["w"], 0.0, 0.0, 0.0, 0.0, 0.0)


def test_the_report_shows_both_policies_side_by_side_with_their_intervals(
    evaluation: Evaluation,
) -> None:
    rows = side_by_side(evaluation)
    assert list(rows[0]) == ["measure", "static", "rolling", "static - rolling"]
    by = {r["measure"]: r for r in rows}
    cost = by["expected cost, nominal (95% CI)"]
    assert cost["static"] == "$2.9M ($2.9M .. $2.9M)"
    assert cost["rolling"] == "$2.5M ($1.7M .. $3.3M)"
    assert cost["static - rolling"] == f"$360,000 (-{usd(HALF - 0.36e6)} .. $1.2M)"
    assert cost["static - rolling"].startswith("$360,000 (-$454,7")
    assert by["cost p5 .. p95"]["rolling"] == "$1.8M .. $3.2M"
    assert by["contract value signed (95% CI)"]["rolling"] == "$2.5M ($1.7M .. $3.3M)"
    assert by["unmet work: w (95% CI)"]["static"] == "0 (0 .. 0)"
    page = HtmlReport(title="t")
    add_evaluation_sections(page, evaluation)
    html = page.render()
    for cell in (cost["static"], cost["rolling"], cost["static - rolling"]):
        assert cell.replace("&", "&amp;") in html
