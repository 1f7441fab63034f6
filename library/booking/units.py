"""Inventory work that touches bookings: retiring a unit that is still booked, blocking a unit.

The catalogue keeps units and blocks (library.catalog.inventory); what those bookings are is
known here, so staff get the list of bookings to move or cancel with the change itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import User
from library.audit.log import record, snapshot
from library.booking.availability import free_units
from library.booking.catalogue import Catalogue, LocationFacts, current_catalogue
from library.booking.holds import offer_freed, withdraw_offers_on
from library.booking.intervals import Interval
from library.booking.models import ACTIVE_STATUSES, Booking, BookingPurpose
from library.booking.queries import load_occupations
from library.booking.rules import ResourceFacts
from library.booking.service import cancel_within, move_within
from library.catalog.inventory import BLOCK_FIELDS, update_unit_within
from library.catalog.models import Location, Unit, UnitBlock, UnitStatus
from library.db import Database
from library.errors import InvalidInput, NotFound
from library.i18n import N_
from library.outbox.queue import enqueue


class UnitHasBookings(Exception):
    """Retiring the unit would strand these upcoming bookings; nothing was changed."""

    def __init__(self, bookings: list[Booking]) -> None:
        super().__init__("unit_has_bookings")
        self.bookings = bookings


async def update_unit(
    db: Database,
    unit_id: int,
    changes: Mapping[str, Any],
    *,
    force: bool = False,
    actor: User,
    now: datetime,
) -> tuple[Unit, list[Booking]]:
    """Change a unit; returns it with the upcoming bookings it keeps after being retired.

    Retiring a unit that still has upcoming bookings raises `UnitHasBookings` unless `force`.
    Forced or not, those bookings are not cancelled here: staff move or cancel them, with the
    list in hand, so that nobody learns of it at the desk.
    """
    async with db.write() as session:
        unit = await session.scalar(select(Unit).where(Unit.id == unit_id).with_for_update())
        if unit is None:
            raise NotFound(N_("The unit %(id)s"), id=unit_id)
        stranded: list[Booking] = []
        if changes.get("status") == UnitStatus.RETIRED and unit.status != UnitStatus.RETIRED:
            stranded = await upcoming_bookings(session, unit_id, now)
        if not stranded or force:
            kept = {"kept_bookings": [b.id for b in stranded]} if stranded else None
            await update_unit_within(session, unit, changes, actor=actor, now=now, noted=kept)
    # Raised after the transaction: a rollback would expire the bookings the answer lists.
    if stranded and not force:
        raise UnitHasBookings(stranded)
    return unit, stranded


def _with_people() -> tuple[Any, ...]:
    return selectinload(Booking.resource), selectinload(Booking.unit), selectinload(Booking.user)


async def upcoming_bookings(session: AsyncSession, unit_id: int, now: datetime) -> list[Booking]:
    """The unit's active bookings that have not ended yet, the running one included."""
    return list(
        await session.scalars(
            select(Booking)
            .where(Booking.unit_id == unit_id, Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > now)
            .options(*_with_people())
            .order_by(Booking.start_at, Booking.id)
        )
    )


Resolve = Literal["keep", "move", "cancel"]


@dataclass
class Resolved:
    """What a block did with the bookings it touches (API.md, `resolve`)."""

    moved: list[tuple[Booking, int]] = field(default_factory=list)
    cancelled: list[Booking] = field(default_factory=list)
    kept: list[Booking] = field(default_factory=list)


async def block_unit(
    db: Database,
    unit_id: int,
    *,
    start: datetime,
    end: datetime,
    reason: str,
    actor: User,
    now: datetime,
    resolve: Resolve = "keep",
) -> tuple[UnitBlock, list[Booking], Resolved]:
    """Block a unit and deal with the bookings in that period as staff chose (`resolve`).

    "keep" leaves them and lists them, so staff decide with the list in hand; "move" puts each
    on another free unit of the same resource at the same time where there is one (telling the
    person) and keeps the rest; "cancel" moves the same way and cancels the rest with a mail
    that names offers of the same kind free at that time. Nothing is dropped silently.
    """
    async with db.write() as session:
        return await block_unit_within(
            session, unit_id, start=start, end=end, reason=reason, actor=actor, now=now, resolve=resolve
        )


