"""Defects and maintenance: a public code per unit for its label, reported problems, maintenance
plans per resource and recorded services per unit.

Every unit gets a short code (8 characters from an alphabet without look-alikes) for its public
page `/u/{code}`; existing units are given one here, new units on creation. A blocking report
points at the unit block it made, so closing the report ends that block.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 08:00:00.000000
"""

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 8
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTCDateTime = sa.DateTime(timezone=True)


@contextmanager
def rebuilt(table: str) -> Iterator[None]:
    """On SQLite a batch alter copies the table and loses its triggers (the overlap guarantee, the
    catalogue version) and may lose partial indexes: put back exactly what was there."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    kept = bind.execute(
        sa.text(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE tbl_name = :table AND type IN ('trigger', 'index') AND sql IS NOT NULL"
        ),
        {"table": table},
    ).all()
    yield
    for kind, name, sql in kept:
        op.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
        op.execute(sql)


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("units", sa.Column("code", sa.String(length=CODE_LENGTH), nullable=True))
    given: set[str] = set()
    for (unit_id,) in bind.execute(sa.text("SELECT id FROM units ORDER BY id")).all():
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        while code in given:
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        given.add(code)
        bind.execute(sa.text("UPDATE units SET code = :code WHERE id = :id"), {"code": code, "id": unit_id})
    with rebuilt("units"), op.batch_alter_table("units") as batch:
        batch.alter_column("code", existing_type=sa.String(length=CODE_LENGTH), nullable=False)
    op.create_index("ix_units_code", "units", ["code"], unique=True)

    op.create_table(
        "unit_reports",
        sa.Column("id", BigId, nullable=False),
        sa.Column("unit_id", BigId, nullable=False),
        sa.Column(
            "severity",
            sa.Enum("notice", "blocking", name="report_severity", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reported_by_id", BigId, nullable=True),
        sa.Column("reported_at", UTCDateTime, nullable=False),
        sa.Column("block_id", BigId, nullable=True),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.Column("closed_by_id", BigId, nullable=True),
        sa.Column("close_note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_reports_unit_id_units"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"],
            ["users.id"],
            name=op.f("fk_unit_reports_reported_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["unit_blocks.id"],
            name=op.f("fk_unit_reports_block_id_unit_blocks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["users.id"],
            name=op.f("fk_unit_reports_closed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_reports")),
    )
    op.create_index("ix_unit_reports_unit_id", "unit_reports", ["unit_id"])
    op.create_index("ix_unit_reports_open", "unit_reports", ["closed_at", "unit_id"])

    op.create_table(
        "maintenance_plans",
        sa.Column("resource_id", BigId, autoincrement=False, nullable=False),
        sa.Column("every_hours", sa.Integer(), nullable=True),
        sa.Column("every_bookings", sa.Integer(), nullable=True),
        sa.Column("every_days", sa.Integer(), nullable=True),
        sa.Column("warn_before_percent", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "every_hours IS NULL OR every_hours > 0", name=op.f("ck_maintenance_plans_every_hours_positive")
        ),
        sa.CheckConstraint(
            "every_bookings IS NULL OR every_bookings > 0",
            name=op.f("ck_maintenance_plans_every_bookings_positive"),
        ),
        sa.CheckConstraint(
            "every_days IS NULL OR every_days > 0", name=op.f("ck_maintenance_plans_every_days_positive")
        ),
        sa.CheckConstraint(
            "warn_before_percent BETWEEN 0 AND 99", name=op.f("ck_maintenance_plans_warn_before_range")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_maintenance_plans_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_maintenance_plans")),
    )

    op.create_table(
        "unit_services",
        sa.Column("id", BigId, nullable=False),
        sa.Column("unit_id", BigId, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("by_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_services_unit_id_units"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_unit_services_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_services")),
    )
    op.create_index("ix_unit_services_unit_id_at", "unit_services", ["unit_id", "at"])


def downgrade() -> None:
    op.drop_table("unit_services")
    op.drop_table("maintenance_plans")
    op.drop_table("unit_reports")
    op.drop_index("ix_units_code", table_name="units")
    with rebuilt("units"), op.batch_alter_table("units") as batch:
        batch.drop_column("code")
