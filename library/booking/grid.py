"""The desk's day grid: every unit of a location against the time of one day.

Two halves: `load_grid` reads what the grid shows in five queries whatever the number of units
(locations, weekly hours, dated exceptions, units, bookings with blocks: LibreBooking's schedule issued
one query per resource), and `lay_out` turns that into rows of cells, a pure function tested
without a database. Columns are quarter hours counted in UTC from the first full local hour shown,
so a day with a clock change has its real number of columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from library.accounts.models import User
from library.booking.intervals import Interval
from library.booking.models import Booking, BookingPurpose, BookingStatus
from library.booking.queries import load_location_hours
from library.catalog.hours import DayHours, local_instant
from library.catalog.models import Factor, Location, Resource, ResourceKind, Unit, UnitBlock, UnitStatus
from library.db import UTCDateTime

STEP = timedelta(minutes=15)
DEFAULT_HOURS = (time(8), time(20))
"""What a closed day shows, so that bookings made by staff anyway still have a place."""

SHOWN_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
)
"""A cancelled or rejected booking holds nothing and is not shown; a no-show is, as a record."""

ItemStatus = Literal[
    "pending",
    "confirmed",
    "checked_in",
    "completed",
    "no_show",
    "blocked",
    "workshop",
    "reserved",
    "on_loan",
    "overdue",
]


ITEM_STATUS: dict[str, ItemStatus] = {
    "pending": "pending",
    "confirmed": "confirmed",
    "checked_in": "checked_in",
    "completed": "completed",
    "no_show": "no_show",
}
"""A stored booking status as what the grid shows."""


def loan_status(booking_status: str, due_end: datetime, now: datetime) -> ItemStatus:
    """A loan's row on the grid: reserved for pickup, out, or out past the end of its due day."""
    if booking_status == "checked_in":
        return "overdue" if now >= due_end else "on_loan"
    return "reserved" if booking_status == "confirmed" else ITEM_STATUS[booking_status]


@dataclass(frozen=True)
class GridItem:
    """A booking or a block in a unit's row."""

    start: datetime
    end: datetime
    status: ItemStatus
    booking_id: int | None = None
    person: str | None = None
    reason: str | None = None

    @property
    def holds(self) -> bool:
        """Whether it occupies the unit (an active booking or a block), so wins the row's space."""
        return self.status not in ("completed", "no_show")


@dataclass(frozen=True)
class GridUnit:
    unit_id: int
    label: str
    label_en: str | None
    resource_slug: str
    resource_name: str
    resource_name_en: str | None
    factor: Factor
    kind: ResourceKind
    items: tuple[GridItem, ...] = ()


@dataclass(frozen=True)
class Cell:
    """`item` a booking or block, `free` bookable time in opening hours, `off` outside them."""

    kind: Literal["item", "free", "off"]
    span: int
    start: datetime
    end: datetime
    item: GridItem | None = None


@dataclass(frozen=True)
class Row:
    unit: GridUnit
    cells: tuple[Cell, ...]
    overlapping: tuple[GridItem, ...] = ()
    """Records (no-shows, completed) lying under a later booking of the same time: listed apart."""


@dataclass(frozen=True)
class Band:
    """A stretch of the day: staffed, unstaffed or closed."""

    kind: Literal["staffed", "unstaffed", "closed"]
    span: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Hour:
    start: datetime
    span: int


@dataclass(frozen=True)
class Layout:
    columns: int
    hours: tuple[Hour, ...]
    bands: tuple[Band, ...]
    rows: tuple[Row, ...]


def axis(day: DayHours, zone: ZoneInfo, items: Iterable[GridItem]) -> tuple[datetime, datetime]:
    """The shown part of the day: the opening hours (or a default day), widened to whole hours
    and to any booking or block outside them, never beyond the local day."""
    periods = [(p.start, p.end) for p in day.periods] or [DEFAULT_HOURS]
    first = local_instant(day.day, time(min(p[0] for p in periods).hour), zone)
    last_end = max(p[1] for p in periods)
    last = local_instant(day.day, time(last_end.hour), zone)
    if last_end.minute or last_end.second:
        last += timedelta(hours=1)
    day_start = local_instant(day.day, time(0), zone)
    day_end = local_instant(day.day + timedelta(days=1), time(0), zone)
    for item in items:
        first, last = min(first, item.start), max(last, item.end)
    first = max(first, day_start)
    last = min(last, day_end)
    first = _floor_hour(first, zone)
    last = _ceil_hour(last, zone, day_end)
    return first, last


