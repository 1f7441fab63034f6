"""A moved booking's mail: the new time, the reason, and a calendar request that updates the entry
(same UID, higher SEQUENCE), sent through the outbox to a real SMTP server on loopback."""

from __future__ import annotations

from datetime import timedelta

from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from tests.support.api import Client, booked
from tests.support.factories import bearer, get_token
from tests.support.mail import Inbox, library_with_readers, send, text_of
from tests.support.times import WEDNESDAY, at, utc
from tests.system.test_notify import calendar_of, single_event


async def test_a_move_by_staff_updates_the_calendar_entry_and_says_why(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    booking = await booked(
        client, await get_token(client), "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16)
    )
    assert await send(db, clock, settings, smtp) == 1
    clock.advance(timedelta(minutes=5))
    staff = await get_token(client, "staff@example.org")

    moved = await client.patch(
        f"/api/v1/bookings/{booking['id']}",
        json={"start": at(WEDNESDAY, 17), "end": at(WEDNESDAY, 19), "reason": "Wasserschaden"},
        headers=bearer(staff),
    )
    assert moved.status_code == 200, moved.text
    assert await send(db, clock, settings, smtp) == 1

    confirmation, moving = smtp.accepted
    assert moving["Subject"].startswith("Buchung verschoben: Gruppenraum 1")
    assert "17:00" in moving["Subject"]
    assert "Wasserschaden" in text_of(moving)
    method, calendar = calendar_of(moving)
    assert method == "REQUEST"
    first, second = single_event(calendar_of(confirmation)[1]), single_event(calendar)
    assert str(second["UID"]) == str(first["UID"]) == f"booking-{booking['id']}@127.0.0.1"
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert second.decoded("DTSTART") == utc(WEDNESDAY, 17)
    assert second.decoded("DTEND") == utc(WEDNESDAY, 19)


async def test_a_booking_cancelled_by_a_block_names_what_is_free_then(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    ben = await get_token(client, "ben@example.org")
    booking = await booked(client, ben, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    assert await send(db, clock, settings, smtp) == 1
    staff = await get_token(client, "staff@example.org")

    blocked = await client.post(
        f"/api/v1/units/{booking['unit']['id']}/blocks",
        json={
            "start": at(WEDNESDAY, 8),
            "end": at(WEDNESDAY, 20),
            "reason": "Wasserschaden",
            "resolve": "cancel",
        },
        headers=bearer(staff),
    )
    assert blocked.status_code == 201, blocked.text
    assert blocked.json()["cancelled"] == [booking["id"]]
    assert await send(db, clock, settings, smtp) == 1

    cancellation = smtp.accepted[-1]
    text = text_of(cancellation)
    assert cancellation["Subject"].startswith("Booking cancelled: Group room 1")
    assert "Wasserschaden" in text
    assert "Free at the same time: Group room 2, Makerspace" in text
