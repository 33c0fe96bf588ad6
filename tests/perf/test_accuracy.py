"""Golden: leave-one-publication-out (LOPO) accuracy of the training model, and its documents.

The gates are on predictions of runs the fit did not see: every publication (one source
document) is held out in turn, the parameters are refitted on the others, and its runs are
predicted (computebroker.perf.evaluation). The in-sample number is reported as the fit residual
and is not gated as an accuracy.
"""

from __future__ import annotations

from pathlib import Path

from computebroker.perf.accuracy_report import DOC_PATH, accuracy_markdown, uncertainty_csv
from computebroker.perf.evaluation import shipped_evaluation

ROOT = Path(__file__).resolve().parents[2]
EV = shipped_evaluation()


def test_runs_are_grouped_by_publication() -> None:
    pubs = EV.publications
    assert len(pubs) >= 8
    # One key per document: the Megatron-LM paper's two tables are one publication.
    assert {h.run.id.split("-")[0] for h in pubs["narayanan2021-megatron-lm"]} == {"narayanan21"}
    assert len(pubs["narayanan2021-megatron-lm"]) == 22


def test_lopo_median_at_most_12_percent() -> None:
    s = EV.lopo()
    assert s.runs == len(EV.held_out)
    assert s.median <= 0.12, f"LOPO median |error| {s.median:.1%}"


def test_lopo_p90_at_most_35_percent() -> None:
    s = EV.lopo()
    assert s.p90 <= 0.35, f"LOPO p90 |error| {s.p90:.1%}"


def test_chip_absent_subset_is_reported() -> None:
    s = EV.lopo(chip_seen=False)
    assert s.runs >= 5  # TPU v4/v5e/v5p and the Blackwell chips are each in one publication


def test_never_validates_on_a_fitted_row() -> None:
    # The held-out prediction differs from the in-sample fit on (nearly) every run.
    same = [h.run.id for h in EV.held_out if abs(h.error - h.fit_residual) < 1e-9]
    assert len(same) <= len(EV.held_out) // 10, same


def test_accuracy_doc_is_current() -> None:
    text = (ROOT / DOC_PATH).read_text()
    assert text == accuracy_markdown(EV), "run scripts/calibrate_perf.py"
    assert "fit residual" in text and "LOPO" in text


def test_uncertainty_table_is_current() -> None:
    path = ROOT / "src" / "computebroker" / "perf" / "data" / "uncertainty.csv"
    assert path.read_text() == uncertainty_csv(EV), "run scripts/calibrate_perf.py"


def test_moe_holdout_is_never_fitted_and_sets_the_moe_band() -> None:
    from computebroker.perf.hardware import efficiency_table
    from computebroker.perf.uncertainty import band_for
    from computebroker.perf.validation import holdout_runs

    fitted_ids = {i for e in efficiency_table().values() for i in e.fitted_on.split(";")}
    assert EV.holdout and not fitted_ids & {r.id for r in holdout_runs()}
    assert all(e.predicted is not None for e in EV.holdout)
    h100 = efficiency_table()["h100"]
    dense = band_for(h100, "nvidia", "megatron-core")
    moe = band_for(h100, "nvidia", "megatron-core", moe=True)
    assert moe.rel > dense.rel
