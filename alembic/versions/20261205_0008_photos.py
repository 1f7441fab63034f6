"""Photos of resources and workshops: rows here, their resized files on disk (LIBRARY_MEDIA_DIR).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("resource_id", BigId, sa.ForeignKey("resources.id", ondelete="CASCADE")),
        sa.Column("workshop_id", BigId, sa.ForeignKey("workshops.id", ondelete="CASCADE")),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("alt", sa.Text(), nullable=False),
        sa.Column("alt_en", sa.Text()),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("created_by_id", BigId, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(resource_id IS NULL) <> (workshop_id IS NULL)", name="one_owner"),
        sa.CheckConstraint("width > 0 AND height > 0", name="positive_size"),
        sa.CheckConstraint("length(alt) > 0", name="alt_given"),
        sa.UniqueConstraint("resource_id", "position"),
        sa.UniqueConstraint("workshop_id", "position"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_photos_resource_id", "photos", ["resource_id"])
    op.create_index("ix_photos_workshop_id", "photos", ["workshop_id"])


def downgrade() -> None:
    op.drop_table("photos")
