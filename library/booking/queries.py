"""Set-based loading of the facts availability and the rules need.

A constant number of queries, whatever the number of resources: the location and its hours,
the resources with their policies and units, and every occupation in the window. A booking
reads what is not catalogue (the booker's certifications and usage, the occupations) in one
statement, `load_circumstances`; the catalogue itself it takes from booking.catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.elements import BindParameter

from library.accounts.models import Certification, User, UserCertification
from library.booking.availability import Occupation
from library.booking.intervals import Interval
from library.booking.models import ACTIVE_STATUSES, BOOKED_PURPOSES, Booking, BookingPurpose, BookingStatus
from library.booking.rules import Booker, HeldCertification, ResourceFacts, Usage, usage_of
from library.catalog.hours import DatedException, DayHours, Period, WeeklyPeriod, hours_between
from library.catalog.models import (
    Location,
    OpeningException,
    OpeningPeriod,
    Policy,
    Resource,
    Unit,
    UnitBlock,
    UnitStatus,
)
from library.catalog.policy import POLICY_FIELDS, BookingPolicy, effective_policy


@dataclass(frozen=True)
class LocationHours:
    location_id: int
    slug: str
    zone: ZoneInfo
    base_policy: BookingPolicy
    weekly: tuple[WeeklyPeriod, ...]
    exceptions: tuple[DatedException, ...]

    def days(self, first: date, last: date) -> list[DayHours]:
        return hours_between(first, last, self.weekly, self.exceptions)

    def day(self, day: date) -> DayHours:
        return self.days(day, day)[0]


async def load_location_hours(
    session: AsyncSession, location: Location | int, first: date, last: date
) -> LocationHours:
    """The location's zone, default policy and hours for a date range: two queries at most."""
    if isinstance(location, int):
        loaded = await session.scalar(
            select(Location).where(Location.id == location).options(joinedload(Location.policy))
        )
        assert loaded is not None
        location = loaded
    weekly = (
        await session.scalars(select(OpeningPeriod).where(OpeningPeriod.location_id == location.id))
    ).all()
    exceptions = (
        (
            await session.scalars(
                select(OpeningException)
                .where(
                    OpeningException.location_id == location.id,
                    OpeningException.date_to >= first,
                    OpeningException.date_from <= last,
                )
                .options(joinedload(OpeningException.periods))
                .order_by(OpeningException.id)
            )
        )
        .unique()
        .all()
    )
    return LocationHours(
        location_id=location.id,
        slug=location.slug,
        zone=ZoneInfo(location.timezone),
        base_policy=effective_policy(location.policy, None),
        weekly=tuple(WeeklyPeriod(p.weekday, Period(p.start_time, p.end_time, p.staffed)) for p in weekly),
        exceptions=tuple(
            DatedException(
                e.date_from,
                e.date_to,
                e.closed,
                e.reason,
                e.reason_en,
                tuple(Period(p.start_time, p.end_time, p.staffed) for p in e.periods),
            )
            for e in exceptions
        ),
    )


OVERRIDE = aliased(Policy, name="override")
RESOURCE_COLUMNS = (
    Resource.id,
    Resource.slug,
    Resource.name,
    Resource.name_en,
    Resource.location_id,
    Resource.kind,
    Resource.factor,
    Resource.active,
    Resource.needs_staff,
    Resource.requires_approval,
    Resource.min_age,
)
OVERRIDE_COLUMNS = tuple(getattr(OVERRIDE, name) for name in POLICY_FIELDS)  # a row reads like a Policy


async def load_resource_facts(
    session: AsyncSession, base_policy: BookingPolicy, *conditions: ColumnElement[bool]
) -> list[ResourceFacts]:
    """Resources matching the conditions with their effective policy and bookable units.

    One query of plain columns (a row per unit), cheap even for a thousand resources.
    """
    rows = await session.execute(
        select(*RESOURCE_COLUMNS, *OVERRIDE_COLUMNS, Certification.key, Unit.id.label("unit_id"))
        .outerjoin(OVERRIDE, OVERRIDE.resource_id == Resource.id)
        .outerjoin(Certification, Certification.id == Resource.required_certification_id)
        .outerjoin(Unit, and_(Unit.resource_id == Resource.id, Unit.status == UnitStatus.AVAILABLE))
        .where(*conditions)
        .order_by(Resource.name, Resource.id, Unit.id)
    )
    first_rows: dict[int, Any] = {}
    units: dict[int, list[int]] = {}
    for row in rows:
        if row.id not in first_rows:
            first_rows[row.id] = row
            units[row.id] = []
        if row.unit_id is not None:
            units[row.id].append(row.unit_id)
    return [
        ResourceFacts(
            id=row.id,
            slug=row.slug,
            name=row.name,
            name_en=row.name_en,
            location_id=row.location_id,
            kind=row.kind.value,
            factor=row.factor.value,
            active=row.active,
            needs_staff=row.needs_staff,
            requires_approval=row.requires_approval,
            min_age=row.min_age,
            required_certification=row.key,
            policy=effective_policy(None, row, base_policy),
            unit_ids=tuple(units[row.id]),
        )
        for row in first_rows.values()
    ]


