"""Statistics roll-up: `stats_resource_days` and `stats_rolled_through`.

Per resource and closed local day the booked and used minutes, bookings, no-shows and late
cancellations, written by the scheduler, so that a year's utilisation reads small rows instead
of every booking; the single row of `stats_rolled_through` says up to which day they stand.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 05:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_rolled_through",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_stats_rolled_through_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_rolled_through")),
    )
    op.create_table(
        "stats_resource_days",
        sa.Column("resource_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("booked_minutes", sa.Float(), nullable=False),
        sa.Column("used_minutes", sa.Float(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("late_cancellations", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_stats_resource_days_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "day", name=op.f("pk_stats_resource_days")),
    )
    with op.batch_alter_table("stats_resource_days", schema=None) as batch_op:
        batch_op.create_index("ix_stats_resource_days_day", ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stats_resource_days", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_resource_days_day")
    op.drop_table("stats_resource_days")
    op.drop_table("stats_rolled_through")
