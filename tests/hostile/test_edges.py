"""The hostile inputs of edges.py (other commands, absurd sizes, unicode, CSV cells) through
the real CLI entry point, with the corpus runner's checks (test_corpus.check_case)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.corpus import Case
from tests.hostile.edges import EDGE_CASES
from tests.hostile.test_corpus import check_case


@pytest.mark.parametrize("case", EDGE_CASES, ids=[c.id for c in EDGE_CASES])
def test_edge_input(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check_case(case, tmp_path, capsys, monkeypatch)
