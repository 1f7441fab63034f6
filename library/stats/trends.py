"""Trends: the figures of each month or week over a year, beside the same days a year earlier.

Every figure that adds up over days (minutes, bookings, refusals, loans, workshop sessions) is
summed per local day in the database, one grouped statement for each, and the days are added
into their months or weeks here: a year of weeks costs the same few statements as a year of
months, never one query per period. The days the roll-up holds are read from it, the days after
it counted from the bookings the way the roll-up counts them (`rollup.day_figures`), so each
month or week has exactly the figures of `queries.utilisation` for its days. Unique people do
not add up over days: they are counted per month or week in one statement (COUNT DISTINCT).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Select, and_, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from library.booking.models import Booking, Loan, LoanStatus
from library.catalog.models import Location, Resource
from library.stats import rules
from library.stats.models import (
    KeptThrough,
    PersonFirstVisit,
    PersonKey,
    PersonMonth,
    RefusalEvent,
    ResourceDay,
    RolledThrough,
)
from library.stats.queries import (
    CountedResource,
    Place,
    blocked_minutes,
    counted_in,
    live_visits,
    narrowed,
    places,
    timed_units,
)
from library.stats.rollup import chunks, day_figures, longest_slot
from library.stats.sql import day_text, days_between, local_day
from library.workshops.models import Registration, RegistrationStatus, Workshop, WorkshopSession

PeopleCount = tuple[int, int]
"""Unique people and new people of a month or week."""


@dataclass
class TrendFigures:
    """One month's or week's figures (definitions: API.md "Statistics" and docs/statistics.md).

    `people` and `new_people` are None where they cannot be counted: a week reaching into days
    retention has kept, which are known by month only. `counted_from` and `counted_to` are the
    days the people were counted over (a month reaching into kept days: the whole month).
    """

    first: date
    last: date
    open_minutes: float = 0
    booked_minutes: float = 0
    used_minutes: float = 0
    bookings: int = 0
    no_shows: int = 0
    late_cancellations: int = 0
    refused: int = 0
    loans: int = 0
    workshop_sessions: int = 0
    workshop_attended: int = 0
    people: int | None = None
    new_people: int | None = None
    counted_from: date | None = None
    counted_to: date | None = None

    @property
    def booked_share(self) -> float | None:
        return rules.share(self.booked_minutes, self.open_minutes)

    @property
    def used_share(self) -> float | None:
        return rules.share(self.used_minutes, self.open_minutes)


@dataclass(frozen=True)
class TrendPoint:
    current: TrendFigures
    previous: TrendFigures


@dataclass
class _Days:
    """Which month or week (its index in the figures) each local day falls in."""

    figures: list[TrendFigures]
    index: dict[date, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for n, bucket in enumerate(self.figures):
            day = bucket.first
            while day <= bucket.last:
                self.index[day] = n
                day += timedelta(days=1)

    def add(self, day: date | str, **values: float) -> None:
        n = self.index.get(day if isinstance(day, date) else date.fromisoformat(day))
        if n is None:  # a day between the two years, or in a margin
            return
        bucket = self.figures[n]
        for name, value in values.items():
            setattr(bucket, name, getattr(bucket, name) + value)


async def trend(
    session: AsyncSession,
    to: date,
    granularity: rules.Granularity,
    *,
    location: str | None = None,
    factor: str | None = None,
) -> list[TrendPoint]:
    """The twelve months or 52 weeks up to `to` (`rules.trend_buckets`), each with its figures
    and those of the same days a year earlier."""
    buckets = rules.trend_buckets(to, granularity)
    figures = [TrendFigures(b.first, b.last) for b in buckets] + [
        TrendFigures(b.previous_first, b.previous_last) for b in buckets
    ]
    first = min(f.first for f in figures)
    last = max(f.last for f in figures)
    where = await places(session, first, last, location)
    resources = await counted_in(session, where, factor)
    days = _Days(figures)
    _add_open_minutes(figures, where, resources)
    ids = list(resources)
    if ids:
        await _add_booked(session, days, ids, sorted({p.zone.key for p in where}), first, last)
    location_ids = [p.id for p in where]
    await _add_refused(session, days, location_ids, factor, first, last)
    await _add_loans(session, days, location_ids, factor, first, last)
    await _add_workshops(session, days, location_ids, factor, first, last)
    await _add_people(session, figures, location_ids, factor, granularity)
    for bucket in figures:  # as `queries.utilisation_by` leaves its rows
        bucket.booked_minutes = round(bucket.booked_minutes, 2)
        bucket.used_minutes = round(bucket.used_minutes, 2)
    half = len(buckets)
    return [TrendPoint(figures[n], figures[half + n]) for n in range(half)]


def _add_open_minutes(
    figures: Sequence[TrendFigures], where: Sequence[Place], resources: dict[int, CountedResource]
) -> None:
    """Open unit-minutes of each month or week: the units of each location's resources booked by
    time (`queries.timed_units`) times its open minutes then, less the blocked minutes in them."""
    units, timed = timed_units(resources.values())
    blocked = [resource for resource in timed if resource.blocks]
    for bucket in figures:
        inside = {p.id: narrowed(p, bucket.first, bucket.last) for p in where}
        for (location_id, staffed), count in units.items():
            bucket.open_minutes += count * rules.total_minutes(inside[location_id].open.spans(staffed))
        for resource in blocked:
            bucket.open_minutes -= blocked_minutes(resource, inside[resource.location_id])


async def _add_booked(
    session: AsyncSession, days: _Days, ids: list[int], zones: list[str], first: date, last: date
) -> None:
    """Booked and used minutes, bookings, no-shows and late cancellations per local day: from the
    roll-up up to the day it holds, then counted from the bookings."""
    names = ("booked_minutes", "used_minutes", "bookings", "no_shows", "late_cancellations")
    through: date | None = await session.scalar(select(RolledThrough.day))
    if through is not None and first <= through:
        rolled = (
            select(ResourceDay.day, *(func.sum(getattr(ResourceDay, name)) for name in names))
            .where(ResourceDay.resource_id.in_(ids), ResourceDay.day >= first, ResourceDay.day <= through)
            .group_by(ResourceDay.day)
        )
        await _add_per_day(session, days, rolled, *names)
    live_first = first if through is None else max(first, through + timedelta(days=1))
    if live_first > last:
        return
    longest = await longest_slot(session)
    for chunk_first, chunk_last in chunks(live_first, last):
        counted = day_figures(chunk_first, chunk_last, zones, longest).subquery("counted")
        live = (
            select(counted.c.day, *(func.sum(counted.c[name]) for name in names))
            .where(counted.c.resource_id.in_(ids))
            .group_by(counted.c.day)
        )
        await _add_per_day(session, days, live, *names)


def _narrowing(
    location_ids: list[int], factor: str | None, factor_column: Any, instant: Any, first: date, last: date
) -> list[Any]:
    """The locations, factor and a day's margin around the two years, on an indexed instant."""
    lower = datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC)
    upper = datetime.combine(last + timedelta(days=2), time(), tzinfo=UTC)
    conditions = [Resource.location_id.in_(location_ids), instant >= lower, instant < upper]
    if factor is not None:
        conditions.append(factor_column == factor)
    return conditions


