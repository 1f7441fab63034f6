"""Calendar feeds (iCalendar) to subscribe to: a resource's busy times, a location's
workshops, and one person's own bookings and registrations behind a secret URL.

Times are UTC and UIDs stable (a person's booking has the same UID here as in its mails),
so calendars update events instead of duplicating them. What is cancelled is left out and
disappears from subscribed calendars on their next fetch. The public feeds carry no names,
e-mail addresses or notes: only that and when something is busy.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from library.accounts.models import User
from library.accounts.service import digest, new_secret
from library.booking.models import ACTIVE_STATUSES, Booking, BookingPurpose, BookingStatus
from library.catalog.models import Location, Resource, Unit, UnitBlock, UnitStatus
from library.db import Database, dialect_of
from library.i18n import N_, Lang, known_language, pick, translate
from library.notify.ics import (
    EventFacts,
    booking_uid,
    host_of,
    new_calendar,
    new_event,
    registration_uid,
    sequence_at,
    to_bytes,
)
from library.workshops.models import Registration, RegistrationStatus, Workshop, WorkshopSession
from library.workshops.queries import stream_for

PUBLIC_PAST = timedelta(days=1)
PUBLIC_AHEAD = timedelta(days=90)
WORKSHOPS_AHEAD = timedelta(days=180)
PRIVATE_PAST = timedelta(days=30)
REFRESH_HOURS = 1
MAX_TOKEN_LENGTH = 200

BUSY_STATUSES = (*ACTIVE_STATUSES, BookingStatus.COMPLETED)
"""Bookings that hold (or held) their time; cancelled, rejected and no-shows are left out."""

FEED_REGISTRATIONS = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.ATTENDED,
    RegistrationStatus.OFFERED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.ENTERED,
)
REGISTRATION_NOTE = {
    RegistrationStatus.OFFERED: N_("place offered, please confirm"),
    RegistrationStatus.WAITLISTED: N_("waiting list"),
    RegistrationStatus.ENTERED: N_("in the draw"),
}


@dataclass(frozen=True)
class Feed:
    body: bytes
    private: bool


def download_name(name: str, day: date, fallback: str) -> str:
    """A calendar file named after what it holds, e.g. `3d-drucker-2026-12-12.ics`: ASCII only
    (umlauts spelt out, anything else a dash), so every browser and mail program keeps it."""
    spelt = name.lower()
    for umlaut, spelling in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        spelt = spelt.replace(umlaut, spelling)
    ascii_only = unicodedata.normalize("NFKD", spelt).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:60].strip("-") or fallback
    return f"{stem}-{day.isoformat()}.ics"


def feed_name(name: str) -> str | None:
    """`gruppenraum-1.ics` -> `gruppenraum-1`; anything else names no feed."""
    stem, dot, extension = name.rpartition(".")
    return stem if dot and extension == "ics" and stem else None


def place(location: Location, lang: Lang, room: str | None = None) -> str:
    parts = [room, pick(lang, location.name, location.name_en), location.address]
    return ", ".join(part for part in parts if part)


async def resource_feed(
    session: AsyncSession, slug: str, *, now: datetime, base_url: str, lang: Lang
) -> Feed | None:
    """When a resource is busy in the next ~90 days: one event per booking or block."""
    resource = await session.scalar(
        select(Resource).where(Resource.slug == slug).options(joinedload(Resource.location))
    )
    if resource is None:
        return None
    units = {
        unit.id: pick(lang, unit.label, unit.label_en)
        for unit in await session.scalars(
            select(Unit).where(Unit.resource_id == resource.id, Unit.status == UnitStatus.AVAILABLE)
        )
    }
    several = len(units) > 1
    name = pick(lang, resource.name, resource.name_en)
    where = place(resource.location, lang, name)
    host = host_of(base_url)
    start, end = now - PUBLIC_PAST, now + PUBLIC_AHEAD
    calendar = new_calendar(name=f"{name} ({translate(lang, N_('busy'))})", refresh_hours=REFRESH_HOURS)

    def occupied(
        uid: str, word: str, unit_id: int, begins: datetime, ends: datetime, stamp: datetime, *, revised: bool
    ) -> None:
        """One busy time: the word and the offer, with the unit where the offer has several; a
        `revised` one (a booking, which can change) tells calendars which version it is."""
        unit = units.get(unit_id)
        calendar.add_component(
            new_event(
                EventFacts(
                    uid=f"{uid}@{host}",
                    start=begins,
                    end=ends,
                    summary=f"{word}: {name}" + (f" ({unit})" if several and unit else ""),
                    stamp=stamp,
                    location=where,
                    status="CONFIRMED",
                    sequence=sequence_at(stamp) if revised else None,
                    last_modified=stamp if revised else None,
                )
            )
        )

    busy_word = translate(lang, N_("Busy"))
    bookings = await session.execute(
        select(Booking.id, Booking.unit_id, Booking.occupied_start, Booking.occupied_end, Booking.updated_at)
        .where(
            Booking.resource_id == resource.id,
            Booking.status.in_(BUSY_STATUSES),
            Booking.occupied_end > start,
            Booking.occupied_start < end,
        )
        .order_by(Booking.occupied_start, Booking.id)
    )
    for booking_id, unit_id, busy_from, busy_until, updated_at in bookings:
        # Not the booking's own UID: a public busy time is not the person's event.
        occupied(f"busy-{booking_id}", busy_word, unit_id, busy_from, busy_until, updated_at, revised=True)
    blocks = await session.execute(
        select(UnitBlock.id, UnitBlock.unit_id, UnitBlock.start_at, UnitBlock.end_at, UnitBlock.created_at)
        .join(Unit, Unit.id == UnitBlock.unit_id)
        .where(Unit.resource_id == resource.id, UnitBlock.end_at > start, UnitBlock.start_at < end)
        .order_by(UnitBlock.start_at, UnitBlock.id)
    )
    blocked_word = translate(lang, N_("Blocked"))
    for block_id, unit_id, block_from, block_until, made_at in blocks:
        occupied(f"block-{block_id}", blocked_word, unit_id, block_from, block_until, made_at, revised=False)
    return Feed(to_bytes(calendar), private=False)


async def workshops_feed(
    session: AsyncSession, location_slug: str, *, now: datetime, base_url: str, lang: Lang
) -> Feed | None:
    """A location's upcoming workshop sessions (cancelled ones are left out)."""
    location = await session.scalar(select(Location).where(Location.slug == location_slug))
    if location is None:
        return None
    host = host_of(base_url)
    calendar = new_calendar(
        name=f"{translate(lang, N_('Workshops'))}: {pick(lang, location.name, location.name_en)}",
        refresh_hours=REFRESH_HOURS,
    )
    sessions = await session.scalars(
        select(WorkshopSession)
        .join(Resource, Resource.id == WorkshopSession.resource_id)
        .where(
            Resource.location_id == location.id,
            WorkshopSession.cancelled_at.is_(None),
            WorkshopSession.end_at > now - PUBLIC_PAST,
            WorkshopSession.start_at < now + WORKSHOPS_AHEAD,
        )
        .options(joinedload(WorkshopSession.workshop), joinedload(WorkshopSession.resource))
        .order_by(WorkshopSession.start_at, WorkshopSession.id)
    )
    for workshop_session in sessions:
        workshop: Workshop = workshop_session.workshop
        room = workshop_session.resource
        url = f"{base_url}/workshops/{workshop.slug}"
        description = pick(lang, workshop.description, workshop.description_en).strip()
        calendar.add_component(
            new_event(
                EventFacts(
                    uid=f"workshop-session-{workshop_session.id}@{host}",
                    start=workshop_session.start_at,
                    end=workshop_session.end_at,
                    summary=pick(lang, workshop.title, workshop.title_en),
                    stamp=workshop_session.created_at,
                    location=place(location, lang, pick(lang, room.name, room.name_en)),
                    description=f"{description}\n\n{url}" if description else url,
                    url=url,
                    status="CONFIRMED",
                )
            )
        )
    return Feed(to_bytes(calendar), private=False)


