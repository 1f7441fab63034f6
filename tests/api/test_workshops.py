"""Workshops through the API: sessions book rooms, fair sign-up, lottery, attendance unlocks devices."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from library.accounts.models import Role, User, UserCertification
from library.audit.models import AuditEntry
from library.catalog.models import Factor, ResourceKind
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.scheduler import run_jobs_once
from library.workshops.models import WorkshopSession
from library.workshops.rules import Entrant, draw_places
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
from tests.support.times import BERLIN, FRIDAY, at


async def library_with_staff(db: Database) -> dict[str, Any]:
    location = await create_location(db)
    await create_resource(db, location, "makerspace", kind=ResourceKind.ROOM)
    laser = await create_certification(db, "laser-cutter", name="Einweisung Lasercutter", valid_months=12)
    await create_resource(db, location, "lasercutter", kind=ResourceKind.DEVICE, certification=laser)
    await create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    await create_user(db, "anna@example.org", birth_date=date(1990, 5, 1))
    await create_user(db, "kid@example.org", name="Kind", birth_date=date(2016, 5, 1))
    return {"location": location, "laser": laser}


async def test_a_session_books_its_room_and_cannot_take_a_booked_one(db: Database, client: Client) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    anna = await get_token(client)
    workshop = await new_workshop(client, staff, grants_certification="laser-cutter")
    assert workshop["slug"] == "einweisung-lasercutter"
    assert workshop["grants_certification"] == "laser-cutter"
    created = await new_session(client, staff, workshop["slug"])
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["room"] == "makerspace"
    assert session["state"] == "open"
    assert session["confirmed"] == 0
    # The room is now taken for visitors ...
    visitor = await client.post(
        "/api/v1/bookings",
        json={"resource": "makerspace", "start": at(FRIDAY, 15), "end": at(FRIDAY, 16)},
        headers=bearer(anna),
    )
    assert_problem(visitor, 409, "slot_taken")
    # ... and for another session.
    assert_problem(
        await new_session(client, staff, workshop["slug"], start=at(FRIDAY, 15)), 409, "slot_taken"
    )
    listed = (await client.get("/api/v1/workshops?factor=knowhow")).json()
    assert [w["slug"] for w in listed["items"]] == ["einweisung-lasercutter"]
    assert listed["items"][0]["sessions"][0]["id"] == session["id"]
    assert (await client.get("/api/v1/workshops?factor=technology")).json()["items"] == []
    detail = (await client.get("/api/v1/workshops/einweisung-lasercutter")).json()
    assert detail["description"] == "Sicher schneiden."


async def test_visitors_cannot_create_workshops(db: Database, client: Client) -> None:
    await library_with_staff(db)
    anna = await get_token(client)
    body = {"title": "X", "description": "Y", "factor": "knowhow"}
    assert_problem(await client.post("/api/v1/workshops", json=body, headers=bearer(anna)), 403, "forbidden")
    assert_problem(await client.post("/api/v1/workshops", json=body), 401, "unauthenticated")


async def test_first_come_waitlist_moves_up_on_cancellation(db: Database, client: Client) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    workshop = await new_workshop(client, staff)
    session = (await new_session(client, staff, workshop["slug"], capacity=2)).json()
    tokens = []
    for n in range(4):
        await create_user(db, f"v{n}@example.org", name=f"V{n}")
        tokens.append(await get_token(client, f"v{n}@example.org"))
    results = []
    for token in tokens:
        response = await client.post(
            f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(token)
        )
        assert response.status_code == 201, response.text
        results.append(response.json())
    assert [(r["status"], r.get("waitlist_position")) for r in results] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    again = await client.post(
        f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(tokens[0])
    )
    assert_problem(again, 409, "already_registered")

    cancelled = await client.post(
        f"/api/v1/registrations/{results[0]['id']}/cancel", headers=bearer(tokens[0])
    )
    assert cancelled.json()["status"] == "cancelled"
    mine = (await client.get("/api/v1/registrations", headers=bearer(tokens[2]))).json()["items"]
    assert mine[0]["status"] == "confirmed"
    last = (await client.get("/api/v1/registrations", headers=bearer(tokens[3]))).json()["items"]
    assert last[0]["waitlist_position"] == 1
    listing = (
        await client.get(f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(staff))
    ).json()
    assert [r["status"] for r in listing["items"]] == ["confirmed", "confirmed", "waitlisted", "cancelled"]
    assert listing["items"][0]["user"]["email"] == "v1@example.org"


async def test_a_freed_place_can_be_offered_for_some_hours(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    workshop = await new_workshop(client, staff, offer_hours=12)
    session = (await new_session(client, staff, workshop["slug"], capacity=1)).json()
    anna = await get_token(client)
    await create_user(db, "ben@example.org", name="Ben")
    ben = await get_token(client, "ben@example.org")
    first = (
        await client.post(f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(anna))
    ).json()
    second = (
        await client.post(f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(ben))
    ).json()
    await client.post(f"/api/v1/registrations/{first['id']}/cancel", headers=bearer(anna))
    offered = (await client.get("/api/v1/registrations", headers=bearer(ben))).json()["items"][0]
    assert offered["status"] == "offered"
    accepted = await client.post(f"/api/v1/registrations/{second['id']}/accept", headers=bearer(ben))
    assert accepted.json()["status"] == "confirmed"


async def test_age_range_and_missing_birth_date(db: Database, client: Client) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    workshop = await new_workshop(client, staff, title="VR für Jugendliche", min_age=12, max_age=17)
    session = (await new_session(client, staff, workshop["slug"])).json()
    kid = await get_token(client, "kid@example.org")
    anna = await get_token(client)
    await create_user(db, "unknown@example.org", name="Ohne Datum")
    unknown = await get_token(client, "unknown@example.org")
    url = f"/api/v1/workshop-sessions/{session['id']}/registrations"
    assert_problem(await client.post(url, headers=bearer(kid)), 403, "min_age")
    assert_problem(await client.post(url, headers=bearer(anna)), 403, "max_age")
    body = assert_problem(await client.post(url, headers=bearer(unknown)), 403, "min_age")
    assert "Geburtsdatum" in body["detail"]


async def test_registration_window(db: Database, client: Client, clock: SettableClock) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    workshop = await new_workshop(client, staff)
    session = (
        await new_session(
            client,
            staff,
            workshop["slug"],
            registration_opens=at(date(2026, 12, 2), 9),
            registration_closes=at(date(2026, 12, 3), 9),
        )
    ).json()
    assert session["state"] == "upcoming"
    anna = await get_token(client)
    url = f"/api/v1/workshop-sessions/{session['id']}/registrations"
    assert_problem(await client.post(url, headers=bearer(anna)), 403, "registration_closed")
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert (await client.post(url, headers=bearer(anna))).status_code == 201


async def test_attending_the_induction_unlocks_the_laser_cutter_until_it_expires(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    anna = await get_token(client)
    laser_slot = {
        "resource": "lasercutter",
        "start": at(date(2026, 12, 10), 11),
        "end": at(date(2026, 12, 10), 12),
    }
    assert_problem(
        await client.post("/api/v1/bookings", json=laser_slot, headers=bearer(anna)),
        403,
        "certification_required",
    )

    workshop = await new_workshop(client, staff, grants_certification="laser-cutter")
    session = (await new_session(client, staff, workshop["slug"])).json()
    registration = (
        await client.post(f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(anna))
    ).json()
    marked = await client.post(
        f"/api/v1/workshop-sessions/{session['id']}/attendance",
        json={"registration_ids": [registration["id"]]},
        headers=bearer(staff),
    )
    assert marked.status_code == 200, marked.text
    assert marked.json()[0]["status"] == "attended"
    me = (await client.get("/api/v1/me", headers=bearer(anna))).json()
    assert [c["key"] for c in me["certifications"]] == ["laser-cutter"]
    assert me["certifications"][0]["expires_at"].startswith("2027-12-04")  # 12 months after the session
    booked = await client.post("/api/v1/bookings", json=laser_slot, headers=bearer(anna))
    assert booked.status_code == 201, booked.text

    clock.set(datetime(2027, 12, 6, 9, 0, tzinfo=UTC))  # a year on: expired
    anna = await get_token(client)  # the old token has long expired too
    later = {"resource": "lasercutter", "start": at(date(2027, 12, 8), 11), "end": at(date(2027, 12, 8), 12)}
    body = assert_problem(
        await client.post("/api/v1/bookings", json=later, headers=bearer(anna)), 403, "certification_required"
    )
    assert "04.12.2027" in body["detail"]
    assert "Einweisung Lasercutter" in body["detail"]  # the workshop that renews it
    assert body["workshop"] == "einweisung-lasercutter"


async def test_attendance_ticked_in_advance_grants_a_certification_that_holds_from_the_sessions_start(
    db: Database, client: Client
) -> None:
    """A known group is ticked off before the day: the induction then holds from the session's
    start, never before it, so the laser cutter stays refused on the day before."""
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    anna = await get_token(client)
    workshop = await new_workshop(client, staff, grants_certification="laser-cutter")
    session = (await new_session(client, staff, workshop["slug"])).json()
    registration = (
        await client.post(f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(anna))
    ).json()
    marked = await client.post(  # the clock stands at Tuesday; the session is on Friday at 14:00
        f"/api/v1/workshop-sessions/{session['id']}/attendance",
        json={"registration_ids": [registration["id"]]},
        headers=bearer(staff),
    )
    assert marked.status_code == 200, marked.text
    async with db.read() as read:
        held = (await read.scalars(select(UserCertification))).one()
    assert held.granted_at == datetime.fromisoformat(at(FRIDAY, 14))
    thursday = date(2026, 12, 3)
    the_day_before = {"resource": "lasercutter", "start": at(thursday, 11), "end": at(thursday, 12)}
    refused = await client.post("/api/v1/bookings", json=the_day_before, headers=bearer(anna))
    assert_problem(refused, 403, "certification_required")
    friday_evening = {"resource": "lasercutter", "start": at(FRIDAY, 16), "end": at(FRIDAY, 17)}
    booked = await client.post("/api/v1/bookings", json=friday_evening, headers=bearer(anna))
    assert booked.status_code == 201, booked.text


async def test_a_missing_certification_names_the_workshop_with_the_next_session_else_the_first(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    grants = {"grants_certification": "laser-cutter"}
    await new_workshop(client, staff, title="Lasercutter Grundkurs", **grants)
    sooner = await new_workshop(client, staff, title="Lasercutter kompakt", **grants)
    assert (await new_session(client, staff, sooner["slug"])).status_code == 201
    laser_slot = {
        "resource": "lasercutter",
        "start": at(date(2026, 12, 10), 11),
        "end": at(date(2026, 12, 10), 12),
    }

    async def refusal() -> dict[str, Any]:
        anna = await get_token(client)
        booked = await client.post("/api/v1/bookings", json=laser_slot, headers=bearer(anna))
        return dict(assert_problem(booked, 403, "certification_required"))

    refused = await refusal()
    assert refused["workshop"] == sooner["slug"]
    assert "Lasercutter kompakt" in refused["detail"]
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))  # the session is over: none comes next
    assert (await refusal())["workshop"] == "lasercutter-grundkurs"


async def test_staff_grant_and_revoke_certifications_with_an_audit_trail(
    db: Database, client: Client
) -> None:
    things = await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    anna_id = (await client.get("/api/v1/me", headers=bearer(await get_token(client)))).json()["id"]
    listed = (await client.get("/api/v1/certifications")).json()
    assert listed[0]["key"] == "laser-cutter"
    assert listed[0]["valid_months"] == 12
    granted = await client.post(
        f"/api/v1/users/{anna_id}/certifications",
        json={"key": "laser-cutter", "note": "Erfahrung aus dem Verschwörhaus"},
        headers=bearer(staff),
    )
    assert granted.status_code == 201, granted.text
    revoked = await client.delete(
        f"/api/v1/users/{anna_id}/certifications/laser-cutter?reason=Fehlbedienung", headers=bearer(staff)
    )
    assert revoked.status_code == 204
    async with db.read() as session:
        entries = (
            await session.execute(select(AuditEntry.action, AuditEntry.reason).order_by(AuditEntry.id))
        ).all()
    assert ("certification.grant", "Erfahrung aus dem Verschwörhaus") in entries
    assert ("certification.revoke", "Fehlbedienung") in entries
    assert things["laser"].key == "laser-cutter"


async def test_a_lottery_draw_is_reproducible_and_ranks_recent_winners_last(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    workshop = await new_workshop(
        client, staff, title="VR-Abend mit dem Verschwörhaus", factor="innovation", host="Verschwörhaus"
    )
    window = {"registration_opens": at(date(2026, 12, 1), 9), "registration_closes": at(date(2026, 12, 2), 9)}
    earlier = (
        await new_session(
            client,
            staff,
            workshop["slug"],
            start=at(date(2026, 12, 3), 18),
            end=at(date(2026, 12, 3), 19),
            mode="lottery",
            capacity=2,
            **window,
        )
    ).json()
    session = (
        await new_session(
            client,
            staff,
            workshop["slug"],
            start=at(FRIDAY, 18),
            end=at(FRIDAY, 19, 30),
            mode="lottery",
            capacity=3,
            **window,
        )
    ).json()
    tokens = []
    for n in range(8):
        await create_user(db, f"fan{n}@example.org", name=f"Fan {n}")
        tokens.append(await get_token(client, f"fan{n}@example.org"))
    # fan0 and fan1 won the earlier evening.
    for token in tokens[:2]:
        await client.post(f"/api/v1/workshop-sessions/{earlier['id']}/registrations", headers=bearer(token))
    entries = []
    for token in tokens:
        response = await client.post(
            f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(token)
        )
        assert response.json()["status"] == "entered"
        entries.append(response.json()["id"])
    assert_problem(
        await client.post(
            f"/api/v1/workshop-sessions/{session['id']}/draw", json={"seed": "ulm"}, headers=bearer(staff)
        ),
        409,
        "registration_open",
    )

    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    await client.post(
        f"/api/v1/workshop-sessions/{earlier['id']}/draw", json={"seed": "x"}, headers=bearer(staff)
    )
    drawn = await client.post(
        f"/api/v1/workshop-sessions/{session['id']}/draw", json={"seed": "ulm"}, headers=bearer(staff)
    )
    assert drawn.status_code == 200, drawn.text
    result = drawn.json()
    assert result["seed"] == "ulm"
    order = [r["id"] for r in result["registrations"]]
    expected = draw_places([Entrant(i, n < 2) for n, i in enumerate(entries)], 3, "ulm")
    assert tuple(order) == expected.winners + expected.waitlist  # the same seed gives the same draw
    statuses = Counter(r["status"] for r in result["registrations"])
    assert statuses == {"confirmed": 3, "waitlisted": 5}
    assert [r["waitlist_position"] for r in result["registrations"][3:]] == [1, 2, 3, 4, 5]
    assert set(order[-2:]) == set(entries[:2])  # recent winners come last
    assert_problem(
        await client.post(f"/api/v1/workshop-sessions/{session['id']}/draw", headers=bearer(staff)),
        409,
        "already_drawn",
    )
    state = (await client.get(f"/api/v1/workshops/{workshop['slug']}")).json()["sessions"][1]["state"]
    assert state == "drawn"


async def test_moving_and_cancelling_a_session_moves_and_frees_its_room(db: Database, client: Client) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    anna = await get_token(client)
    workshop = await new_workshop(client, staff)
    session = (await new_session(client, staff, workshop["slug"])).json()
    await client.post(f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(anna))
    moved = await client.patch(
        f"/api/v1/workshop-sessions/{session['id']}",
        json={"start": at(FRIDAY, 16), "end": at(FRIDAY, 17, 30)},
        headers=bearer(staff),
    )
    assert moved.status_code == 200, moved.text
    free_at_14 = await client.post(
        "/api/v1/bookings",
        json={"resource": "makerspace", "start": at(FRIDAY, 14), "end": at(FRIDAY, 15)},
        headers=bearer(anna),
    )
    assert free_at_14.status_code == 201
    cancelled = await client.post(
        f"/api/v1/workshop-sessions/{session['id']}/cancel",
        json={"reason": "Referentin krank"},
        headers=bearer(staff),
    )
    assert cancelled.json()["state"] == "closed"
    free_at_16 = await client.post(
        "/api/v1/bookings",
        json={"resource": "makerspace", "start": at(FRIDAY, 16), "end": at(FRIDAY, 17)},
        headers=bearer(anna),
    )
    assert free_at_16.status_code == 201
    async with db.read() as transaction:
        room_booking_id = await transaction.scalar(
            select(WorkshopSession.booking_id).where(WorkshopSession.id == session["id"])
        )
        audited = (
            await transaction.execute(
                select(AuditEntry.before, AuditEntry.after, AuditEntry.reason).where(
                    AuditEntry.object_type == "booking",
                    AuditEntry.object_id == str(room_booking_id),
                    AuditEntry.action == "booking.cancelled",
                )
            )
        ).one()
    assert (audited.before["status"], audited.after["status"]) == ("confirmed", "cancelled")
    assert audited.reason == "Referentin krank"


async def test_fifty_concurrent_sign_ups_for_ten_places(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    location = await create_location(db, weekly=tuple(hours(day, "06:00", "22:00") for day in range(1, 8)))
    await create_resource(db, location, "forum")
    tokens = await visitors_with_tokens(db, 51)
    staff_token = tokens.pop()
    async with db.write() as transaction:
        staff_user = await transaction.scalar(select(User).where(User.email == "visitor50@example.org"))
        assert staff_user is not None
        staff_user.role = Role.STAFF
    headers = {"Authorization": f"Bearer {staff_token}"}
    workshop = await http.post(
        f"{live_server}/api/v1/workshops",
        json={"title": "Digitale Welten", "description": "", "factor": Factor.KNOWHOW.value},
        headers=headers,
    )
    assert workshop.status_code == 201, workshop.text
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
    url = f"{live_server}/api/v1/workshop-sessions/{session.json()['id']}/registrations"

    responses = await asyncio.gather(
        *(http.post(url, headers={"Authorization": f"Bearer {t}"}) for t in tokens)
    )

    assert Counter(r.status_code for r in responses) == {201: 50}
    registrations = [r.json() for r in responses]
    assert sum(r["status"] == "confirmed" for r in registrations) == 10
    positions = sorted(r["waitlist_position"] for r in registrations if r["status"] == "waitlisted")
    assert positions == list(range(1, 41))


async def test_an_offer_not_taken_up_in_time_goes_to_the_next_person(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    workshop = await new_workshop(client, staff, offer_hours=12)
    session = (await new_session(client, staff, workshop["slug"], capacity=1)).json()
    url = f"/api/v1/workshop-sessions/{session['id']}/registrations"
    tokens = []
    for name in ("erste", "zweite", "dritte"):
        await create_user(db, f"{name}@example.org", name=name)
        tokens.append(await get_token(client, f"{name}@example.org"))
    first = (await client.post(url, headers=bearer(tokens[0]))).json()
    for token in tokens[1:]:
        await client.post(url, headers=bearer(token))
    await client.post(f"/api/v1/registrations/{first['id']}/cancel", headers=bearer(tokens[0]))

    clock.set(clock.now() + timedelta(hours=11))
    assert (await run_jobs_once(db, clock, settings))["expire_offers"] == 0
    clock.set(clock.now() + timedelta(hours=2))
    assert (await run_jobs_once(db, clock, settings))["expire_offers"] == 1

    second = (await client.get("/api/v1/registrations", headers=bearer(tokens[1]))).json()["items"][0]
    third = (await client.get("/api/v1/registrations", headers=bearer(tokens[2]))).json()["items"][0]
    assert second["status"] == "cancelled"
    assert third["status"] == "offered"


async def test_the_scheduler_draws_a_lottery_once_registration_closes(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    workshop = await new_workshop(client, staff, title="VR-Abend", factor="innovation")
    session = (
        await new_session(
            client,
            staff,
            workshop["slug"],
            mode="lottery",
            capacity=1,
            registration_closes=at(date(2026, 12, 2), 9),
        )
    ).json()
    for name in ("a", "b", "c"):
        await create_user(db, f"{name}@example.org", name=name)
        token = await get_token(client, f"{name}@example.org")
        await client.post(f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(token))
    assert (await run_jobs_once(db, clock, settings))["draw_lotteries"] == 0  # still open
    clock.set(datetime(2026, 12, 2, 8, 1, tzinfo=UTC))  # 09:01 in Ulm
    assert (await run_jobs_once(db, clock, settings))["draw_lotteries"] == 1
    assert (await run_jobs_once(db, clock, settings))["draw_lotteries"] == 0  # drawn once only
    listing = (
        await client.get(f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(staff))
    ).json()
    assert [(r["status"], r.get("waitlist_position")) for r in listing["items"]] == [
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    async with db.read() as transaction:
        seeds = (
            await transaction.scalars(
                select(AuditEntry.after).where(AuditEntry.action == "workshop_session.draw")
            )
        ).all()
    assert len(seeds) == 1
    assert seeds[0] is not None
    assert seeds[0]["seed"]  # recorded, so the draw can be re-run and audited


async def test_staff_give_a_place_by_hand_beyond_the_capacity_only_with_a_reason(
    db: Database, client: Client
) -> None:
    await library_with_staff(db)
    staff = await get_token(client, "staff@example.org")
    anna = await get_token(client)
    workshop = await new_workshop(client, staff)
    session = (await new_session(client, staff, workshop["slug"], capacity=1)).json()
    taken = await client.post(
        f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(anna)
    )
    assert taken.json()["status"] == "confirmed"
    kid = await create_user(db, "guest@example.org", name="Gast")
    url = f"/api/v1/workshop-sessions/{session['id']}/participants"
    assert_problem(await client.post(url, json={"user_id": kid.id}, headers=bearer(anna)), 403, "forbidden")
    refused = assert_problem(
        await client.post(url, json={"user_id": kid.id}, headers=bearer(staff)),
        409,
        "over_capacity_needs_reason",
    )
    assert "1" in refused["detail"]
    added = await client.post(url, json={"user_id": kid.id, "reason": "Begleitperson"}, headers=bearer(staff))
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "confirmed"
    assert_problem(
        await client.post(url, json={"user_id": kid.id, "reason": "noch einmal"}, headers=bearer(staff)),
        409,
        "person_registered",
    )
    assert_problem(await client.post(url, json={"user_id": 99999}, headers=bearer(staff)), 404, "not_found")
    shown = (await client.get(f"/api/v1/workshops/{workshop['slug']}")).json()
    assert shown["sessions"][0]["confirmed"] == 2
    async with db.read() as read:
        entry = await read.scalar(
            select(AuditEntry).where(AuditEntry.action == "registration.added_by_staff")
        )
    assert entry is not None
    assert entry.reason == "Begleitperson"
