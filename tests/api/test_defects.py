"""Defect reports and usage-based maintenance (API.md, Loans, holds and defects).

A notice only tells staff; a blocking report takes the unit out of service with the same block
staff place, moving the bookings it touches, until staff close the report. Maintenance plans
make units due by their meters, counted in the database from the bookings that were used.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from library.accounts.models import Language, Role, User
from library.audit.models import AuditEntry
from library.booking.models import Booking, BookingStatus
from library.catalog.models import Unit, UnitBlock
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.notify.mail import Sender, build_message
from library.outbox.models import OutboxMessage
from tests.support.api import Client, booked, setup_library
from tests.support.booking_rows import insert_booking, row
from tests.support.factories import assert_problem, bearer, create_user, get_token
from tests.support.mail import Inbox, html_of, send, text_of
from tests.support.times import TEST_NOW, WEDNESDAY, at, utc


async def printer_units(db: Database) -> list[Unit]:
    async with db.read() as session:
        return list(
            await session.scalars(
                select(Unit).join(Unit.resource).where(Unit.resource.has(slug="3d-drucker")).order_by(Unit.id)
            )
        )


async def report(client: Client, token: str, unit_id: int, **body: Any) -> Any:
    return await client.post(f"/api/v1/units/{unit_id}/reports", json=body, headers=bearer(token))


async def test_a_notice_is_recorded_and_the_unit_stays_in_service(db: Database, client: Client) -> None:
    await setup_library(db)
    first, _ = await printer_units(db)
    visitor = await get_token(client)

    response = await report(client, visitor, first.id, severity="notice", text="Die Düse tropft etwas.")

    assert response.status_code == 201, response.text
    assert response.json()["block"] is None
    staff = await get_token(client, "staff@example.org")
    unit = (await client.get(f"/api/v1/units/{first.id}", headers=bearer(staff))).json()
    assert unit["state"] == "in_service"
    assert unit["code"] == first.code
    listed = (await client.get("/api/v1/reports", headers=bearer(staff))).json()
    assert [r["text"] for r in listed["items"]] == ["Die Düse tropft etwas."]
    async with db.read() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "unit.report" in actions


async def test_a_blocking_report_moves_the_booking_with_mail_and_closing_ends_the_block(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await setup_library(db)
    visitor = await get_token(client)
    booking = await booked(client, visitor, "3d-drucker", at(WEDNESDAY, 10), at(WEDNESDAY, 11))
    unit_id = booking["unit"]["id"]

    response = await report(
        client, await get_token(client, "ben@example.org"), unit_id, severity="blocking", text="Raucht!"
    )

    assert response.status_code == 201, response.text
    answer = response.json()
    [moved] = answer["moved"]
    assert moved["booking"] == booking["id"]
    assert moved["unit"] != unit_id
    async with db.read() as session:
        row_ = await session.get(Booking, booking["id"])
        mail = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == "anna@example.org")  # the staff's mail is apart
                .order_by(OutboxMessage.id.desc())
            )
        ).first()
    assert row_ is not None
    assert row_.unit_id == moved["unit"]
    assert row_.status is BookingStatus.CONFIRMED
    assert mail is not None
    assert mail.kind == "booking.moved"
    assert "Raucht" not in str(mail.payload)  # the reporter's words stay with the staff
    staff = await get_token(client, "staff@example.org")
    unit = (await client.get(f"/api/v1/units/{unit_id}", headers=bearer(staff))).json()
    assert unit["state"] == "reported"

    clock.advance(timedelta(hours=2))
    closed = await client.post(
        f"/api/v1/reports/{answer['id']}/close", json={"note": "Lüfter getauscht"}, headers=bearer(staff)
    )

    assert closed.status_code == 200, closed.text
    assert closed.json()["close_note"] == "Lüfter getauscht"
    async with db.read() as session:
        block = await session.get(UnitBlock, answer["block"])
    assert block is not None
    assert block.end_at == TEST_NOW + timedelta(hours=2)
    unit = (await client.get(f"/api/v1/units/{unit_id}", headers=bearer(staff))).json()
    assert unit["state"] == "in_service"
    again = await client.post(f"/api/v1/reports/{answer['id']}/close", json={}, headers=bearer(staff))
    assert_problem(again, 409, "report_closed")


async def test_only_staff_choose_another_resolve_and_close_reports(db: Database, client: Client) -> None:
    await setup_library(db)
    first, _ = await printer_units(db)
    visitor = await get_token(client)

    refused = await report(client, visitor, first.id, severity="blocking", text="x", resolve="cancel")
    empty = await report(client, visitor, first.id, severity="notice", text="   ")
    made = await report(client, visitor, first.id, severity="notice", text="Kabel lose")
    close = await client.post(f"/api/v1/reports/{made.json()['id']}/close", json={}, headers=bearer(visitor))
    anonymous = await client.post(
        f"/api/v1/units/{first.id}/reports", json={"severity": "notice", "text": "x"}
    )

    assert_problem(refused, 403, "forbidden")
    assert_problem(empty, 422, "report_text_required")
    assert_problem(close, 403, "forbidden")
    assert anonymous.status_code == 401


async def test_maintenance_plan_is_checked(db: Database, client: Client) -> None:
    await setup_library(db)
    staff = await get_token(client, "staff@example.org")
    url = "/api/v1/resources/3d-drucker/maintenance"

    empty = await client.put(url, json={"warn_before_percent": 10}, headers=bearer(staff))
    negative = await client.put(url, json={"every_hours": 0}, headers=bearer(staff))
    too_warned = await client.put(
        url, json={"every_days": 30, "warn_before_percent": 100}, headers=bearer(staff)
    )
    unknown = await client.put(
        "/api/v1/resources/nichts/maintenance", json={"every_days": 3}, headers=bearer(staff)
    )
    visitor = await client.put(url, json={"every_days": 3}, headers=bearer(await get_token(client)))
    good = await client.put(url, json={"every_hours": 200, "every_bookings": 5}, headers=bearer(staff))

    assert_problem(empty, 422, "plan_empty")
    assert negative.status_code == 422
    assert too_warned.status_code == 422
    assert_problem(unknown, 404, "not_found")
    assert_problem(visitor, 403, "forbidden")
    assert good.status_code == 200, good.text
    assert good.json() == {
        "resource": "3d-drucker",
        "every_hours": 200,
        "every_bookings": 5,
        "every_days": None,
        "warn_before_percent": 10,
    }


async def test_usage_counts_used_bookings_since_the_last_service_and_the_due_list(
    db: Database, client: Client, clock: SettableClock
) -> None:
    library = await setup_library(db)
    first, second = await printer_units(db)
    printer = library["printer"].id
    past = TEST_NOW - timedelta(days=3)
    for hours, status in (
        (0, "completed"),
        (2, "completed"),
        (4, "checked_in"),
        (6, "cancelled"),
        (8, "no_show"),
    ):
        start = past + timedelta(hours=hours)
        await insert_booking(db, row(printer, first.id, start, start + timedelta(minutes=90), status=status))
    running = TEST_NOW - timedelta(minutes=30)  # checked in and still running: counts up to now
    await insert_booking(
        db, row(printer, second.id, running, running + timedelta(hours=2), status="checked_in")
    )
    staff = await get_token(client, "staff@example.org")

    usage = (await client.get(f"/api/v1/units/{first.id}", headers=bearer(staff))).json()["usage"]
    other = (await client.get(f"/api/v1/units/{second.id}", headers=bearer(staff))).json()["usage"]

    assert usage == {"hours": 4.5, "bookings": 3, "since_service": None, "serviced_at": None}
    assert other["hours"] == 0.5
    assert other["bookings"] == 1

    await client.put(
        "/api/v1/resources/3d-drucker/maintenance",
        json={"every_hours": 5, "every_bookings": 10, "warn_before_percent": 20},
        headers=bearer(staff),
    )
    due = (await client.get("/api/v1/maintenance/due", headers=bearer(staff))).json()["items"]
    assert [(d["unit"], d["standing"]) for d in due] == [(first.id, "soon")]  # 4.5 of 5 hours

    serviced = await client.post(
        f"/api/v1/units/{first.id}/services", json={"note": "Düse neu"}, headers=bearer(staff)
    )
    assert serviced.status_code == 201, serviced.text
    assert serviced.json()["hours"] == 0
    assert serviced.json()["since_service"] == 0
    assert (await client.get("/api/v1/maintenance/due", headers=bearer(staff))).json()["items"] == []
    clock.advance(timedelta(days=2))
    later = (await client.get(f"/api/v1/units/{first.id}", headers=bearer(staff))).json()["usage"]
    assert later["since_service"] == 2


async def test_block_at_the_next_quiet_time_misses_the_bookings(db: Database, client: Client) -> None:
    await setup_library(db)
    visitor = await get_token(client)
    booking = await booked(client, visitor, "3d-drucker", at(WEDNESDAY, 10), at(WEDNESDAY, 11))
    unit_id = booking["unit"]["id"]
    staff = await get_token(client, "staff@example.org")

    response = await client.post(
        f"/api/v1/units/{unit_id}/quiet-block", json={"reason": "Wartung"}, headers=bearer(staff)
    )

    assert response.status_code == 201, response.text
    block = response.json()
    async with db.read() as session:
        kept = await session.get(Booking, booking["id"])
    assert kept is not None
    assert kept.unit_id == unit_id
    assert kept.status is BookingStatus.CONFIRMED
    assert block["unit"] == unit_id
    assert block["start"] == at(TEST_NOW.date(), 10)  # now, 10:00 in Ulm: the printer is free


async def test_two_staff_closing_one_report_at_once_close_it_once(db: Database, client: Client) -> None:
    await setup_library(db)
    first, _ = await printer_units(db)
    made = await report(client, await get_token(client), first.id, severity="blocking", text="Kaputt")
    staff = bearer(await get_token(client, "staff@example.org"))
    url = f"/api/v1/reports/{made.json()['id']}/close"

    answers = await asyncio.gather(*(client.post(url, json={"note": n}, headers=staff) for n in ("a", "b")))

    assert sorted(a.status_code for a in answers) == [200, 409]
    async with db.read() as session:
        closes = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "unit.report_close")
        )
    assert closes == 1


async def test_statistics_count_the_downtime_of_blocked_units_in_opening_hours(
    db: Database, client: Client
) -> None:
    made = await setup_library(db)
    printer = made["printer"]
    async with db.write() as session:  # Monday 2 Nov: blocked 08:00-11:00, open from 10:00
        session.add(
            UnitBlock(
                unit_id=printer.units[0].id,
                start_at=utc(date(2026, 11, 2), 8),
                end_at=utc(date(2026, 11, 2), 11),
                reason="Düse",
            )
        )
    staff = await get_token(client, "staff@example.org")

    answer = await client.get(
        "/api/v1/stats/utilisation",
        params={"from": "2026-11-02", "to": "2026-11-02", "group_by": "resource"},
        headers=bearer(staff),
    )

    rows = {r["key"]: r for r in answer.json()["rows"]}
    assert rows["3d-drucker"]["downtime_minutes"] == 60
    assert rows["3d-drucker"]["open_minutes"] == 2 * 540 - 60
    assert rows["gruppenraum-1"]["downtime_minutes"] == 0


async def a_second_admin_and_a_staff_member_who_left(db: Database) -> None:
    """Reading English; and a former member of staff whose account is inactive."""
    await create_user(db, "admin@example.org", name="Ada", role=Role.ADMIN, language=Language.EN)
    gone = await create_user(db, "gone@example.org", name="Gustav", role=Role.STAFF)
    async with db.write() as session:
        account = await session.get(User, gone.id)
        assert account is not None
        account.is_active = False


async def test_a_blocking_report_mails_every_active_member_of_staff_in_their_language(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    await a_second_admin_and_a_staff_member_who_left(db)
    first, second = await printer_units(db)
    ben = await get_token(client, "ben@example.org")

    notice = await report(client, ben, second.id, severity="notice", text="Etwas laut.")
    blocking = await report(client, ben, first.id, severity="blocking", text="Raucht aus dem Lüfter!")

    assert notice.status_code == blocking.status_code == 201, notice.text + blocking.text
    async with db.write() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "unit.reported").order_by(OutboxMessage.id)
            )
        )
        assert [(r.recipient, r.language) for r in rows] == [
            ("staff@example.org", "de"),
            ("admin@example.org", "en"),
        ]
        assert all(r.payload == {"report_id": blocking.json()["id"]} for r in rows)
        sender = Sender("Bibliothek", "noreply@127.0.0.1")
        german, english = [
            await build_message(session, r, base_url="http://127.0.0.1:8000", sender=sender) for r in rows
        ]
    assert german["Subject"] == f"Außer Betrieb: 3d-drucker, {first.label}"
    assert english["Subject"] == f"Out of service: 3d-drucker, {first.label}"
    for mail, words in (
        (german, ("eine Besucherin oder ein Besucher", "Außer Betrieb")),
        (english, ("a visitor", "Out of service")),
    ):
        text = text_of(mail)
        assert "Raucht aus dem Lüfter!" in text
        assert first.label in text
        assert "http://127.0.0.1:8000/staff/defects" in text
        assert all(word in text for word in words)
        assert "ben@example.org" not in mail.as_string()
        assert re.search(r"\bBen\b", text) is None
    assert "Zentralbibliothek" in text_of(german)
    assert "Central Library" in text_of(english)


async def test_a_member_of_staff_who_reports_is_not_mailed_about_it_and_a_mail_is_delivered(
    db: Database, client: Client, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    await setup_library(db)
    await a_second_admin_and_a_staff_member_who_left(db)
    first, _ = await printer_units(db)
    staff = await get_token(client, "staff@example.org")

    made = await report(client, staff, first.id, severity="blocking", text="Heizbett defekt")

    assert made.status_code == 201, made.text
    assert await send(db, clock, settings, smtp) == 1
    [mail] = smtp.accepted
    assert mail["To"] == "admin@example.org"
    assert mail["Content-Language"] == "en"
    text = text_of(mail)
    assert "a member of staff reported a problem with 3d-drucker" in text
    assert "Heizbett defekt" in text
    assert "Heizbett defekt" in html_of(mail)
