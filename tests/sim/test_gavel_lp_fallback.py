"""Gavel's max-min LP in ``--rounds gavel`` (``gavel_rounds``): when HiGHS's interior point
stops short of an optimum, a simplex vertex answers; when nothing does, a ``SolverError``
names the LP (it used to read whatever values HiGHS held)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from computebroker import solvers
from computebroker.errors import SolverError
from computebroker.sim.gavel_rounds import gavel_perf_shares

RATES = np.array([[2.0, 1.0], [1.0, 2.0]])  # each job twice as fast on its own pool


def _limited(*, ipm: bool, simplex: bool) -> Any:
    """``new_highs`` with an iteration limit of 0 on the attempts asked to fail."""
    real = solvers.new_highs

    def make(**options: Any) -> Any:
        h = real(**options)
        if (options.get("solver") == "ipm" and ipm) or (
            options.get("solver") == "simplex" and simplex
        ):
            h.setOptionValue("ipm_iteration_limit", 0)
            h.setOptionValue("simplex_iteration_limit", 0)
        return h

    return make


def test_a_simplex_vertex_answers_when_the_interior_point_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solvers, "new_highs", _limited(ipm=True, simplex=False))
    x = gavel_perf_shares(RATES, np.ones(2), np.ones(2), np.array([1.0, 1.0]))
    # by hand: each job on its own fast pool all the time is the only optimum
    assert x.round(6).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_no_answer_is_an_error_naming_the_lp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solvers, "new_highs", _limited(ipm=True, simplex=True))
    with pytest.raises(SolverError, match="Gavel's max-min LP \\(2 jobs, 2 pools\\)"):
        gavel_perf_shares(RATES, np.ones(2), np.ones(2), np.array([1.0, 1.0]))
