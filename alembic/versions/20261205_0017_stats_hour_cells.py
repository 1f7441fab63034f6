"""Statistics roll-up of hours and people: `stats_hour_cells` and `stats_rolled_resources`.

Booked minutes per closed local day and hour, per location and factor, written by the
scheduler beside `stats_resource_days`, so that a year's heatmap sums a few thousand rows
instead of spreading every booking over its hours; `stats_rolled_resources` holds every
resource as the roll-up counted it (location, factor, in service). Both start empty: until
the next roll-up counts them, every resource differs from its (missing) row and the heatmap
counts from the bookings.

The roll-up now also writes the people figures of closed days into `stats_people_days` (beside
those retention keeps), so its edge is cleared here: the next run counts every day again, and
until then the figures come from the bookings.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-05 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _factor() -> sa.Enum:
    return sa.Enum(
        "technology",
        "knowhow",
        "networking",
        "space",
        "innovation",
        name="factor",
        native_enum=False,
        create_constraint=True,
    )


def upgrade() -> None:
    op.create_table(
        "stats_hour_cells",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("factor", _factor(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("booked_minutes", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_stats_hour_cells_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "location_id", "factor", "hour", name=op.f("pk_stats_hour_cells")),
    )
    op.create_table(
        "stats_rolled_resources",
        sa.Column("resource_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("factor", _factor(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_stats_rolled_resources_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_stats_rolled_resources_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_stats_rolled_resources")),
    )
    op.execute("DELETE FROM stats_rolled_through")


def downgrade() -> None:
    # Before 0017 only retention wrote people figures, and only for the days it kept.
    op.execute(
        "DELETE FROM stats_people_days WHERE NOT EXISTS "
        "(SELECT 1 FROM stats_kept_through k WHERE stats_people_days.day <= k.day)"
    )
    op.drop_table("stats_rolled_resources")
    op.drop_table("stats_hour_cells")
