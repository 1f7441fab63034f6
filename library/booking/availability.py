"""When a resource can be booked: pure functions over plain values, no database inside.

The queries in booking.queries load the facts (opening hours, units, occupied spans); these
functions turn them into free intervals. The same functions feed the availability API, the
day overview, the booking checks and the alternatives, so all of them agree.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from library.booking.intervals import Interval, merge, subtract
from library.catalog.hours import DayHours, local_instant
from library.catalog.policy import BookingPolicy

if TYPE_CHECKING:
    from library.booking.rules import ResourceFacts

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Occupation:
    """A span in which a unit is not free: an active booking's occupied span, or a block."""

    unit_id: int
    start: datetime
    end: datetime
    is_block: bool = False


@dataclass(frozen=True)
class Tally:
    """An interval and how many units are free (or busy) throughout it."""

    start: datetime
    end: datetime
    units: int


@dataclass(frozen=True)
class DayAvailability:
    day: date
    free: tuple[Tally, ...]


def horizon_end(now: datetime, zone: ZoneInfo, horizon_days: int) -> datetime:
    """Bookings may reach to the end of the local day `horizon_days` after today."""
    last_day = now.astimezone(zone).date() + timedelta(days=horizon_days)
    return local_instant(last_day + timedelta(days=1), time(0), zone)


def earliest_start(now: datetime, policy: BookingPolicy) -> datetime:
    return now + policy.lead_minutes * MINUTE


def opening_windows(day: DayHours, zone: ZoneInfo, *, needs_staff: bool) -> list[Interval]:
    """The day's open periods as instants; only staffed ones for offers that need staff."""
    return merge(
        Interval(local_instant(day.day, p.start, zone), local_instant(day.day, p.end, zone))
        for p in day.periods
        if p.staffed or not needs_staff
    )


def bookable_windows(
    day: DayHours,
    zone: ZoneInfo,
    policy: BookingPolicy,
    *,
    needs_staff: bool,
    now: datetime | None,
) -> list[Interval]:
    """Opening windows cut to the lead time and the horizon (no cut when `now` is None)."""
    windows = opening_windows(day, zone, needs_staff=needs_staff)
    if now is None:
        return windows
    first, last = earliest_start(now, policy), horizon_end(now, zone, policy.horizon_days)
    return [clipped for w in windows if (clipped := w.clip(first, last)) is not None]


def blocked_for_bookings(occupations: Iterable[Occupation], policy: BookingPolicy) -> list[Interval]:
    """Where a new booking may not lie, given the unit's occupations.

    A new booking [s, e) holds [s - setup, e + buffer); that must miss every occupation
    [a, b), which is the same as [s, e) missing [a - buffer, b + setup).
    """
    before, after = policy.buffer_minutes * MINUTE, policy.setup_minutes * MINUTE
    return merge(Interval(o.start - before, o.end + after) for o in occupations)


def aligned_at_or_after(moment: datetime, zone: ZoneInfo, slot_minutes: int) -> datetime:
    """The first point of the slot grid (counted from local midnight) at or after `moment`."""
    local = moment.astimezone(zone)
    minutes = local.hour * 60 + local.minute
    rest = (slot_minutes - minutes % slot_minutes) % slot_minutes
    if rest == 0 and local.second == 0 and local.microsecond == 0:
        return moment
    if rest == 0:
        rest = slot_minutes
    truncated = moment - timedelta(seconds=local.second, microseconds=local.microsecond)
    return truncated + rest * MINUTE


def is_aligned(moment: datetime, zone: ZoneInfo, slot_minutes: int) -> bool:
    local = moment.astimezone(zone)
    return (
        local.second == 0 and local.microsecond == 0 and (local.hour * 60 + local.minute) % slot_minutes == 0
    )


def can_hold_a_booking(interval: Interval, zone: ZoneInfo, policy: BookingPolicy) -> bool:
    """Whether a grid-aligned booking of the minimum length fits in the interval."""
    start = aligned_at_or_after(interval.start, zone, policy.slot_minutes)
    length = max(policy.min_minutes, policy.slot_minutes) * MINUTE
    return start + length <= interval.end


def unit_free_intervals(
    windows: Sequence[Interval],
    occupations: Iterable[Occupation],
    zone: ZoneInfo,
    policy: BookingPolicy,
) -> list[Interval]:
    free = subtract(windows, blocked_for_bookings(occupations, policy))
    return [interval for interval in free if can_hold_a_booking(interval, zone, policy)]


def count_units(per_unit: Iterable[Sequence[Interval]]) -> list[Tally]:
    """Where at least one unit's interval lies, split wherever the number of units changes."""
    events: dict[datetime, int] = {}
    for intervals in per_unit:
        for interval in intervals:
            events[interval.start] = events.get(interval.start, 0) + 1
            events[interval.end] = events.get(interval.end, 0) - 1
    result: list[Tally] = []
    count = 0
    moments = sorted(events)
    for moment, following in itertools.pairwise(moments):
        count += events[moment]
        if count <= 0:
            continue
        if result and result[-1].end == moment and result[-1].units == count:
            result[-1] = Tally(result[-1].start, following, count)
        else:
            result.append(Tally(moment, following, count))
    return result


