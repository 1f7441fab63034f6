"""Hybrid workshops: attendance mode, an https stream that confirmed online participants (or,
where public, everyone) see on their page, in their mail and calendar, and in the events feed;
online places with their own capacity and waitlist."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta
from email.message import EmailMessage

import httpx
from icalendar import Calendar
from sqlalchemy import select

from library.accounts.models import Role, User
from library.clock import SettableClock
from library.db import Database
from library.notify.mail import Sender, build_message
from library.outbox.models import OutboxMessage
from library.workshops.rules import (
    SessionFacts,
    online_capacity_problem,
    participation_for,
    places,
    session_state,
    stream_problem,
    stream_visible,
)
from tests.support.api import Client
from tests.support.factories import (
    assert_problem,
    bearer,
    create_location,
    create_resource,
    create_user,
    get_token,
    hours,
)
from tests.support.live_server import visitors_with_tokens
from tests.support.times import BERLIN, FRIDAY, WEDNESDAY, at, utc


def at_utc(day: date, hour: int) -> datetime:
    return datetime.fromisoformat(at(day, hour))


STREAM = "https://stream.example.org/loeten"


def test_the_stream_rules() -> None:
    assert stream_problem("hybrid", STREAM) is None
    assert stream_problem("online", None) is None
    assert stream_problem("hybrid", "http://stream.example.org/x") == "stream_url_not_https"
    assert stream_problem("online", "javascript:alert(1)") == "stream_url_not_https"
    assert stream_problem("online", "https:// spaced") == "stream_url_not_https"
    assert stream_problem("in_person", STREAM) == "stream_needs_online_mode"
    assert stream_visible(stream_public=False, confirmed=True)
    assert stream_visible(stream_public=True, confirmed=False)
    assert not stream_visible(stream_public=False, confirmed=False)
    # A place in the room of a hybrid session is not an online place: no private link.
    assert not stream_visible(stream_public=False, confirmed=True, online=False)
    assert stream_visible(stream_public=True, confirmed=True, online=False)


def test_the_rules_of_online_places() -> None:
    assert participation_for("hybrid", None) == "in_person"
    assert participation_for("hybrid", "online") == "online"
    assert participation_for("online", None) == "online"
    assert participation_for("in_person", "online") is None
    assert participation_for("online", "in_person") is None
    assert places(10, 3, "online") == 3
    assert places(10, 3, "in_person") == 10
    assert places(10, None, "online") == 10  # an online session's places are its capacity
    assert online_capacity_problem("in_person", 5) == "online_capacity_needs_hybrid"
    assert online_capacity_problem("hybrid", 5) is None
    facts = SessionFacts(
        start=at_utc(FRIDAY, 16),
        capacity=2,
        registration_opens=at_utc(FRIDAY, 8),
        registration_closes=at_utc(FRIDAY, 16),
        lottery=False,
        drawn=False,
        cancelled=False,
        online_capacity=1,
    )
    now = at_utc(FRIDAY, 9)
    assert session_state(facts, now, confirmed=2, online_confirmed=0) == "open"  # room full, online free
    assert session_state(facts, now, confirmed=2, online_confirmed=1) == "open"  # a room place free
    assert session_state(facts, now, confirmed=3, online_confirmed=1) == "full"


async def _hybrid(db: Database, client: Client, **stream: object) -> tuple[str, int, str, str]:
    """A hybrid session with a stream; Anna holds a place, Ben looks on; staff's and Anna's tokens."""
    location = await create_location(db)
    await create_resource(db, location, "makerspace", name="Makerspace")
    await create_user(db, "anna@example.org", birth_date=date(1990, 5, 1))
    await create_user(db, "ben@example.org", birth_date=date(1991, 5, 1))
    await create_user(db, "staff@example.org", role=Role.STAFF)
    staff = await get_token(client, "staff@example.org")
    created = await client.post(
        "/api/v1/workshops",
        json={"title": "Löten", "description": "Erste Schritte.", "factor": "knowhow"},
        headers=bearer(staff),
    )
    slug = created.json()["slug"]
    response = await client.post(
        f"/api/v1/workshops/{slug}/sessions",
        json={
            "start": at(FRIDAY, 16),
            "end": at(FRIDAY, 18),
            "room": "makerspace",
            "capacity": 5,
            "attendance_mode": "hybrid",
            "stream_url": STREAM,
            **stream,
        },
        headers=bearer(staff),
    )
    assert response.status_code == 201, response.text
    assert response.json()["attendance_mode"] == "hybrid"
    session_id = int(response.json()["id"])
    anna = await get_token(client)
    signed = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations",
        json={"participation": "online"},
        headers=bearer(anna),
    )
    assert signed.status_code == 201, signed.text
    assert signed.json()["participation"] == "online"
    return slug, session_id, staff, anna


async def _mail(db: Database, kind: str, to: str = "anna@example.org") -> EmailMessage:
    async with db.read() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.recipient == to)
        )
        assert row is not None
        return await build_message(
            session, row, base_url="http://127.0.0.1:8000", sender=Sender("Bibliothek", "noreply@127.0.0.1")
        )


def _text_and_calendar(message: EmailMessage) -> tuple[str, str]:
    text, calendar = "", ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text += part.get_content()
        if part.get_content_type() == "text/calendar":
            calendar += part.get_content()
    return text, calendar


async def test_a_stream_must_be_https(db: Database, client: Client) -> None:
    location = await create_location(db)
    await create_resource(db, location, "makerspace", name="Makerspace")
    await create_user(db, "staff@example.org", role=Role.STAFF)
    staff = await get_token(client, "staff@example.org")
    created = await client.post(
        "/api/v1/workshops",
        json={"title": "T", "description": "", "factor": "knowhow"},
        headers=bearer(staff),
    )
    slug = created.json()["slug"]
    for mode, url, code in (
        ("hybrid", "http://stream.example.org/x", "stream_url_not_https"),
        ("in_person", STREAM, "stream_needs_online_mode"),
    ):
        response = await client.post(
            f"/api/v1/workshops/{slug}/sessions",
            json={
                "start": at(FRIDAY, 16),
                "end": at(FRIDAY, 18),
                "room": "makerspace",
                "capacity": 5,
                "attendance_mode": mode,
                "stream_url": url,
            },
            headers=bearer(staff),
        )
        body = assert_problem(response, 422, code)
        assert "stream_url" in str(body)


async def test_only_confirmed_participants_see_a_private_stream(db: Database, client: Client) -> None:
    slug, _session_id, _staff, anna = await _hybrid(db, client)
    ben = await get_token(client, "ben@example.org")
    mine = (await client.get("/api/v1/registrations", headers=bearer(anna))).json()
    assert mine["items"][0]["stream_url"] == STREAM
    listed = (await client.get(f"/api/v1/workshops/{slug}", headers=bearer(ben))).json()
    (shown,) = listed["sessions"]
    assert shown["attendance_mode"] == "hybrid"
    assert shown.get("stream_url") is None
    events = (await client.get("/api/v1/events.jsonld")).text
    assert "MixedEventAttendanceMode" in events
    assert STREAM not in events
    assert STREAM not in (await client.get(f"/workshops/{slug}")).text  # anonymous page

    text, calendar = _text_and_calendar(await _mail(db, "registration.confirmed"))
    assert STREAM in text
    (event,) = Calendar.from_ical(calendar).walk("VEVENT")
    assert STREAM in str(event["DESCRIPTION"])


async def test_a_public_stream_is_shown_to_everyone(db: Database, client: Client) -> None:
    slug, _session_id, _staff, _anna = await _hybrid(db, client, stream_public=True)
    listed = (await client.get(f"/api/v1/workshops/{slug}")).json()
    assert listed["sessions"][0]["stream_url"] == STREAM
    assert STREAM in (await client.get("/api/v1/events.jsonld")).text
    page = (await client.get(f"/workshops/{slug}")).text
    assert f'href="{STREAM}"' in page


async def _sign_up(
    client: Client, session_id: int, token: str, participation: str | None
) -> dict[str, object]:
    body = {"participation": participation} if participation else None
    response = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/registrations", json=body, headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


async def test_room_and_online_places_fill_and_wait_apart(db: Database, client: Client) -> None:
    slug, session_id, _staff, anna = await _hybrid(db, client, capacity=1, online_capacity=1)
    people = {}
    for name in ("carla", "dora"):
        await create_user(db, f"{name}@example.org", birth_date=date(1990, 1, 1))
        people[name] = await get_token(client, f"{name}@example.org")
    ben = await get_token(client, "ben@example.org")

    assert (await _sign_up(client, session_id, people["carla"], None))["status"] == "confirmed"  # the room
    waiting_room = await _sign_up(client, session_id, ben, "in_person")
    waiting_online = await _sign_up(client, session_id, people["dora"], "online")
    assert (waiting_room["status"], waiting_room["waitlist_position"]) == ("waitlisted", 1)
    assert (waiting_online["status"], waiting_online["waitlist_position"]) == ("waitlisted", 1)
    assert waiting_online["participation"] == "online"

    (shown,) = (await client.get(f"/api/v1/workshops/{slug}")).json()["sessions"]
    assert (shown["capacity"], shown["confirmed"], shown["waitlisted"]) == (1, 1, 1)
    assert (shown["online_capacity"], shown["online_confirmed"], shown["online_waitlisted"]) == (1, 1, 1)
    assert shown["state"] == "full"

    # Carla, in the room, does not get the private link (page, mail, calendar); Anna, online, does.
    text, calendar = _text_and_calendar(await _mail(db, "registration.confirmed", "carla@example.org"))
    assert STREAM not in text
    assert STREAM not in calendar
    carla_mine = (await client.get("/api/v1/registrations", headers=bearer(people["carla"]))).json()
    assert carla_mine["items"][0].get("stream_url") is None
    anna_mine = (await client.get("/api/v1/registrations", headers=bearer(anna))).json()
    assert anna_mine["items"][0]["stream_url"] == STREAM

    # Anna's online place goes to Dora, the first waiting for one; Ben still waits for the room.
    cancelled = await client.post(
        f"/api/v1/registrations/{anna_mine['items'][0]['id']}/cancel", headers=bearer(anna)
    )
    assert cancelled.status_code == 200, cancelled.text
    dora = (await client.get("/api/v1/registrations", headers=bearer(people["dora"]))).json()["items"][0]
    assert (dora["status"], dora["participation"], dora["stream_url"]) == ("confirmed", "online", STREAM)
    ben_now = (await client.get("/api/v1/registrations", headers=bearer(ben))).json()["items"][0]
    assert (ben_now["status"], ben_now["waitlist_position"]) == ("waitlisted", 1)

    events = (await client.get("/api/v1/events.jsonld")).json()
    (event,) = events["@graph"]
    assert (event["maximumAttendeeCapacity"], event["remainingAttendeeCapacity"]) == (2, 0)


async def test_a_way_to_take_part_the_session_does_not_offer_is_refused(db: Database, client: Client) -> None:
    location = await create_location(db)
    await create_resource(db, location, "makerspace", name="Makerspace")
    await create_user(db, "anna@example.org", birth_date=date(1990, 5, 1))
    await create_user(db, "staff@example.org", role=Role.STAFF)
    staff = await get_token(client, "staff@example.org")
    slug = (
        await client.post(
            "/api/v1/workshops",
            json={"title": "T", "description": "", "factor": "knowhow"},
            headers=bearer(staff),
        )
    ).json()["slug"]
    session = {"start": at(FRIDAY, 16), "end": at(FRIDAY, 18), "room": "makerspace", "capacity": 5}
    refused = await client.post(
        f"/api/v1/workshops/{slug}/sessions", json={**session, "online_capacity": 3}, headers=bearer(staff)
    )
    assert "online_capacity" in str(assert_problem(refused, 422, "online_capacity_needs_hybrid"))
    created = await client.post(f"/api/v1/workshops/{slug}/sessions", json=session, headers=bearer(staff))
    assert created.json()["online_capacity"] is None
    anna = await get_token(client)
    response = await client.post(
        f"/api/v1/workshop-sessions/{created.json()['id']}/registrations",
        json={"participation": "online"},
        headers=bearer(anna),
    )
    assert "participation" in str(assert_problem(response, 422, "participation_not_offered"))


async def test_a_hybrid_session_without_online_places_given_gets_as_many_as_the_room(
    db: Database, client: Client
) -> None:
    slug, _session_id, _staff, _anna = await _hybrid(db, client)
    (shown,) = (await client.get(f"/api/v1/workshops/{slug}")).json()["sessions"]
    assert (shown["capacity"], shown["online_capacity"], shown["online_confirmed"]) == (5, 5, 1)


async def test_a_hybrid_lottery_draws_room_and_online_places_apart(
    db: Database, client: Client, clock: SettableClock
) -> None:
    _slug, session_id, staff, _anna = await _hybrid(
        db,
        client,
        capacity=1,
        online_capacity=2,
        mode="lottery",
        registration_closes=at(WEDNESDAY, 9),
    )
    for n in range(5):
        await create_user(db, f"p{n}@example.org", birth_date=date(1990, 1, 1))
        await _sign_up(
            client, session_id, await get_token(client, f"p{n}@example.org"), "online" if n < 2 else None
        )
    clock.set(utc(WEDNESDAY, 10))
    drawn = await client.post(
        f"/api/v1/workshop-sessions/{session_id}/draw", json={"seed": "fixed"}, headers=bearer(staff)
    )
    assert drawn.status_code == 200, drawn.text
    ranked = drawn.json()["registrations"]
    by_kind = {
        kind: [(r["status"], r.get("waitlist_position")) for r in ranked if r["participation"] == kind]
        for kind in ("in_person", "online")
    }
    # Three entered for one room place, three (Anna and two more) for two online places.
    assert sorted(by_kind["in_person"], key=str) == [
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert sorted(by_kind["online"], key=str) == [("confirmed", None), ("confirmed", None), ("waitlisted", 1)]


async def test_concurrent_sign_ups_fill_each_kind_of_place_exactly(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    location = await create_location(db, weekly=tuple(hours(day, "06:00", "22:00") for day in range(1, 8)))
    await create_resource(db, location, "forum")
    tokens = await visitors_with_tokens(db, 41)
    staff_token = tokens.pop()
    async with db.write() as transaction:
        staff_user = await transaction.scalar(select(User).where(User.email == "visitor40@example.org"))
        assert staff_user is not None
        staff_user.role = Role.STAFF
    headers = {"Authorization": f"Bearer {staff_token}"}
    workshop = await http.post(
        f"{live_server}/api/v1/workshops",
        json={"title": "Hybrid", "description": "", "factor": "knowhow"},
        headers=headers,
    )
    assert workshop.status_code == 201, workshop.text
    start = datetime.now(BERLIN).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=3)
    session = await http.post(
        f"{live_server}/api/v1/workshops/hybrid/sessions",
        json={
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "room": "forum",
            "capacity": 5,
            "attendance_mode": "hybrid",
            "online_capacity": 7,
            "stream_url": STREAM,
        },
        headers=headers,
    )
    assert session.status_code == 201, session.text
    url = f"{live_server}/api/v1/workshop-sessions/{session.json()['id']}/registrations"

    responses = await asyncio.gather(
        *(
            http.post(
                url,
                json={"participation": "online" if n % 2 else "in_person"},
                headers={"Authorization": f"Bearer {token}"},
            )
            for n, token in enumerate(tokens)
        )
    )

    assert Counter(r.status_code for r in responses) == {201: 40}
    for kind, capacity in (("in_person", 5), ("online", 7)):
        mine = [r.json() for r in responses if r.json()["participation"] == kind]
        assert len(mine) == 20
        assert sum(r["status"] == "confirmed" for r in mine) == capacity
        positions = sorted(r["waitlist_position"] for r in mine if r["status"] == "waitlisted")
        assert positions == list(range(1, 21 - capacity))


async def test_editing_a_hybrid_session_moves_its_online_places_and_keeps_its_people(
    db: Database, client: Client
) -> None:
    _slug, session_id, staff, _anna = await _hybrid(db, client, capacity=2, online_capacity=1)
    await create_user(db, "dora@example.org", birth_date=date(1990, 1, 1))
    dora = await get_token(client, "dora@example.org")
    waiting = await _sign_up(client, session_id, dora, "online")
    assert (waiting["status"], waiting["waitlist_position"]) == ("waitlisted", 1)
    path = f"/api/v1/workshop-sessions/{session_id}"

    # As many places as are taken is allowed (one room place free: none taken there).
    same = await client.patch(path, json={"online_capacity": 1, "capacity": 1}, headers=bearer(staff))
    assert same.status_code == 200, same.text
    # One more online place goes to Dora, the first waiting for one.
    more = await client.patch(path, json={"online_capacity": 2}, headers=bearer(staff))
    assert more.status_code == 200, more.text
    assert (more.json()["online_capacity"], more.json()["online_confirmed"]) == (2, 2)
    fewer = await client.patch(path, json={"online_capacity": 1}, headers=bearer(staff))
    assert "online_capacity" in str(assert_problem(fewer, 409, "capacity_below_taken"))
    # People take part online: the session cannot become a room-only one under them.
    in_room = await client.patch(
        path, json={"attendance_mode": "in_person", "stream_url": ""}, headers=bearer(staff)
    )
    assert "attendance_mode" in str(assert_problem(in_room, 422, "participation_not_offered"))
    # Online places of their own are for hybrid sessions only.
    online_only = await client.patch(
        path, json={"attendance_mode": "online", "online_capacity": 3}, headers=bearer(staff)
    )
    assert "online_capacity" in str(assert_problem(online_only, 422, "online_capacity_needs_hybrid"))
