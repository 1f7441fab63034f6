"""Workshops and their sessions, and the people registered for them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    case,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library.catalog.models import Factor
from library.db import Base, BigId, UTCDateTime, str_enum, utcnow
from library.i18n import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from library.accounts.models import Certification, User
    from library.booking.models import Booking
    from library.catalog.models import Resource


class SignupMode(enum.StrEnum):
    FIRST_COME = "first_come"
    LOTTERY = "lottery"


class AttendanceMode(enum.StrEnum):
    """Where people take part: in the room, online through a stream, or either."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class Participation(enum.StrEnum):
    """How one person takes part: in the room or online; a hybrid session has places of both."""

    IN_PERSON = "in_person"
    ONLINE = "online"


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"  # a freed place held for this person for a while (per workshop)
    ENTERED = "entered"  # in a lottery, before the draw
    CANCELLED = "cancelled"
    ATTENDED = "attended"


HOLDING_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED, RegistrationStatus.ATTENDED)
"""Registrations that take one of the session's places."""

LIVE_STATUSES_SQL = "('confirmed', 'waitlisted', 'offered', 'entered', 'attended')"
"""Registrations that count as registered: one each per person and session."""

REMINDER_DUE_SQL = "status = 'confirmed' AND reminder_queued_at IS NULL"
"""Registrations still waiting for their reminder: the reminder job's condition and its index's."""


class Workshop(Base):
    __tablename__ = "workshops"
    __table_args__ = (
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="ages_in_order"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    factor: Mapped[Factor] = mapped_column(str_enum(Factor, "factor"), index=True)
    host: Mapped[str] = mapped_column(String(200), default="Stadtbibliothek Ulm")
    language: Mapped[str] = mapped_column(String(5), default=DEFAULT_LANGUAGE)
    min_age: Mapped[int | None] = mapped_column(SmallInteger)
    max_age: Mapped[int | None] = mapped_column(SmallInteger)
    required_certification_id: Mapped[int | None] = mapped_column(
        ForeignKey("certifications.id", ondelete="RESTRICT")
    )
    grants_certification_id: Mapped[int | None] = mapped_column(
        ForeignKey("certifications.id", ondelete="RESTRICT"), index=True
    )
    # A freed place is offered for this many hours before the next on the waitlist gets it;
    # None moves the first on the waitlist up at once.
    offer_hours: Mapped[int | None] = mapped_column(Integer)
    # In a lottery, people who won a place in this workshop within so many days come last.
    lottery_cooldown_days: Mapped[int] = mapped_column(Integer, default=90)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sessions: Mapped[list[WorkshopSession]] = relationship(
        back_populates="workshop", order_by="WorkshopSession.start_at"
    )
    required_certification: Mapped[Certification | None] = relationship(
        foreign_keys=[required_certification_id]
    )
    grants_certification: Mapped[Certification | None] = relationship(foreign_keys=[grants_certification_id])


class WorkshopSession(Base):
    __tablename__ = "workshop_sessions"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="start_before_end"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("registration_opens < registration_closes", name="registration_window"),
        CheckConstraint("stream_url IS NULL OR stream_url LIKE 'https://%'", name="stream_url_https"),
        CheckConstraint(
            "(attendance_mode = 'hybrid') = (online_capacity IS NOT NULL)", name="online_capacity_when_hybrid"
        ),
        CheckConstraint("online_capacity IS NULL OR online_capacity >= 1", name="online_capacity_positive"),
        Index("ix_workshop_sessions_start_at", "start_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="RESTRICT"))
    # The room's booking: the session holds its room through the booking engine.
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), unique=True
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    registration_opens: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes: Mapped[datetime] = mapped_column(UTCDateTime)
    mode: Mapped[SignupMode] = mapped_column(
        str_enum(SignupMode, "signup_mode"), default=SignupMode.FIRST_COME
    )
    draw_seed: Mapped[str | None] = mapped_column(String(64))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attendance_mode: Mapped[AttendanceMode] = mapped_column(
        str_enum(AttendanceMode, "attendance_mode"),
        default=AttendanceMode.IN_PERSON,
        server_default="in_person",
    )
    # The stream's address: confirmed participants see it, everyone where stream_public.
    stream_url: Mapped[str | None] = mapped_column(String(500))
    stream_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A hybrid session's online places, beside `capacity` in the room; an online session's places
    # are its `capacity`, so this is set exactly when the session is hybrid.
    online_capacity: Mapped[int | None] = mapped_column(Integer)

    workshop: Mapped[Workshop] = relationship(back_populates="sessions")
    resource: Mapped[Resource] = relationship()
    booking: Mapped[Booking | None] = relationship()


class Registration(Base):
    __tablename__ = "registrations"
    __table_args__ = (
        # One live registration per person and session, and one person per waitlist place
        # (a hybrid session keeps one waitlist for the room and one for the online places).
        Index(
            "uq_registrations_session_id_user_id_live",
            "session_id",
            "user_id",
            unique=True,
            sqlite_where=text(f"status IN {LIVE_STATUSES_SQL}"),
            postgresql_where=text(f"status IN {LIVE_STATUSES_SQL}"),
        ),
        Index(
            "uq_registrations_session_id_participation_waitlist_position",
            "session_id",
            "participation",
            "waitlist_position",
            unique=True,
            sqlite_where=text("waitlist_position IS NOT NULL"),
            postgresql_where=text("waitlist_position IS NOT NULL"),
        ),
        CheckConstraint(
            "(status = 'waitlisted') = (waitlist_position IS NOT NULL)",
            name="waitlist_position_when_waitlisted",
        ),
        CheckConstraint(
            "waitlist_position IS NULL OR waitlist_position >= 1", name="waitlist_position_positive"
        ),
        Index("ix_registrations_user_id", "user_id"),
        # The reminder job reads the confirmed registrations of sessions starting soon.
        Index(
            "ix_registrations_reminder_due",
            "session_id",
            sqlite_where=text(REMINDER_DUE_SQL),
            postgresql_where=text(REMINDER_DUE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus, "registration_status"))
    participation: Mapped[Participation] = mapped_column(
        str_enum(Participation, "participation"),
        default=Participation.IN_PERSON,
        server_default="in_person",
    )
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    draw_rank: Mapped[int | None] = mapped_column(Integer)
    offered_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the reminder mail was queued; set in the same transaction, so there is only ever one.
    reminder_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    session: Mapped[WorkshopSession] = relationship()
    user: Mapped[User | None] = relationship()


STAFF_ORDER = (
    case(
        (Registration.status.in_(HOLDING_STATUSES), 0),
        (Registration.status == RegistrationStatus.ENTERED, 1),
        (Registration.status == RegistrationStatus.WAITLISTED, 2),
        else_=3,
    ),
    Registration.waitlist_position,
    Registration.draw_rank,
    Registration.id,
)
"""How staff see a session's registrations: places first, then lottery entries, the waitlist
in order, cancellations last."""
