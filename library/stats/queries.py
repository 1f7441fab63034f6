"""The figures of API.md "Statistics": each one or two grouped SQL queries plus the opening hours.

Definitions (API.md): open minutes are unit-minutes in which a unit could be booked (opening
periods, staffed ones only where the resource needs staff, minus closures and blocks); booked
minutes those of bookings confirmed, checked in, completed or no-show, clipped to the period;
used minutes those checked in or completed. Periods are local dates, both ends included.

Bookings here are time slots: a visitor's booking or the library's booking of a room for a
workshop (`TIME_SLOTS`). A loan's row holds its unit from the start of the pickup day to the
end of the due day, nights and closed days included, and an offered slot's row is only an
offer: neither is a booked or used minute, a booking, or a cell of the heatmap. A thing for
loan (kind `loan`) is never booked for a time, so it has no open minutes either (only its
downtime shows). Loans are counted in figures of their own (`loans`: lent, lent days,
returns, overdue).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from library.accounts.models import User, UserCertification
from library.booking.models import BOOKED_PURPOSES, Booking, BookingPurpose, BookingStatus, Loan, LoanStatus
from library.booking.queries import LocationHours, load_location_hours
from library.catalog.models import (
    Factor,
    Location,
    Policy,
    Resource,
    ResourceKind,
    Unit,
    UnitBlock,
    UnitCondition,
    UnitStatus,
)
from library.catalog.policy import DEFAULT_POLICY
from library.db import UTCDateTime
from library.errors import NotFound
from library.i18n import N_
from library.stats import rules
from library.stats.models import (
    HourCell,
    KeptThrough,
    KeptUptake,
    PersonFirstVisit,
    PersonKey,
    PersonMonth,
    RefusalEvent,
    ResourceDay,
    RolledResource,
    RolledThrough,
)
from library.stats.rules import OpenTime, Span
from library.stats.sql import (
    clipped_minutes,
    day_text,
    days_between,
    greatest,
    json_items,
    least,
    local_day,
    local_hour,
    local_weekday,
    minutes_between,
    plus_minutes,
    utc_hour_floor,
)
from library.workshops.models import Registration, RegistrationStatus, Workshop, WorkshopSession

BOOKED = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
USED = (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)
TIME_SLOTS = BOOKED_PURPOSES
"""The rows whose minutes are booked time: visitor bookings and workshop room bookings (not a
loan's days, not an offered slot)."""
TOOK_PART = (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)

UtilisationGroup = Literal["factor", "kind", "resource", "location"]
LoanGroup = Literal["factor", "resource", "location"]
PeopleGroup = Literal["factor", "age_band"]
DemandGroup = Literal["resource", "code"]


@dataclass(frozen=True)
class Place:
    """A location as the statistics of one period need it."""

    id: int
    slug: str
    name: str
    name_en: str | None
    zone: ZoneInfo
    bounds: Span
    open: OpenTime


@dataclass
class UtilisationRow:
    key: str
    label: str
    label_en: str | None = None
    open_minutes: float = 0
    booked_minutes: float = 0
    used_minutes: float = 0
    bookings: int = 0
    no_shows: int = 0
    late_cancellations: int = 0
    downtime_minutes: float = 0  # units blocked in opening hours (repair, maintenance, a defect)

    @property
    def booked_share(self) -> float | None:
        return rules.share(self.booked_minutes, self.open_minutes)

    @property
    def used_share(self) -> float | None:
        return rules.share(self.used_minutes, self.open_minutes)


@dataclass(frozen=True)
class HeatCell:
    weekday: int
    hour: int
    open_minutes: float
    booked_minutes: float

    @property
    def booked_share(self) -> float | None:
        return rules.share(self.booked_minutes, self.open_minutes)


@dataclass(frozen=True)
class PeopleRow:
    key: str
    people: int
    new_people: int

    @property
    def returning_people(self) -> int:
        return self.people - self.new_people


@dataclass
class WorkshopRow:
    slug: str
    title: str
    title_en: str | None
    sessions: int = 0
    places: int = 0
    confirmed: int = 0
    attended: int = 0
    waitlist_peak: int = 0
    certifications_granted: int = 0
    certified_then_booked: int = 0

    @property
    def fill_rate(self) -> float | None:
        return rules.share(self.confirmed, self.places)


@dataclass(frozen=True)
class DemandRow:
    key: str
    refused: int


@dataclass
class CountedResource:
    """A resource in service as the statistics count it: its bookable units and their blocks."""

    id: int
    slug: str
    name: str
    name_en: str | None
    location_id: int
    kind: str
    factor: str
    needs_staff: bool
    units: int = 0
    blocks: dict[int, list[Span]] = field(default_factory=lambda: defaultdict(list))


async def places(session: AsyncSession, first: date, last: date, location: str | None = None) -> list[Place]:
    """The locations (or the one named) with their bounds and open time in the period."""
    statement = select(Location).order_by(Location.position, Location.id)
    if location is not None:
        statement = statement.where(Location.slug == location)
    found = (await session.scalars(statement)).all()
    if location is not None and not found:
        raise NotFound(N_("The location %(slug)s"), slug=location)
    result = []
    for row in found:
        hours: LocationHours = await load_location_hours(session, row.id, first, last)
        result.append(
            Place(
                row.id,
                row.slug,
                row.name,
                row.name_en,
                hours.zone,
                rules.period_bounds(first, last, hours.zone),
                rules.open_time(first, last, hours.zone, hours.weekly, hours.exceptions),
            )
        )
    return result


def bounds_table(where: Sequence[Place], name: str = "bounds") -> CTE:
    """Each location's period as UTC instants, a small table the grouped queries join."""
    return spans_table([(place.id, place.bounds, place.zone.key) for place in where], name)


def spans_table(spans: Sequence[tuple[int, Span, str]], name: str = "bounds") -> CTE:
    """Location id, span and zone as a small table: location_id, lower, upper, zone."""
    rows = [
        select(
            literal(location_id).label("location_id"),
            literal(span.start, UTCDateTime()).label("lower"),
            literal(span.end, UTCDateTime()).label("upper"),
            literal(zone).label("zone"),
        )
        for location_id, span, zone in spans
    ] or [
        select(
            literal(-1).label("location_id"),
            literal(None, UTCDateTime()).label("lower"),
            literal(None, UTCDateTime()).label("upper"),
            literal("UTC").label("zone"),
        )
    ]
    return (rows[0] if len(rows) == 1 else union_all(*rows)).cte(name)


async def counted_in(
    session: AsyncSession, where: Sequence[Place], factor: str | None = None
) -> dict[int, CountedResource]:
    """Active resources of the locations with their bookable units and their units' blocks."""
    statement = (
        select(
            Resource.id,
            Resource.slug,
            Resource.name,
            Resource.name_en,
            Resource.location_id,
            Resource.kind,
            Resource.factor,
            Resource.needs_staff,
            func.count(Unit.id),
        )
        .outerjoin(Unit, and_(Unit.resource_id == Resource.id, Unit.status == UnitStatus.AVAILABLE))
        .where(Resource.location_id.in_([p.id for p in where]), Resource.active.is_(True))
        .group_by(Resource.id)
    )
    if factor is not None:
        statement = statement.where(Resource.factor == factor)
    found = {
        row[0]: CountedResource(
            row[0], row[1], row[2], row[3], row[4], str(row[5]), str(row[6]), row[7], row[8]
        )
        for row in await session.execute(statement)
    }
    if not found or not where:
        return found
    earliest = min(p.bounds.start for p in where)
    latest = max(p.bounds.end for p in where)
    blocks = await session.execute(
        select(Unit.resource_id, UnitBlock.unit_id, UnitBlock.start_at, UnitBlock.end_at)
        .join(Unit, Unit.id == UnitBlock.unit_id)
        .where(
            Unit.status == UnitStatus.AVAILABLE,
            Unit.resource_id.in_(list(found)),
            UnitBlock.start_at < latest,
            UnitBlock.end_at > earliest,
        )
    )
    for resource_id, unit_id, start, end in blocks:
        found[resource_id].blocks[unit_id].append(Span(start, end))
    return found


def blocked_minutes(resource: CountedResource, place: Place) -> float:
    """Minutes of opening hours in which units were blocked: the resource's downtime."""
    spans = place.open.spans(resource.needs_staff)
    return sum(rules.total_minutes(rules.overlap(spans, blocks)) for blocks in resource.blocks.values())


def _one_day_open(resource: CountedResource, day: Place) -> float:
    return _open_minutes(resource, day, rules.total_minutes(day.open.spans(resource.needs_staff)))


def _open_minutes(resource: CountedResource, place: Place, open_total: float) -> float:
    """`open_total` is the minutes of the place's open spans for the resource, the same for all
    its resources: summed once, not once per resource. A thing for loan has no open minutes: it
    is lent for days, never booked for a time, so its hours would only thin out the shares (its
    downtime is still counted)."""
    if resource.kind == ResourceKind.LOAN:
        return 0.0
    return resource.units * open_total - blocked_minutes(resource, place)


def timed_units(
    resources: Iterable[CountedResource],
) -> tuple[dict[tuple[int, bool], int], list[CountedResource]]:
    """The resources booked by time (a thing for loan has no open hours: see `_open_minutes`), and
    their bookable units per location and staffing, so that open time is multiplied once per
    place and not once per resource."""
    units: dict[tuple[int, bool], int] = defaultdict(int)
    timed = [resource for resource in resources if resource.kind != ResourceKind.LOAN]
    for resource in timed:
        units[(resource.location_id, resource.needs_staff)] += resource.units
    return units, timed


async def utilisation(
    session: AsyncSession,
    first: date,
    last: date,
    *,
    group_by: UtilisationGroup,
    location: str | None = None,
    factor: str | None = None,
) -> list[UtilisationRow]:
    """Open, booked and used minutes with bookings, no-shows and late cancellations, grouped.

    Closed days (up to `RolledThrough`) come from the daily roll-up, the days after from the
    bookings; both count each day's part of a booking alike, so the sums are the same.
    """
    grouped = await utilisation_by(session, first, last, (group_by,), location=location, factor=factor)
    return grouped[group_by]


async def utilisation_by(
    session: AsyncSession,
    first: date,
    last: date,
    group_bys: Sequence[UtilisationGroup],
    *,
    location: str | None = None,
    factor: str | None = None,
) -> dict[UtilisationGroup, list[UtilisationRow]]:
    """`utilisation` in several groupings at once: the figures per resource are worked out once
    (a page that shows them by factor and by resource pays for one)."""
    where = await places(session, first, last, location)
    by_id = {p.id: p for p in where}
    resources = await counted_in(session, where, factor)
    open_totals = {
        (p.id, staffed): rules.total_minutes(p.open.spans(staffed))
        for p in where
        for staffed in (False, True)
    }
    per_resource = {
        r.id: UtilisationRow(
            r.slug,
            r.name,
            r.name_en,
            open_minutes=_open_minutes(r, by_id[r.location_id], open_totals[(r.location_id, r.needs_staff)]),
            downtime_minutes=blocked_minutes(r, by_id[r.location_id]),
        )
        for r in resources.values()
    }
    through = await session.scalar(select(RolledThrough.day))
    live_first = first if through is None else max(first, through + timedelta(days=1))
    for (_, _, zone), place_ids in _same_bounds(where).items():
        ids = [r.id for r in resources.values() if r.location_id in place_ids]
        if not ids:
            continue
        if through is not None and first <= through:
            await _add_rolled(session, per_resource, ids, first, min(last, through))
        if live_first <= last:
            live = rules.period_bounds(live_first, last, ZoneInfo(zone))
            await _add_booked(session, per_resource, ids, live)
    for row in per_resource.values():
        row.booked_minutes = round(row.booked_minutes, 2)
        row.used_minutes = round(row.used_minutes, 2)
    return {group_by: _grouped(per_resource, resources, by_id, group_by) for group_by in group_bys}


@dataclass(frozen=True)
class DailyUtilisation:
    """One local day's figures of a location's resources of one factor and kind (the open-data CSV)."""

    day: date
    location: str
    factor: str
    kind: str
    figures: UtilisationRow


async def daily_utilisation(session: AsyncSession, first: date, last: date) -> list[DailyUtilisation]:
    """`utilisation` for each local day, per location, factor and kind: the same definitions, pieces
    and roll-up, so a period's days add up to the period's figures (open data and staff agree).

    Closed days are read from the roll-up in one query; each day after it is one live scan.
    """
    where = await places(session, first, last)
    by_id = {p.id: p for p in where}
    resources = await counted_in(session, where)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    per_day: dict[date, dict[int, UtilisationRow]] = {}
    for day in days:
        open_that_day = {p.id: narrowed(p, day, day) for p in where}
        per_day[day] = {
            r.id: UtilisationRow(
                r.slug, r.name, r.name_en, open_minutes=_one_day_open(r, open_that_day[r.location_id])
            )
            for r in resources.values()
        }
    through = await session.scalar(select(RolledThrough.day))
    if resources and through is not None and first <= through:
        for resource_id, day, figures in await _rolled(
            session, list(resources), first, min(last, through), by_day=True
        ):
            _add_figures(per_day[day][resource_id], *figures)
    for day in days:
        if through is not None and day <= through:
            continue
        for (_, _, zone), place_ids in _same_bounds(where).items():
            ids = [r.id for r in resources.values() if r.location_id in place_ids]
            if ids:
                await _add_booked(session, per_day[day], ids, rules.period_bounds(day, day, ZoneInfo(zone)))
    result: dict[tuple[date, str, str, str], UtilisationRow] = {}
    for day, rows in per_day.items():
        for resource_id, row in rows.items():
            resource = resources[resource_id]
            key = (day, by_id[resource.location_id].slug, resource.factor, resource.kind)
            group = result.setdefault(key, UtilisationRow(key[1], key[1]))
            group.open_minutes += row.open_minutes
            _add_figures(
                group,
                row.booked_minutes,
                row.used_minutes,
                row.bookings,
                row.no_shows,
                row.late_cancellations,
            )
    return [
        DailyUtilisation(day, location, factor, kind, row)
        for (day, location, factor, kind), row in sorted(result.items())
    ]


def narrowed(place: Place, first: date, last: date) -> Place:
    """The place as the statistics of the days `first` to `last` of its period see it."""
    bounds = rules.period_bounds(first, last, place.zone)
    return replace(
        place,
        bounds=bounds,
        open=rules.OpenTime(
            tuple(rules.overlap(place.open.every, [bounds])),
            tuple(rules.overlap(place.open.staffed, [bounds])),
        ),
    )


def _same_bounds(where: Sequence[Place]) -> dict[tuple[datetime, datetime, str], set[int]]:
    """The locations grouped by their period in UTC and zone (in Ulm: all of them in one)."""
    groups: dict[tuple[datetime, datetime, str], set[int]] = defaultdict(set)
    for place in where:
        groups[(place.bounds.start, place.bounds.end, place.zone.key)].add(place.id)
    return groups


def booked_figures(lower: Any, upper: Any) -> tuple[list[ColumnElement[Any]], list[ColumnElement[bool]]]:
    """Booked and used minutes clipped to [lower, upper), visitor bookings and no-shows starting
    in it: the sums and the conditions, for the live query and the daily roll-up alike. Only
    time slots count (`TIME_SLOTS`): a loan's days and an offered slot are not booked minutes."""
    clipped = clipped_minutes(Booking.start_at, Booking.end_at, lower, upper)
    starts_inside = and_(Booking.start_at >= lower, Booking.start_at < upper)
    visitor = Booking.purpose == BookingPurpose.VISITOR
    sums: list[ColumnElement[Any]] = [
        func.sum(clipped),
        func.sum(case((Booking.status.in_(USED), clipped), else_=0)),
        func.sum(case((and_(visitor, starts_inside), 1), else_=0)),
        func.sum(case((and_(visitor, starts_inside, Booking.status == BookingStatus.NO_SHOW), 1), else_=0)),
    ]
    conditions: list[ColumnElement[bool]] = [
        Booking.start_at < upper,
        Booking.end_at > lower,
        Booking.status.in_(BOOKED),
        Booking.purpose.in_(TIME_SLOTS),
    ]
    return sums, conditions


def late_cancellations(lower: Any, upper: Any) -> Select[int, int]:
    """Visitor bookings starting in [lower, upper) cancelled after the cut-off: resource id and
    count, read by their status alone; the caller groups."""
    override = aliased(Policy, name="override")
    defaults = aliased(Policy, name="defaults")
    cut_off = func.coalesce(
        override.cancel_until_minutes, defaults.cancel_until_minutes, DEFAULT_POLICY.cancel_until_minutes
    )
    statement = (
        select(Booking.resource_id.label("resource_id"), func.count().label("late"))
        .join(Resource, Resource.id == Booking.resource_id)
        .outerjoin(override, override.resource_id == Resource.id)
        .outerjoin(defaults, defaults.location_id == Resource.location_id)
        .where(
            Booking.status == BookingStatus.CANCELLED,
            Booking.start_at >= lower,
            Booking.start_at < upper,
            Booking.purpose == BookingPurpose.VISITOR,
            Booking.cancelled_at.is_not(None),
            minutes_between(Booking.cancelled_at, Booking.start_at) < cut_off,
        )
    )
    return statement


async def _add_booked(
    session: AsyncSession,
    per_resource: dict[int, UtilisationRow],
    resource_ids: list[int],
    span: Span,
) -> None:
    """Add the bookings of a span, from the bookings themselves: one scan grouped by resource,
    then the late cancellations."""
    lower = literal(span.start, UTCDateTime())
    upper = literal(span.end, UTCDateTime())
    sums, conditions = booked_figures(lower, upper)
    booked = (
        select(Booking.resource_id, *sums)
        .where(Booking.resource_id.in_(resource_ids), *conditions)
        .group_by(Booking.resource_id)
    )
    for resource_id, minutes, used, bookings, no_shows in await session.execute(booked):
        _add_figures(
            per_resource[resource_id],
            float(minutes or 0),
            float(used or 0),
            int(bookings or 0),
            int(no_shows or 0),
            0,
        )
    late = late_cancellations(lower, upper).where(Booking.resource_id.in_(resource_ids))
    for resource_id, count in await session.execute(late.group_by(Booking.resource_id)):
        per_resource[resource_id].late_cancellations += int(count)


async def _add_rolled(
    session: AsyncSession,
    per_resource: dict[int, UtilisationRow],
    resource_ids: list[int],
    first: date,
    last: date,
) -> None:
    """Add the rolled-up figures of the local days `first` to `last` (all of them closed)."""
    for resource_id, _, figures in await _rolled(session, resource_ids, first, last, by_day=False):
        _add_figures(per_resource[resource_id], *figures)


RolledFigures = tuple[float, float, int, int, int]


async def _rolled(
    session: AsyncSession, resource_ids: list[int], first: date, last: date, *, by_day: bool
) -> list[tuple[int, date, RolledFigures]]:
    """The roll-up's sums per resource over the closed days `first` to `last`, or per resource and
    day (`by_day`; otherwise the day given is `first`)."""
    keys = (ResourceDay.resource_id, ResourceDay.day) if by_day else (ResourceDay.resource_id,)
    statement = (
        select(
            *keys,
            func.sum(ResourceDay.booked_minutes),
            func.sum(ResourceDay.used_minutes),
            func.sum(ResourceDay.bookings),
            func.sum(ResourceDay.no_shows),
            func.sum(ResourceDay.late_cancellations),
        )
        .where(ResourceDay.resource_id.in_(resource_ids), ResourceDay.day >= first, ResourceDay.day <= last)
        .group_by(*keys)
    )
    result = []
    for row in await session.execute(statement):
        resource_id, day = (row[0], row[1]) if by_day else (row[0], first)
        minutes, used, bookings, no_shows, late = row[-5:]
        figures = (
            float(minutes or 0),
            float(used or 0),
            int(bookings or 0),
            int(no_shows or 0),
            int(late or 0),
        )
        result.append((resource_id, day, figures))
    return result


def _add_figures(
    row: UtilisationRow, booked: float, used: float, bookings: int, no_shows: int, late_cancellations: int
) -> None:
    row.booked_minutes += booked
    row.used_minutes += used
    row.bookings += bookings
    row.no_shows += no_shows
    row.late_cancellations += late_cancellations


def _grouped(
    per_resource: dict[int, UtilisationRow],
    resources: dict[int, CountedResource],
    by_id: dict[int, Place],
    group_by: UtilisationGroup,
) -> list[UtilisationRow]:
    if group_by == "resource":
        return sorted(per_resource.values(), key=lambda r: r.key)
    groups: dict[str, UtilisationRow] = {}
    for resource_id, row in per_resource.items():
        resource = resources[resource_id]
        if group_by == "location":
            place = by_id[resource.location_id]
            key, label, label_en = place.slug, place.name, place.name_en
        else:
            key = resource.factor if group_by == "factor" else resource.kind
            label, label_en = key, None
        group = groups.setdefault(key, UtilisationRow(key, label, label_en))
        group.open_minutes += row.open_minutes
        _add_figures(
            group, row.booked_minutes, row.used_minutes, row.bookings, row.no_shows, row.late_cancellations
        )
        group.downtime_minutes += row.downtime_minutes
    return sorted(groups.values(), key=lambda r: r.key)


async def heatmap(
    session: AsyncSession, first: date, last: date, *, location: str | None = None, factor: str | None = None
) -> list[HeatCell]:
    """Booked share per local weekday and hour: booked minutes in the cell over open unit-minutes."""
    where = await places(session, first, last, location)
    by_id = {p.id: p for p in where}
    resources = await counted_in(session, where, factor)
    open_cells: dict[tuple[int, int], float] = defaultdict(float)
    units, timed = timed_units(resources.values())
    for resource in timed:
        spans = by_id[resource.location_id].open.spans(resource.needs_staff)
        for blocks in resource.blocks.values():
            for cell, minutes in rules.hour_cells(
                rules.overlap(spans, blocks), by_id[resource.location_id].zone
            ).items():
                open_cells[cell] -= minutes
    for (location_id, needs_staff), count in units.items():
        place = by_id[location_id]
        for cell, minutes in rules.hour_cells(place.open.spans(needs_staff), place.zone).items():
            open_cells[cell] += count * minutes
    booked_cells = await _booked_cells(session, where, first, last, resources, factor)
    return [
        HeatCell(weekday, hour, open_cells.get((weekday, hour), 0.0), booked_cells.get((weekday, hour), 0.0))
        for weekday in range(1, 8)
        for hour in range(24)
    ]


async def _booked_cells(
    session: AsyncSession,
    where: Sequence[Place],
    first: date,
    last: date,
    resources: dict[int, CountedResource],
    factor: str | None,
) -> dict[tuple[int, int], float]:
    """Booked minutes per local (weekday, hour) of the resources: closed days from the hour
    roll-up, the days after from the bookings.

    The roll-up counted each active resource under the location and factor it had then
    (`RolledResource`); a resource that differs now is taken off those cells and counted
    from its bookings instead, so the figures are those of the bookings alone.
    """
    cells: dict[tuple[int, int], float] = defaultdict(float)
    through = await session.scalar(select(RolledThrough.day))
    live_first = first
    if through is not None and first <= through:
        rolled_last = min(last, through)
        statement = (
            select(HourCell.day, HourCell.hour, func.sum(HourCell.booked_minutes))
            .where(
                HourCell.location_id.in_([p.id for p in where]),
                HourCell.day >= first,
                HourCell.day <= rolled_last,
            )
            .group_by(HourCell.day, HourCell.hour)
        )
        if factor is not None:
            statement = statement.where(HourCell.factor == factor)
        for day, hour, minutes in await session.execute(statement):
            cells[(day.isoweekday(), int(hour))] += float(minutes or 0)
        counted, now = await rolled_resources(session)
        changed = {r for r in counted.keys() | now.keys() if counted.get(r) != now.get(r)}
        if changed:
            by_id = {p.id: p for p in where}
            taken_off = [
                r
                for r in changed
                if r in counted
                and counted[r][2]
                and counted[r][0] in by_id
                and factor in (None, counted[r][1])
            ]
            rolled = _within(where, first, rolled_last)
            for cell, minutes in (await _live_cells(session, rolled, RolledResource, taken_off)).items():
                cells[cell] -= minutes
            counted_now = [r for r in changed if r in resources]
            for cell, minutes in (await _live_cells(session, rolled, Resource, counted_now)).items():
                cells[cell] += minutes
        live_first = through + timedelta(days=1)
    if live_first <= last:
        live = _within(where, live_first, last)
        for cell, minutes in (await _live_cells(session, live, Resource, list(resources))).items():
            cells[cell] += minutes
    return {cell: minutes for cell, minutes in cells.items() if minutes}


def _within(where: Sequence[Place], first: date, last: date) -> list[Place]:
    """The places with their bounds narrowed to the local days `first` to `last`."""
    return [replace(p, bounds=rules.period_bounds(first, last, p.zone)) for p in where]


Counted = dict[int, tuple[int, str, bool]]
"""Per resource id: location id, factor and whether it is in service."""


async def rolled_resources(session: AsyncSession) -> tuple[Counted, Counted]:
    """Each resource as the roll-up counted it, and as it is now."""
    counted: Counted = {
        r: (location_id, str(factor), bool(active))
        for r, location_id, factor, active in await session.execute(
            select(
                RolledResource.resource_id,
                RolledResource.location_id,
                RolledResource.factor,
                RolledResource.active,
            )
        )
    }
    now: Counted = {
        r: (location_id, str(factor), bool(active))
        for r, location_id, factor, active in await session.execute(
            select(Resource.id, Resource.location_id, Resource.factor, Resource.active)
        )
    }
    return counted, now


def counted_resources(source: type[Resource] | type[RolledResource], ids: Sequence[int] | None = None) -> Any:
    """Resource id, location and factor, of the resources now or as the roll-up counted them
    (then only those in service, or the `ids`)."""
    key = Resource.id if source is Resource else RolledResource.resource_id
    statement = select(
        key.label("resource_id"), source.location_id.label("location_id"), source.factor.label("factor")
    )
    chosen = key.in_(ids) if ids is not None else source.active.is_(True)
    return statement.where(chosen).subquery("counted")


async def _live_cells(
    session: AsyncSession,
    where: Sequence[Place],
    source: type[Resource] | type[RolledResource],
    resource_ids: list[int],
) -> dict[tuple[int, int], float]:
    """Booked minutes per local (weekday, hour) from the bookings of the resources."""
    if not resource_ids:
        return {}
    grouped = starting_hours(bounds_table(where), counted_resources(source, resource_ids))
    longest = await session.scalar(select(func.max(grouped.c.last_minute)))
    if not longest:
        return {}
    per_hour = spread_over_hours(grouped, int(longest) // 60 + 1)
    weekday = local_weekday(per_hour.c.slot, per_hour.c.zone)
    hour = local_hour(per_hour.c.slot, per_hour.c.zone)
    statement = select(weekday, hour, func.sum(per_hour.c.minutes)).group_by(weekday, hour)
    return {(int(w), int(h)): float(m or 0) for w, h, m in await session.execute(statement) if m}


def starting_hours(bounds: CTE, resources: Any, *conditions: ColumnElement[bool]) -> Any:
    """Bookings of `resources` (resource_id, location_id, factor) clipped to their location's
    bounds, counted per zone, location, factor and starting UTC hour (`floor`) with their start
    and end as minutes from it (`first_minute`, `last_minute`).

    The first of two steps that cut bookings at whole hours in the database so that the
    costly parts run on few rows: bookings with the same hours are one row here.
    """
    start = greatest(Booking.start_at, bounds.c.lower)
    end = least(Booking.end_at, bounds.c.upper)
    floor = utc_hour_floor(start)
    return (
        select(
            bounds.c.zone.label("zone"),
            resources.c.location_id.label("location_id"),
            resources.c.factor.label("factor"),
            floor.label("floor"),
            minutes_between(floor, start).label("first_minute"),
            minutes_between(floor, end).label("last_minute"),
            func.count().label("bookings"),
        )
        .select_from(Booking)
        .join(resources, resources.c.resource_id == Booking.resource_id)
        .join(bounds, bounds.c.location_id == resources.c.location_id)
        .where(
            Booking.status.in_(BOOKED),
            Booking.purpose.in_(TIME_SLOTS),
            Booking.start_at < bounds.c.upper,
            Booking.end_at > bounds.c.lower,
            *conditions,
        )
        .group_by(bounds.c.zone, resources.c.location_id, resources.c.factor, floor, start, end)
        .subquery("grouped")
    )


def spread_over_hours(grouped: Any, hours: int) -> Any:
    """The second step: the groups of `starting_hours` spread over the `hours` whole UTC hours
    from their floor, summed per zone, location, factor and UTC hour (`slot`, `minutes`).

    Only then is each hour turned into local time by the caller (DST-right: a repeated local
    hour is two UTC hours).
    """
    numbers = select(literal(0).label("n")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select(numbers.c.n + 1).where(numbers.c.n < hours - 1))
    slot_first = numbers.c.n * 60
    minutes = greatest(
        least(grouped.c.last_minute, slot_first + 60) - greatest(grouped.c.first_minute, slot_first), 0
    )
    slot = plus_minutes(grouped.c.floor, slot_first)
    return (
        select(
            grouped.c.zone.label("zone"),
            grouped.c.location_id.label("location_id"),
            grouped.c.factor.label("factor"),
            slot.label("slot"),
            func.sum(minutes * grouped.c.bookings).label("minutes"),
        )
        .select_from(grouped)
        .join(numbers, slot_first < grouped.c.last_minute)
        .group_by(grouped.c.zone, grouped.c.location_id, grouped.c.factor, slot)
        .subquery("per_hour")
    )


def age_band(day: ColumnElement[Any], birth_date: ColumnElement[Any]) -> ColumnElement[str]:
    """The age band on a day, both as 'YYYY-MM-DD' text: the same arithmetic on both engines."""
    age = (
        cast(func.substr(day, 1, 4), Integer)
        - cast(func.substr(birth_date, 1, 4), Integer)
        - case((func.substr(day, 6, 5) < func.substr(birth_date, 6, 5), 1), else_=0)
    )
    whens = [
        (age <= highest, key) if highest is not None else (age >= lowest, key)
        for key, lowest, highest in rules.AGE_BANDS
    ]
    return case((birth_date.is_(None), rules.UNKNOWN_AGE), *whens, else_=rules.UNKNOWN_AGE)


def visits_of_people(lower: datetime | None = None, upper: datetime | None = None) -> Select[Any]:
    """Who came when, where and for which factor: visitor bookings and workshop places.

    One row per booking or registration: user_id, local day as 'YYYY-MM-DD', location, factor.
    `lower` and `upper` narrow by instant (a day's margin is the caller's).
    """
    booking_day = day_text(local_day(Booking.start_at, Location.timezone))
    bookings = (
        select(
            Booking.user_id.label("user_id"),
            booking_day.label("day"),
            Resource.location_id.label("location_id"),
            Resource.factor.label("factor"),
        )
        .join(Resource, Resource.id == Booking.resource_id)
        .join(Location, Location.id == Resource.location_id)
        .where(
            Booking.user_id.is_not(None),
            Booking.purpose == BookingPurpose.VISITOR,
            Booking.status.in_(BOOKED),
        )
    )
    session_day = day_text(local_day(WorkshopSession.start_at, Location.timezone))
    places_taken = (
        select(
            Registration.user_id.label("user_id"),
            session_day.label("day"),
            Resource.location_id.label("location_id"),
            Workshop.factor.label("factor"),
        )
        .join(WorkshopSession, WorkshopSession.id == Registration.session_id)
        .join(Workshop, Workshop.id == WorkshopSession.workshop_id)
        .join(Resource, Resource.id == WorkshopSession.resource_id)
        .join(Location, Location.id == Resource.location_id)
        .where(
            Registration.user_id.is_not(None),
            Registration.status.in_(TOOK_PART),
            WorkshopSession.cancelled_at.is_(None),
        )
    )
    if lower is not None:
        bookings = bookings.where(Booking.start_at >= lower)
        places_taken = places_taken.where(WorkshopSession.start_at >= lower)
    if upper is not None:
        bookings = bookings.where(Booking.start_at < upper)
        places_taken = places_taken.where(WorkshopSession.start_at < upper)
    return union_all(bookings, places_taken)  # type: ignore[return-value]


def first_days(people: Select[Any]) -> Select[Any]:
    """Each person's first visit still named, as user_id and first_day ('YYYY-MM-DD').

    Per person and zone the earliest booking is one step down the index on user and start
    (ORDER BY start LIMIT 1), not a scan of all their bookings; only those few instants are
    turned into local days. Per zone, because an earlier instant can be a later local day.
    """
    who = people.distinct().subquery("who")
    zones = select(Location.timezone.label("zone")).distinct().subquery("zones")
    in_zone = select(Resource.id).join(Location, Location.id == Resource.location_id)
    first_booking = (
        select(Booking.start_at)
        .where(
            Booking.user_id == who.c.user_id,
            Booking.purpose == BookingPurpose.VISITOR,
            Booking.status.in_(BOOKED),
            Booking.resource_id.in_(in_zone.where(Location.timezone == zones.c.zone)),
        )
        .order_by(Booking.start_at)
        .limit(1)
        .scalar_subquery()
    )
    first_place = (
        select(func.min(WorkshopSession.start_at))
        .join(Registration, Registration.session_id == WorkshopSession.id)
        .where(
            Registration.user_id == who.c.user_id,
            Registration.status.in_(TOOK_PART),
            WorkshopSession.cancelled_at.is_(None),
            WorkshopSession.resource_id.in_(in_zone.where(Location.timezone == zones.c.zone)),
        )
        .scalar_subquery()
    )
    earliest = (
        select(who.c.user_id, zones.c.zone, first_booking.label("booked"), first_place.label("took_part"))
        .select_from(who)
        .join(zones, literal(True))
        .subquery("earliest")
    )
    at = least(
        func.coalesce(earliest.c.booked, earliest.c.took_part),
        func.coalesce(earliest.c.took_part, earliest.c.booked),
    )
    return (
        select(
            earliest.c.user_id.label("user_id"),
            func.min(day_text(local_day(at, earliest.c.zone))).label("first_day"),
        )
        .where(at.is_not(None))
        .group_by(earliest.c.user_id)
    )


def live_visits(first: date, last: date, location_ids: Sequence[int] | None) -> tuple[CTE, CTE, Any]:
    """Visits on the local days `first` to `last` from the bookings as they are now (distinct
    user_id, day, location_id, factor), everyone's first visit (`firsts`) and the expression of
    a person's first day: from their visits still named and the first day kept for them when
    retention forgot older ones (PersonFirstVisit, which the caller outer-joins)."""
    margin = timedelta(days=1)
    lower = datetime.combine(first, datetime.min.time()).replace(tzinfo=rules.UTC_ZONE) - margin
    upper = (
        datetime.combine(last + timedelta(days=1), datetime.min.time()).replace(tzinfo=rules.UTC_ZONE)
        + margin
    )
    around = visits_of_people(lower, upper).subquery("around")
    in_period = (
        select(around.c.user_id, around.c.day, around.c.location_id, around.c.factor)
        .where(around.c.day >= first.isoformat(), around.c.day <= last.isoformat())
        .distinct()
    )
    if location_ids is not None:
        in_period = in_period.where(around.c.location_id.in_(location_ids))
    visits = in_period.cte("visits")
    firsts = first_days(select(visits.c.user_id)).cte("firsts")
    first_day = case(
        (PersonFirstVisit.first_day.is_(None), firsts.c.first_day),
        else_=least(day_text(PersonFirstVisit.first_day), firsts.c.first_day),
    )
    return visits, firsts, first_day


def _live_seen(
    first: date, last: date, location_ids: Sequence[int], new_from: date, new_to: date
) -> Select[Any]:
    """Who came on the local days `first` to `last` (still named): person, factor, day, birth
    (both 'YYYY-MM-DD'), new.

    `person` is the account's opaque key where it has one, else minus its id (keys are
    positive, so the two never meet); `new` 1 when the first visit lies in `new_from`..`new_to`.
    The age band is left to the caller: worked out once per person, not per visit.
    """
    visits, firsts, first_day = live_visits(first, last, location_ids)
    is_new = and_(first_day >= new_from.isoformat(), first_day <= new_to.isoformat())
    return (
        select(
            func.coalesce(PersonKey.key, -visits.c.user_id).label("person"),
            visits.c.factor.label("factor"),
            visits.c.day.label("day"),
            day_text(User.birth_date).label("birth"),
            case((is_new, 1), else_=0).label("new"),
        )
        .join(User, User.id == visits.c.user_id)
        .join(firsts, firsts.c.user_id == visits.c.user_id)
        .outerjoin(PersonFirstVisit, PersonFirstVisit.user_id == visits.c.user_id)
        .outerjoin(PersonKey, PersonKey.user_id == visits.c.user_id)
    )


def _kept_seen(first: date, last: date, location_ids: Sequence[int], new_to: date) -> Select[Any]:
    """Who came in the kept months from `first`'s to `last`'s, from the markers retention wrote:
    person (the opaque key), factor, age_band, new (1 when the month of their first visit lies
    from `first`'s to `new_to`'s: whole months, as `first` starts one where days are kept)."""
    months = (first.replace(day=1), new_to.replace(day=1))
    is_new = and_(PersonMonth.first_month >= months[0], PersonMonth.first_month <= months[1])
    return select(
        PersonMonth.key.label("person"),
        PersonMonth.factor.label("factor"),
        PersonMonth.age_band.label("age_band"),
        case((is_new, 1), else_=0).label("new"),
    ).where(
        PersonMonth.month >= months[0],
        PersonMonth.month <= last.replace(day=1),
        PersonMonth.location_id.in_(location_ids),
    )


@dataclass(frozen=True)
class PeopleFigures:
    """Unique people per group, and the days they were counted over (`counted_from` and
    `counted_to`: the period, widened to whole months where it reaches into kept days)."""

    rows: list[PeopleRow]
    counted_from: date
    counted_to: date


async def people(
    session: AsyncSession,
    first: date,
    last: date,
    *,
    group_by: PeopleGroup,
    location: str | None = None,
    factor: str | None = None,
) -> PeopleFigures:
    """Unique people, new and returning, per factor or age band (see `people_by`)."""
    return (await people_by(session, first, last, (group_by,), location=location, factor=factor))[group_by]


async def people_by(
    session: AsyncSession,
    first: date,
    last: date,
    group_bys: Sequence[PeopleGroup],
    *,
    location: str | None = None,
    factor: str | None = None,
) -> dict[PeopleGroup, PeopleFigures]:
    """Unique people, new and returning, in each grouping asked for, in one statement.

    Each person counts once in the period: in each factor they came for (so factors may add
    up to more than all people), and in the age band of their first visit in the period (the
    youngest band they were seen in, so bands add up). New: their first visit ever lies in the
    counted days. Days retention has kept come from the monthly markers (`PersonMonth`, whole
    months: see `rules.counted_period`), the days after from the bookings; the same person is
    the same key in both, so a past year's figures stay the same after retention. Who was seen
    (one row per person and factor) is worked out once for all groupings.
    """
    where = await places(session, first, last, location)
    location_ids = [p.id for p in where]
    kept_through: date | None = await session.scalar(select(KeptThrough.day))
    counted_from, counted_to = rules.counted_period(first, last, kept_through)
    parts: list[Select[Any]] = []
    if kept_through is not None and counted_from <= kept_through:
        kept_to = min(counted_to, kept_through)
        kept = _kept_seen(counted_from, kept_to, location_ids, counted_to).subquery("kept")
        parts.append(
            select(kept.c.person, kept.c.factor, kept.c.age_band, kept.c.new).where(
                *([kept.c.factor == factor] if factor is not None else [])
            )
        )
    live_first = counted_from if kept_through is None else max(counted_from, kept_through + timedelta(days=1))
    if live_first <= counted_to:
        live = _live_seen(live_first, counted_to, location_ids, counted_from, counted_to).subquery("live")
        # The band of a person's first visit for each factor: the youngest of them is the band
        # of their first visit in the period (age only goes up).
        parts.append(
            select(
                live.c.person,
                live.c.factor,
                age_band(func.min(live.c.day), live.c.birth).label("age_band"),
                func.max(live.c.new).label("new"),
            )
            .where(*([live.c.factor == factor] if factor is not None else []))
            .group_by(live.c.person, live.c.factor, live.c.birth)
        )
    totals: dict[PeopleGroup, dict[str, list[int]]] = {
        group_by: {key: [0, 0] for key in _people_keys(group_by)} for group_by in group_bys
    }
    if parts:
        seen = (parts[0] if len(parts) == 1 else union_all(*parts)).cte("seen")
        per_person = (
            select(func.min(_band_rank(seen.c.age_band)).label("rank"), func.max(seen.c.new).label("new"))
            .group_by(seen.c.person)
            .subquery("per_person")
        )
        statements = {
            "factor": select(
                literal("factor").label("grouping"),
                cast(seen.c.factor, String).label("key"),
                func.count(seen.c.person.distinct()),
                func.count(case((seen.c.new == 1, seen.c.person)).distinct()),
            ).group_by(seen.c.factor),
            "age_band": select(
                literal("age_band").label("grouping"),
                cast(per_person.c.rank, String).label("key"),
                func.count(),
                func.sum(per_person.c.new),
            ).group_by(per_person.c.rank),
        }
        chosen = [statements[group_by] for group_by in group_bys]
        statement = chosen[0] if len(chosen) == 1 else union_all(*chosen)
        for grouping, key, count, new in await session.execute(statement):
            group_by = _people_group(grouping)
            name = str(key) if group_by == "factor" else _people_keys("age_band")[int(key)]
            figures = totals[group_by].setdefault(name, [0, 0])
            figures[0] += int(count or 0)
            figures[1] += int(new or 0)
    return {
        group_by: PeopleFigures(
            [PeopleRow(key, count, new) for key, (count, new) in totals[group_by].items()],
            counted_from,
            counted_to,
        )
        for group_by in group_bys
    }


def _people_group(value: str) -> PeopleGroup:
    return "factor" if value == "factor" else "age_band"


def _band_rank(band: ColumnElement[str]) -> ColumnElement[int]:
    """The age band as its place in `_people_keys("age_band")`: youngest first, unknown last."""
    keys = _people_keys("age_band")
    return case(*((band == key, n) for n, key in enumerate(keys[:-1])), else_=len(keys) - 1)


def _people_keys(group_by: PeopleGroup) -> list[str]:
    if group_by == "factor":
        return [factor.value for factor in Factor]
    return [key for key, _, _ in rules.AGE_BANDS] + [rules.UNKNOWN_AGE]


async def workshops(session: AsyncSession, first: date, last: date) -> list[WorkshopRow]:
    """Per workshop with sessions or certifications in the period: places, take-up and uptake."""
    where = await places(session, first, last)
    bounds = bounds_table(where)
    per_session = (
        select(
            WorkshopSession.workshop_id.label("workshop_id"),
            # A hybrid session's online places are places too.
            (WorkshopSession.capacity + func.coalesce(WorkshopSession.online_capacity, 0)).label("capacity"),
            func.sum(case((Registration.status.in_(TOOK_PART), 1), else_=0)).label("confirmed"),
            func.sum(case((Registration.status == RegistrationStatus.ATTENDED, 1), else_=0)).label(
                "attended"
            ),
            func.sum(case((Registration.status == RegistrationStatus.WAITLISTED, 1), else_=0)).label(
                "waiting"
            ),
        )
        .join(Resource, Resource.id == WorkshopSession.resource_id)
        .join(bounds, bounds.c.location_id == Resource.location_id)
        .outerjoin(Registration, Registration.session_id == WorkshopSession.id)
        .where(
            WorkshopSession.cancelled_at.is_(None),
            WorkshopSession.start_at >= bounds.c.lower,
            WorkshopSession.start_at < bounds.c.upper,
        )
        .group_by(
            WorkshopSession.id,
            WorkshopSession.workshop_id,
            WorkshopSession.capacity,
            WorkshopSession.online_capacity,
        )
        .subquery("per_session")
    )
    rows: dict[int, WorkshopRow] = {}
    statement = (
        select(
            Workshop.id,
            Workshop.slug,
            Workshop.title,
            Workshop.title_en,
            func.count(),
            func.sum(per_session.c.capacity),
            func.sum(per_session.c.confirmed),
            func.sum(per_session.c.attended),
            func.max(per_session.c.waiting),
        )
        .join(per_session, per_session.c.workshop_id == Workshop.id)
        .group_by(Workshop.id, Workshop.slug, Workshop.title, Workshop.title_en)
    )
    for (
        workshop_id,
        slug,
        title,
        title_en,
        sessions,
        capacity,
        confirmed,
        attended,
        waiting,
    ) in await session.execute(statement):
        rows[workshop_id] = WorkshopRow(
            slug,
            title,
            title_en,
            int(sessions),
            int(capacity or 0),
            int(confirmed or 0),
            int(attended or 0),
            int(waiting or 0),
        )
    if where:
        earliest = min(p.bounds.start for p in where)
        latest = max(p.bounds.end for p in where)
        for workshop_id, slug, title, title_en, granted, uptake in await session.execute(
            _grants(earliest, latest)
        ):
            row = rows.setdefault(workshop_id, WorkshopRow(slug, title, title_en))
            row.certifications_granted = int(granted or 0)
            row.certified_then_booked = int(uptake or 0)
    return sorted(rows.values(), key=lambda r: r.slug)


def uptake_booking(grant: type[UserCertification] | Any, *, still_named_only: bool = False) -> Select[Any]:
    """Visitor bookings by the holder of a grant of a resource needing it, within 60 days of it."""
    return select(Booking.id).where(
        Booking.user_id == grant.user_id,
        Booking.purpose == BookingPurpose.VISITOR,
        Booking.status.in_(BOOKED),
        Booking.resource_id.in_(
            select(Resource.id).where(Resource.required_certification_id == grant.certification_id)
        ),
        Booking.start_at >= grant.granted_at,
        minutes_between(grant.granted_at, Booking.start_at) < rules.UPTAKE_DAYS * 1440,
    )


def _grants(lower: datetime, upper: datetime) -> Any:
    uptake = or_(
        select(KeptUptake.user_certification_id)
        .where(KeptUptake.user_certification_id == UserCertification.id)
        .exists(),
        uptake_booking(UserCertification).exists(),
    )
    return (
        select(
            Workshop.id,
            Workshop.slug,
            Workshop.title,
            Workshop.title_en,
            func.count(UserCertification.id),
            func.sum(case((uptake, 1), else_=0)),
        )
        .join(UserCertification, UserCertification.certification_id == Workshop.grants_certification_id)
        .where(
            UserCertification.source == "workshop",
            UserCertification.granted_at >= lower,
            UserCertification.granted_at < upper,
        )
        .group_by(Workshop.id, Workshop.slug, Workshop.title, Workshop.title_en)
    )


async def demand(
    session: AsyncSession, first: date, last: date, *, group_by: DemandGroup, location: str | None = None
) -> list[DemandRow]:
    """Refused booking attempts made in the period, per resource or per refusal code."""
    where = await places(session, first, last, location)
    bounds = bounds_table(where)
    key: Any = Resource.slug if group_by == "resource" else RefusalEvent.code
    statement = (
        select(key, func.count())
        .select_from(RefusalEvent)
        .join(Resource, Resource.id == RefusalEvent.resource_id)
        .join(bounds, bounds.c.location_id == Resource.location_id)
        .where(RefusalEvent.at >= bounds.c.lower, RefusalEvent.at < bounds.c.upper)
        .group_by(key)
        .order_by(func.count().desc(), key)
    )
    return [DemandRow(str(k), int(n)) for k, n in await session.execute(statement)]


LOAN_FIGURES = (
    "loans",
    "loan_days",
    "renewals",
    "returned_on_time",
    "returned_late",
    "overdue_now",
    "overdue_days",
    "damaged_returns",
    "missing_parts_returns",
)
"""The loan figures in the order of API.md's rows and of the exports."""


@dataclass
class LoanRow:
    """The loan figures of a group (definitions: `loans`)."""

    key: str
    label: str
    label_en: str | None = None
    loans: int = 0
    loan_days: int = 0
    renewals: int = 0
    returned_on_time: int = 0
    returned_late: int = 0
    overdue_now: int = 0
    overdue_days: int = 0
    damaged_returns: int = 0
    missing_parts_returns: int = 0

    def add(self, other: LoanRow) -> None:
        for name in LOAN_FIGURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def loan_figures(first: date, last: date, as_of: date) -> list[ColumnElement[Any]]:
    """The sums of LOAN_FIGURES over loans, in that order; every day is the local day of the
    thing's location, as 'YYYY-MM-DD' text on both engines.

    - loans: checked out at the desk on a day of the period;
    - loan_days: the days a thing was out within the period, from the day it was checked out to
      the day it came back (or `as_of` while it is out), both included;
    - renewals: the renewals of the loans checked out in the period;
    - returned_on_time / returned_late: brought back on a day of the period, by the due day or
      after it;
    - overdue_now: out at the end of `as_of` (the period's last day, or today when that is
      earlier) with its due day before `as_of`; overdue_days: their days past the due day then;
    - damaged_returns / missing_parts_returns: returns in the period recorded as damaged, or
      with a missing part.
    """
    zone = Location.timezone
    out_day = day_text(local_day(Loan.checked_out_at, zone))
    back_day = day_text(local_day(Loan.returned_at, zone))
    due = day_text(Loan.due)
    lower, upper, then = (literal(day.isoformat()) for day in (first, last, as_of))
    returned = and_(Loan.returned_at.is_not(None), back_day >= lower, back_day <= upper)
    out_then = and_(out_day <= then, or_(Loan.returned_at.is_(None), back_day > then))
    overdue = and_(out_then, due < then)
    lent_from = greatest(out_day, lower)
    lent_to = least(func.coalesce(back_day, then), then, upper)
    picked_up = and_(out_day >= lower, out_day <= upper)

    def count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, 1), else_=0))

    return [
        count(picked_up),
        func.sum(greatest(days_between(lent_from, lent_to) + 1, 0)),
        func.sum(case((picked_up, Loan.renewals), else_=0)),
        count(and_(returned, back_day <= due)),
        count(and_(returned, back_day > due)),
        count(overdue),
        func.sum(case((overdue, days_between(due, then)), else_=0)),
        count(and_(returned, Loan.condition == UnitCondition.DAMAGED)),
        count(and_(returned, json_items(Loan.missing_parts) > 0)),
    ]


