"""Rows the staff page tests share: a location with a resource, a visitor, staff, bookings, blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from library.accounts.models import Role, User
from library.booking.models import Booking, BookingStatus
from library.catalog.models import Location, Resource, Unit, UnitBlock
from library.db import Database
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import sign_in


@dataclass(frozen=True)
class Desk:
    location: Location
    resource: Resource
    visitor: User
    staff: User


async def desk_world(db: Database) -> Desk:
    location = await factories.create_location(db)
    resource = await factories.create_resource(
        db, location, "lesesaal", name="Lesesaal", name_en="Reading room", units=2
    )
    visitor = await factories.create_user(db, "anna@example.org", name="Anna Muster")
    staff = await factories.create_user(db, "sam@example.org", name="Sam Theke", role=Role.STAFF)
    return Desk(location, resource, visitor, staff)


async def book(
    db: Database,
    resource: Resource,
    user: User,
    start: datetime,
    *,
    hours: int = 1,
    status: BookingStatus = BookingStatus.CONFIRMED,
    unit_index: int = 0,
    note: str = "",
) -> Booking:
    """A booking written straight into the database (the rules are not what these tests check)."""
    async with db.write() as session:
        units = (
            await session.scalars(select(Unit.id).where(Unit.resource_id == resource.id).order_by(Unit.id))
        ).all()
        end = start + timedelta(hours=hours)
        booking = Booking(
            unit_id=units[unit_index],
            resource_id=resource.id,
            user_id=user.id,
            start_at=start,
            end_at=end,
            occupied_start=start,
            occupied_end=end,
            status=status,
            note=note,
            created_at=start - timedelta(days=1),
            updated_at=start - timedelta(days=1),
        )
        session.add(booking)
    return booking


async def block(db: Database, resource: Resource, start: datetime, end: datetime, reason: str) -> UnitBlock:
    async with db.write() as session:
        unit_id = await session.scalar(
            select(Unit.id).where(Unit.resource_id == resource.id).order_by(Unit.id)
        )
        assert unit_id is not None
        row = UnitBlock(unit_id=unit_id, start_at=start, end_at=end, reason=reason, created_at=start)
        session.add(row)
    return row


async def status_of(db: Database, booking_id: int) -> BookingStatus:
    async with db.read() as session:
        status = await session.scalar(select(Booking.status).where(Booking.id == booking_id))
    assert status is not None
    return status


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def assert_staff_only(client: Client, db: Database, *paths: str) -> None:
    """Anonymous → sign-in redirect; a visitor → 403 page. (Call before signing anyone in.)"""
    for path in paths:
        anonymous = await client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")
    await factories.create_user(db, "visitor-only@example.org")
    await sign_in(client, "visitor-only@example.org")
    for path in paths:
        forbidden = await client.get(path)
        assert forbidden.status_code == 403
        assert forbidden.headers["content-type"].startswith("text/html")
    client.cookies.clear()
