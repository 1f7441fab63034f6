"""Loans: the lending facts of a thing lent, beside the booking row that holds its unit.

A loan points at its booking row (purpose `loan`), which holds the unit from the start of the
pickup day to the end of the due day under the one overlap guarantee. The loan keeps who has
it, the dates, renewals, checkout and return (condition, missing parts, the checklist ticked)
and how many of its reminders were queued. Resources gain `loan_parts`, the list the desk ticks.

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-05 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0019"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    # A plain ADD COLUMN: no table rebuild, so the resources' triggers stay as they are.
    op.add_column("resources", sa.Column("loan_parts", JSON, nullable=True))
    op.create_table(
        "loans",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("booking_id", BIG_ID, sa.ForeignKey("bookings.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("user_id", BIG_ID, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("pickup", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "reserved",
                "on_loan",
                "returned",
                "cancelled",
                name="loan_status",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("renewals", sa.SmallInteger(), nullable=False),
        sa.Column("checked_out_at", INSTANT, nullable=True),
        sa.Column("checked_out_by_id", BIG_ID, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("returned_at", INSTANT, nullable=True),
        sa.Column("returned_by_id", BIG_ID, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column(
            "condition",
            sa.Enum(
                "new",
                "good",
                "worn",
                "damaged",
                name="loan_condition",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=True,
        ),
        sa.Column("missing_parts", JSON, nullable=False),
        sa.Column("checklist", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reminder_stage", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.UniqueConstraint("booking_id"),
        sa.CheckConstraint("pickup <= due", name="pickup_before_due"),
        sa.CheckConstraint("renewals >= 0", name="renewals_not_negative"),
        sa.CheckConstraint("reminder_stage BETWEEN 0 AND 5", name="reminder_stage_range"),
    )
    op.create_index("ix_loans_status_due", "loans", ["status", "due"])
    op.create_index("ix_loans_user_id_pickup", "loans", ["user_id", "pickup"])


def downgrade() -> None:
    op.drop_index("ix_loans_user_id_pickup", table_name="loans")
    op.drop_index("ix_loans_status_due", table_name="loans")
    op.drop_table("loans")
    op.execute("DELETE FROM bookings WHERE purpose = 'loan'")
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("loan_parts")
