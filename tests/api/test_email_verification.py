"""E-mail verification: a self-registered account gets a link by mail; with LIBRARY_VERIFY_EMAIL=on
it books and signs up for workshops only once the link was followed. Accounts made by staff, by
`library users create` and all accounts that existed before count as verified."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from library.accounts.models import Role, User
from library.audit.models import AuditEntry
from library.catalog.models import ResourceKind
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.notify.mail import Sender, build_message
from library.outbox.models import OutboxMessage
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
from tests.support.times import FRIDAY, at

PASSWORD = "Münster-Turm-768"
SENDER = Sender("Stadtbibliothek Ulm", "noreply@127.0.0.1")


async def register(client: Client, email: str = "bert@example.org") -> str:
    """Register and sign in: the new account's bearer token."""
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Bert"}
    )
    assert response.status_code == 201, response.text
    return await get_token(client, email, PASSWORD)


async def verification_mails(db: Database) -> list[OutboxMessage]:
    return [row for row in await outbox(db) if row.kind == "account.email_verification"]


async def latest_token(db: Database, settings: Settings) -> str:
    """The token in the newest confirmation mail, built as the outbox worker builds it."""
    row = (await verification_mails(db))[-1]
    async with db.read() as session:
        message = await build_message(
            session, row, base_url=settings.base_url, sender=SENDER, secret_key=settings.secret_key
        )
    text = text_of(message)
    assert "Bestätigen Sie Ihre E-Mail-Adresse" in message["Subject"]
    found = re.search(re.escape(settings.base_url) + r"/verify-email/([A-Za-z0-9_-]+)", text)
    assert found is not None, text
    return found.group(1)


async def verify(client: Client, token: str) -> int:
    return (await client.post("/api/v1/auth/verify", json={"token": token})).status_code


async def test_registering_sends_a_link_that_confirms_the_address_once(
    client: Client, db: Database, settings: Settings
) -> None:
    token = await register(client)
    assert len(await verification_mails(db)) == 1
    me = await client.get("/api/v1/me", headers=bearer(token))
    assert me.json()["email_verified"] is False

    link = await latest_token(db, settings)
    assert await verify(client, link) == 200
    assert (await client.get("/api/v1/me", headers=bearer(token))).json()["email_verified"] is True
    # Single use; and the token is stored only as a hash.
    assert_problem(
        await client.post("/api/v1/auth/verify", json={"token": link}), 400, "verification_link_invalid"
    )
    async with db.read() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "user.email_verified"))
        stored = (await session.execute(select(OutboxMessage.payload))).scalars().all()
    assert entry is not None
    assert link not in str(stored)


async def test_an_expired_or_unknown_link_is_refused_and_a_new_one_can_be_asked_for(
    client: Client, db: Database, settings: Settings, clock: SettableClock
) -> None:
    token = await register(client)
    first = await latest_token(db, settings)
    clock.advance(timedelta(days=3, minutes=1))
    assert await verify(client, first) == 400
    assert await verify(client, "not-a-token") == 400

    again = await client.post("/api/v1/me/verification", headers=bearer(token))
    assert again.status_code == 202, again.text
    assert len(await verification_mails(db)) == 2
    assert await verify(client, await latest_token(db, settings)) == 200
    # A confirmed address gets no more links.
    assert (await client.post("/api/v1/me/verification", headers=bearer(token))).status_code == 202
    assert len(await verification_mails(db)) == 2


async def test_asking_for_links_again_and_again_is_throttled(client: Client, db: Database) -> None:
    token = await register(client)
    for _ in range(4):  # the one sent at registration counts too
        assert (await client.post("/api/v1/me/verification", headers=bearer(token))).status_code == 202
    refused = await client.post("/api/v1/me/verification", headers=bearer(token))
    assert_problem(refused, 429, "too_many_attempts")
    assert int(refused.headers["Retry-After"]) > 0


async def test_with_verification_on_an_unverified_account_cannot_book_or_sign_up(
    verifying_client: Client, db: Database, settings: Settings
) -> None:
    location = await create_location(db)
    await create_resource(db, location, "gruppenraum-1", name="Gruppenraum 1")
    await create_resource(db, location, "makerspace", kind=ResourceKind.ROOM)
    await create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    staff = await get_token(verifying_client, "staff@example.org")
    workshop = await new_workshop(verifying_client, staff)
    session = (await new_session(verifying_client, staff, workshop["slug"])).json()
    bert = await register(verifying_client)

    refused = await book(verifying_client, bert, "gruppenraum-1", at(FRIDAY, 10), at(FRIDAY, 11))
    assert_problem(refused, 403, "email_unverified")
    assert "Link" in refused.json()["detail"]
    signup = f"/api/v1/workshop-sessions/{session['id']}/registrations"
    assert_problem(await verifying_client.post(signup, headers=bearer(bert)), 403, "email_unverified")

    assert await verify(verifying_client, await latest_token(db, settings)) == 200
    booked = await book(verifying_client, bert, "gruppenraum-1", at(FRIDAY, 10), at(FRIDAY, 11))
    assert booked.status_code == 201, booked.text
    assert (await verifying_client.post(signup, headers=bearer(bert))).status_code == 201


async def test_accounts_made_by_staff_or_the_command_count_as_verified(
    verifying_client: Client, db: Database
) -> None:
    location = await create_location(db)
    await create_resource(db, location, "gruppenraum-1", name="Gruppenraum 1")
    await create_user(db)  # as staff and `library users create` make accounts
    anna = await get_token(verifying_client)
    response = await book(verifying_client, anna, "gruppenraum-1", at(FRIDAY, 10), at(FRIDAY, 11))
    assert response.status_code == 201, response.text
    async with db.read() as session:
        user = await session.scalar(select(User).where(User.email == "anna@example.org"))
    assert user is not None
    assert user.email_verified_at is not None


def test_verification_is_on_in_production_and_off_elsewhere_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIBRARY_SECRET_KEY", "k")
    monkeypatch.setenv("LIBRARY_DATABASE_URL", "sqlite://")
    monkeypatch.delenv("LIBRARY_VERIFY_EMAIL", raising=False)
    monkeypatch.setenv("LIBRARY_PASSWORD_HASHING", "standard")  # production refuses the cheap one
    monkeypatch.setenv("LIBRARY_ENV", "production")
    assert Settings.from_env().verify_email is True
    monkeypatch.setenv("LIBRARY_ENV", "development")
    assert Settings.from_env().verify_email is False
    monkeypatch.setenv("LIBRARY_VERIFY_EMAIL", "on")
    assert Settings.from_env().verify_email is True
