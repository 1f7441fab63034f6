"""Reminders, certification expiry notices and password reset links.

`reminder_queued_at` (bookings, registrations) and `expiry_notice_queued_at` (user
certifications) make each mail once-only: the job sets it in the transaction that queues
the mail. Partial indexes hold just the rows still waiting, so the jobs read little.
Columns are added in place (recreate="never"), never by rebuilding a table: see 0003.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOOKING_REMINDER_DUE = "status = 'confirmed' AND purpose = 'visitor' AND reminder_queued_at IS NULL"
REGISTRATION_REMINDER_DUE = "status = 'confirmed' AND reminder_queued_at IS NULL"
EXPIRY_NOTICE_DUE = "expires_at IS NOT NULL AND revoked_at IS NULL AND expiry_notice_queued_at IS NULL"


def _where(condition: str) -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_resets_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("bookings", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("reminder_queued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_bookings_reminder_due", ["start_at"], unique=False, **_where(BOOKING_REMINDER_DUE)
        )

    with op.batch_alter_table("registrations", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("reminder_queued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_registrations_reminder_due", ["session_id"], unique=False, **_where(REGISTRATION_REMINDER_DUE)
        )

    with op.batch_alter_table("user_certifications", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("expiry_notice_queued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_user_certifications_expiry_notice_due",
            ["expires_at"],
            unique=False,
            **_where(EXPIRY_NOTICE_DUE),
        )


def downgrade() -> None:
    with op.batch_alter_table("user_certifications", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_user_certifications_expiry_notice_due")
        batch_op.drop_column("expiry_notice_queued_at")

    with op.batch_alter_table("registrations", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_registrations_reminder_due")
        batch_op.drop_column("reminder_queued_at")

    with op.batch_alter_table("bookings", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_bookings_reminder_due")
        batch_op.drop_column("reminder_queued_at")

    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_resets_user_id"))

    op.drop_table("password_resets")
