"""Atomic outputs: complete or absent, never half-written; usual file permissions."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import TextIO

import pytest

from computebroker.outputs import write_atomic, write_json_atomic


def test_failure_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    write_json_atomic(target, {"a": 1})

    def boom(fh: TextIO) -> None:
        fh.write('{"half": ')
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        write_atomic(target, boom)
    assert target.read_text() == '{\n  "a": 1\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_permissions_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_json_atomic(tmp_path / "sub" / "x.json", [1, 2])
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_pipe_is_written_to_not_replaced(tmp_path: Path) -> None:
    # a FIFO stands for /dev/null and /dev/stdout: renaming the temp file onto it would
    # replace it with a regular file (run as root, `--save-trace /dev/null` did that to
    # /dev/null)
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    write_json_atomic(fifo, {"a": 1})
    reader.join(timeout=10)
    assert got == ['{\n  "a": 1\n}\n']
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
