"""Waiting for a free slot on the pages: from a taken time on the resource page to the form, the
holds page with its position, the offer accepted with a button, declined on a second step.

The clock stands at Tuesday 2026-12-01 09:00 UTC, 10:00 in Ulm."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from library.accounts.models import Role
from library.booking.models import Booking, BookingStatus, Loan, LoanStatus
from library.catalog.models import ResourceKind
from library.db import Database
from tests.support import factories
from tests.support.api import Client, booked
from tests.support.forms import post_form, sign_in, submit_form
from tests.support.times import WEDNESDAY, at

ENGLISH = {"accept-language": "en"}
ROOM = "gruppenraum-1"


async def library(db: Database, client: Client) -> int:
    """A room taken on Wednesday 14-15 by Ben; Anna signs in. Returns Ben's booking."""
    central = await factories.create_location(db)
    await factories.create_resource(db, central, ROOM, name="Gruppenraum 1", name_en="Group room 1")
    await factories.create_user(db)
    await factories.create_user(db, "ben@example.org", name="Ben")
    ben = await factories.get_token(client, "ben@example.org")
    taken = await booked(client, ben, ROOM, at(WEDNESDAY, 14), at(WEDNESDAY, 15))
    await sign_in(client, "anna@example.org")
    return int(taken["id"])


async def test_a_taken_time_leads_to_waiting_and_the_offer_to_a_booking(db: Database, client: Client) -> None:
    taken = await library(db, client)
    wanted = {"date": WEDNESDAY.isoformat(), "start": "14:00", "length": "60", "note": "", "participants": ""}
    refused = await post_form(client, f"/resources/{ROOM}/book", wanted, form_page=f"/resources/{ROOM}")
    assert refused.status_code == 409
    assert f"/resources/{ROOM}/hold?date=2026-12-02&amp;start=14%3A00&amp;length=60" in refused.text

    form = await client.get(f"/resources/{ROOM}/hold?date=2026-12-02&start=14:00&length=60", headers=ENGLISH)
    assert form.status_code == 200
    assert 'value="15:00"' in form.text  # the end of the wanted time, to widen at will
    shown = await submit_form(
        client,
        f"/resources/{ROOM}/hold",
        {"date": "2026-12-02", "from": "14:00", "to": "16:00", "length": "60"},
        form_page=f"/resources/{ROOM}/hold",
        lands_on="/my/holds?done=waiting",
    )
    assert "Wartend, Nummer 1 in der Warteschlange" in shown.text

    ben = await factories.get_token(client, "ben@example.org")
    await client.post(f"/api/v1/bookings/{taken}/cancel", headers=factories.bearer(ben))
    page = await client.get("/my/holds", headers=ENGLISH)
    assert "Offered until Tue, 1 Dec 2026, 10:30" in page.text  # the clock's 10:00 and 30 minutes
    hold_id = int(page.text.split('id="hold-')[1].split('"')[0])
    accepted = await post_form(client, f"/my/holds/{hold_id}/accept", {}, form_page="/my/holds")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/my/bookings?done=booked"
    async with db.read() as session:
        mine = await session.scalar(select(Booking).where(Booking.status == BookingStatus.CONFIRMED))
    assert mine is not None
    assert mine.start_at.isoformat() == "2026-12-02T13:00:00+00:00"


async def test_wrong_input_is_shown_next_to_the_field(db: Database, client: Client) -> None:
    await library(db, client)
    response = await post_form(
        client,
        f"/resources/{ROOM}/hold",
        {"date": "2026-12-02", "from": "16:00", "to": "14:00", "length": "60"},
        form_page=f"/resources/{ROOM}/hold",
    )
    assert response.status_code == 422
    assert 'id="error-to"' in response.text
    response = await post_form(
        client,
        f"/resources/{ROOM}/hold",
        {"date": "", "from": "kaffee", "to": "16:00", "length": "60"},
        form_page=f"/resources/{ROOM}/hold",
    )
    assert response.status_code == 422
    assert 'id="error-date"' in response.text
    assert 'id="error-from"' in response.text


