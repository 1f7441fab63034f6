"""Statistics against hand-computed figures, on both engines (definitions: API.md "Statistics")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from library.booking.models import BookingStatus
from library.catalog.models import Factor, Location, ResourceKind, UnitBlock
from library.db import Database
from library.stats import queries
from tests.support.booking_rows import insert_booking, row
from tests.support.factories import add_exception, create_location, create_resource, hours
from tests.support.times import BERLIN

MONDAY, TUESDAY, NEXT_MONDAY, NEXT_TUESDAY = (
    date(2026, 11, 2),
    date(2026, 11, 3),
    date(2026, 11, 9),
    date(2026, 11, 10),
)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


async def utilisation(
    db: Database, first: date, last: date, group_by: Any
) -> dict[str, queries.UtilisationRow]:
    async with db.read() as session:
        rows = await queries.utilisation(session, first, last, group_by=group_by)
    return {r.key: r for r in rows}


async def known_week(db: Database) -> tuple[Location, dict[str, Any]]:
    """Monday 10-18 staffed; Tuesday 10-14 staffed and 14-18 self-service; the first Tuesday closed."""
    location = await create_location(
        db,
        weekly=(
            hours(1, "10:00", "18:00"),
            hours(2, "10:00", "14:00"),
            hours(2, "14:00", "18:00", staffed=False),
        ),
    )
    await add_exception(db, location, TUESDAY, reason="Feiertag")
    room = await create_resource(db, location, "room", units=2, factor=Factor.SPACE)
    printer = await create_resource(
        db, location, "printer", kind=ResourceKind.DEVICE, factor=Factor.TECHNOLOGY, needs_staff=True
    )
    return location, {"room": room, "printer": printer}


async def test_open_booked_and_used_minutes_follow_the_definitions(db: Database) -> None:
    _, made = await known_week(db)
    room, printer = made["room"], made["printer"]
    first_unit, second_unit = (u.id for u in room.units)
    async with db.write() as session:
        # Unit 1 is blocked 12-20 on the second Monday: 12-18 of it is open time (360 minutes).
        session.add(
            UnitBlock(
                unit_id=first_unit,
                start_at=local(NEXT_MONDAY, 12),
                end_at=local(NEXT_MONDAY, 20),
                reason="Reparatur",
            )
        )
    bookings: list[tuple[int, datetime, datetime, dict[str, Any]]] = [
        (first_unit, local(MONDAY, 10), local(MONDAY, 11), {}),  # 60, a booking
        (first_unit, local(MONDAY, 12), local(MONDAY, 13), {"status": BookingStatus.PENDING}),  # not counted
        (first_unit, local(date(2026, 11, 1), 23), local(MONDAY, 1), {}),  # 60 of it in the period
        (
            second_unit,
            local(NEXT_MONDAY, 10),
            local(NEXT_MONDAY, 12),
            {"status": BookingStatus.CHECKED_IN},
        ),  # 120 used
        (
            first_unit,
            local(NEXT_TUESDAY, 15),
            local(NEXT_TUESDAY, 16, 30),
            {"status": BookingStatus.COMPLETED},
        ),  # 90
        (
            first_unit,
            local(NEXT_TUESDAY, 10),
            local(NEXT_TUESDAY, 11),
            {"status": BookingStatus.NO_SHOW},
        ),  # 60
        (
            second_unit,
            local(NEXT_TUESDAY, 12),
            local(NEXT_TUESDAY, 13),
            {"purpose": "workshop"},
        ),  # 60, no booking
        (
            first_unit,
            local(NEXT_MONDAY, 14),
            local(NEXT_MONDAY, 15),
            {"status": BookingStatus.CANCELLED, "cancelled_at": local(NEXT_MONDAY, 13, 30)},  # late
        ),
        (
            first_unit,
            local(NEXT_MONDAY, 16),
            local(NEXT_MONDAY, 17),
            {"status": BookingStatus.CANCELLED, "cancelled_at": local(NEXT_MONDAY, 10)},  # in time
        ),
    ]
    for unit, start, end, extra in bookings:
        await insert_booking(db, row(room.id, unit, start, end, **extra))
    await insert_booking(
        db, row(printer.id, printer.units[0].id, local(NEXT_MONDAY, 10), local(NEXT_MONDAY, 11))
    )

    by_resource = await utilisation(db, MONDAY, NEXT_TUESDAY, "resource")
    # Open: Mondays 480 each, the closed Tuesday 0, the second Tuesday 480 (240 staffed).
    assert by_resource["room"].open_minutes == 2 * 1440 - 360
    assert by_resource["room"].booked_minutes == 60 + 60 + 120 + 90 + 60 + 60
    assert by_resource["room"].used_minutes == 120 + 90
    assert (by_resource["room"].bookings, by_resource["room"].no_shows) == (4, 1)
    assert by_resource["room"].late_cancellations == 1
    assert by_resource["printer"].open_minutes == 480 + 480 + 240
    assert by_resource["printer"].booked_minutes == 60
    assert by_resource["printer"].booked_share == round(60 / 1200, 4)

    by_factor = await utilisation(db, MONDAY, NEXT_TUESDAY, "factor")
    assert set(by_factor) == {"space", "technology"}
    assert by_factor["space"].booked_share == round(450 / 2520, 4)
    assert by_factor["space"].used_share == round(210 / 2520, 4)
    by_location = await utilisation(db, MONDAY, NEXT_TUESDAY, "location")
    assert by_location["zentralbibliothek"].open_minutes == 2520 + 1200
    assert by_location["zentralbibliothek"].bookings == 5

    closed_day = await utilisation(db, TUESDAY, TUESDAY, "kind")
    assert closed_day["room"].open_minutes == 0
    assert closed_day["room"].booked_share is None


async def test_days_of_23_and_25_hours_count_right(db: Database) -> None:
    location = await create_location(db, weekly=(hours(7, "01:00", "04:00"),))
    hall = await create_resource(db, location, "hall")
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    for day in (spring, autumn):
        before, after = date.fromordinal(day.toordinal() - 1), date.fromordinal(day.toordinal() + 1)
        await insert_booking(db, row(hall.id, hall.units[0].id, local(before, 12), local(after, 12)))
    spring_figures = (await utilisation(db, spring, spring, "resource"))["hall"]
    autumn_figures = (await utilisation(db, autumn, autumn, "resource"))["hall"]
    assert (spring_figures.open_minutes, spring_figures.booked_minutes) == (120, 23 * 60)
    assert (autumn_figures.open_minutes, autumn_figures.booked_minutes) == (240, 25 * 60)

    async with db.read() as session:
        cells = await queries.heatmap(session, autumn, autumn)
    by_cell = {(c.weekday, c.hour): c for c in cells}
    # 02:00 to 03:00 happens twice that night: 120 open and 120 booked minutes, both full.
    assert by_cell[(7, 2)].open_minutes == 120
    assert by_cell[(7, 2)].booked_minutes == 120
    assert by_cell[(7, 1)].booked_share == 1.0
    assert by_cell[(7, 4)].booked_share is None  # closed: nothing to share
    assert len(cells) == 7 * 24
