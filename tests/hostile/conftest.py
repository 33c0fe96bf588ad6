"""The corpus runner as a fixture: ``check(case)`` runs a case through the CLI in the test's
own folder with test_corpus.check_case's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.test_corpus import Check, check_case


@pytest.fixture
def check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Check:
    return lambda case: check_case(case, tmp_path, capsys, monkeypatch)
