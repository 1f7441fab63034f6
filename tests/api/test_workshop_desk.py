"""Workshops at the desk through the API: edit a workshop and a session, copy a workshop to new
dates, write to a session's participants (both engines)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from library.accounts.models import Role, User
from library.audit.models import AuditEntry
from library.catalog.models import ResourceKind
from library.db import Database
from library.outbox.models import OutboxMessage
from library.workshops.models import Workshop
from tests.support.api import Client, new_session, new_workshop
from tests.support.factories import (
    assert_problem,
    bearer,
    create_certification,
    create_location,
    create_resource,
    create_user,
    get_token,
    hours,
)
from tests.support.live_server import visitors_with_tokens
from tests.support.times import BERLIN, FRIDAY, THURSDAY, at

NEXT_FRIDAY = date(2026, 12, 11)


async def desk(db: Database, client: Client) -> dict[str, Any]:
    """A library with two rooms, staff, two visitors; a workshop with a session on Friday 14:00
    that Anna holds a place in."""
    location = await create_location(db)
    await create_resource(db, location, "makerspace", kind=ResourceKind.ROOM)
    await create_resource(db, location, "lernwerkstatt", kind=ResourceKind.ROOM)
    await create_certification(db, "laser-cutter", name="Einweisung Lasercutter", valid_months=12)
    await create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    await create_user(db, "anna@example.org", name="Anna Berg", birth_date=date(1990, 5, 1))
    await create_user(db, "ben@example.org", name="Ben Ott", birth_date=date(1988, 1, 2))
    staff = await get_token(client, "staff@example.org")
    anna = await get_token(client)
    ben = await get_token(client, "ben@example.org")
    workshop = await new_workshop(client, staff)
    session = (await new_session(client, staff, workshop["slug"], capacity=1)).json()
    signed = await client.post(
        f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(anna)
    )
    assert signed.status_code == 201, signed.text
    return {"staff": staff, "anna": anna, "ben": ben, "slug": workshop["slug"], "session": session}


async def kinds_queued(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))


async def test_staff_change_a_workshop_field_by_field(db: Database, client: Client) -> None:
    world = await desk(db, client)
    path = f"/api/v1/workshops/{world['slug']}"
    changed = await client.patch(
        path,
        json={"title_en": "Laser cutter induction", "min_age": 14, "grants_certification": "laser-cutter"},
        headers=bearer(world["staff"]),
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["slug"], body["min_age"], body["grants_certification"]) == (
        world["slug"],
        14,
        "laser-cutter",
    )
    assert body["title"] == "Einweisung Lasercutter"  # left out: kept
    english = await client.get(path, headers={"Accept-Language": "en"})
    assert english.json()["title"] == "Laser cutter induction"
    cleared = await client.patch(path, json={"min_age": None}, headers=bearer(world["staff"]))
    assert cleared.json()["min_age"] is None
    assert cleared.json()["grants_certification"] == "laser-cutter"
    assert_problem(
        await client.patch(path, json={"min_age": 30, "max_age": 20}, headers=bearer(world["staff"])),
        422,
        "invalid_input",
    )
    assert_problem(
        await client.patch(path, json={"grants_certification": "nope"}, headers=bearer(world["staff"])),
        422,
        "invalid_input",
    )
    assert_problem(
        await client.patch(path, json={"title": "Mine"}, headers=bearer(world["anna"])), 403, "forbidden"
    )
    assert_problem(
        await client.patch("/api/v1/workshops/unknown", json={"title": "X"}, headers=bearer(world["staff"])),
        404,
        "not_found",
    )
    async with db.read() as session:
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "workshop.update"))
        )
    assert len(entries) == 2
    assert entries[0].after == {
        "title_en": "Laser cutter induction",
        "min_age": 14,
        "grants_certification_id": 1,
    }


async def test_a_new_room_is_booked_the_old_one_freed_and_participants_told(
    db: Database, client: Client
) -> None:
    world = await desk(db, client)
    path = f"/api/v1/workshop-sessions/{world['session']['id']}"
    moved = await client.patch(
        path, json={"room": "lernwerkstatt", "reason": "Wasserschaden"}, headers=bearer(world["staff"])
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["room"] == "lernwerkstatt"
    assert moved.json()["start"] == at(FRIDAY, 14)
    assert "workshop_session.moved" in await kinds_queued(db)
    free = await client.post(
        "/api/v1/bookings",
        json={"resource": "makerspace", "start": at(FRIDAY, 14), "end": at(FRIDAY, 15)},
        headers=bearer(world["ben"]),
    )
    assert free.status_code == 201, free.text
    taken = await client.post(
        "/api/v1/bookings",
        json={"resource": "lernwerkstatt", "start": at(FRIDAY, 14), "end": at(FRIDAY, 15)},
        headers=bearer(world["ben"]),
    )
    assert_problem(taken, 409, "slot_taken")
    # Back to the makerspace, now booked by Ben: refused, nothing changes.
    back = await client.patch(
        path, json={"room": "makerspace", "capacity": 5}, headers=bearer(world["staff"])
    )
    assert_problem(back, 409, "slot_taken")
    after = (await client.get(f"/api/v1/workshops/{world['slug']}")).json()["sessions"][0]
    assert (after["room"], after["capacity"]) == ("lernwerkstatt", 1)


async def test_places_never_go_below_those_taken_and_more_places_fill_from_the_waitlist(
    db: Database, client: Client
) -> None:
    world = await desk(db, client)
    session_id = world["session"]["id"]
    path = f"/api/v1/workshop-sessions/{session_id}"
    waiting = await client.post(f"{path}/registrations", headers=bearer(world["ben"]))
    assert waiting.json()["status"] == "waitlisted"
    assert (await client.patch(path, json={"capacity": 0}, headers=bearer(world["staff"]))).status_code == 422
    raised = await client.patch(path, json={"capacity": 2}, headers=bearer(world["staff"]))
    assert raised.status_code == 200, raised.text
    assert (raised.json()["capacity"], raised.json()["confirmed"], raised.json()["waitlisted"]) == (2, 2, 0)
    refused = await client.patch(path, json={"capacity": 1}, headers=bearer(world["staff"]))
    assert_problem(refused, 409, "capacity_below_taken")
    assert "2" in refused.json()["detail"]
    online = await client.patch(
        path,
        json={"attendance_mode": "hybrid", "stream_url": "https://stream.example.org/laser"},
        headers=bearer(world["staff"]),
    )
    assert online.json()["attendance_mode"] == "hybrid"
    assert_problem(
        await client.patch(path, json={"attendance_mode": "in_person"}, headers=bearer(world["staff"])),
        422,
        "stream_needs_online_mode",
    )
    plain = await client.patch(
        path, json={"attendance_mode": "in_person", "stream_url": ""}, headers=bearer(world["staff"])
    )
    assert plain.status_code == 200, plain.text
    async with db.read() as session:
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "workshop_session.update"))
        )
    assert entries[0].after == {"capacity": 2}


async def test_a_copy_keeps_times_rooms_and_places_on_the_new_dates(db: Database, client: Client) -> None:
    world = await desk(db, client)
    second = await new_session(
        client, world["staff"], world["slug"], start=at(FRIDAY, 17), end=at(FRIDAY, 18), room="lernwerkstatt"
    )
    assert second.status_code == 201, second.text
    copied = await client.post(
        f"/api/v1/workshops/{world['slug']}/duplicate",
        json={"first_day": NEXT_FRIDAY.isoformat()},
        headers=bearer(world["staff"]),
    )
    assert copied.status_code == 201, copied.text
    body = copied.json()
    assert body["slug"] == f"{world['slug']}-2026-12-11"
    assert body["title"] == "Einweisung Lasercutter"
    assert [(s["start"], s["end"], s["room"], s["capacity"], s["confirmed"]) for s in body["sessions"]] == [
        (at(NEXT_FRIDAY, 14), at(NEXT_FRIDAY, 15, 30), "makerspace", 1, 0),
        (at(NEXT_FRIDAY, 17), at(NEXT_FRIDAY, 18), "lernwerkstatt", 10, 0),
    ]
    # The rooms are booked: a visitor can't have the makerspace then.
    assert_problem(
        await client.post(
            "/api/v1/bookings",
            json={"resource": "makerspace", "start": at(NEXT_FRIDAY, 14), "end": at(NEXT_FRIDAY, 15)},
            headers=bearer(world["ben"]),
        ),
        409,
        "slot_taken",
    )
    again = await client.post(
        f"/api/v1/workshops/{world['slug']}/duplicate",
        json={"first_day": NEXT_FRIDAY.isoformat()},
        headers=bearer(world["staff"]),
    )
    assert_problem(again, 409, "slug_taken")


async def test_a_copy_is_all_or_nothing_and_names_each_refused_session(db: Database, client: Client) -> None:
    world = await desk(db, client)
    second = (
        await new_session(client, world["staff"], world["slug"], start=at(FRIDAY, 17), end=at(FRIDAY, 18))
    ).json()
    ben_books = await client.post(
        "/api/v1/bookings",
        json={"resource": "makerspace", "start": at(NEXT_FRIDAY, 17), "end": at(NEXT_FRIDAY, 18)},
        headers=bearer(world["ben"]),
    )
    assert ben_books.status_code == 201, ben_books.text
    refused = await client.post(
        f"/api/v1/workshops/{world['slug']}/duplicate",
        json={"first_day": NEXT_FRIDAY.isoformat(), "slug": "laser-next"},
        headers=bearer(world["staff"]),
    )
    assert_problem(refused, 409, "copy_refused")
    assert refused.json()["conflicts"] == [
        {
            "session": second["id"],
            "start": at_utc(NEXT_FRIDAY, 16),
            "end": at_utc(NEXT_FRIDAY, 17),
            "code": "slot_taken",
        }
    ]
    assert (await client.get("/api/v1/workshops/laser-next")).status_code == 404
    async with db.read() as session:
        assert await session.scalar(select(Workshop.id).where(Workshop.slug == "laser-next")) is None
    # The second session on its own day (Thursday before) fits.
    fits = await client.post(
        f"/api/v1/workshops/{world['slug']}/duplicate",
        json={
            "first_day": NEXT_FRIDAY.isoformat(),
            "slug": "laser-next",
            "sessions": [{"session": second["id"], "day": "2026-12-10"}],
        },
        headers=bearer(world["staff"]),
    )
    assert fits.status_code == 201, fits.text
    assert [s["start"] for s in fits.json()["sessions"]] == [at(date(2026, 12, 10), 17), at(NEXT_FRIDAY, 14)]
    assert_problem(
        await client.post(
            f"/api/v1/workshops/{world['slug']}/duplicate",
            json={"first_day": "2026-12-18", "sessions": [{"session": 999, "day": "2026-12-18"}]},
            headers=bearer(world["staff"]),
        ),
        422,
        "invalid_input",
    )
    assert_problem(
        await client.post(
            f"/api/v1/workshops/{world['slug']}/duplicate",
            json={"first_day": THURSDAY.isoformat()},
            headers=bearer(world["anna"]),
        ),
        403,
        "forbidden",
    )


def at_utc(day: date, hour: int) -> str:
    """A UTC instant as the conflicts list writes it (hour in UTC)."""
    return f"{day.isoformat()}T{hour:02d}:00:00+00:00"


async def test_staff_write_to_a_sessions_participants(db: Database, client: Client) -> None:
    world = await desk(db, client)
    path = f"/api/v1/workshop-sessions/{world['session']['id']}/message"
    await client.post(
        f"/api/v1/workshop-sessions/{world['session']['id']}/registrations", headers=bearer(world["ben"])
    )  # waitlisted: holds no place, gets no message
    sent = await client.post(
        path,
        json={"subject": "Bitte Schutzbrille", "text": "Bringen Sie\nfeste Schuhe mit."},
        headers=bearer(world["staff"]),
    )
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"queued": 1}
    async with db.read() as session:
        messages = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "workshop_session.message")
            )
        )
    assert [m.payload["subject"] for m in messages] == ["Bitte Schutzbrille"]
    empty = await client.post(path, json={"subject": "", "text": "x"}, headers=bearer(world["staff"]))
    assert empty.status_code == 422
    assert_problem(
        await client.post(path, json={"subject": "a", "text": "b"}, headers=bearer(world["anna"])),
        403,
        "forbidden",
    )
    assert_problem(
        await client.post(
            "/api/v1/workshop-sessions/999/message",
            json={"subject": "a", "text": "b"},
            headers=bearer(world["staff"]),
        ),
        404,
        "not_found",
    )


async def staff_on_a_live_server(
    db: Database, live_server: str, http: httpx.AsyncClient, visitors: int
) -> dict[str, Any]:
    """A library open every day, a forum, `visitors` tokens and a staff token; a workshop with a
    session of ten places in three days."""
    location = await create_location(db, weekly=tuple(hours(day, "06:00", "22:00") for day in range(1, 8)))
    await create_resource(db, location, "forum")
    tokens = await visitors_with_tokens(db, visitors + 1)
    staff_token = tokens.pop()
    async with db.write() as transaction:
        staff_user = await transaction.scalar(
            select(User).where(User.email == f"visitor{visitors}@example.org")
        )
        assert staff_user is not None
        staff_user.role = Role.STAFF
    headers = {"Authorization": f"Bearer {staff_token}"}
    made = await http.post(
        f"{live_server}/api/v1/workshops",
        json={"title": "Digitale Welten", "description": "", "factor": "knowhow"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    start = datetime.now(BERLIN).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=3)
    session = await http.post(
        f"{live_server}/api/v1/workshops/digitale-welten/sessions",
        json={
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "room": "forum",
            "capacity": 10,
        },
        headers=headers,
    )
    assert session.status_code == 201, session.text
    return {"tokens": tokens, "staff": headers, "session": session.json(), "start": start}


async def test_places_changed_during_a_rush_of_sign_ups_never_leave_more_held_than_there_are(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    world = await staff_on_a_live_server(db, live_server, http, 20)
    session_url = f"{live_server}/api/v1/workshop-sessions/{world['session']['id']}"

    answers = await asyncio.gather(
        *(http.post(f"{session_url}/registrations", headers=bearer(t)) for t in world["tokens"]),
        http.patch(session_url, json={"capacity": 5}, headers=world["staff"]),
        http.patch(session_url, json={"capacity": 14}, headers=world["staff"]),
    )

    assert Counter(r.status_code for r in answers[:-2]) == {201: 20}
    for change in answers[-2:]:
        assert change.status_code in (200, 409), change.text
        if change.status_code == 409:
            assert change.json()["code"] == "capacity_below_taken"
    final = (await http.get(session_url + "/registrations?limit=100", headers=world["staff"])).json()["items"]
    capacity = (await http.get(f"{live_server}/api/v1/workshops/digitale-welten")).json()["sessions"][0][
        "capacity"
    ]
    held = [r for r in final if r["status"] == "confirmed"]
    waiting = sorted(r["waitlist_position"] for r in final if r["status"] == "waitlisted")
    assert len(held) == capacity  # never more, and a place added went to the next in line
    assert waiting == list(range(1, 21 - capacity))


async def test_a_copy_and_a_visitor_racing_for_the_same_room_never_both_win(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    world = await staff_on_a_live_server(db, live_server, http, 1)
    later = world["start"] + timedelta(days=7)

    copy, booking = await asyncio.gather(
        http.post(
            f"{live_server}/api/v1/workshops/digitale-welten/duplicate",
            json={"first_day": later.date().isoformat()},
            headers=world["staff"],
        ),
        http.post(
            f"{live_server}/api/v1/bookings",
            json={
                "resource": "forum",
                "start": later.isoformat(),
                "end": (later + timedelta(hours=1)).isoformat(),
            },
            headers=bearer(world["tokens"][0]),
        ),
    )

    assert sorted([copy.status_code, booking.status_code]) in ([201, 409], [409, 201])
    if copy.status_code == 409:
        assert copy.json()["code"] == "copy_refused"
        assert (
            await http.get(f"{live_server}/api/v1/workshops/digitale-welten-{later.date()}")
        ).status_code == 404
    else:
        assert booking.json()["code"] == "slot_taken"


async def test_a_title_that_makes_no_slug_needs_one(db: Database, client: Client) -> None:
    """Else the workshop's address would be the list's, and PATCH /workshops/ would answer 405."""
    world = await desk(db, client)
    refused = await client.post(
        "/api/v1/workshops",
        json={"title": "#§!", "description": "", "factor": "knowhow"},
        headers=bearer(world["staff"]),
    )
    assert assert_problem(refused, 422, "invalid_input")["errors"][0]["field"] == "slug"
