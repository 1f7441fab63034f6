"""Calendar feeds: a resource's busy times, a location's workshops, a person's private feed."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from httpx import Response
from icalendar import Calendar
from sqlalchemy import select

from library.accounts.models import Language, Role, User
from library.catalog.models import Resource, ResourceKind
from library.db import Database
from library.workshops.models import Workshop
from tests.support.api import Client
from tests.support.factories import (
    assert_problem,
    bearer,
    create_location,
    create_resource,
    create_user,
    get_token,
)
from tests.support.times import FRIDAY, THURSDAY, WEDNESDAY, at, utc


async def library(db: Database) -> None:
    location = await create_location(db)
    await create_resource(db, location, "gruppenraum-1", name="Gruppenraum 1", name_en="Group room 1")
    await create_resource(db, location, "3d-drucker", name="3D-Drucker", kind=ResourceKind.DEVICE, units=2)
    await create_resource(db, location, "makerspace", name="Makerspace")
    await create_user(db, "anna@example.org", name="Anna Muster", birth_date=date(1990, 5, 1))
    await create_user(db, "ben@example.org", name="Ben Smith", language=Language.EN)
    await create_user(db, "staff@example.org", name="Sabine Beispiel", role=Role.STAFF)


async def book(client: Client, token: str, resource: str, start: str, end: str, **extra: Any) -> Any:
    response = await client.post(
        "/api/v1/bookings",
        json={"resource": resource, "start": start, "end": end, **extra},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    return response.json()


def events(response: Response) -> list[Any]:
    """The feed's events, each checked for what every VEVENT must carry, times in UTC."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0"
    found = list(calendar.walk("VEVENT"))
    for event in found:
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND"):
            assert name in event, f"{name} missing"
        assert event.decoded("DTSTART").utcoffset().total_seconds() == 0
        assert event.decoded("DTEND").utcoffset().total_seconds() == 0
        assert event.decoded("DTSTART") < event.decoded("DTEND")
    return found


def uids(found: list[Any]) -> list[str]:
    return [str(event["UID"]) for event in found]


async def test_the_resource_feed_shows_busy_times_and_no_personal_data(db: Database, client: Client) -> None:
    await library(db)
    anna = await get_token(client)
    booking = await book(
        client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16), note="Geburtstag von Anna"
    )
    ben = await get_token(client, "ben@example.org")
    await book(client, ben, "3d-drucker", at(THURSDAY, 10), at(THURSDAY, 12))
    staff = await get_token(client, "staff@example.org")
    printer = await book(
        client, staff, "3d-drucker", at(FRIDAY, 10), at(FRIDAY, 11), for_user="anna@example.org"
    )
    block = await client.post(
        f"/api/v1/units/{printer['unit']['id']}/blocks",
        json={"start": at(FRIDAY, 14), "end": at(FRIDAY, 16), "reason": "Düse tauschen (Herr Huber)"},
        headers=bearer(staff),
    )
    assert block.status_code == 201, block.text

    room = await client.get("/calendar/resources/gruppenraum-1.ics")
    (event,) = events(room)
    assert event.decoded("DTSTART") == utc(WEDNESDAY, 14)
    assert event.decoded("DTEND") == utc(WEDNESDAY, 16)
    assert b"DTSTART:20261202T130000Z" in room.content
    assert "Gruppenraum 1" in str(event["SUMMARY"])
    assert room.headers["cache-control"].startswith("public")
    again = await client.get("/calendar/resources/gruppenraum-1.ics")
    assert uids(events(again)) == uids([event])  # stable UIDs

    devices = await client.get("/calendar/resources/3d-drucker.ics")
    found = events(devices)
    assert len(found) == 3  # two bookings and the block
    assert len(set(uids(found))) == 3
    assert [e.decoded("DTSTART") for e in found] == [utc(THURSDAY, 10), utc(FRIDAY, 10), utc(FRIDAY, 14)]
    *bookings, blocked = found
    assert all(str(e["SUMMARY"]).startswith("Belegt: 3D-Drucker (") for e in bookings)  # with the unit
    assert str(blocked["SUMMARY"]).startswith("Gesperrt: 3D-Drucker (")
    assert all("SEQUENCE" in e and "LAST-MODIFIED" in e for e in bookings)  # a booking can change
    assert "SEQUENCE" not in blocked
    assert "LAST-MODIFIED" not in blocked

    for feed in (room, devices):
        text = feed.content.decode()
        for personal in (
            "Anna",
            "Muster",
            "anna@example.org",
            "Ben",
            "Smith",
            "Geburtstag",
            "Huber",
            "Sabine",
        ):
            assert personal not in text
        assert "ATTENDEE" not in text
        assert "ORGANIZER" not in text

    cancelled = await client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={}, headers=bearer(anna))
    assert cancelled.status_code == 200, cancelled.text
    assert events(await client.get("/calendar/resources/gruppenraum-1.ics")) == []

    english = await client.get("/calendar/resources/gruppenraum-1.ics", headers={"Accept-Language": "en"})
    assert b"Group room 1" in english.content
    assert_problem(await client.get("/calendar/resources/nonsense.ics"), 404, "not_found")
    assert_problem(await client.get("/calendar/resources/gruppenraum-1"), 404, "not_found")
    assert_problem(await client.get("/calendar/resources/gruppenraum-1.json"), 404, "not_found")


