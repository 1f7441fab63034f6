"""The audit log page: sentences, search by actor, action, object and dates, readable changes,
pages; staff read it without the account actions, admins with them."""

from __future__ import annotations

from datetime import timedelta

from library.accounts.models import Role, User
from library.audit.log import record
from library.clock import SettableClock
from library.db import Database
from tests.support import factories
from tests.support.api import Client, booked, setup_library
from tests.support.forms import sign_in


async def a_log(db: Database, clock: SettableClock) -> dict[str, User]:
    """An admin who changed a role yesterday, staff who cancelled a booking today, the system's draw."""
    admin = await factories.create_user(db, "admin@example.org", name="Ada Admin", role=Role.ADMIN)
    staff = await factories.create_user(db, "staff@example.org", name="Sabine Staff", role=Role.STAFF)
    now = clock.now()
    async with db.write() as session:
        record(
            session,
            actor_id=admin.id,
            action="user.role",
            object_type="user",
            object_id=staff.id,
            at=now - timedelta(days=1),
            before={"role": "visitor"},
            after={"role": "staff"},
        )
        record(
            session,
            actor_id=staff.id,
            action="booking.cancel",
            object_type="booking",
            object_id=42,
            at=now - timedelta(hours=1),
            before={"status": "confirmed", "end_at": "2026-12-04T13:00:00+00:00"},
            after={"status": "cancelled", "end_at": "2026-12-04T13:00:00+00:00"},
            reason="Raum wird renoviert",
        )
        record(
            session,
            actor_id=None,
            action="workshop_session.draw",
            object_type="workshop_session",
            object_id=7,
            at=now,
            after={"seed": "ulm", "winners": [3, 1]},
        )
    return {"admin": admin, "staff": staff}


