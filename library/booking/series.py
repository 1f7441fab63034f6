"""Repeating bookings: the dates of a series (RFC 5545 rules via dateutil), pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, WEEKLY, rrule

from library.booking.intervals import Interval

MAX_OCCURRENCES = 52


@dataclass(frozen=True)
class Repeat:
    freq: Literal["daily", "weekly"]
    interval: int = 1
    count: int | None = None
    until: date | None = None

    def as_rule(self) -> dict[str, object]:
        return {
            "freq": self.freq,
            "interval": self.interval,
            "count": self.count,
            "until": self.until.isoformat() if self.until else None,
        }

    @classmethod
    def from_rule(cls, rule: dict[str, object]) -> Repeat:
        """The repeat a series was booked with, read back from its stored rule."""
        until = rule.get("until")
        count = rule.get("count")
        interval = rule.get("interval")
        return cls(
            "daily" if rule.get("freq") == "daily" else "weekly",
            interval=interval if isinstance(interval, int) and interval > 0 else 1,
            count=count if isinstance(count, int) else None,
            until=date.fromisoformat(until) if isinstance(until, str) else None,
        )


def occurrences(first: Interval, repeat: Repeat, zone: ZoneInfo) -> list[Interval]:
    """Each occurrence at the same local wall-clock time as the first, across DST changes.

    Without `count` or `until` a series stops after MAX_OCCURRENCES; it never runs longer.
    """
    local_start = first.start.astimezone(zone).replace(tzinfo=None)
    local_end = first.end.astimezone(zone).replace(tzinfo=None)
    length = local_end - local_start
    until = datetime.combine(repeat.until, time(23, 59, 59)) if repeat.until else None
    count = min(repeat.count or MAX_OCCURRENCES, MAX_OCCURRENCES)
    rule = rrule(
        DAILY if repeat.freq == "daily" else WEEKLY,
        dtstart=local_start,
        interval=repeat.interval,
        count=None if until and not repeat.count else count,
        until=until,
    )
    starts = list(rule)[:MAX_OCCURRENCES]
    return [Interval(_instant(start, zone), _instant(start + length, zone)) for start in starts]


def _instant(wall_clock: datetime, zone: ZoneInfo) -> datetime:
    return wall_clock.replace(tzinfo=zone).astimezone(UTC)


def skipped_occurrences(
    first: Interval, repeat: Repeat, zone: ZoneInfo, booked_starts: set[datetime]
) -> list[Interval]:
    """The dates of a series' rule that were never booked (skipped as taken or closed), counted
    from its first booking; cancelled occurrences are booked ones and not among them."""
    return [o for o in occurrences(first, repeat, zone) if o.start not in booked_starts]