async def _add_per_day(session: AsyncSession, days: _Days, statement: Any, *names: str) -> None:
    """Add a statement's rows (a local day, then one sum per name) to their months or weeks: minutes
    as floats, counts as ints (PostgreSQL sums them as numeric)."""
    for day, *sums in await session.execute(statement):
        days.add(
            day,
            **{
                name: float(value or 0) if name.endswith("minutes") else int(value or 0)
                for name, value in zip(names, sums, strict=True)
            },
        )


async def _add_refused(
    session: AsyncSession, days: _Days, location_ids: list[int], factor: str | None, first: date, last: date
) -> None:
    """Refused booking attempts by the local day they were made (as `queries.demand`)."""
    day = day_text(local_day(RefusalEvent.at, Location.timezone))
    statement = (
        select(day, func.count())
        .select_from(RefusalEvent)
        .join(Resource, Resource.id == RefusalEvent.resource_id)
        .join(Location, Location.id == Resource.location_id)
        .where(*_narrowing(location_ids, factor, Resource.factor, RefusalEvent.at, first, last))
        .group_by(day)
    )
    await _add_per_day(session, days, statement, "refused")


async def _add_loans(
    session: AsyncSession, days: _Days, location_ids: list[int], factor: str | None, first: date, last: date
) -> None:
    """Loans handed out, by the local day they were checked out at the desk (as `queries.loans`)."""
    day = day_text(local_day(Loan.checked_out_at, Location.timezone))
    statement = (
        select(day, func.count())
        .select_from(Loan)
        .join(Booking, Booking.id == Loan.booking_id)
        .join(Resource, Resource.id == Booking.resource_id)
        .join(Location, Location.id == Resource.location_id)
        .where(
            Loan.status.in_((LoanStatus.ON_LOAN, LoanStatus.RETURNED)),
            *_narrowing(location_ids, factor, Resource.factor, Loan.checked_out_at, first, last),
        )
        .group_by(day)
    )
    await _add_per_day(session, days, statement, "loans")


