"""Features in English: `resources.features_en`, a list beside the German `features`.

Features are data in two languages like names and descriptions: the pages and the API show
the English list where one is asked for and present, the German one otherwise. Existing
resources have none (NULL) and keep showing their German features.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.add_column(
            sa.Column(
                "features_en",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("features_en")
