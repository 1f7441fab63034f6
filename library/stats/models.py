"""What statistics keep beyond the bookings: refused attempts, and figures that outlive retention.

Nothing here names a person, except `PersonFirstVisit`, a fact about a live account (the day it
first came) that lets "new people" stay the same after the bookings that showed it forget whose
they were, and `PersonKey`, the opaque number that stands for an account in `PersonMonth`; both
go with the account, the monthly markers stay with nothing that leads back to anyone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from library.catalog.models import Factor
from library.db import Base, BigId, UTCDateTime, str_enum, utcnow


class RefusalEvent(Base):
    """A booking attempt the rules or a full calendar turned away: resource, wanted time, code."""

    __tablename__ = "refusal_events"
    __table_args__ = (Index("ix_refusal_events_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    code: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonFirstVisit(Base):
    """The first local day an account came (booked or took part), kept when retention forgets it."""

    __tablename__ = "stats_first_visits"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)


class PersonKey(Base):
    """An account's opaque statistics key: a random number, made when retention first keeps a
    month of theirs, never shown. Deleting the account deletes this row; the markers keep the
    number, which then leads to no one."""

    __tablename__ = "stats_person_keys"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger, unique=True)


class PersonMonth(Base):
    """A marker: the person behind `key` came in this local month (`month`, its first day) to this
    location for this factor, in this age band; `first_month` is the month of their first visit
    ever (the same on all their markers). Written by retention for the days it keeps, before
    they go nameless, so that unique people of kept months are counted from these rows (whole
    months only).
    """

    __tablename__ = "stats_person_months"
    __table_args__ = (Index("ix_stats_person_months_month", "month"),)

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    factor: Mapped[Factor] = mapped_column(str_enum(Factor, "factor"), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(10), primary_key=True)
    first_month: Mapped[date] = mapped_column(Date)


class KeptUptake(Base):
    """A certification grant whose holder booked a device needing it within 60 days.

    Kept when retention is about to anonymise the booking that showed it.
    """

    __tablename__ = "stats_kept_uptakes"

    user_certification_id: Mapped[int] = mapped_column(
        ForeignKey("user_certifications.id", ondelete="CASCADE"), primary_key=True
    )


class KeptThrough(Base):
    """One row: the last local day whose people are kept (`stats_person_months`)."""

    __tablename__ = "stats_kept_through"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)


class ResourceDay(Base):
    """A resource's figures on one closed local day (its location's zone), so that a year's
    utilisation sums a few hundred thousand small rows instead of scanning a million bookings.

    Minutes are those of the day's part of each booking (a booking over midnight counts on both
    days); bookings, no-shows and late cancellations count on the day the booking starts. Written
    by `library.stats.rollup`; `RolledThrough` says up to which day the rows stand.
    """

    __tablename__ = "stats_resource_days"
    __table_args__ = (Index("ix_stats_resource_days_day", "day"),)

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    booked_minutes: Mapped[float] = mapped_column(Float)
    used_minutes: Mapped[float] = mapped_column(Float)
    bookings: Mapped[int] = mapped_column(Integer)
    no_shows: Mapped[int] = mapped_column(Integer)
    late_cancellations: Mapped[int] = mapped_column(Integer)


class RolledThrough(Base):
    """One row: the last local day whose figures `stats_resource_days` holds (every day up to it)."""

    __tablename__ = "stats_rolled_through"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)


class HourCell(Base):
    """Booked minutes in one local hour of one closed local day, per location and factor.

    The heatmap of a year sums these (a few thousand rows per location) instead of spreading
    400,000 bookings over their hours. Counted by `library.stats.rollup` with the resources
    of `RolledResource` in service, up to the day `RolledThrough` names; an hour the clocks repeat holds
    both of its hours' minutes.
    """

    __tablename__ = "stats_hour_cells"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    factor: Mapped[Factor] = mapped_column(str_enum(Factor, "factor"), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    booked_minutes: Mapped[float] = mapped_column(Float)


class RolledResource(Base):
    """A resource as the roll-up counted it: its location, factor and whether it was in service.

    The hour cells hold the resources in service under this location and factor, the people
    figures every resource under it. A resource that differs now (or has no row) makes the
    figures of the closed days come from the bookings for it (the heatmap) or for all (people)
    until the next roll-up counts them again from scratch.
    """

    __tablename__ = "stats_rolled_resources"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    factor: Mapped[Factor] = mapped_column(str_enum(Factor, "factor"))
    active: Mapped[bool] = mapped_column(Boolean)