async def _add_workshops(
    session: AsyncSession, days: _Days, location_ids: list[int], factor: str | None, first: date, last: date
) -> None:
    """Workshop sessions held (not cancelled) and places attended, by the session's local day."""
    day = day_text(local_day(WorkshopSession.start_at, Location.timezone))
    per_session = (
        select(
            day.label("day"),
            func.sum(case((Registration.status == RegistrationStatus.ATTENDED, 1), else_=0)).label(
                "attended"
            ),
        )
        .select_from(WorkshopSession)
        .join(Workshop, Workshop.id == WorkshopSession.workshop_id)
        .join(Resource, Resource.id == WorkshopSession.resource_id)
        .join(Location, Location.id == Resource.location_id)
        .outerjoin(Registration, Registration.session_id == WorkshopSession.id)
        .where(
            WorkshopSession.cancelled_at.is_(None),
            *_narrowing(location_ids, factor, Workshop.factor, WorkshopSession.start_at, first, last),
        )
        .group_by(WorkshopSession.id, day)
        .subquery("per_session")
    )
    statement = select(per_session.c.day, func.count(), func.sum(per_session.c.attended)).group_by(
        per_session.c.day
    )
    await _add_per_day(session, days, statement, "workshop_sessions", "workshop_attended")


WEEKS_FROM = date(1800, 1, 6)
"""A Monday long before any trend: a day's week is its whole weeks since then."""


def bucket_key(day: Any, granularity: rules.Granularity) -> Any:
    """The month ('YYYY-MM') or week (whole weeks since `WEEKS_FROM`) of a 'YYYY-MM-DD' day: joined
    by equality to the months or weeks, not by a range over them all."""
    if granularity == "month":
        return func.substr(day, 1, 7)
    return days_between(literal(WEEKS_FROM.isoformat()), day) // 7


