"""The staff outbox page: what went out, what waits, what was given up and why; sending it again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from library.accounts.models import Language, Role
from library.app import create_app
from library.audit.models import AuditEntry
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.notify import worker
from library.outbox.models import OutboxMessage, OutboxStatus
from library.outbox.queue import enqueue
from tests.support import factories
from tests.support.api import Client, booked, setup_library
from tests.support.forms import post_form, sign_in, submit_form

BASE_URL = "http://library.test"

GIVEN_UP = "cannot build the message: booking 999 no longer exists"


async def an_outbox(db: Database, clock: SettableClock) -> dict[str, OutboxMessage]:
    """A sent and a queued message, and one the worker gave up on: its booking is gone."""
    await factories.create_user(db, "staff@example.org", name="Sabine Staff", role=Role.STAFF)
    anna = await factories.create_user(db, "anna@example.org")
    now = clock.now()
    async with db.write() as session:
        dead = enqueue(
            session,
            kind="booking.confirmed",
            user=anna,
            payload={"booking_id": 999},
            now=now,
        )
    await worker.send_due(db, now=now, smtp_url="smtp://127.0.0.1:1", base_url=BASE_URL)
    async with db.write() as session:
        sent = enqueue(session, kind="booking.cancelled", user=anna, payload={}, now=now)
        sent.status, sent.attempts, sent.sent_at = OutboxStatus.SENT, 1, now
        sent.created_at = now + timedelta(minutes=1)
        queued = enqueue(session, kind="booking.reminder", user=anna, payload={}, now=now)
        queued.attempts, queued.next_attempt_at = 2, now + timedelta(minutes=4)
        queued.created_at = now + timedelta(minutes=2)
    return {"dead": dead, "sent": sent, "queued": queued}


async def test_anonymous_people_sign_in_first_and_visitors_are_refused(
    client: Client, db: Database, clock: SettableClock
) -> None:
    rows = await an_outbox(db, clock)
    anonymous = await client.get("/staff/outbox?status=dead", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fstaff%2Foutbox%3Fstatus%3Ddead"
    await sign_in(client, "anna@example.org")
    assert (await client.get("/staff/outbox")).status_code == 403
    retry = await post_form(client, f"/staff/outbox/{rows['dead'].id}/retry", {}, form_page="/")
    assert retry.status_code == 403
    async with db.read() as session:
        assert await session.scalar(
            select(OutboxMessage.status).where(OutboxMessage.id == rows["dead"].id)
        ) == (OutboxStatus.DEAD)


async def test_staff_see_every_message_and_why_one_was_given_up(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await an_outbox(db, clock)
    await sign_in(client, "staff@example.org")
    page = await client.get("/staff/outbox")
    assert page.status_code == 200
    for kind in ("booking.confirmed", "booking.reminder", "booking.cancelled"):
        assert kind in page.text
    assert page.text.index("booking.reminder") < page.text.index("booking.confirmed")  # newest first
    assert "anna@example.org" in page.text
    dead_row = next(row for row in page.text.split("<tr>") if "booking.confirmed" in row)
    assert GIVEN_UP in dead_row
    assert "Aufgegeben" in dead_row
    assert "<td>1</td>" in dead_row  # the worker tried once: a missing booking is final
    assert "Erneut senden" in dead_row
    english = await client.get("/staff/outbox", headers={"accept-language": "en"})
    assert "Given up" in english.text
    assert "Send again" in english.text


async def test_the_filter_shows_one_state_and_a_bad_value_is_explained(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await an_outbox(db, clock)
    await sign_in(client, "staff@example.org")
    dead = await client.get("/staff/outbox?status=dead")
    assert "booking.confirmed" in dead.text
    assert "booking.reminder" not in dead.text
    assert '<option value="dead" selected>' in dead.text
    sent = await client.get("/staff/outbox?status=sent")
    assert "booking.cancelled" in sent.text
    assert "Erneut senden" not in sent.text  # only a given-up message is sent again
    bad = await client.get("/staff/outbox?status=lost")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("text/html")
    assert 'id="error-status"' in bad.text


async def test_a_dead_message_goes_back_to_the_queue_and_that_is_audited(
    client: Client, db: Database, clock: SettableClock
) -> None:
    rows = await an_outbox(db, clock)
    await sign_in(client, "staff@example.org")
    shown = await submit_form(
        client,
        f"/staff/outbox/{rows['dead'].id}/retry",
        {"status": "dead"},
        form_page="/staff/outbox",
        lands_on="/staff/outbox?status=dead&done=retried",
    )
    assert "Die Nachricht ist wieder in der Warteschlange" in shown.text
    assert "booking.confirmed" not in shown.text  # no longer given up
    queued = await client.get("/staff/outbox?status=queued")
    assert "booking.confirmed" in queued.text
    async with db.read() as session:
        row = await session.get(OutboxMessage, rows["dead"].id)
        assert row is not None
        assert row.status is OutboxStatus.QUEUED
        assert row.attempts == 0
        assert row.next_attempt_at == clock.now()
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.retry"))
        assert audit is not None
        assert audit.object_id == str(row.id)
    sent_again = await post_form(
        client, f"/staff/outbox/{rows['sent'].id}/retry", {}, form_page="/staff/outbox"
    )
    assert sent_again.status_code == 409  # a sent message stays sent: a readable page says why
    assert "Nur eine aufgegebene Nachricht" in sent_again.text


async def test_the_outbox_names_kinds_in_words_and_links_each_message(
    client: Client, db: Database, clock: SettableClock
) -> None:
    rows = await an_outbox(db, clock)
    await sign_in(client, "staff@example.org")
    german = (await client.get("/staff/outbox")).text
    assert "Buchung storniert" in german
    assert "Erinnerung an eine Buchung" in german
    assert f'href="/staff/outbox/{rows["sent"].id}"' in german
    english = (await client.get("/staff/outbox", headers={"accept-language": "en"})).text
    assert "Booking cancelled" in english
    assert "Booking reminder" in english


async def test_a_message_is_shown_as_its_recipient_reads_it_in_their_language(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await setup_library(db)
    await factories.create_user(db, "emma@example.org", name="Emma English", language=Language.EN)
    anna = await factories.get_token(client, "anna@example.org")
    emma = await factories.get_token(client, "emma@example.org")
    await booked(client, anna, "gruppenraum-1", "2026-12-02T14:00:00+01:00", "2026-12-02T15:00:00+01:00")
    await booked(client, emma, "gruppenraum-2", "2026-12-02T14:00:00+01:00", "2026-12-02T15:00:00+01:00")
    async with db.read() as session:
        mails = {m.recipient: m.id for m in await session.scalars(select(OutboxMessage))}
    await sign_in(client, "staff@example.org")
    for_anna = await client.get(
        f"/staff/outbox/{mails['anna@example.org']}", headers={"accept-language": "en"}
    )
    assert for_anna.status_code == 200
    assert "Buchung bestätigt: Gruppenraum 1" in for_anna.text  # her language, not the page's
    assert "Ihre Buchung ist bestätigt." in for_anna.text
    assert "Anna Muster,\n\nIhre Buchung ist bestätigt." in for_anna.text  # its lines kept
    assert "Booking confirmed" in for_anna.text  # the kind, in the page's language
    for_emma = await client.get(f"/staff/outbox/{mails['emma@example.org']}")
    assert "Booking confirmed: Gruppenraum 2" in for_emma.text
    assert "Your booking is confirmed." in for_emma.text
    assert "Betreff" in for_emma.text
    assert (await client.get("/staff/outbox/999999")).status_code == 404
    await sign_in(client, "anna@example.org")
    assert (await client.get(f"/staff/outbox/{mails['emma@example.org']}")).status_code == 403


async def test_a_message_whose_subject_is_gone_says_so(
    client: Client, db: Database, clock: SettableClock
) -> None:
    rows = await an_outbox(db, clock)
    await sign_in(client, "staff@example.org")
    page = await client.get(f"/staff/outbox/{rows['dead'].id}")
    assert page.status_code == 200
    assert "lässt sich nicht mehr anzeigen" in page.text


async def test_staff_pages_warn_while_no_mail_server_is_set_and_visitors_are_promised_no_mail(
    client: Client, db: Database, clock: SettableClock, settings: Settings
) -> None:
    await setup_library(db)
    await sign_in(client, "staff@example.org")
    for path in ("/staff/outbox", "/staff/desk", "/staff/audit"):
        assert "Es ist kein Mailserver eingerichtet" in (await client.get(path)).text, path
    await sign_in(client, "anna@example.org")
    booked_page = await client.get("/my/bookings?done=booked")
    assert "Gebucht. Sie finden die Buchung unten." in booked_page.text
    assert "per E-Mail" not in booked_page.text
    assert "Es ist kein Mailserver" not in booked_page.text  # the banner is for staff
    with_mail = replace(settings, smtp_url="smtp://127.0.0.1:1")
    async with AsyncTestClient(app=create_app(with_mail, clock)) as mailing:
        await sign_in(mailing, "staff@example.org")
        assert "Es ist kein Mailserver" not in (await mailing.get("/staff/outbox")).text
        await sign_in(mailing, "anna@example.org")
        told = await mailing.get("/my/bookings?done=booked")
        assert "erhalten eine Bestätigung per E-Mail" in told.text