async def test_declining_an_offer_confirms_on_a_second_step(db: Database, client: Client) -> None:
    taken = await library(db, client)
    await submit_form(
        client,
        f"/resources/{ROOM}/hold",
        {"date": "2026-12-02", "from": "14:00", "to": "15:00", "length": "60"},
        form_page=f"/resources/{ROOM}/hold",
    )
    ben = await factories.get_token(client, "ben@example.org")
    await client.post(f"/api/v1/bookings/{taken}/cancel", headers=factories.bearer(ben))
    page = await client.get("/my/holds", headers=ENGLISH)
    hold_id = int(page.text.split('id="hold-')[1].split('"')[0])

    confirm = await client.get(f"/my/holds/{hold_id}/cancel", headers=ENGLISH)
    assert confirm.status_code == 200
    assert "Decline the offer?" in confirm.text
    shown = await submit_form(
        client, f"/my/holds/{hold_id}/cancel", {}, form_page="/my/holds", lands_on="/my/holds?done=declined"
    )
    assert "Sie haben das Angebot abgelehnt" in shown.text
    assert "Storniert" in shown.text  # among the ended holds
    async with db.read() as session:
        active = list(await session.scalars(select(Booking).where(Booking.status == BookingStatus.PENDING)))
    assert active == []  # nobody else waits: the slot is free again


async def test_staff_see_a_resource_queue_in_order(db: Database, client: Client) -> None:
    await library(db, client)
    await submit_form(
        client,
        f"/resources/{ROOM}/hold",
        {"date": "2026-12-02", "from": "14:00", "to": "16:00", "length": "60"},
        form_page=f"/resources/{ROOM}/hold",
    )
    await factories.create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    await sign_in(client, "staff@example.org")
    page = await client.get(f"/staff/resources/{ROOM}/holds", headers=ENGLISH)
    assert page.status_code == 200
    assert "Waiting for Group room 1" in page.text
    assert "Anna" in page.text
    assert "14:00 to 16:00" in page.text


async def test_a_taken_thing_leads_to_waiting_for_days_and_the_offer_to_a_loan(
    db: Database, client: Client
) -> None:
    central = await factories.create_location(db)
    await factories.create_resource(
        db, central, "kamera", name="Kamera-Set", kind=ResourceKind.LOAN, policy={"loan_days": 7}
    )
    await factories.create_user(db)
    await factories.create_user(db, "ben@example.org", name="Ben")
    ben = await factories.get_token(client, "ben@example.org")
    taken = await client.post(
        "/api/v1/loans", json={"resource": "kamera", "pickup": str(WEDNESDAY)}, headers=factories.bearer(ben)
    )
    assert taken.status_code == 201, taken.text
    await sign_in(client, "anna@example.org")

    resource = await client.get("/resources/kamera", headers=ENGLISH)
    assert "/resources/kamera/hold?pickup=" in resource.text
    form = await client.get("/resources/kamera/hold?pickup=2026-12-02", headers=ENGLISH)
    assert form.status_code == 200
    assert "First possible pickup day" in form.text
    too_short = await post_form(
        client,
        "/resources/kamera/hold",
        {"first": "2026-12-02", "last": "2026-12-04", "days": "7"},
        form_page="/resources/kamera/hold",
    )
    assert too_short.status_code == 422
    assert "Der Zeitraum muss die ganze Ausleihe fassen" in too_short.text
    shown = await submit_form(
        client,
        "/resources/kamera/hold",
        {"first": "2026-12-02", "last": "2026-12-12", "days": "7"},
        form_page="/resources/kamera/hold",
        lands_on="/my/holds?done=waiting",
    )
    assert "Wartend, Nummer 1 in der Warteschlange" in shown.text
    assert "7 Tage" in shown.text

    await client.post(f"/api/v1/loans/{taken.json()['id']}/cancel", headers=factories.bearer(ben))
    page = await client.get("/my/holds", headers=ENGLISH)
    assert "Pickup day" in page.text
    assert "Accept and reserve" in page.text
    hold_id = int(page.text.split('id="hold-')[1].split('"')[0])
    accepted = await post_form(client, f"/my/holds/{hold_id}/accept", {}, form_page="/my/holds")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/my/loans?done=reserved"
    async with db.read() as session:
        lent = await session.scalar(select(Loan).where(Loan.status == LoanStatus.RESERVED))
    assert lent is not None
    assert (lent.pickup, lent.due) == (WEDNESDAY, WEDNESDAY + timedelta(days=7))
