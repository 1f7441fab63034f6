"""What the library offers and when: locations, opening hours, resources and their units."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library.db import Base, BigId, JSONData, UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from library.accounts.models import Certification, User


class Factor(enum.StrEnum):
    """The five factors of the smart-library programme; every offer carries one."""

    TECHNOLOGY = "technology"
    KNOWHOW = "knowhow"
    NETWORKING = "networking"
    SPACE = "space"
    INNOVATION = "innovation"


class ResourceKind(enum.StrEnum):
    ROOM = "room"
    WORKSPACE = "workspace"
    DEVICE = "device"
    LOAN = "loan"  # lent for days to take home (the "Bibliothek der Dinge"), not used in the house


class UnitStatus(enum.StrEnum):
    AVAILABLE = "available"
    RETIRED = "retired"


UNIT_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
"""Letters and digits nobody confuses when typing a label by hand (no 0/o, 1/l/i)."""
UNIT_CODE_LENGTH = 8


def new_unit_code() -> str:
    """A unit's short public code for its label's QR code (/u/{code}): 31^8, not guessable in bulk."""
    return "".join(secrets.choice(UNIT_CODE_ALPHABET) for _ in range(UNIT_CODE_LENGTH))


class UnitCondition(enum.StrEnum):
    NEW = "new"
    GOOD = "good"
    WORN = "worn"
    DAMAGED = "damaged"


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # WGS 84, for open data (SensorThings Locations, schema.org Places); branches may be approximate.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    coordinates_approximate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    opening_periods: Mapped[list[OpeningPeriod]] = relationship(
        back_populates="location", cascade="all, delete-orphan", order_by="OpeningPeriod.weekday"
    )
    exceptions: Mapped[list[OpeningException]] = relationship(
        back_populates="location", cascade="all, delete-orphan"
    )
    resources: Mapped[list[Resource]] = relationship(back_populates="location")
    policy: Mapped[Policy | None] = relationship(
        primaryjoin="Location.id == Policy.location_id", cascade="all, delete-orphan", uselist=False
    )


class OpeningPeriod(Base):
    """A weekly opening period in local time; unstaffed periods have no library staff."""

    __tablename__ = "opening_periods"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_iso"),
        CheckConstraint("start_time < end_time", name="start_before_end"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 1 = Monday, as ISO 8601
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    staffed: Mapped[bool] = mapped_column(Boolean, default=True)

    location: Mapped[Location] = relationship(back_populates="opening_periods")


class OpeningException(Base):
    """A dated exception to the weekly hours: a holiday, a closure or special hours."""

    __tablename__ = "opening_exceptions"
    __table_args__ = (CheckConstraint("date_from <= date_to", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    reason_en: Mapped[str | None] = mapped_column(String(300))

    location: Mapped[Location] = relationship(back_populates="exceptions")
    periods: Mapped[list[ExceptionPeriod]] = relationship(
        back_populates="exception", cascade="all, delete-orphan", order_by="ExceptionPeriod.start_time"
    )


class ExceptionPeriod(Base):
    """Special hours on the days of an exception that is not a full closure."""

    __tablename__ = "exception_periods"
    __table_args__ = (CheckConstraint("start_time < end_time", name="start_before_end"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    exception_id: Mapped[int] = mapped_column(
        ForeignKey("opening_exceptions.id", ondelete="CASCADE"), index=True
    )
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    staffed: Mapped[bool] = mapped_column(Boolean, default=True)

    exception: Mapped[OpeningException] = relationship(back_populates="periods")


class Resource(Base):
    """What the catalogue shows: a room, a workspace with many places, or a kind of device."""

    __tablename__ = "resources"
    __table_args__ = (
        CheckConstraint("min_age IS NULL OR min_age BETWEEN 0 AND 120", name="min_age_range"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        Index("ix_resources_location_id_kind", "location_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"))
    kind: Mapped[ResourceKind] = mapped_column(str_enum(ResourceKind, "resource_kind"))
    factor: Mapped[Factor] = mapped_column(str_enum(Factor, "factor"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer, default=1)  # people per unit
    features: Mapped[list[Any]] = mapped_column(JSONData, default=list)
    features_en: Mapped[list[Any] | None] = mapped_column(JSONData)  # None: the German ones serve
    # The parts of a thing lent ("Akku, Ladegerät, Tasche"): the desk ticks each at checkout.
    loan_parts: Mapped[list[Any] | None] = mapped_column(JSONData)
    # The same parts in English, one for each and in their order; None: the German ones serve.
    loan_parts_en: Mapped[list[Any] | None] = mapped_column(JSONData)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    required_certification_id: Mapped[int | None] = mapped_column(
        ForeignKey("certifications.id", ondelete="RESTRICT"), index=True
    )
    min_age: Mapped[int | None] = mapped_column(SmallInteger)
    needs_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    location: Mapped[Location] = relationship(back_populates="resources")
    units: Mapped[list[Unit]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", order_by="Unit.id"
    )
    required_certification: Mapped[Certification | None] = relationship()
    policy: Mapped[Policy | None] = relationship(
        primaryjoin="Resource.id == Policy.resource_id", cascade="all, delete-orphan", uselist=False
    )


class Unit(Base):
    """One physical instance of a resource: the thing a booking holds."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("resource_id", "label"),
        Index("ix_units_code", "code", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str | None] = mapped_column(String(120))
    inventory_number: Mapped[str | None] = mapped_column(String(60), unique=True)
    serial_number: Mapped[str | None] = mapped_column(String(120))
    condition: Mapped[UnitCondition] = mapped_column(
        str_enum(UnitCondition, "unit_condition"), default=UnitCondition.GOOD
    )
    status: Mapped[UnitStatus] = mapped_column(
        str_enum(UnitStatus, "unit_status"), default=UnitStatus.AVAILABLE
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str] = mapped_column(String(UNIT_CODE_LENGTH), default=new_unit_code)

    resource: Mapped[Resource] = relationship(back_populates="units")
    blocks: Mapped[list[UnitBlock]] = relationship(back_populates="unit", cascade="all, delete-orphan")


