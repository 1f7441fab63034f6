"""The outbox's Message-ID is no longer stored: the worker makes it from the row's id and host.

A queued message needed the application's address to be written only for its Message-ID;
now `library.notify.outbox.message_id` gives the same one at every try. SQLite rebuilds
`outbox` to drop the column and its unique constraint; no table references `outbox`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_message_id"), type_="unique")
        batch_op.drop_column("message_id")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=200), nullable=True))
    op.execute("UPDATE outbox SET message_id = '<outbox-' || id || '@library.invalid>'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_message_id"), ["message_id"])