async def test_staff_read_the_log_but_only_admins_the_account_actions(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await a_log(db, clock)
    anonymous = await client.get("/staff/audit?action=user", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fstaff%2Faudit%3Faction%3Duser"
    await factories.create_user(db, "visitor@example.org", name="Vera Visitor")
    await sign_in(client, "visitor@example.org")
    assert (await client.get("/staff/audit")).status_code == 403
    await sign_in(client, "staff@example.org")
    staff = await client.get("/staff/audit")
    assert staff.status_code == 200
    assert "Raum wird renoviert" in staff.text
    assert "<code>user.role</code>" not in staff.text
    assert "<code>user.role</code>" not in (await client.get("/staff/audit?action=user")).text
    await sign_in(client, "admin@example.org")
    admin = await client.get("/staff/audit")
    assert "<code>user.role</code>" in admin.text
    assert "Ada Admin gab Sabine Staff die Rolle staff." in admin.text


async def test_entries_show_who_when_what_the_changes_and_why(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await a_log(db, clock)
    await sign_in(client, "admin@example.org")
    page = await client.get("/staff/audit")
    assert page.status_code == 200
    rows = page.text.split("<tbody>")[1].split("<tr>")[1:]
    assert [("workshop_session.draw" in r, "booking.cancel" in r, "user.role" in r) for r in rows] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]  # newest first
    draw, cancel, role = rows
    assert "Das System hat die Plätze für den Termin von workshop_session 7" in draw
    assert "[3, 1]" in draw
    assert "Sabine Staff" in cancel
    assert "staff@example.org" in cancel
    assert "<code>status</code>: confirmed" in cancel
    assert "cancelled" in cancel
    assert "end_at" not in cancel  # unchanged fields are left out
    assert "Raum wird renoviert" in cancel
    assert "booking 42" in cancel
    assert "Ada Admin" in role
    assert "<code>role</code>: visitor" in role
    assert "→" in role
    english = await client.get("/staff/audit", headers={"accept-language": "en"})
    assert "Audit log" in english.text
    assert "Who (name or e-mail address)" in english.text


async def test_the_search_narrows_by_actor_action_object_and_dates(
    client: Client, db: Database, clock: SettableClock
) -> None:
    found = await a_log(db, clock)
    await sign_in(client, "admin@example.org")

    async def actions(query: str) -> list[str]:
        response = await client.get(f"/staff/audit?{query}")
        assert response.status_code == 200, response.text
        return [
            a
            for a in ("workshop_session.draw", "booking.cancel", "user.role")
            if f"<code>{a}</code>" in response.text
        ]

    assert await actions("actor=SABINE") == ["booking.cancel"]
    assert await actions("actor=admin%40example") == ["user.role"]
    assert await actions("action=booking.") == ["booking.cancel"]
    assert await actions("object_type=workshop_session") == ["workshop_session.draw"]
    assert await actions(f"object_type=user&object_id={found['staff'].id}") == ["user.role"]
    assert await actions("date_from=2026-12-01") == ["workshop_session.draw", "booking.cancel"]
    assert await actions("date_to=2026-11-30") == ["user.role"]
    assert await actions("action=nothing") == []
    kept = await client.get("/staff/audit?actor=sabine&action=booking")
    assert 'value="sabine"' in kept.text
    assert '<option value="booking">' in kept.text


async def test_a_bad_date_is_explained_next_to_its_field(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await a_log(db, clock)
    await sign_in(client, "admin@example.org")
    bad = await client.get("/staff/audit?date_from=gestern&date_to=2026-12-01")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("text/html")
    assert 'id="error-date_from"' in bad.text
    assert 'value="gestern"' in bad.text
    assert "Bitte geben Sie das Datum als TT.MM.JJJJ ein." in bad.text
    backwards = await client.get("/staff/audit?date_from=2026-12-02&date_to=2026-12-01")
    assert backwards.status_code == 422
    assert 'id="error-date_to"' in backwards.text


async def test_the_log_is_paginated(client: Client, db: Database, clock: SettableClock) -> None:
    found = await a_log(db, clock)
    async with db.write() as session:
        for n in range(60):
            record(
                session,
                actor_id=found["staff"].id,
                action="booking.create",
                object_type="booking",
                object_id=1000 + n,
                at=clock.now() + timedelta(minutes=n),
            )
    await sign_in(client, "admin@example.org")
    first = await client.get("/staff/audit?action=booking")
    assert first.text.count("<code>booking.create</code>") == 50
    assert "booking 1059" in first.text  # newest first
    assert 'href="/staff/audit?action=booking&amp;page=2"' in first.text
    second = await client.get("/staff/audit?action=booking&page=2")
    assert second.text.count("<code>booking.create</code>") == 10
    assert "<code>booking.cancel</code>" in second.text
    assert 'href="/staff/audit?action=booking&amp;page=1"' in second.text
    assert "page=3" not in second.text


async def test_an_actor_who_deleted_their_account_is_not_named(
    client: Client, db: Database, clock: SettableClock
) -> None:
    found = await a_log(db, clock)
    async with db.write() as session:
        gone = await session.get(User, found["staff"].id)
        assert gone is not None
        gone.name, gone.email, gone.deleted_at = "", "deleted-2@invalid", clock.now()
    await sign_in(client, "admin@example.org")
    page = await client.get("/staff/audit?action=booking")
    assert "Ein gelöschtes Konto: booking cancel an booking 42." in page.text
    assert "deleted-2@invalid" not in page.text


async def test_a_real_booking_reads_with_the_resource_its_time_and_the_reason(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await setup_library(db)
    anna = await factories.get_token(client, "anna@example.org")
    staff = await factories.get_token(client, "staff@example.org")
    made = await booked(
        client, anna, "gruppenraum-1", "2026-12-02T14:00:00+01:00", "2026-12-02T15:00:00+01:00"
    )
    cancelled = await client.post(
        f"/api/v1/bookings/{made['id']}/cancel",
        json={"reason": "Raum defekt"},
        headers=factories.bearer(staff),
    )
    assert cancelled.status_code == 200, cancelled.text
    await sign_in(client, "staff@example.org")
    german = (await client.get("/staff/audit?action=booking")).text
    assert "Sabine hat die Buchung von Gruppenraum 1" in german
    assert "2. Dez. 2026, 14:00 storniert. Grund: Raum defekt" in german
    assert "Anna Muster hat Gruppenraum 1" in german
    english = (await client.get("/staff/audit?action=booking", headers={"accept-language": "en"})).text
    assert "Sabine cancelled the booking of Gruppenraum 1" in english
    assert "2 Dec 2026, 14:00. Reason: Raum defekt" in english
