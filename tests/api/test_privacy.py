"""Privacy by default: a person's data export, deleting an account, and the retention period."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from library.accounts.models import ApiToken, LoginSession, Role, User
from library.accounts.service import start_session_within
from library.audit.log import record
from library.audit.models import AuditEntry
from library.booking.models import Booking, BookingStatus
from library.catalog.models import Factor, Resource, ResourceKind
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.outbox.models import OutboxMessage, OutboxStatus
from library.scheduler import run_jobs_once
from library.workshops.models import Registration, RegistrationStatus, Workshop, WorkshopSession
from tests.support.api import Client
from tests.support.factories import (
    DEFAULT_PASSWORD,
    assert_problem,
    bearer,
    create_location,
    create_resource,
    create_user,
    get_token,
)
from tests.support.times import FRIDAY, TEST_NOW, WEDNESDAY, at


async def book(client: Client, token: str, day: date, hour: int, resource: str = "gruppenraum") -> int:
    response = await client.post(
        "/api/v1/bookings",
        json={"resource": resource, "start": at(day, hour), "end": at(day, hour + 1), "note": "Lerngruppe"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    booking_id = response.json()["id"]
    assert isinstance(booking_id, int)
    return booking_id


async def a_library(db: Database) -> Resource:
    location = await create_location(db)
    await create_user(db, "anna@example.org", name="Anna Muster", birth_date=date(1990, 5, 1))
    await create_user(db, "ben@example.org", name="Ben Beispiel")
    return await create_resource(db, location, "gruppenraum", kind=ResourceKind.ROOM, units=2)


async def counts_by_resource_and_status(db: Database) -> Counter[tuple[int, BookingStatus]]:
    """What statistics count: bookings per resource and status."""
    async with db.read() as session:
        rows = await session.execute(
            select(Booking.resource_id, Booking.status, func.count()).group_by(
                Booking.resource_id, Booking.status
            )
        )
        return Counter({(resource_id, status): number for resource_id, status, number in rows})


async def test_the_export_holds_the_persons_data_and_nothing_of_anyone_else(
    db: Database, client: Client
) -> None:
    await a_library(db)
    anna, ben = await get_token(client), await get_token(client, "ben@example.org")
    annas = await book(client, anna, FRIDAY, 10)
    await book(client, ben, FRIDAY, 12)  # nothing of it may show in Anna's export

    response = await client.get("/api/v1/me/export", headers=bearer(anna))

    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    assert ".json" in response.headers["content-disposition"]
    export: dict[str, Any] = response.json()
    assert export["profile"]["email"] == "anna@example.org"
    assert export["profile"]["name"] == "Anna Muster"
    assert export["profile"]["birth_date"] == "1990-05-01"
    assert [b["id"] for b in export["bookings"]] == [annas]
    assert export["bookings"][0]["resource"] == "gruppenraum"
    assert export["bookings"][0]["note"] == "Lerngruppe"
    assert datetime.fromisoformat(export["bookings"][0]["start_at"]) == datetime.fromisoformat(at(FRIDAY, 10))
    assert len(export["api_tokens"]) == 1
    assert set(export["api_tokens"][0]) == {"id", "created_at", "expires_at", "revoked_at", "last_used_at"}
    assert [m["kind"] for m in export["messages"]] == ["booking.confirmed"]
    assert export["messages"][0]["recipient"] == "anna@example.org"
    about_bookings = [e for e in export["audit"] if e["object_type"] == "booking"]
    assert [(e["action"], e["object_id"]) for e in about_bookings] == [("booking.create", str(annas))]
    assert about_bookings[0]["as_actor"]
    assert about_bookings[0]["as_subject"]
    # Nothing of Ben, and no secret of Anna's.
    text = response.text
    assert "ben@example.org" not in text
    assert "Ben Beispiel" not in text
    async with db.read() as session:
        hashes = list(await session.scalars(select(ApiToken.token_hash)))
        password_hash = await session.scalar(
            select(User.password_hash).where(User.email == "anna@example.org")
        )
    assert password_hash is not None
    assert password_hash not in text
    assert not any(h in text for h in hashes)


async def test_the_export_needs_a_signed_in_person(db: Database, client: Client) -> None:
    await a_library(db)
    assert_problem(await client.get("/api/v1/me/export"), 401, "unauthenticated")


async def a_full_workshop_session(db: Database, client: Client) -> int:
    """A first-come session with one place, for Anna; Ben waits."""
    await create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    staff = await get_token(client, "staff@example.org")
    workshop = await client.post(
        "/api/v1/workshops",
        json={"title": "3D-Druck", "description": "Erste Schritte.", "factor": "technology"},
        headers=bearer(staff),
    )
    assert workshop.status_code == 201, workshop.text
    session = await client.post(
        f"/api/v1/workshops/{workshop.json()['slug']}/sessions",
        json={"start": at(FRIDAY, 14), "end": at(FRIDAY, 16), "room": "gruppenraum", "capacity": 1},
        headers=bearer(staff),
    )
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]
    assert isinstance(session_id, int)
    return session_id


async def test_deleting_an_account_cancels_what_is_ahead_and_keeps_the_past_as_counts(
    db: Database, client: Client, clock: SettableClock
) -> None:
    room = await a_library(db)
    anna, ben = await get_token(client), await get_token(client, "ben@example.org")
    async with db.write() as session:
        annas_account = await session.scalar(select(User).where(User.email == "anna@example.org"))
        assert annas_account is not None
        await start_session_within(session, annas_account, TEST_NOW, timedelta(hours=12))
    past = await book(client, anna, WEDNESDAY, 11)
    ahead = await book(client, anna, FRIDAY, 10)
    session_id = await a_full_workshop_session(db, client)
    for token in (anna, ben):
        signed_up = await client.post(
            f"/api/v1/workshop-sessions/{session_id}/registrations", headers=bearer(token)
        )
        assert signed_up.status_code == 201, signed_up.text
    assert (await client.get("/api/v1/registrations", headers=bearer(ben))).json()["items"][0][
        "status"
    ] == "waitlisted"
    clock.set(TEST_NOW + timedelta(days=2))  # Thursday: Wednesday's booking is past
    before = await counts_by_resource_and_status(db)
    async with db.write() as session:
        first_mail = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.user_id == annas_account.id).order_by(OutboxMessage.id)
        )
        assert first_mail is not None
        first_mail.status, first_mail.sent_at, sent_mail = OutboxStatus.SENT, TEST_NOW, first_mail.id

    wrong = await client.request(
        "DELETE", "/api/v1/me", json={"password": "not-my-password"}, headers=bearer(anna)
    )
    assert_problem(wrong, 403, "wrong_password")
    assert (await client.get("/api/v1/me", headers=bearer(anna))).status_code == 200

    deleted = await client.request(
        "DELETE", "/api/v1/me", json={"password": DEFAULT_PASSWORD}, headers=bearer(anna)
    )

    assert deleted.status_code == 204, deleted.text
    assert_problem(await client.get("/api/v1/me", headers=bearer(anna)), 401, "unauthenticated")
    again = await client.post(
        "/api/v1/auth/tokens", json={"email": "anna@example.org", "password": DEFAULT_PASSWORD}
    )
    assert_problem(again, 401, "invalid_credentials")
    # Ben moves up from the waitlist.
    bens = (await client.get("/api/v1/registrations", headers=bearer(ben))).json()["items"]
    assert bens[0]["status"] == "confirmed"
    async with db.read() as session:
        person = await session.scalar(
            select(User).where(User.id == select(Booking.user_id).where(Booking.id == past).scalar_subquery())
        )
        assert person is not None
        assert person.email == f"deleted-{person.id}@library.invalid"
        assert (person.name, person.birth_date, person.password_hash) == ("", None, None)
        assert not person.is_active
        assert person.deleted_at == TEST_NOW + timedelta(days=2)
        statuses = dict(
            (
                await session.execute(select(Booking.id, Booking.status).where(Booking.id.in_([past, ahead])))
            ).all()
        )
        assert statuses == {past: BookingStatus.CONFIRMED, ahead: BookingStatus.CANCELLED}
        notes = set(await session.scalars(select(Booking.note).where(Booking.user_id == person.id)))
        assert notes == {""}
        registration = await session.scalar(select(Registration).where(Registration.user_id == person.id))
        assert registration is not None
        assert registration.status is RegistrationStatus.CANCELLED
        assert (
            await session.scalar(
                select(func.count()).select_from(LoginSession).where(LoginSession.user_id == person.id)
            )
            == 0
        )
        live_tokens = await session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == person.id, ApiToken.revoked_at.is_(None))
        )
        assert live_tokens == 0
        # The mail that went out is kept without address or content; the rest will never go.
        mail = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.user_id == person.id))
        ).scalars()
        assert [(m.id, m.recipient, m.payload) for m in mail] == [(sent_mail, "", {})]
        actions = set(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(ahead)))
        )
        assert "booking.cancelled" in actions
        bens_mail = set(
            await session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.recipient == "ben@example.org")
            )
        )
        assert "registration.confirmed" in bens_mail
    # The booking ahead moved from confirmed to cancelled; the past one still counts as it did.
    expected = before.copy()
    expected.subtract({(room.id, BookingStatus.CONFIRMED): 1})
    expected.update({(room.id, BookingStatus.CANCELLED): 1})
    assert await counts_by_resource_and_status(db) == +expected


async def test_the_last_administrator_cannot_delete_their_account(db: Database, client: Client) -> None:
    await create_user(db, "admin@example.org", name="Ada", role=Role.ADMIN)
    admin = await get_token(client, "admin@example.org")
    body = {"password": DEFAULT_PASSWORD}
    assert_problem(
        await client.request("DELETE", "/api/v1/me", json=body, headers=bearer(admin)), 409, "last_admin"
    )
    await create_user(db, "admin2@example.org", name="Bert", role=Role.ADMIN)
    deleted = await client.request("DELETE", "/api/v1/me", json=body, headers=bearer(admin))
    assert deleted.status_code == 204, deleted.text


async def past_rows(db: Database, resource: Resource, now: datetime) -> dict[str, Any]:
    """Anna's booking, registration, mail and audit entry from 91 and from 89 days ago."""
    async with db.write() as session:
        anna = await session.scalar(select(User).where(User.email == "anna@example.org"))
        assert anna is not None
        workshop = Workshop(slug="rueckblick", title="Rückblick", factor=Factor.KNOWHOW)
        session.add(workshop)
        await session.flush()
        made: dict[str, Any] = {"anna": anna.id}
        for age in (91, 89):
            end = now - timedelta(days=age)
            start = end - timedelta(hours=1)
            booking = Booking(
                unit_id=resource.units[0].id,
                resource_id=resource.id,
                user_id=anna.id,
                start_at=start,
                end_at=end,
                occupied_start=start,
                occupied_end=end,
                status=BookingStatus.COMPLETED,
                note="Für meine Bachelorarbeit",
                created_by_id=anna.id,
                created_at=start,
            )
            workshop_session = WorkshopSession(
                workshop_id=workshop.id,
                resource_id=resource.id,
                start_at=start,
                end_at=end,
                capacity=5,
                registration_opens=start - timedelta(days=10),
                registration_closes=start,
            )
            session.add_all([booking, workshop_session])
            await session.flush()
            registration = Registration(
                session_id=workshop_session.id, user_id=anna.id, status=RegistrationStatus.ATTENDED
            )
            message = OutboxMessage(
                kind="booking.confirmed",
                user_id=anna.id,
                recipient="anna@example.org",
                payload={"booking_id": booking.id},
                status=OutboxStatus.SENT,
                created_at=start,
            )
            session.add_all([registration, message])
            await session.flush()
            entry = record(
                session,
                actor_id=anna.id,
                action="booking.create",
                object_type="booking",
                object_id=booking.id,
                at=start,
                after={"user_id": anna.id, "status": "confirmed"},
                reason="Anna ruft an",
            )
            await session.flush()
            made[f"{age}"] = {
                "booking": booking.id,
                "registration": registration.id,
                "message": message.id,
                "audit": entry.id,
            }
    return made


