"""Opening the store: an engine for a URL (SQLite in the user's data directory by default,
PostgreSQL via ``postgresql+psycopg://...``) with the schema migrated to the newest version."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["close_store", "connect_store", "default_url", "migrate", "open_store"]

MIGRATIONS = Path(__file__).with_name("migrations")


def default_url() -> str:
    """SQLite in ``$XDG_DATA_HOME/computebroker`` (``~/.local/share/computebroker``)."""
    base = (
        Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "computebroker"
    )
    base.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{base / 'broker.db'}"


def migrate(engine: Engine) -> None:
    """Apply every migration not yet applied (alembic, on this engine's connection)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_store(url: str | None = None) -> sessionmaker[Session]:
    """A session factory on a migrated database."""
    factory = connect_store(url)
    bind = factory.kw["bind"]
    migrate(bind)
    return factory


def connect_store(url: str | None = None) -> sessionmaker[Session]:
    """A session factory on a database already migrated (a worker's job process)."""
    url = url or default_url()
    sqlite = url.startswith("sqlite")
    # several processes write one SQLite file: a writer waits for the lock up to 30 s
    engine = create_engine(
        url, future=True, pool_pre_ping=True, connect_args={"timeout": 30} if sqlite else {}
    )
    if sqlite:

        @event.listens_for(engine, "connect")
        def _fk(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return sessionmaker(engine, expire_on_commit=False)


def close_store(factory: sessionmaker[Session]) -> None:
    """Close the store's connections (its engine's pool)."""
    bind = factory.kw.get("bind")
    if bind is not None:
        bind.dispose()
