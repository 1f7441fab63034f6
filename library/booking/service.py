"""Booking operations: create, cancel, approve, reject, check in; each one transaction.

Controllers call these; the rules live in booking.rules and booking.availability, the
no-overlap guarantee in the database. A lost race surfaces as `SlotTaken`, never as a crash.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from library.accounts import people
from library.accounts.models import User
from library.accounts.service import normalise_email
from library.audit.log import Entry, entry_insert_about, entry_values, record, record_now, snapshot
from library.booking.alternatives import Alternative, choose_alternatives, fitting_starts, nearest_times
from library.booking.availability import Occupation, free_per_unit, free_units
from library.booking.catalogue import current_catalogue
from library.booking.conflicts import is_lost_race, is_overlap_violation
from library.booking.holds import offer_freed
from library.booking.intervals import Interval
from library.booking.models import Booking, BookingPurpose, BookingSeries, BookingStatus
from library.booking.queries import (
    LocationHours,
    load_circumstances,
    load_location_hours,
    load_occupations,
    load_resource_facts,
)
from library.booking.rules import (
    CHECK_IN_UNDO,
    SERIES_REACH,
    Refusal,
    ResourceFacts,
    cancel_deadline,
    check_booking,
    checkin_window,
    is_no_show,
    may_become,
    may_move,
    may_undo_check_in,
    occupied_span,
    override_out_of_bounds,
    statuses_before,
    usage_without,
)
from library.booking.series import Repeat, occurrences
from library.catalog.hours import local_instant
from library.catalog.models import Location, Resource
from library.db import Database, dialect_of, table_of
from library.errors import Conflict, InvalidInput, NotAllowed, NotFound
from library.i18n import N_
from library.outbox.queue import enqueue, enqueue_now, message_insert_about, message_values, receives_mail

T = TypeVar("T")

AUDITED_FIELDS = ("status", "start_at", "end_at", "unit_id", "user_id", "status_reason")
BOOKED_COLUMNS = (
    "unit_id",
    "resource_id",
    "user_id",
    "purpose",
    "start_at",
    "end_at",
    "occupied_start",
    "occupied_end",
    "status",
    "series_id",
    "note",
    "participants",
    "override_reason",
    "created_by_id",
    "created_at",
    "updated_at",
)
"""What a new booking's INSERT sets, each bound by its name; the rest is empty until it changes."""
BOOKING_INSERT = (
    insert(table_of(Booking))
    .values({name: bindparam(name, type_=table_of(Booking).c[name].type) for name in BOOKED_COLUMNS})
    .returning(Booking.id)
)


def _booking_recorded(*, mailed: bool) -> Select[int]:
    """PostgreSQL: the booking, its audit entry and (if `mailed`) its mail in one statement, a
    data-modifying WITH; two round trips fewer than three INSERTs. Built once per kind."""
    booking = BOOKING_INSERT.cte("booking")
    statement = select(booking.c.id).add_cte(entry_insert_about(booking.c.id, booking).cte("entry"))
    if mailed:
        statement = statement.add_cte(
            message_insert_about("booking_id", booking.c.id, booking).cte("message")
        )
    return statement


BOOKING_RECORDED = {mailed: _booking_recorded(mailed=mailed) for mailed in (False, True)}
MAX_ATTEMPTS = 4


class SlotTaken(Exception):
    """Every unit of the resource is occupied at that time (or was taken a moment ago)."""

    def __init__(self, interval: Interval) -> None:
        super().__init__("slot_taken")
        self.interval = interval


