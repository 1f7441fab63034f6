"""What to offer instead when a slot is taken: nearest free times, then similar resources.

Pure: it works on availability already computed and a rule check passed in, so the offer
is exactly what this person could book at this moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from library.booking.availability import MINUTE, aligned_at_or_after
from library.booking.intervals import Interval

MAX_ALTERNATIVES = 5


@dataclass(frozen=True)
class Alternative:
    resource_slug: str
    interval: Interval


def fitting_starts(
    free: Iterable[Interval], duration: timedelta, zone: ZoneInfo, slot_minutes: int
) -> list[Interval]:
    """Every grid-aligned interval of the given length inside one of the free intervals.

    Give it each unit's own free intervals (availability.free_per_unit), so that every
    interval found fits on one unit.
    """
    found: set[Interval] = set()
    for interval in free:
        start = aligned_at_or_after(interval.start, zone, slot_minutes)
        while start + duration <= interval.end:
            found.add(Interval(start, start + duration))
            start += slot_minutes * MINUTE
    return sorted(found)


def wall_minutes(moment: datetime, zone: ZoneInfo) -> int:
    local = moment.astimezone(zone)
    return local.hour * 60 + local.minute


def nearest_times(wanted: Interval, candidates: Sequence[Interval], zone: ZoneInfo) -> list[Interval]:
    """Same day first, nearest in time; then following days, nearest to the same time of day."""
    wanted_day = wanted.start.astimezone(zone).date()

    def distance(candidate: Interval) -> tuple[int, float]:
        day = candidate.start.astimezone(zone).date()
        if day == wanted_day:
            return (0, abs((candidate.start - wanted.start).total_seconds()))
        if day < wanted_day:
            return (10_000, 0.0)  # earlier days are not offered
        return (
            (day - wanted_day).days,
            abs(wall_minutes(candidate.start, zone) - wall_minutes(wanted.start, zone)),
        )

    return sorted((c for c in candidates if c != wanted and distance(c)[0] < 10_000), key=distance)


def choose_alternatives(
    wanted: Interval,
    same_resource: Sequence[Interval],
    other_resources: Sequence[str],
    bookable: Callable[[str, Interval], bool],
    resource_slug: str,
) -> list[Alternative]:
    """Up to five, nearest first: the same resource at other times, then other resources then.

    `same_resource` must already be sorted nearest first; `other_resources` are those free
    at the wanted time. Each is offered only if `bookable` says this person may book it.
    """
    times = [Alternative(resource_slug, i) for i in same_resource if bookable(resource_slug, i)]
    others = [Alternative(slug, wanted) for slug in other_resources if bookable(slug, wanted)]
    # Keep room for other resources, but do not waste places when there are few of them.
    keep_times = max(MAX_ALTERNATIVES - len(others), 3)
    return (times[:keep_times] + others)[:MAX_ALTERNATIVES]
