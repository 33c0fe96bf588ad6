"""Persistent store (SQLAlchemy 2 + alembic): teams, tokens, scenarios, offers and jobs.

``db.open_store(url)`` opens (and migrates) SQLite by default or PostgreSQL; ``repo`` holds the
team-scoped queries the service uses; ``queue`` the job queue its workers claim from.
"""

from computebroker.store.db import close_store, connect_store, default_url, migrate, open_store

__all__ = ["close_store", "connect_store", "default_url", "migrate", "open_store"]