async def block_unit_within(
    session: AsyncSession,
    unit_id: int,
    *,
    start: datetime,
    end: datetime,
    reason: str,
    actor: User,
    now: datetime,
    resolve: Resolve = "keep",
) -> tuple[UnitBlock, list[Booking], Resolved]:
    """`block_unit` inside the caller's transaction (a blocking defect report, a service block)."""
    if end <= start:
        raise InvalidInput("end_before_start", "end")
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(N_("The unit %(id)s"), id=unit_id)
    block = UnitBlock(
        unit_id=unit_id,
        start_at=start.astimezone(UTC),
        end_at=end.astimezone(UTC),
        reason=reason,
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(block)
    await session.flush()
    affected = await bookings_during(session, unit_id, block.start_at, block.end_at)
    resolved = await resolve_bookings(
        session,
        affected,
        resolve,
        OutOfService(units=frozenset({unit.id})),
        reason=reason,
        actor=actor,
        now=now,
    )
    record(
        session,
        actor_id=actor.id,
        action="unit.block",
        object_type="unit",
        object_id=unit_id,
        at=now,
        after={
            **snapshot(block, BLOCK_FIELDS),
            "affected_bookings": [b.id for b in affected],
            "moved": [b.id for b, _ in resolved.moved],
            "cancelled": [b.id for b in resolved.cancelled],
        },
        reason=reason,
    )
    return block, affected, resolved


@dataclass(frozen=True)
class OutOfService:
    """What a block or a closure takes away: units (a block) or whole locations (a closure).

    A booking on a closed location has nowhere to move to at that time; its alternatives are
    the same kind at the other locations. A blocked unit's booking may move to another unit.
    """

    units: frozenset[int] = frozenset()
    locations: frozenset[int] = frozenset()


async def resolve_bookings(
    session: AsyncSession,
    affected: list[Booking],
    resolve: Resolve,
    away: OutOfService,
    *,
    reason: str,
    actor: User,
    now: datetime,
) -> Resolved:
    """Keep, move or cancel the bookings a block or closure touches; one piece serves both."""
    resolved = Resolved()
    if resolve == "keep" or not affected:
        resolved.kept.extend(affected)
        return resolved
    catalogue = await current_catalogue(session)
    offers = [booking for booking in affected if booking.purpose is BookingPurpose.HOLD]
    for booking in affected:
        if booking.purpose is BookingPurpose.HOLD:
            continue  # an offer not yet accepted: withdrawn below, and passed on
        if booking.purpose is not BookingPurpose.VISITOR:
            resolved.kept.append(booking)  # a workshop's room: the session is moved or cancelled
            continue
        place = await catalogue.location_of(session, booking.resource.slug)
        facts = place.by_slug[booking.resource.slug]
        wanted = Interval(booking.start_at, booking.end_at)
        free: list[int] = []
        if place.hours.location_id not in away.locations:
            occupations = await load_occupations(
                session,
                [facts.id],
                booking.occupied_start,
                booking.occupied_end,
                exclude_booking_id=booking.id,
            )
            free = [u for u in free_units(facts, occupations, wanted)[0] if u not in away.units]
        if free:
            move_within(session, booking, free[0], actor=actor, now=now, reason=reason)
            await session.flush()  # the database's overlap guarantee speaks here
            resolved.moved.append((booking, free[0]))
        elif resolve == "cancel":
            alternatives = await _alternatives(session, catalogue, booking, facts, place, away)
            cancel_within(session, booking, actor=actor, now=now, reason=reason, tell_owner=False)
            if booking.user is not None:
                enqueue(
                    session,
                    kind="booking.cancelled",
                    user=booking.user,
                    payload={"booking_id": booking.id, "reason": reason, "alternatives": alternatives},
                    now=now,
                )
            resolved.cancelled.append(booking)
        else:
            resolved.kept.append(booking)
    if resolved.cancelled:
        await session.flush()
        for resource_id in sorted({b.resource_id for b in resolved.cancelled}):
            await offer_freed(session, resource_id, now)  # other units may be free for those waiting
    await withdraw_offers_on(session, offers, actor=actor, now=now)
    return resolved


async def _alternatives(
    session: AsyncSession,
    catalogue: Catalogue,
    booking: Booking,
    facts: ResourceFacts,
    place: LocationFacts,
    away: OutOfService,
) -> list[dict[str, str | None]]:
    """Offers of the same kind free at the booking's time: in the same location for a block,
    in the locations still open for a closure."""
    if place.hours.location_id in away.locations:
        slugs = await session.scalars(select(Location.slug).where(Location.id.not_in(away.locations)))
        places = [await catalogue.location_named(session, slug) for slug in slugs]
    else:
        places = [place]
    similar = [
        r for p in places for r in p.resources if r.kind == facts.kind and r.active and r.id != facts.id
    ]
    around = await load_occupations(
        session, [r.id for r in similar], booking.occupied_start, booking.occupied_end
    )
    wanted = Interval(booking.start_at, booking.end_at)
    return [
        {"slug": r.slug, "name": r.name, "name_en": r.name_en}
        for r in similar
        if free_units(r, around, wanted)[0]
    ]


async def bookings_during(
    session: AsyncSession, unit_id: int, start: datetime, end: datetime
) -> list[Booking]:
    return list(
        await session.scalars(
            select(Booking)
            .where(
                Booking.unit_id == unit_id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.occupied_start < end,
                Booking.occupied_end > start,
            )
            .options(*_with_people())
            .order_by(Booking.start_at)
        )
    )
