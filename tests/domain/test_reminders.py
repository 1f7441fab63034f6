"""Reminders of bookings and workshops, and notices of expiring certifications: queued by
the scheduler once each, however often it runs, in the recipient's language."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from library.accounts.models import User
from library.booking.models import Booking
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.notify.reminders import (
    queue_booking_reminders,
    queue_certification_notices,
    queue_registration_reminders,
)
from library.outbox.models import OutboxMessage
from library.scheduler import run_jobs_once
from tests.support.api import Client, booked
from tests.support.factories import (
    bearer,
    create_certification,
    get_token,
    grant_certification,
)
from tests.support.mail import Inbox, library_with_readers, outbox, send, text_of
from tests.support.times import FRIDAY, WEDNESDAY, at, utc

# The clock stands at Tuesday 2026-12-01 10:00 in Ulm; Wednesday 14:00 is 28 hours ahead.


async def reminders(db: Database, clock: SettableClock, settings: Settings) -> int:
    now, hours = clock.now(), settings.reminder_hours
    return await queue_booking_reminders(db, now=now, hours=hours) + await queue_registration_reminders(
        db, now=now, hours=hours
    )


async def queued(db: Database, kind: str) -> list[OutboxMessage]:
    return [row for row in await outbox(db) if row.kind == kind]


async def person(db: Database, email: str) -> User:
    async with db.read() as session:
        found = await session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


# --- bookings ---------------------------------------------------------------------------


async def test_a_booking_reminder_is_queued_once_in_the_bookers_language(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await library_with_readers(db)
    anna = await get_token(client)
    kept = await booked(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    dropped = await booked(client, anna, "makerspace", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    ben = await booked(
        client,
        await get_token(client, "ben@example.org"),
        "gruppenraum-2",
        at(WEDNESDAY, 14),
        at(WEDNESDAY, 16),
    )
    cancelled = await client.post(f"/api/v1/bookings/{dropped['id']}/cancel", headers=bearer(anna))
    assert cancelled.status_code == 200, cancelled.text

    assert await reminders(db, clock, settings) == 0  # 28 hours ahead: not yet
    clock.advance(timedelta(hours=5))  # 23 hours ahead
    assert await reminders(db, clock, settings) == 2
    for _ in range(3):  # the job runs every tick
        clock.advance(timedelta(seconds=1))
        assert await reminders(db, clock, settings) == 0

    rows = await queued(db, "booking.reminder")
    assert {(row.payload["booking_id"], row.recipient, row.language) for row in rows} == {
        (kept["id"], "anna@example.org", "de"),
        (ben["id"], "ben@example.org", "en"),
    }
    async with db.read() as session:
        marks = dict((await session.execute(select(Booking.id, Booking.reminder_queued_at))).all())
    assert marks[kept["id"]] == marks[ben["id"]] == rows[0].created_at
    assert marks[dropped["id"]] is None


async def test_after_a_downtime_only_bookings_yet_to_start_are_reminded(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await library_with_readers(db)
    anna = await get_token(client)
    await booked(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    later = await booked(client, anna, "gruppenraum-2", at(WEDNESDAY, 17), at(WEDNESDAY, 18))

    clock.set(utc(WEDNESDAY, 14, 30))  # the service was down from Tuesday morning until now
    assert await reminders(db, clock, settings) == 1
    assert [row.payload["booking_id"] for row in await queued(db, "booking.reminder")] == [later["id"]]


async def test_the_reminder_window_is_a_setting(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await library_with_readers(db)
    await booked(client, await get_token(client), "gruppenraum-1", at(FRIDAY, 14), at(FRIDAY, 16))
    clock.set(utc(FRIDAY, 14) - timedelta(hours=28))
    assert await reminders(db, clock, settings) == 0
    assert await reminders(db, clock, replace(settings, reminder_hours=30)) == 1


async def test_a_booking_made_inside_the_window_gets_no_reminder_after_its_confirmation(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await library_with_readers(db)
    clock.set(utc(WEDNESDAY, 10) - timedelta(hours=22))
    await booked(client, await get_token(client), "gruppenraum-1", at(WEDNESDAY, 10), at(WEDNESDAY, 11))
    assert await reminders(db, clock, settings) == 0  # 22 hours ahead: the confirmation is enough
    clock.set(utc(WEDNESDAY, 9))
    assert await reminders(db, clock, settings) == 0  # and it is not picked up again later


def test_the_reminder_and_notice_windows_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIBRARY_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("LIBRARY_SECRET_KEY", "from-the-environment")
    monkeypatch.delenv("LIBRARY_REMINDER_HOURS", raising=False)
    monkeypatch.delenv("LIBRARY_CERTIFICATION_NOTICE_DAYS", raising=False)
    defaults = Settings.from_env()
    assert (defaults.reminder_hours, defaults.certification_notice_days) == (24, 14)
    monkeypatch.setenv("LIBRARY_REMINDER_HOURS", "48")
    monkeypatch.setenv("LIBRARY_CERTIFICATION_NOTICE_DAYS", "30")
    configured = Settings.from_env()
    assert (configured.reminder_hours, configured.certification_notice_days) == (48, 30)


async def test_a_reminder_arrives_over_smtp(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    await booked(client, await get_token(client), "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    await booked(
        client,
        await get_token(client, "ben@example.org"),
        "gruppenraum-2",
        at(WEDNESDAY, 14),
        at(WEDNESDAY, 16),
    )
    assert await send(db, clock, settings, smtp) == 2  # the confirmations
    smtp.accepted.clear()
    clock.advance(timedelta(hours=5))
    assert await reminders(db, clock, settings) == 2
    assert await send(db, clock, settings, smtp) == 2

    mails = smtp.by_recipient()
    anna = mails["anna@example.org"]
    assert anna["Subject"] == "Erinnerung: Gruppenraum 1, Mittwoch, 2. Dezember 2026, 14:00–16:00 Uhr"
    assert anna["Content-Language"] == "de"
    assert "Eine Erinnerung an Ihre Buchung" in text_of(anna)
    assert "Gruppenraum 1" in text_of(anna)
    # A reminder changes nothing in the calendar: the confirmation brought the entry.
    assert not [part for part in anna.iter_attachments() if part.get_content_type() == "text/calendar"]
    ben = mails["ben@example.org"]
    # Babel's English: a 12-hour clock, thin spaces around the dash
    assert ben["Subject"] == "Reminder: Group room 2, Wednesday, 2 December 2026, 14:00–16:00"
    assert "A reminder of your booking" in text_of(ben)


async def test_a_reminder_sent_after_a_cancellation_says_so(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    anna = await get_token(client)
    booking = await booked(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    clock.advance(timedelta(hours=5))
    assert await reminders(db, clock, settings) == 1
    cancelled = await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=bearer(anna))
    assert cancelled.status_code == 200, cancelled.text
    assert await send(db, clock, settings, smtp) >= 1
    [reminder] = [mail for mail in smtp.accepted if mail["Subject"].startswith("Erinnerung")]
    assert "Diese Buchung wurde inzwischen storniert" in text_of(reminder)
    assert "Bitte checken Sie" not in text_of(reminder)


# --- workshops --------------------------------------------------------------------------


async def workshop_session(
    client: Client, staff: str, *, capacity: int = 1, grants: str | None = None
) -> int:
    body = {
        "title": "Löten für Einsteiger",
        "title_en": "Soldering for beginners",
        "description": "Erste Schritte.",
    }
    if grants is not None:
        body["grants_certification"] = grants
    workshop = await client.post(
        "/api/v1/workshops", json={**body, "factor": "knowhow"}, headers=bearer(staff)
    )
    assert workshop.status_code == 201, workshop.text
    created = await client.post(
        f"/api/v1/workshops/{workshop.json()['slug']}/sessions",
        json={"start": at(FRIDAY, 14), "end": at(FRIDAY, 16), "room": "makerspace", "capacity": capacity},
        headers=bearer(staff),
    )
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    assert isinstance(session_id, int)
    return session_id


async def test_confirmed_workshop_places_are_reminded_once_through_the_scheduler(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    session_id = await workshop_session(client, await get_token(client, "staff@example.org"))
    anna = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(await get_token(client))
    )
    assert anna.json()["status"] == "confirmed"
    ben = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations",
        headers=bearer(await get_token(client, "ben@example.org")),
    )
    assert ben.json()["status"] == "waitlisted"

    clock.set(utc(FRIDAY, 14) - timedelta(hours=23))
    assert (await run_jobs_once(db, clock, settings))["queue_reminders"] == 1
    clock.advance(timedelta(seconds=1))
    assert (await run_jobs_once(db, clock, settings))["queue_reminders"] == 0
    rows = await queued(db, "registration.reminder")
    assert [(row.payload["registration_id"], row.recipient) for row in rows] == [
        (anna.json()["id"], "anna@example.org")
    ]

    assert await send(db, clock, settings, smtp) >= 1
    [reminder] = [mail for mail in smtp.accepted if mail["Subject"].startswith("Erinnerung")]
    assert (
        reminder["Subject"] == "Erinnerung: Löten für Einsteiger, Freitag, 4. Dezember 2026, 14:00–16:00 Uhr"
    )
    assert "Er beginnt bald" in text_of(reminder)


async def test_a_cancelled_session_or_registration_gets_no_reminder(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await library_with_readers(db)
    staff = await get_token(client, "staff@example.org")
    session_id = await workshop_session(client, staff, capacity=2)
    anna = await get_token(client)
    registered = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(anna)
    )
    assert registered.status_code == 201, registered.text
    withdrawn = await client.post(
        f"/api/v1/registrations/{registered.json()['id']}/cancel", headers=bearer(anna)
    )
    assert withdrawn.status_code == 200, withdrawn.text
    ben = await get_token(client, "ben@example.org")
    registered = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(ben)
    )
    assert registered.json()["status"] == "confirmed"
    called_off = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/cancel", json={"reason": "Krankheit"}, headers=bearer(staff)
    )
    assert called_off.status_code == 200, called_off.text

    clock.set(utc(FRIDAY, 14) - timedelta(hours=1))
    assert await reminders(db, clock, settings) == 0
    assert await queued(db, "registration.reminder") == []


async def test_a_workshop_reminder_sent_after_withdrawing_says_so(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    session_id = await workshop_session(client, await get_token(client, "staff@example.org"))
    ben = await get_token(client, "ben@example.org")
    registered = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(ben)
    )
    assert registered.json()["status"] == "confirmed"
    clock.set(utc(FRIDAY, 14) - timedelta(hours=2))
    assert await reminders(db, clock, settings) == 1
    withdrawn = await client.post(
        f"/api/v1/registrations/{registered.json()['id']}/cancel", headers=bearer(ben)
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert await send(db, clock, settings, smtp) >= 1
    [reminder] = [mail for mail in smtp.accepted if mail["Subject"].startswith("Reminder")]
    # (a long subject is folded on the way; compare it unfolded)
    assert " ".join(reminder["Subject"].split()) == (
        "Reminder: Soldering for beginners, Friday, 4 December 2026, 14:00–16:00"
    )
    assert "You have cancelled your registration" in text_of(reminder)


# --- certifications ---------------------------------------------------------------------


async def test_an_expiring_certification_gets_one_notice_per_expiry_naming_the_renewing_workshop(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await library_with_readers(db)
    laser = await create_certification(
        db, "lasercutter", name="Einweisung Lasercutter", name_en="Laser cutter induction", valid_months=12
    )
    await workshop_session(client, await get_token(client, "staff@example.org"), grants="lasercutter")
    anna, ben = await person(db, "anna@example.org"), await person(db, "ben@example.org")
    now = clock.now()
    first = await grant_certification(
        db, anna, laser, granted_at=now - timedelta(days=340), expires_at=now + timedelta(days=20)
    )
    # Ben's grant expires soon too, but he has renewed it already: no notice for the old one.
    await grant_certification(
        db, ben, laser, granted_at=now - timedelta(days=355), expires_at=now + timedelta(days=10)
    )
    await grant_certification(
        db, ben, laser, granted_at=now - timedelta(days=1), expires_at=now + timedelta(days=364)
    )

    async def notices() -> int:
        return await queue_certification_notices(db, now=clock.now(), days=settings.certification_notice_days)

    assert await notices() == 0  # 20 days ahead
    clock.advance(timedelta(days=7))
    assert await notices() == 1
    clock.advance(timedelta(days=1))
    assert await notices() == 0
    rows = await queued(db, "certification.expiring")
    assert [(row.recipient, row.payload["user_certification_id"]) for row in rows] == [
        ("anna@example.org", first.id)
    ]

    assert await send(db, clock, settings, smtp) >= 1
    notice = smtp.by_recipient()["anna@example.org"]
    assert notice["Subject"] == "Einweisung läuft bald ab: Einweisung Lasercutter"
    text = " ".join(text_of(notice).split())
    assert "gültig bis Montag, 21. Dezember 2026" in text
    assert "Workshop „Löten für Einsteiger“" in text
    assert f"{settings.base_url}/workshops/" in text

    # Anna renews it: the new expiry gets a notice of its own, when it comes close.
    renewal = await grant_certification(
        db, anna, laser, granted_at=clock.now(), expires_at=clock.now() + timedelta(days=365)
    )
    assert await notices() == 0
    clock.advance(timedelta(days=360))
    assert await notices() == 1
    rows = await queued(db, "certification.expiring")
    assert [row.payload["user_certification_id"] for row in rows] == [first.id, renewal.id]


async def test_revoked_and_lasting_certifications_get_no_notice(
    db: Database, clock: SettableClock, settings: Settings
) -> None:
    await library_with_readers(db)
    laser = await create_certification(db, "lasercutter")
    now = clock.now()
    await grant_certification(
        db, await person(db, "anna@example.org"), laser, granted_at=now, expires_at=None
    )
    await grant_certification(
        db,
        await person(db, "ben@example.org"),
        laser,
        granted_at=now,
        expires_at=now + timedelta(days=3),
        revoked_at=now,
    )
    assert await queue_certification_notices(db, now=now, days=14) == 0
