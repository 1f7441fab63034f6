"""What staff at a location's desk need today, and searching bookings in the back office.

Reading only: the actions (check in, approve, reject, cancel) are the booking service's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from library.accounts.models import User
from library.booking.intervals import Interval
from library.booking.models import Booking, BookingPurpose, BookingStatus
from library.booking.rules import checkin_window, may_become
from library.catalog.hours import local_instant
from library.catalog.models import Location, Resource, Unit, UnitBlock
from library.catalog.policy import effective_policy
from library.db import escape_like


async def desk_locations(session: AsyncSession) -> Sequence[Location]:
    """Every location, the central one (lowest position) first."""
    return (
        await session.scalars(
            select(Location).options(joinedload(Location.policy)).order_by(Location.position, Location.slug)
        )
    ).all()


@dataclass(frozen=True)
class DeskDay:
    location: Location
    zone: ZoneInfo
    day: date
    arrivals: list[Booking]
    due_now: list[Booking]
    pending: list[Booking]
    no_shows: list[Booking]
    blocks: list[UnitBlock]


def _with_people() -> Select[Booking]:
    return select(Booking).options(
        joinedload(Booking.resource).joinedload(Resource.policy),
        joinedload(Booking.unit),
        joinedload(Booking.user),
    )


async def load_desk(session: AsyncSession, location: Location, now: datetime) -> DeskDay:
    """Today at one location: arrivals in time order, who may check in now, pending approvals
    (today and later), no-shows released today and the blocks that touch today."""
    zone = ZoneInfo(location.timezone)
    day = now.astimezone(zone).date()
    start, end = local_instant(day, time(0), zone), local_instant(day + timedelta(days=1), time(0), zone)
    here = [Resource.location_id == location.id, Booking.purpose == BookingPurpose.VISITOR]
    today = (
        await session.scalars(
            _with_people()
            .join(Resource, Resource.id == Booking.resource_id)
            .where(
                *here,
                Booking.start_at >= start,
                Booking.start_at < end,
                Booking.status.in_(
                    (
                        BookingStatus.CONFIRMED,
                        BookingStatus.CHECKED_IN,
                        BookingStatus.COMPLETED,
                        BookingStatus.NO_SHOW,
                    )
                ),
            )
            .order_by(Booking.start_at, Booking.id)
        )
    ).all()
    pending = (
        await session.scalars(
            _with_people()
            .join(Resource, Resource.id == Booking.resource_id)
            .where(*here, Booking.status == BookingStatus.PENDING, Booking.end_at > now)
            .order_by(Booking.start_at, Booking.id)
        )
    ).all()
    blocks = (
        await session.scalars(
            select(UnitBlock)
            .join(Unit, Unit.id == UnitBlock.unit_id)
            .join(Resource, Resource.id == Unit.resource_id)
            .where(Resource.location_id == location.id, UnitBlock.start_at < end, UnitBlock.end_at > start)
            .options(selectinload(UnitBlock.unit).selectinload(Unit.resource))
            .order_by(UnitBlock.start_at, UnitBlock.id)
        )
    ).all()

    def due(booking: Booking) -> bool:
        policy = effective_policy(location.policy, booking.resource.policy)
        window = checkin_window(Interval(booking.start_at, booking.end_at), policy)
        return may_become(booking.status, BookingStatus.CHECKED_IN) and window.is_open(now)

    return DeskDay(
        location=location,
        zone=zone,
        day=day,
        arrivals=[b for b in today if b.status is not BookingStatus.NO_SHOW],
        due_now=[b for b in today if due(b)],
        pending=list(pending),
        no_shows=[b for b in today if b.status is BookingStatus.NO_SHOW],
        blocks=list(blocks),
    )


@dataclass(frozen=True)
class BookingSearch:
    """What staff look for: a person (e-mail or part of the name), a resource, local dates, a status."""

    person: str = ""
    resource: str = ""
    date_from: date | None = None
    date_to: date | None = None
    status: BookingStatus | None = None


async def search_bookings(
    session: AsyncSession, where: BookingSearch, zone: ZoneInfo, *, limit: int, offset: int
) -> tuple[list[Booking], bool]:
    """A page of bookings, newest start first, and whether more follow."""
    conditions: list[ColumnElement[bool]] = []
    statement = _with_people().join(Resource, Resource.id == Booking.resource_id)
    if where.person.strip():
        pattern = f"%{escape_like(where.person.strip().lower())}%"
        statement = statement.join(User, User.id == Booking.user_id)
        conditions.append(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.name).like(pattern, escape="\\"),
            )
        )
    if where.resource.strip():
        pattern = f"%{escape_like(where.resource.strip().lower())}%"
        conditions.append(
            or_(
                Resource.slug.like(pattern, escape="\\"),
                func.lower(Resource.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(Resource.name_en, "")).like(pattern, escape="\\"),
            )
        )
    if where.date_from is not None:
        conditions.append(Booking.end_at > local_instant(where.date_from, time(0), zone))
    if where.date_to is not None:
        conditions.append(Booking.start_at < local_instant(where.date_to + timedelta(days=1), time(0), zone))
    if where.status is not None:
        conditions.append(Booking.status == where.status)
    rows = (
        await session.scalars(
            statement.where(*conditions)
            .order_by(Booking.start_at.desc(), Booking.id.desc())
            .limit(limit + 1)
            .offset(offset)
        )
    ).all()
    return list(rows[:limit]), len(rows) > limit
