"""The database itself refuses overlapping active bookings of one unit.

Rows are inserted directly, bypassing every check in Python, to show the guarantee holds
even if the application had a bug.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from library.booking.conflicts import is_deadlock, is_lost_race, is_overlap_violation
from library.booking.models import Booking, BookingStatus
from library.catalog.models import Factor, Location, Resource, ResourceKind, Unit
from library.db import Database
from tests.support.booking_rows import T0, expect_overlap_refused, insert_booking, row
from tests.support.engines import POSTGRES_ONLY

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


@POSTGRES_ONLY
async def test_crossing_overlapping_inserts_end_one_as_a_lost_race(db: Database) -> None:
    """PostgreSQL: each of two transactions books one unit, then the other's unit at the same
    time; each second insert waits for the other transaction (its turn on that unit and day,
    without which the exclusion checks would wait for each other), and PostgreSQL ends one of
    them as a deadlock. That refusal counts as a lost race, as an overlap does."""
    resource, first, second = await two_units(db)
    booked = {first: asyncio.Event(), second: asyncio.Event()}

    async def book_both(mine: int, theirs: int) -> None:
        async with db.write() as session:
            await session.execute(insert(Booking).values(**row(resource, mine, T0, T0 + HOUR)))
            booked[mine].set()
            await booked[theirs].wait()
            await session.execute(insert(Booking).values(**row(resource, theirs, T0, T0 + HOUR)))

    outcomes = await asyncio.gather(
        book_both(first, second), book_both(second, first), return_exceptions=True
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(refused) == 1, outcomes
    error = refused[0]
    assert isinstance(error, DBAPIError)
    assert not isinstance(error, IntegrityError)
    assert is_deadlock(error)
    assert is_lost_race(error)
    async with db.read() as session:  # the other transaction booked both units
        assert len((await session.execute(select(Booking.id))).all()) == 2


@POSTGRES_ONLY
async def test_writers_of_one_unit_and_day_take_turns_so_overlap_checks_cannot_deadlock(db: Database) -> None:
    """PostgreSQL: while one transaction writes an active booking of a unit, another writer of
    that unit on that day waits for it to end (even for another hour) and then meets a plain
    overlap, never a deadlock; writers of another unit or another day do not wait."""
    resource, first, second = await two_units(db)
    written = asyncio.Event()
    release = asyncio.Event()

    async def hold_first() -> None:
        async with db.write() as session:
            await session.execute(insert(Booking).values(**row(resource, first, T0, T0 + HOUR)))
            written.set()
            await release.wait()

    holder = asyncio.create_task(hold_first())
    await written.wait()
    later = asyncio.create_task(insert_booking(db, row(resource, first, T0 + 2 * HOUR, T0 + 3 * HOUR)))
    overlapping = asyncio.create_task(insert_booking(db, row(resource, first, T0, T0 + HOUR)))
    await insert_booking(db, row(resource, second, T0, T0 + HOUR))  # another unit: no waiting
    next_day = T0 + 24 * HOUR
    await insert_booking(db, row(resource, first, next_day, next_day + HOUR))  # another day: no waiting
    await asyncio.sleep(0.3)
    assert not later.done()  # the same unit and day: waits for the holder's turn to end
    assert not overlapping.done()
    release.set()
    await holder
    await later
    with pytest.raises(IntegrityError) as refused:
        await overlapping
    assert is_overlap_violation(refused.value)
