"""Password reset by e-mail link: the request tells nothing about the account, the link
works once for 30 minutes, and using it signs the account out everywhere."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from library.accounts import service
from library.accounts.models import Language, LoginSession, PasswordReset, User
from library.accounts.resets import request_password_reset, reset_password
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.notify.mail import Sender, Unbuildable, build_message
from library.outbox.models import OutboxMessage
from library.scheduler import run_jobs_once
from tests.support.api import Client
from tests.support.factories import DEFAULT_PASSWORD, assert_problem, bearer, create_user, get_token
from tests.support.mail import Inbox, html_of, outbox, text_of

NEW_PASSWORD = "Donau-Schwimmer-2027"
SENDER = Sender("Stadtbibliothek Ulm", "noreply@127.0.0.1")


async def ask(client: Client, email: str) -> None:
    response = await client.post("/api/v1/auth/password-reset", json={"email": email})
    assert response.status_code == 202, response.text
    assert response.content == b""


async def resets_queued(db: Database) -> list[OutboxMessage]:
    return [row for row in await outbox(db) if row.kind == "account.password_reset"]


def link_in(text: str, settings: Settings) -> str:
    found = re.search(re.escape(settings.base_url) + r"/password-reset/([A-Za-z0-9_-]+)", text)
    assert found is not None, text
    return found.group(1)


async def latest_token(db: Database, settings: Settings) -> str:
    """The token from the newest reset mail, built the way the worker builds it."""
    row = (await resets_queued(db))[-1]
    async with db.read() as session:
        message = await build_message(
            session, row, base_url=settings.base_url, sender=SENDER, secret_key=settings.secret_key
        )
    return link_in(text_of(message), settings)


async def use(client: Client, token: str, password: str = NEW_PASSWORD) -> int:
    response = await client.post(f"/api/v1/auth/password-reset/{token}", json={"password": password})
    return response.status_code


async def test_the_whole_flow_over_smtp_signs_the_account_out_everywhere(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    anna = await create_user(db, "anna@example.org", name="Anna Muster")
    api_token = await get_token(client)
    async with db.write() as session:
        await service.start_session_within(session, anna, clock.now(), timedelta(hours=12))

    await ask(client, "  Anna@Example.org ")
    # The scheduler's worker signs the link with the service's secret key.
    assert (await run_jobs_once(db, clock, replace(settings, smtp_url=smtp.url)))["send_outbox"] == 1
    [mail] = smtp.accepted
    assert mail["To"] == "anna@example.org"
    assert mail["Subject"] == "Stadtbibliothek Ulm: Passwort zurücksetzen"
    text = text_of(mail)
    assert "30 Minuten" in text
    token = link_in(text, settings)
    assert f'href="{settings.base_url}/password-reset/{token}"' in html_of(mail)
    assert "Neues Passwort festlegen</a>" in html_of(mail)

    # Only the token's SHA-256 is stored; the token is nowhere in the database.
    async with db.read() as session:
        reset = await session.scalar(select(PasswordReset))
        assert reset is not None
        assert reset.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in reset.nonce
        assert reset.expires_at == clock.now() + timedelta(minutes=30)
    assert all(token not in str(row.payload) for row in await outbox(db))

    clock.advance(timedelta(minutes=29))
    assert await use(client, token) == 204
    assert (await client.get("/api/v1/me", headers=bearer(api_token))).status_code == 401
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(LoginSession)) == 0
    refused = await client.post(
        "/api/v1/auth/tokens", json={"email": "anna@example.org", "password": DEFAULT_PASSWORD}
    )
    assert_problem(refused, 401, "invalid_credentials")
    fresh = await get_token(client, password=NEW_PASSWORD)
    assert (await client.get("/api/v1/me", headers=bearer(fresh))).status_code == 200

    # Once only.
    again = await client.post(
        f"/api/v1/auth/password-reset/{token}", json={"password": "Noch-ein-Passwort-1"}
    )
    assert_problem(again, 400, "reset_link_invalid")


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(db: Database, client: Client) -> None:
    await create_user(db, "anna@example.org")
    await ask(client, "nobody@example.org")
    assert await resets_queued(db) == []
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(PasswordReset)) == 0


async def test_the_mail_speaks_the_users_language(db: Database, client: Client, settings: Settings) -> None:
    await create_user(db, "ben@example.org", name="Ben Smith", language=Language.EN)
    await ask(client, "ben@example.org")
    [row] = await resets_queued(db)
    assert row.language == "en"
    async with db.read() as session:
        message = await build_message(
            session, row, base_url=settings.base_url, sender=SENDER, secret_key=settings.secret_key
        )
    assert message["Subject"] == "Ulm City Library: Reset your password"
    assert "Set a new password: " in text_of(message)


async def test_an_expired_or_unknown_link_is_refused(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await create_user(db, "anna@example.org")
    await ask(client, "anna@example.org")
    token = await latest_token(db, settings)
    clock.advance(timedelta(minutes=30))
    expired = await client.post(f"/api/v1/auth/password-reset/{token}", json={"password": NEW_PASSWORD})
    body = assert_problem(expired, 400, "reset_link_invalid")
    assert "abgelaufen" in body["detail"]
    unknown = await client.post("/api/v1/auth/password-reset/not-a-token", json={"password": NEW_PASSWORD})
    assert_problem(unknown, 400, "reset_link_invalid")
    assert (
        await client.post(
            "/api/v1/auth/tokens", json={"email": "anna@example.org", "password": DEFAULT_PASSWORD}
        )
    ).status_code == 201


async def test_a_weak_password_is_refused_and_the_link_stays_usable(
    db: Database, client: Client, settings: Settings
) -> None:
    await create_user(db, "anna@example.org")
    await ask(client, "anna@example.org")
    token = await latest_token(db, settings)
    weak = await client.post(f"/api/v1/auth/password-reset/{token}", json={"password": "password123"})
    body = assert_problem(weak, 422, "weak_password")
    assert "password" in str(body)
    assert await use(client, token) == 204


async def test_using_one_link_retires_the_others(db: Database, client: Client, settings: Settings) -> None:
    await create_user(db, "anna@example.org")
    await ask(client, "anna@example.org")
    first = await latest_token(db, settings)
    await ask(client, "anna@example.org")
    second = await latest_token(db, settings)
    assert first != second
    assert await use(client, second) == 204
    assert await use(client, first) == 400


async def test_requests_are_throttled_like_logins_whether_or_not_the_account_exists(
    db: Database, client: Client
) -> None:
    await create_user(db, "anna@example.org")
    for email in ("anna@example.org", "nobody@example.org"):
        for _ in range(service.MAX_FAILURES_PER_ACCOUNT):
            await ask(client, email)
        throttled = await client.post("/api/v1/auth/password-reset", json={"email": email})
        body = assert_problem(throttled, 429, "too_many_attempts")
        assert int(throttled.headers["Retry-After"]) > 0
        assert "Zurücksetzen" in body["detail"]
    assert len(await resets_queued(db)) == service.MAX_FAILURES_PER_ACCOUNT
    # Asking for links does not lock anyone out of signing in.
    assert (
        await client.post(
            "/api/v1/auth/tokens", json={"email": "anna@example.org", "password": DEFAULT_PASSWORD}
        )
    ).status_code == 201


async def test_the_service_functions_work_without_http(
    db: Database, clock: SettableClock, settings: Settings
) -> None:
    """What the pages call: the same functions, each opening its own transaction."""
    await create_user(db, "anna@example.org")
    await request_password_reset(
        db,
        "anna@example.org",
        clock.now(),
        address="192.0.2.1",
        secret_key=settings.secret_key,
    )
    token = await latest_token(db, settings)
    user = await reset_password(db, token, NEW_PASSWORD, clock.now())
    assert isinstance(user, User)
    assert user.email == "anna@example.org"
    async with db.read() as session:
        reset = await session.scalar(select(PasswordReset))
        assert reset is not None
        assert reset.used_at == clock.now()


async def test_the_link_depends_on_the_secret_key(db: Database, client: Client, settings: Settings) -> None:
    await create_user(db, "anna@example.org")
    await ask(client, "anna@example.org")
    [row] = await resets_queued(db)
    async with db.read() as session:
        with pytest.raises(Unbuildable):
            await build_message(session, row, base_url=settings.base_url, sender=SENDER, secret_key="")
        forged = await build_message(
            session, row, base_url=settings.base_url, sender=SENDER, secret_key="another-key"
        )
    assert await use(client, link_in(text_of(forged), settings)) == 400
    assert await use(client, await latest_token(db, settings)) == 204
