"""Every total on screen is the visible sum of its labelled parts, and the headline states what
is signed (on the reduced frontier-lab run shared with the pipeline tests)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from computebroker.reports.html import money
from computebroker.reports.run import (
    plan_percentile,
    signed_obligations,
    verdict_rows,
    verdict_text,
)
from computebroker.workflow import RunResult


def _usd(text: str) -> float:
    """Parse what ``money`` prints ($1.23B, $45.6M, $789)."""
    m = re.fullmatch(r"(-?)\$([\d,.]+)([BMK]?)", text.strip())
    assert m, text
    scale = {"B": 1e9, "M": 1e6, "K": 1e3, "": 1.0}[m.group(3)]
    return (-1 if m.group(1) else 1) * float(m.group(2).replace(",", "")) * scale


def _resolution(text: str) -> float:
    """Half a unit of the last printed digit."""
    number = re.sub(r"[^\d.]", "", text)
    decimals = len(number.split(".")[1]) if "." in number else 0
    scale = {"B": 1e9, "M": 1e6, "K": 1e3}.get(text.strip()[-1], 1.0)
    return 0.5 * 10.0**-decimals * scale


def test_realised_cost_is_the_visible_sum_of_its_parts(small_run: Any) -> None:
    run: RunResult = small_run
    for row, case in zip(verdict_rows(run), run.cases, strict=True):
        parts = ["spend in horizon", "+ shortfall penalty", "+ after horizon"]
        shown = sum(_usd(row[k]) for k in parts)
        slack = sum(_resolution(row[k]) for k in [*parts, "= realised cost"])
        assert shown == pytest.approx(_usd(row["= realised cost"]), abs=slack), row
        z = case.realised
        assert z.total_usd == pytest.approx(z.spend_usd + z.penalty_usd + z.post_horizon_usd)


def test_headline_states_signed_obligations_and_what_falls_after(small_run: Any) -> None:
    run: RunResult = small_run
    tcv, after = signed_obligations(run)
    rows = run.document.planned("plan.json").commitments  # what plan.json says was signed
    assert tcv == pytest.approx(sum(c.obligation_usd for c in rows))
    assert after == pytest.approx(sum(c.after_horizon_usd for c in rows))
    assert 0 <= after <= tcv
    text = verdict_text(run)
    assert f"signs {money(tcv)} of contracts" in text
    # what is due in the horizon + what falls after = what is signed, both on screen
    assert f"{money(tcv - after)} due in" in text and f"{money(after)} after it" in text
    base = run.cases[0].realised
    assert (
        f"{money(base.spend_usd)} spend + {money(base.penalty_usd)} shortfall penalty + "
        f"{money(base.post_horizon_usd)} after the horizon" in text
    )
    assert "within plan range" not in text.lower() and "scenario range" not in text


def test_percentile_is_where_the_cost_falls_in_the_plan(small_run: Any) -> None:
    run: RunResult = small_run
    costs = sorted(run.plan.cost_nominal * 1e6)  # realised totals are nominal
    assert plan_percentile(run, costs[0] - 1) == 0.0
    assert plan_percentile(run, costs[-1]) == pytest.approx(1.0)
    mid = costs[len(costs) // 2]
    assert 0.0 < plan_percentile(run, mid) < 1.0
    for row, c in zip(verdict_rows(run), run.cases, strict=True):
        assert row["percentile in plan"].startswith(
            str(round(plan_percentile(run, c.realised.total_usd) * 100))
        )


def test_a_stress_cheaper_than_the_base_is_explained(small_run: Any) -> None:
    run: RunResult = small_run
    base = run.cases[0].realised.total_usd
    text = verdict_text(run)
    for c in run.cases[1:]:
        said = f"Stress '{c.name}'"
        sentence = text[text.index(said) :].split("Stress '")[1]
        explained = (
            "cheaper than the plan as drawn" in sentence
            or "the same as the plan as drawn" in sentence
        )
        assert explained == (c.realised.total_usd < base), sentence
    assert "$-" not in text  # a difference is said in words, never as a negative amount


def test_piped_tables_honour_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    from computebroker.cli.output import PIPE_COLUMNS, make_console

    monkeypatch.delenv("COLUMNS", raising=False)
    assert make_console().width == PIPE_COLUMNS == 120
    monkeypatch.setenv("COLUMNS", "90")
    assert make_console().width == 90


def test_utilisation_of_committed_and_rented_capacity_reported_apart(small_run: Any) -> None:
    run: RunResult = small_run
    st, r = run.cases[0].state, run.cases[0].report
    committed = [k for k, p in enumerate(st.pools) if p.committed]
    rented = [k for k, p in enumerate(st.pools) if not p.committed]
    assert committed and rented
    busy_c = sum(st.busy_chip_s[k] for k in committed)
    cap_c = sum(st.capacity_chip_s[k] for k in committed)
    assert r.utilisation_committed == pytest.approx(busy_c / cap_c)
    busy_r = sum(st.busy_chip_s[k] for k in rented)
    cap_r = sum(st.capacity_chip_s[k] for k in rented)
    assert r.utilisation_rented == pytest.approx(busy_r / cap_r)
    # the all-pools figure is their capacity-weighted mean, so it is never reported alone
    assert r.utilisation == pytest.approx((busy_c + busy_r) / (cap_c + cap_r))
    row = verdict_rows(run)[0]
    assert row["util. committed"] == f"{r.utilisation_committed:.0%}"


def test_jct_curve_is_training_jobs_only(small_run: Any) -> None:
    from computebroker.reports.sim import fig_jct_cdf
    from computebroker.scheduler.types import JobKind

    st = small_run.cases[0].state
    train = [x.jct for x in st.records if x.jct is not None and x.kind is JobKind.TRAIN]
    services = [x for x in st.records if x.kind is JobKind.SERVE]
    assert services
    fig = fig_jct_cdf(st)
    assert len(fig.data[0].x) == len(train)
    assert max(fig.data[0].x) == pytest.approx(max(train) / 3600.0)


def test_estimate_train_shows_the_obligation_a_commitment_rate_requires(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from computebroker.cli.app import run as cli_run

    code = cli_run(
        ["estimate", "train", "-m", "llama3.1-70b", "-a", "h100", "--chips", "4096",
         "--tokens", "15e12", "-f", "json"]
    )  # fmt: skip
    assert code == 0
    rec = json.loads(capsys.readouterr().out)
    chips = rec["chips"]
    terms = {"commit-1y": 12, "commit-3y": 36}
    for c in rec["costs"]:
        if c["contract"] in terms:
            whole_term = c["price_chip_hour"] * chips * terms[c["contract"]] * 730
            assert c["obligation_usd"] == pytest.approx(max(whole_term, c["cost_usd"]), rel=1e-3)
            assert c["obligation_usd"] > c["cost_usd"]  # a 46-day job does not end a 1-3 y term
        elif c["contract"] in ("on-demand", "spot"):
            assert c["obligation_usd"] == pytest.approx(c["cost_usd"])


def test_report_tables_speak_human() -> None:
    from computebroker.reports.html import table_html

    html = table_html(
        [{"obligation_usd": 2.5e9, "unmet_share": 0.0123, "existing": True, "cost_usd": -0.2}]
    )
    assert "obligation ($)" in html and "obligation_usd" not in html
    assert "$2.50B" in html and "1.2%" in html and "yes" in html
    assert "$-0" not in html and "-$0" not in html and "$0" in html


def test_no_infinite_or_negative_zero_dollars() -> None:
    from computebroker.cli.output import fmt_usd

    assert money(float("inf")) == "—" and money(float("nan")) == "—"
    assert money(-0.3) == "$0" and fmt_usd(-0.3) == "$0" and fmt_usd(float("inf")) == "—"


def test_cost_histogram_labels_do_not_overlap(small_run: Any) -> None:
    from computebroker.reports.plan_figures import fig_cost_distribution, fig_demand_fan

    fig = fig_cost_distribution(small_run.plan, small_run.metrics)
    shifts = [a.yshift or 0 for a in fig.layout.annotations]
    assert len(shifts) == 3 and len(set(shifts)) == 3
    fan = fig_demand_fan(small_run.plan)
    assert all(fan.layout[k].title.text in (None, "") for k in fan.layout if k.startswith("yaxis"))
