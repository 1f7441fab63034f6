"""Unique people that survive retention: `stats_person_keys` and `stats_person_months`.

An account's opaque statistics key (random, made on demand, deleted with the account) and the
monthly markers retention writes for the days it keeps: this key came in this local month to
this location for this factor, in this age band (and the month of their first visit ever).
Months kept before this revision have no markers (their people were already nameless).

Revision ID: 0022_person_keys
Revises: 0019
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0022_person_keys"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


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
        "stats_person_keys",
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_stats_person_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_stats_person_keys")),
        sa.UniqueConstraint("key", name=op.f("uq_stats_person_keys_key")),
    )
    op.create_table(
        "stats_person_months",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("location_id", BIG_ID, nullable=False),
        sa.Column("factor", _factor(), nullable=False),
        sa.Column("age_band", sa.String(length=10), nullable=False),
        sa.Column("first_month", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_stats_person_months_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "key", "month", "location_id", "factor", "age_band", name=op.f("pk_stats_person_months")
        ),
    )
    op.create_index("ix_stats_person_months_month", "stats_person_months", ["month"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_stats_person_months_month", table_name="stats_person_months")
    op.drop_table("stats_person_months")
    op.drop_table("stats_person_keys")
