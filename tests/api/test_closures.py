"""A closure entered once for several or all locations shows what it touches first, then keeps
and lists, or cancels with a mail, every booking and session it touches: none is dropped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from library.booking.models import Booking, BookingStatus
from library.catalog.models import OpeningException
from library.db import Database
from library.outbox.models import OutboxMessage
from library.workshops.models import Registration, WorkshopSession
from tests.support.api import Client
from tests.support.closures import booked_day
from tests.support.factories import assert_problem, bearer
from tests.support.times import THURSDAY, WEDNESDAY


async def close(client: Client, staff: str, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/exceptions",
        json={
            "locations": "all",
            "date_from": WEDNESDAY.isoformat(),
            "date_to": WEDNESDAY.isoformat(),
            "closed": True,
            "reason": "Wasserschaden",
            **body,
        },
        headers=bearer(staff),
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_the_impact_lists_bookings_and_sessions_with_participants(db: Database, client: Client) -> None:
    day = await booked_day(client, db)

    response = await client.get(
        "/api/v1/locations/zentralbibliothek/exceptions/impact",
        params={"date_from": WEDNESDAY.isoformat(), "date_to": WEDNESDAY.isoformat()},
        headers=bearer(day["staff"]),
    )

    assert response.status_code == 200, response.text
    impact = response.json()
    assert [b["id"] for b in impact["bookings"]] == [day["booking"]["id"]]
    [session] = impact["sessions"]
    assert session["id"] == day["session"]["id"]
    assert (session["participants"], session["waitlisted"], session["cancelled"]) == (1, 0, False)


async def test_the_impact_of_another_day_is_empty_and_visitors_may_not_ask(
    db: Database, client: Client
) -> None:
    day = await booked_day(client, db)
    params = {"date_from": THURSDAY.isoformat(), "date_to": THURSDAY.isoformat()}
    path = "/api/v1/locations/zentralbibliothek/exceptions/impact"

    empty = await client.get(path, params=params, headers=bearer(day["staff"]))
    refused = await client.get(path, params=params, headers=bearer(day["anna"]))

    assert empty.json() == {"bookings": [], "sessions": []}
    assert refused.status_code == 403


async def test_keep_enters_one_closure_for_all_locations_and_lists_what_it_touches(
    db: Database, client: Client
) -> None:
    day = await booked_day(client, db)

    answer = await close(client, day["staff"])

    assert sorted(e["location"] for e in answer["exceptions"]) == ["weststadt", "zentralbibliothek"]
    assert answer["kept"] == [day["booking"]["id"]]
    assert (answer["moved"], answer["cancelled"]) == ([], [])
    assert [(s["id"], s["participants"], s["cancelled"]) for s in answer["sessions"]] == [
        (day["session"]["id"], 1, False)
    ]
    async with db.read() as session:
        closures = list(await session.scalars(select(OpeningException)))
        booking = await session.get(Booking, day["booking"]["id"])
    assert len(closures) == 2
    assert booking is not None
    assert booking.status is BookingStatus.CONFIRMED


async def test_move_on_a_closed_location_has_nowhere_to_go_and_keeps(db: Database, client: Client) -> None:
    day = await booked_day(client, db)

    answer = await close(client, day["staff"], locations=["zentralbibliothek"], resolve="move")

    assert answer["kept"] == [day["booking"]["id"]]
    assert answer["moved"] == []


async def test_a_closure_over_a_booked_day_and_a_full_session_leaves_nobody_unaccounted_for(
    db: Database, client: Client
) -> None:
    day = await booked_day(client, db)

    answer = await close(
        client, day["staff"], locations=["zentralbibliothek"], resolve="cancel", sessions="cancel"
    )

    async with db.read() as session:
        active = list(
            await session.scalars(
                select(Booking.id).where(Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.PENDING]))
            )
        )
        registrations = list(await session.scalars(select(Registration)))
        workshop_session = await session.get(WorkshopSession, day["session"]["id"])
        mails = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    accounted = {m["booking"] for m in answer["moved"]} | set(answer["cancelled"]) | set(answer["kept"])
    assert accounted == {day["booking"]["id"]}
    assert answer["cancelled"] == [day["booking"]["id"]]
    assert active == []  # the visitor's booking and the session's room booking are both cancelled
    cancelled_mail = next(m for m in mails if m.kind == "booking.cancelled")
    assert cancelled_mail.payload["booking_id"] == day["booking"]["id"]
    assert [a["slug"] for a in cancelled_mail.payload["alternatives"]] == ["3d-drucker-west"]
    assert workshop_session is not None
    assert workshop_session.cancelled_at is not None
    assert [s["cancelled"] for s in answer["sessions"]] == [True]
    told = {m.payload.get("registration_id") for m in mails if m.kind == "workshop_session.cancelled"}
    assert told == {r.id for r in registrations}
    assert told


async def test_special_hours_touch_only_what_lies_outside_them(db: Database, client: Client) -> None:
    day = await booked_day(client, db)

    answer = await close(
        client,
        day["staff"],
        locations=["zentralbibliothek"],
        closed=False,
        periods=[{"start": "13:00", "end": "18:00"}],
    )

    assert answer["kept"] == [day["booking"]["id"]]  # 10:00 lies outside 13:00-18:00
    assert answer["sessions"] == []  # 14:00-16:00 fits


async def test_bad_closures_are_refused_and_change_nothing(db: Database, client: Client) -> None:
    day = await booked_day(client, db)
    body = {
        "date_from": WEDNESDAY.isoformat(),
        "date_to": WEDNESDAY.isoformat(),
        "closed": True,
        "reason": "x",
    }

    unknown = await client.post(
        "/api/v1/exceptions",
        json={**body, "locations": ["zentralbibliothek", "nirgends"]},
        headers=bearer(day["staff"]),
    )
    empty = await client.post(
        "/api/v1/exceptions", json={**body, "locations": []}, headers=bearer(day["staff"])
    )
    visitor = await client.post(
        "/api/v1/exceptions", json={**body, "locations": "all"}, headers=bearer(day["anna"])
    )

    assert_problem(unknown, 404, "not_found")
    assert [e["field"] for e in assert_problem(empty, 422, "invalid_input")["errors"]] == ["locations"]
    assert visitor.status_code == 403
    async with db.read() as session:
        assert list(await session.scalars(select(OpeningException))) == []