OCCUPIED, COUNTED, HELD = "occupied", "counted", "held"
"""What a fact row is: `_occupied`, `_counted` and `_held` select rows of one shape (part, ref,
start, end, text, flag), so that one UNION ALL can read them together."""


Facts = Select[*tuple[Any, ...]]
"""A statement selecting fact rows."""

COUNTED_STATUSES = (*ACTIVE_STATUSES, BookingStatus.COMPLETED)
"""Bookings that use up a quota: upcoming ones and time already used."""


IDS: BindParameter[Any] = bindparam("resource_ids", expanding=True)
START: BindParameter[Any] = bindparam("start")
END: BindParameter[Any] = bindparam("end")
USER: BindParameter[Any] = bindparam("user_id")
SINCE: BindParameter[Any] = bindparam("since")
EXCLUDED: BindParameter[Any] = bindparam("excluded")
"""The statements below are built once with these parameters and reused: building a UNION ALL
and its cache key anew cost about a millisecond of every booking and availability answer."""


def _occupied(excluding: bool = False) -> list[Facts]:
    """Active bookings' occupied spans and blocks touching [START, END), as fact rows."""
    bookings = select(
        literal(OCCUPIED).label("part"),
        Booking.unit_id.label("ref"),
        Booking.occupied_start.label("start"),
        Booking.occupied_end.label("end"),
        cast(null(), String).label("text"),
        literal(False).label("flag"),
    ).where(
        Booking.resource_id.in_(IDS),
        Booking.occupied_end > START,
        Booking.occupied_start < END,
        Booking.status.in_(ACTIVE_STATUSES),
    )
    if excluding:
        bookings = bookings.where(Booking.id != EXCLUDED)
    blocks = (
        select(
            literal(OCCUPIED),
            UnitBlock.unit_id,
            UnitBlock.start_at,
            UnitBlock.end_at,
            cast(null(), String),
            literal(True),
        )
        .join(Unit, Unit.id == UnitBlock.unit_id)
        .where(Unit.resource_id.in_(IDS), UnitBlock.end_at > START, UnitBlock.start_at < END)
    )
    return [bookings, blocks]


def _counted() -> Facts:
    """The person's bookings of these resources that count against quotas, as fact rows."""
    return select(
        literal(COUNTED).label("part"),
        Booking.resource_id.label("ref"),
        Booking.start_at.label("start"),
        Booking.end_at.label("end"),
        cast(Booking.status, String).label("text"),
        literal(False).label("flag"),
    ).where(
        Booking.user_id == USER,
        Booking.resource_id.in_(IDS),
        Booking.status.in_(COUNTED_STATUSES),
        Booking.end_at > SINCE,
    )


def _held() -> Facts:
    """The person's unrevoked certifications, as fact rows."""
    return (
        select(
            literal(HELD).label("part"),
            cast(null(), Integer).label("ref"),
            UserCertification.granted_at.label("start"),
            UserCertification.expires_at.label("end"),
            Certification.key.label("text"),
            literal(False).label("flag"),
        )
        .join(Certification, Certification.id == UserCertification.certification_id)
        .where(UserCertification.user_id == USER, UserCertification.revoked_at.is_(None))
    )


OCCUPATIONS = union_all(*_occupied())
OCCUPATIONS_EXCEPT_ONE = union_all(*_occupied(excluding=True))
HELD_CERTIFICATIONS = _held()
CIRCUMSTANCES = union_all(*_occupied(), _counted(), _held())
CIRCUMSTANCES_EXCEPT_ONE = union_all(*_occupied(excluding=True), _counted(), _held())


def _occupations(rows: Iterable[Any]) -> list[Occupation]:
    return [Occupation(row.ref, row.start, row.end, bool(row.flag)) for row in rows]


