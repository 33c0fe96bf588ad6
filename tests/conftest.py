"""Shared fixtures. Tiers are explained in tests/README.md."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture
def artifacts_dir() -> Path:
    d = REPO / "tests" / "artifacts"
    d.mkdir(parents=True, exist_ok=True)
    return d


REQUIRE_SERVICES = os.environ.get("CB_REQUIRE_SERVICES") == "1"


def need_service(available: bool, reason: str) -> None:
    """Skip with ``reason`` when a system service is missing; in CI (CB_REQUIRE_SERVICES=1),
    where .ci/run installs it, fail instead."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CB_REQUIRE_SERVICES=1: .ci/run should have installed it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def small_run() -> object:
    """The whole pipeline on the frontier-lab example, reduced (30 planning scenarios, no
    frontier or out-of-sample): shared by the pipeline and browser tests."""
    from computebroker.catalog import shipped_catalog
    from computebroker.examples import example_path
    from computebroker.planner import load_scenario
    from computebroker.workflow import RunOptions, run_pipeline

    cat = shipped_catalog()
    spec = load_scenario(example_path("frontier-lab.yaml"), cat)
    return run_pipeline(spec, cat, RunOptions(scenarios=30, out_of_sample=0, frontier=False))


POSTGRES_URL = os.environ.get("CB_TEST_POSTGRES_URL")


def fresh_store_url(kind: str, folder: Path) -> str:
    """An empty store: SQLite in ``folder``, or the PostgreSQL server named by
    CB_TEST_POSTGRES_URL (which .ci/run starts) wiped (skipped without one, a failure when
    CB_REQUIRE_SERVICES=1)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'broker.db'}"
    need_service(
        POSTGRES_URL is not None,
        "no PostgreSQL server (set CB_TEST_POSTGRES_URL; .ci/run starts one)",
    )
    assert POSTGRES_URL is not None
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store URL for each test, on SQLite and on PostgreSQL."""
    return fresh_store_url(request.param, tmp_path)