async def test_after_the_retention_period_past_rows_forget_the_person(
    db: Database, settings: Settings, clock: SettableClock
) -> None:
    resource = await a_library(db)
    made = await past_rows(db, resource, clock.now())
    before = await counts_by_resource_and_status(db)

    first = await run_jobs_once(db, clock, settings)
    second = await run_jobs_once(db, clock, settings)

    assert first["anonymise_expired"] == 4  # booking, registration, mail, audit entry from 91 days ago
    assert second["anonymise_expired"] == 0
    assert await counts_by_resource_and_status(db) == before
    async with db.read() as session:
        old, recent = made["91"], made["89"]
        bookings = {b.id: b for b in await session.scalars(select(Booking))}
        assert (bookings[old["booking"]].user_id, bookings[old["booking"]].note) == (None, "")
        assert bookings[old["booking"]].created_by_id is None
        assert bookings[old["booking"]].status is BookingStatus.COMPLETED
        assert bookings[old["booking"]].resource_id == resource.id
        assert (bookings[recent["booking"]].user_id, bookings[recent["booking"]].note) == (
            made["anna"],
            "Für meine Bachelorarbeit",
        )
        registrations = {r.id: r for r in await session.scalars(select(Registration))}
        assert registrations[old["registration"]].user_id is None
        assert registrations[old["registration"]].status is RegistrationStatus.ATTENDED
        assert registrations[recent["registration"]].user_id == made["anna"]
        messages = {m.id: m for m in await session.scalars(select(OutboxMessage))}
        assert (messages[old["message"]].recipient, messages[old["message"]].payload) == ("", {})
        assert messages[old["message"]].user_id is None
        assert messages[recent["message"]].recipient == "anna@example.org"
        entries = {e.id: e for e in await session.scalars(select(AuditEntry))}
        forgotten = entries[old["audit"]]
        assert (forgotten.action, forgotten.object_id) == ("booking.create", str(old["booking"]))
        assert (forgotten.actor_id, forgotten.before, forgotten.after, forgotten.reason) == (
            None,
            None,
            None,
            None,
        )
        kept = entries[recent["audit"]]
        assert (kept.actor_id, kept.reason) == (made["anna"], "Anna ruft an")


async def test_the_retention_period_comes_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("LIBRARY_DATABASE_URL", "sqlite+aiosqlite:///unused.sqlite3")
    monkeypatch.setenv("LIBRARY_SECRET_KEY", "test")
    assert Settings.from_env().retention_days == 90
    monkeypatch.setenv("LIBRARY_RETENTION_DAYS", "30")
    assert Settings.from_env().retention_days == 30


async def test_the_openapi_document_lists_export_and_deletion(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    assert "get" in document["paths"]["/api/v1/me/export"]
    deletion = document["paths"]["/api/v1/me"]["delete"]
    body = deletion["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in body:
        body = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert body["required"] == ["password"]


async def test_two_registrations_of_one_address_at_once_answer_409_and_log_no_address(
    db: Database, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"email": "zoe@example.org", "password": DEFAULT_PASSWORD, "name": "Zoe Zeitgleich"}
    with caplog.at_level(logging.INFO):  # what a running service logs
        answers = await asyncio.gather(*(client.post("/api/v1/auth/register", json=body) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert "zoe@example.org" not in caplog.text
    assert "Zeitgleich" not in caplog.text
