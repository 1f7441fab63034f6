"""Loans: reserve a thing to take home, hand it out at the desk, take it back, renew it; each one
transaction, plus the scheduler's reminders.

A loan's unit is held by a booking row (purpose `loan`) from the start of the pickup day to the
end of the due day, so the database's overlap guarantee keeps loans and bookings of one unit
apart as it does bookings; a lost race surfaces as `SlotTaken`. The rules are
`booking.lending`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.interfaces import LoaderOption

from library.accounts.models import User
from library.audit.log import record, snapshot
from library.booking.availability import free_units
from library.booking.catalogue import current_catalogue
from library.booking.conflicts import is_lost_race
from library.booking.holds import offer_freed
from library.booking.intervals import Interval
from library.booking.lending import (
    LAST_REMINDER,
    REMINDER_KINDS,
    check_loan,
    check_loan_dates,
    check_renewal,
    default_due,
    loan_span,
    reminder_due,
    renewed_due,
    unknown_parts,
)
from library.booking.models import LOAN_BOOKING_STATUS, Booking, BookingPurpose, Loan, LoanStatus
from library.booking.queries import Circumstances, LocationHours, load_circumstances, load_occupations
from library.booking.rules import Refusal, ResourceFacts
from library.booking.service import RuleBroken, SlotTaken, day_of, retrying_lost_races, week_of
from library.catalog.hours import local_instant
from library.catalog.models import Location, Resource, Unit, UnitCondition
from library.db import Database, dialect_of
from library.errors import Conflict, InvalidInput, NotAllowed, NotFound
from library.i18n import N_
from library.outbox.queue import enqueue

LOAN_FIELDS = ("status", "pickup", "due", "renewals", "condition", "missing_parts")
BOOKING_FIELDS = ("unit_id", "start_at", "end_at", "status")


@dataclass(frozen=True)
class NewLoan:
    resource_slug: str
    pickup: date
    due: date | None = None


@dataclass(frozen=True)
class Tick:
    """One part of the checklist at checkout: there (ok) or not."""

    item: str
    ok: bool


def _loaded() -> tuple[LoaderOption, ...]:
    return (
        joinedload(Loan.booking).joinedload(Booking.resource).joinedload(Resource.location),
        joinedload(Loan.booking).joinedload(Booking.unit),
        joinedload(Loan.user),
    )


async def get_loan(session: AsyncSession, loan_id: int, viewer: User, *, for_update: bool = False) -> Loan:
    """A loan the viewer may see: their own, or any for staff. Others' are 'not found'."""
    statement = select(Loan).where(Loan.id == loan_id).options(*_loaded())
    if for_update and dialect_of(session) == "postgresql":
        statement = statement.with_for_update(of=Loan)
    loan = await session.scalar(statement)
    if loan is None or (loan.user_id != viewer.id and not viewer.role.is_staff):
        raise NotFound(N_("The loan %(id)s"), id=loan_id)
    return loan


