"""SensorThings tables: one datastream per location, factor and kind, and its observations.

Only counts per location and factor are stored, never anything tied to a booking or a person.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from library.db import Base, BigId, UTCDateTime, utcnow


class StreamKind(enum.StrEnum):
    """What a datastream counts; each is one SensorThings Sensor and ObservedProperty."""

    FREE_UNITS = "free_units"  # units free now, every 15 minutes
    BOOKED_SHARE = "booked_share"  # share of unit time booked, per hour
    PEOPLE_PRESENT = "people_present"  # people checked in now, every 15 minutes


class Datastream(Base):
    __tablename__ = "sta_datastreams"
    __table_args__ = (
        CheckConstraint("kind IN ('free_units', 'booked_share', 'people_present')", name="kind"),
        UniqueConstraint("location_id", "factor", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    factor: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Observation(Base):
    """One value of a datastream for one time step (an instant, or an hour for the booked share)."""

    __tablename__ = "sta_observations"
    __table_args__ = (
        CheckConstraint(
            "phenomenon_end IS NULL OR phenomenon_start < phenomenon_end", name="start_before_end"
        ),
        UniqueConstraint("datastream_id", "phenomenon_start"),
        Index("ix_sta_observations_phenomenon_start", "phenomenon_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    datastream_id: Mapped[int] = mapped_column(ForeignKey("sta_datastreams.id", ondelete="CASCADE"))
    phenomenon_start: Mapped[datetime] = mapped_column(UTCDateTime)
    phenomenon_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_time: Mapped[datetime] = mapped_column(UTCDateTime)
    result: Mapped[float] = mapped_column(Float)


class PushStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DEAD = "dead"  # refused for good, or given up after the last try


class ObservationPush(Base):
    """An observation still to be sent to the city's SensorThings server (LIBRARY_STA_PUSH_URL):
    written with the observation, sent later by the scheduler, retried with backoff (the outbox
    pattern, like mail). Deleted with its observation when that is forgotten."""

    __tablename__ = "sta_pushes"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sent', 'dead')", name="status"),
        Index("ix_sta_pushes_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    observation_id: Mapped[int] = mapped_column(
        ForeignKey("sta_observations.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(10), default=PushStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
