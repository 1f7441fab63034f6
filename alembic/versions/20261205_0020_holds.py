"""Holds: people waiting for a unit of a resource to free up in a window, and the offer made to
the first of them (a `bookings` row of purpose `hold`, pointed at by `offer_booking_id`).

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-05 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0020"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_HOLD_SQL = "status IN ('waiting', 'offered')"
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("resource_id", ID, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "offered",
                "booked",
                "lapsed",
                "cancelled",
                name="hold_status",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offer_booking_id", ID, nullable=True),
        sa.Column("offer_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("window_start < window_end", name=op.f("ck_holds_window_start_before_end")),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_holds_minutes_positive")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_holds_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_holds_resource_id_resources"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["offer_booking_id"],
            ["bookings.id"],
            name=op.f("fk_holds_offer_booking_id_bookings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_holds_open",
            ["resource_id", "created_at", "id"],
            unique=False,
            sqlite_where=sa.text(OPEN_HOLD_SQL),
            postgresql_where=sa.text(OPEN_HOLD_SQL),
        )
        batch_op.create_index("ix_holds_user_id_created_at", ["user_id", "created_at"], unique=False)
        batch_op.create_index("ix_holds_offer_booking_id", ["offer_booking_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index("ix_holds_offer_booking_id")
        batch_op.drop_index("ix_holds_user_id_created_at")
        batch_op.drop_index("ix_holds_open")
    op.drop_table("holds")