async def loans(
    session: AsyncSession,
    first: date,
    last: date,
    *,
    today: date,
    group_by: LoanGroup,
    location: str | None = None,
    factor: str | None = None,
) -> list[LoanRow]:
    """Loan figures (`loan_figures`) per factor, resource or location: one grouped scan of the
    loans handed out, by resource, then the resources' rows summed into their groups.

    A loan is counted here and only here: its booking row is not a booking and its days are not
    booked minutes in `utilisation` (TIME_SLOTS). Every thing for loan in service has a row,
    with zeros when nothing happened. Counts of loans, not of people: nothing is suppressed.
    """
    where = await places(session, first, last, location)
    by_id = {p.id: p for p in where}
    location_ids = list(by_id)
    as_of = min(last, today)
    earliest = min((p.bounds.start for p in where), default=None)
    statement = (
        select(Booking.resource_id, *loan_figures(first, last, as_of))
        .select_from(Loan)
        .join(Booking, Booking.id == Loan.booking_id)
        .join(Resource, Resource.id == Booking.resource_id)
        .join(Location, Location.id == Resource.location_id)
        .where(
            Loan.checked_out_at.is_not(None),
            Loan.status.in_((LoanStatus.ON_LOAN, LoanStatus.RETURNED)),
            Resource.location_id.in_(location_ids),
        )
        .group_by(Booking.resource_id)
    )
    if earliest is not None:  # a loan back before the period has nothing in it
        statement = statement.where(
            or_(Loan.returned_at.is_(None), Loan.returned_at >= literal(earliest, UTCDateTime()))
        )
    if factor is not None:
        statement = statement.where(Resource.factor == factor)
    counted = {
        int(row[0]): [int(value or 0) for value in row[1:]] for row in await session.execute(statement)
    }
    lendable = or_(
        Resource.id.in_(list(counted)), and_(Resource.kind == ResourceKind.LOAN, Resource.active.is_(True))
    )
    resources = select(
        Resource.id, Resource.slug, Resource.name, Resource.name_en, Resource.location_id, Resource.factor
    ).where(Resource.location_id.in_(location_ids), lendable)
    if factor is not None:
        resources = resources.where(Resource.factor == factor)
    groups: dict[str, LoanRow] = {}
    for resource_id, slug, name, name_en, location_id, resource_factor in await session.execute(resources):
        if group_by == "resource":
            key, label, label_en = slug, name, name_en
        elif group_by == "location":
            place = by_id[location_id]
            key, label, label_en = place.slug, place.name, place.name_en
        else:
            key, label, label_en = str(resource_factor), str(resource_factor), None
        group = groups.setdefault(key, LoanRow(key, label, label_en))
        group.add(LoanRow(slug, name, name_en, *counted.get(resource_id, [0] * len(LOAN_FIGURES))))
    return sorted(groups.values(), key=lambda r: r.key)
