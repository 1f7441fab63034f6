"""Availability as the pages show it: whether an offer is free at a moment, and a week of time slots.

Both are read off the same pure functions the API and the booking checks use
(library.booking.availability), so a page never calls free what the booking engine would refuse
for being taken, closed or outside the bookable window.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from library.booking import service
from library.booking.availability import (
    MINUTE,
    DayAvailability,
    Occupation,
    bookable_windows,
    free_per_unit,
    opening_windows,
    resource_availability,
)
from library.booking.catalogue import current_catalogue
from library.booking.intervals import Interval
from library.booking.queries import LocationHours, load_occupations
from library.booking.rules import ResourceFacts
from library.catalog.hours import DayHours, local_instant


@dataclass(frozen=True)
class LocationFacts:
    """A location's hours, some of its resources with their rules, and their occupations in a span."""

    hours: LocationHours
    resources: list[ResourceFacts]
    occupations: list[Occupation]

    def of(self, resource_id: int) -> ResourceFacts | None:
        return next((r for r in self.resources if r.id == resource_id), None)


async def load_location_facts(
    session: AsyncSession,
    location_id: int,
    first: date,
    last: date,
    wanted: Callable[[ResourceFacts], bool] = lambda _: True,
) -> LocationFacts:
    """Everything availability needs for a location's active resources (those `wanted`): the
    rules from the cached catalogue (one statement, its counter), the occupations of those days."""
    place = await (await current_catalogue(session)).location_by_id(session, location_id)
    resources = [r for r in place.resources if r.active and wanted(r)]
    span = Interval(service.day_of(first, place.hours).start, service.day_of(last, place.hours).end)
    occupations = await load_occupations(session, [r.id for r in resources], span.start, span.end)
    return LocationFacts(place.hours, resources, occupations)


def units_free_at(
    facts: ResourceFacts, hours: LocationHours, occupations: Sequence[Occupation], moment: datetime
) -> int:
    """How many units could be used at `moment`: open (staffed if needed), not booked, not blocked.

    Lead time and horizon are left out on purpose: this answers "is it free then", which a person
    standing in the library (or planning a visit) asks, not "may I book it from here".
    """
    per_unit = free_on_day(facts, hours, occupations, moment.astimezone(hours.zone).date())
    return sum(1 for intervals in per_unit if any(i.start <= moment < i.end for i in intervals))


def free_on_day(
    facts: ResourceFacts, hours: LocationHours, occupations: Sequence[Occupation], day: date
) -> list[list[Interval]]:
    """Each unit's free intervals on one local day, leaving out lead time and horizon (as above)."""
    [(_, per_unit)] = free_per_unit(
        [hours.day(day)],
        hours.zone,
        facts.policy,
        needs_staff=facts.needs_staff,
        unit_ids=facts.unit_ids,
        occupations=occupations,
        now=None,
    )
    return per_unit


class SlotState(enum.StrEnum):
    FREE = "free"
    BUSY = "busy"
    CLOSED = "closed"
    NOT_BOOKABLE = "not-bookable"  # open, but in the past, too soon or too far ahead


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    state: SlotState
    free_units: int = 0
    free_until: datetime | None = None  # where the free period this slot lies in ends (a unit's)


@dataclass(frozen=True)
class SlotRow:
    at: time
    slots: list[Slot]


@dataclass(frozen=True)
class Week:
    """Seven days from a Monday: a table of time slots and, per day, the free periods as a list."""

    monday: date
    days: list[DayHours]
    rows: list[SlotRow]
    free: list[DayAvailability]
    step_minutes: int

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def row_minutes(slot_minutes: int) -> int:
    """Table rows follow the booking grid, but no finer than half an hour nor coarser than an hour."""
    return min(max(slot_minutes, 30), 60)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def week_of_slots(
    facts: ResourceFacts,
    hours: LocationHours,
    occupations: Sequence[Occupation],
    monday: date,
    now: datetime,
) -> Week:
    zone, policy = hours.zone, facts.policy
    days = hours.days(monday, monday + timedelta(days=6))
    step = row_minutes(policy.slot_minutes)
    periods = [p for day in days for p in day.periods if p.staffed or not facts.needs_staff]
    first = min((_minutes(p.start) for p in periods), default=0) // step * step
    last = max((_minutes(p.end) for p in periods), default=0)
    per_day = dict(
        free_per_unit(
            days,
            zone,
            policy,
            needs_staff=facts.needs_staff,
            unit_ids=facts.unit_ids,
            occupations=occupations,
            now=now,
        )
    )
    rows = []
    for minute in range(first, last, step):
        at = time(minute // 60, minute % 60)
        slots = []
        for day in days:
            start = local_instant(day.day, at, zone)
            cell = Interval(start, start + step * MINUTE)
            if not any(w.contains(cell) for w in opening_windows(day, zone, needs_staff=facts.needs_staff)):
                slots.append(Slot(cell.start, cell.end, SlotState.CLOSED))
            elif not any(
                w.contains(cell)
                for w in bookable_windows(day, zone, policy, needs_staff=facts.needs_staff, now=now)
            ):
                slots.append(Slot(cell.start, cell.end, SlotState.NOT_BOOKABLE))
            else:
                around = [i for unit in per_day[day.day] for i in unit if i.contains(cell)]
                state = SlotState.FREE if around else SlotState.BUSY
                until = max((i.end for i in around), default=None)
                slots.append(Slot(cell.start, cell.end, state, len(around), until))
        rows.append(SlotRow(at, slots))
    free_lists = resource_availability(
        days,
        zone,
        policy,
        needs_staff=facts.needs_staff,
        unit_ids=facts.unit_ids,
        occupations=occupations,
        now=now,
    )
    return Week(monday, days, rows, free_lists, step)
