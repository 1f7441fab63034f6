"""A unit block deals with the bookings it touches as staff choose (`resolve`): keep and list
them, move them to another free unit of the same resource, or cancel what cannot move with a
mail that names offers free at the same time. None is dropped silently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from library.booking.models import Booking, BookingStatus
from library.db import Database
from library.outbox.models import OutboxMessage
from tests.support.api import Client, booked, setup_library
from tests.support.factories import assert_problem, bearer, create_user, get_token
from tests.support.times import WEDNESDAY, at


async def printer_bookings(client: Client, db: Database, both: bool) -> list[dict[str, Any]]:
    await setup_library(db)
    await create_user(db, "ben2@example.org", name="Ben Zwei")
    first = await booked(client, await get_token(client), "3d-drucker", at(WEDNESDAY, 10), at(WEDNESDAY, 11))
    made = [first]
    if both:
        token = await get_token(client, "ben2@example.org")
        made.append(await booked(client, token, "3d-drucker", at(WEDNESDAY, 10), at(WEDNESDAY, 11)))
    return made


async def block(client: Client, unit_id: int, **extra: str) -> dict[str, Any]:
    staff = await get_token(client, "staff@example.org")
    response = await client.post(
        f"/api/v1/units/{unit_id}/blocks",
        json={"start": at(WEDNESDAY, 9), "end": at(WEDNESDAY, 12), "reason": "Düse defekt", **extra},
        headers=bearer(staff),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_keep_is_the_default_and_lists_the_bookings(db: Database, client: Client) -> None:
    [booking] = await printer_bookings(client, db, both=False)

    answer = await block(client, booking["unit"]["id"])

    assert answer["kept"] == [booking["id"]]
    assert answer["moved"] == []
    assert answer["cancelled"] == []


async def test_move_puts_the_booking_on_another_free_unit_and_tells_the_person(
    db: Database, client: Client
) -> None:
    [booking] = await printer_bookings(client, db, both=False)

    answer = await block(client, booking["unit"]["id"], resolve="move")

    [moved] = answer["moved"]
    assert moved["booking"] == booking["id"]
    assert moved["unit"] != booking["unit"]["id"]
    async with db.read() as session:
        row = await session.get(Booking, booking["id"])
        kinds = list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
    assert row is not None
    assert row.unit_id == moved["unit"]
    assert row.status is BookingStatus.CONFIRMED
    assert kinds[-1] == "booking.moved"


async def test_cancel_cancels_what_cannot_move_with_alternatives_in_the_mail(
    db: Database, client: Client
) -> None:
    first, second = await printer_bookings(client, db, both=True)

    answer = await block(client, first["unit"]["id"], resolve="cancel")

    assert answer["cancelled"] == [first["id"]]
    assert answer["moved"] == []
    async with db.read() as session:
        row = await session.get(Booking, first["id"])
        other = await session.get(Booking, second["id"])
        mail = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "booking.cancelled")
                .order_by(OutboxMessage.id)
            )
        ).all()[-1]
    assert row is not None
    assert row.status is BookingStatus.CANCELLED
    assert other is not None
    assert other.status is BookingStatus.CONFIRMED  # on the other unit: untouched
    assert mail.payload["reason"] == "Düse defekt"
    assert "lasercutter" in [a["slug"] for a in mail.payload["alternatives"]]


async def test_move_keeps_what_cannot_move(db: Database, client: Client) -> None:
    first, _ = await printer_bookings(client, db, both=True)

    answer = await block(client, first["unit"]["id"], resolve="move")

    assert answer["kept"] == [first["id"]]


async def test_an_unknown_resolve_is_refused(db: Database, client: Client) -> None:
    [booking] = await printer_bookings(client, db, both=False)
    staff = await get_token(client, "staff@example.org")

    response = await client.post(
        f"/api/v1/units/{booking['unit']['id']}/blocks",
        json={"start": at(WEDNESDAY, 9), "end": at(WEDNESDAY, 12), "reason": "x", "resolve": "drop"},
        headers=bearer(staff),
    )

    body = assert_problem(response, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["resolve"]
