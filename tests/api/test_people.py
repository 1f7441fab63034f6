"""People at the desk (API.md "Desk and people"): staff find a person by part of their name,
e-mail address or library card number, and make visitor accounts; the birth date binds once
staff verify it or an age rule refuses with it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from library.accounts import people, service
from library.accounts.models import Language, Role, User
from library.audit.models import AuditEntry
from library.config import Settings
from library.db import Database
from library.errors import NotAllowed
from library.notify.mail import Sender, build_message
from tests.support.api import Client, book, new_session, new_workshop
from tests.support.factories import (
    assert_problem,
    bearer,
    create_location,
    create_resource,
    create_user,
    get_token,
)
from tests.support.mail import outbox, text_of
from tests.support.times import FRIDAY, TEST_NOW, at

SENDER = Sender("Stadtbibliothek Ulm", "noreply@127.0.0.1")


async def staff_token(client: Client, db: Database) -> str:
    await create_user(db, "staff@example.org", name="Sabine Schalter", role=Role.STAFF)
    return await get_token(client, "staff@example.org")


async def test_staff_find_people_by_part_of_name_email_or_card(client: Client, db: Database) -> None:
    staff = bearer(await staff_token(client, db))
    await create_user(db, "anna.berg@example.org", name="Anna Berg", birth_date=date(1990, 5, 1))
    await create_user(db, "otto@beispiel.de", name="Otto Örtel")
    made = await client.post(
        "/api/v1/users", json={"name": "Carla Kern", "library_card": " ulm-4711 "}, headers=staff
    )
    assert made.status_code == 201, made.text

    async def names(q: str) -> list[str]:
        response = await client.get("/api/v1/users", params={"q": q}, headers=staff)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await names("BERG") == ["Anna Berg"]  # part of the name, any case
    assert await names("beispiel") == ["Otto Örtel"]  # part of the address
    assert await names("m-47") == ["Carla Kern"]  # part of the card number, any case
    assert await names("invalid") == []  # the placeholder of an account without e-mail is no match
    assert await names("100%") == []  # % is a character here, not a wildcard
    found = (await client.get("/api/v1/users", params={"q": "anna"}, headers=staff)).json()["items"]
    assert found == [
        {
            "id": found[0]["id"],
            "name": "Anna Berg",
            "role": "visitor",
            "email": "anna.berg@example.org",
            "birth_date": "1990-05-01",
            "birth_date_verified": False,
        }
    ]
    carla = (await client.get("/api/v1/users", params={"q": "carla"}, headers=staff)).json()["items"][0]
    assert "email" not in carla
    assert carla["library_card"] == "ULM-4711"


async def test_the_people_list_is_paged(client: Client, db: Database) -> None:
    staff = bearer(await staff_token(client, db))
    for number in range(3):
        await create_user(db, f"leser{number}@example.org", name=f"Leser {number}")
    first = (await client.get("/api/v1/users", params={"q": "leser", "limit": 2}, headers=staff)).json()
    assert [item["name"] for item in first["items"]] == ["Leser 0", "Leser 1"]
    assert first["next"] is not None
    rest = (await client.get(first["next"], headers=staff)).json()
    assert [item["name"] for item in rest["items"]] == ["Leser 2"]
    assert rest["next"] is None


async def test_visitors_may_not_find_or_make_people(client: Client, db: Database) -> None:
    await create_user(db)
    visitor = bearer(await get_token(client))
    assert_problem(await client.get("/api/v1/users", params={"q": "a"}, headers=visitor), 403, "forbidden")
    created = await client.post("/api/v1/users", json={"name": "X"}, headers=visitor)
    assert_problem(created, 403, "forbidden")
    assert_problem(await client.get("/api/v1/users"), 401, "unauthenticated")


async def test_a_desk_account_with_email_gets_a_link_to_set_its_password(
    client: Client, db: Database, settings: Settings
) -> None:
    staff = bearer(await staff_token(client, db))
    body = {"name": "Dora Desk", "email": "Dora@Example.org", "birth_date": "2001-02-03", "language": "en"}
    created = await client.post("/api/v1/users", json=body, headers=staff)
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "dora@example.org"
    assert created.json()["role"] == "visitor"
    mails = [row for row in await outbox(db) if row.kind == "account.set_password"]
    assert [row.recipient for row in mails] == ["dora@example.org"]
    async with db.read() as session:
        message = await build_message(
            session, mails[0], base_url=settings.base_url, sender=SENDER, secret_key=settings.secret_key
        )
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert entry is not None
    assert entry.object_id == str(created.json()["id"])
    text = text_of(message)
    assert "Choose a password" in text or "choose one" in text.lower()
    found = re.search(re.escape(settings.base_url) + r"/password-reset/([A-Za-z0-9_-]+)", text)
    assert found is not None, text
    # No password yet: nobody can sign in until the person chose one with the link.
    assert (
        await client.post("/api/v1/auth/tokens", json={"email": "dora@example.org", "password": ""})
    ).status_code == 401
    chosen = await client.post(
        f"/api/v1/auth/password-reset/{found.group(1)}", json={"password": "Donau-Ufer-2026"}
    )
    assert chosen.status_code == 204, chosen.text
    assert await get_token(client, "dora@example.org", "Donau-Ufer-2026")
    again = await client.post(
        f"/api/v1/auth/password-reset/{found.group(1)}", json={"password": "Donau-Ufer-2027"}
    )
    assert_problem(again, 400, "reset_link_invalid")


async def test_a_desk_account_without_email_gets_no_mail(client: Client, db: Database) -> None:
    staff = bearer(await staff_token(client, db))
    created = await client.post("/api/v1/users", json={"name": "Emil Ohnemail"}, headers=staff)
    assert created.status_code == 201, created.text
    assert "email" not in created.json()
    assert await outbox(db) == []
    second = await client.post("/api/v1/users", json={"name": "Emil Ohnemail"}, headers=staff)
    assert second.status_code == 201  # two people without e-mail are two accounts


async def test_taken_email_and_card_are_conflicts(client: Client, db: Database) -> None:
    staff = bearer(await staff_token(client, db))
    await create_user(db, "anna@example.org")
    taken = await client.post(
        "/api/v1/users", json={"name": "A", "email": " ANNA@example.org"}, headers=staff
    )
    assert_problem(taken, 409, "email_taken")
    first = await client.post("/api/v1/users", json={"name": "B", "library_card": "ab-12"}, headers=staff)
    assert first.status_code == 201
    card = await client.post("/api/v1/users", json={"name": "C", "library_card": " AB-12 "}, headers=staff)
    assert_problem(card, 409, "card_taken")
    bad = await client.post("/api/v1/users", json={"name": "D", "library_card": "AB 12;"}, headers=staff)
    assert_problem(bad, 422, "invalid_input")
    broken = await client.post("/api/v1/users", json={"name": "Eva\nX"}, headers=staff)
    assert [e["field"] for e in assert_problem(broken, 422, "invalid_input")["errors"]] == ["name"]


async def test_an_age_refusal_binds_the_birth_date_and_only_staff_change_it(
    client: Client, db: Database
) -> None:
    location = await create_location(db)
    await create_resource(db, location, "vr-brille", min_age=16)
    ben = await create_user(db, "ben@example.org", name="Ben", birth_date=date(2012, 3, 1))
    staff = await create_user(db, "staff@example.org", role=Role.STAFF)
    token = await get_token(client, "ben@example.org")
    refused = await book(client, token, "vr-brille", at(FRIDAY, 10), at(FRIDAY, 11))
    assert_problem(refused, 403, "min_age")
    today = TEST_NOW.date()
    with pytest.raises(NotAllowed) as refusal:
        await service.update_profile(
            db,
            ben.id,
            name="Ben",
            birth_date=date(2000, 3, 1),
            language=Language.DE,
            today=today,
            now=TEST_NOW,
        )
    assert refusal.value.code == "birth_date_verified"
    assert refusal.value.fields == ("birth_date",)
    # The name can still be changed on its own.
    await service.update_profile(
        db,
        ben.id,
        name="Benjamin",
        birth_date=date(2012, 3, 1),
        language=Language.DE,
        today=today,
        now=TEST_NOW,
    )
    await people.set_birth_date_by_staff(
        db, ben.id, date(2010, 3, 1), verified=True, actor=staff, today=today, now=TEST_NOW
    )
    async with db.read() as session:
        person = await session.get(User, ben.id)
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_id == str(ben.id)).order_by(AuditEntry.id)
            )
        )
    assert person is not None
    assert person.birth_date == date(2010, 3, 1)
    assert person.birth_date_verified_at is not None
    assert actions == ["user.birth_date_bound", "user.update", "user.birth_date"]


async def test_without_a_birth_date_a_refusal_binds_nothing(client: Client, db: Database) -> None:
    location = await create_location(db)
    await create_resource(db, location, "vr-brille", min_age=16)
    anna = await create_user(db)
    await book(client, await get_token(client), "vr-brille", at(FRIDAY, 10), at(FRIDAY, 11))
    await service.update_profile(
        db,
        anna.id,
        name="Anna",
        birth_date=date(1990, 1, 1),
        language=Language.DE,
        today=TEST_NOW.date(),
        now=TEST_NOW,
    )
    async with db.read() as session:
        person = await session.get(User, anna.id)
    assert person is not None
    assert person.birth_date == date(1990, 1, 1)


async def test_a_workshop_refusal_for_age_binds_the_birth_date(client: Client, db: Database) -> None:
    location = await create_location(db)
    await create_resource(db, location, "makerspace")
    await create_user(db, "staff@example.org", role=Role.STAFF)
    ben = await create_user(db, "ben@example.org", name="Ben", birth_date=date(2012, 3, 1))
    staff = await get_token(client, "staff@example.org")
    workshop = await new_workshop(client, staff, min_age=16)
    created = await new_session(client, staff, workshop["slug"])
    assert created.status_code == 201, created.text
    refused = await client.post(
        f"/api/v1/workshop-sessions/{created.json()['id']}/registrations",
        headers=bearer(await get_token(client, "ben@example.org")),
    )
    assert_problem(refused, 403, "min_age")
    async with db.read() as session:
        person = await session.get(User, ben.id)
    assert person is not None
    assert person.birth_date_verified_at is not None


async def test_staff_book_for_a_desk_account_by_its_card_number(client: Client, db: Database) -> None:
    location = await create_location(db)
    await create_resource(db, location, "gruppenraum-1")
    staff = bearer(await staff_token(client, db))
    made = await client.post(
        "/api/v1/users", json={"name": "Karla Karte", "library_card": "ul-9"}, headers=staff
    )
    assert made.status_code == 201, made.text
    booked = await client.post(
        "/api/v1/bookings",
        json={
            "resource": "gruppenraum-1",
            "start": at(FRIDAY, 10),
            "end": at(FRIDAY, 11),
            "for_user": " UL-9",
        },
        headers=staff,
    )
    assert booked.status_code == 201, booked.text
    async with db.read() as session:
        owner = await session.scalar(select(User.name).where(User.id == made.json()["id"]))
    assert owner == "Karla Karte"
    unknown = await client.post(
        "/api/v1/bookings",
        json={
            "resource": "gruppenraum-1",
            "start": at(FRIDAY, 12),
            "end": at(FRIDAY, 13),
            "for_user": "UL-404",
        },
        headers=staff,
    )
    assert_problem(unknown, 422, "unknown_user")


async def test_staff_correct_birth_date_and_card_in_one_step(client: Client, db: Database) -> None:
    staff = bearer(await staff_token(client, db))
    anna = await create_user(db, "anna@example.org", birth_date=date(1990, 5, 1))
    await client.post("/api/v1/users", json={"name": "Karl", "library_card": "UL-1"}, headers=staff)
    taken = await client.patch(
        f"/api/v1/users/{anna.id}", json={"library_card": "ul-1", "birth_date": "1991-01-01"}, headers=staff
    )
    assert_problem(taken, 409, "card_taken")
    async with db.read() as session:
        unchanged = await session.get(User, anna.id)
    assert unchanged is not None
    assert unchanged.birth_date == date(1990, 5, 1)  # one transaction: nothing of it was saved
    changed = await client.patch(
        f"/api/v1/users/{anna.id}",
        json={"library_card": "ul-2", "birth_date": "1991-01-01", "birth_date_verified": True},
        headers=staff,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["library_card"] == "UL-2"
    assert changed.json()["birth_date"] == "1991-01-01"
    assert changed.json()["birth_date_verified"] is True
    kept = await client.patch(f"/api/v1/users/{anna.id}", json={"library_card": None}, headers=staff)
    assert "library_card" not in kept.json()
    assert kept.json()["birth_date"] == "1991-01-01"
    visitor = bearer(await get_token(client, "anna@example.org"))
    own = await client.patch(f"/api/v1/users/{anna.id}", json={"birth_date": "2000-01-01"}, headers=visitor)
    assert_problem(own, 403, "forbidden")
    assert_problem(await client.patch("/api/v1/users/99999", json={}, headers=staff), 404, "not_found")
    async with db.read() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_id == str(anna.id)).order_by(AuditEntry.id)
            )
        )
    assert actions == ["user.library_card", "user.birth_date", "user.library_card"]
