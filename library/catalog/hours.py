"""Opening hours of a day, from the weekly periods and the dated exceptions (pure rules)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Period:
    start: time
    end: time
    staffed: bool = True


@dataclass(frozen=True)
class WeeklyPeriod:
    weekday: int  # 1 = Monday
    period: Period


@dataclass(frozen=True)
class DatedException:
    date_from: date
    date_to: date
    closed: bool
    reason: str = ""
    reason_en: str | None = None
    periods: tuple[Period, ...] = ()

    def covers(self, day: date) -> bool:
        return self.date_from <= day <= self.date_to


@dataclass(frozen=True)
class DayHours:
    day: date
    periods: tuple[Period, ...]
    exception: DatedException | None = None

    @property
    def closed(self) -> bool:
        return not self.periods


@dataclass(frozen=True)
class PublicHours:
    """A day's hours as the public reads them: one span from opening to closing, and within it
    the staffed part (first to last staffed minute), or None where nobody is there."""

    opens: time
    closes: time
    staffed: tuple[time, time] | None


def public_hours(day: DayHours) -> PublicHours | None:
    """One span for the door and the page; None on a closed day."""
    if day.closed:
        return None
    staffed = [p for p in day.periods if p.staffed]
    return PublicHours(
        min(p.start for p in day.periods),
        max(p.end for p in day.periods),
        (min(p.start for p in staffed), max(p.end for p in staffed)) if staffed else None,
    )


def hours_on(day: date, weekly: Iterable[WeeklyPeriod], exceptions: Sequence[DatedException]) -> DayHours:
    """The periods a location is open on a day. Of several exceptions the last one given wins."""
    for exception in reversed(exceptions):
        if exception.covers(day):
            periods = () if exception.closed else tuple(sorted(exception.periods, key=lambda p: p.start))
            return DayHours(day, periods, exception)
    periods = tuple(
        sorted((w.period for w in weekly if w.weekday == day.isoweekday()), key=lambda p: p.start)
    )
    return DayHours(day, periods)


def hours_between(
    first: date, last: date, weekly: Sequence[WeeklyPeriod], exceptions: Sequence[DatedException]
) -> list[DayHours]:
    return [hours_on(first + timedelta(days=n), weekly, exceptions) for n in range((last - first).days + 1)]


def exists_locally(day: date, at: time, zone: ZoneInfo) -> bool:
    """False for a wall-clock time the clocks skip (02:30 on the last Sunday of March in
    Europe/Berlin): local_instant would silently shift it by an hour. A repeated hour (October)
    exists, and local_instant takes its first occurrence."""
    wall_clock = datetime.combine(day, at)
    return local_instant(day, at, zone).astimezone(zone).replace(tzinfo=None) == wall_clock


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time on a day, as an instant in UTC.

    UTC because Python subtracts and compares datetimes that share a tzinfo by their wall
    clock, which is wrong across a daylight-saving change.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def days_span(date_from: date, date_to: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants from the first day's midnight to the midnight after the last day, in UTC."""
    first = datetime.combine(date_from, time(0), zone).astimezone(UTC)
    last = datetime.combine(date_to + timedelta(days=1), time(0), zone).astimezone(UTC)
    return first, last


def exception_touches(start: datetime, end: datetime, exception: DatedException, zone: ZoneInfo) -> bool:
    """Whether something from `start` to `end` no longer fits once the exception holds: a closed
    day touches all on it; special hours touch what lies outside every one of their periods."""
    first, last = days_span(exception.date_from, exception.date_to, zone)
    if end <= first or start >= last:
        return False
    if exception.closed:
        return True
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() != local_end.date() and local_end.time() != time(0):
        return True  # across midnight: no period of one day holds it
    finish = local_end.time() if local_end.time() != time(0) else time.max
    return not any(
        p.start <= local_start.time() and finish <= (p.end if p.end != time(0) else time.max)
        for p in exception.periods
    )
