"""The daily roll-up: each resource's figures per closed local day, kept by the scheduler.

A day is closed when its bookings can no longer change status on their own: the scheduler
turns a booking into a no-show a check-in window after its start and completes it at its end,
so two days after a local day has ended (`LAG_DAYS`) every booking on it has its last status.
Staff may still correct a booking afterwards, so each time the closed edge moves on, the last
`RECHECK_DAYS` days are counted again (delete and INSERT ... SELECT, one grouped statement per
chunk of days); a change older than that is not seen by the roll-up. Retention does not matter
here: it forgets who booked, not when or with which status.

Beside the resource days, the same run counts the hour cells of the heatmap (booked minutes per
local day and hour, per location and factor, of the resources in service), so that a year's
heatmap reads a few thousand anonymous rows. They depend on each resource's location, factor
and whether it is in service, as listed in `RolledResource`: when a resource has changed since,
the next run counts the cells again from scratch, and until then the heatmap counts what the
change touches from the bookings. People are not rolled up: they are counted as unique people
(`queries.people`), from the bookings and, for the days retention has kept, its monthly markers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CTE, Date, Select, and_, delete, func, insert, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from library.booking.models import Booking
from library.catalog.models import Location, Resource
from library.db import UTCDateTime
from library.stats import rules
from library.stats.models import HourCell, ResourceDay, RolledResource, RolledThrough
from library.stats.queries import (
    TIME_SLOTS,
    Counted,
    booked_figures,
    counted_resources,
    late_cancellations,
    rolled_resources,
    spans_table,
    spread_over_hours,
    starting_hours,
)
from library.stats.sql import local_day, local_hour, minutes_between

LAG_DAYS = 2
"""Days after its end before a local day counts as closed."""
RECHECK_DAYS = 7
"""Closed days counted again each time the edge moves, for late corrections by staff."""
CHUNK_DAYS = 60
"""Days per statement (SQLite allows 500 terms in a compound SELECT)."""


def closed_through(now: datetime, zones: list[str]) -> date:
    """The last local day that is closed in every zone."""
    return min(now.astimezone(ZoneInfo(zone)).date() for zone in zones) - timedelta(days=LAG_DAYS)


async def roll_up(session: AsyncSession, now: datetime) -> int:
    """Bring the roll-up up to the closed edge; the number of days (re)counted."""
    zones = list((await session.scalars(select(Location.timezone).distinct())).all())
    if not zones:
        return 0
    through = closed_through(now, zones)
    # The row lock makes concurrent schedulers take turns (SQLite has one writer anyway).
    rolled: date | None = await session.scalar(select(RolledThrough.day).with_for_update())
    if rolled is not None and rolled >= through:
        return 0
    counted, as_now = await rolled_resources(session)
    # Hour cells and people are counted from scratch the first time and after a resource changed;
    # a new resource changes nothing when it has no booking before the days counted again anyway.
    changed = [r for r in counted.keys() | as_now.keys() if counted.get(r) != as_now.get(r)]
    if rolled is None:
        again = True
    else:
        first = rolled - timedelta(days=RECHECK_DAYS - 1)
        again = not await _only_new_without_past(session, changed, counted, first)
    if again:
        earliest: datetime | None = await session.scalar(select(func.min(Booking.start_at)))
        beginning = through + timedelta(days=1) if earliest is None else earliest.date() - timedelta(days=1)
        if rolled is None:
            first = beginning
    again_first = beginning if again else first
    if again:
        await session.execute(delete(HourCell))
    if changed:
        await session.execute(delete(RolledResource))
        await session.execute(
            insert(RolledResource).from_select(
                ["resource_id", "location_id", "factor", "active"],
                select(Resource.id, Resource.location_id, Resource.factor, Resource.active),
            )
        )
    longest = await longest_slot(session)
    counted_days = 0
    for day, last in chunks(first, through):
        await count_days(session, day, last, zones, longest)
        counted_days += (last - day).days + 1
    for day, last in chunks(again_first, through):
        await count_hours(session, day, last, longest)
    if rolled is None:
        session.add(RolledThrough(id=1, day=through))
    else:
        await session.execute(update(RolledThrough).values(day=through))
    await session.flush()
    return counted_days


async def longest_slot(session: AsyncSession) -> timedelta:
    """The longest time slot booked (a loan's weeks are not booked minutes: see queries.TIME_SLOTS):
    a booking starting earlier than that before a day cannot reach into it."""
    minutes = await session.scalar(
        select(func.max(minutes_between(Booking.start_at, Booking.end_at))).where(
            Booking.purpose.in_(TIME_SLOTS)
        )
    )
    return timedelta(minutes=float(minutes or 0))


async def _only_new_without_past(
    session: AsyncSession, changed: list[int], counted: Counted, first: date
) -> bool:
    """Whether the changed resources are all new ones without a booking that could touch a day
    before `first` (a day's margin for the zones)."""
    if any(r in counted for r in changed):
        return False
    if not changed:
        return True
    edge = datetime.combine(first + timedelta(days=1), time(), tzinfo=UTC)
    touched = await session.scalar(
        select(Booking.id).where(Booking.resource_id.in_(changed), Booking.start_at < edge).limit(1)
    )
    return touched is None


def chunks(first: date, last: date) -> list[tuple[date, date]]:
    """The days from `first` to `last` in pieces of at most `CHUNK_DAYS`."""
    pieces = []
    day = first
    while day <= last:
        end = min(last, day + timedelta(days=CHUNK_DAYS - 1))
        pieces.append((day, end))
        day = end + timedelta(days=1)
    return pieces


def _days(first: date, last: date, zones: list[str]) -> CTE:
    """Each local day of each zone with its bounds as UTC instants, DST-right."""
    rows = []
    for zone in zones:
        day = first
        while day <= last:
            bounds = rules.period_bounds(day, day, ZoneInfo(zone))
            rows.append(
                select(
                    literal(zone).label("zone"),
                    literal(day, Date()).label("day"),
                    literal(bounds.start, UTCDateTime()).label("lower"),
                    literal(bounds.end, UTCDateTime()).label("upper"),
                )
            )
            day += timedelta(days=1)
    return (rows[0] if len(rows) == 1 else union_all(*rows)).cte("days")


async def count_days(
    session: AsyncSession, first: date, last: date, zones: list[str], longest: timedelta
) -> None:
    """Replace the rows of the local days `first` to `last` by a fresh count of the bookings."""
    await session.execute(delete(ResourceDay).where(ResourceDay.day >= first, ResourceDay.day <= last))
    await session.execute(
        insert(ResourceDay).from_select(
            ["resource_id", "day", *_SUMS, "late_cancellations"], day_figures(first, last, zones, longest)
        )
    )


def day_figures(first: date, last: date, zones: list[str], longest: timedelta) -> Select[Any]:
    """Each resource's figures on each local day `first` to `last` (at most `CHUNK_DAYS`), counted
    from the bookings: resource_id, day, booked_minutes, used_minutes, bookings, no_shows,
    late_cancellations, the columns of `ResourceDay`. The roll-up stores them; the trend reads
    the days not rolled up yet the same way.

    `longest` is the longest booking: one starting earlier cannot reach into these days.
    """
    days = _days(first, last, zones)
    # The chunk's outer bounds as constants, so that the index on the start narrows the scan
    # to the chunk's bookings before each is matched with the days it touches.
    bounds = [rules.period_bounds(first, last, ZoneInfo(zone)) for zone in zones]
    earliest = min(b.start for b in bounds)
    lower = literal(earliest, UTCDateTime())
    upper = literal(max(b.end for b in bounds), UTCDateTime())
    sums, conditions = booked_figures(days.c.lower, days.c.upper)
    conditions += [
        Booking.start_at >= literal(earliest - longest, UTCDateTime()),
        Booking.start_at < upper,
        Booking.end_at > lower,
    ]
    booked = (
        select(
            Booking.resource_id.label("resource_id"),
            days.c.day.label("day"),
            *(total.label(name) for total, name in zip(sums, _SUMS, strict=True)),
        )
        .join(Resource, Resource.id == Booking.resource_id)
        .join(Location, Location.id == Resource.location_id)
        .join(days, days.c.zone == Location.timezone)
        .where(*conditions)
        .group_by(Booking.resource_id, days.c.day)
        .subquery("booked")
    )
    late = (
        late_cancellations(days.c.lower, days.c.upper)
        .add_columns(days.c.day.label("day"))
        .where(Booking.start_at >= lower, Booking.start_at < upper)
        .join(Location, Location.id == Resource.location_id)
        .join(days, days.c.zone == Location.timezone)
        .group_by(Booking.resource_id, days.c.day)
        .subquery("late")
    )
    b, lt = booked.c, late.c
    same = and_(lt.resource_id == b.resource_id, lt.day == b.day)
    with_bookings = (
        select(
            b.resource_id,
            b.day,
            *(b[name] for name in _SUMS),
            func.coalesce(lt.late, 0).label("late_cancellations"),
        )
        .select_from(booked)
        .outerjoin(late, same)
    )
    only_late = (
        select(lt.resource_id, lt.day, literal(0.0), literal(0.0), literal(0), literal(0), lt.late)
        .select_from(late)
        .outerjoin(booked, same)
        .where(b.resource_id.is_(None))
    )
    return union_all(with_bookings, only_late)  # type: ignore[return-value]


_SUMS = ("booked_minutes", "used_minutes", "bookings", "no_shows")


async def count_hours(session: AsyncSession, first: date, last: date, longest: timedelta) -> None:
    """Replace the hour cells of the local days `first` to `last` by a fresh count of the bookings
    of the resources in service in `RolledResource`, each under the location and factor it has there."""
    await session.execute(delete(HourCell).where(HourCell.day >= first, HourCell.day <= last))
    locations = (await session.execute(select(Location.id, Location.timezone))).all()
    spans = [(id_, rules.period_bounds(first, last, ZoneInfo(zone)), zone) for id_, zone in locations]
    if not spans:
        return
    earliest = min(span.start for _, span, _ in spans)
    grouped = starting_hours(
        spans_table(spans),
        counted_resources(RolledResource),
        Booking.start_at >= literal(earliest - longest, UTCDateTime()),
    )
    per_hour = spread_over_hours(grouped, int(longest.total_seconds() // 3600) + 2)
    day = local_day(per_hour.c.slot, per_hour.c.zone)
    hour = local_hour(per_hour.c.slot, per_hour.c.zone)
    await session.execute(
        insert(HourCell).from_select(
            ["day", "location_id", "factor", "hour", "booked_minutes"],
            select(
                day, per_hour.c.location_id, per_hour.c.factor, hour, func.sum(per_hour.c.minutes)
            ).group_by(day, per_hour.c.location_id, per_hour.c.factor, hour),
        )
    )
