"""The desk's day grid: the pure layout, and its read model in five statements whatever the size."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from library.booking.grid import GridFilter, GridItem, GridUnit, lay_out, load_grid
from library.booking.models import BookingStatus
from library.catalog.hours import DayHours, Period
from library.catalog.models import Factor, ResourceKind, Unit
from library.db import Database
from tests.support import factories
from tests.support.staff_pages import block, book
from tests.support.statements import statements_on
from tests.support.times import BERLIN, TEST_NOW, WEDNESDAY, utc

SATURDAY_HOURS = DayHours(
    date(2026, 12, 5), (Period(time(10), time(14), True), Period(time(14), time(19), False))
)


def unit(*items: GridItem) -> GridUnit:
    return GridUnit(
        1, "VR 1", None, "vr-brille", "VR-Brille", None, Factor.TECHNOLOGY, ResourceKind.DEVICE, items
    )


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def test_the_day_runs_over_the_opening_hours_in_quarter_hours_with_bands() -> None:
    layout = lay_out(SATURDAY_HOURS, BERLIN, [unit()])

    assert layout.columns == 9 * 4
    assert [h.start.astimezone(BERLIN).hour for h in layout.hours] == list(range(10, 19))
    assert [(b.kind, b.span) for b in layout.bands] == [("staffed", 16), ("unstaffed", 20)]
    free = layout.rows[0].cells
    assert all(c.kind == "free" and c.span == 4 for c in free)  # one free cell per hour


def test_a_booking_takes_its_columns_and_the_rest_stays_free() -> None:
    day = SATURDAY_HOURS.day
    booking = GridItem(local(day, 11, 15), local(day, 12, 30), "confirmed", booking_id=7, person="Anna")

    cells = lay_out(SATURDAY_HOURS, BERLIN, [unit(booking)]).rows[0].cells

    assert [(c.kind, c.span) for c in cells] == [
        ("free", 4),  # 10-11
        ("free", 1),  # 11:00-11:15
        ("item", 5),  # 11:15-12:30
        ("free", 2),  # 12:30-13
        *[("free", 4)] * 6,
    ]
    assert sum(c.span for c in cells) == 36


def test_a_booking_outside_the_hours_widens_the_day_and_closed_time_is_off() -> None:
    day = SATURDAY_HOURS.day
    late = GridItem(local(day, 19, 30), local(day, 20, 30), "confirmed", booking_id=8)

    layout = lay_out(SATURDAY_HOURS, BERLIN, [unit(late)])

    assert layout.hours[-1].start.astimezone(BERLIN).hour == 20
    assert layout.bands[-1].kind == "closed"
    assert [c.kind for c in layout.rows[0].cells][-3:] == ["off", "item", "off"]


def test_a_no_show_under_a_later_booking_is_listed_apart() -> None:
    day = SATURDAY_HOURS.day
    no_show = GridItem(local(day, 10), local(day, 12), "no_show", booking_id=1)
    later = GridItem(local(day, 11), local(day, 12), "confirmed", booking_id=2)

    row = lay_out(SATURDAY_HOURS, BERLIN, [unit(no_show, later)]).rows[0]

    assert [c.item.booking_id for c in row.cells if c.item] == [2]
    assert [i.booking_id for i in row.overlapping] == [1]


def test_a_day_with_a_clock_change_has_its_real_length() -> None:
    october = DayHours(date(2026, 10, 25), (Period(time(0), time(23, 59), True),))

    layout = lay_out(october, BERLIN, [unit()])

    assert layout.columns == 25 * 4  # the hour 02:00-03:00 comes twice


async def test_the_grid_reads_in_five_statements_whatever_the_number_of_units(db: Database) -> None:
    location = await factories.create_location(db)
    visitor = await factories.create_user(db, "anna@example.org")
    counts: list[int] = []
    for size in (2, 12):
        for number in range(len(counts) * 2, size):
            resource = await factories.create_resource(db, location, f"raum-{number}", units=2)
            await book(db, resource, visitor, utc(WEDNESDAY, 10), status=BookingStatus.PENDING)
            await book(db, resource, visitor, utc(WEDNESDAY, 12), unit_index=1)
            await block(db, resource, utc(WEDNESDAY, 14), utc(WEDNESDAY, 15), "Wartung")
        with statements_on(db) as sent:
            async with db.read() as session:
                found = await load_grid(session, "", WEDNESDAY, TEST_NOW, GridFilter())
        assert found is not None
        counts.append(len(sent))
        items = [i for u in found.units for i in u.items]
        assert len(found.units) == size * 2
        assert sorted({i.status for i in items}) == ["blocked", "confirmed", "pending"]
        assert len(items) == size * 3
    assert counts[0] == counts[1]
    assert counts[1] <= 5, counts


async def test_the_grid_filters_by_factor_and_kind(db: Database) -> None:
    location = await factories.create_location(db)
    await factories.create_resource(db, location, "raum", kind=ResourceKind.ROOM)
    await factories.create_resource(db, location, "brille", kind=ResourceKind.DEVICE, units=3)
    async with db.read() as session:
        devices = await load_grid(session, "", WEDNESDAY, TEST_NOW, GridFilter(kind=ResourceKind.DEVICE))
        all_units = (await session.scalars(select(Unit.id))).all()

    assert devices is not None
    assert {u.resource_slug for u in devices.units} == {"brille"}
    assert len(all_units) == 4


def test_hours_are_whole_even_when_the_library_opens_at_half_past() -> None:
    odd = DayHours(date(2026, 12, 2), (Period(time(9, 30), time(17, 45), True),))

    layout = lay_out(odd, BERLIN, [unit()])

    assert layout.hours[0].start == local(odd.day, 9)
    assert layout.hours[0].start + timedelta(minutes=15 * layout.columns) == local(odd.day, 18)
    assert layout.bands[0].kind == "closed"
