"""Booking through the API: rules with their codes, conflicts with alternatives, lifecycle."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from library.audit.models import AuditEntry
from library.booking.models import Booking, BookingStatus
from library.booking.service import complete_bookings
from library.catalog.models import UnitBlock
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.outbox.models import OutboxMessage
from library.scheduler import run_jobs_once
from tests.support.api import Client, book, setup_library
from tests.support.factories import (
    add_exception,
    assert_problem,
    bearer,
    get_token,
    grant_certification,
)
from tests.support.times import SATURDAY, WEDNESDAY, at


async def test_a_visitor_books_a_free_room_and_sees_it(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    response = await book(
        client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16), note="Lerngruppe"
    )
    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["status"] == "confirmed"
    assert booking["resource"] == "gruppenraum-1"
    assert booking["unit"]["label"] == "gruppenraum-1-1"
    assert booking["start"] == "2026-12-02T14:00:00+01:00"
    assert booking["end"] == "2026-12-02T16:00:00+01:00"

    listed = (await client.get("/api/v1/bookings", headers=bearer(token))).json()
    assert [b["id"] for b in listed["items"]] == [booking["id"]]
    assert listed["next"] is None
    one = await client.get(f"/api/v1/bookings/{booking['id']}", headers=bearer(token))
    assert one.json()["id"] == booking["id"]

    async with db.read() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
        kinds = (await session.scalars(select(OutboxMessage.kind))).all()
    assert actions == ["booking.create"]
    assert kinds == ["booking.confirmed"]


async def test_the_availability_shows_the_booking_as_taken(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    await book(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    response = await client.get(
        f"/api/v1/resources/gruppenraum-1/availability?from={WEDNESDAY}&to={WEDNESDAY}"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["slot_minutes"] == 30
    assert body["days"][0]["free"] == [
        {"start": at(WEDNESDAY, 10), "end": at(WEDNESDAY, 14), "units_free": 1},
        {"start": at(WEDNESDAY, 16), "end": at(WEDNESDAY, 19), "units_free": 1},
    ]


async def test_the_day_overview_lists_every_resource_without_personal_data(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    token = await get_token(client)
    await book(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16), note="secret note")
    response = await client.get(f"/api/v1/locations/zentralbibliothek/day?date={WEDNESDAY}&kind=room")
    assert response.status_code == 200
    body = response.json()
    rooms = {r["slug"]: r for r in body["resources"]}
    assert set(rooms) == {"gruppenraum-1", "gruppenraum-2", "veranstaltungsforum"}
    assert rooms["gruppenraum-1"]["busy"] == [
        {"start": at(WEDNESDAY, 14), "end": at(WEDNESDAY, 16), "units_busy": 1}
    ]
    for personal in ("Anna", "secret", "anna@"):
        assert personal not in response.text


async def test_each_house_rule_refuses_with_its_code(db: Database, client: Client) -> None:
    await setup_library(db)
    anna = await get_token(client)
    ben = await get_token(client, "ben@example.org")
    cases = [
        ("gruppenraum-1", at(WEDNESDAY, 14, 10), at(WEDNESDAY, 15), anna, "not_aligned"),
        ("gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 14, 15), anna, "not_aligned"),
        ("gruppenraum-1", at(WEDNESDAY, 10), at(WEDNESDAY, 18), anna, "too_long"),
        ("gruppenraum-1", at(date(2026, 12, 1), 9), at(date(2026, 12, 1), 11), anna, "too_soon"),
        ("gruppenraum-1", at(date(2027, 2, 3), 10), at(date(2027, 2, 3), 11), anna, "beyond_horizon"),
        ("gruppenraum-1", at(date(2026, 12, 6), 10), at(date(2026, 12, 6), 11), anna, "closed"),
        ("gruppenraum-1", at(WEDNESDAY, 8), at(WEDNESDAY, 9), anna, "outside_opening_hours"),
        ("gruppenraum-1", at(WEDNESDAY, 18, 30), at(WEDNESDAY, 19, 30), anna, "outside_opening_hours"),
        ("lasercutter", at(SATURDAY, 15), at(SATURDAY, 16), anna, "needs_staff"),
        ("lasercutter", at(SATURDAY, 11), at(SATURDAY, 12), anna, "certification_required"),
        ("lasercutter", at(SATURDAY, 11), at(SATURDAY, 12), ben, "min_age"),
        ("nonexistent", at(WEDNESDAY, 11), at(WEDNESDAY, 12), anna, "not_found"),
    ]
    for resource, start, end, token, code in cases:
        response = await book(client, token, resource, start, end)
        status = 404 if code == "not_found" else 403
        assert_problem(response, status, code)


async def test_refusals_speak_german_by_default_and_english_on_request(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    body = {"resource": "lasercutter", "start": at(SATURDAY, 11), "end": at(SATURDAY, 12)}
    german = await client.post("/api/v1/bookings", json=body, headers=bearer(token))
    english = await client.post(
        "/api/v1/bookings", json=body, headers={**bearer(token), "Accept-Language": "en"}
    )
    assert "Einweisung" in german.json()["detail"]
    assert "induction" in english.json()["detail"]


async def test_an_expired_certification_is_refused_with_its_date(
    db: Database, client: Client, clock: SettableClock
) -> None:
    things = await setup_library(db)
    await grant_certification(
        db,
        things["visitor"],
        things["laser"],
        granted_at=clock.now() - timedelta(days=800),
        expires_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    token = await get_token(client)
    body = assert_problem(
        await book(client, token, "lasercutter", at(SATURDAY, 11), at(SATURDAY, 12)),
        403,
        "certification_required",
    )
    assert "01.11.2026" in body["detail"]

    await grant_certification(db, things["visitor"], things["laser"], granted_at=clock.now())
    assert (await book(client, token, "lasercutter", at(SATURDAY, 11), at(SATURDAY, 12))).status_code == 201


async def test_quotas_per_day_week_and_active_bookings(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    assert (
        await book(client, token, "internetplatz", at(WEDNESDAY, 11), at(WEDNESDAY, 11, 30))
    ).status_code == 201
    assert_problem(
        await book(client, token, "internetplatz", at(WEDNESDAY, 15), at(WEDNESDAY, 15, 30)), 403, "quota_day"
    )
    assert (
        await book(client, token, "internetplatz", at(date(2026, 12, 3), 11), at(date(2026, 12, 3), 11, 30))
    ).status_code == 201

    # 3D printer: 240 minutes a week.
    assert (await book(client, token, "3d-drucker", at(WEDNESDAY, 10), at(WEDNESDAY, 13))).status_code == 201
    assert_problem(
        await book(client, token, "3d-drucker", at(WEDNESDAY, 15), at(WEDNESDAY, 17)), 403, "quota_week"
    )

    # Group room: five upcoming bookings at most (the built-in default).
    for day in range(2, 7):
        start_day = date(2026, 12, day) if day != 6 else date(2026, 12, 7)
        response = await book(client, token, "gruppenraum-2", at(start_day, 10), at(start_day, 11))
        assert response.status_code == 201, response.text
    assert_problem(
        await book(client, token, "gruppenraum-2", at(date(2026, 12, 8), 10), at(date(2026, 12, 8), 11)),
        403,
        "quota_active",
    )


async def test_buffers_keep_the_unit_for_cool_down(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    first = await book(client, token, "3d-drucker", at(WEDNESDAY, 10), at(WEDNESDAY, 11))
    second = await book(client, token, "3d-drucker", at(WEDNESDAY, 11), at(WEDNESDAY, 12))
    assert first.status_code == second.status_code == 201
    # Two printers: the second booking, right after the first, took the other one.
    assert first.json()["unit"]["id"] != second.json()["unit"]["id"]


async def test_invalid_input_is_422_naming_the_field(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    naive = await book(client, token, "gruppenraum-1", "2026-12-02T14:00:00", "2026-12-02T15:00:00")
    assert_problem(naive, 422, "naive_datetime")
    backwards = await book(client, token, "gruppenraum-1", at(WEDNESDAY, 15), at(WEDNESDAY, 14))
    body = assert_problem(backwards, 422, "end_before_start")
    assert body["errors"][0]["field"] == "end"
    unknown = await book(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 15), colour="red")
    assert_problem(unknown, 422, "invalid_input")
    anonymous = await client.post(
        "/api/v1/bookings",
        json={"resource": "gruppenraum-1", "start": at(WEDNESDAY, 14), "end": at(WEDNESDAY, 15)},
    )
    assert_problem(anonymous, 401, "unauthenticated")


async def test_a_taken_slot_offers_alternatives_that_can_really_be_booked(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    anna = await get_token(client)
    ben = await get_token(client, "ben@example.org")
    assert (
        await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    ).status_code == 201
    taken = await book(client, ben, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))
    body = assert_problem(taken, 409, "slot_taken")
    alternatives = body["alternatives"]
    assert 1 <= len(alternatives) <= 5
    same = [a for a in alternatives if a["resource"] == "gruppenraum-1"]
    others = [a for a in alternatives if a["resource"] != "gruppenraum-1"]
    # Same resource first, nearest first; then the other room at the wanted time.
    assert alternatives[: len(same)] == same
    assert same[0]["start"] in (at(WEDNESDAY, 12), at(WEDNESDAY, 16))
    assert {"resource": "gruppenraum-2", "start": at(WEDNESDAY, 14), "end": at(WEDNESDAY, 16)} in others
    # The event forum needs approval but is the same kind: it may be offered; the laser cutter is not a room.
    assert all(a["resource"] != "lasercutter" for a in alternatives)
    for alternative in alternatives:
        response = await book(client, ben, alternative["resource"], alternative["start"], alternative["end"])
        assert response.status_code == 201, (alternative, response.text)
        await client.post(f"/api/v1/bookings/{response.json()['id']}/cancel", headers=bearer(ben))


async def test_approval_cancel_and_check_in_lifecycle(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await setup_library(db)
    anna = await get_token(client)
    staff = await get_token(client, "staff@example.org")
    pending = (await book(client, anna, "veranstaltungsforum", at(WEDNESDAY, 14), at(WEDNESDAY, 16))).json()
    assert pending["status"] == "pending"
    assert_problem(
        await client.post(f"/api/v1/bookings/{pending['id']}/approve", headers=bearer(anna)), 403, "forbidden"
    )
    approved = await client.post(f"/api/v1/bookings/{pending['id']}/approve", headers=bearer(staff))
    assert approved.json()["status"] == "confirmed"

    second = (await book(client, anna, "veranstaltungsforum", at(SATURDAY, 10), at(SATURDAY, 12))).json()
    rejected = await client.post(
        f"/api/v1/bookings/{second['id']}/reject",
        json={"reason": "Belegt durch Lesung"},
        headers=bearer(staff),
    )
    assert rejected.json()["status"] == "rejected"

    room = (await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 11), at(WEDNESDAY, 12))).json()
    early = await client.post(f"/api/v1/bookings/{room['id']}/check-in", headers=bearer(anna))
    assert_problem(early, 409, "checkin_window")
    clock.set(datetime(2026, 12, 2, 9, 55, tzinfo=UTC))  # 10:55 in Ulm, five minutes before
    checked = await client.post(f"/api/v1/bookings/{room['id']}/check-in", headers=bearer(anna))
    assert checked.json()["status"] == "checked_in"

    late = (await book(client, anna, "gruppenraum-2", at(WEDNESDAY, 11, 30), at(WEDNESDAY, 12, 30))).json()
    assert_problem(
        await client.post(f"/api/v1/bookings/{late['id']}/cancel", headers=bearer(anna)),
        403,
        "cancel_too_late",
    )
    by_staff = await client.post(
        f"/api/v1/bookings/{late['id']}/cancel", json={"reason": "Raum defekt"}, headers=bearer(staff)
    )
    assert by_staff.json()["status"] == "cancelled"


async def test_other_peoples_bookings_are_not_found(db: Database, client: Client) -> None:
    await setup_library(db)
    anna = await get_token(client)
    ben = await get_token(client, "ben@example.org")
    booking = (await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 15))).json()
    assert_problem(
        await client.get(f"/api/v1/bookings/{booking['id']}", headers=bearer(ben)), 404, "not_found"
    )
    assert_problem(
        await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=bearer(ben)), 404, "not_found"
    )
    assert (await client.get("/api/v1/bookings", headers=bearer(ben))).json()["items"] == []
    assert_problem(
        await client.get("/api/v1/bookings?user=anna@example.org", headers=bearer(ben)), 403, "forbidden"
    )
    staff = await get_token(client, "staff@example.org")
    listed = (await client.get("/api/v1/bookings?user=anna@example.org", headers=bearer(staff))).json()
    assert [b["id"] for b in listed["items"]] == [booking["id"]]


async def test_staff_book_for_a_visitor_and_override_rules_but_not_conflicts(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    staff = await get_token(client, "staff@example.org")
    anna = await get_token(client)
    for_anna = await book(
        client, staff, "gruppenraum-1", at(WEDNESDAY, 10), at(WEDNESDAY, 11), for_user="anna@example.org"
    )
    assert for_anna.status_code == 201
    assert for_anna.json()["user"]["name"] == "Anna Muster"
    assert_problem(
        await book(
            client, anna, "gruppenraum-1", at(WEDNESDAY, 12), at(WEDNESDAY, 13), for_user="ben@example.org"
        ),
        403,
        "forbidden",
    )
    assert_problem(
        await book(
            client, anna, "gruppenraum-1", at(WEDNESDAY, 8), at(WEDNESDAY, 9), override_reason="please"
        ),
        403,
        "forbidden",
    )
    long_one = await book(
        client,
        staff,
        "gruppenraum-1",
        at(WEDNESDAY, 12),
        at(WEDNESDAY, 18, 30),
        override_reason="Tag der offenen Tür",
    )
    assert long_one.status_code == 201, long_one.text
    clash = await book(
        client, staff, "gruppenraum-1", at(WEDNESDAY, 10), at(WEDNESDAY, 11), override_reason="trotzdem"
    )
    assert_problem(clash, 409, "slot_taken")
    async with db.read() as session:
        reasons = (
            await session.scalars(select(AuditEntry.reason).where(AuditEntry.reason.is_not(None)))
        ).all()
    assert reasons == ["Tag der offenen Tür"]


async def test_a_block_refuses_with_unit_blocked(db: Database, client: Client) -> None:
    things = await setup_library(db)
    async with db.write() as session:
        session.add(
            UnitBlock(
                unit_id=things["room"].units[0].id,
                start_at=datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
                end_at=datetime(2026, 12, 2, 18, 0, tzinfo=UTC),
                reason="Wartung",
            )
        )
    token = await get_token(client)
    assert_problem(
        await book(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 15)), 403, "unit_blocked"
    )


async def test_a_closure_makes_the_day_closed(db: Database, client: Client) -> None:
    things = await setup_library(db)
    await add_exception(db, things["location"], WEDNESDAY, reason="Betriebsausflug", reason_en="Staff outing")
    token = await get_token(client)
    body = assert_problem(
        await book(client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 15)), 403, "closed"
    )
    assert "Betriebsausflug" in body["detail"]


async def test_the_scheduler_turns_missed_bookings_into_no_shows_and_frees_the_time(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await setup_library(db)
    anna = await get_token(client)
    booking = (await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 16))).json()
    clock.set(datetime(2026, 12, 2, 13, 10, tzinfo=UTC))  # 14:10, inside the 15-minute window
    assert (await run_jobs_once(db, clock, settings))["release_no_shows"] == 0
    clock.set(datetime(2026, 12, 2, 13, 16, tzinfo=UTC))  # 14:16
    assert (await run_jobs_once(db, clock, settings))["release_no_shows"] == 1
    assert (await run_jobs_once(db, clock, settings))["release_no_shows"] == 0  # safe to run twice
    assert (await client.get(f"/api/v1/bookings/{booking['id']}", headers=bearer(anna))).json()[
        "status"
    ] == "no_show"
    ben = await get_token(client, "ben@example.org")
    assert (
        await book(client, ben, "gruppenraum-1", at(WEDNESDAY, 14, 30), at(WEDNESDAY, 15, 30))
    ).status_code == 201
    async with db.read() as session:
        count = await session.scalar(
            select(func.count()).select_from(Booking).where(Booking.status == BookingStatus.NO_SHOW)
        )
    assert count == 1


async def test_the_scheduler_completes_checked_in_bookings_once_their_time_is_over(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await setup_library(db)
    anna = await get_token(client)
    printing = (await book(client, anna, "3d-drucker", at(WEDNESDAY, 11), at(WEDNESDAY, 12))).json()
    clock.set(datetime(2026, 12, 2, 9, 55, tzinfo=UTC))  # 10:55 in Ulm
    await client.post(f"/api/v1/bookings/{printing['id']}/check-in", headers=bearer(anna))
    clock.set(datetime(2026, 12, 2, 11, 10, tzinfo=UTC))  # 12:10: over, but the cool-down runs to 12:30
    assert (await run_jobs_once(db, clock, settings))["complete_bookings"] == 0
    clock.set(datetime(2026, 12, 2, 11, 30, tzinfo=UTC))
    assert sum(await asyncio.gather(*(complete_bookings(db, now=clock.now()) for _ in range(2)))) == 1
    assert (await run_jobs_once(db, clock, settings))["complete_bookings"] == 0  # safe to run twice
    assert (await client.get(f"/api/v1/bookings/{printing['id']}", headers=bearer(anna))).json()[
        "status"
    ] == "completed"
    async with db.read() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.completed"))
    assert entry is not None
    assert (entry.object_id, entry.actor_id) == (str(printing["id"]), None)
    assert (entry.before or {})["status"] == "checked_in"
    assert (entry.after or {})["status"] == "completed"


async def count_bookings(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Booking)) or 0)


async def test_a_weekly_series_is_booked_whole(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    response = await book(
        client,
        token,
        "gruppenraum-1",
        at(WEDNESDAY, 14),
        at(WEDNESDAY, 15),
        repeat={"freq": "weekly", "count": 3},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert [b["start"] for b in body["bookings"]] == [
        at(WEDNESDAY, 14),
        at(date(2026, 12, 9), 14),
        at(date(2026, 12, 16), 14),
    ]
    assert {b["series_id"] for b in body["bookings"]} == {body["series_id"]}
    assert body["skipped"] == []


async def test_a_series_with_one_conflict_is_refused_whole_or_books_the_rest(
    db: Database, client: Client
) -> None:
    await setup_library(db)
    anna = await get_token(client)
    ben = await get_token(client, "ben@example.org")
    taken = await book(client, ben, "gruppenraum-1", at(date(2026, 12, 9), 14), at(date(2026, 12, 9), 15))
    assert taken.status_code == 201
    before = await count_bookings(db)
    series = {"freq": "weekly", "count": 3}

    refused = await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 15), repeat=series)
    body = assert_problem(refused, 409, "series_conflicts")
    assert [(c["start"], c["code"]) for c in body["conflicts"]] == [(at(date(2026, 12, 9), 14), "slot_taken")]
    assert body["conflicts"][0]["alternatives"]
    assert await count_bookings(db) == before  # nothing booked

    partial = await book(
        client,
        anna,
        "gruppenraum-1",
        at(WEDNESDAY, 14),
        at(WEDNESDAY, 15),
        repeat={**series, "skip_conflicts": True},
    )
    assert partial.status_code == 201, partial.text
    result = partial.json()
    assert [b["start"] for b in result["bookings"]] == [at(WEDNESDAY, 14), at(date(2026, 12, 16), 14)]
    assert result["skipped"] == [
        {"start": at(date(2026, 12, 9), 14), "end": at(date(2026, 12, 9), 15), "code": "slot_taken"}
    ]


async def test_cancel_one_occurrence_or_the_rest_of_a_series(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    series = (
        await book(
            client,
            token,
            "gruppenraum-1",
            at(WEDNESDAY, 14),
            at(WEDNESDAY, 15),
            repeat={"freq": "daily", "count": 4},
        )
    ).json()
    ids = [b["id"] for b in series["bookings"]]
    one = await client.post(f"/api/v1/bookings/{ids[0]}/cancel", json={}, headers=bearer(token))
    assert one.json()["status"] == "cancelled"
    rest = await client.post(
        f"/api/v1/bookings/{ids[1]}/cancel", json={"series": "following"}, headers=bearer(token)
    )
    assert rest.status_code == 200
    statuses = [
        (await client.get(f"/api/v1/bookings/{i}", headers=bearer(token))).json()["status"] for i in ids
    ]
    assert statuses == ["cancelled", "cancelled", "cancelled", "cancelled"]


async def test_staff_block_a_unit_and_see_the_bookings_to_handle(db: Database, client: Client) -> None:
    things = await setup_library(db)
    anna = await get_token(client)
    staff = await get_token(client, "staff@example.org")
    booking = (await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 15))).json()
    unit_id = things["room"].units[0].id
    block = {"start": at(WEDNESDAY, 12), "end": at(WEDNESDAY, 18), "reason": "Beamer defekt"}

    assert_problem(
        await client.post(f"/api/v1/units/{unit_id}/blocks", json=block, headers=bearer(anna)),
        403,
        "forbidden",
    )
    response = await client.post(f"/api/v1/units/{unit_id}/blocks", json=block, headers=bearer(staff))
    assert response.status_code == 201, response.text
    created = response.json()
    assert [b["id"] for b in created["affected_bookings"]] == [booking["id"]]
    # The booking is left for staff to handle, not cancelled behind anyone's back.
    assert (await client.get(f"/api/v1/bookings/{booking['id']}", headers=bearer(anna))).json()[
        "status"
    ] == "confirmed"
    assert_problem(
        await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 16), at(WEDNESDAY, 17)), 403, "unit_blocked"
    )

    assert (await client.delete(f"/api/v1/blocks/{created['id']}", headers=bearer(staff))).status_code == 204
    assert (
        await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 16), at(WEDNESDAY, 17))
    ).status_code == 201
    async with db.read() as session:
        actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert "unit.block" in actions
    assert "unit.unblock" in actions


async def test_a_422_names_a_nested_field(db: Database, client: Client) -> None:
    await setup_library(db)
    token = await get_token(client)
    wrong = await book(
        client, token, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 15), repeat={"freq": 7}
    )
    body = assert_problem(wrong, 422, "invalid_input")
    assert body["errors"][0]["field"] == "repeat.freq"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-12-02T10:00:00+01:00", "2036-12-02T10:00:00+01:00", "end"),  # ten years long
        ("9999-12-30T10:00:00+01:00", "9999-12-30T11:00:00+01:00", "start"),
        ("0001-01-01T10:00:00+00:53", "0001-01-01T11:00:00+00:53", "start"),
        ("2020-03-02T10:00:00+01:00", "2020-03-02T11:00:00+01:00", "start"),  # and then a no-show
        ("2031-11-30T10:00:00+01:00", "2031-12-10T10:00:00+01:00", "end"),  # ends past five years
        ("2026-12-02T10:00:00+01:00", "2027-01-03T10:00:00+01:00", "end"),  # 32 days
    ],
)
async def test_an_override_stays_within_bounds(
    db: Database, client: Client, start: str, end: str, field: str
) -> None:
    await setup_library(db)
    staff = await get_token(client, "staff@example.org")
    response = await book(client, staff, "gruppenraum-1", start, end, override_reason="Ausnahme")
    problem = assert_problem(response, 422, "override_out_of_bounds")
    assert [error["field"] for error in problem["errors"]] == [field]


async def test_an_override_at_the_bounds_is_booked(db: Database, client: Client) -> None:
    await setup_library(db)
    staff = await get_token(client, "staff@example.org")
    month = await book(
        client,
        staff,
        "gruppenraum-1",
        at(WEDNESDAY, 10),
        "2027-01-02T10:00:00+01:00",
        override_reason="Umbau",
    )
    assert month.status_code == 201, month.text


async def test_a_series_reaches_at_most_two_years_ahead(db: Database, client: Client) -> None:
    await setup_library(db)
    anna = await get_token(client)
    staff = await get_token(client, "staff@example.org")
    far = {"freq": "weekly", "interval": 52, "count": 10}  # the last one in 2035
    for token, extra in ((anna, {}), (staff, {"override_reason": "Dauertermin"})):
        response = await book(
            client, token, "gruppenraum-1", at(WEDNESDAY, 10), at(WEDNESDAY, 11), repeat=far, **extra
        )
        assert_problem(response, 422, "series_out_of_bounds")