async def new_session(client: Client, staff: str, slug: str, day: date, hour: int, capacity: int = 5) -> int:
    response = await client.post(
        f"/api/v1/workshops/{slug}/sessions",
        json={"start": at(day, hour), "end": at(day, hour + 2), "room": "makerspace", "capacity": capacity},
        headers=bearer(staff),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def new_workshop(client: Client, staff: str) -> str:
    response = await client.post(
        "/api/v1/workshops",
        json={
            "title": "Löten für Einsteiger",
            "title_en": "Soldering for beginners",
            "description": "Erste Schritte mit dem Lötkolben.",
            "factor": "knowhow",
        },
        headers=bearer(staff),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["slug"])


async def test_a_private_feed_lists_ones_own_dates_until_its_address_is_renewed(
    db: Database, client: Client
) -> None:
    await library(db)
    anna = await get_token(client)
    ben = await get_token(client, "ben@example.org")
    staff = await get_token(client, "staff@example.org")
    mine = await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    later = await book(client, anna, "gruppenraum-1", at(THURSDAY, 14), at(THURSDAY, 15))
    await book(client, ben, "gruppenraum-1", at(FRIDAY, 14), at(FRIDAY, 15))
    slug = await new_workshop(client, staff)
    session_id = await new_session(client, staff, slug, FRIDAY, 16)
    registered = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(anna)
    )
    assert registered.status_code == 201, registered.text
    registration_id = registered.json()["id"]

    assert_problem(await client.post("/api/v1/me/calendar-token"), 401, "unauthenticated")
    created = await client.post("/api/v1/me/calendar-token", headers=bearer(anna))
    assert created.status_code == 201, created.text
    url = created.json()["url"]
    assert url.startswith("http://127.0.0.1:8000/calendar/users/")
    assert url.endswith(".ics")
    assert created.json()["webcal_url"] == "webcal://" + url.removeprefix("http://")
    path = urlsplit(url).path
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    async with db.read() as session:
        stored = await session.scalar(
            select(User.calendar_token_hash).where(User.email == "anna@example.org")
        )
    assert stored == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept

    feed = await client.get(path)
    found = events(feed)
    assert uids(found) == [
        f"booking-{mine['id']}@127.0.0.1",
        f"booking-{later['id']}@127.0.0.1",
        f"registration-{registration_id}@127.0.0.1",
    ]
    assert found[0].decoded("DTSTART") == utc(WEDNESDAY, 14)
    assert "Gruppenraum 1" in str(found[0]["SUMMARY"])
    assert "Vestgasse 1" in str(found[0]["LOCATION"])
    assert "Löten" in str(found[2]["SUMMARY"])
    assert found[2].decoded("DTEND") == utc(FRIDAY, 18)
    assert feed.headers["cache-control"].startswith("private")
    assert b"Ben" not in feed.content

    cancelled = await client.post(f"/api/v1/bookings/{later['id']}/cancel", json={}, headers=bearer(anna))
    assert cancelled.status_code == 200, cancelled.text
    assert f"booking-{later['id']}@127.0.0.1" not in uids(events(await client.get(path)))

    renewed = await client.post("/api/v1/me/calendar-token", headers=bearer(anna))
    new_path = urlsplit(renewed.json()["url"]).path
    assert new_path != path
    assert_problem(await client.get(path), 404, "not_found")
    assert len(events(await client.get(new_path))) == 2

    switched_off = await client.delete("/api/v1/me/calendar-token", headers=bearer(anna))
    assert switched_off.status_code == 204
    assert_problem(await client.get(new_path), 404, "not_found")
    assert_problem(await client.get("/calendar/users/guess.ics"), 404, "not_found")
    assert_problem(await client.get("/calendar/users/.ics"), 404, "not_found")


