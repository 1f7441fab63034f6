"""What a person does with a hold, each one transaction: wait for a slot, accept the slot offered,
leave the queue or decline the offer (which passes it on at once). The queue and the offers
themselves are booking.holds; the cancel paths of booking.service offer what they free."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from library.accounts.models import User
from library.audit.log import record, snapshot
from library.booking.availability import MINUTE, horizon_end
from library.booking.catalogue import current_catalogue
from library.booking.holds import HoldView, lock_queue, offer_freed, withdraw_offer
from library.booking.intervals import Interval
from library.booking.lending import DAY_MINUTES, loan_hold_days, loan_hold_fits
from library.booking.loans import get_loan, lend_offered
from library.booking.models import Booking, BookingPurpose, BookingStatus, Hold, HoldStatus, Loan
from library.booking.queries import load_circumstances
from library.booking.rules import Refusal, ResourceFacts, check_person_rules, check_quotas, usage_without
from library.booking.service import AUDITED_FIELDS, RuleBroken, day_of, week_of
from library.catalog.models import ResourceKind
from library.db import Database, dialect_of
from library.errors import Conflict, InvalidInput, NotFound
from library.i18n import N_
from library.outbox.queue import enqueue


@dataclass(frozen=True)
class HoldRequest:
    resource_slug: str
    start: datetime
    end: datetime
    minutes: int | None = None


def hold_length(minutes: int | None, facts: ResourceFacts) -> int:
    """The length asked for, or the resource's shortest booking; `InvalidInput` off the house rules."""
    policy = facts.policy
    length = minutes if minutes is not None else max(policy.min_minutes, policy.slot_minutes)
    if length < policy.min_minutes:
        raise InvalidInput("too_short", "minutes", min_minutes=policy.min_minutes)
    if length > policy.max_minutes:
        raise InvalidInput("too_long", "minutes", max_minutes=policy.max_minutes)
    if length % policy.slot_minutes:
        raise InvalidInput("hold_minutes_grid", "minutes", slot_minutes=policy.slot_minutes)
    return length


def loan_hold_length(minutes: int | None, facts: ResourceFacts) -> int:
    """For a thing lent for days: the loan's whole days as minutes, by default `loan_days`;
    `InvalidInput` off the house rules."""
    days = loan_hold_days(minutes, facts.policy.loan_days)
    if isinstance(days, Refusal):
        raise InvalidInput(days.code, "minutes", **days.params)
    return days * DAY_MINUTES


