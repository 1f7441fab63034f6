"""Statistics: refused booking attempts, and the figures kept before retention anonymises.

`refusal_events` records each turned-away attempt without a person. `stats_people_days`,
`stats_first_visits`, `stats_kept_uptakes` and `stats_kept_through` keep the person-based
figures of days that retention is about to anonymise, so reports stay the same after it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 04:02:10.662691
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_kept_through",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_stats_kept_through_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_kept_through")),
    )
    op.create_table(
        "stats_first_visits",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_stats_first_visits_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_stats_first_visits")),
    )
    op.create_table(
        "stats_people_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "factor",
            sa.Enum(
                "technology",
                "knowhow",
                "networking",
                "space",
                "innovation",
                name="factor",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("age_band", sa.String(length=10), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("new_people", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "people >= 0 AND new_people >= 0 AND new_people <= people",
            name=op.f("ck_stats_people_days_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_stats_people_days_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "day", "location_id", "factor", "age_band", name=op.f("pk_stats_people_days")
        ),
    )
    op.create_table(
        "refusal_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resource_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_refusal_events_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refusal_events")),
    )
    with op.batch_alter_table("refusal_events", schema=None) as batch_op:
        batch_op.create_index("ix_refusal_events_at", ["at"], unique=False)

    op.create_table(
        "stats_kept_uptakes",
        sa.Column(
            "user_certification_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_certification_id"],
            ["user_certifications.id"],
            name=op.f("fk_stats_kept_uptakes_user_certification_id_user_certifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_certification_id", name=op.f("pk_stats_kept_uptakes")),
    )


def downgrade() -> None:
    op.drop_table("stats_kept_uptakes")
    with op.batch_alter_table("refusal_events", schema=None) as batch_op:
        batch_op.drop_index("ix_refusal_events_at")

    op.drop_table("refusal_events")
    op.drop_table("stats_people_days")
    op.drop_table("stats_first_visits")
    op.drop_table("stats_kept_through")