def booking_event(booking: Booking, lang: Lang, base_url: str) -> EventFacts:
    """A person's booking as a calendar event: the same UID and sequence in the feed and a download.

    The booking comes with its resource, the resource's location and its unit loaded.
    """
    resource = booking.resource
    name = pick(lang, resource.name, resource.name_en)
    url = f"{base_url}/bookings/{booking.id}"
    pending = booking.status is BookingStatus.PENDING
    note = f" ({translate(lang, N_('awaiting approval'))})" if pending else ""
    unit = pick(lang, booking.unit.label, booking.unit.label_en)
    return EventFacts(
        uid=booking_uid(booking.id, host_of(base_url)),
        start=booking.start_at,
        end=booking.end_at,
        summary=f"{name}{note}",
        stamp=booking.updated_at,
        location=place(resource.location, lang, name),
        description=f"{translate(lang, N_('Unit'))}: {unit}\n{url}",
        url=url,
        status="TENTATIVE" if pending else "CONFIRMED",
        sequence=sequence_at(booking.updated_at),
        last_modified=booking.updated_at,
    )


async def user_for_feed(session: AsyncSession, token: str) -> User | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return await session.scalar(
        select(User).where(
            User.calendar_token_hash == digest(token),
            User.is_active.is_(True),
            User.deleted_at.is_(None),
        )
    )


