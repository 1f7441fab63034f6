"""Upcoming workshop sessions as schema.org Events (JSON-LD), for city apps and search engines.

The `@context` is inline (schema.org as the vocabulary, enumerations and links coerced), so a
JSON-LD processor expands it without fetching anything. Counts only, never a participant.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from library.workshops.models import Workshop, WorkshopSession
from library.workshops.queries import SESSION_PLACE, Tally, session_tallies
from library.workshops.rules import session_state
from library.workshops.service import session_facts

SCHEMA = "https://schema.org/"
CONTEXT: dict[str, Any] = {
    "@vocab": SCHEMA,
    "url": {"@type": "@id"},
    "eventAttendanceMode": {"@type": "@vocab"},
    "eventStatus": {"@type": "@vocab"},
    "availability": {"@type": "@vocab"},
    "startDate": {"@type": f"{SCHEMA}DateTime"},
    "endDate": {"@type": f"{SCHEMA}DateTime"},
}
ATTENDANCE = {
    "in_person": "OfflineEventAttendanceMode",
    "online": "OnlineEventAttendanceMode",
    "hybrid": "MixedEventAttendanceMode",
}
AVAILABILITY = {
    "open": "InStock",
    "full": "SoldOut",
    "upcoming": "PreOrder",
    "closed": "SoldOut",
    "drawn": "SoldOut",
}
EVENTS_LIMIT = 500


def _age_range(min_age: int | None, max_age: int | None) -> str | None:
    if min_age is None and max_age is None:
        return None
    return f"{min_age or 0}-{max_age if max_age is not None else ''}"


def _with_stream(place: dict[str, Any], item: WorkshopSession) -> list[dict[str, Any]]:
    """An online or hybrid session's places: the room (unless online only) and the stream,
    whose address is published only where the stream is public."""
    virtual: dict[str, Any] = {"@type": "VirtualLocation"}
    if item.stream_public and item.stream_url:
        virtual["url"] = item.stream_url
    return [virtual] if item.attendance_mode.value == "online" else [place, virtual]


def session_event(item: WorkshopSession, tally: Tally, *, now: datetime, base_url: str) -> dict[str, Any]:
    """One session (workshop, room and location loaded) as a schema.org Event; a hybrid session's
    capacity is its room and online places together."""
    workshop = item.workshop
    location = item.resource.location
    zone = ZoneInfo(location.timezone)
    page = f"{base_url}/workshops/{workshop.slug}"
    place: dict[str, Any] = {"@type": "Place", "name": location.name, "address": location.address}
    if location.latitude is not None and location.longitude is not None:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": location.latitude,
            "longitude": location.longitude,
        }
    event: dict[str, Any] = {
        "@type": "Event",
        "@id": f"{page}#session-{item.id}",
        "name": workshop.title,
        "description": workshop.description,
        "startDate": item.start_at.astimezone(zone).isoformat(),
        "endDate": item.end_at.astimezone(zone).isoformat(),
        "location": place if item.attendance_mode.value == "in_person" else _with_stream(place, item),
        "url": page,
        "eventAttendanceMode": ATTENDANCE[item.attendance_mode.value],
        "eventStatus": "EventScheduled",
        "maximumAttendeeCapacity": item.capacity + (item.online_capacity or 0),
        "remainingAttendeeCapacity": max(0, item.capacity - tally.room_taken(item))
        + max(0, (item.online_capacity or 0) - tally.online_taken),
        "offers": {
            "@type": "Offer",
            "price": 0,
            "priceCurrency": "EUR",
            "url": page,
            "availability": AVAILABILITY[
                session_state(session_facts(item), now, tally.taken, tally.online_taken)
            ],
            "validFrom": item.registration_opens.astimezone(zone).isoformat(),
        },
        "inLanguage": workshop.language,
        "organizer": {"@type": "Organization", "name": workshop.host},
    }
    age_range = _age_range(workshop.min_age, workshop.max_age)
    if age_range is not None:
        event["typicalAgeRange"] = age_range
    return event


async def upcoming_events(
    session: AsyncSession, *, now: datetime, base_url: str, workshop_slug: str | None = None
) -> dict[str, Any]:
    """Sessions not over and not cancelled, soonest first, as one JSON-LD document."""
    statement = (
        select(WorkshopSession)
        .join(Workshop, Workshop.id == WorkshopSession.workshop_id)
        .where(WorkshopSession.end_at > now, WorkshopSession.cancelled_at.is_(None))
        .options(joinedload(WorkshopSession.workshop), *SESSION_PLACE)
        .order_by(WorkshopSession.start_at, WorkshopSession.id)
        .limit(EVENTS_LIMIT)
    )
    if workshop_slug is not None:
        statement = statement.where(Workshop.slug == workshop_slug)
    sessions: Sequence[WorkshopSession] = (await session.scalars(statement)).all()
    tallies = await session_tallies(session, [s.id for s in sessions])
    return {
        "@context": CONTEXT,
        "@graph": [session_event(s, tallies[s.id], now=now, base_url=base_url) for s in sessions],
    }


def script_json(document: dict[str, Any]) -> Markup:
    """JSON for a `<script type="application/ld+json">` block: no `<`, `>` or `&` to end it early."""
    text = json.dumps(document, ensure_ascii=False)
    return Markup(  # noqa: S704 - the three characters that could close the block are escaped
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
