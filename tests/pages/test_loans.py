"""Loan pages: a thing's page offers "reserve for pickup" with errors next to the fields, My
loans lists, renews and gives up a reservation on a second step, and the desk's "Lend and
return" finds a thing by its inventory number, hands it out with its checklist and takes it
back with its condition and missing parts; overdue loans are listed.

The clock stands at Tuesday 2026-12-01 09:00 UTC, 10:00 in Ulm.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from library.booking.loans import send_reminders
from library.booking.models import Loan, LoanStatus
from library.catalog.models import Resource, Unit
from library.clock import SettableClock
from library.db import Database
from tests.api.test_loans import lending_library, reserve
from tests.support.api import Client
from tests.support.factories import get_token
from tests.support.forms import post_form, sign_in
from tests.support.mail import outbox
from tests.support.times import WEDNESDAY, utc

ENGLISH = {"accept-language": "en"}


async def numbered(db: Database) -> None:
    """Labels on the things: KAM-1, KAM-2, …"""
    async with db.write() as session:
        for unit in await session.scalars(select(Unit).order_by(Unit.id)):
            if unit.label.startswith("kamera"):
                unit.inventory_number = f"KAM-{unit.label.rsplit('-', 1)[1]}"


async def loan_of(db: Database, loan_id: int) -> Loan:
    async with db.read() as session:
        loan = await session.get(Loan, loan_id)
    assert loan is not None
    return loan


async def test_a_things_page_offers_reserve_for_pickup_instead_of_time_slots(
    client: Client, db: Database
) -> None:
    await lending_library(db)
    await sign_in(client, "anna@example.org")

    page = await client.get("/resources/kamera", headers=ENGLISH)

    assert page.status_code == 200
    assert "Reserve for pickup" in page.text
    assert 'name="pickup"' in page.text
    assert "Ladegerät" in page.text  # what comes with it
    assert "Free times" not in page.text
    assert "It is lent for up to 7 days." in page.text


async def test_reserving_from_the_page_lands_on_my_loans(client: Client, db: Database) -> None:
    await lending_library(db)
    await sign_in(client, "anna@example.org")

    response = await post_form(
        client, "/resources/kamera/loan", {"pickup": str(WEDNESDAY), "due": ""}, form_page="/resources/kamera"
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/my/loans?done=reserved"
    mine = await client.get("/my/loans", headers=ENGLISH)
    assert "Kamera-Set" in mine.text
    assert "reserved for pickup" in mine.text
    german = await client.get("/my/loans")
    assert "Meine Ausleihen" in german.text
    assert "zur Abholung reserviert" in german.text


async def test_a_closed_pickup_day_is_refused_next_to_its_field(client: Client, db: Database) -> None:
    await lending_library(db)
    await sign_in(client, "anna@example.org")

    response = await post_form(
        client, "/resources/kamera/loan", {"pickup": "2026-12-06", "due": ""}, form_page="/resources/kamera"
    )

    assert response.status_code == 403
    assert 'id="error-pickup"' in response.text
    assert "geschlossen" in response.text


async def test_my_loans_renews_and_cancels_on_a_second_step(client: Client, db: Database) -> None:
    await lending_library(db, units=2)
    token = await get_token(client)
    out = await reserve(client, token)
    kept = await reserve(client, token)
    staff = await get_token(client, "staff@example.org")
    await client.post(
        f"/api/v1/loans/{out['id']}/checkout", json={}, headers={"Authorization": f"Bearer {staff}"}
    )
    await sign_in(client, "anna@example.org")

    renewed = await post_form(client, f"/my/loans/{out['id']}/renew", {}, form_page="/my/loans")
    assert renewed.status_code == 303
    assert (await loan_of(db, out["id"])).renewals == 1
    confirm = await client.get(f"/my/loans/{kept['id']}/cancel", headers=ENGLISH)
    assert "Cancel the reservation?" in confirm.text
    assert (await loan_of(db, kept["id"])).status is LoanStatus.RESERVED
    cancelled = await post_form(client, f"/my/loans/{kept['id']}/cancel", {}, form_page="/my/loans")
    assert cancelled.status_code == 303
    assert (await loan_of(db, kept["id"])).status is LoanStatus.CANCELLED


async def test_a_refused_renewal_is_said_at_the_loan(client: Client, db: Database) -> None:
    await lending_library(db)
    token = await get_token(client)
    out = await reserve(client, token)
    staff = await get_token(client, "staff@example.org")
    await client.post(
        f"/api/v1/loans/{out['id']}/checkout", json={}, headers={"Authorization": f"Bearer {staff}"}
    )
    await client.post(f"/api/v1/loans/{out['id']}/renew", headers={"Authorization": f"Bearer {token}"})
    await sign_in(client, "anna@example.org")

    refused = await post_form(client, f"/my/loans/{out['id']}/renew", {}, form_page="/my/loans")

    assert refused.status_code == 409
    assert f'id="error-loan-{out["id"]}"' in refused.text


async def test_the_desk_hands_out_with_the_checklist_and_takes_back(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await lending_library(db, units=2)
    await numbered(db)
    loan = await reserve(client, await get_token(client))
    clock.set(utc(WEDNESDAY, 11))
    await sign_in(client, "staff@example.org")

    desk = await client.get("/staff/loans?number=kam-2", headers=ENGLISH)
    assert desk.status_code == 200
    assert "Reserved by" in desk.text
    assert 'name="part-1"' in desk.text
    handed = await post_form(
        client,
        f"/staff/loans/{loan['id']}/checkout",
        {"number": "KAM-2", "part-0": "on", "part-1": "on"},
        form_page="/staff/loans",
    )
    assert handed.status_code == 303
    out = await loan_of(db, loan["id"])
    assert out.status is LoanStatus.ON_LOAN
    assert out.checklist == [
        {"item": "Akku", "ok": True},
        {"item": "Ladegerät", "ok": True},
        {"item": "Tasche", "ok": False},
    ]

    again = await client.get("/staff/loans?number=KAM-2", headers=ENGLISH)
    assert "Take back" in again.text
    back = await post_form(
        client,
        f"/staff/loans/{loan['id']}/return",
        {"number": "KAM-2", "condition": "worn", "missing-2": "on", "note": "Riemen locker"},
        form_page="/staff/loans",
    )
    assert back.status_code == 303
    returned = await loan_of(db, loan["id"])
    assert returned.status is LoanStatus.RETURNED
    assert returned.missing_parts == ["Tasche"]
    assert returned.note == "Riemen locker"


async def test_the_desk_lends_now_to_a_person(client: Client, db: Database) -> None:
    await lending_library(db)
    await numbered(db)
    await sign_in(client, "staff@example.org")

    lent = await post_form(
        client,
        "/staff/loans/new",
        {"number": "KAM-1", "person": "anna@example.org", "due": "", "part-0": "on"},
        form_page="/staff/loans",
    )

    assert lent.status_code == 303, lent.text
    async with db.read() as session:
        [loan] = (await session.scalars(select(Loan))).all()
    assert loan.status is LoanStatus.ON_LOAN
    assert loan.pickup == date(2026, 12, 1)
    assert [row.kind for row in await outbox(db)] == []  # handed out at once: no "reserved" mail


async def test_an_unknown_inventory_number_is_said_next_to_the_field(client: Client, db: Database) -> None:
    await lending_library(db)
    await sign_in(client, "staff@example.org")

    page = await client.get("/staff/loans?number=XYZ-9", headers=ENGLISH)

    assert page.status_code == 404
    assert 'id="error-number"' in page.text
    assert "No unit has this inventory number." in page.text


async def test_overdue_loans_are_listed_for_the_staff(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await lending_library(db)
    loan = await reserve(client, await get_token(client))
    staff = await get_token(client, "staff@example.org")
    await client.post(
        f"/api/v1/loans/{loan['id']}/checkout", json={}, headers={"Authorization": f"Bearer {staff}"}
    )
    async with db.write() as session:
        await session.execute(update(Loan).values(reminder_stage=5))
    clock.set(utc(WEDNESDAY + timedelta(days=10), 10))
    await sign_in(client, "staff@example.org")

    page = await client.get("/staff/loans", headers=ENGLISH)

    assert "3 days" in page.text
    assert "Kamera-Set" in page.text


async def test_a_thing_on_loan_shows_on_the_day_grid_and_its_booking_page(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await lending_library(db)
    loan = await reserve(client, await get_token(client))
    staff = await get_token(client, "staff@example.org")
    await client.post(
        f"/api/v1/loans/{loan['id']}/checkout", json={}, headers={"Authorization": f"Bearer {staff}"}
    )
    clock.set(utc(WEDNESDAY, 10))
    await sign_in(client, "staff@example.org")

    grid = await client.get(f"/staff/desk?date={WEDNESDAY}", headers=ENGLISH)

    assert grid.status_code == 200
    assert "kamera-1" in grid.text
    assert "status-on_loan" in grid.text
    assert "On loan" in grid.text

    # Three days past its due day and still out: the grid of that day shows it overdue.
    late = WEDNESDAY + timedelta(days=10)
    clock.set(utc(late, 10))
    await send_reminders(db, now=clock.now())
    await sign_in(client, "staff@example.org")  # the clock's jump ended the staff session
    later = await client.get(f"/staff/desk?date={late}", headers=ENGLISH)
    assert "status-overdue" in later.text
    assert "Overdue" in later.text
    booking_id = (await loan_of(db, loan["id"])).booking_id
    assert (await client.get(f"/staff/bookings/{booking_id}", headers=ENGLISH)).status_code == 200


async def test_the_checklists_and_the_things_page_show_the_parts_in_the_pages_language(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await lending_library(db)
    await numbered(db)
    async with db.write() as session:
        await session.execute(
            update(Resource)
            .where(Resource.slug == "kamera")
            .values(loan_parts_en=["Battery", "Charger", "Bag"])
        )
    loan = await reserve(client, await get_token(client))
    clock.set(utc(WEDNESDAY, 11))

    await sign_in(client, "anna@example.org")
    english_page = await client.get("/resources/kamera", headers=ENGLISH)
    german_page = await client.get("/resources/kamera")
    assert "<li>Battery</li><li>Charger</li><li>Bag</li>" in english_page.text
    assert "<li>Akku</li><li>Ladegerät</li><li>Tasche</li>" in german_page.text

    await sign_in(client, "staff@example.org")
    english_desk = await client.get("/staff/loans?number=KAM-1", headers=ENGLISH)
    german_desk = await client.get("/staff/loans?number=KAM-1")
    assert f'<label for="part-{loan["id"]}-1">Charger</label>' in english_desk.text
    assert "Ladegerät" not in english_desk.text
    assert f'<label for="part-{loan["id"]}-1">Ladegerät</label>' in german_desk.text
    assert "Charger" not in german_desk.text
    # Ticked on the English page, the checklist is kept in the thing's own (German) words.
    await post_form(
        client,
        f"/staff/loans/{loan['id']}/checkout",
        {"number": "KAM-1", "part-0": "on", "part-1": "on", "part-2": "on"},
        form_page="/staff/loans",
    )
    assert [tick["item"] for tick in (await loan_of(db, loan["id"])).checklist or []] == [
        "Akku",
        "Ladegerät",
        "Tasche",
    ]
    taking_back = await client.get("/staff/loans?number=KAM-1", headers=ENGLISH)
    assert f'<label for="missing-{loan["id"]}-2">Bag</label>' in taking_back.text
    assert (
        f'<label for="missing-{loan["id"]}-2">Tasche</label>'
        in (await client.get("/staff/loans?number=KAM-1")).text
    )
