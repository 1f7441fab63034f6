"""Open data: coordinates of the locations, SensorThings datastreams and their observations;
hybrid workshop sessions (attendance mode, stream address, whether the stream is public).

Observations are counts per location and factor written by the scheduler, one row per
datastream and time step (the unique key makes a second writer of the same step a no-op).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild), so SQLite keeps the catalogue-version triggers of 0007.
    op.add_column("locations", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("locations", sa.Column("longitude", sa.Float(), nullable=True))
    op.add_column(
        "locations",
        sa.Column("coordinates_approximate", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "workshop_sessions",
        sa.Column("attendance_mode", sa.String(length=9), nullable=False, server_default="in_person"),
    )
    op.add_column("workshop_sessions", sa.Column("stream_url", sa.String(length=500), nullable=True))
    op.add_column(
        "workshop_sessions",
        sa.Column("stream_public", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    if op.get_context().dialect.name == "postgresql":
        # SQLite cannot add table constraints without rebuilding the table; the service checks there.
        op.create_check_constraint(
            "ck_workshop_sessions_attendance_mode",
            "workshop_sessions",
            "attendance_mode IN ('in_person', 'online', 'hybrid')",
        )
        op.create_check_constraint(
            "ck_workshop_sessions_stream_url_https",
            "workshop_sessions",
            "stream_url IS NULL OR stream_url LIKE 'https://%'",
        )
    op.create_table(
        "sta_datastreams",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("location_id", BIG_ID, nullable=False),
        sa.Column("factor", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('free_units', 'booked_share', 'people_present')", name=op.f("ck_sta_datastreams_kind")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_sta_datastreams_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_datastreams")),
        sa.UniqueConstraint(
            "location_id", "factor", "kind", name=op.f("uq_sta_datastreams_location_id_factor_kind")
        ),
    )
    op.create_table(
        "sta_observations",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("datastream_id", BIG_ID, nullable=False),
        sa.Column("phenomenon_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("phenomenon_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "phenomenon_end IS NULL OR phenomenon_start < phenomenon_end",
            name=op.f("ck_sta_observations_start_before_end"),
        ),
        sa.ForeignKeyConstraint(
            ["datastream_id"],
            ["sta_datastreams.id"],
            name=op.f("fk_sta_observations_datastream_id_sta_datastreams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_observations")),
        sa.UniqueConstraint(
            "datastream_id",
            "phenomenon_start",
            name=op.f("uq_sta_observations_datastream_id_phenomenon_start"),
        ),
    )
    op.create_index("ix_sta_observations_phenomenon_start", "sta_observations", ["phenomenon_start"])


def downgrade() -> None:
    op.drop_index("ix_sta_observations_phenomenon_start", table_name="sta_observations")
    op.drop_table("sta_observations")
    op.drop_table("sta_datastreams")
    with op.batch_alter_table("workshop_sessions") as batch:
        batch.drop_column("stream_public")
        batch.drop_column("stream_url")
        batch.drop_column("attendance_mode")
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("coordinates_approximate")
        batch.drop_column("longitude")
        batch.drop_column("latitude")
