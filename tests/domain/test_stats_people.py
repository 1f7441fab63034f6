"""Unique people (API.md "Statistics"): each person once per period, the same after retention
and after an account is deleted; kept days counted in whole months. Raw counts, before the
suppression of 1 to 4 (tests/api/test_stats.py checks that)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from library.accounts.models import User
from library.catalog.models import Factor, Resource
from library.db import Database
from library.privacy import anonymise_expired, delete_account
from library.stats import queries
from tests.support.booking_rows import insert_booking, row
from tests.support.factories import create_location, create_resource, create_user
from tests.support.times import utc

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


async def _came(db: Database, resource: Resource, person: User, day: date) -> None:
    """An hour of its own for each person, so that their bookings never overlap."""
    unit = resource.units[0]
    hour = 8 + person.id % 8
    await insert_booking(
        db,
        row(resource.id, unit.id, utc(day, hour), utc(day, hour + 1), user_id=person.id),
    )


async def _library(db: Database) -> dict[str, User]:
    """A: 3 days in March, once in April and in May. B: turns 12 on 20 March, came on the 10th
    and the 25th. C: first came in January, in March to the room and the printer."""
    location = await create_location(db)
    room = await create_resource(db, location, "room", factor=Factor.SPACE)
    printer = await create_resource(db, location, "printer", factor=Factor.TECHNOLOGY)
    a = await create_user(db, "a@example.org", birth_date=date(1980, 1, 1))
    b = await create_user(db, "b@example.org", birth_date=date(2014, 3, 20))
    c = await create_user(db, "c@example.org", birth_date=date(1990, 1, 1))
    for day in (date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 17), date(2026, 4, 5), date(2026, 5, 3)):
        await _came(db, room, a, day)
    for day in (date(2026, 3, 10), date(2026, 3, 25)):
        await _came(db, room, b, day)
    await _came(db, room, c, date(2026, 1, 8))
    await _came(db, room, c, date(2026, 3, 12))
    await _came(db, printer, c, date(2026, 3, 12))
    return {"a": a, "b": b, "c": c}


Counts = dict[str, tuple[int, int]]


async def _people(
    db: Database, first: date, last: date, group_by: queries.PeopleGroup
) -> tuple[Counts, date, date]:
    async with db.read() as session:
        figures = await queries.people(session, first, last, group_by=group_by)
    counts = {r.key: (r.people, r.new_people) for r in figures.rows if r.people}
    return counts, figures.counted_from, figures.counted_to


async def test_each_person_counts_once_in_the_period_and_stays_so_after_retention(db: Database) -> None:
    people = await _library(db)
    march_by_factor = ({"space": (3, 2), "technology": (1, 0)}, *MARCH)  # C came before: returning
    # The age band of each one's first visit in the period: B was 11 on the 10th; bands add up.
    march_by_age = ({"27_64": (2, 1), "under_12": (1, 1)}, *MARCH)
    assert await _people(db, *MARCH, "factor") == march_by_factor
    assert await _people(db, *MARCH, "age_band") == march_by_age
    late_march = await _people(db, date(2026, 3, 21), date(2026, 3, 31), "age_band")
    assert late_march == ({"12_17": (1, 0)}, date(2026, 3, 21), date(2026, 3, 31))
    spring = (date(2026, 3, 1), date(2026, 5, 31))
    spring_by_factor = ({"space": (3, 2), "technology": (1, 0)}, *spring)  # A in three months: once
    assert await _people(db, *spring, "factor") == spring_by_factor
    assert await _people(db, date(2026, 3, 10), date(2026, 3, 12), "factor") == (
        {"space": (3, 1), "technology": (1, 0)},  # A came first on the 3rd
        date(2026, 3, 10),
        date(2026, 3, 12),
    )
    year = (date(2026, 1, 1), date(2026, 12, 31))
    assert await _people(db, *year, "factor") == ({"space": (3, 3), "technology": (1, 1)}, *year)

    # Retention keeps everything up to 21 April (90 days before 20 July) as monthly markers.
    async with db.write() as session:
        assert (await anonymise_expired(session, datetime(2026, 7, 20, 12, tzinfo=UTC), 90)).total > 0
    assert await _people(db, *MARCH, "factor") == march_by_factor
    assert await _people(db, *MARCH, "age_band") == march_by_age
    # March to May: kept March and April, A's May visit still named, counted once.
    assert await _people(db, *spring, "factor") == spring_by_factor
    assert await _people(db, *year, "factor") == ({"space": (3, 3), "technology": (1, 1)}, *year)
    # A few kept days are counted over their month, and the answer says so.
    assert await _people(db, date(2026, 3, 10), date(2026, 3, 12), "factor") == march_by_factor
    assert await _people(db, date(2026, 3, 21), date(2026, 3, 31), "age_band") == march_by_age
    # In April only what is kept, up to the 21st, then the named days.
    assert await _people(db, date(2026, 4, 2), date(2026, 4, 10), "factor") == (
        {"space": (1, 0)},
        date(2026, 4, 1),
        date(2026, 4, 21),
    )

    # A deletes their account: the figures stay, before and after retention runs past it.
    await delete_account(db, people["a"], datetime(2026, 7, 21, tzinfo=UTC))
    assert await _people(db, *spring, "factor") == spring_by_factor
    assert await _people(db, *MARCH, "age_band") == march_by_age
    async with db.write() as session:
        await anonymise_expired(session, datetime(2026, 10, 30, tzinfo=UTC), 90)
    assert await _people(db, *spring, "factor") == spring_by_factor
    assert await _people(db, *MARCH, "age_band") == march_by_age
