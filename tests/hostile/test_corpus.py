"""Every hostile input of the corpus through the real CLI entry point (``cli.app.run``).

For each case: the exit code is the expected one (2 for bad input), the message names the file
or flag and says what was wrong, no exception escapes (``CB_DEBUG=1`` makes the CLI re-raise
anything unexpected, so a traceback fails the test instead of being hidden), no input file is
changed, nothing half-written is left, and it finishes within seconds.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from computebroker.cli.app import run
from tests.hostile.corpus import CASES, Case

Check = Callable[[Case], None]  # the ``check`` fixture (conftest.py): check_case in a test's folder

SECONDS = 20.0  # generous for 2 shared cores; a refused input takes milliseconds


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, check: Check) -> None:
    check(case)


def check_case(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run ``case`` through the CLI in ``tmp_path`` and check what it must answer."""
    monkeypatch.setenv("CB_DEBUG", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, case.files)
    before = _snapshot(tmp_path)
    argv = [a.replace("{d}", str(tmp_path)) for a in case.argv]
    started = time.perf_counter()
    code = run(argv)
    elapsed = time.perf_counter() - started
    out = capsys.readouterr()
    err = out.err.lower()
    assert code == case.code, (
        f"exit {code}, expected {case.code}\nstderr: {out.err}\nstdout: {out.out[-2000:]}"
    )
    assert "traceback" not in err, out.err
    after = _snapshot(tmp_path)
    changed = [k for k in before if before[k] != after.get(k)]
    assert not changed, f"input files changed: {changed}"
    if case.code != 0:
        # nothing written on a refusal (no report, no half-written temp file)
        assert set(after) == set(before), f"files left behind: {set(after) - set(before)}"
        for word in case.expect:
            assert word.lower() in " ".join(err.split()), f"{word!r} not in: {out.err}"
        if case.names_file and case.files:
            first = next(iter(case.files)).split("/")[0]
            assert first.lower() in err, f"message does not name {first}: {out.err}"
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
