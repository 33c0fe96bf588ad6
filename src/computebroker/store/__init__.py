"""Persistent store (SQLAlchemy 2 + alembic): teams, tokens, scenarios, offers and jobs.

``db.open_store(url)`` opens (and migrates) SQLite by default or PostgreSQL; ``repo`` holds the
team-scoped queries the service uses.
"""

from computebroker.store.db import close_store, default_url, migrate, open_store

__all__ = ["close_store", "default_url", "migrate", "open_store"]