def _booker(user: User, rows: Iterable[Any]) -> Booker:
    return Booker(user.birth_date, tuple(HeldCertification(row.text, row.end, row.start) for row in rows))


def _usage(
    rows: Iterable[Any], resource_ids: Sequence[int], now: datetime, week: Interval, day: Interval
) -> dict[int, Usage]:
    per_resource: dict[int, list[tuple[Interval, str]]] = {resource_id: [] for resource_id in resource_ids}
    for row in rows:
        per_resource[row.ref].append((Interval(row.start, row.end), BookingStatus(row.text)))
    return {resource_id: usage_of(found, now, week, day) for resource_id, found in per_resource.items()}


async def load_occupations(
    session: AsyncSession,
    resource_ids: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    exclude_booking_id: int | None = None,
) -> list[Occupation]:
    """Every active booking's occupied span and every block touching [start, end): one query."""
    if not resource_ids:
        return []
    found = await session.execute(
        OCCUPATIONS if exclude_booking_id is None else OCCUPATIONS_EXCEPT_ONE,
        {"resource_ids": list(resource_ids), "start": start, "end": end, "excluded": exclude_booking_id},
    )
    return _occupations(found)


async def load_booker(session: AsyncSession, user: User) -> Booker:
    return _booker(user, await session.execute(HELD_CERTIFICATIONS, {"user_id": user.id}))


@dataclass(frozen=True)
class Circumstances:
    """What a booking is decided on besides the catalogue: who books, their quota usage per
    resource, and what occupies the units."""

    booker: Booker
    usage: dict[int, Usage]
    occupations: list[Occupation]


async def load_circumstances(
    session: AsyncSession,
    user: User,
    resource_ids: Sequence[int],
    occupied: Interval,
    *,
    now: datetime,
    week: Interval,
    day: Interval,
    exclude_booking_id: int | None = None,
) -> Circumstances:
    """The booker's certifications and usage and the occupations, in one UNION ALL statement;
    a move leaves out the occupation of the booking it moves (`exclude_booking_id`)."""
    parts: dict[str, list[Any]] = {OCCUPIED: [], COUNTED: [], HELD: []}
    values = {
        "resource_ids": list(resource_ids),
        "start": occupied.start,
        "end": occupied.end,
        "user_id": user.id,
        "since": min(now, week.start),
        "excluded": exclude_booking_id,
    }
    statement = CIRCUMSTANCES if exclude_booking_id is None else CIRCUMSTANCES_EXCEPT_ONE
    for row in await (await session.connection()).execute(statement, values):  # plain Core: no ORM
        parts[row.part].append(row)
    return Circumstances(
        _booker(user, parts[HELD]),
        _usage(parts[COUNTED], resource_ids, now, week, day),
        _occupations(parts[OCCUPIED]),
    )


async def list_bookings(
    session: AsyncSession,
    *,
    owner_id: int | None = None,
    visitors_only: bool = False,
    after: datetime | None = None,
    before: datetime | None = None,
    status: BookingStatus | None = None,
    resource_slug: str | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[Booking]:
    """Bookings for a list (the API's, a visitor's own page): each with its resource and that
    resource's house rules, its unit and its person, in one query. `after`/`before` keep the
    bookings that end after and start before those instants."""
    statement = select(Booking).options(
        joinedload(Booking.resource).joinedload(Resource.location).joinedload(Location.policy),
        joinedload(Booking.resource).joinedload(Resource.policy),
        joinedload(Booking.unit),
        joinedload(Booking.user),
    )
    statement = statement.where(Booking.purpose.in_(BOOKED_PURPOSES))
    if owner_id is not None:
        statement = statement.where(Booking.user_id == owner_id)
    if visitors_only:
        statement = statement.where(Booking.purpose == BookingPurpose.VISITOR)
    if after is not None:
        statement = statement.where(Booking.end_at > after)
    if before is not None:
        statement = statement.where(Booking.start_at < before)
    if status is not None:
        statement = statement.where(Booking.status == status)
    if resource_slug is not None:
        statement = statement.where(
            Booking.resource_id.in_(select(Resource.id).where(Resource.slug == resource_slug))
        )
    order = (Booking.start_at.desc(), Booking.id.desc()) if newest_first else (Booking.start_at, Booking.id)
    statement = statement.order_by(*order).limit(limit).offset(offset)
    return (await session.scalars(statement)).unique().all()