def check_window(window: Interval, minutes: int, facts: ResourceFacts, zone: ZoneInfo, now: datetime) -> None:
    """The window is still to come, within the horizon (for a thing: its pickup day, the loan
    may run past it) and long enough for what is wanted: `InvalidInput` else."""
    lent = facts.kind == ResourceKind.LOAN.value
    if window.end <= now:
        raise InvalidInput("hold_window_past", "to")
    reach = horizon_end(now, zone, facts.policy.horizon_days)
    if window.end > (reach + timedelta(days=facts.policy.loan_days) if lent else reach):
        raise InvalidInput("beyond_horizon", "to", horizon_days=facts.policy.horizon_days)
    ahead = Interval(max(window.start, now), window.end)
    if lent and not loan_hold_fits(ahead, minutes // DAY_MINUTES, zone):
        raise InvalidInput("hold_window_too_few_days", "to", days=minutes // DAY_MINUTES)
    if not lent and ahead.end - ahead.start < minutes * MINUTE:
        raise InvalidInput("hold_window_too_short", "to", minutes=minutes)


async def place_hold(db: Database, request: HoldRequest, *, person: User, now: datetime) -> HoldView:
    """Put the person in the resource's queue for a span of `minutes` somewhere in [start, end);
    for a thing lent for days, a loan of `minutes` as whole days within the window's local days."""
    if request.end <= request.start:
        raise InvalidInput("end_before_start", "to")
    window = Interval(request.start.astimezone(UTC), request.end.astimezone(UTC))
    async with db.write() as session:
        catalogue = await current_catalogue(session, locking_person=person.id)
        place = await catalogue.location_of(session, request.resource_slug)
        facts = place.resource(request.resource_slug)
        if not facts.active or not facts.unit_ids:
            raise InvalidInput("resource_unavailable", "resource")
        if facts.kind == ResourceKind.LOAN.value:
            minutes = loan_hold_length(request.minutes, facts)
        else:
            minutes = hold_length(request.minutes, facts)
        check_window(window, minutes, facts, place.hours.zone, now)
        already = await session.scalar(
            select(Hold.id).where(
                Hold.user_id == person.id,
                Hold.resource_id == facts.id,
                Hold.status.in_((HoldStatus.WAITING, HoldStatus.OFFERED)),
                Hold.window_start < window.end,
                Hold.window_end > window.start,
            )
        )
        if already is not None:
            raise Conflict("hold_exists", id=already)
        # The queue's order is the order of arrival under its lock: a request that read the clock
        # earlier but came second still goes behind, so no two holds ever share a position.
        await lock_queue(session, facts.id)
        last = await session.scalar(
            select(func.max(Hold.created_at)).where(
                Hold.resource_id == facts.id, Hold.status.in_((HoldStatus.WAITING, HoldStatus.OFFERED))
            )
        )
        hold = Hold(
            user_id=person.id,
            resource_id=facts.id,
            window_start=window.start,
            window_end=window.end,
            minutes=minutes,
            status=HoldStatus.WAITING,
            created_at=max(now, last) if last is not None else now,
            updated_at=now,
        )
        session.add(hold)
        await session.flush()
        record(
            session,
            actor_id=person.id,
            action="hold.create",
            object_type="resource",
            object_id=facts.id,
            at=now,
            after={
                "hold": hold.id,
                "from": window.start.isoformat(),
                "to": window.end.isoformat(),
                "minutes": minutes,
            },
        )
        position = await session.scalar(
            select(func.count())
            .select_from(Hold)
            .where(
                Hold.resource_id == hold.resource_id,
                Hold.status == HoldStatus.WAITING,
                or_(
                    Hold.created_at < hold.created_at,
                    and_(Hold.created_at == hold.created_at, Hold.id <= hold.id),
                ),
            )
        )
    return HoldView(hold, position)


async def _mine(session: AsyncSession, hold_id: int, person: User) -> Hold:
    """The person's own hold, locked on PostgreSQL; anyone else's is 'not found'."""
    statement = select(Hold).where(Hold.id == hold_id).options(joinedload(Hold.offer), joinedload(Hold.user))
    if dialect_of(session) == "postgresql":
        statement = statement.with_for_update(of=Hold)
    hold = await session.scalar(statement)
    if hold is None or hold.user_id != person.id:
        raise NotFound(N_("The hold %(id)s"), id=hold_id)
    return hold


async def accept_offer(db: Database, hold_id: int, *, person: User, now: datetime) -> Booking | Loan:
    """Book the offered slot: the offer's row becomes the person's booking, or for a thing lent
    for days their loan reserved for pickup, if the house rules that concern the person (age,
    certification, quotas; for a loan, a reservation's) allow it (else `RuleBroken`, and the
    offer stands). Too late, the offer lapses and passes on (committed), then `offer_expired`."""
    expired = False
    loan_id: int | None = None
    async with db.write() as session:
        hold = await _mine(session, hold_id, person)
        offer = hold.offer
        if hold.status is not HoldStatus.OFFERED or offer is None or hold.offer_until is None:
            raise Conflict("not_offered", status=hold.status.value)
        if now >= hold.offer_until:
            withdraw_offer(session, hold, HoldStatus.LAPSED, actor=None, now=now)
            await session.flush()
            await offer_freed(session, hold.resource_id, now)
            expired = True
        else:
            before = snapshot(offer, AUDITED_FIELDS)
            if await _lent(session, offer):
                loan_id = await lend_offered(session, offer, borrower=person, now=now)
            else:
                facts = await _check_person(session, offer, person, now)
                offer.purpose = BookingPurpose.VISITOR
                offer.status = BookingStatus.PENDING if facts.requires_approval else BookingStatus.CONFIRMED
                offer.created_by_id = person.id
                offer.updated_at = now
            hold.status = HoldStatus.BOOKED
            hold.updated_at = now
            record(
                session,
                actor_id=person.id,
                action="hold.accept",
                object_type="booking",
                object_id=offer.id,
                at=now,
                before=before,
                after=snapshot(offer, AUDITED_FIELDS),
            )
            if loan_id is None:  # a loan's reservation mail went out with it
                enqueue(
                    session,
                    kind=f"booking.{offer.status.value}",
                    user=person,
                    payload={"booking_id": offer.id},
                    now=now,
                )
    # Raised after the transaction: the lapse and the offer to the next person are kept.
    if expired:
        raise Conflict("offer_expired")
    async with db.read() as session:
        if loan_id is not None:
            return await get_loan(session, loan_id, person)
        booked = await session.scalar(
            select(Booking)
            .where(Booking.id == hold.offer_booking_id)
            .options(joinedload(Booking.resource), joinedload(Booking.unit), joinedload(Booking.user))
        )
    assert booked is not None
    return booked


async def _lent(session: AsyncSession, offer: Booking) -> bool:
    """Whether the offer is of a thing lent for days (its acceptance makes a loan)."""
    catalogue = await current_catalogue(session)
    return (await catalogue.resource_by_id(session, offer.resource_id)).kind == ResourceKind.LOAN.value


async def _check_person(session: AsyncSession, offer: Booking, person: User, now: datetime) -> ResourceFacts:
    """Age, certification and quotas as for a booking of the person; the offer's own row, which
    already counts as theirs, is left out of the quotas. Returns the resource's facts."""
    catalogue = await current_catalogue(session, locking_person=person.id)
    facts = await catalogue.resource_by_id(session, offer.resource_id)
    hours = (await catalogue.location_by_id(session, facts.location_id)).hours
    span = Interval(offer.start_at, offer.end_at)
    local_day = span.start.astimezone(hours.zone).date()
    week, day = week_of(local_day, hours), day_of(local_day, hours)
    found = await load_circumstances(
        session,
        person,
        [facts.id],
        Interval(offer.occupied_start, offer.occupied_end),
        now=now,
        week=week,
        day=day,
        exclude_booking_id=offer.id,
    )
    usage = usage_without(found.usage[facts.id], span, now, week, day)
    refusal = check_person_rules(span, facts, found.booker, hours.zone) or check_quotas(
        span, facts.policy, usage
    )
    if refusal is not None:
        raise RuleBroken(refusal)
    return facts


async def cancel_hold(db: Database, hold_id: int, *, person: User, now: datetime) -> Hold:
    """Leave the queue, or decline an offer: then it passes on at once, in the same transaction."""
    async with db.write() as session:
        hold = await _mine(session, hold_id, person)
        if hold.status is HoldStatus.WAITING:
            hold.status = HoldStatus.CANCELLED
            hold.updated_at = now
            record(
                session,
                actor_id=person.id,
                action="hold.cancel",
                object_type="resource",
                object_id=hold.resource_id,
                at=now,
                before={"hold": hold.id, "status": HoldStatus.WAITING.value},
                after={"hold": hold.id, "status": HoldStatus.CANCELLED.value},
            )
        elif hold.status is HoldStatus.OFFERED:
            withdraw_offer(session, hold, HoldStatus.CANCELLED, actor=person, now=now)
            await session.flush()
            await offer_freed(session, hold.resource_id, now)
        else:
            raise Conflict("hold_closed", status=hold.status.value)
    return hold
