"""Notifications end to end: outbox rows become mails on a real SMTP server on loopback.

The server (aiosmtpd, in a thread) keeps what it accepts; it can refuse for a while, refuse
for good, or hold a delivery to let a test kill the worker in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from library import scheduler
from library.accounts.models import User
from library.audit.models import AuditEntry
from library.catalog.models import Location, ResourceKind, Unit
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.notify.worker import SmtpTarget
from library.outbox.models import OutboxStatus
from library.outbox.queue import MAX_ATTEMPTS, MAX_DELAY, backoff, enqueue, message_id
from library.scheduler import run_jobs_once
from tests.support.api import Client, booked
from tests.support.factories import (
    assert_problem,
    bearer,
    create_certification,
    create_location,
    create_resource,
    create_user,
    get_token,
)
from tests.support.mail import Inbox, html_of, library_with_readers, outbox, send, text_of
from tests.support.times import FRIDAY, WEDNESDAY, at, utc

HOST = "127.0.0.1"  # of the test settings' base URL, in every Message-ID

# --- the SMTP server ---------------------------------------------------------------------


# --- helpers ----------------------------------------------------------------------------


def calendar_of(message: EmailMessage) -> tuple[str, Calendar]:
    """The .ics attachment: the method in its Content-Type, and the parsed calendar."""
    attachments = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(attachments) == 1
    part = attachments[0]
    assert isinstance(part, EmailMessage)
    assert str(part.get_filename()).endswith(".ics")
    return str(part.get_param("method")), Calendar.from_ical(part.get_content())


def single_event(calendar: Calendar) -> Any:
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


# --- mails ------------------------------------------------------------------------------


async def test_a_confirmation_arrives_in_the_recipients_language_with_a_calendar_entry(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    anna = await booked(
        client, await get_token(client), "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16)
    )
    ben_token = await get_token(client, "ben@example.org")
    ben = await booked(client, ben_token, "gruppenraum-2", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    rows = {row.recipient: row for row in await outbox(db)}
    assert {row.kind for row in rows.values()} == {"booking.confirmed"}
    assert smtp.accepted == []  # nothing is sent inside a request

    assert await send(db, clock, settings, smtp) == 2
    mails = smtp.by_recipient()

    german = mails["anna@example.org"]
    assert german["Message-ID"] == f"<outbox-{rows['anna@example.org'].id}@127.0.0.1>"
    assert german["Subject"].startswith("Buchung bestätigt: Gruppenraum 1")
    assert german["From"].addresses[0].display_name == "Stadtbibliothek Ulm"
    assert german["Content-Language"] == "de"
    text = text_of(german)
    assert "Guten Tag Anna Muster," in text
    assert "Mittwoch, 2. Dezember 2026, 14:00–16:00 Uhr" in text
    assert "Vestgasse 1, 89073 Ulm" in text
    assert f"http://127.0.0.1:8000/bookings/{anna['id']}" in text
    html = html_of(german)
    assert "<p>Guten Tag Anna Muster,</p>" in html
    assert f'href="http://127.0.0.1:8000/bookings/{anna["id"]}"' in html

    english = mails["ben@example.org"]
    assert english["Message-ID"] == message_id(rows["ben@example.org"].id, HOST)
    assert english["Subject"].startswith("Booking confirmed: Group room 2")
    assert english["Content-Language"] == "en"
    text = text_of(english)
    assert "Dear Ben Smith," in text
    assert "Wednesday, 2 December 2026, 14:00–16:00" in text  # Babel's British English
    assert "Kind regards" in text
    assert "Buchung" not in text

    method, calendar = calendar_of(german)
    assert method == "REQUEST"
    assert calendar["METHOD"] == "REQUEST"
    event = single_event(calendar)
    assert str(event["UID"]) == f"booking-{anna['id']}@127.0.0.1"
    assert event.decoded("DTSTART") == utc(WEDNESDAY, 14)
    assert event.decoded("DTEND") == utc(WEDNESDAY, 16)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert "DTSTART:20261202T130000Z" in german.as_string()
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Gruppenraum 1"
    assert str(event["LOCATION"]).startswith("Gruppenraum 1, ")
    assert str(event["URL"]).endswith(f"/bookings/{anna['id']}")
    assert str(single_event(calendar_of(english)[1])["UID"]) == f"booking-{ben['id']}@127.0.0.1"

    for row in await outbox(db):
        assert row.status is OutboxStatus.SENT
        assert row.sent_at == clock.now()
        assert row.attempts == 1
    assert await send(db, clock, settings, smtp) == 0  # sent is sent
    assert len(smtp.accepted) == 2


async def test_a_device_mail_names_the_unit_in_the_recipients_language(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    async with db.read() as session:
        location = await session.scalar(select(Location))
    assert location is not None
    await create_resource(
        db, location, "kamera", name="Kamera", name_en="Camera", kind=ResourceKind.DEVICE, units=["Kamera 1"]
    )
    async with db.write() as session:
        unit = await session.scalar(select(Unit).where(Unit.label == "Kamera 1"))
        assert unit is not None
        unit.label_en = "Camera 1"
    for reader in ("anna@example.org", "ben@example.org"):
        token = await get_token(client, reader)
        start = 10 if reader.startswith("anna") else 12
        await booked(client, token, "kamera", at(WEDNESDAY, start), at(WEDNESDAY, start + 1))

    assert await send(db, clock, settings, smtp) == 2
    mails = smtp.by_recipient()

    assert "Camera 1" in text_of(mails["ben@example.org"])
    assert "Kamera 1" in text_of(mails["anna@example.org"])
    assert "Kamera 1" not in text_of(mails["ben@example.org"])


async def test_a_cancellation_by_staff_cancels_the_calendar_entry(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    booking = await booked(
        client, await get_token(client), "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16)
    )
    assert await send(db, clock, settings, smtp) == 1
    clock.advance(timedelta(minutes=5))
    staff = await get_token(client, "staff@example.org")
    cancelled = await client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "Wasserschaden"}, headers=bearer(staff)
    )
    assert cancelled.status_code == 200, cancelled.text
    assert await send(db, clock, settings, smtp) == 1

    confirmation, cancellation = smtp.accepted
    assert cancellation["Subject"].startswith("Buchung storniert: Gruppenraum 1")
    assert "Begründung: Wasserschaden" in text_of(cancellation)
    assert cancellation["Message-ID"] != confirmation["Message-ID"]
    request_method, request = calendar_of(confirmation)
    cancel_method, cancel = calendar_of(cancellation)
    assert (request_method, cancel_method) == ("REQUEST", "CANCEL")
    assert cancel["METHOD"] == "CANCEL"
    first, second = single_event(request), single_event(cancel)
    assert str(second["UID"]) == str(first["UID"]) == f"booking-{booking['id']}@127.0.0.1"
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert str(second["STATUS"]) == "CANCELLED"
    assert second.decoded("DTSTART") == utc(WEDNESDAY, 14)
    assert second.decoded("DTEND") == utc(WEDNESDAY, 16)


async def test_workshop_mails_follow_the_registration_and_its_session(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    staff = await get_token(client, "staff@example.org")
    workshop = await client.post(
        "/api/v1/workshops",
        json={"title": "Löten für Einsteiger", "description": "Erste Schritte.", "factor": "knowhow"},
        headers=bearer(staff),
    )
    assert workshop.status_code == 201, workshop.text
    created = await client.post(
        f"/api/v1/workshops/{workshop.json()['slug']}/sessions",
        json={"start": at(FRIDAY, 14), "end": at(FRIDAY, 16), "room": "makerspace", "capacity": 1},
        headers=bearer(staff),
    )
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    anna = await get_token(client)
    registered = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(anna)
    )
    assert registered.status_code == 201, registered.text
    registration_id = registered.json()["id"]
    ben = await get_token(client, "ben@example.org")
    waiting = await client.post(f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(ben))
    assert waiting.json()["status"] == "waitlisted"
    assert await send(db, clock, settings, smtp) == 2
    mails = smtp.by_recipient()
    confirmed = mails["anna@example.org"]
    assert confirmed["Subject"].startswith("Anmeldung bestätigt: Löten für Einsteiger")
    assert "Freitag, 4. Dezember 2026, 14:00–16:00 Uhr" in text_of(confirmed)
    assert "Makerspace, Zentralbibliothek" in text_of(confirmed)
    method, calendar = calendar_of(confirmed)
    assert method == "REQUEST"
    first = single_event(calendar)
    assert str(first["UID"]) == f"registration-{registration_id}@127.0.0.1"
    waitlisted = mails["ben@example.org"]
    assert waitlisted["Subject"].startswith("Waiting list: Löten für Einsteiger")
    assert "position 1" in text_of(waitlisted)
    assert not [p for p in waitlisted.iter_attachments() if p.get_content_type() == "text/calendar"]

    clock.advance(timedelta(minutes=1))
    moved = await client.patch(
        f"/api/v1/workshop-sessions/{session_id}",
        json={"start": at(FRIDAY, 15), "end": at(FRIDAY, 17)},
        headers=bearer(staff),
    )
    assert moved.status_code == 200, moved.text
    smtp.accepted.clear()
    assert await send(db, clock, settings, smtp) == 2
    moved_mail = smtp.by_recipient()["anna@example.org"]
    assert moved_mail["Subject"].startswith("Neuer Termin: Löten für Einsteiger")
    method, calendar = calendar_of(moved_mail)
    second = single_event(calendar)
    assert method == "REQUEST"
    assert str(second["UID"]) == str(first["UID"])
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert second.decoded("DTSTART") == utc(FRIDAY, 15)

    clock.advance(timedelta(minutes=1))
    cancelled = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/cancel", json={"reason": "Krankheit"}, headers=bearer(staff)
    )
    assert cancelled.status_code == 200, cancelled.text
    smtp.accepted.clear()
    assert await send(db, clock, settings, smtp) >= 1
    cancel_mail = smtp.by_recipient()["anna@example.org"]
    method, calendar = calendar_of(cancel_mail)
    third = single_event(calendar)
    assert method == "CANCEL"
    assert str(third["UID"]) == str(first["UID"])
    assert int(third["SEQUENCE"]) > int(second["SEQUENCE"])


# --- retries, giving up, staff retry ---------------------------------------------------


async def test_refusals_are_retried_with_backoff_until_the_server_accepts(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    await booked(client, await get_token(client), "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    smtp.refusals_left = 2
    start = clock.now()

    assert await send(db, clock, settings, smtp) == 0
    (row,) = await outbox(db)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)
    assert row.last_error is not None
    assert "451" in row.last_error
    assert row.next_attempt_at == start + timedelta(minutes=1)

    assert await send(db, clock, settings, smtp) == 0  # not due yet: nothing is tried
    assert smtp.refused == 1

    clock.advance(timedelta(minutes=1))
    assert await send(db, clock, settings, smtp) == 0
    (row,) = await outbox(db)
    assert row.attempts == 2
    assert row.next_attempt_at == clock.now() + timedelta(minutes=2)

    clock.advance(timedelta(minutes=1))
    assert await send(db, clock, settings, smtp) == 0  # still waiting
    clock.advance(timedelta(minutes=1))
    assert await send(db, clock, settings, smtp) == 1
    (row,) = await outbox(db)
    assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.SENT, 3, clock.now())
    assert smtp.refused == 2
    assert [m["Message-ID"] for m in smtp.accepted] == [message_id(row.id, HOST)]


async def test_a_message_never_accepted_goes_dead_and_staff_can_retry_it(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    await booked(client, await get_token(client), "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    smtp.refuse_always = True
    waits = []
    for _ in range(MAX_ATTEMPTS):
        assert await send(db, clock, settings, smtp) == 0
        (row,) = await outbox(db)
        if row.status is OutboxStatus.DEAD:
            break
        waits.append(row.next_attempt_at - clock.now())
        clock.set(row.next_attempt_at)
    assert row.status is OutboxStatus.DEAD
    assert row.attempts == MAX_ATTEMPTS == smtp.refused
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == MAX_DELAY
    clock.advance(timedelta(days=1))
    assert await send(db, clock, settings, smtp) == 0  # a dead message is not tried again
    assert smtp.refused == MAX_ATTEMPTS

    staff = await get_token(client, "staff@example.org")
    dead = await client.get("/api/v1/outbox?status=dead", headers=bearer(staff))
    assert dead.status_code == 200, dead.text
    (item,) = dead.json()["items"]
    assert item["id"] == row.id
    assert item["kind"] == "booking.confirmed"
    assert item["recipient"] == "anna@example.org"
    assert item["status"] == "dead"
    assert item["attempts"] == MAX_ATTEMPTS
    assert "451" in item["last_error"]
    assert item["sent_at"] is None
    assert item["created_at"].endswith("+01:00")
    assert dead.json()["next"] is None
    assert (await client.get("/api/v1/outbox?status=queued", headers=bearer(staff))).json()["items"] == []
    assert_problem(
        await client.get("/api/v1/outbox?status=lost", headers=bearer(staff)), 422, "invalid_query"
    )
    anna = await get_token(client)
    assert_problem(await client.get("/api/v1/outbox", headers=bearer(anna)), 403, "forbidden")
    assert_problem(
        await client.post(f"/api/v1/outbox/{row.id}/retry", headers=bearer(anna)), 403, "forbidden"
    )

    retried = await client.post(f"/api/v1/outbox/{row.id}/retry", headers=bearer(staff))
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    smtp.refuse_always = False
    assert await send(db, clock, settings, smtp) == 1
    (row,) = await outbox(db)
    assert row.status is OutboxStatus.SENT
    assert [m["Message-ID"] for m in smtp.accepted] == [message_id(row.id, HOST)]
    sent = (await client.get("/api/v1/outbox?status=sent", headers=bearer(staff))).json()["items"]
    assert [i["id"] for i in sent] == [row.id]
    assert_problem(
        await client.post(f"/api/v1/outbox/{row.id}/retry", headers=bearer(staff)), 409, "message_not_dead"
    )
    assert_problem(await client.post("/api/v1/outbox/999999/retry", headers=bearer(staff)), 404, "not_found")
    async with db.read() as session:
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.retry"))
    assert audit is not None
    assert audit.object_id == str(row.id)


async def test_a_permanent_refusal_gives_up_at_once(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    await booked(client, await get_token(client), "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    smtp.refuse_always = True
    smtp.refusal = "550 5.1.1 Mailbox unavailable"
    assert await send(db, clock, settings, smtp) == 0
    (row,) = await outbox(db)
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, 1)
    assert row.last_error is not None
    assert "550" in row.last_error


async def test_the_staff_list_is_newest_first_and_paginated(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await library_with_readers(db)
    async with db.write() as session:
        anna = await session.scalar(select(User).where(User.email == "anna@example.org"))
        assert anna is not None
        for n in range(5):
            enqueue(
                session,
                kind="booking.pending",
                user=anna,
                payload={"booking_id": n},
                now=clock.now() + timedelta(minutes=n),
            )
    staff = await get_token(client, "staff@example.org")
    first = (await client.get("/api/v1/outbox?limit=2", headers=bearer(staff))).json()
    assert [i["attempts"] for i in first["items"]] == [0, 0]
    assert first["next"] == "/api/v1/outbox?limit=2&offset=2"
    second = (await client.get(first["next"], headers=bearer(staff))).json()
    third = (await client.get(second["next"], headers=bearer(staff))).json()
    assert third["next"] is None
    items = first["items"] + second["items"] + third["items"]
    times = [i["created_at"] for i in items]
    assert len(items) == 5
    assert times == sorted(times, reverse=True)


# --- crash safety -----------------------------------------------------------------------


async def test_a_worker_killed_mid_batch_leaves_nothing_undelivered(
    db: Database, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await create_location(db)
    cert = await create_certification(db, "laser-cutter", name="Einweisung Lasercutter")
    people = [await create_user(db, f"visitor{n}@example.org", name=f"Visitor {n}") for n in range(6)]
    async with db.write() as session:
        for person in people:
            enqueue(
                session,
                kind="certification.granted",
                user=person,
                payload={"certification": cert.key},
                now=clock.now(),
            )
    smtp.hold_after = 3  # the server takes three, then holds the fourth until released

    task = asyncio.create_task(send(db, clock, settings, smtp))
    await smtp.wait_until_holding()
    task.cancel()  # the worker dies with the fourth message on the wire
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()
    rows = await outbox(db)
    assert Counter(row.status for row in rows) == {OutboxStatus.SENT: 3, OutboxStatus.QUEUED: 3}

    smtp.hold_after = None
    smtp.release.set()  # the held delivery may still complete: a duplicate, which is allowed
    await asyncio.sleep(0.2)
    assert await send(db, clock, settings, smtp) == 3
    rows = await outbox(db)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    delivered = Counter(str(message["Message-ID"]) for message in smtp.accepted)
    assert set(delivered) == {message_id(row.id, HOST) for row in rows}
    assert all(delivered[message_id(row.id, HOST)] >= 1 for row in rows)
    assert 6 <= sum(delivered.values()) <= 7  # at least once each; at most the held one twice
    assert all(subject.startswith("Einweisung erteilt") for subject in (m["Subject"] for m in smtp.accepted))


async def test_two_workers_at_once_share_the_work(
    db: Database, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    """PostgreSQL: rows locked with SKIP LOCKED, so each message goes out exactly once and both
    workers get some. SQLite has one worker by design; two at once may still duplicate."""
    await create_location(db)
    cert = await create_certification(db, "laser-cutter", name="Einweisung Lasercutter")
    people = [await create_user(db, f"visitor{n}@example.org", name=f"Visitor {n}") for n in range(8)]
    async with db.write() as session:
        for person in people:
            enqueue(
                session,
                kind="certification.granted",
                user=person,
                payload={"certification": cert.key},
                now=clock.now(),
            )
    smtp.delay = 0.05
    first, second = await asyncio.gather(send(db, clock, settings, smtp), send(db, clock, settings, smtp))
    rows = await outbox(db)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    delivered = Counter(str(message["Message-ID"]) for message in smtp.accepted)
    assert set(delivered) == {message_id(row.id, HOST) for row in rows}
    if not db.is_sqlite:
        assert first + second == 8
        assert first > 0
        assert second > 0
        assert set(delivered.values()) == {1}


# --- the scheduler ----------------------------------------------------------------------


async def test_the_scheduler_sends_when_a_server_is_configured(
    db: Database,
    client: Client,
    clock: SettableClock,
    settings: Settings,
    smtp: Inbox,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await library_with_readers(db)
    await booked(client, await get_token(client), "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    monkeypatch.setattr(scheduler, "_said_once", set())
    with caplog.at_level(logging.WARNING, logger="library.scheduler"):
        assert (await run_jobs_once(db, clock, settings))["send_outbox"] == 0
        assert (await run_jobs_once(db, clock, settings))["send_outbox"] == 0
    said = [r for r in caplog.records if "LIBRARY_SMTP_URL" in r.getMessage()]
    assert len(said) == 1  # said once, not every minute
    assert [row.status for row in await outbox(db)] == [OutboxStatus.QUEUED]

    configured = replace(settings, smtp_url=smtp.url)
    assert (await run_jobs_once(db, clock, configured))["send_outbox"] == 1
    assert (await run_jobs_once(db, clock, configured))["send_outbox"] == 0
    assert len(smtp.accepted) == 1


# --- pieces -----------------------------------------------------------------------------


def test_smtp_urls() -> None:
    plain = SmtpTarget.parse("smtp://127.0.0.1:2525")
    assert (plain.hostname, plain.port, plain.username) == ("127.0.0.1", 2525, None)
    assert not plain.implicit_tls
    login = SmtpTarget.parse("smtp://user%40ulm:p%3Ass@mail.example.org:587?from=bibliothek@example.org")
    assert (login.username, login.password, login.port) == ("user@ulm", "p:ss", 587)
    assert login.sender == "bibliothek@example.org"
    tls = SmtpTarget.parse("smtps://mail.example.org")
    assert (tls.implicit_tls, tls.port) == (True, 465)
    with pytest.raises(ValueError, match="LIBRARY_SMTP_URL"):
        SmtpTarget.parse("http://mail.example.org")


def test_backoff_doubles_up_to_a_cap() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(50) == MAX_DELAY
