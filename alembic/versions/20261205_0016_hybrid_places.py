"""Hybrid sessions: online places with their own capacity and waitlist; observations to push.

`workshop_sessions.online_capacity` holds a hybrid session's online places (set exactly when the
session is hybrid; hybrid sessions from before get as many online places as room places), and
`registrations.participation` says whether a person takes part in the room or online
(registrations of online sessions from before are online). Each kind has its own waitlist, so
the unique waitlist position is per session and kind.

`sta_pushes` holds the observations still to be sent to a city's SensorThings server
(LIBRARY_STA_PUSH_URL), one row each, retried with backoff.

Revision ID: 0016
Revises: 0021
Create Date: 2026-12-05 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITLISTED = sa.text("waitlist_position IS NOT NULL")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Column constraints in ADD COLUMN: both engines check them without rebuilding the table.
    op.execute(
        "ALTER TABLE registrations ADD COLUMN participation VARCHAR(9) DEFAULT 'in_person' NOT NULL"
        " CONSTRAINT ck_registrations_participation CHECK (participation IN ('in_person', 'online'))"
    )
    op.execute(
        "UPDATE registrations SET participation = 'online' WHERE session_id IN"
        " (SELECT id FROM workshop_sessions WHERE attendance_mode = 'online')"
    )
    op.execute(
        "ALTER TABLE workshop_sessions ADD COLUMN online_capacity INTEGER"
        " CONSTRAINT ck_workshop_sessions_online_capacity_positive"
        " CHECK (online_capacity IS NULL OR online_capacity >= 1)"
    )
    op.execute("UPDATE workshop_sessions SET online_capacity = capacity WHERE attendance_mode = 'hybrid'")
    if op.get_context().dialect.name == "postgresql":
        # SQLite cannot add a table constraint without rebuilding the table; the service checks there.
        op.create_check_constraint(
            "ck_workshop_sessions_online_capacity_when_hybrid",
            "workshop_sessions",
            "(attendance_mode = 'hybrid') = (online_capacity IS NOT NULL)",
        )
    op.drop_index(
        "uq_registrations_session_id_waitlist_position",
        table_name="registrations",
        sqlite_where=WAITLISTED,
        postgresql_where=WAITLISTED,
    )
    op.create_index(
        "uq_registrations_session_id_participation_waitlist_position",
        "registrations",
        ["session_id", "participation", "waitlist_position"],
        unique=True,
        sqlite_where=WAITLISTED,
        postgresql_where=WAITLISTED,
    )
    op.create_table(
        "sta_pushes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("observation_id", BIG_ID, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sent', 'dead')", name=op.f("ck_sta_pushes_status")),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["sta_observations.id"],
            name=op.f("fk_sta_pushes_observation_id_sta_observations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_pushes")),
        sa.UniqueConstraint("observation_id", name=op.f("uq_sta_pushes_observation_id")),
    )
    op.create_index("ix_sta_pushes_status_next_attempt_at", "sta_pushes", ["status", "next_attempt_at"])


def downgrade() -> None:
    """One waitlist per session again: fails where a hybrid session has people waiting for both kinds."""
    op.drop_index("ix_sta_pushes_status_next_attempt_at", table_name="sta_pushes")
    op.drop_table("sta_pushes")
    op.drop_index(
        "uq_registrations_session_id_participation_waitlist_position",
        table_name="registrations",
        sqlite_where=WAITLISTED,
        postgresql_where=WAITLISTED,
    )
    op.create_index(
        "uq_registrations_session_id_waitlist_position",
        "registrations",
        ["session_id", "waitlist_position"],
        unique=True,
        sqlite_where=WAITLISTED,
        postgresql_where=WAITLISTED,
    )
    # Plain DROP COLUMN: each column's own constraints go with it, the tables are not rebuilt.
    op.drop_column("workshop_sessions", "online_capacity")
    op.drop_column("registrations", "participation")
