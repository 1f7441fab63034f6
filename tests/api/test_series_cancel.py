"""Cancelling a booking series from a moment on: POST /api/v1/booking-series/{id}/cancel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from library.audit.models import AuditEntry
from library.clock import SettableClock
from library.db import Database
from library.outbox.models import OutboxMessage
from tests.support.api import Client, book, setup_library
from tests.support.factories import assert_problem, bearer, get_token
from tests.support.times import WEDNESDAY, at


async def daily_series(client: Client, token: str, hour: int = 14, count: int = 4) -> dict[str, Any]:
    response = await book(
        client,
        token,
        "gruppenraum-1",
        at(WEDNESDAY, hour),
        at(WEDNESDAY, hour + 1),
        repeat={"freq": "daily", "count": count},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def statuses(client: Client, token: str, ids: list[int]) -> list[str]:
    return [(await client.get(f"/api/v1/bookings/{i}", headers=bearer(token))).json()["status"] for i in ids]


async def test_the_owner_cancels_the_whole_series_at_once(db: Database, client: Client) -> None:
    await setup_library(db)
    anna = await get_token(client)
    series = await daily_series(client, anna)
    ids = [b["id"] for b in series["bookings"]]

    response = await client.post(
        f"/api/v1/booking-series/{series['series_id']}/cancel", json={}, headers=bearer(anna)
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"cancelled": ids}
    assert await statuses(client, anna, ids) == ["cancelled"] * 4
    async with db.read() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
        kinds = (await session.scalars(select(OutboxMessage.kind))).all()
    assert actions.count("booking.cancelled") == 4
    assert "booking.cancelled" not in kinds  # the owner needs no mail about what they did


async def test_from_keeps_the_earlier_occurrences(db: Database, client: Client) -> None:
    await setup_library(db)
    anna = await get_token(client)
    series = await daily_series(client, anna)
    ids = [b["id"] for b in series["bookings"]]
    third_start = series["bookings"][2]["start"]

    response = await client.post(
        f"/api/v1/booking-series/{series['series_id']}/cancel",
        json={"from": third_start},
        headers=bearer(anna),
    )

    assert response.json() == {"cancelled": ids[2:]}
    assert await statuses(client, anna, ids) == ["confirmed", "confirmed", "cancelled", "cancelled"]
    again = await client.post(
        f"/api/v1/booking-series/{series['series_id']}/cancel",
        json={"from": third_start},
        headers=bearer(anna),
    )
    assert again.json() == {"cancelled": []}


async def test_staff_cancel_with_a_reason_and_the_owner_is_told(db: Database, client: Client) -> None:
    await setup_library(db)
    anna = await get_token(client)
    staff = await get_token(client, "staff@example.org")
    series = await daily_series(client, anna, count=2)

    response = await client.post(
        f"/api/v1/booking-series/{series['series_id']}/cancel",
        json={"reason": "Renovierung"},
        headers=bearer(staff),
    )

    assert response.json() == {"cancelled": [b["id"] for b in series["bookings"]]}
    async with db.read() as session:
        kinds = (await session.scalars(select(OutboxMessage.kind))).all()
        reasons = (
            await session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "booking.cancelled"))
        ).all()
    assert kinds.count("booking.cancelled") == 2
    assert reasons == ["Renovierung", "Renovierung"]


async def test_a_visitor_cannot_cancel_an_occurrence_past_its_cut_off(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await setup_library(db)
    anna = await get_token(client)
    series = await daily_series(client, anna, hour=11, count=3)
    ids = [b["id"] for b in series["bookings"]]
    clock.set(datetime(2026, 12, 2, 9, 55, tzinfo=UTC))  # 10:55 in Ulm, the first one starts at 11:00
    path = f"/api/v1/booking-series/{series['series_id']}/cancel"

    assert_problem(await client.post(path, headers=bearer(anna)), 403, "cancel_too_late")
    assert await statuses(client, anna, ids) == ["confirmed"] * 3  # nothing half done

    later = await client.post(path, json={"from": series["bookings"][1]["start"]}, headers=bearer(anna))
    assert later.json() == {"cancelled": ids[1:]}


async def test_someone_elses_series_is_not_found(db: Database, client: Client) -> None:
    await setup_library(db)
    anna = await get_token(client)
    ben = await get_token(client, "ben@example.org")
    series = await daily_series(client, anna, count=2)

    assert_problem(
        await client.post(f"/api/v1/booking-series/{series['series_id']}/cancel", headers=bearer(ben)),
        404,
        "not_found",
    )
    assert_problem(
        await client.post("/api/v1/booking-series/999999/cancel", headers=bearer(anna)), 404, "not_found"
    )
    malformed = await client.post(
        f"/api/v1/booking-series/{series['series_id']}/cancel",
        json={"from": "tomorrow"},
        headers=bearer(anna),
    )
    assert malformed.status_code in (400, 422), malformed.text
    assert malformed.headers["content-type"].startswith("application/problem+json")
