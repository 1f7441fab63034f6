"""Loan parts in English: `resources.loan_parts_en`, a list beside the German `loan_parts`.

Empty (NULL) means the German parts are shown in English too; otherwise it has as many parts as
the German list, in the same order (library.catalog.resource_input). A part never holds "|",
the separator of parts in the inventory CSV file: an existing part that does gets "/" instead.

Revision ID: 0022_loan_parts_en
Revises: 0022_person_keys
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0022_loan_parts_en"
down_revision: str | None = "0022_person_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # A plain ADD COLUMN: no table rebuild, so the resources' triggers stay as they are.
    op.add_column("resources", sa.Column("loan_parts_en", JSON, nullable=True))
    resources = sa.table("resources", sa.column("id", sa.Integer()), sa.column("loan_parts", JSON))
    connection = op.get_bind()
    for row in connection.execute(sa.select(resources.c.id, resources.c.loan_parts)).all():
        parts = list(row.loan_parts or [])
        cleaned = [str(part).replace("|", "/") for part in parts]
        if cleaned != parts:
            connection.execute(resources.update().where(resources.c.id == row.id).values(loan_parts=cleaned))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 and later): no rebuild, the triggers stay.
    op.drop_column("resources", "loan_parts_en")