def _audit(
    session: AsyncSession,
    loan: Loan,
    action: str,
    before: dict[str, object],
    *,
    actor: User | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Loans are written to the audit log under their booking row, which names thing and time."""
    record(
        session,
        actor_id=actor.id if actor else None,
        action=action,
        object_type="booking",
        object_id=loan.booking_id,
        at=now,
        before=before,
        after={**snapshot(loan, LOAN_FIELDS), **snapshot(loan.booking, BOOKING_FIELDS)},
        reason=reason,
    )


def _before(loan: Loan) -> dict[str, object]:
    return {**snapshot(loan, LOAN_FIELDS), **snapshot(loan.booking, BOOKING_FIELDS)}


async def reserve_loan(db: Database, request: NewLoan, *, borrower: User, actor: User, now: datetime) -> Loan:
    """Reserve a free unit of a thing for pickup; a lost race picks the next free unit, then
    `SlotTaken`."""
    loan_id = await retrying_lost_races(
        db,
        lambda session: _reserve(session, request, borrower=borrower, actor=actor, now=now),
        lost=lambda: SlotTaken(Interval(now, now)),
    )
    async with db.read() as session:
        return await get_loan(session, loan_id, actor)


async def _reserve(
    session: AsyncSession, request: NewLoan, *, borrower: User, actor: User, now: datetime, tell: bool = True
) -> int:
    """Reserve inside the caller's transaction; `tell` mails the reservation (not when the desk
    hands the thing out at once)."""
    catalogue = await current_catalogue(session, locking_person=borrower.id)
    place = await catalogue.location_of(session, request.resource_slug)
    resource, hours = place.resource(request.resource_slug), place.hours
    due, found = await _check_borrower(
        session, resource, hours, borrower, request.pickup, request.due, now=now
    )
    span = loan_span(request.pickup, due, hours.zone)
    units, blocked_only = free_units(resource, found.occupations, span)
    if not units:
        if blocked_only:
            raise RuleBroken(Refusal("unit_blocked"))
        raise SlotTaken(span)
    booking = Booking(
        unit_id=units[0],
        resource_id=resource.id,
        user_id=borrower.id,
        purpose=BookingPurpose.LOAN,
        start_at=span.start,
        end_at=span.end,
        occupied_start=span.start,
        occupied_end=span.end,
        status=LOAN_BOOKING_STATUS[LoanStatus.RESERVED],
        note="",
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(booking)
    await session.flush()  # the database's overlap guarantee speaks here
    return await _lend_on(
        session, booking, request.pickup, due, borrower=borrower, actor=actor, now=now, tell=tell
    )


async def _check_borrower(
    session: AsyncSession,
    resource: ResourceFacts,
    hours: LocationHours,
    borrower: User,
    pickup: date,
    due: date | None,
    *,
    now: datetime,
    own_booking_id: int | None = None,
) -> tuple[date, Circumstances]:
    """The house rules of a loan from `pickup` to `due` (by default as long as the rules allow)
    for the borrower: `RuleBroken` with the first one broken, else the due day and what was
    found (the unit's occupations for the loan's span). `own_booking_id`, a row already held
    for the borrower (an accepted hold's offer), is left out of quotas and occupations."""

    def is_open(day: date) -> bool:
        return not hours.day(day).closed

    today = now.astimezone(hours.zone).date()
    # The dates first, before any arithmetic on them: a year 9999 is refused, not overflowed.
    refusal = check_loan_dates(pickup, due or pickup, resource, is_open, today)
    if refusal is not None:
        raise RuleBroken(refusal)
    due = due or default_due(pickup, resource.policy.loan_days, is_open)
    found = await load_circumstances(
        session,
        borrower,
        [resource.id],
        loan_span(pickup, due, hours.zone),
        now=now,
        week=week_of(pickup, hours),
        day=day_of(pickup, hours),
        exclude_booking_id=own_booking_id,
    )
    refusal = check_loan(
        pickup, due, resource, is_open, today, hours.zone, found.booker, found.usage[resource.id]
    )
    if refusal is not None:
        raise RuleBroken(refusal)
    return due, found


async def _lend_on(
    session: AsyncSession,
    booking: Booking,
    pickup: date,
    due: date,
    *,
    borrower: User,
    actor: User,
    now: datetime,
    tell: bool = True,
) -> int:
    """The loan, reserved for pickup, on the booking row that holds its unit; audited and mailed."""
    loan = Loan(
        booking_id=booking.id,
        user_id=borrower.id,
        pickup=pickup,
        due=due,
        status=LoanStatus.RESERVED,
        renewals=0,
        missing_parts=[],
        checklist=[],
        note="",
        reminder_stage=0,
        created_at=now,
    )
    loan.booking = booking
    session.add(loan)
    await session.flush()
    _audit(session, loan, "loan.reserve", {}, actor=actor, now=now)
    if tell:
        enqueue(session, kind="loan.reserved", user=borrower, payload={"loan_id": loan.id}, now=now)
    return loan.id


async def lend_offered(session: AsyncSession, offer: Booking, *, borrower: User, now: datetime) -> int:
    """An accepted hold on a thing: the offer's row, which holds the unit for the loan's days,
    becomes a loan reserved for pickup, under the house rules of a reservation (`RuleBroken`
    else, and the offer stands). Inside the caller's transaction; returns the loan's id."""
    catalogue = await current_catalogue(session, locking_person=borrower.id)
    resource = await catalogue.resource_by_id(session, offer.resource_id)
    hours = (await catalogue.location_by_id(session, resource.location_id)).hours
    pickup = offer.start_at.astimezone(hours.zone).date()
    due = (offer.end_at - timedelta(microseconds=1)).astimezone(hours.zone).date()
    await _check_borrower(session, resource, hours, borrower, pickup, due, now=now, own_booking_id=offer.id)
    offer.purpose = BookingPurpose.LOAN
    offer.status = LOAN_BOOKING_STATUS[LoanStatus.RESERVED]
    offer.created_by_id = borrower.id
    offer.updated_at = now
    return await _lend_on(session, offer, pickup, due, borrower=borrower, actor=borrower, now=now)


async def _parts_of(session: AsyncSession, resource_id: int) -> list[str]:
    parts = await session.scalar(select(Resource.loan_parts).where(Resource.id == resource_id))
    return [str(part) for part in parts or []]


async def checkout_loan(
    db: Database,
    loan_id: int,
    *,
    unit_id: int | None,
    checklist: Sequence[Tick],
    actor: User,
    now: datetime,
) -> Loan:
    """Hand a reserved thing out at the desk, on the unit given (the one on the counter) or the
    one reserved; handed out before the pickup day, the loan starts today. A unit held by someone
    else then is refused by the database: `SlotTaken`."""
    if not actor.role.is_staff:
        raise NotAllowed("forbidden")
    try:
        async with db.write() as session:
            loan = await get_loan(session, loan_id, actor, for_update=True)
            await _checkout_within(session, loan, unit_id=unit_id, checklist=checklist, actor=actor, now=now)
    except DBAPIError as error:
        if not is_lost_race(error):
            raise
        raise Conflict("slot_taken", "unit") from error
    async with db.read() as session:
        return await get_loan(session, loan_id, actor)


async def _checkout_within(
    session: AsyncSession,
    loan: Loan,
    *,
    unit_id: int | None,
    checklist: Sequence[Tick],
    actor: User,
    now: datetime,
) -> None:
    if loan.status is not LoanStatus.RESERVED:
        raise Conflict("invalid_state", status=loan.status.value)
    booking = loan.booking
    parts = await _parts_of(session, booking.resource_id)
    if unknown_parts([tick.item for tick in checklist], parts):
        raise InvalidInput("unknown_part", "checklist")
    before = _before(loan)
    if unit_id is not None and unit_id != booking.unit_id:
        unit = await session.get(Unit, unit_id)
        if unit is None or unit.resource_id != booking.resource_id:
            raise InvalidInput("unit_not_of_resource", "unit")
        booking.unit_id = unit_id
    catalogue = await current_catalogue(session)
    zone = (await catalogue.location_by_id(session, booking.resource.location_id)).hours.zone
    today = now.astimezone(zone).date()
    if today < loan.pickup:
        loan.pickup = today
        booking.start_at = booking.occupied_start = local_instant(today, time(0), zone)
    booking.status = LOAN_BOOKING_STATUS[LoanStatus.ON_LOAN]
    booking.checked_in_at = now
    booking.updated_at = now
    loan.status = LoanStatus.ON_LOAN
    loan.checked_out_at = now
    loan.checked_out_by_id = actor.id
    loan.checklist = [{"item": tick.item, "ok": tick.ok} for tick in checklist]
    await session.flush()  # the overlap guarantee answers for another unit or an earlier start
    _audit(session, loan, "loan.checkout", before, actor=actor, now=now)


async def return_loan(
    db: Database,
    loan_id: int,
    *,
    condition: UnitCondition,
    missing_parts: Sequence[str],
    note: str,
    actor: User,
    now: datetime,
) -> Loan:
    """Take a thing back: its condition goes on the unit, the missing parts are recorded, and a
    return before the end of the due day frees the unit at once (its booking row ends now).

    Every return goes through here, so what follows a freed unit (offering it to someone
    waiting) has one place to be called from."""
    if not actor.role.is_staff:
        raise NotAllowed("forbidden")
    async with db.write() as session:
        loan = await get_loan(session, loan_id, actor, for_update=True)
        if loan.status is not LoanStatus.ON_LOAN:
            raise Conflict("invalid_state", status=loan.status.value)
        booking = loan.booking
        if unknown_parts(missing_parts, await _parts_of(session, booking.resource_id)):
            raise InvalidInput("unknown_part", "missing_parts")
        before = _before(loan)
        freed = now < booking.occupied_end
        if freed:  # early, or late on a day the unit was kept held (see below)
            booking.occupied_end = max(now, booking.start_at + timedelta(minutes=1))
            booking.end_at = min(booking.end_at, booking.occupied_end)
        booking.status = LOAN_BOOKING_STATUS[LoanStatus.RETURNED]
        booking.updated_at = now
        loan.status = LoanStatus.RETURNED
        loan.returned_at = now
        loan.returned_by_id = actor.id
        loan.condition = condition
        loan.missing_parts = list(missing_parts)
        loan.note = note
        booking.unit.condition = condition
        _audit(session, loan, "loan.return", before, actor=actor, now=now)
        if freed:
            await session.flush()
            await offer_freed(session, booking.resource_id, now)  # the rest of the time, to whoever waits
    async with db.read() as session:
        return await get_loan(session, loan_id, actor)


async def renew_loan(db: Database, loan_id: int, *, actor: User, now: datetime) -> Loan:
    """Extend the due day by `loan_days` (to an open day), at most `max_renewals` times and only
    while nobody else holds the unit in the days added: 409 `renewal_refused` with the reason."""
    try:
        async with db.write() as session:
            loan = await get_loan(session, loan_id, actor, for_update=True)
            if loan.status not in (LoanStatus.RESERVED, LoanStatus.ON_LOAN):
                raise Conflict("invalid_state", status=loan.status.value)
            booking = loan.booking
            place = await (await current_catalogue(session)).location_by_id(
                session, booking.resource.location_id
            )
            facts = place.by_id[booking.resource_id]
            if check_renewal(loan.renewals, facts.policy.max_renewals) is not None:
                raise _renewal_refused("max_renewals", max_renewals=facts.policy.max_renewals)
            hours = place.hours
            due = renewed_due(loan.due, facts.policy.loan_days, lambda day: not hours.day(day).closed)
            end = loan_span(loan.pickup, due, hours.zone).end
            others = await load_occupations(
                session, [booking.resource_id], booking.end_at, end, exclude_booking_id=booking.id
            )
            if any(o.unit_id == booking.unit_id for o in others):
                raise _renewal_refused("held_by_others")
            before = _before(loan)
            booking.end_at = booking.occupied_end = end
            booking.updated_at = now
            loan.due = due
            loan.renewals += 1
            loan.reminder_stage = 0
            await session.flush()  # the overlap guarantee answers for what came in meanwhile
            _audit(session, loan, "loan.renew", before, actor=actor, now=now)
    except DBAPIError as error:
        if not is_lost_race(error):
            raise
        raise _renewal_refused("held_by_others") from error
    async with db.read() as session:
        return await get_loan(session, loan_id, actor)


def _renewal_refused(reason: str, **params: Any) -> Conflict:
    return Conflict("renewal_refused", extra={"reason": reason}, message_key=f"renewal_{reason}", **params)


async def cancel_loan(db: Database, loan_id: int, *, actor: User, now: datetime) -> Loan:
    """Give up a reservation before pickup (the borrower or staff): the unit is free again."""
    async with db.write() as session:
        loan = await get_loan(session, loan_id, actor, for_update=True)
        if loan.status is not LoanStatus.RESERVED:
            raise Conflict("invalid_state", status=loan.status.value)
        _cancel_within(session, loan, actor=actor, now=now)
        await session.flush()
        await offer_freed(session, loan.booking.resource_id, now)  # the days, to whoever waits for them
    async with db.read() as session:
        return await get_loan(session, loan_id, actor)


def _cancel_within(session: AsyncSession, loan: Loan, *, actor: User | None, now: datetime) -> None:
    before = _before(loan)
    loan.status = LoanStatus.CANCELLED
    loan.booking.status = LOAN_BOOKING_STATUS[LoanStatus.CANCELLED]
    loan.booking.cancelled_at = now
    loan.booking.updated_at = now
    _audit(session, loan, "loan.cancel", before, actor=actor, now=now)


async def cancel_reservations_within(session: AsyncSession, person: User, *, now: datetime) -> int:
    """Give up the person's reservations not yet picked up (their account is being deleted), in
    the caller's transaction; a thing out on loan stays on the desk's list until it is back."""
    reserved = (
        (
            await session.scalars(
                select(Loan)
                .where(Loan.user_id == person.id, Loan.status == LoanStatus.RESERVED)
                .options(*_loaded())
            )
        )
        .unique()
        .all()
    )
    for loan in reserved:
        _cancel_within(session, loan, actor=person, now=now)
    return len(reserved)


OVERDUE = "overdue"
"""The list filter for loans out past their due day (not a status of its own)."""


def overdue_condition(today: date) -> ColumnElement[bool]:
    return (Loan.status == LoanStatus.ON_LOAN) & (Loan.due < today)


async def list_loans(
    session: AsyncSession,
    *,
    owner_id: int | None,
    status: str | None,
    today: date,
    unit_ids: Sequence[int] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[Loan]:
    """Loans for a list: a person's or all, by status or `overdue`, for some units (the desk's
    scan), each with its thing, unit and person; the most pressing (earliest due) first."""
    statement = select(Loan).options(*_loaded())
    if owner_id is not None:
        statement = statement.where(Loan.user_id == owner_id)
    if status == OVERDUE:
        statement = statement.where(overdue_condition(today))
    elif status is not None:
        statement = statement.where(Loan.status == LoanStatus(status))
    if unit_ids is not None:
        statement = statement.where(
            Loan.booking_id.in_(select(Booking.id).where(Booking.unit_id.in_(unit_ids)))
        )
    statement = statement.order_by(Loan.due, Loan.id).limit(limit).offset(offset)
    return (await session.scalars(statement)).unique().all()


async def send_reminders(db: Database, *, now: datetime) -> int:
    """Queue the reminders that are due (two days before, on the due day, overdue after 1, 3 and
    7 days) and cancel reservations not picked up by the end of their pickup day.

    Safe to run twice and from several processes: a reminder is queued in the transaction that
    raises the loan's `reminder_stage` from the stage it was read at, so only one run sends it."""
    sent = 0
    soon = now.date() + timedelta(days=1)
    async with db.write() as session:
        await _keep_overdue_held(session, now)
        rows = await session.execute(
            select(Loan, Location.timezone)
            .join(Booking, Booking.id == Loan.booking_id)
            .join(Resource, Resource.id == Booking.resource_id)
            .join(Location, Location.id == Resource.location_id)
            .where(
                # a day's margin either way: each location's own date is decided below
                ((Loan.status == LoanStatus.RESERVED) & (Loan.pickup <= soon - timedelta(days=2)))
                | (
                    (Loan.status == LoanStatus.ON_LOAN)
                    & (Loan.reminder_stage < LAST_REMINDER)
                    & (Loan.due <= soon + timedelta(days=2))
                )
            )
            .options(*_loaded())
        )
        for loan, timezone in rows.unique():
            today = now.astimezone(ZoneInfo(timezone)).date()
            if loan.status is LoanStatus.RESERVED:
                if loan.pickup < today:
                    _cancel_within(session, loan, actor=None, now=now)
                continue
            stage = reminder_due(loan.due, today, loan.reminder_stage)
            if stage is None or loan.user is None:
                continue
            raised = await session.execute(
                update(Loan)
                .where(Loan.id == loan.id, Loan.reminder_stage < stage)
                .values(reminder_stage=stage)
                .execution_options(synchronize_session=False)
            )
            if raised.rowcount == 1:  # type: ignore[attr-defined]
                enqueue(
                    session,
                    kind=REMINDER_KINDS[stage - 1],
                    user=loan.user,
                    payload={
                        "loan_id": loan.id,
                        "due": loan.due.isoformat(),
                        "days_overdue": max(0, (today - loan.due).days),
                    },
                    now=now,
                )
                sent += 1
    return sent


async def _keep_overdue_held(session: AsyncSession, now: datetime) -> None:
    """A thing out past its due day still holds its unit through today, so nobody books it on
    the strength of a due day that has passed. Where someone booked the unit before the thing
    was late, the overlap guarantee refuses the longer hold: the loan keeps its span and shows
    on the desk's overdue list, where staff sort it out."""
    rows = await session.execute(
        select(Loan, Location.timezone)
        .join(Booking, Booking.id == Loan.booking_id)
        .join(Resource, Resource.id == Booking.resource_id)
        .join(Location, Location.id == Resource.location_id)
        .where(Loan.status == LoanStatus.ON_LOAN, Loan.due < now.date() + timedelta(days=1))
        .options(*_loaded())
    )
    for loan, timezone in rows.unique():
        zone = ZoneInfo(timezone)
        today = now.astimezone(zone).date()
        end = loan_span(loan.pickup, today, zone).end
        if loan.due >= today or loan.booking.occupied_end >= end:
            continue
        try:
            async with session.begin_nested():
                loan.booking.occupied_end = end
                await session.flush()
        except DBAPIError as error:
            if not is_lost_race(error):
                raise


DESK_AHEAD = timedelta(days=7)
"""How far ahead the desk sees a thing's reservations when its label is scanned."""


@dataclass(frozen=True)
class AtTheDesk:
    """What the desk finds for a scanned inventory number: the unit, its thing's parts, the loan
    out on it (to take back) and the reservations of its thing to pick up within DESK_AHEAD
    (a desk may hand out early)."""

    unit: Unit
    parts: list[str]
    out: Loan | None
    reserved: list[Loan]


async def at_the_desk(session: AsyncSession, inventory_number: str, today: date) -> AtTheDesk | None:
    """The desk's look-up by inventory number (as printed on the label, any case), or None."""
    unit = await session.scalar(
        select(Unit)
        .where(func.upper(Unit.inventory_number) == inventory_number.strip().upper())
        .options(joinedload(Unit.resource))
    )
    if unit is None:
        return None
    found = await session.scalars(
        select(Loan)
        .join(Booking, Booking.id == Loan.booking_id)
        .where(
            Booking.resource_id == unit.resource_id,
            ((Loan.status == LoanStatus.ON_LOAN) & (Booking.unit_id == unit.id))
            | ((Loan.status == LoanStatus.RESERVED) & (Loan.pickup <= today + DESK_AHEAD)),
        )
        .options(*_loaded())
        .order_by(Loan.pickup, Loan.id)
    )
    rows = found.unique().all()
    out = next((loan for loan in rows if loan.status is LoanStatus.ON_LOAN), None)
    return AtTheDesk(
        unit,
        [str(part) for part in unit.resource.loan_parts or []],
        out,
        [loan for loan in rows if loan.status is LoanStatus.RESERVED],
    )


async def lend_now(
    db: Database,
    unit_id: int,
    *,
    borrower: User,
    due: date | None,
    checklist: Sequence[Tick],
    actor: User,
    now: datetime,
) -> Loan:
    """Lend the unit on the counter to a person who has not reserved: reserved from today and
    handed out on this unit in one transaction, so a refusal leaves nothing behind."""
    if not actor.role.is_staff:
        raise NotAllowed("forbidden")
    async with db.read() as session:
        unit = await session.get(
            Unit, unit_id, options=[joinedload(Unit.resource).joinedload(Resource.location)]
        )
    if unit is None:
        raise NotFound(N_("The unit %(id)s"), id=unit_id)
    today = now.astimezone(ZoneInfo(unit.resource.location.timezone)).date()
    wanted = NewLoan(unit.resource.slug, today, due)

    async def lend(session: AsyncSession) -> int:
        loan_id = await _reserve(session, wanted, borrower=borrower, actor=actor, now=now, tell=False)
        loan = await get_loan(session, loan_id, actor)
        await _checkout_within(session, loan, unit_id=unit_id, checklist=checklist, actor=actor, now=now)
        return loan_id

    try:
        loan_id = await retrying_lost_races(
            db, lend, lost=lambda: SlotTaken(loan_span(today, today, ZoneInfo("UTC")))
        )
    except SlotTaken as taken:
        raise Conflict("slot_taken", "unit", message_key="loan_taken") from taken
    async with db.read() as session:
        return await get_loan(session, loan_id, actor)
