"""The daily roll-up plus the live days give exactly the figures of the bookings alone (utilisation,
the heatmap, people), on random bookings over midnight and a DST change, in two zones, after a late
correction, after a resource moved or left service, and after retention."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from library.booking.models import Booking, BookingPurpose, BookingStatus
from library.catalog.models import Factor, Location, Resource, ResourceKind
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.privacy import anonymise_expired
from library.scheduler import run_jobs_once
from library.stats import queries
from library.stats.models import HourCell, ResourceDay, RolledResource, RolledThrough
from library.stats.rollup import roll_up
from tests.support.booking_rows import insert_booking, row
from tests.support.factories import create_location, create_resource, create_user

START = datetime(2026, 10, 1, 6, tzinfo=UTC)
END = datetime(2026, 11, 22, tzinfo=UTC)
PERIODS = [
    (date(2026, 10, 1), date(2026, 11, 30)),  # all of it, rolled and live
    (date(2026, 10, 25), date(2026, 10, 25)),  # the day of 25 hours
    (date(2026, 10, 20), date(2026, 11, 3)),  # rolled only
    (date(2026, 11, 10), date(2026, 11, 21)),  # across the closed edge
    (date(2026, 11, 21), date(2026, 11, 21)),  # live only
]
STATUSES = list(BookingStatus)


class _Undo(Exception):
    pass


Figures = list[object]


async def _all(session: AsyncSession) -> Figures:
    found: Figures = []
    for first, last in PERIODS:
        found.append(await queries.utilisation(session, first, last, group_by="resource"))
        found.append(await queries.heatmap(session, first, last))
        found.append(await queries.heatmap(session, first, last, factor="space"))
        found.append(await queries.heatmap(session, first, last, location="london"))
        found.append(await queries.people(session, first, last, group_by="factor"))
        found.append(await queries.people(session, first, last, group_by="age_band", location="london"))
    return found


async def _figures(db: Database) -> Figures:
    async with db.read() as session:
        return await _all(session)


async def _raw(db: Database) -> Figures:
    """The figures with the roll-up out of sight: counted from the bookings alone."""
    try:
        async with db.write() as session:
            await session.execute(delete(RolledThrough))
            found = await _all(session)
            raise _Undo  # roll the deletion back
    except _Undo:
        pass
    return found


async def _random_bookings(db: Database, seed: int) -> list[int]:
    chance = random.Random(seed)
    berlin = await create_location(db, policy={"cancel_until_minutes": 120})
    london = await create_location(db, slug="london", name="London", timezone="Europe/London", position=1)
    user = await create_user(db, birth_date=date(1990, 5, 5))
    ids = []
    for location, slug in ((berlin, "room"), (berlin, "printer"), (london, "desk")):
        resource = await create_resource(
            db, location, slug, units=2, kind=ResourceKind.ROOM, factor=Factor.SPACE
        )
        for unit in resource.units:
            at = START + timedelta(minutes=chance.randrange(0, 300))
            while at < END:
                end = at + timedelta(minutes=chance.choice([15, 45, 60, 90, 7, 13, 240, 600]))
                status = chance.choice(STATUSES)
                extra = {}
                if status == BookingStatus.CANCELLED:
                    extra["cancelled_at"] = at - timedelta(minutes=chance.randrange(0, 400))
                purpose = chance.choice([BookingPurpose.VISITOR] * 4 + [BookingPurpose.WORKSHOP])
                ids.append(
                    await insert_booking(
                        db,
                        row(
                            resource.id,
                            unit.id,
                            at,
                            end,
                            status=status,
                            purpose=purpose,
                            user_id=user.id if purpose == BookingPurpose.VISITOR else None,
                            **extra,
                        ),
                    )
                )
                at = end + timedelta(minutes=chance.choice([0, 30, 120, 480, 900]))
    return ids


async def test_roll_up_and_live_days_give_the_figures_of_the_bookings(db: Database) -> None:
    ids = await _random_bookings(db, seed=15)
    raw = await _raw(db)
    whole, heat = raw[0], raw[1]
    assert isinstance(whole, list)
    assert isinstance(heat, list)
    assert sum(c.booked_minutes for c in heat) == sum(r.booked_minutes for r in whole)
    assert sum(r.bookings for r in whole) > 100
    assert sum(r.late_cancellations for r in whole) > 0
    people = raw[4]
    assert isinstance(people, queries.PeopleFigures)
    # One visitor over all the days: one person, new in the period, in the factor space.
    assert {r.key: (r.people, r.new_people) for r in people.rows if r.people} == {"space": (1, 1)}
    assert await _figures(db) == raw  # nothing rolled yet: the bookings alone

    async with db.write() as session:
        counted = await roll_up(session, datetime(2026, 11, 20, 12, tzinfo=UTC))
    assert counted > 40
    async with db.read() as session:
        assert await session.scalar(select(RolledThrough.day)) == date(2026, 11, 18)
        assert (await session.scalar(select(func.count()).select_from(ResourceDay)) or 0) > 100
        assert (await session.scalar(select(func.count()).select_from(HourCell)) or 0) > 100
    assert await _figures(db) == raw

    # Staff correct a booking of a closed day; the next run, a day later, counts that day again.
    async with db.read() as session:
        late_one = await session.scalar(
            select(Booking.id)
            .where(
                Booking.id.in_(ids),
                Booking.status == BookingStatus.CONFIRMED,
                Booking.start_at >= datetime(2026, 11, 16, tzinfo=UTC),
                Booking.end_at < datetime(2026, 11, 17, tzinfo=UTC),
            )
            .limit(1)
        )
    assert late_one is not None
    async with db.write() as session:
        await session.execute(
            update(Booking).where(Booking.id == late_one).values(status=BookingStatus.NO_SHOW)
        )
    corrected = await _raw(db)
    assert corrected != raw
    async with db.write() as session:
        # The seven last closed days again and the newly closed one.
        assert await roll_up(session, datetime(2026, 11, 21, 12, tzinfo=UTC)) == 8
    assert await _figures(db) == corrected
    async with db.write() as session:
        assert await roll_up(session, datetime(2026, 11, 21, 18, tzinfo=UTC)) == 0  # same edge

    # A resource changes factor, another leaves service: until the next run counts the hour
    # cells again, the heatmap takes them off their old cells and counts them from the bookings.
    async with db.write() as session:
        await session.execute(
            update(Resource).where(Resource.slug == "printer").values(factor=Factor.TECHNOLOGY)
        )
        await session.execute(update(Resource).where(Resource.slug == "desk").values(active=False))
    before, corrected = corrected, await _raw(db)
    assert corrected[2] != before[2]  # the space factor lost the printer
    assert corrected[3] != before[3]  # London lost its desk
    assert await _figures(db) == corrected
    async with db.write() as session:
        assert await roll_up(session, datetime(2026, 11, 22, 12, tzinfo=UTC)) == 8
        in_cells = set(
            (await session.scalars(select(RolledResource.resource_id).where(RolledResource.active))).all()
        )
        active = set((await session.scalars(select(Resource.id).where(Resource.active.is_(True)))).all())
    assert in_cells == active
    assert await _figures(db) == corrected
    async with db.write() as session:  # the resource is back in service, under its old factor
        await session.execute(update(Resource).where(Resource.slug == "desk").values(active=True))
        await session.execute(update(Resource).where(Resource.slug == "printer").values(factor=Factor.SPACE))
    corrected = await _raw(db)
    assert await _figures(db) == corrected

    # After the changes above the next run counts all from scratch. A new resource without
    # bookings before the days counted anyway does not make the run after it do so: a mark
    # left on a day before all bookings stays.
    async with db.write() as session:
        assert await roll_up(session, datetime(2026, 11, 23, 12, tzinfo=UTC)) == 8
        berlin = await session.scalar(select(Location).where(Location.slug != "london"))
        assert berlin is not None
        session.add(
            HourCell(
                day=date(2020, 1, 6), location_id=berlin.id, factor=Factor.SPACE, hour=9, booked_minutes=1
            )
        )
    await create_resource(db, berlin, "newcomer")
    async with db.write() as session:
        assert await roll_up(session, datetime(2026, 11, 24, 12, tzinfo=UTC)) == 8
        assert (
            await session.scalar(
                select(func.count()).select_from(HourCell).where(HourCell.day < START.date())
            )
            == 1
        )
        assert await session.scalar(select(func.count()).select_from(RolledResource)) == 4
        await session.execute(delete(HourCell).where(HourCell.day < START.date()))
    corrected = await _raw(db)
    assert await _figures(db) == corrected

    # Retention forgets who booked, not what: the figures stay the same, but for unique people
    # of periods that are not whole months, which are now counted over their months and say so.
    async with db.write() as session:
        assert (await anonymise_expired(session, datetime(2027, 6, 1, tzinfo=UTC), 90)).total > 0
    for after in (await _figures(db), await _raw(db)):
        widened = 0
        for n, (figure, known) in enumerate(zip(after, corrected, strict=True)):
            period = PERIODS[n // 6]
            if (
                isinstance(figure, queries.PeopleFigures)
                and (figure.counted_from, figure.counted_to) != period
            ):
                assert figure.counted_from == period[0].replace(day=1)
                widened += 1
            else:
                assert figure == known
        assert widened == 2 * (len(PERIODS) - 1)  # all but the first, whole months


async def test_the_scheduler_keeps_the_roll_up(
    db: Database, settings: Settings, clock: SettableClock
) -> None:
    location = await create_location(db)
    room = await create_resource(db, location, "room")
    at = clock.now() - timedelta(days=10)
    await insert_booking(
        db, row(room.id, room.units[0].id, at, at + timedelta(hours=2), status=BookingStatus.COMPLETED)
    )

    first = await run_jobs_once(db, clock, settings)
    second = await run_jobs_once(db, clock, settings)

    # From the day before the booking (ten days ago) to the closed edge two days ago.
    assert first["roll_up_statistics"] == 10
    assert second["roll_up_statistics"] == 0  # the edge has not moved
    async with db.read() as session:
        minutes = await session.scalar(select(func.sum(ResourceDay.booked_minutes)))
    assert minutes == 120
