"""Calendar feed token: the hash of the secret in a person's private feed URL.

SQLite adds and drops the column in place (ALTER TABLE, SQLite 3.35 or newer), never by
rebuilding `users`: a rebuild drops the old table, and with foreign keys on that would
cascade into every table that references users.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:33:53.517042
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_users_calendar_token_hash"), ["calendar_token_hash"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_calendar_token_hash"))
        batch_op.drop_column("calendar_token_hash")
