"""Holds through the API: waiting, the offer of a freed slot, accepting, declining and lapsing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from library.booking.models import Booking, BookingPurpose, BookingStatus
from library.catalog.models import ResourceKind
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.notify.mail import Sender, build_message
from library.outbox.models import OutboxMessage
from library.scheduler import run_jobs_once
from tests.support.api import Client, book, booked, setup_library
from tests.support.factories import assert_problem, bearer, create_resource, create_user, get_token
from tests.support.mail import text_of
from tests.support.times import WEDNESDAY, at, utc

ROOM = "gruppenraum-1"


async def wait_for(client: Client, token: str, resource: str = ROOM, **fields: Any) -> dict[str, Any]:
    body = {"resource": resource, "from": at(WEDNESDAY, 14), "to": at(WEDNESDAY, 15), **fields}
    response = await client.post("/api/v1/holds", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def holds_of(client: Client, token: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/holds", headers=bearer(token))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def people(db: Database, client: Client, count: int) -> list[str]:
    tokens = []
    for n in range(count):
        await create_user(db, f"waiting{n}@example.org", name=f"Waiting {n}")
        tokens.append(await get_token(client, f"waiting{n}@example.org"))
    return tokens


async def test_a_cancelled_booking_is_offered_to_the_person_waiting_who_accepts_it(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    anna = await get_token(client)
    taken = await booked(client, anna, ROOM, at(WEDNESDAY, 14), at(WEDNESDAY, 15))
    carla, dora = await people(db, client, 2)

    hold = await wait_for(client, carla, minutes=60)
    assert (hold["status"], hold["position"], hold["minutes"]) == ("waiting", 1, 60)
    assert_problem(
        await client.post(f"/api/v1/holds/{hold['id']}/accept", headers=bearer(carla)), 409, "not_offered"
    )

    cancelled = await client.post(f"/api/v1/bookings/{taken['id']}/cancel", headers=bearer(anna))
    assert cancelled.status_code == 200, cancelled.text

    (offered,) = await holds_of(client, carla)
    assert offered["status"] == "offered"
    assert "position" not in offered
    assert offered["offer"]["start"] == at(WEDNESDAY, 14)
    assert offered["offer_until"] == "2026-12-01T10:30:00+01:00"  # the clock's 10:00 and 30 minutes
    # The offer holds the slot: nobody else can book it meanwhile.
    assert_problem(await book(client, dora, ROOM, at(WEDNESDAY, 14), at(WEDNESDAY, 15)), 409, "slot_taken")
    async with db.read() as session:
        kinds = list(
            await session.scalars(select(OutboxMessage.kind).where(OutboxMessage.kind == "hold.offered"))
        )
    assert kinds == ["hold.offered"]

    accepted = await client.post(f"/api/v1/holds/{hold['id']}/accept", headers=bearer(carla))
    assert accepted.status_code == 201, accepted.text
    booking = accepted.json()
    assert (booking["status"], booking["start"], booking["end"]) == (
        "confirmed",
        at(WEDNESDAY, 14),
        at(WEDNESDAY, 15),
    )
    (done,) = await holds_of(client, carla)
    assert (done["status"], done["booking_id"]) == ("booked", booking["id"])
    mine = (await client.get("/api/v1/bookings", headers=bearer(carla))).json()["items"]
    assert [b["id"] for b in mine] == [booking["id"]]
    assert_problem(
        await client.post(f"/api/v1/holds/{hold['id']}/accept", headers=bearer(carla)), 409, "not_offered"
    )


async def test_bad_holds_are_refused_next_to_their_field(db: Database, client: Client) -> None:
    library = await setup_library(db)
    await create_resource(db, library["location"], "kamera", kind=ResourceKind.LOAN)
    anna = await get_token(client)

    async def refused(status: int, code: str, **fields: Any) -> dict[str, Any]:
        body = {"resource": ROOM, "from": at(WEDNESDAY, 14), "to": at(WEDNESDAY, 16), **fields}
        return assert_problem(
            await client.post("/api/v1/holds", json=body, headers=bearer(anna)), status, code
        )

    await refused(422, "hold_whole_days", resource="kamera", minutes=60)
    await refused(422, "end_before_start", to=at(WEDNESDAY, 13))
    await refused(422, "hold_minutes_grid", minutes=45)
    await refused(422, "too_long", minutes=300)
    await refused(422, "hold_window_too_short", minutes=180)
    await refused(404, "not_found", resource="no-such-room")
    await wait_for(client, anna, to=at(WEDNESDAY, 16))
    await refused(409, "hold_exists")


async def test_offers_move_down_the_queue_in_order_when_declined_or_lapsed(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await setup_library(db)
    anna = await get_token(client)
    taken = await booked(client, anna, ROOM, at(WEDNESDAY, 14), at(WEDNESDAY, 15))
    first, second, third = await people(db, client, 3)
    holds = [await wait_for(client, token, minutes=60) for token in (first, second, third)]
    assert [h["position"] for h in holds] == [1, 2, 3]

    await client.post(f"/api/v1/bookings/{taken['id']}/cancel", headers=bearer(anna))
    assert [(await holds_of(client, t))[0]["status"] for t in (first, second, third)] == [
        "offered",
        "waiting",
        "waiting",
    ]
    assert [(await holds_of(client, t))[0].get("position") for t in (second, third)] == [1, 2]  # no gap

    declined = await client.post(f"/api/v1/holds/{holds[0]['id']}/cancel", headers=bearer(first))
    assert declined.json()["status"] == "cancelled"
    assert [(await holds_of(client, t))[0]["status"] for t in (second, third)] == ["offered", "waiting"]
    assert (await holds_of(client, third))[0]["position"] == 1

    clock.advance(timedelta(minutes=31))
    assert (await run_jobs_once(db, clock, settings))["offer_held_slots"] == 2  # a lapse and an offer
    assert [(await holds_of(client, t))[0]["status"] for t in (second, third)] == ["lapsed", "offered"]
    assert_problem(
        await client.post(f"/api/v1/holds/{holds[1]['id']}/accept", headers=bearer(second)),
        409,
        "not_offered",
    )

    clock.advance(timedelta(minutes=30))  # past the third person's deadline, before the next sweep
    assert_problem(
        await client.post(f"/api/v1/holds/{holds[2]['id']}/accept", headers=bearer(third)),
        409,
        "offer_expired",
    )
    assert (await holds_of(client, third))[0]["status"] == "lapsed"
    async with db.read() as session:
        active = list(
            await session.scalars(
                select(Booking).where(
                    Booking.start_at == utc(WEDNESDAY, 14), Booking.status.in_(("pending", "confirmed"))
                )
            )
        )
    assert active == []  # nobody left waiting: the slot is free again
    assert (await book(client, anna, ROOM, at(WEDNESDAY, 14), at(WEDNESDAY, 15))).status_code == 201


async def test_a_person_who_has_the_slot_already_is_not_offered_it(db: Database, client: Client) -> None:
    library = await setup_library(db)
    await create_resource(db, library["location"], "lernplatz", kind=ResourceKind.WORKSPACE, units=2)
    anna = await get_token(client)
    carla, dora = await people(db, client, 2)
    taken = await booked(client, anna, "lernplatz", at(WEDNESDAY, 14), at(WEDNESDAY, 15))
    await booked(client, carla, "lernplatz", at(WEDNESDAY, 14), at(WEDNESDAY, 15))
    carla_hold = await wait_for(client, carla, resource="lernplatz")
    dora_hold = await wait_for(client, dora, resource="lernplatz")
    assert (carla_hold["position"], dora_hold["position"]) == (1, 2)

    await client.post(f"/api/v1/bookings/{taken['id']}/cancel", headers=bearer(anna))

    assert (await holds_of(client, carla))[0]["status"] == "waiting"
    assert (await holds_of(client, dora))[0]["status"] == "offered"


async def test_the_sweep_offers_a_slot_freed_without_a_request_and_ends_past_windows(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await setup_library(db)
    anna = await get_token(client)
    (carla,) = await people(db, client, 1)
    await wait_for(client, carla)  # free already: the next sweep offers it
    async with db.read() as session:
        assert (
            await session.scalar(select(Booking.id).where(Booking.purpose == BookingPurpose.HOLD))
        ) is None
    assert (await run_jobs_once(db, clock, settings))["offer_held_slots"] == 1
    (offered,) = await holds_of(client, carla)
    assert offered["status"] == "offered"
    async with db.read() as session:
        row = await session.scalar(select(Booking).where(Booking.purpose == BookingPurpose.HOLD))
    assert row is not None
    assert row.status is BookingStatus.PENDING
    assert_problem(await book(client, anna, ROOM, at(WEDNESDAY, 14), at(WEDNESDAY, 15)), 409, "slot_taken")
    # Nobody cancels or approves the offer's row as if it were a booking: it is answered as a hold.
    staff = await get_token(client, "staff@example.org")
    approved = await client.post(f"/api/v1/bookings/{row.id}/approve", headers=bearer(staff))
    assert_problem(approved, 409, "invalid_state")
    assert_problem(
        await client.post(f"/api/v1/bookings/{row.id}/cancel", headers=bearer(carla)), 409, "invalid_state"
    )

    late = await wait_for(client, anna, **{"from": at(WEDNESDAY, 16), "to": at(WEDNESDAY, 17)})
    clock.set(utc(WEDNESDAY, 17))
    await run_jobs_once(db, clock, settings)
    assert (await holds_of(client, anna))[0]["status"] == "lapsed"
    assert late["status"] == "waiting"


async def test_the_offer_mail_names_the_slot_the_deadline_and_the_holds_page(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    anna = await get_token(client)
    taken = await booked(client, anna, ROOM, at(WEDNESDAY, 14), at(WEDNESDAY, 15))
    (carla,) = await people(db, client, 1)
    await wait_for(client, carla)
    await client.post(f"/api/v1/bookings/{taken['id']}/cancel", headers=bearer(anna))
    async with db.write() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "hold.offered"))
        assert row is not None
        sender = Sender("Bibliothek", "noreply@127.0.0.1")
        german = await build_message(session, row, base_url="http://127.0.0.1:8000", sender=sender)
        row.language = "en"
        english = await build_message(session, row, base_url="http://127.0.0.1:8000", sender=sender)
    assert german["Subject"].startswith("Ein Termin ist für Sie frei: Gruppenraum 1")
    assert english["Subject"].startswith("A slot is free for you: Gruppenraum 1")
    assert "http://127.0.0.1:8000/my/holds" in text_of(english)
    assert "Tuesday, 1 December 2026, 10:30" in text_of(english)
