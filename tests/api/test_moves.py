"""Moving a booking (PATCH /api/v1/bookings/{id}) and taking a check-in back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from library.audit.models import AuditEntry
from library.booking.models import Booking
from library.clock import SettableClock
from library.db import Database
from library.outbox.models import OutboxMessage
from tests.support.api import Client, booked, setup_library
from tests.support.factories import assert_problem, bearer, create_user, get_token
from tests.support.times import WEDNESDAY, at


async def audit_actions(db: Database, booking_id: int) -> list[str]:
    async with db.read() as session:
        return list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "booking", AuditEntry.object_id == str(booking_id))
                .order_by(AuditEntry.id)
            )
        )


async def outbox_kinds(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))


async def test_the_owner_moves_the_time_within_the_rules(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    booking = await booked(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))

    response = await client.patch(
        f"/api/v1/bookings/{booking['id']}",
        json={"start": at(WEDNESDAY, 16), "end": at(WEDNESDAY, 18)},
        headers=bearer(token),
    )

    assert response.status_code == 200, response.text
    moved = response.json()
    assert (moved["id"], moved["start"], moved["end"]) == (
        booking["id"],
        at(WEDNESDAY, 16),
        at(WEDNESDAY, 18),
    )
    assert moved["status"] == "confirmed"
    assert await audit_actions(db, booking["id"]) == ["booking.create", "booking.move"]
    assert (await outbox_kinds(db))[-1] == "booking.moved"


async def test_the_owner_cannot_change_the_resource_or_break_the_rules(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    booking = await booked(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    path = f"/api/v1/bookings/{booking['id']}"

    other = await client.patch(path, json={"resource": "gruppenraum-2"}, headers=bearer(token))
    assert_problem(other, 403, "move_not_yours")
    late = await client.patch(
        path, json={"start": at(WEDNESDAY, 21), "end": at(WEDNESDAY, 22)}, headers=bearer(token)
    )
    assert_problem(late, 403, "outside_opening_hours")
    assert await audit_actions(db, booking["id"]) == ["booking.create"]


async def test_moving_onto_a_taken_slot_is_409_with_alternatives(db: Database, client: Client) -> None:
    await setup_library(db)
    await create_user(db, "other@example.org")
    token = await get_token(client)
    other = await get_token(client, "other@example.org")
    await booked(client, other, "gruppenraum-1", at(WEDNESDAY, 16), at(WEDNESDAY, 18))
    booking = await booked(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))

    response = await client.patch(
        f"/api/v1/bookings/{booking['id']}",
        json={"start": at(WEDNESDAY, 15), "end": at(WEDNESDAY, 17)},
        headers=bearer(token),
    )

    body = assert_problem(response, 409, "slot_taken")
    assert body["alternatives"], body
    async with db.read() as session:
        kept = await session.get(Booking, booking["id"])
    assert kept is not None
    assert kept.start_at.hour == 13  # 14:00 in Ulm, unchanged


async def test_a_move_over_its_own_time_needs_no_free_other_unit(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    booking = await booked(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))

    response = await client.patch(
        f"/api/v1/bookings/{booking['id']}",
        json={"start": at(WEDNESDAY, 15), "end": at(WEDNESDAY, 17)},
        headers=bearer(token),
    )

    assert response.status_code == 200, response.text
    assert response.json()["unit"] == booking["unit"]


async def test_staff_move_to_another_resource_with_a_reason(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    staff = await get_token(client, "staff@example.org")
    booking = await booked(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    path = f"/api/v1/bookings/{booking['id']}"

    no_reason = await client.patch(path, json={"resource": "gruppenraum-2"}, headers=bearer(staff))
    assert_problem(no_reason, 422, "reason_required")
    response = await client.patch(
        path, json={"resource": "gruppenraum-2", "reason": "Raum 1 wird gestrichen"}, headers=bearer(staff)
    )

    assert response.status_code == 200, response.text
    assert response.json()["resource"] == "gruppenraum-2"
    async with db.read() as session:
        entry = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "booking.move"))).one()
        mail = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking.moved"))
        ).one()
    assert entry.reason == "Raum 1 wird gestrichen"
    assert mail.payload["reason"] == "Raum 1 wird gestrichen"


async def test_staff_cannot_choose_a_unit_of_another_resource(db: Database, client: Client) -> None:
    things = await setup_library(db)
    token = await get_token(client)
    staff = await get_token(client, "staff@example.org")
    booking = await booked(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    printer_unit = things["printer"].units[0].id

    response = await client.patch(
        f"/api/v1/bookings/{booking['id']}", json={"unit": printer_unit, "reason": "x"}, headers=bearer(staff)
    )

    assert_problem(response, 422, "unit_not_of_resource")


async def test_others_cannot_move_a_booking(db: Database, client: Client) -> None:
    await setup_library(db)
    await create_user(db, "other@example.org")
    token = await get_token(client)
    other = await get_token(client, "other@example.org")
    booking = await booked(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))

    response = await client.patch(
        f"/api/v1/bookings/{booking['id']}",
        json={"start": at(WEDNESDAY, 16), "end": at(WEDNESDAY, 18)},
        headers=bearer(other),
    )

    assert_problem(response, 404, "not_found")


async def test_a_check_in_can_be_undone_for_ten_minutes(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await setup_library(db)
    token = await get_token(client)
    staff = await get_token(client, "staff@example.org")
    first = await booked(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 15))
    second = await booked(client, token, "gruppenraum-1", at(WEDNESDAY, 15), at(WEDNESDAY, 16))
    for booking in (first, second):
        checked = await client.post(f"/api/v1/bookings/{booking['id']}/check-in", headers=bearer(staff))
        assert checked.json()["status"] == "checked_in"

    clock.advance(timedelta(minutes=9))
    undone = await client.post(f"/api/v1/bookings/{first['id']}/undo-check-in", headers=bearer(staff))
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "confirmed"
    assert "checked_in_at" not in undone.json()
    assert await audit_actions(db, first["id"]) == [
        "booking.create",
        "booking.check_in",
        "booking.undo_check_in",
    ]

    clock.advance(timedelta(minutes=2))
    late = await client.post(f"/api/v1/bookings/{second['id']}/undo-check-in", headers=bearer(staff))
    assert_problem(late, 409, "undo_too_late")
    again = await client.post(f"/api/v1/bookings/{first['id']}/undo-check-in", headers=bearer(staff))
    assert_problem(again, 409, "invalid_state")


async def test_the_move_endpoints_are_in_the_openapi_document(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    assert "patch" in document["paths"]["/api/v1/bookings/{booking_id}"]
    assert "post" in document["paths"]["/api/v1/bookings/{booking_id}/undo-check-in"]
