"""Writing results: every file is written atomically (temp file in the same folder, then rename).

A crash or a bad input never leaves a half-written report, plan or CSV behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

__all__ = ["write_atomic", "write_json_atomic", "write_text_atomic"]


def write_atomic(path: Path | str, write: Callable[[TextIO], None]) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``path`` and rename it into place.

    A ``path`` that is a device, a pipe or a socket (``/dev/null``, ``/dev/stdout``, a FIFO)
    is written to as it is: renaming a file onto it would replace it (as root, ``/dev/null``
    itself became a regular file), and there is no half-written file to spare there.
    """
    target = Path(path)
    if target.exists() and not target.is_file() and not target.is_dir():
        with open(target, "w", encoding="utf-8", newline="") as fh:
            write(fh)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""

    def write(fh: TextIO) -> None:
        fh.write(text)

    return write_atomic(path, write)


def write_json_atomic(path: Path | str, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically."""
    return write_text_atomic(path, json.dumps(data, indent=2, default=str) + "\n")
