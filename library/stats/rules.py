"""Pure rules of the statistics: open time from the weekly hours, age bands, suppression.

Opening hours are a few rows per location, so open minutes are worked out here from them (one
pass over the days of the period, DST-right through `local_instant`), not in SQL; the bookings,
which are many, are summed in the database (library.stats.queries).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from library.catalog.hours import DatedException, WeeklyPeriod, hours_between, local_instant

SMALLEST_SHOWN = 5
"""Counts of people from 1 to 4 are never shown: with so few, someone could be recognised."""

AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under_12", 0, 11),
    ("12_17", 12, 17),
    ("18_26", 18, 26),
    ("27_64", 27, 64),
    ("65_plus", 65, None),
)
UNKNOWN_AGE = "unknown"
UTC_ZONE = UTC

EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
"""Statistics are asked for between these dates: outside them no booking can lie, and the
calendar arithmetic of a period must not run off the end of Python's dates."""

UPTAKE_DAYS = 60
"""Certified people count as having used their know-how when they book within so many days."""


@dataclass(frozen=True)
class Span:
    """A half-open span of time [start, end) in UTC."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True)
class OpenTime:
    """When a location is open in a period: all opening periods, and the staffed ones only."""

    every: tuple[Span, ...]
    staffed: tuple[Span, ...]

    def spans(self, needs_staff: bool) -> tuple[Span, ...]:
        return self.staffed if needs_staff else self.every


def period_bounds(first: date, last: date, zone: ZoneInfo) -> Span:
    """Local dates `first` to `last` inclusive as UTC instants: midnight to midnight, DST-right."""
    return Span(
        local_instant(first, datetime.min.time(), zone),
        local_instant(last + timedelta(days=1), datetime.min.time(), zone),
    )


def open_time(
    first: date,
    last: date,
    zone: ZoneInfo,
    weekly: Sequence[WeeklyPeriod],
    exceptions: Sequence[DatedException],
) -> OpenTime:
    """The opening periods of the days from `first` to `last`, closures and special hours applied."""
    every: list[Span] = []
    staffed: list[Span] = []
    for day in hours_between(first, last, weekly, exceptions):
        for period in day.periods:
            span = Span(local_instant(day.day, period.start, zone), local_instant(day.day, period.end, zone))
            if span.end <= span.start:
                continue
            every.append(span)
            if period.staffed:
                staffed.append(span)
    return OpenTime(tuple(merged(every)), tuple(merged(staffed)))


def merged(spans: Iterable[Span]) -> list[Span]:
    """Sorted spans with overlapping or touching ones joined."""
    result: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if result and span.start <= result[-1].end:
            if span.end > result[-1].end:
                result[-1] = Span(result[-1].start, span.end)
        else:
            result.append(span)
    return result


def overlap(spans: Sequence[Span], others: Iterable[Span]) -> list[Span]:
    """The parts of `others` (merged first) that lie within the sorted, disjoint `spans`."""
    starts = [s.start for s in spans]
    result: list[Span] = []
    for other in merged(others):
        index = max(bisect_right(starts, other.start) - 1, 0)
        while index < len(spans) and spans[index].start < other.end:
            start, end = max(spans[index].start, other.start), min(spans[index].end, other.end)
            if start < end:
                result.append(Span(start, end))
            index += 1
    return result


def total_minutes(spans: Iterable[Span]) -> float:
    return sum(span.minutes for span in spans)


def hour_cells(spans: Iterable[Span], zone: ZoneInfo) -> dict[tuple[int, int], float]:
    """Minutes per local (ISO weekday, hour) cell; an hour the clocks repeat counts twice."""
    cells: dict[tuple[int, int], float] = defaultdict(float)
    for span in spans:
        cursor = span.start
        while cursor < span.end:
            # Local hours begin on whole UTC hours wherever offsets are whole hours (Europe).
            boundary = cursor.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            piece_end = min(boundary, span.end)
            local = cursor.astimezone(zone)
            cells[(local.isoweekday(), local.hour)] += (piece_end - cursor).total_seconds() / 60
            cursor = piece_end
    return cells


def age_band(birth_date: date | None, on: date) -> str:
    """The age band of someone born on `birth_date` on the day `on`."""
    if birth_date is None:
        return UNKNOWN_AGE
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    for key, lowest, highest in AGE_BANDS:
        if age >= lowest and (highest is None or age <= highest):
            return key
    return UNKNOWN_AGE


def shown(count: int) -> int | None:
    """A count of people as it may be shown: 1 to 4 become None (suppressed), 0 stays 0."""
    return None if 0 < count < SMALLEST_SHOWN else count


def share(part: float, whole: float) -> float | None:
    """`part` over `whole` between 0 and 1, None when nothing was open."""
    if whole <= 0:
        return None
    return round(min(max(part / whole, 0.0), 1.0), 4)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def month_end(day: date) -> date:
    """The last day of the day's month."""
    following = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return following - timedelta(days=1)


def counted_period(first: date, last: date, kept_through: date | None) -> tuple[date, date]:
    """The days over which unique people are counted for the period `first` to `last`.

    Days up to `kept_through` are known only as monthly markers (retention has forgotten who
    came on which day): where the period reaches into them, that part is widened to whole
    months (never past `kept_through`, after which the bookings still name their people). A
    period of whole months, or one wholly after `kept_through`, is counted exactly.
    """
    if kept_through is None or first > kept_through:
        return first, last
    start = first.replace(day=1)
    end = last if last > kept_through else max(last, min(month_end(last), kept_through))
    return start, end


Granularity = Literal["month", "week"]
TREND_MONTHS = 12
TREND_WEEKS = 52
YEAR_OF_WEEKS = timedelta(weeks=52)
"""A week's counterpart a year earlier: 52 weeks back, so that weekdays stay aligned."""


@dataclass(frozen=True)
class Bucket:
    """One month or week of a trend, and the same days a year earlier beside it."""

    first: date
    last: date
    previous_first: date
    previous_last: date


def trend_buckets(to: date, granularity: Granularity) -> list[Bucket]:
    """The twelve months or 52 weeks (Monday to Sunday) up to the one holding `to`, oldest first.

    The last one ends at `to` (the days after it have not been counted yet) and its counterpart a
    year earlier ends as many days into its month or week, so that the two compare alike.
    """
    if granularity == "week":
        newest = to - timedelta(days=to.weekday())
        firsts = [newest - timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]
        ends = [min(first + timedelta(days=6), to) for first in firsts]
        return [
            Bucket(first, last, first - YEAR_OF_WEEKS, last - YEAR_OF_WEEKS)
            for first, last in zip(firsts, ends, strict=True)
        ]
    buckets = []
    for n in range(TREND_MONTHS - 1, -1, -1):
        index = to.year * 12 + to.month - 1 - n
        first = date(index // 12, index % 12 + 1, 1)
        last = min(month_end(first), to)
        previous_first = first.replace(year=first.year - 1)
        previous_last = month_end(previous_first)
        if last < month_end(first):  # as many days into the month, where it has them
            previous_last = min(previous_first + timedelta(days=last.day - 1), previous_last)
        buckets.append(Bucket(first, last, previous_first, previous_last))
    return buckets


def chart_top(highest: float) -> int:
    """The top of a chart's axis for counts up to `highest`: four equal steps of 1, 2, 2.5 or 5
    times a power of ten (whole numbers), so that every tick is a round number."""
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power // 2, 5 * power):
            if 4 * step >= highest:
                return 4 * step
        power *= 10
