"""The hostile inputs of edges.py (other commands, absurd sizes, unicode, CSV cells) through
the real CLI entry point, with the corpus runner's checks (test_corpus.check_case)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from computebroker.cli.app import run
from tests.hostile.corpus import FAST_PLAN, SCENARIO, Case
from tests.hostile.edges import EDGE_CASES
from tests.hostile.test_corpus import Check, check_case


@pytest.mark.parametrize("case", EDGE_CASES, ids=[c.id for c in EDGE_CASES])
def test_edge_input(case: Case, check: Check) -> None:
    check(case)


# --- a real plan.json, one field made hostile, through place and export ---------------------------

_PLAN_MUTATIONS: dict[str, tuple[str, str, object, tuple[str, ...]]] = {
    # id: (section, key, value, words the message must contain)
    "chips-tera": ("commitments", "chips", 1e12, ("commitments[0].chips",)),
    "chips-negative": ("commitments", "chips", -5, ("commitments[0].chips",)),
    "term-tera": ("commitments", "term_periods", 10**12, ("commitments[0].term_periods",)),
    "start-index-negative": ("commitments", "start_index", -1, ("commitments[0].start_index",)),
    "offer-max-chips-tera": ("offers", "max_chips", 1e12, ("offers[0].max_chips",)),
    "hours-1e300": ("horizon", "hours_per_period", 1e300, ("horizon.hours_per_period",)),
    # found by fuzz2 (every leaf of a real plan.json replaced by 11 hostile values, 1,793
    # documents through export kueue): no period at all was 'internal error: IndexError'
    "periods-empty": ("horizon", "periods", [], ("horizon.periods",)),
}


@pytest.fixture(scope="module")
def plan_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("plan")
    (d / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    code = run(["plan", str(d / "s.yaml"), *FAST_PLAN, "-o", str(d / "out")])
    assert code == 0
    doc: dict[str, Any] = json.loads((d / "out" / "plan.json").read_text(encoding="utf-8"))
    assert doc["commitments"], "the tiny scenario signs something"
    return doc


@pytest.mark.parametrize("reader", ["place", "export"])
@pytest.mark.parametrize("mutation", sorted(_PLAN_MUTATIONS))
def test_hostile_field_of_a_real_plan(
    mutation: str,
    reader: str,
    plan_json: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    section, key, value, expect = _PLAN_MUTATIONS[mutation]
    doc = copy.deepcopy(plan_json)
    target = doc[section][0] if isinstance(doc[section], list) else doc[section]
    target[key] = value
    argv = {
        "place": ("place", "h100:8", "--plan", "{d}/plan.json"),
        "export": ("export", "kueue", "{d}/plan.json", "-o", "{d}/o"),
    }[reader]
    case = Case(
        id=f"{reader}-{mutation}", argv=argv, files={"plan.json": json.dumps(doc)}, expect=expect
    )
    check_case(case, tmp_path, capsys, monkeypatch)


def test_signed_commitment_of_an_offer_the_scenario_lost(
    plan_json: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Re-planning from a plan whose signed commitment's offer is no longer in the scenario:
    the contract was dropped silently (exit 0, found by fuzz2); now refused, naming it."""
    offer = plan_json["commitments"][0]["offer"]
    case = Case(
        id="signed-offer-gone",
        argv=("plan", "{d}/s.yaml", *FAST_PLAN, "--as-of", "2026Q4", "--signed", "{d}/p.json"),
        files={
            "p.json": json.dumps(plan_json),
            "s.yaml": SCENARIO.replace(f"id: {offer},", f"id: {offer}-renamed,"),
        },
        expect=("p.json", "commitments[0].offer", f"no commitment offer {offer!r}"),
    )
    check_case(case, tmp_path, capsys, monkeypatch)
