"""Bookings: a unit held by someone for a time, plus the buffers around it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library.catalog.models import UnitCondition
from library.db import Base, BigId, JSONData, UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from library.accounts.models import User
    from library.catalog.models import Resource, Unit


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    NO_SHOW = "no_show"


ACTIVE_STATUSES: tuple[BookingStatus, ...] = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
)
"""Statuses in which a booking occupies its unit; only these must never overlap."""

ACTIVE_STATUS_SQL = "('pending', 'confirmed', 'checked_in')"
"""The same, as the SQL list that the overlap constraint and trigger are written with."""


REMINDER_DUE_SQL = "status = 'confirmed' AND purpose = 'visitor' AND reminder_queued_at IS NULL"
"""Bookings still waiting for their reminder: the reminder job's condition and its index's."""


class BookingPurpose(enum.StrEnum):
    VISITOR = "visitor"  # someone's own booking
    WORKSHOP = "workshop"  # the library's booking of a room for a workshop session
    LOAN = "loan"  # a thing lent for days, from pickup to due: it holds its unit like a booking
    HOLD = "hold"  # a freed slot offered to the first person waiting for it, held until they answer


BOOKED_PURPOSES: tuple[BookingPurpose, ...] = (BookingPurpose.VISITOR, BookingPurpose.WORKSHOP)
"""Rows that are bookings in the usual sense; a loan and an offered slot are listed as loans and holds."""


class BookingSeries(Base):
    """Bookings made together from one repeat rule."""

    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    rule: Mapped[dict[str, Any]] = mapped_column(JSONData)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="start_before_end"),
        CheckConstraint(
            "occupied_start <= start_at AND end_at <= occupied_end", name="occupied_covers_booking"
        ),
        # Availability reads a unit's or resource's bookings that end after a given instant.
        Index("ix_bookings_unit_id_occupied_end", "unit_id", "occupied_end"),
        Index("ix_bookings_resource_id_occupied_end", "resource_id", "occupied_end"),
        Index("ix_bookings_user_id_start_at", "user_id", "start_at"),
        Index("ix_bookings_status_start_at", "status", "start_at"),
        # The reminder job reads confirmed visitor bookings starting soon that have had none yet.
        Index(
            "ix_bookings_reminder_due",
            "start_at",
            sqlite_where=text(REMINDER_DUE_SQL),
            postgresql_where=text(REMINDER_DUE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="RESTRICT"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    purpose: Mapped[BookingPurpose] = mapped_column(
        str_enum(BookingPurpose, "booking_purpose"), default=BookingPurpose.VISITOR
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The span the unit is held: start minus setup time, end plus buffer (e.g. a 3D printer's
    # cool-down). This, not start..end, is what must never overlap another active booking.
    occupied_start: Mapped[datetime] = mapped_column(UTCDateTime)
    occupied_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[BookingStatus] = mapped_column(
        str_enum(BookingStatus, "booking_status"), default=BookingStatus.CONFIRMED
    )
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking_series.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    participants: Mapped[int | None] = mapped_column(Integer)
    override_reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    # When the reminder mail was queued; set in the same transaction, so there is only ever one.
    reminder_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    resource: Mapped[Resource] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    series: Mapped[BookingSeries | None] = relationship()


class HoldStatus(enum.StrEnum):
    WAITING = "waiting"  # in the queue of the resource
    OFFERED = "offered"  # a freed slot is held for the person until offer_until
    BOOKED = "booked"  # accepted: the offered row became the person's booking
    LAPSED = "lapsed"  # the offer ran out, or the window passed
    CANCELLED = "cancelled"  # the person withdrew (or declined the offer)


OPEN_HOLD_SQL = "status IN ('waiting', 'offered')"
"""Holds still in a queue: the sweep's condition and its index's."""


class Hold(Base):
    """A person waiting for a unit of a resource to free up somewhere in a window.

    The queue order is (created_at, id); a position is computed from it, so it has no gaps. An
    offer is a `bookings` row of purpose `hold` for the person: it occupies the freed slot under
    the overlap guarantee, so nobody else can book it while the offer stands.
    """

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("window_start < window_end", name="window_start_before_end"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        Index(
            "ix_holds_open",
            "resource_id",
            "created_at",
            "id",
            sqlite_where=text(OPEN_HOLD_SQL),
            postgresql_where=text(OPEN_HOLD_SQL),
        ),
        Index("ix_holds_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[HoldStatus] = mapped_column(
        str_enum(HoldStatus, "hold_status"), default=HoldStatus.WAITING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    offer_booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    offer_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    resource: Mapped[Resource] = relationship()
    offer: Mapped[Booking | None] = relationship()


class LoanStatus(enum.StrEnum):
    RESERVED = "reserved"  # waiting for pickup: its booking row is confirmed
    ON_LOAN = "on_loan"  # handed out at the desk: its booking row is checked in
    RETURNED = "returned"  # back: its booking row is completed, ended at the return
    CANCELLED = "cancelled"  # never picked up: its booking row is cancelled


LOAN_BOOKING_STATUS: dict[LoanStatus, BookingStatus] = {
    LoanStatus.RESERVED: BookingStatus.CONFIRMED,
    LoanStatus.ON_LOAN: BookingStatus.CHECKED_IN,
    LoanStatus.RETURNED: BookingStatus.COMPLETED,
    LoanStatus.CANCELLED: BookingStatus.CANCELLED,
}
"""The status of a loan's booking row: the unit is held while the loan is reserved or out."""


class Loan(Base):
    """A thing lent for whole days. Its unit is held by a booking row (purpose `loan`), so the
    one overlap guarantee keeps loans and bookings of a unit apart; the lending facts live here."""

    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("pickup <= due", name="pickup_before_due"),
        CheckConstraint("renewals >= 0", name="renewals_not_negative"),
        CheckConstraint("reminder_stage BETWEEN 0 AND 5", name="reminder_stage_range"),
        Index("ix_loans_status_due", "status", "due"),
        Index("ix_loans_user_id_pickup", "user_id", "pickup"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="RESTRICT"), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pickup: Mapped[date] = mapped_column(Date)
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[LoanStatus] = mapped_column(
        str_enum(LoanStatus, "loan_status"), default=LoanStatus.RESERVED
    )
    renewals: Mapped[int] = mapped_column(SmallInteger, default=0)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    condition: Mapped[UnitCondition | None] = mapped_column(str_enum(UnitCondition, "loan_condition"))
    missing_parts: Mapped[list[Any]] = mapped_column(JSONData, default=list)
    checklist: Mapped[list[Any]] = mapped_column(JSONData, default=list)  # [{item, ok}] at checkout
    note: Mapped[str] = mapped_column(Text, default="")
    # How many of the reminders (two days before, due day, overdue 1, 3, 7 days) were queued:
    # raised in the same transaction as the mail, so each is queued once.
    reminder_stage: Mapped[int] = mapped_column(SmallInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped[Booking] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
