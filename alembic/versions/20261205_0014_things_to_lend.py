"""Things to lend and slots on hold: the words the loan, hold and defect work builds on.

A resource of kind `loan` is lent for days. A loan and a slot offered to a waiting person are
rows in `bookings` (purposes `loan` and `hold`), so the one overlap guarantee (the exclusion
constraint on PostgreSQL, the triggers on SQLite) keeps them apart from each other and from
bookings. House rules gain `loan_days`, `max_renewals` and `hold_offer_minutes`.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 07:30:00.000000
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURPOSES_BEFORE = ("visitor", "workshop")
PURPOSES_AFTER = (*PURPOSES_BEFORE, "loan", "hold")
KINDS_BEFORE = ("room", "workspace", "device")
KINDS_AFTER = (*KINDS_BEFORE, "loan")
POLICY_CHECKS = {
    "loan_days_range": "loan_days IS NULL OR loan_days BETWEEN 1 AND 365",
    "max_renewals_range": "max_renewals IS NULL OR max_renewals BETWEEN 0 AND 20",
    "hold_offer_range": "hold_offer_minutes IS NULL OR hold_offer_minutes BETWEEN 5 AND 10080",
}


def one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


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


def allow(table: str, column: str, constraint: str, values: Sequence[str]) -> None:
    with rebuilt(table), op.batch_alter_table(table) as batch:
        batch.drop_constraint(constraint, type_="check")
        batch.alter_column(column, type_=sa.String(length=max(len(v) for v in values)))
        batch.create_check_constraint(constraint, one_of(column, values))


def upgrade() -> None:
    allow("bookings", "purpose", "booking_purpose", PURPOSES_AFTER)
    allow("resources", "kind", "resource_kind", KINDS_AFTER)
    with rebuilt("policies"), op.batch_alter_table("policies") as batch:
        for column in ("loan_days", "max_renewals", "hold_offer_minutes"):
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
        for name, condition in POLICY_CHECKS.items():
            batch.create_check_constraint(name, condition)


def downgrade() -> None:
    op.execute("DELETE FROM bookings WHERE purpose IN ('loan', 'hold')")
    op.execute("UPDATE resources SET kind = 'device' WHERE kind = 'loan'")
    with rebuilt("policies"), op.batch_alter_table("policies") as batch:
        for name in POLICY_CHECKS:
            batch.drop_constraint(name, type_="check")
        for column in ("hold_offer_minutes", "max_renewals", "loan_days"):
            batch.drop_column(column)
    allow("resources", "kind", "resource_kind", KINDS_BEFORE)
    allow("bookings", "purpose", "booking_purpose", PURPOSES_BEFORE)