async def test_the_workshops_feed_lists_a_locations_upcoming_sessions(db: Database, client: Client) -> None:
    await library(db)
    staff = await get_token(client, "staff@example.org")
    slug = await new_workshop(client, staff)
    kept = await new_session(client, staff, slug, THURSDAY, 14)
    dropped = await new_session(client, staff, slug, FRIDAY, 14)
    anna = await get_token(client)
    registered = await client.post(f"/api/v1/workshop-sessions/{kept}/registrations", headers=bearer(anna))
    assert registered.status_code == 201, registered.text

    feed = await client.get("/calendar/locations/zentralbibliothek/workshops.ics")
    found = events(feed)
    assert uids(found) == [f"workshop-session-{kept}@127.0.0.1", f"workshop-session-{dropped}@127.0.0.1"]
    assert str(found[0]["SUMMARY"]) == "Löten für Einsteiger"
    assert "Makerspace" in str(found[0]["LOCATION"])
    assert f"/workshops/{slug}" in str(found[0]["URL"])
    assert found[0].decoded("DTSTART") == utc(THURSDAY, 14)
    assert b"Anna" not in feed.content
    assert b"anna@example.org" not in feed.content

    cancelled = await client.post(
        f"/api/v1/workshop-sessions/{dropped}/cancel", json={"reason": "Krankheit"}, headers=bearer(staff)
    )
    assert cancelled.status_code == 200, cancelled.text
    after = events(await client.get("/calendar/locations/zentralbibliothek/workshops.ics"))
    assert uids(after) == [f"workshop-session-{kept}@127.0.0.1"]
    assert_problem(await client.get("/calendar/locations/nowhere/workshops.ics"), 404, "not_found")


async def test_the_feeds_are_in_the_openapi_document(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in (
        "/calendar/resources/{feed}",
        "/calendar/users/{feed}",
        "/calendar/locations/{slug}/workshops.ics",
        "/api/v1/me/calendar-token",
        "/api/v1/outbox",
        "/api/v1/outbox/{message_id}/retry",
    ):
        assert path in paths, path


async def test_a_name_stored_with_control_characters_does_not_break_a_feed(
    db: Database, client: Client
) -> None:
    """Rows from before the rule held (inserted directly here) are written on one line."""
    await library(db)
    anna = await get_token(client)
    await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    async with db.write() as session:
        room = await session.scalar(select(Resource).where(Resource.slug == "gruppenraum-1"))
        assert room is not None
        room.name = "Raum\r\nX-Injected: 1\u0007"  # a bell: PostgreSQL text cannot hold a NUL

    response = await client.get("/calendar/resources/gruppenraum-1.ics")

    (event,) = events(response)
    assert str(event["SUMMARY"]).endswith("Raum X-Injected: 1 ")
    assert b"\r\nX-Injected" not in response.content


async def test_a_private_feed_writes_old_texts_with_control_characters_safely(
    db: Database, client: Client
) -> None:
    """The person's own feed escapes what it writes too: a workshop title and a room name stored
    before the rule held (inserted directly) stay on one line, nothing is injected."""
    await library(db)
    anna = await get_token(client)
    staff = await get_token(client, "staff@example.org")
    await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    slug = await new_workshop(client, staff)
    session_id = await new_session(client, staff, slug, FRIDAY, 16)
    registered = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(anna)
    )
    assert registered.status_code == 201, registered.text
    async with db.write() as session:
        room = await session.scalar(select(Resource).where(Resource.slug == "gruppenraum-1"))
        workshop = await session.scalar(select(Workshop).where(Workshop.slug == slug))
        assert room is not None
        assert workshop is not None
        room.name = "Raum\r\nATTENDEE:mailto:evil@example.org"
        workshop.title = "Kurs\nX-Injected: 1\u0085"
    created = await client.post("/api/v1/me/calendar-token", headers=bearer(anna))
    feed = await client.get(urlsplit(created.json()["url"]).path)
    found = events(feed)
    summaries = sorted(str(event["SUMMARY"]) for event in found)
    assert len(summaries) == 2
    assert all("\n" not in summary and "\r" not in summary for summary in summaries)
    assert b"\r\nATTENDEE:mailto:evil" not in feed.content
    assert b"\r\nX-Injected" not in feed.content
