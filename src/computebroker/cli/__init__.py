"""The ``computebroker`` command line: thin commands over the library functions.

Errors are reported once, here: an :class:`~computebroker.errors.InputError` prints its issues
(file, line, field, expected) and exits with code 2; other computebroker errors exit with 1.
"""

from __future__ import annotations

import sys

from computebroker.cli.app import app, run

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
