"""The desk's people pages: find a person by part of name, e-mail or card, make a visitor account,
see one person's bookings, sign-ups and certifications, correct the birth date and card; and the
card and the bound birth date on a visitor's own account page."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from library.accounts.models import Role, User
from library.audit.models import AuditEntry
from library.clock import SettableClock
from library.db import Database
from library.outbox.models import OutboxMessage
from tests.support import factories
from tests.support.api import Client, book
from tests.support.forms import post_form, sign_in, submit_form
from tests.support.times import FRIDAY, at


async def desk(db: Database) -> dict[str, User]:
    return {
        "staff": await factories.create_user(db, "staff@example.org", name="Sabine Staff", role=Role.STAFF),
        "anna": await factories.create_user(
            db, "anna.berg@example.org", name="Anna Berg", birth_date=date(1990, 5, 1)
        ),
        "otto": await factories.create_user(db, "otto@example.org", name="Otto Örtel"),
    }


async def person_named(db: Database, name: str) -> User:
    async with db.read() as session:
        person = await session.scalar(select(User).where(User.name == name))
    assert person is not None
    return person


async def test_people_pages_need_staff(client: Client, db: Database) -> None:
    found = await desk(db)
    anonymous = await client.get("/staff/people", follow_redirects=False)
    assert anonymous.status_code == 303
    await sign_in(client, "otto@example.org")
    assert (await client.get("/staff/people")).status_code == 403
    assert (await client.get(f"/staff/people/{found['anna'].id}")).status_code == 403
    made = await post_form(client, "/staff/people", {"name": "X"}, form_page="/account")
    assert made.status_code == 403


async def test_staff_find_a_person_by_part_of_name_email_or_card_and_see_their_page(
    client: Client, db: Database
) -> None:
    found = await desk(db)
    location = await factories.create_location(db)
    await factories.create_resource(db, location, "gruppenraum-1", name="Gruppenraum 1")
    booked = await book(
        client,
        await factories.get_token(client, "anna.berg@example.org"),
        "gruppenraum-1",
        at(FRIDAY, 10),
        at(FRIDAY, 11),
    )
    assert booked.status_code == 201, booked.text
    await sign_in(client, "staff@example.org")
    for query in ("BERG", "anna.b", ""):
        page = await client.get("/staff/people", params={"q": query})
        assert page.status_code == 200
        assert (f'href="/staff/people/{found["anna"].id}"' in page.text) is bool(query)
        assert ("Otto" in page.text) is False
    nobody = await client.get("/staff/people", params={"q": "zzz"})
    assert "Niemand passt zu „zzz“." in nobody.text
    person = await client.get(f"/staff/people/{found['anna'].id}")
    assert person.status_code == 200
    assert "Gruppenraum 1" in person.text
    assert "bestätigt" in person.text
    assert "Keine Workshop-Anmeldungen." in person.text
    assert (await client.get("/staff/people/9999")).status_code == 404


async def test_a_visitor_account_made_at_the_desk(client: Client, db: Database) -> None:
    await desk(db)
    await sign_in(client, "staff@example.org")
    shown = await submit_form(
        client,
        "/staff/people",
        {
            "name": "Dora Desk",
            "email": "dora@example.org",
            "library_card": "ulm-1",
            "birth_date": "2001-02-03",
            "language": "de",
        },
        form_page="/staff/people",
    )
    assert "Dora Desk" in shown.text
    assert "ULM-1" in shown.text
    assert "E-Mail mit einem Link" in shown.text
    async with db.read() as session:
        kinds = list(await session.scalars(select(OutboxMessage.kind)))
    assert kinds == ["account.set_password"]
    # The same card again: a message next to the field, and nothing typed is lost.
    again = await post_form(
        client, "/staff/people", {"name": "Dora Zwei", "library_card": " ULM-1 "}, form_page="/staff/people"
    )
    assert again.status_code == 409
    assert "Ein anderes Konto hat bereits diese Ausweisnummer." in again.text
    assert 'value="Dora Zwei"' in again.text
    bad = await post_form(client, "/staff/people", {"name": "Zeile\neins"}, form_page="/staff/people")
    assert bad.status_code == 422
    assert "Bitte in einer Zeile" in bad.text


async def test_staff_verify_a_birth_date_and_the_visitor_can_no_longer_change_it(
    client: Client, db: Database, clock: SettableClock
) -> None:
    found = await desk(db)
    anna = found["anna"]
    await sign_in(client, "staff@example.org")
    page = f"/staff/people/{anna.id}"
    shown = await submit_form(
        client, f"{page}/birth-date", {"birth_date": "1990-05-02", "verified": "on"}, form_page=page
    )
    assert "geprüft" in shown.text
    assert "Das Geburtsdatum wurde gespeichert." in shown.text
    await sign_in(client, "anna.berg@example.org")
    account = await client.get("/account")
    assert "readonly" in account.text
    refused = await post_form(
        client,
        "/account",
        {"name": "Anna Berg", "birth_date": "1980-01-01", "language": "de"},
        form_page="/account",
    )
    assert refused.status_code == 403
    assert "Geburtsdatum geprüft" in refused.text
    kept = await submit_form(
        client,
        "/account",
        {"name": "Anna B.", "birth_date": "1990-05-02", "language": "de"},
        form_page="/account",
    )
    assert "Anna B." in kept.text
    async with db.read() as session:
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "user.birth_date"))
        )
    assert len(entries) == 1
    assert entries[0].before == {"birth_date": "1990-05-01", "birth_date_verified_at": None}
    assert entries[0].actor_id == found["staff"].id


async def test_a_visitor_adds_their_library_card_and_hears_when_it_is_taken(
    client: Client, db: Database
) -> None:
    await desk(db)
    await sign_in(client, "otto@example.org")
    shown = await submit_form(
        client,
        "/account/library-card",
        {"library_card": " ab-77 "},
        form_page="/account",
        lands_on="/account?done=card_saved",
    )
    assert 'value="AB-77"' in shown.text
    await sign_in(client, "anna.berg@example.org")
    taken = await post_form(client, "/account/library-card", {"library_card": "AB-77"}, form_page="/account")
    assert taken.status_code == 409
    assert "Ein anderes Konto hat bereits diese Ausweisnummer." in taken.text
    staff_view = await factories.get_token(client, "staff@example.org")
    listed = await client.get("/api/v1/users", params={"q": "b-7"}, headers=factories.bearer(staff_view))
    assert [item["name"] for item in listed.json()["items"]] == ["Otto Örtel"]