def free_per_unit(
    days: Sequence[DayHours],
    zone: ZoneInfo,
    policy: BookingPolicy,
    *,
    needs_staff: bool,
    unit_ids: Sequence[int],
    occupations: Iterable[Occupation],
    now: datetime | None,
) -> list[tuple[date, list[list[Interval]]]]:
    """For each day, each unit's free intervals: what one booking, on one unit, can fit in."""
    by_unit: dict[int, list[Occupation]] = {unit_id: [] for unit_id in unit_ids}
    for occupation in occupations:
        if occupation.unit_id in by_unit:
            by_unit[occupation.unit_id].append(occupation)
    result = []
    for day in days:
        windows = bookable_windows(day, zone, policy, needs_staff=needs_staff, now=now)
        result.append(
            (day.day, [unit_free_intervals(windows, by_unit[unit_id], zone, policy) for unit_id in unit_ids])
        )
    return result


def resource_availability(
    days: Sequence[DayHours],
    zone: ZoneInfo,
    policy: BookingPolicy,
    *,
    needs_staff: bool,
    unit_ids: Sequence[int],
    occupations: Iterable[Occupation],
    now: datetime | None,
) -> list[DayAvailability]:
    """Free intervals per day, with the number of free units, for one resource.

    Adjacent intervals differ in their count (API.md). A count is of units free throughout
    the interval; where one unit frees up as another is taken the count stays, so a booking
    across that moment fits no single unit: `free_per_unit` answers such questions.
    """
    return units_free_per_day(
        free_per_unit(
            days, zone, policy, needs_staff=needs_staff, unit_ids=unit_ids, occupations=occupations, now=now
        )
    )


def units_free_per_day(per_day: Iterable[tuple[date, list[list[Interval]]]]) -> list[DayAvailability]:
    """What `free_per_unit` found, as free intervals per day with the number of free units."""
    return [DayAvailability(day, tuple(count_units(per_unit))) for day, per_unit in per_day]


def busy_intervals(
    day: DayHours, zone: ZoneInfo, unit_ids: Sequence[int], occupations: Iterable[Occupation]
) -> list[Tally]:
    """Within the day's opening hours, where units are occupied and how many (for the day view)."""
    windows = opening_windows(day, zone, needs_staff=False)
    wanted = set(unit_ids)
    per_unit: Mapping[int, list[Interval]] = {unit_id: [] for unit_id in unit_ids}
    for occupation in occupations:
        if occupation.unit_id in wanted:
            per_unit[occupation.unit_id].append(Interval(occupation.start, occupation.end))
    clipped = [
        [c for w in windows for i in merge(spans) if (c := i.clip(w.start, w.end)) is not None]
        for spans in per_unit.values()
    ]
    return count_units(clipped)


def free_and_busy_on(
    day: DayHours,
    zone: ZoneInfo,
    resources: Iterable[tuple[BookingPolicy, bool, Sequence[int]]],
    occupations: Iterable[Occupation],
    now: datetime | None,
) -> list[tuple[tuple[Tally, ...], list[Tally]]]:
    """Each resource's free and busy tallies on one day, for (policy, needs staff, unit ids).

    The same answers as `resource_availability` and `busy_intervals` per resource, worked out
    for a thousand resources at once (the day overview): occupations grouped by unit once, the
    bookable windows once per policy, and one answer shared by the resources nothing occupies
    that agree in policy, staffing and number of units.
    """
    by_unit: dict[int, list[Occupation]] = {}
    for occupation in occupations:
        by_unit.setdefault(occupation.unit_id, []).append(occupation)
    windows: dict[tuple[BookingPolicy, bool], list[Interval]] = {}
    untouched: dict[tuple[BookingPolicy, bool, int], tuple[Tally, ...]] = {}
    result: list[tuple[tuple[Tally, ...], list[Tally]]] = []
    for policy, needs_staff, unit_ids in resources:
        shape = (policy, needs_staff)
        if shape not in windows:
            windows[shape] = bookable_windows(day, zone, policy, needs_staff=needs_staff, now=now)
        own = [o for unit_id in unit_ids for o in by_unit.get(unit_id, ())]
        if not own:
            key = (policy, needs_staff, len(unit_ids))
            if key not in untouched:
                free = unit_free_intervals(windows[shape], (), zone, policy)
                untouched[key] = tuple(count_units([free] * len(unit_ids)))
            result.append((untouched[key], []))
            continue
        per_unit = [
            unit_free_intervals(windows[shape], by_unit.get(unit_id, ()), zone, policy)
            for unit_id in unit_ids
        ]
        result.append((tuple(count_units(per_unit)), busy_intervals(day, zone, unit_ids, own)))
    return result


def free_units(
    resource: ResourceFacts, occupations: list[Occupation], interval: Interval
) -> tuple[list[int], bool]:
    """Units free for the booking, and whether the only obstacle anywhere is a block."""
    by_unit: dict[int, list[Occupation]] = {unit_id: [] for unit_id in resource.unit_ids}
    for occupation in occupations:
        by_unit.setdefault(occupation.unit_id, []).append(occupation)
    free, blocked_only = [], True
    for unit_id in resource.unit_ids:
        clashes = [
            o
            for o in by_unit[unit_id]
            if any(b.overlaps(interval) for b in blocked_for_bookings([o], resource.policy))
        ]
        if not clashes:
            free.append(unit_id)
        elif not all(o.is_block for o in clashes):
            blocked_only = False
    return free, blocked_only and not free
