"""Unit labels in English: `units.label_en`, beside the German `label`.

A unit's label is a word where it names a place ("Arbeitsplatz 1", "Workstation 1"): visitors
then read it in their language, like names and descriptions. Labels that are names or numbers
("VR-Brille 2", "Drucker A") need none; existing units have none (NULL) and keep their label.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("label_en", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("label_en")
