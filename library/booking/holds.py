"""Holds: waiting for a unit of a resource to free up in a window, and the offer of a freed slot.

An offer is a `bookings` row of purpose `hold` for the person offered, on the freed unit and
time, so the overlap guarantee keeps everyone else off it while it stands, and decides races
between two offers of one slot. Accepting turns that row into the person's booking. Offers are
made in the transaction that frees a slot (`offer_freed`, called by the cancel paths) and by the
scheduler's `sweep_holds` every minute for what frees up otherwise (a no-show, a block that ends,
a new unit); the sweep also lets offers lapse and ends holds whose window has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from library.accounts.models import User
from library.audit.log import record, snapshot
from library.booking.availability import MINUTE, aligned_at_or_after, free_per_unit, free_units
from library.booking.catalogue import current_catalogue
from library.booking.conflicts import is_lost_race
from library.booking.intervals import Interval
from library.booking.lending import DAY_MINUTES, loan_pickups, loan_span
from library.booking.models import ACTIVE_STATUSES, Booking, BookingPurpose, BookingStatus, Hold, HoldStatus
from library.booking.queries import LocationHours, load_occupations
from library.booking.rules import ResourceFacts, occupied_span
from library.catalog.models import Resource, ResourceKind
from library.catalog.policy import hold_offer_minutes_for
from library.db import Database, dialect_of
from library.outbox.queue import enqueue

OFFER_MAIL = "hold.offered"
OFFER_FIELDS = ("status", "unit_id", "user_id")
"""What the audit log keeps of an offer's row as it ends (its time is the booking's own)."""


@dataclass(frozen=True)
class HoldView:
    """A hold and its place among the waiting of its resource (None unless it is waiting)."""

    hold: Hold
    position: int | None


def spans_in(
    window: Interval,
    minutes: int,
    per_unit: Iterable[tuple[int, Sequence[Interval]]],
    zone: ZoneInfo,
    slot_minutes: int,
    avoid: Sequence[Interval] = (),
) -> list[tuple[datetime, int, Interval]]:
    """For each unit's free interval, its first grid-aligned span of `minutes` in the window that
    misses `avoid` (what the person holds already), as (start, unit, span), earliest first."""
    length = minutes * MINUTE
    found = []
    for unit_id, intervals in per_unit:
        for free in intervals:
            part = free.clip(window.start, window.end)
            if part is None:
                continue
            start = aligned_at_or_after(part.start, zone, slot_minutes)
            while start + length <= part.end:
                span = Interval(start, start + length)
                clash = next((taken for taken in avoid if taken.overlaps(span)), None)
                if clash is None:
                    found.append((start, unit_id, span))
                    break
                start = aligned_at_or_after(max(clash.end, start + slot_minutes * MINUTE), zone, slot_minutes)
    return sorted(found, key=lambda found: (found[0], found[1]))


async def list_holds(
    session: AsyncSession,
    person_id: int | None = None,
    *,
    resource_id: int | None = None,
    hold_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[HoldView]:
    """A person's holds (or one of them), newest first, or a resource's open queue in its order
    (for staff); each with its position among the waiting, counted in the same statement."""
    mine = aliased(Hold)
    ahead = (
        select(func.count())
        .select_from(Hold)
        .where(
            Hold.resource_id == mine.resource_id,
            Hold.status == HoldStatus.WAITING,
            or_(
                Hold.created_at < mine.created_at,
                and_(Hold.created_at == mine.created_at, Hold.id <= mine.id),
            ),
        )
        .scalar_subquery()
    )
    statement = select(mine, ahead).options(
        joinedload(mine.resource).joinedload(Resource.location),
        joinedload(mine.offer).joinedload(Booking.unit),
        joinedload(mine.user),
    )
    if person_id is not None:
        statement = statement.where(mine.user_id == person_id).order_by(
            mine.created_at.desc(), mine.id.desc()
        )
    if hold_id is not None:
        statement = statement.where(mine.id == hold_id)
    if resource_id is not None:
        statement = statement.where(
            mine.resource_id == resource_id, mine.status.in_((HoldStatus.WAITING, HoldStatus.OFFERED))
        ).order_by(mine.created_at, mine.id)
    rows = (await session.execute(statement.limit(limit).offset(offset))).unique().all()
    return [HoldView(hold, count if hold.status is HoldStatus.WAITING else None) for hold, count in rows]


async def lock_queue(session: AsyncSession, resource_id: int) -> None:
    """One offer-maker per resource at a time (PostgreSQL; SQLite writes one at a time anyway):
    FOR NO KEY UPDATE, so bookings of the resource, whose foreign key takes a key share, go on."""
    if dialect_of(session) == "postgresql":
        await session.execute(
            select(Resource.id).where(Resource.id == resource_id).with_for_update(key_share=True)
        )


async def offer_freed(session: AsyncSession, resource_id: int, now: datetime) -> list[Hold]:
    """Offer freed slots of the resource to the people waiting, in queue order, inside the
    caller's write transaction. Each person gets the earliest span of their length in their
    window that one unit has free (for a thing lent for days: the earliest pickup day, and the
    loan's days as a reservation would take them); a person who already holds a booking or loan
    there is passed over; an offer the database refuses (someone took the slot a moment ago)
    tries the next span."""
    await lock_queue(session, resource_id)
    waiting = list(
        await session.scalars(
            select(Hold)
            .where(Hold.resource_id == resource_id, Hold.status == HoldStatus.WAITING, Hold.window_end > now)
            .options(joinedload(Hold.user))
            .order_by(Hold.created_at, Hold.id)
        )
    )
    if not waiting:
        return []
    catalogue = await current_catalogue(session)
    facts = await catalogue.resource_by_id(session, resource_id)
    if not facts.active or not facts.unit_ids:
        return []
    hours = (await catalogue.location_by_id(session, facts.location_id)).hours
    offer_minutes = hold_offer_minutes_for(facts.policy, facts.kind)
    candidates = _loan_candidates if facts.kind == ResourceKind.LOAN.value else _slot_candidates
    offered: list[Hold] = []
    for hold in waiting:
        window = Interval(max(hold.window_start, now), max(hold.window_end, now))
        if window.empty:
            continue
        for candidate in await candidates(session, hold, window, facts, hours, now):
            booking_id = await _offer_row(session, hold, candidate, facts, now)
            if booking_id is None:
                continue
            hold.status = HoldStatus.OFFERED
            hold.offer_booking_id = booking_id
            hold.offer_until = min(now + offer_minutes * MINUTE, candidate.answer_by)
            hold.updated_at = now
            record(
                session,
                actor_id=None,
                action="hold.offer",
                object_type="booking",
                object_id=booking_id,
                at=now,
                after={
                    "hold": hold.id,
                    "offer_until": hold.offer_until.isoformat(),
                    "unit_id": candidate.unit_id,
                },
            )
            enqueue(
                session,
                kind=OFFER_MAIL,
                user=hold.user,
                payload={"hold_id": hold.id, "booking_id": booking_id},
                now=now,
            )
            offered.append(hold)
            break
    if offered:
        await session.flush()
    return offered


@dataclass(frozen=True)
class Candidate:
    """A span a hold could be offered: the unit, the span booked, the span it occupies (with
    the buffers, or a loan's whole days) and the latest moment to answer (the start of a slot,
    the end of a thing's pickup day)."""

    unit_id: int
    span: Interval
    occupied: Interval
    answer_by: datetime


async def _slot_candidates(
    session: AsyncSession,
    hold: Hold,
    window: Interval,
    facts: ResourceFacts,
    hours: LocationHours,
    now: datetime,
) -> list[Candidate]:
    """The free grid-aligned spans of the hold's minutes in its window, one per unit, earliest first."""
    reach = Interval(window.start - timedelta(days=1), window.end + timedelta(days=1))
    occupations = await load_occupations(session, [facts.id], reach.start, reach.end)
    first, last = _local_days(window, hours.zone)
    per_day = free_per_unit(
        hours.days(first, last),
        hours.zone,
        facts.policy,
        needs_staff=facts.needs_staff,
        unit_ids=facts.unit_ids,
        occupations=occupations,
        now=now,
    )
    per_unit = [
        (unit_id, intervals)
        for _, unit_lists in per_day
        for unit_id, intervals in zip(facts.unit_ids, unit_lists, strict=True)
    ]
    theirs = await _persons_spans(session, hold.user_id, facts.id, window)  # not offered again
    slot = facts.policy.slot_minutes
    return [
        Candidate(unit_id, span, occupied_span(span, facts.policy), span.start)
        for _, unit_id, span in spans_in(window, hold.minutes, per_unit, hours.zone, slot, theirs)
    ]


async def _loan_candidates(
    session: AsyncSession,
    hold: Hold,
    window: Interval,
    facts: ResourceFacts,
    hours: LocationHours,
    now: datetime,
) -> list[Candidate]:
    """For a thing lent for days: each free unit on each possible pickup day, earliest first,
    for the loan's days as a reservation for that pickup day would take them."""
    zone = hours.zone
    pickups = loan_pickups(
        window,
        hold.minutes // DAY_MINUTES,
        zone,
        lambda day: not hours.day(day).closed,
        now.astimezone(zone).date(),
    )
    if not pickups:
        return []
    reach = Interval(loan_span(*pickups[0], zone).start, loan_span(*pickups[-1], zone).end)
    occupations = await load_occupations(session, [facts.id], reach.start, reach.end)
    theirs = await _persons_spans(session, hold.user_id, facts.id, reach)  # not offered again
    found: list[Candidate] = []
    for pickup, due in pickups:
        span = loan_span(pickup, due, zone)
        if any(taken.overlaps(span) for taken in theirs):
            continue
        answer_by = loan_span(pickup, pickup, zone).end  # a reservation lapses after its pickup day
        found.extend(
            Candidate(unit_id, span, span, answer_by) for unit_id in free_units(facts, occupations, span)[0]
        )
    return found


def _local_days(window: Interval, zone: ZoneInfo) -> tuple[date, date]:
    return window.start.astimezone(zone).date(), window.end.astimezone(zone).date()


async def _persons_spans(
    session: AsyncSession, user_id: int, resource_id: int, window: Interval
) -> list[Interval]:
    """The person's active bookings (and offers) of the resource touching the window."""
    rows = await session.execute(
        select(Booking.start_at, Booking.end_at).where(
            Booking.user_id == user_id,
            Booking.resource_id == resource_id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at < window.end,
            Booking.end_at > window.start,
        )
    )
    return [Interval(start, end) for start, end in rows]


async def _offer_row(
    session: AsyncSession, hold: Hold, candidate: Candidate, facts: ResourceFacts, now: datetime
) -> int | None:
    """The offer's `bookings` row, or None when the database's overlap guarantee refuses it."""
    span, occupied = candidate.span, candidate.occupied
    await session.flush()
    try:
        async with session.begin_nested():
            return (
                await session.execute(
                    insert(Booking)
                    .values(
                        unit_id=candidate.unit_id,
                        resource_id=facts.id,
                        user_id=hold.user_id,
                        purpose=BookingPurpose.HOLD,
                        start_at=span.start,
                        end_at=span.end,
                        occupied_start=occupied.start,
                        occupied_end=occupied.end,
                        status=BookingStatus.PENDING,
                        note="",
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(Booking.id)
                )
            ).scalar_one()
    except DBAPIError as error:
        if not is_lost_race(error):
            raise
        return None


def withdraw_offer(
    session: AsyncSession, hold: Hold, status: HoldStatus, *, actor: User | None, now: datetime
) -> None:
    """End the hold's offer: its row no longer occupies the slot, the hold takes `status`
    (`waiting` again when the offer is withdrawn through no doing of the person's: a block of
    its unit; the person keeps their place in the queue)."""
    offer = hold.offer
    if offer is not None and offer.status in ACTIVE_STATUSES:
        before = snapshot(offer, OFFER_FIELDS)
        offer.status = BookingStatus.CANCELLED
        offer.cancelled_at = now
        offer.updated_at = now
        record(
            session,
            actor_id=actor.id if actor else None,
            action=WITHDRAWAL_ACTIONS[status],
            object_type="booking",
            object_id=offer.id,
            at=now,
            before=before,
            after=snapshot(offer, OFFER_FIELDS),
        )
    hold.status = status
    hold.updated_at = now
    if status is HoldStatus.WAITING:
        hold.offer_booking_id = None
        hold.offer_until = None


WITHDRAWAL_ACTIONS = {
    HoldStatus.CANCELLED: "hold.decline",
    HoldStatus.LAPSED: "hold.lapse",
    HoldStatus.WAITING: "hold.withdraw",
}
"""What the audit log calls the end of an offer, by what becomes of its hold."""


async def withdraw_offers_on(
    session: AsyncSession, offers: Iterable[Booking], *, actor: User, now: datetime
) -> None:
    """Offers on a unit taken out of service: each hold waits again in its place and what is
    still free passes on (to the same person first, on another unit)."""
    ids = [offer.id for offer in offers]
    if not ids:
        return
    holds = list(
        await session.scalars(
            select(Hold)
            .where(Hold.offer_booking_id.in_(ids), Hold.status == HoldStatus.OFFERED)
            .options(joinedload(Hold.offer))
            .order_by(Hold.id)
        )
    )
    for hold in holds:
        withdraw_offer(session, hold, HoldStatus.WAITING, actor=actor, now=now)
    await session.flush()
    for resource_id in sorted({hold.resource_id for hold in holds}):
        await offer_freed(session, resource_id, now)


async def sweep_holds(db: Database, *, now: datetime) -> int:
    """The scheduler's minute: lapse offers past their deadline, end holds whose window has passed,
    then offer what is free for every resource with people waiting (a no-show, an ended block, a
    new unit free a slot without a request that could offer it). One transaction per resource;
    returns the number of holds changed."""
    changed = 0
    async with db.read() as session:
        resource_ids = list(
            await session.scalars(
                select(Hold.resource_id)
                .where(Hold.status.in_((HoldStatus.WAITING, HoldStatus.OFFERED)))
                .distinct()
                .order_by(Hold.resource_id)
            )
        )
    for resource_id in resource_ids:
        async with db.write() as session:
            await lock_queue(session, resource_id)
            statement = (
                select(Hold)
                .where(
                    Hold.resource_id == resource_id,
                    or_(
                        and_(Hold.status == HoldStatus.OFFERED, Hold.offer_until <= now),
                        and_(Hold.status == HoldStatus.WAITING, Hold.window_end <= now),
                    ),
                )
                .options(joinedload(Hold.offer))
            )
            for hold in await session.scalars(statement):
                withdraw_offer(session, hold, HoldStatus.LAPSED, actor=None, now=now)
                changed += 1
            await session.flush()
            changed += len(await offer_freed(session, resource_id, now))
    return changed


async def end_holds_of(session: AsyncSession, person: User, now: datetime) -> int:
    """A leaving person's open holds end (cancelled), and what their offers held passes on."""
    holds = list(
        await session.scalars(
            select(Hold)
            .where(Hold.user_id == person.id, Hold.status.in_((HoldStatus.WAITING, HoldStatus.OFFERED)))
            .options(joinedload(Hold.offer))
            .order_by(Hold.id)
        )
    )
    for hold in holds:
        withdraw_offer(session, hold, HoldStatus.CANCELLED, actor=person, now=now)
    await session.flush()
    for resource_id in sorted({h.resource_id for h in holds if h.offer_booking_id is not None}):
        await offer_freed(session, resource_id, now)
    return len(holds)
