"""Closures of one, several or all locations and what they touch (API.md, `resolve`).

A closure is a dated exception entered for several locations at once. Before it is entered,
staff see everything it touches: visitors' bookings and workshop sessions with their
participants. With it, the bookings are kept and listed, or cancelled with a mail that names
the same kind at the locations still open (a closed location leaves nothing to move to), and
sessions are kept and listed (to be moved one by one) or cancelled with a mail to everyone
registered. Nothing is dropped silently. This lives beside the workshops because sessions are
touched too; the bookings' part is the same piece that serves unit blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import User
from library.booking.catalogue import current_catalogue
from library.booking.models import ACTIVE_STATUSES, Booking, BookingPurpose
from library.booking.units import OutOfService, Resolve, Resolved, resolve_bookings
from library.catalog.hours import DatedException, Period, days_span, exception_touches
from library.catalog.inventory import add_opening_exception_within
from library.catalog.models import Location, OpeningException, Resource
from library.db import Database
from library.errors import InvalidInput
from library.workshops.models import WorkshopSession
from library.workshops.queries import session_tallies
from library.workshops.service import move_or_cancel_session_within

SessionResolve = Literal["keep", "cancel"]


@dataclass(frozen=True)
class TouchedSession:
    """A workshop session on a closed day, with the people it concerns."""

    session: WorkshopSession  # loaded with its workshop and room
    participants: int  # places held: confirmed, offered or attended
    waitlisted: int
    cancelled: bool = False


@dataclass
class Impact:
    """What a closure touches: visitors' bookings (with resource, unit and person) and sessions."""

    bookings: list[Booking] = field(default_factory=list)
    sessions: list[TouchedSession] = field(default_factory=list)


@dataclass
class Closure:
    exceptions: list[tuple[str, OpeningException]]  # (location slug, exception)
    impact: Impact
    resolved: Resolved


async def _locations(session: AsyncSession, slugs: Sequence[str] | Literal["all"]) -> list[tuple[int, str]]:
    """The locations named (each one known, in the order given) or all of them by name."""
    if slugs == "all":
        return [
            (i, s)
            for i, s in await session.execute(select(Location.id, Location.slug).order_by(Location.slug))
        ]
    if not slugs:
        raise InvalidInput("invalid_input", "locations")
    catalogue = await current_catalogue(session)
    found = [await catalogue.location_named(session, slug) for slug in dict.fromkeys(slugs)]
    return [(place.hours.location_id, place.hours.slug) for place in found]


async def _impact(
    session: AsyncSession, found: Sequence[tuple[int, str]], exception: DatedException, now: datetime
) -> Impact:
    catalogue = await current_catalogue(session)
    impact = Impact()
    for location_id, slug in found:
        zone = (await catalogue.location_named(session, slug)).hours.zone
        first, last = days_span(exception.date_from, exception.date_to, zone)
        bookings = await session.scalars(
            select(Booking)
            .join(Resource, Resource.id == Booking.resource_id)
            .where(
                Resource.location_id == location_id,
                Booking.purpose == BookingPurpose.VISITOR,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.start_at < last,
                Booking.end_at > max(first, now),
            )
            .options(selectinload(Booking.resource), selectinload(Booking.unit), selectinload(Booking.user))
            .order_by(Booking.start_at, Booking.id)
        )
        impact.bookings += [b for b in bookings if exception_touches(b.start_at, b.end_at, exception, zone)]
        sessions = [
            s
            for s in await session.scalars(
                select(WorkshopSession)
                .join(Resource, Resource.id == WorkshopSession.resource_id)
                .where(
                    Resource.location_id == location_id,
                    WorkshopSession.cancelled_at.is_(None),
                    WorkshopSession.start_at < last,
                    WorkshopSession.end_at > max(first, now),
                )
                .options(selectinload(WorkshopSession.workshop), selectinload(WorkshopSession.resource))
                .order_by(WorkshopSession.start_at, WorkshopSession.id)
            )
            if exception_touches(s.start_at, s.end_at, exception, zone)
        ]
        tallies = await session_tallies(session, [s.id for s in sessions])
        impact.sessions += [TouchedSession(s, tallies[s.id].taken, tallies[s.id].waiting) for s in sessions]
    return impact


async def closure_impact(
    db: Database,
    locations: Sequence[str] | Literal["all"],
    *,
    date_from: date,
    date_to: date,
    closed: bool = True,
    periods: Sequence[Period] = (),
    now: datetime,
) -> Impact:
    """What a closure on those dates would touch, so staff decide with the list in hand."""
    if date_to < date_from:
        raise InvalidInput("end_before_start", "date_to")
    async with db.read() as session:
        found = await _locations(session, locations)
        return await _impact(
            session, found, DatedException(date_from, date_to, closed, periods=tuple(periods)), now
        )


async def close_locations(
    db: Database,
    locations: Sequence[str] | Literal["all"],
    *,
    date_from: date,
    date_to: date,
    closed: bool,
    periods: Sequence[Period] = (),
    reason: str,
    reason_en: str | None = None,
    resolve: Resolve = "keep",
    sessions: SessionResolve = "keep",
    actor: User,
    now: datetime,
) -> Closure:
    """Enter one closure for several locations in one transaction and deal with what it touches.

    Bookings: `resolve` as for blocks, with nowhere to move to on a closed location. Sessions:
    "keep" lists them (staff move each to another time or room), "cancel" cancels each with a
    mail to everyone registered.
    """
    async with db.write() as session:
        found = await _locations(session, locations)
        exception = DatedException(date_from, date_to, closed, periods=tuple(periods))
        impact = await _impact(session, found, exception, now)
        made = [
            (
                slug,
                await add_opening_exception_within(
                    session,
                    location_id,
                    date_from=date_from,
                    date_to=date_to,
                    closed=closed,
                    periods=periods,
                    reason=reason,
                    reason_en=reason_en,
                    actor=actor,
                    now=now,
                ),
            )
            for location_id, slug in found
        ]
        away = OutOfService(locations=frozenset(i for i, _ in found))
        resolved = await resolve_bookings(
            session, impact.bookings, resolve, away, reason=reason, actor=actor, now=now
        )
        if sessions == "cancel":
            for index, touched in enumerate(impact.sessions):
                await move_or_cancel_session_within(
                    session,
                    touched.session.id,
                    start=None,
                    end=None,
                    cancel=True,
                    reason=reason,
                    actor=actor,
                    now=now,
                )
                impact.sessions[index] = TouchedSession(
                    touched.session, touched.participants, touched.waitlisted, cancelled=True
                )
    return Closure(made, impact, resolved)
