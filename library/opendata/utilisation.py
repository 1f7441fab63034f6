"""Daily utilisation per location, factor and kind, for the open-data CSV.

A small function of this package's own until the statistics package serves the same figures
(then `utilisation_rows` can be pointed at it). Definitions, per local day:

- `open_minutes`: the location's opening minutes that day times its units in service of that
  factor and kind (today's units: the catalogue keeps no history of units);
- `booked_minutes`: minutes of bookings that start that day and were not cancelled or refused
  (a no-show was booked);
- `used_minutes`: minutes of those bookings that were checked in (or completed);
- `bookings`, `no_shows`: how many bookings start that day, and how many of them were no-shows.

Counts only: nothing about who booked.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from library.booking.models import Booking, BookingStatus
from library.booking.queries import load_location_hours
from library.catalog.hours import DayHours
from library.catalog.models import Location, Resource, Unit, UnitStatus

BOOKED = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
)
USED = (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)


@dataclass(frozen=True)
class UtilisationRow:
    date: date
    location: str
    factor: str
    kind: str
    open_minutes: int
    booked_minutes: int
    used_minutes: int
    bookings: int
    no_shows: int


COLUMNS = tuple(field.name for field in fields(UtilisationRow))


@dataclass(frozen=True)
class BookedSpan:
    location: str
    factor: str
    kind: str
    day: date  # the local day it starts
    minutes: int
    status: BookingStatus


def open_minutes(day: DayHours) -> int:
    return sum(
        int((datetime.combine(day.day, p.end) - datetime.combine(day.day, p.start)) / timedelta(minutes=1))
        for p in day.periods
    )


def daily_rows(
    days: dict[str, list[DayHours]],
    units: dict[tuple[str, str, str], int],
    spans: Iterable[BookedSpan],
) -> list[UtilisationRow]:
    """Rows for every day of `days` (per location slug) and every (location, factor, kind) with units."""
    sums: dict[tuple[date, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for span in spans:
        totals = sums[(span.day, span.location, span.factor, span.kind)]
        totals[0] += span.minutes
        totals[1] += span.minutes if span.status in USED else 0
        totals[2] += 1
        totals[3] += 1 if span.status is BookingStatus.NO_SHOW else 0
    rows: list[UtilisationRow] = []
    for (location, factor, kind), count in sorted(units.items()):
        for day in days.get(location, []):
            booked, used, bookings, no_shows = sums.get((day.day, location, factor, kind), [0, 0, 0, 0])
            rows.append(
                UtilisationRow(
                    day.day,
                    location,
                    factor,
                    kind,
                    open_minutes(day) * count,
                    booked,
                    used,
                    bookings,
                    no_shows,
                )
            )
    rows.sort(key=lambda row: (row.date, row.location, row.factor, row.kind))
    return rows


async def utilisation_rows(
    session: AsyncSession, first: date, last: date, zone: ZoneInfo
) -> list[UtilisationRow]:
    """The figures from `first` to `last` (local dates, inclusive): one query per kind of fact."""
    locations = (await session.scalars(select(Location).order_by(Location.position, Location.id))).all()
    days = {
        location.slug: (await load_location_hours(session, location.id, first, last)).days(first, last)
        for location in locations
    }
    slugs = {location.id: location.slug for location in locations}
    unit_rows = await session.execute(
        select(Resource.location_id, Resource.factor, Resource.kind, func.count(Unit.id))
        .join(Unit, Unit.resource_id == Resource.id)
        .where(Resource.active.is_(True), Unit.status == UnitStatus.AVAILABLE)
        .group_by(Resource.location_id, Resource.factor, Resource.kind)
    )
    units = {(slugs[loc], str(factor), str(kind)): count for loc, factor, kind, count in unit_rows}
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    booked = await session.execute(
        select(
            Resource.location_id,
            Resource.factor,
            Resource.kind,
            Booking.start_at,
            Booking.end_at,
            Booking.status,
        )
        .join(Resource, Resource.id == Booking.resource_id)
        .where(Booking.status.in_(BOOKED), Booking.start_at >= start, Booking.start_at < end)
    )
    spans = [
        BookedSpan(
            slugs[loc],
            str(factor),
            str(kind),
            begin.astimezone(zone).date(),
            int((finish - begin) / timedelta(minutes=1)),
            status,
        )
        for loc, factor, kind, begin, finish, status in booked
    ]
    return daily_rows(days, units, spans)


def to_csv(rows: Iterable[UtilisationRow]) -> bytes:
    """UTF-8 CSV with a header row of the documented column names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(astuple(row))
    return out.getvalue().encode("utf-8")
