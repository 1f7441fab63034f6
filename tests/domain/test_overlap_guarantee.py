"""The database itself refuses overlapping active bookings of one unit.

Rows are inserted directly, bypassing every check in Python, to show the guarantee holds
even if the application had a bug.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from library.booking.conflicts import is_overlap_violation
from library.booking.models import Booking, BookingStatus
from library.catalog.models import Factor, Location, Resource, ResourceKind, Unit
from library.db import Database
from tests.support.booking_rows import T0, expect_overlap_refused, insert_booking, row

HOUR = timedelta(hours=1)


async def two_units(db: Database) -> tuple[int, int, int]:
    async with db.write() as session:
        location = Location(slug="zentralbibliothek", name="Zentralbibliothek")
        resource = Resource(
            slug="vr-brille",
            name="VR-Brille",
            kind=ResourceKind.DEVICE,
            factor=Factor.TECHNOLOGY,
            location=location,
        )
        first, second = Unit(label="VR 1", resource=resource), Unit(label="VR 2", resource=resource)
        session.add_all([location, resource, first, second])
        await session.flush()
        return resource.id, first.id, second.id


async def test_overlapping_rows_are_refused(db: Database) -> None:
    resource, unit, _ = await two_units(db)
    await insert_booking(db, row(resource, unit, T0, T0 + 2 * HOUR))
    await expect_overlap_refused(db, row(resource, unit, T0 + HOUR, T0 + 3 * HOUR))  # tail
    await expect_overlap_refused(db, row(resource, unit, T0 - HOUR, T0 + timedelta(minutes=1)))  # head
    await expect_overlap_refused(db, row(resource, unit, T0 + timedelta(minutes=30), T0 + HOUR))  # inside
    await expect_overlap_refused(db, row(resource, unit, T0 - HOUR, T0 + 3 * HOUR))  # around
    await expect_overlap_refused(db, row(resource, unit, T0, T0 + 2 * HOUR, status=BookingStatus.PENDING))


async def test_back_to_back_rows_are_accepted(db: Database) -> None:
    resource, unit, _ = await two_units(db)
    await insert_booking(db, row(resource, unit, T0, T0 + HOUR))
    await insert_booking(db, row(resource, unit, T0 + HOUR, T0 + 2 * HOUR))
    await insert_booking(db, row(resource, unit, T0 - HOUR, T0))


async def test_other_units_and_inactive_rows_do_not_conflict(db: Database) -> None:
    resource, unit, other_unit = await two_units(db)
    await insert_booking(db, row(resource, unit, T0, T0 + HOUR))
    await insert_booking(db, row(resource, other_unit, T0, T0 + HOUR))
    for status in (
        BookingStatus.CANCELLED,
        BookingStatus.REJECTED,
        BookingStatus.NO_SHOW,
        BookingStatus.COMPLETED,
    ):
        await insert_booking(db, row(resource, unit, T0, T0 + HOUR, status=status))


async def test_buffers_count_as_occupied(db: Database) -> None:
    resource, unit, _ = await two_units(db)
    # A 3D print 13:00-14:00 with 30 minutes cool-down holds the unit until 14:30.
    await insert_booking(db, row(resource, unit, T0, T0 + HOUR, occupied_end=T0 + 90 * timedelta(minutes=1)))
    await expect_overlap_refused(db, row(resource, unit, T0 + HOUR, T0 + 2 * HOUR))
    await insert_booking(db, row(resource, unit, T0 + 90 * timedelta(minutes=1), T0 + 2 * HOUR))


async def test_updates_into_an_overlap_are_refused(db: Database) -> None:
    resource, unit, _ = await two_units(db)
    await insert_booking(db, row(resource, unit, T0, T0 + HOUR))
    cancelled = await insert_booking(db, row(resource, unit, T0, T0 + HOUR, status=BookingStatus.CANCELLED))
    later = await insert_booking(db, row(resource, unit, T0 + 2 * HOUR, T0 + 3 * HOUR))

    with pytest.raises(IntegrityError) as reactivated:
        async with db.write() as session:
            await session.execute(
                update(Booking).where(Booking.id == cancelled).values(status=BookingStatus.CONFIRMED)
            )
    assert is_overlap_violation(reactivated.value)

    with pytest.raises(IntegrityError) as moved:
        async with db.write() as session:
            await session.execute(
                update(Booking)
                .where(Booking.id == later)
                .values(start_at=T0 + timedelta(minutes=30), occupied_start=T0 + timedelta(minutes=30))
            )
    assert is_overlap_violation(moved.value)
