"""Check (4): with whole blocks (--milp), a tiny instance matches brute-force enumeration of the
integer commitments, each scored with an independent closed-form recourse."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from computebroker.planner import PlanOptions, solve_plan
from tests.planner.helpers import HOURS, problem_of, tiny

BLOCK = 64  # chips per block
TPH = {"h100": 1000.0, "b200": 2200.0}  # tokens per chip-hour
PRICE = {"a": 1.75, "b": 4.0}  # commitments, USD per chip-hour
OD_PRICE, OD_CAP = 6.0, 100  # on-demand H100: price and chips available
PENALTY = 0.02  # USD per unmet token (20 $/chip-hour of H100 work)
DEMAND = [150e6, 310e6, 520e6, 700e6, 905e6]  # tokens in the period, equally likely


def doc() -> dict:  # type: ignore[type-arg]
    return tiny(
        throughput=TPH,
        offers=[
            {
                "id": "a",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "commit-1y",
                "price_chip_hour": PRICE["a"],
                "term_periods": 1,
                "block_chips": BLOCK,
                "max_chips": 8 * BLOCK,
            },
            {
                "id": "b",
                "provider": "azure",
                "accelerator": "b200",
                "contract": "commit-1y",
                "price_chip_hour": PRICE["b"],
                "term_periods": 1,
                "block_chips": BLOCK,
                "max_chips": 8 * BLOCK,
            },
            {
                "id": "od",
                "provider": "aws",
                "accelerator": "h100",
                "contract": "on-demand",
                "price_chip_hour": OD_PRICE,
                "max_chips": OD_CAP,
            },
        ],
        demand={"scenarios": [{"w": [d]} for d in DEMAND]},
        policy={"shortfall_penalty": {"usd_per_unit": {"w": PENALTY}}},
    )


def brute_force() -> tuple[float, tuple[int, int]]:
    """min over whole blocks of E[commit + on-demand + penalty], recourse greedy by unit cost."""
    od_per_token = OD_PRICE / TPH["h100"]  # 0.006 < PENALTY: use on-demand first
    best = (np.inf, (0, 0))
    for na, nb in itertools.product(range(9), range(9)):
        chips_a, chips_b = na * BLOCK, nb * BLOCK
        commit = (chips_a * PRICE["a"] + chips_b * PRICE["b"]) * HOURS
        cap = (chips_a * TPH["h100"] + chips_b * TPH["b200"]) * HOURS
        rec = 0.0
        for d in DEMAND:
            gap = max(0.0, d - cap)
            od = min(gap, OD_CAP * TPH["h100"] * HOURS)
            rec += (od * od_per_token + (gap - od) * PENALTY) / len(DEMAND)
        total = commit + rec
        if total < best[0] - 1e-6:
            best = (total, (na, nb))
    return best


def test_milp_matches_enumeration() -> None:
    cost, (na, nb) = brute_force()
    p = problem_of(doc())
    res = solve_plan(p, PlanOptions(milp=True, mip_gap=0.0))
    assert res.plan is not None
    chips = res.plan.x[:, 0] * 1000.0
    assert chips == pytest.approx([na * BLOCK, nb * BLOCK], abs=1e-4)
    assert float(res.plan.cost @ p.prob) * 1e6 == pytest.approx(cost, rel=1e-7)


def test_lp_relaxation_is_no_dearer_and_usually_fractional() -> None:
    cost, _ = brute_force()
    p = problem_of(doc())
    res = solve_plan(p, PlanOptions(milp=False))
    assert res.plan is not None
    assert float(res.plan.cost @ p.prob) * 1e6 <= cost + 1e-3
    blocks = res.plan.x[:, 0] * 1000.0 / BLOCK
    assert not np.allclose(blocks, np.round(blocks))  # the instance is one where blocks matter
