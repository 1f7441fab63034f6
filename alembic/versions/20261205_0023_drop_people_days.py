"""People are counted as unique people from monthly markers (0022_person_keys): the person-days
per day in `stats_people_days` are read by no report any more, so they are no longer kept.

Days that retention kept before the markers existed have no unique-people figures; a library
that ran retention before this revision loses the person-days of those days (none had gone
into service).

Revision ID: 0023_drop_people_days
Revises: 0022_loan_parts_en
Create Date: 2026-12-05 11:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0023_drop_people_days"
down_revision: str | None = "0022_loan_parts_en"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("stats_people_days")


def downgrade() -> None:
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
