"""A visitor changes the time of their own booking from My bookings, within the house rules.

The clock stands at Tuesday 2026-12-01 09:00 UTC, 10:00 in Ulm.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from icalendar import Calendar
from sqlalchemy import select

from library.booking.models import Booking
from library.clock import SettableClock
from library.db import Database
from library.outbox.models import OutboxMessage
from tests.pages.test_my_bookings import booked, library
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import post_form, sign_in


def calendar_event(content: bytes) -> Any:
    return next(iter(Calendar.from_ical(content).walk("VEVENT")))


async def test_the_owner_moves_a_booking_to_another_free_time(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await library(db)
    booking_id = await booked(client, db, "2026-12-02T14:00:00+01:00", "2026-12-02T16:00:00+01:00")
    await sign_in(client, "anna@example.org")
    before = calendar_event((await client.get(f"/my/bookings/{booking_id}.ics")).content)
    clock.advance(timedelta(minutes=3))
    listed = await client.get("/my/bookings")
    assert f'href="/my/bookings/{booking_id}/move"' in listed.text
    form = await client.get(f"/my/bookings/{booking_id}/move")
    assert 'value="2026-12-02"' in form.text
    assert 'value="14:00"' in form.text

    moved = await post_form(
        client,
        f"/my/bookings/{booking_id}/move",
        {"date": "2026-12-03", "start": "10:00", "end": "12:00"},
        form_page=f"/my/bookings/{booking_id}/move",
    )

    assert moved.status_code == 303, moved.text
    assert moved.headers["location"] == "/my/bookings?done=moved"
    async with db.read() as session:
        row = await session.get(Booking, booking_id)
        kinds = list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
    assert row is not None
    assert row.start_at.isoformat() == "2026-12-03T09:00:00+00:00"
    assert kinds[-1] == "booking.moved"
    # The calendar file keeps the UID and carries a higher SEQUENCE than before the move.
    after = calendar_event((await client.get(f"/my/bookings/{booking_id}.ics")).content)
    assert str(after["uid"]) == str(before["uid"])
    assert int(str(after["sequence"])) > int(str(before["sequence"]))
    assert after.decoded("dtstart").isoformat() == "2026-12-03T09:00:00+00:00"


async def test_a_taken_time_keeps_what_was_typed_and_names_free_times(client: Client, db: Database) -> None:
    await library(db)
    await factories.create_user(db, "ben@example.org", name="Ben")
    mine = await booked(client, db, "2026-12-02T10:00:00+01:00", "2026-12-02T11:00:00+01:00")
    token = await factories.get_token(client, "ben@example.org")
    taken = await client.post(
        "/api/v1/bookings",
        json={
            "resource": "gruppenraum-1",
            "start": "2026-12-02T14:00:00+01:00",
            "end": "2026-12-02T15:00:00+01:00",
        },
        headers=factories.bearer(token),
    )
    assert taken.status_code == 201
    await sign_in(client, "anna@example.org")

    refused = await post_form(
        client,
        f"/my/bookings/{mine}/move",
        {"date": "2026-12-02", "start": "14:00", "end": "15:00"},
        form_page=f"/my/bookings/{mine}/move",
    )
    closed = await post_form(
        client,
        f"/my/bookings/{mine}/move",
        {"date": "2026-12-02", "start": "21:00", "end": "22:00"},
        form_page=f"/my/bookings/{mine}/move",
    )

    assert refused.status_code == 409
    assert 'value="14:00"' in refused.text
    assert 'id="alternatives-title"' in refused.text
    assert closed.status_code == 403
    assert "Öffnungszeiten" in closed.text
    async with db.read() as session:
        row = await session.get(Booking, mine)
    assert row is not None
    assert row.start_at.isoformat() == "2026-12-02T09:00:00+00:00"


async def test_nobody_moves_another_persons_booking(client: Client, db: Database) -> None:
    await library(db)
    await factories.create_user(db, "ben@example.org", name="Ben")
    annas = await booked(client, db, "2026-12-02T10:00:00+01:00", "2026-12-02T11:00:00+01:00")
    await sign_in(client, "ben@example.org")

    page = await client.get(f"/my/bookings/{annas}/move")
    attempt = await post_form(
        client,
        f"/my/bookings/{annas}/move",
        {"date": "2026-12-03", "start": "10:00", "end": "11:00"},
        form_page="/my/bookings",
    )

    assert page.status_code == 404
    assert attempt.status_code == 404