async def user_feed(session: AsyncSession, token: str, *, now: datetime, base_url: str) -> Feed | None:
    """One person's bookings and registrations, from a month back on, in their language."""
    user = await user_for_feed(session, token)
    if user is None:
        return None
    lang = known_language(user.language.value)
    host = host_of(base_url)
    calendar = new_calendar(
        name=translate(lang, N_("Ulm City Library: my dates")),
        refresh_hours=REFRESH_HOURS,
    )
    bookings = await session.scalars(
        select(Booking)
        .where(
            Booking.user_id == user.id,
            Booking.purpose == BookingPurpose.VISITOR,  # not a loan or an offered slot
            Booking.status.in_(BUSY_STATUSES),
            Booking.end_at > now - PRIVATE_PAST,
        )
        .options(joinedload(Booking.resource).joinedload(Resource.location), joinedload(Booking.unit))
        .order_by(Booking.start_at, Booking.id)
    )
    for booking in bookings:
        calendar.add_component(new_event(booking_event(booking, lang, base_url)))
    registrations = await session.execute(
        select(Registration, WorkshopSession)
        .join(WorkshopSession, WorkshopSession.id == Registration.session_id)
        .where(
            Registration.user_id == user.id,
            Registration.status.in_(FEED_REGISTRATIONS),
            WorkshopSession.cancelled_at.is_(None),
            WorkshopSession.end_at > now - PRIVATE_PAST,
        )
        .options(
            joinedload(WorkshopSession.workshop),
            joinedload(WorkshopSession.resource).joinedload(Resource.location),
        )
        .order_by(WorkshopSession.start_at, Registration.id)
    )
    for registration, workshop_session in registrations:
        workshop, room = workshop_session.workshop, workshop_session.resource
        url = f"{base_url}/registrations/{registration.id}"
        remark = REGISTRATION_NOTE.get(registration.status)
        holding = registration.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)
        title = pick(lang, workshop.title, workshop.title_en)
        stream = stream_for(registration, workshop_session)
        calendar.add_component(
            new_event(
                EventFacts(
                    uid=registration_uid(registration.id, host),
                    start=workshop_session.start_at,
                    end=workshop_session.end_at,
                    summary=f"{title} ({translate(lang, remark)})" if remark else title,
                    stamp=registration.updated_at,
                    location=place(room.location, lang, pick(lang, room.name, room.name_en)),
                    description=f"{url}\n{stream}" if stream else url,
                    url=url,
                    status="CONFIRMED" if holding else "TENTATIVE",
                    last_modified=registration.updated_at,
                    transparent=not holding,
                )
            )
        )
    return Feed(to_bytes(calendar), private=True)


def user_feed_url(base_url: str, token: str) -> str:
    return f"{base_url}/calendar/users/{token}.ics"


async def renew_calendar_token(db: Database, user_id: int) -> str:
    """A new secret for the person's feed; the old URL stops working. Only its hash is kept."""
    async with db.write() as session:
        token = new_secret()
        user = await session.get(User, user_id, with_for_update=dialect_of(session) == "postgresql")
        if user is None:
            raise LookupError(user_id)
        user.calendar_token_hash = digest(token)
        return token


async def revoke_calendar_token(db: Database, user_id: int) -> bool:
    async with db.write() as session:
        user = await session.get(User, user_id)
        if user is None or user.calendar_token_hash is None:
            return False
        user.calendar_token_hash = None
        return True
