"""A photo belongs to exactly one resource or one workshop; its bytes live on disk, named by `key`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from library.db import Base, BigId, UTCDateTime, utcnow


class Photo(Base):
    __tablename__ = "photos"
    __table_args__ = (
        CheckConstraint("(resource_id IS NULL) <> (workshop_id IS NULL)", name="one_owner"),
        CheckConstraint("width > 0 AND height > 0", name="positive_size"),
        CheckConstraint("length(alt) > 0", name="alt_given"),
        UniqueConstraint("resource_id", "position"),
        UniqueConstraint("workshop_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resource_id: Mapped[int | None] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # the order shown, first = the card's picture
    alt: Mapped[str] = mapped_column(Text)  # German, required: what the picture shows
    alt_en: Mapped[str | None] = mapped_column(Text)
    width: Mapped[int] = mapped_column(Integer)  # of the original, after its EXIF orientation
    height: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # files: <key>-<width>.<ext>
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
