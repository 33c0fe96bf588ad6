"""The job runner's leases (attempts, lease owner and expiry, cancel requested) on jobs, and token
names and expiry."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as b:
        b.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        b.add_column(sa.Column("lease_owner", sa.String(64), nullable=True))
        b.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        b.add_column(
            sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_index("ix_jobs_status_created", "jobs", ["status", "created_at"])
    with op.batch_alter_table("api_tokens") as b:
        b.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("name", sa.String(100), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as b:
        b.drop_column("name")
        b.drop_column("expires_at")
    op.drop_index("ix_jobs_status_created", "jobs")
    with op.batch_alter_table("jobs") as b:
        for col in ("cancel_requested", "lease_until", "lease_owner", "attempts"):
            b.drop_column(col)
