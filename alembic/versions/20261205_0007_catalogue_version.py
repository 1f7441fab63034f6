"""A version counter for the catalogue, bumped by triggers, so processes may cache it.

Every insert, update and delete on the tables that decide a booking's rules (locations, weekly
hours, dated exceptions and their periods, resources, units, policies, certifications) adds one
to `catalogue_version.version` in the same transaction. A process keeps those facts in memory
and reads only the counter to know they are current (library.booking.catalogue). Triggers
rather than application code, so that no path of change (pages, API, CSV, seeding, psql) can
forget it.

SQLite drops a table's triggers when a batch migration rebuilds the table: a later migration
that rebuilds one of these tables must call `add_version_triggers` again for it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATALOGUE_TABLES = (
    "locations",
    "opening_periods",
    "opening_exceptions",
    "exception_periods",
    "resources",
    "units",
    "policies",
    "certifications",
)
BUMP = "UPDATE catalogue_version SET version = version + 1 WHERE id = 1"


def add_version_triggers(table: str) -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE TRIGGER {table}_bump_catalogue_version
            AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version()
            """
        )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"""
                CREATE TRIGGER {table}_bump_catalogue_version_{event.lower()}
                AFTER {event} ON {table}
                BEGIN
                    {BUMP};
                END
                """
            )


def drop_version_triggers(table: str) -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_catalogue_version ON {table}")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_catalogue_version_{event}")


def upgrade() -> None:
    op.create_table(
        "catalogue_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_catalogue_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_version")),
    )
    op.execute("INSERT INTO catalogue_version (id, version) VALUES (1, 1)")
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION bump_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {BUMP};
                RETURN NULL;
            END
            $$
            """
        )
    for table in CATALOGUE_TABLES:
        add_version_triggers(table)


def downgrade() -> None:
    for table in CATALOGUE_TABLES:
        drop_version_triggers(table)
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION bump_catalogue_version()")
    op.drop_table("catalogue_version")
