"""Hybrid workshops: attendance mode, an https stream that confirmed participants (or, where
public, everyone) see on their page, in their mail and calendar, and in the events feed."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

from icalendar import Calendar
from sqlalchemy import select

from library.accounts.models import Role
from library.db import Database
from library.notify.mail import Sender, build_message
from library.outbox.models import OutboxMessage
from library.workshops.rules import stream_problem, stream_visible
from tests.support.api import Client
from tests.support.factories import (
    assert_problem,
    bearer,
    create_location,
    create_resource,
    create_user,
    get_token,
)
from tests.support.times import FRIDAY, at

STREAM = "https://stream.example.org/loeten"


def test_the_stream_rules() -> None:
    assert stream_problem("hybrid", STREAM) is None
    assert stream_problem("online", None) is None
    assert stream_problem("hybrid", "http://stream.example.org/x") == "stream_url_not_https"
    assert stream_problem("online", "javascript:alert(1)") == "stream_url_not_https"
    assert stream_problem("online", "https:// spaced") == "stream_url_not_https"
    assert stream_problem("in_person", STREAM) == "stream_needs_online_mode"
    assert stream_visible(stream_public=False, confirmed=True)
    assert stream_visible(stream_public=True, confirmed=False)
    assert not stream_visible(stream_public=False, confirmed=False)


async def _hybrid(db: Database, client: Client, **stream: object) -> tuple[str, int, str, str]:
    """A hybrid session with a stream; Anna holds a place, Ben looks on; staff's and Anna's tokens."""
    location = await create_location(db)
    await create_resource(db, location, "makerspace", name="Makerspace")
    await create_user(db, "anna@example.org", birth_date=date(1990, 5, 1))
    await create_user(db, "ben@example.org", birth_date=date(1991, 5, 1))
    await create_user(db, "staff@example.org", role=Role.STAFF)
    staff = await get_token(client, "staff@example.org")
    created = await client.post(
        "/api/v1/workshops",
        json={"title": "Löten", "description": "Erste Schritte.", "factor": "knowhow"},
        headers=bearer(staff),
    )
    slug = created.json()["slug"]
    response = await client.post(
        f"/api/v1/workshops/{slug}/sessions",
        json={
            "start": at(FRIDAY, 16),
            "end": at(FRIDAY, 18),
            "room": "makerspace",
            "capacity": 5,
            "attendance_mode": "hybrid",
            "stream_url": STREAM,
            **stream,
        },
        headers=bearer(staff),
    )
    assert response.status_code == 201, response.text
    assert response.json()["attendance_mode"] == "hybrid"
    session_id = int(response.json()["id"])
    anna = await get_token(client)
    signed = await client.post(f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(anna))
    assert signed.status_code == 201, signed.text
    return slug, session_id, staff, anna


async def _mail(db: Database, kind: str) -> EmailMessage:
    async with db.read() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == kind))
        assert row is not None
        return await build_message(
            session, row, base_url="http://127.0.0.1:8000", sender=Sender("Bibliothek", "noreply@127.0.0.1")
        )


def _text_and_calendar(message: EmailMessage) -> tuple[str, str]:
    text, calendar = "", ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text += part.get_content()
        if part.get_content_type() == "text/calendar":
            calendar += part.get_content()
    return text, calendar


async def test_a_stream_must_be_https(db: Database, client: Client) -> None:
    location = await create_location(db)
    await create_resource(db, location, "makerspace", name="Makerspace")
    await create_user(db, "staff@example.org", role=Role.STAFF)
    staff = await get_token(client, "staff@example.org")
    created = await client.post(
        "/api/v1/workshops",
        json={"title": "T", "description": "", "factor": "knowhow"},
        headers=bearer(staff),
    )
    slug = created.json()["slug"]
    for mode, url, code in (
        ("hybrid", "http://stream.example.org/x", "stream_url_not_https"),
        ("in_person", STREAM, "stream_needs_online_mode"),
    ):
        response = await client.post(
            f"/api/v1/workshops/{slug}/sessions",
            json={
                "start": at(FRIDAY, 16),
                "end": at(FRIDAY, 18),
                "room": "makerspace",
                "capacity": 5,
                "attendance_mode": mode,
                "stream_url": url,
            },
            headers=bearer(staff),
        )
        body = assert_problem(response, 422, code)
        assert "stream_url" in str(body)


async def test_only_confirmed_participants_see_a_private_stream(db: Database, client: Client) -> None:
    slug, _session_id, _staff, anna = await _hybrid(db, client)
    ben = await get_token(client, "ben@example.org")
    mine = (await client.get("/api/v1/registrations", headers=bearer(anna))).json()
    assert mine["items"][0]["stream_url"] == STREAM
    listed = (await client.get(f"/api/v1/workshops/{slug}", headers=bearer(ben))).json()
    (shown,) = listed["sessions"]
    assert shown["attendance_mode"] == "hybrid"
    assert shown.get("stream_url") is None
    events = (await client.get("/api/v1/events.jsonld")).text
    assert "MixedEventAttendanceMode" in events
    assert STREAM not in events
    assert STREAM not in (await client.get(f"/workshops/{slug}")).text  # anonymous page

    text, calendar = _text_and_calendar(await _mail(db, "registration.confirmed"))
    assert STREAM in text
    (event,) = Calendar.from_ical(calendar).walk("VEVENT")
    assert STREAM in str(event["DESCRIPTION"])


async def test_a_public_stream_is_shown_to_everyone(db: Database, client: Client) -> None:
    slug, _session_id, _staff, _anna = await _hybrid(db, client, stream_public=True)
    listed = (await client.get(f"/api/v1/workshops/{slug}")).json()
    assert listed["sessions"][0]["stream_url"] == STREAM
    assert STREAM in (await client.get("/api/v1/events.jsonld")).text
    page = (await client.get(f"/workshops/{slug}")).text
    assert f'href="{STREAM}"' in page