def _buckets_table(figures: Sequence[TrendFigures], granularity: rules.Granularity) -> Any:
    """Each month or week as a row: n, its key (`bucket_key`), its first day as a date and its
    first and last day as 'YYYY-MM-DD'."""
    rows = [
        select(
            literal(n).label("n"),
            (
                literal(f.first.isoformat()[:7])
                if granularity == "month"
                else literal((f.first - WEEKS_FROM).days // 7)
            ).label("key"),
            literal(f.first, Date()).label("first"),
            literal(f.first.isoformat()).label("first_text"),
            literal(f.last.isoformat()).label("last_text"),
        )
        for n, f in enumerate(figures)
    ]
    return union_all(*rows).cte("buckets")


async def _add_people(
    session: AsyncSession,
    figures: Sequence[TrendFigures],
    location_ids: list[int],
    factor: str | None,
    granularity: rules.Granularity,
) -> None:
    """Unique people and new people of each month or week, in one statement.

    As `queries.people_by`: days retention has kept come from its monthly markers, so a month
    reaching into them is counted whole (`counted_from`/`counted_to` say so) and a week reaching
    into them is not counted (None); the days after come from the bookings. The same person is
    the same key in both, so nobody counts twice in a month that has both.
    """
    kept_through: date | None = await session.scalar(select(KeptThrough.day))
    counted = []
    for n, bucket in enumerate(figures):
        if granularity == "week" and kept_through is not None and bucket.first <= kept_through:
            continue
        bucket.counted_from, bucket.counted_to = rules.counted_period(bucket.first, bucket.last, kept_through)
        bucket.people = bucket.new_people = 0
        counted.append(n)
    if not counted or not location_ids:
        return
    shown = [figures[n] for n in counted]
    buckets = _buckets_table(
        [TrendFigures(f.counted_from or f.first, f.counted_to or f.last) for f in shown], granularity
    )
    parts: list[Select[Any]] = []
    if kept_through is not None and any((f.counted_from or f.first) <= kept_through for f in shown):
        kept = (
            select(
                buckets.c.n,
                PersonMonth.key.label("person"),
                case((PersonMonth.first_month == PersonMonth.month, 1), else_=0).label("new"),
            )
            .join(buckets, buckets.c.first == PersonMonth.month)
            .where(PersonMonth.location_id.in_(location_ids), PersonMonth.month <= kept_through)
        )
        if factor is not None:
            kept = kept.where(PersonMonth.factor == factor)
        parts.append(kept)
    live_first = min((f.counted_from or f.first) for f in shown)
    if kept_through is not None:
        live_first = max(live_first, kept_through + timedelta(days=1))
    live_last = max((f.counted_to or f.last) for f in shown)
    if live_first <= live_last:
        visits, firsts, first_day = live_visits(live_first, live_last, location_ids)
        # Who came in which month or week first (a few rows per person), then each of them
        # with their first visit: joined the other way round, the planner matched every visit
        # with every person (EXPLAIN ANALYZE: 18.8 million rows filtered for 63,000 visits).
        came = (
            select(buckets.c.n.label("n"), visits.c.user_id.label("user_id"))
            .join(
                buckets,
                and_(
                    bucket_key(visits.c.day, granularity) == buckets.c.key,
                    visits.c.day >= buckets.c.first_text,
                    visits.c.day <= buckets.c.last_text,
                ),
            )
            .where(*([visits.c.factor == factor] if factor is not None else []))
            .distinct()
            .subquery("came")
        )
        live = (
            select(
                came.c.n,
                func.coalesce(PersonKey.key, -came.c.user_id).label("person"),
                case(
                    (and_(first_day >= buckets.c.first_text, first_day <= buckets.c.last_text), 1), else_=0
                ).label("new"),
            )
            .select_from(came)
            .join(buckets, buckets.c.n == came.c.n)
            .join(firsts, firsts.c.user_id == came.c.user_id)
            .outerjoin(PersonFirstVisit, PersonFirstVisit.user_id == came.c.user_id)
            .outerjoin(PersonKey, PersonKey.user_id == came.c.user_id)
        )
        parts.append(live)
    if not parts:
        return
    seen = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("seen")
    statement = select(
        seen.c.n,
        func.count(seen.c.person.distinct()),
        func.count(case((seen.c.new == 1, seen.c.person)).distinct()),
    ).group_by(seen.c.n)
    for n, people, new in await session.execute(statement):
        shown[int(n)].people = int(people or 0)
        shown[int(n)].new_people = int(new or 0)