def _floor_hour(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    return moment - timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)


def _ceil_hour(moment: datetime, zone: ZoneInfo, limit: datetime) -> datetime:
    floored = _floor_hour(moment, zone)
    return floored if floored == moment else min(floored + timedelta(hours=1), limit)


def _column(start: datetime, moment: datetime, *, up: bool) -> int:
    steps, rest = divmod(moment - start, STEP)
    return steps + (1 if up and rest else 0)


def open_windows(day: DayHours, zone: ZoneInfo) -> list[tuple[Interval, bool]]:
    """The day's periods as instants, each with whether it is staffed."""
    return [
        (Interval(local_instant(day.day, p.start, zone), local_instant(day.day, p.end, zone)), p.staffed)
        for p in day.periods
    ]


def lay_out(day: DayHours, zone: ZoneInfo, units: Sequence[GridUnit]) -> Layout:
    """Rows of cells for a day grid: each booking or block one cell over its columns, the time
    in between free (split at full hours, so each free cell books a time near the one clicked)
    inside opening hours and `off` outside them."""
    first, last = axis(day, zone, (item for unit in units for item in unit.items))
    columns = _column(first, last, up=True)
    instants = [first + STEP * i for i in range(columns + 1)]
    windows = open_windows(day, zone)

    def state(i: int) -> Literal["staffed", "unstaffed", "closed"]:
        moment = instants[i]
        staffed = [s for w, s in windows if w.start <= moment < w.end]
        if not staffed:
            return "closed"
        return "staffed" if any(staffed) else "unstaffed"

    states = [state(i) for i in range(columns)]
    starts_hour = [instants[i].astimezone(zone).minute == 0 for i in range(columns)]
    bands: list[Band] = []
    for i, kind in enumerate(states):
        if bands and bands[-1].kind == kind:
            previous = bands[-1]
            bands[-1] = Band(kind, previous.span + 1, previous.start, instants[i + 1])
        else:
            bands.append(Band(kind, 1, instants[i], instants[i + 1]))
    hour_starts = [i for i in range(columns) if starts_hour[i]] or [0]
    if hour_starts[0] != 0:
        hour_starts.insert(0, 0)
    hours = tuple(
        Hour(instants[i], (hour_starts[n + 1] if n + 1 < len(hour_starts) else columns) - i)
        for n, i in enumerate(hour_starts)
    )
    rows = tuple(_row(unit, instants, columns, states, starts_hour) for unit in units)
    return Layout(columns, hours, tuple(bands), rows)


def _row(
    unit: GridUnit,
    instants: Sequence[datetime],
    columns: int,
    states: Sequence[str],
    starts_hour: Sequence[bool],
) -> Row:
    first = instants[0]
    taken: list[GridItem | None] = [None] * columns
    placed: dict[int, tuple[int, GridItem]] = {}
    overlapping: list[GridItem] = []
    for item in sorted(unit.items, key=lambda i: (not i.holds, i.start)):
        begin = max(0, _column(first, item.start, up=False))
        end = min(columns, _column(first, item.end, up=True))
        if end <= begin:
            continue
        if any(taken[c] is not None for c in range(begin, end)):
            overlapping.append(item)
            continue
        for c in range(begin, end):
            taken[c] = item
        placed[begin] = (end, item)
    cells: list[Cell] = []
    c = 0
    while c < columns:
        if c in placed:
            end, item = placed[c]
            cells.append(Cell("item", end - c, instants[c], instants[end], item))
            c = end
            continue
        kind: Literal["free", "off"] = "off" if states[c] == "closed" else "free"
        end = c + 1
        while (
            end < columns
            and taken[end] is None
            and (states[end] == "closed") == (kind == "off")
            and not (kind == "free" and starts_hour[end])
        ):
            end += 1
        cells.append(Cell(kind, end - c, instants[c], instants[end]))
        c = end
    return Row(unit, tuple(cells), tuple(sorted(overlapping, key=lambda i: i.start)))


@dataclass(frozen=True)
class GridFilter:
    factor: Factor | None = None
    kind: ResourceKind | None = None


@dataclass(frozen=True)
class DayGrid:
    locations: Sequence[Location]
    location: Location
    zone: ZoneInfo
    day: DayHours
    units: list[GridUnit] = field(default_factory=list)

    def layout(self) -> Layout:
        return lay_out(self.day, self.zone, self.units)


