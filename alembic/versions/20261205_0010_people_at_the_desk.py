"""People at the desk: a library card number per account and a binding birth date.

`users.library_card` is unique through a unique index (stored trimmed and upper-case, so equal
cards collide); `users.birth_date_verified_at` marks a birth date that only staff may change.
Both are added in place (recreate="never"), never by rebuilding `users`: see 0003.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("library_card", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("birth_date_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("uq_users_library_card", "users", ["library_card"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_library_card", table_name="users")
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("birth_date_verified_at")
        batch_op.drop_column("library_card")