class UnitBlock(Base):
    """A period in which a unit cannot be booked (maintenance, repair), with its reason.

    Blocks may lie over existing bookings: staff then handle those bookings by hand, so blocks
    are kept apart from the bookings and their no-overlap guarantee.
    """

    __tablename__ = "unit_blocks"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="start_before_end"),
        Index("ix_unit_blocks_unit_id_end_at", "unit_id", "end_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="blocks")
    created_by: Mapped[User | None] = relationship()


class ReportSeverity(enum.StrEnum):
    NOTICE = "notice"  # worth a look; the unit stays in service
    BLOCKING = "blocking"  # the unit is out of service until staff close the report


class UnitReport(Base):
    """A problem with a unit reported by someone who used it (from the label's QR code).

    A blocking report holds the unit block it made; closing the report ends that block.
    """

    __tablename__ = "unit_reports"
    __table_args__ = (Index("ix_unit_reports_open", "closed_at", "unit_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    severity: Mapped[ReportSeverity] = mapped_column(str_enum(ReportSeverity, "report_severity"))
    text: Mapped[str] = mapped_column(Text)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    block_id: Mapped[int | None] = mapped_column(ForeignKey("unit_blocks.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    close_note: Mapped[str | None] = mapped_column(String(1000))

    unit: Mapped[Unit] = relationship()
    block: Mapped[UnitBlock | None] = relationship()


class MaintenancePlan(Base):
    """When a resource's units are due for service: every N hours, bookings or days of use,
    whichever comes first, with a warning `warn_before_percent` of the way before."""

    __tablename__ = "maintenance_plans"
    __table_args__ = (
        CheckConstraint("every_hours IS NULL OR every_hours > 0", name="every_hours_positive"),
        CheckConstraint("every_bookings IS NULL OR every_bookings > 0", name="every_bookings_positive"),
        CheckConstraint("every_days IS NULL OR every_days > 0", name="every_days_positive"),
        CheckConstraint("warn_before_percent BETWEEN 0 AND 99", name="warn_before_range"),
    )

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    every_hours: Mapped[int | None] = mapped_column(Integer)
    every_bookings: Mapped[int | None] = mapped_column(Integer)
    every_days: Mapped[int | None] = mapped_column(Integer)
    warn_before_percent: Mapped[int] = mapped_column(SmallInteger, default=10)


class UnitService(Base):
    """A service of a unit recorded by staff: its meters count again from here."""

    __tablename__ = "unit_services"
    __table_args__ = (Index("ix_unit_services_unit_id_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(1000), default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Policy(Base):
    """House rules for booking: defaults of a location, or the overrides of one resource.

    A null field means "not set here": the effective policy of a resource takes each field from
    the resource, else its location, else the built-in default (see catalog.policy).
    """

    __tablename__ = "policies"
    __table_args__ = (
        CheckConstraint("(location_id IS NULL) <> (resource_id IS NULL)", name="location_or_resource"),
        CheckConstraint("slot_minutes IS NULL OR slot_minutes BETWEEN 5 AND 1440", name="slot_range"),
        CheckConstraint(
            "min_minutes IS NULL OR max_minutes IS NULL OR min_minutes <= max_minutes",
            name="min_le_max",
        ),
        CheckConstraint("loan_days IS NULL OR loan_days BETWEEN 1 AND 365", name="loan_days_range"),
        CheckConstraint("max_renewals IS NULL OR max_renewals BETWEEN 0 AND 20", name="max_renewals_range"),
        CheckConstraint(
            "hold_offer_minutes IS NULL OR hold_offer_minutes BETWEEN 5 AND 10080", name="hold_offer_range"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), unique=True
    )
    resource_id: Mapped[int | None] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), unique=True
    )
    slot_minutes: Mapped[int | None] = mapped_column(Integer)
    min_minutes: Mapped[int | None] = mapped_column(Integer)
    max_minutes: Mapped[int | None] = mapped_column(Integer)
    horizon_days: Mapped[int | None] = mapped_column(Integer)
    lead_minutes: Mapped[int | None] = mapped_column(Integer)
    setup_minutes: Mapped[int | None] = mapped_column(Integer)
    buffer_minutes: Mapped[int | None] = mapped_column(Integer)
    max_active_bookings: Mapped[int | None] = mapped_column(Integer)
    max_minutes_per_week: Mapped[int | None] = mapped_column(Integer)
    max_minutes_per_day: Mapped[int | None] = mapped_column(Integer)
    max_bookings_per_day: Mapped[int | None] = mapped_column(Integer)
    cancel_until_minutes: Mapped[int | None] = mapped_column(Integer)
    checkin_window_minutes: Mapped[int | None] = mapped_column(Integer)
    loan_days: Mapped[int | None] = mapped_column(Integer)
    max_renewals: Mapped[int | None] = mapped_column(Integer)
    hold_offer_minutes: Mapped[int | None] = mapped_column(Integer)


class CatalogueVersion(Base):
    """One row counting changes to the catalogue: locations, hours, resources, units, policies.

    Triggers in the database bump it in the same transaction as every such change (see
    migration 0007), so a process that cached catalogue facts knows by one cheap read whether
    they are still current, whichever process made the change.
    """

    __tablename__ = "catalogue_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