async def load_grid(
    session: AsyncSession, location_slug: str, day: date | None, now: datetime, where: GridFilter
) -> DayGrid | None:
    """One location's units and what holds them on a day (today where `day` is None): five queries."""
    locations = (
        await session.scalars(
            select(Location).options(joinedload(Location.policy)).order_by(Location.position, Location.slug)
        )
    ).all()
    location = next(
        (loc for loc in locations if loc.slug == location_slug), locations[0] if locations else None
    )
    if location is None:
        return None
    zone = ZoneInfo(location.timezone)
    shown = day or now.astimezone(zone).date()
    hours = await load_location_hours(session, location, shown, shown)  # two queries
    start = local_instant(shown, time(0), zone)
    end = local_instant(shown + timedelta(days=1), time(0), zone)
    conditions: list[ColumnElement[bool]] = [
        Resource.location_id == location.id,
        Resource.active.is_(True),
        Unit.status != UnitStatus.RETIRED,
    ]
    if where.factor is not None:
        conditions.append(Resource.factor == where.factor)
    if where.kind is not None:
        conditions.append(Resource.kind == where.kind)
    unit_rows = await session.execute(
        select(
            Unit.id,
            Unit.label,
            Unit.label_en,
            Resource.slug,
            Resource.name,
            Resource.name_en,
            Resource.factor,
            Resource.kind,
        )
        .join(Resource, Resource.id == Unit.resource_id)
        .where(*conditions)
        .order_by(Resource.name, Resource.id, Unit.label, Unit.id)
    )
    units = {row.id: row for row in unit_rows}
    items: dict[int, list[GridItem]] = {unit_id: [] for unit_id in units}
    person = func.coalesce(User.name, "")
    # A loan shows the whole days its unit is held: past its due day too while it is still out.
    lent = Booking.purpose == BookingPurpose.LOAN
    bookings = (
        select(
            literal("booking").label("part"),
            Booking.id.label("ref"),
            Booking.unit_id,
            Booking.start_at.label("start"),
            case((lent, Booking.occupied_end), else_=Booking.end_at).label("end"),
            cast(Booking.status, String).label("status"),
            cast(Booking.purpose, String).label("purpose"),
            person.label("text"),
            Booking.end_at.label("due"),
        )
        .join(Resource, Resource.id == Booking.resource_id)
        .join(Unit, Unit.id == Booking.unit_id)
        .outerjoin(User, User.id == Booking.user_id)
        .where(
            *conditions,
            Booking.start_at < end,
            or_(Booking.end_at > start, and_(lent, Booking.occupied_end > start)),
            Booking.status.in_(SHOWN_STATUSES),
        )
    )
    blocks = (
        select(
            literal("block"),
            UnitBlock.id,
            UnitBlock.unit_id,
            UnitBlock.start_at,
            UnitBlock.end_at,
            literal("blocked"),
            literal(""),
            UnitBlock.reason,
            UnitBlock.end_at,
        )
        .join(Unit, Unit.id == UnitBlock.unit_id)
        .join(Resource, Resource.id == Unit.resource_id)
        .where(*conditions, UnitBlock.start_at < end, UnitBlock.end_at > start)
    )
    # Bookings and blocks in one statement of one row shape; instants typed so SQLite's come back aware.
    statement = select(
        *(
            type_coerce(column, UTCDateTime) if column.name in ("start", "end", "due") else column
            for column in union_all(bookings, blocks).subquery().columns
        )
    )
    for row in await session.execute(statement):
        if row.part == "block":
            items[row.unit_id].append(GridItem(row.start, row.end, "blocked", reason=row.text))
            continue
        workshop = row.purpose == BookingPurpose.WORKSHOP.value
        status: ItemStatus = "workshop" if workshop else ITEM_STATUS[row.status]
        if row.purpose == BookingPurpose.LOAN.value:
            status = loan_status(row.status, row.due, now)
        items[row.unit_id].append(
            GridItem(row.start, row.end, status, booking_id=row.ref, person=None if workshop else row.text)
        )
    return DayGrid(
        locations=locations,
        location=location,
        zone=zone,
        day=hours.day(shown),
        units=[
            GridUnit(
                unit_id=row.id,
                label=row.label,
                label_en=row.label_en,
                resource_slug=row.slug,
                resource_name=row.name,
                resource_name_en=row.name_en,
                factor=row.factor,
                kind=row.kind,
                items=tuple(sorted(items[row.id], key=lambda i: i.start)),
            )
            for row in units.values()
        ],
    )
