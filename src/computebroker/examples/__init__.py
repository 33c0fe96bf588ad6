"""Bundled example inputs (also reachable as ``examples/`` at the repository root)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXAMPLES", "example_path"]

EXAMPLES = Path(__file__).parent


def example_path(name: str) -> Path:
    """Path of a bundled example file, e.g. ``example_path("frontier-lab.yaml")``."""
    return EXAMPLES / name