class RuleBroken(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


@dataclass(frozen=True)
class Booked:
    booking: Booking
    unit_label: str


@dataclass(frozen=True)
class NewBooking:
    resource_slug: str
    start: datetime
    end: datetime
    note: str = ""
    participants: int | None = None
    override_reason: str | None = None
    purpose: BookingPurpose = BookingPurpose.VISITOR
    series_id: int | None = None
    unit_id: int | None = None  # a unit asked for (the desk's grid); otherwise the first free one


def week_of(day: date, hours: LocationHours) -> Interval:
    monday = day - timedelta(days=day.weekday())
    return Interval(
        local_instant(monday, time(0), hours.zone),
        local_instant(monday + timedelta(days=7), time(0), hours.zone),
    )


def day_of(day: date, hours: LocationHours) -> Interval:
    return Interval(
        local_instant(day, time(0), hours.zone), local_instant(day + timedelta(days=1), time(0), hours.zone)
    )


def free_per_unit_between(
    resource: ResourceFacts,
    hours: LocationHours,
    first: date,
    last: date,
    occupations: Iterable[Occupation],
    now: datetime,
) -> list[tuple[date, list[list[Interval]]]]:
    """Each day's free intervals per unit of a resource, from `first` to `last` in its location's hours."""
    return free_per_unit(
        hours.days(first, last),
        hours.zone,
        resource.policy,
        needs_staff=resource.needs_staff,
        unit_ids=resource.unit_ids,
        occupations=occupations,
        now=now,
    )


async def lock_person(session: AsyncSession, user_id: int) -> None:
    """Serialise one person's bookings so quotas hold under concurrent requests (PostgreSQL).

    SQLite needs nothing here: its write transactions already run one at a time. A booking
    takes the same lock in its first statement (`current_catalogue(locking_person=...)`).
    """
    if dialect_of(session) == "postgresql":
        await session.execute(select(User.id).where(User.id == user_id).with_for_update())


ALL_DAYS = (date.min, date.max)


def days_around(interval: Interval) -> tuple[date, date]:
    """The local dates an interval can touch, in any time zone."""
    return interval.start.date() - timedelta(days=1), interval.end.date() + timedelta(days=1)


async def resource_facts(
    session: AsyncSession, which: ColumnElement[bool], days: tuple[date, date] = ALL_DAYS
) -> tuple[ResourceFacts, LocationHours]:
    """One resource's rules and its location's hours on those days, or `NotFound`."""
    location = await session.scalar(
        select(Location)
        .join(Resource, Resource.location_id == Location.id)
        .where(which)
        .options(joinedload(Location.policy))
    )
    if location is None:
        raise NotFound(N_("The offer"))
    hours = await load_location_hours(session, location, *days)
    facts = await load_resource_facts(session, hours.base_policy, which)
    return facts[0], hours


async def book_within(
    session: AsyncSession,
    request: NewBooking,
    *,
    booker: User,
    actor: User,
    now: datetime,
) -> Booking:
    """Check the rules and book inside the caller's write transaction (see create_booking)."""
    return (await _book(session, request, booker=booker, actor=actor, now=now)).booking


async def _book(
    session: AsyncSession,
    request: NewBooking,
    *,
    booker: User,
    actor: User,
    now: datetime,
) -> Booked:
    """With the catalogue cached: the counter (locking the person), what decides the booking
    (certifications, usage, occupations), then the booking with its audit entry and its mail:
    three statements on PostgreSQL, five on SQLite (the entry and the mail sent with the COMMIT).

    The booking returned is not in the session (it was written by a plain INSERT): it holds
    every column's value, but loads no relationship."""
    overriding = request.override_reason is not None or request.purpose is not BookingPurpose.VISITOR
    if overriding and (field := override_out_of_bounds(request.start, request.end, now)):
        raise InvalidInput("override_out_of_bounds", field)
    catalogue = await current_catalogue(session, locking_person=booker.id)
    place = await catalogue.location_of(session, request.resource_slug)
    resource, hours = place.resource(request.resource_slug), place.hours
    interval = Interval(request.start.astimezone(UTC), request.end.astimezone(UTC))
    local_day = request.start.astimezone(hours.zone).date()
    by_the_rules = request.override_reason is None and request.purpose is BookingPurpose.VISITOR
    if not by_the_rules and (not resource.active or not resource.unit_ids):
        raise RuleBroken(Refusal("resource_unavailable"))
    occupied = occupied_span(interval, resource.policy)
    found = await load_circumstances(
        session,
        booker,
        [resource.id],
        occupied,
        now=now,
        week=week_of(local_day, hours),
        day=day_of(local_day, hours),
    )
    if by_the_rules:
        refusal = check_booking(
            interval, resource, hours.day(local_day), hours.zone, now, found.booker, found.usage[resource.id]
        )
        if refusal is not None:
            raise RuleBroken(refusal)
    units, blocked_only = free_units(resource, found.occupations, interval)
    if request.unit_id is not None:
        if request.unit_id not in resource.unit_ids:
            raise InvalidInput("unit_not_of_resource", "unit")
        units = [u for u in units if u == request.unit_id]
        blocked_only = blocked_only or not _busy_with_bookings(found.occupations, request.unit_id)
    if not units:
        if blocked_only:
            raise RuleBroken(Refusal("unit_blocked"))
        raise SlotTaken(interval)
    pending = (
        resource.requires_approval and request.purpose is BookingPurpose.VISITOR and not actor.role.is_staff
    )
    values = {
        "unit_id": units[0],
        "resource_id": resource.id,
        "user_id": booker.id if request.purpose is BookingPurpose.VISITOR else None,
        "purpose": request.purpose,
        "start_at": interval.start,
        "end_at": interval.end,
        "occupied_start": occupied.start,
        "occupied_end": occupied.end,
        "status": BookingStatus.PENDING if pending else BookingStatus.CONFIRMED,
        "series_id": request.series_id,
        "note": request.note,
        "participants": request.participants,
        "override_reason": request.override_reason,
        "created_by_id": actor.id,
        "created_at": now,
        "updated_at": now,
    }
    # Plain INSERTs, not ORM objects: a third of a booking's CPU was the unit of work. What the
    # caller added to the session before goes first, as a flush would have sent it.
    if session.new or session.dirty or session.deleted:
        await session.flush()
    connection = await session.connection()
    booking = Booking(checked_in_at=None, cancelled_at=None, status_reason=None, **values)
    after = snapshot(booking, AUDITED_FIELDS)
    mailed = booking.user_id is not None and request.series_id is None and receives_mail(booker)
    kind = f"booking.{booking.status.value}"
    entry = Entry(
        actor.id,
        action="booking.create",
        object_type="booking",
        at=now,
        after=after,
        reason=request.override_reason,
    )
    # The database's overlap guarantee speaks here.
    if dialect_of(session) == "postgresql":
        bound = values | entry_values(entry)
        if mailed:
            bound |= message_values(kind=kind, user=booker, now=now)
        booking.id = (await connection.execute(BOOKING_RECORDED[mailed], bound)).scalar_one()
    else:  # SQLite writes no rows in a WITH; the entry and the mail travel with the COMMIT
        booking.id = (await connection.execute(BOOKING_INSERT, values)).scalar_one()
        await record_now(session, entry, object_id=booking.id)
        if mailed:
            await enqueue_now(session, kind=kind, user=booker, payload={"booking_id": booking.id}, now=now)
    return Booked(booking, place.unit_labels.get(booking.unit_id, ""))


@dataclass(frozen=True)
class Skipped:
    interval: Interval
    code: str


class SeriesRefused(Exception):
    """Some occurrences cannot be booked, and the series was to be all or nothing."""

    def __init__(self, skipped: list[Skipped]) -> None:
        super().__init__("series_conflicts")
        self.skipped = skipped


@dataclass(frozen=True)
class SeriesOutcome:
    series_id: int
    bookings: list[Booking]
    skipped: list[Skipped]


async def create_series(
    db: Database,
    request: NewBooking,
    repeat: Repeat,
    *,
    skip_conflicts: bool,
    booker: User,
    actor: User,
    now: datetime,
) -> SeriesOutcome:
    """Book every occurrence in one transaction: all or nothing, or skipping what cannot be had.

    Each occurrence is tried under a savepoint, so a refused one leaves the others intact.
    """
    return await retrying_lost_races(
        db,
        lambda session: _book_series(
            session,
            request,
            repeat,
            skip_conflicts=skip_conflicts,
            booker=booker,
            actor=actor,
            now=now,
        ),
        lost=lambda: SeriesRefused([Skipped(Interval(request.start, request.end), "slot_taken")]),
    )


async def _book_series(
    session: AsyncSession,
    request: NewBooking,
    repeat: Repeat,
    *,
    skip_conflicts: bool,
    booker: User,
    actor: User,
    now: datetime,
) -> SeriesOutcome:
    resource, hours = await resource_facts(session, Resource.slug == request.resource_slug)
    first = Interval(request.start.astimezone(UTC), request.end.astimezone(UTC))
    dates = occurrences(first, repeat, hours.zone)
    if dates[-1].end > now + SERIES_REACH:
        raise InvalidInput("series_out_of_bounds", "repeat")
    series = BookingSeries(user_id=booker.id, resource_id=resource.id, rule=repeat.as_rule(), created_at=now)
    session.add(series)
    await session.flush()
    booked: list[Booking] = []
    skipped: list[Skipped] = []
    for occurrence in dates:
        one = replace(request, start=occurrence.start, end=occurrence.end, series_id=series.id)
        try:
            async with session.begin_nested():
                booked.append(await book_within(session, one, booker=booker, actor=actor, now=now))
        except RuleBroken as refused:
            skipped.append(Skipped(occurrence, refused.refusal.code))
        except SlotTaken:
            skipped.append(Skipped(occurrence, "slot_taken"))
        except IntegrityError as error:  # a deadlock ends the whole try: create_series retries it
            if not is_overlap_violation(error):
                raise
            skipped.append(Skipped(occurrence, "slot_taken"))
    if not booked or (skipped and not skip_conflicts):
        raise SeriesRefused(skipped)
    enqueue(
        session,
        kind="booking.series",
        user=booker,
        payload={"series_id": series.id, "booking_ids": [b.id for b in booked]},
        now=now,
    )
    return SeriesOutcome(series.id, booked, skipped)


async def retrying_lost_races(
    db: Database,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    lost: Callable[[], Exception],
    short: bool = False,
) -> T:
    """Run `work` in a write transaction (`short`: see `Database.write`), again with fresh facts
    when it lost a race (`conflicts.is_lost_race`): on PostgreSQL two requests may pick the same
    unit, and only one insert wins."""
    for _ in range(MAX_ATTEMPTS):
        try:
            async with db.write(short=short) as session:
                return await work(session)
        except DBAPIError as error:
            if not is_lost_race(error):
                raise
    raise lost()


async def create_booking(
    db: Database,
    request: NewBooking,
    *,
    booker: User,
    actor: User,
    now: datetime,
) -> Booked:
    """Book a free unit; a lost race is retried and then picks the next free unit. A refusal
    for age binds the booker's birth date (see accounts.people)."""
    try:
        return await retrying_lost_races(
            db,
            lambda session: _book(session, request, booker=booker, actor=actor, now=now),
            lost=lambda: SlotTaken(Interval(request.start, request.end)),
            short=True,  # five indexed statements
        )
    except RuleBroken as refused:
        if refused.refusal.judged_age:
            await people.bind_birth_date_after_refusal(db, booker.id, now)
        raise


async def booker_for(db: Database, actor: User, email: str | None, *, field: str = "for_user") -> User:
    """Who a booking is for: the actor, or (staff only) the person with that e-mail address or
    library card number (an account made at the desk may have no address)."""
    if email is None:
        return actor
    if not actor.role.is_staff:
        raise NotAllowed("forbidden")
    async with db.read() as session:
        wanted = (
            User.email == normalise_email(email)
            if "@" in email
            else User.library_card == email.strip().upper()
        )
        booker = await session.scalar(select(User).where(wanted, User.deleted_at.is_(None)))
    if booker is None:
        raise InvalidInput("unknown_user", field)
    return booker


async def find_alternatives(
    db: Database, *, booker: User, resource_slug: str, wanted: Interval, now: datetime, days_ahead: int = 7
) -> list[Alternative]:
    """Alternatives to a taken slot that this person could book right now: two statements with
    the catalogue cached (the counter; certifications, usage and occupations)."""
    async with db.read() as session:
        place = await (await current_catalogue(session)).location_of(session, resource_slug)
        resource, hours = place.resource(resource_slug), place.hours
        similar = [r for r in place.resources if r.kind == resource.kind and r.active and r.id != resource.id]
        first = wanted.start.astimezone(hours.zone).date()
        last = first + timedelta(days=days_ahead)
        window = Interval(day_of(first, hours).start, day_of(last, hours).end)
        everyone = [resource, *similar]
        found = await load_circumstances(
            session,
            booker,
            [r.id for r in everyone],
            window,
            now=now,
            week=week_of(first, hours),
            day=day_of(first, hours),
        )
    occupations, booker_facts, usage = found.occupations, found.booker, found.usage
    by_slug = {r.slug: r for r in everyone}

    def free_intervals(facts: ResourceFacts, last_day: date) -> list[Interval]:
        """Each unit's free intervals, so that whatever fits one fits a single unit."""
        per_day = free_per_unit_between(facts, hours, first, last_day, occupations, now)
        return [interval for _, per_unit in per_day for intervals in per_unit for interval in intervals]

    def bookable(slug: str, interval: Interval) -> bool:
        facts = by_slug[slug]
        day = hours.day(interval.start.astimezone(hours.zone).date())
        return check_booking(interval, facts, day, hours.zone, now, booker_facts, usage[facts.id]) is None

    duration = wanted.end - wanted.start
    times = nearest_times(
        wanted,
        fitting_starts(free_intervals(resource, last), duration, hours.zone, resource.policy.slot_minutes),
        hours.zone,
    )
    free_then = [r.slug for r in similar if any(i.contains(wanted) for i in free_intervals(r, first))]
    return choose_alternatives(wanted, times, free_then, bookable, resource.slug)


async def get_booking(
    session: AsyncSession, booking_id: int, viewer: User, *, for_update: bool = False
) -> Booking:
    """A booking the viewer may see: their own, or any for staff. Others' are 'not found'."""
    statement = (
        select(Booking)
        .where(Booking.id == booking_id)
        .options(joinedload(Booking.resource), joinedload(Booking.unit), joinedload(Booking.user))
    )
    if for_update and dialect_of(session) == "postgresql":
        statement = statement.with_for_update(of=Booking)
    booking = await session.scalar(statement)
    if booking is None or (booking.user_id != viewer.id and not viewer.role.is_staff):
        raise NotFound(N_("The booking %(id)s"), id=booking_id)
    return booking


def _change_status(
    session: AsyncSession,
    booking: Booking,
    status: BookingStatus,
    *,
    actor: User | None,
    now: datetime,
    reason: str | None,
    notify: bool = True,
) -> None:
    before = snapshot(booking, AUDITED_FIELDS)
    booking.status = status
    booking.updated_at = now
    if reason is not None:
        booking.status_reason = reason
    if status is BookingStatus.CANCELLED:
        booking.cancelled_at = now
    record(
        session,
        actor_id=actor.id if actor else None,
        action=f"booking.{status.value}",
        object_type="booking",
        object_id=booking.id,
        at=now,
        before=before,
        after=snapshot(booking, AUDITED_FIELDS),
        reason=reason,
    )
    if notify and booking.user is not None:
        enqueue(
            session,
            kind=f"booking.{status.value}",
            user=booking.user,
            payload={"booking_id": booking.id, "reason": reason},
            now=now,
        )


async def cancel_booking(
    db: Database,
    booking_id: int,
    *,
    actor: User,
    now: datetime,
    reason: str | None,
    following: bool = False,
) -> Booking:
    """Cancel a booking, or with `following` also the later occurrences of its series."""
    async with db.write() as session:
        booking = await get_booking(session, booking_id, actor, for_update=True)
        _not_a_loan(booking)
        if booking.purpose is BookingPurpose.HOLD or not may_become(booking.status, BookingStatus.CANCELLED):
            raise Conflict("invalid_state", status=booking.status.value)  # an offer is declined as a hold
        await _ensure_in_time(session, [booking], actor=actor, now=now)
        targets = [booking]
        if following and booking.series_id is not None:
            later = await session.scalars(
                select(Booking)
                .where(
                    Booking.series_id == booking.series_id,
                    Booking.start_at > booking.start_at,
                    Booking.status.in_(statuses_before(BookingStatus.CANCELLED)),
                )
                .options(selectinload(Booking.user))
                .order_by(Booking.start_at)
            )
            targets.extend(later)
        for target in targets:
            cancel_within(session, target, actor=actor, now=now, reason=reason)
        await session.flush()
        await offer_freed(session, booking.resource_id, now)  # the freed time, to whoever waits for it
    return booking


async def _ensure_in_time(
    session: AsyncSession, bookings: list[Booking], *, actor: User, now: datetime
) -> None:
    """A visitor cancels only before each booking's cut-off; staff at any time (one rule for
    a single booking and a series)."""
    if actor.role.is_staff or not bookings:
        return
    catalogue = await current_catalogue(session)
    facts = await catalogue.resource_by_id(session, bookings[0].resource_id)
    if any(now > cancel_deadline(b.start_at, facts.policy) for b in bookings):
        raise NotAllowed("cancel_too_late", minutes=facts.policy.cancel_until_minutes)


async def cancel_series(
    db: Database,
    series_id: int,
    *,
    actor: User,
    now: datetime,
    start_from: datetime | None = None,
    reason: str | None = None,
) -> list[int]:
    """Cancel a series' occurrences that start at or after `start_from` (default now), all in one
    transaction: each as cancel_booking would (audited, the owner told when staff cancel), and
    none if a visitor has passed the cut-off of one of them. Returns the cancelled ids."""
    start_from = start_from or now
    async with db.write() as session:
        series = await session.get(BookingSeries, series_id)
        if series is None or (series.user_id != actor.id and not actor.role.is_staff):
            raise NotFound(N_("The booking series %(id)s"), id=series_id)
        statement = (
            select(Booking)
            .where(
                Booking.series_id == series_id,
                Booking.start_at >= start_from,
                Booking.status.in_(statuses_before(BookingStatus.CANCELLED)),
            )
            .options(selectinload(Booking.user))
            .order_by(Booking.start_at, Booking.id)
        )
        if dialect_of(session) == "postgresql":
            statement = statement.with_for_update(of=Booking)
        targets = list(await session.scalars(statement))
        await _ensure_in_time(session, targets, actor=actor, now=now)
        for target in targets:
            cancel_within(session, target, actor=actor, now=now, reason=reason)
        if targets:
            await session.flush()
            await offer_freed(session, targets[0].resource_id, now)
    return [t.id for t in targets]


def cancel_within(
    session: AsyncSession,
    booking: Booking,
    *,
    actor: User,
    now: datetime,
    reason: str | None,
    tell_owner: bool = True,
) -> None:
    """Cancel a booking inside the caller's write transaction, without the checks of cancel_booking.

    The owner cancelling needs no mail about it; a cancellation by staff does, unless the caller
    tells the people concerned itself (`tell_owner=False`, a cancelled workshop session's room).
    """
    _change_status(
        session,
        booking,
        BookingStatus.CANCELLED,
        actor=actor,
        now=now,
        reason=reason,
        notify=tell_owner and booking.user_id != actor.id,
    )


async def decide_booking(
    db: Database,
    booking_id: int,
    *,
    approve: bool,
    actor: User,
    now: datetime,
    reason: str | None,
) -> Booking:
    async with db.write() as session:
        booking = await get_booking(session, booking_id, actor, for_update=True)
        _not_a_loan(booking)
        status = BookingStatus.CONFIRMED if approve else BookingStatus.REJECTED
        if booking.purpose is BookingPurpose.HOLD or not may_become(booking.status, status):
            raise Conflict("invalid_state", status=booking.status.value)
        _change_status(session, booking, status, actor=actor, now=now, reason=reason)
    return booking


async def check_in(db: Database, booking_id: int, *, actor: User, now: datetime) -> Booking:
    async with db.write() as session:
        booking = await get_booking(session, booking_id, actor, for_update=True)
        _not_a_loan(booking)
        if not may_become(booking.status, BookingStatus.CHECKED_IN):
            raise Conflict("invalid_state", status=booking.status.value)
        facts = await (await current_catalogue(session)).resource_by_id(session, booking.resource_id)
        window = checkin_window(Interval(booking.start_at, booking.end_at), facts.policy)
        if not actor.role.is_staff and not window.is_open(now):
            raise Conflict("checkin_window", opens=window.opens, closes=window.closes)
        before = snapshot(booking, AUDITED_FIELDS)
        booking.status = BookingStatus.CHECKED_IN
        booking.checked_in_at = now
        booking.updated_at = now
        record(
            session,
            actor_id=actor.id,
            action="booking.check_in",
            object_type="booking",
            object_id=booking.id,
            at=now,
            before=before,
            after=snapshot(booking, AUDITED_FIELDS),
        )
    return booking


async def release_no_shows(db: Database, *, now: datetime) -> int:
    """Bookings not checked in within their window become no-shows; their time is free again.

    Safe to run twice and from several processes: each row is re-checked under its lock.
    """
    async with db.write() as session:
        candidates = await session.execute(
            select(Booking, Resource)
            .join(Resource, Resource.id == Booking.resource_id)
            .where(
                Booking.status.in_(statuses_before(BookingStatus.NO_SHOW)),
                Booking.purpose == BookingPurpose.VISITOR,
                Booking.start_at <= now,
            )
            .options(selectinload(Booking.user))
            .with_for_update(skip_locked=True, of=Booking)
        )
        released = 0
        catalogue = await current_catalogue(session)
        for booking, resource in candidates:
            facts = await catalogue.resource_by_id(session, resource.id)
            if is_no_show(booking.start_at, facts.policy, now):
                _change_status(
                    session,
                    booking,
                    BookingStatus.NO_SHOW,
                    actor=None,
                    now=now,
                    reason=None,
                )
                released += 1
    return released


async def complete_bookings(db: Database, *, now: datetime) -> int:
    """Checked-in bookings whose held time is over become completed: one UPDATE for all of them,
    with an audit entry each, as for every scheduled status change.

    Over means past the buffer too, so the unit stays held through its cool-down (a completed
    booking no longer occupies it). Safe to run twice and from several processes: a completed
    row no longer matches, and on PostgreSQL a concurrent run waits for the row's lock and then
    finds it changed.
    """
    (before,) = statuses_before(BookingStatus.COMPLETED)
    async with db.write() as session:
        completed = (
            await session.execute(
                update(Booking)
                # A loan's row completes when the thing comes back (booking.loans), not at its due day.
                .where(
                    Booking.status == before,
                    Booking.occupied_end <= now,
                    Booking.purpose != BookingPurpose.LOAN,
                )
                .values(status=BookingStatus.COMPLETED, updated_at=now)
                .returning(Booking.id, *(getattr(Booking, name) for name in AUDITED_FIELDS))
            )
        ).all()
        for row in completed:
            after = snapshot(row, AUDITED_FIELDS)
            record(
                session,
                actor_id=None,
                action=f"booking.{BookingStatus.COMPLETED.value}",
                object_type="booking",
                object_id=row.id,
                at=now,
                before={**after, "status": before.value},
                after=after,
            )
    return len(completed)


@dataclass(frozen=True)
class Move:
    """What a move changes; what is None stays as it is. Staff give a reason, owners change the time."""

    start: datetime | None = None
    end: datetime | None = None
    resource_slug: str | None = None
    unit_id: int | None = None
    reason: str | None = None


async def move_booking(db: Database, booking_id: int, move: Move, *, actor: User, now: datetime) -> Booking:
    """Move a booking to another time, unit or resource; the database refuses an overlap as it
    does for a new booking, and a lost race is tried again with fresh facts, then `SlotTaken`."""
    wanted: list[Interval] = []
    booking = await retrying_lost_races(
        db,
        lambda session: _move(session, booking_id, move, actor=actor, now=now, wanted=wanted),
        lost=lambda: SlotTaken(wanted[-1]),
    )
    async with db.read() as session:
        return await get_booking(session, booking.id, actor)


async def _move(
    session: AsyncSession,
    booking_id: int,
    move: Move,
    *,
    actor: User,
    now: datetime,
    wanted: list[Interval],
) -> Booking:
    staff = actor.role.is_staff
    booking = await get_booking(session, booking_id, actor, for_update=True)
    if not staff and (move.resource_slug is not None or move.unit_id is not None):
        raise NotAllowed("move_not_yours")
    if staff and not (move.reason or "").strip():
        raise InvalidInput("reason_required", "reason")
    if booking.purpose is not BookingPurpose.VISITOR or not may_move(booking.status):
        raise Conflict("invalid_state", status=booking.status.value)
    owner = booking.user if booking.user is not None else actor
    catalogue = await current_catalogue(session, locking_person=None if staff else owner.id)
    slug = move.resource_slug or booking.resource.slug
    place = await catalogue.location_of(session, slug)
    resource, hours = place.resource(slug), place.hours
    interval = Interval(
        (move.start or booking.start_at).astimezone(UTC), (move.end or booking.end_at).astimezone(UTC)
    )
    wanted.append(interval)
    if interval.end <= interval.start:
        raise InvalidInput("end_before_start", "end")
    if move.unit_id is not None and move.unit_id not in resource.unit_ids:
        raise InvalidInput("unit_not_of_resource", "unit")
    occupied = occupied_span(interval, resource.policy)
    if staff:
        if field := override_out_of_bounds(interval.start, interval.end, now):
            raise InvalidInput("override_out_of_bounds", field)
        occupations = await load_occupations(
            session, [resource.id], occupied.start, occupied.end, exclude_booking_id=booking.id
        )
    else:
        if now > cancel_deadline(booking.start_at, resource.policy):
            raise NotAllowed("move_too_late", minutes=resource.policy.cancel_until_minutes)
        local_day = interval.start.astimezone(hours.zone).date()
        week, day = week_of(local_day, hours), day_of(local_day, hours)
        found = await load_circumstances(
            session,
            owner,
            [resource.id],
            occupied,
            now=now,
            week=week,
            day=day,
            exclude_booking_id=booking.id,
        )
        usage = usage_without(
            found.usage[resource.id], Interval(booking.start_at, booking.end_at), now, week, day
        )
        refusal = check_booking(
            interval, resource, hours.day(local_day), hours.zone, now, found.booker, usage
        )
        if refusal is not None:
            raise RuleBroken(refusal)
        occupations = found.occupations
    units, blocked_only = free_units(resource, occupations, interval)
    if move.unit_id is not None:
        units = [u for u in units if u == move.unit_id]
    if not units:
        if blocked_only or (move.unit_id is not None and not _busy_with_bookings(occupations, move.unit_id)):
            raise RuleBroken(Refusal("unit_blocked"))
        raise SlotTaken(interval)
    move_within(
        session,
        booking,
        booking.unit_id if booking.unit_id in units else units[0],
        resource_id=resource.id,
        interval=interval,
        occupied=occupied,
        actor=actor,
        now=now,
        reason=move.reason if staff else None,
    )
    await session.flush()  # the database's overlap guarantee speaks here, as for a new booking
    return booking


def move_within(
    session: AsyncSession,
    booking: Booking,
    unit_id: int,
    *,
    resource_id: int | None = None,
    interval: Interval | None = None,
    occupied: Interval | None = None,
    actor: User,
    now: datetime,
    reason: str | None,
) -> None:
    """Put a booking on another unit (and time) inside the caller's transaction, audited, and
    tell the person by mail; the caller flushes, so the database's overlap guarantee answers."""
    before = snapshot(booking, AUDITED_FIELDS)
    booking.unit_id = unit_id
    if resource_id is not None:
        booking.resource_id = resource_id
    if interval is not None and occupied is not None:
        booking.start_at, booking.end_at = interval.start, interval.end
        booking.occupied_start, booking.occupied_end = occupied.start, occupied.end
    booking.updated_at = now
    record(
        session,
        actor_id=actor.id,
        action="booking.move",
        object_type="booking",
        object_id=booking.id,
        at=now,
        before=before,
        after=snapshot(booking, AUDITED_FIELDS),
        reason=reason,
    )
    if booking.user is not None:
        enqueue(
            session,
            kind="booking.moved",
            user=booking.user,
            payload={"booking_id": booking.id, "reason": reason},
            now=now,
        )


def _not_a_loan(booking: Booking) -> None:
    """A loan's row changes with its loan (booking.loans), never by the booking lifecycle."""
    if booking.purpose is BookingPurpose.LOAN:
        raise Conflict("invalid_state", status=booking.status.value)


def _busy_with_bookings(occupations: list[Occupation], unit_id: int) -> bool:
    return any(o.unit_id == unit_id and not o.is_block for o in occupations)


async def undo_check_in(db: Database, booking_id: int, *, actor: User, now: datetime) -> Booking:
    """Take a check-in back within ten minutes (rules.CHECK_IN_UNDO): the booking is confirmed again."""
    async with db.write() as session:
        booking = await get_booking(session, booking_id, actor, for_update=True)
        _not_a_loan(booking)
        if booking.status is not BookingStatus.CHECKED_IN:
            raise Conflict("invalid_state", status=booking.status.value)
        if not may_undo_check_in(booking.status, booking.checked_in_at, now):
            raise Conflict("undo_too_late", minutes=int(CHECK_IN_UNDO.total_seconds() // 60))
        before = snapshot(booking, AUDITED_FIELDS)
        booking.status = BookingStatus.CONFIRMED
        booking.checked_in_at = None
        booking.updated_at = now
        record(
            session,
            actor_id=actor.id,
            action="booking.undo_check_in",
            object_type="booking",
            object_id=booking.id,
            at=now,
            before=before,
            after=snapshot(booking, AUDITED_FIELDS),
        )
    return booking
