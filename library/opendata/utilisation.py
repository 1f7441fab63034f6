"""Daily utilisation per location, factor and kind, for the open-data CSV.

The figures are the statistics' own (`library.stats.queries.daily_utilisation`, API.md
"Statistics"), so the CSV and the staff statistics always agree. Per local day:

- `open_minutes`: unit-minutes in which a unit could be booked (opening periods, staffed-only
  where the resource needs staff, minus closures and blocks, times the units in service);
- `booked_minutes`: minutes of bookings that are confirmed, checked in, completed or no-shows,
  the part of each that falls on that day;
- `used_minutes`: those of them checked in or completed;
- `bookings`, `no_shows`: visitor bookings that start that day, and how many were no-shows.

Counts only: nothing about who booked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from library.stats.queries import daily_utilisation


@dataclass(frozen=True)
class UtilisationRow:
    date: date
    location: str
    factor: str
    kind: str
    open_minutes: float
    booked_minutes: float
    used_minutes: float
    bookings: int
    no_shows: int


COLUMNS = tuple(field.name for field in fields(UtilisationRow))


def minutes(value: float) -> float:
    """Minutes as the CSV writes them: whole where whole (1080, not 1080.0), else to 2 places."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


async def utilisation_rows(session: AsyncSession, first: date, last: date) -> list[UtilisationRow]:
    """The figures from `first` to `last` (local dates, inclusive), day by day."""
    return [
        UtilisationRow(
            day.day,
            day.location,
            day.factor,
            day.kind,
            minutes(day.figures.open_minutes),
            minutes(day.figures.booked_minutes),
            minutes(day.figures.used_minutes),
            day.figures.bookings,
            day.figures.no_shows,
        )
        for day in await daily_utilisation(session, first, last)
    ]


def to_csv(rows: Iterable[UtilisationRow]) -> bytes:
    """UTF-8 CSV with a header row of the documented column names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(astuple(row))
    return out.getvalue().encode("utf-8")
