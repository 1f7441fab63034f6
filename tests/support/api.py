"""The in-process client of the `client` fixture, and what the API tests share: a library to book in,
booking, workshops and their sessions."""

from __future__ import annotations

from datetime import date
from typing import Any

from httpx import Request, Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from litestar.testing.transport import TestClientTransport

from library.accounts.models import Role
from library.catalog.models import ResourceKind
from library.db import Database
from tests.support.factories import (
    bearer,
    create_certification,
    create_location,
    create_resource,
    create_user,
)
from tests.support.times import FRIDAY, at

Client = AsyncTestClient[Litestar]


class _TransportFrom(TestClientTransport[Client]):
    def __init__(self, client: Client, address: str) -> None:
        super().__init__(client=client, raise_server_exceptions=True)
        self.address = address

    def parse_request(self, request: Request) -> dict[str, Any]:
        return {**super().parse_request(request), "client": (self.address, 50000)}


def client_from(client: Client, address: str) -> Client:
    """Another person, with cookies of their own, reaching the same running app from `address`
    (the `client` fixture always comes from one address)."""
    other = AsyncTestClient(app=client.app)
    # The test client has no option for it; its own transport is typed the same way (see Litestar).
    other._transport = _TransportFrom(other, address)  # type: ignore[assignment]
    return other


async def book(client: Client, token: str, resource: str, start: str, end: str, **extra: Any) -> Response:
    """Ask for a booking; the answer may be a refusal."""
    return await client.post(
        "/api/v1/bookings",
        json={"resource": resource, "start": start, "end": end, **extra},
        headers=bearer(token),
    )


async def booked(client: Client, token: str, resource: str, start: str, end: str) -> dict[str, Any]:
    """A booking that must be made: the booking as the API answers it."""
    response = await book(client, token, resource, start, end)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def setup_library(db: Database) -> dict[str, Any]:
    """Rooms, devices with rules, a forum that needs approval; an adult, a child and staff."""
    location = await create_location(db)
    room = await create_resource(db, location, "gruppenraum-1", name="Gruppenraum 1")
    other_room = await create_resource(db, location, "gruppenraum-2", name="Gruppenraum 2")
    laser = await create_certification(db, "laser-cutter", name="Einweisung Lasercutter")
    cutter = await create_resource(
        db,
        location,
        "lasercutter",
        kind=ResourceKind.DEVICE,
        certification=laser,
        min_age=16,
        needs_staff=True,
    )
    printer = await create_resource(
        db,
        location,
        "3d-drucker",
        kind=ResourceKind.DEVICE,
        units=2,
        policy={"buffer_minutes": 30, "max_minutes_per_week": 240},
    )
    forum = await create_resource(db, location, "veranstaltungsforum", requires_approval=True)
    internet = await create_resource(
        db,
        location,
        "internetplatz",
        kind=ResourceKind.WORKSPACE,
        units=2,
        policy={"slot_minutes": 30, "min_minutes": 30, "max_minutes": 30, "max_bookings_per_day": 1},
    )
    visitor = await create_user(db, "anna@example.org", birth_date=date(1990, 5, 1))
    await create_user(db, "ben@example.org", name="Ben", birth_date=date(2012, 3, 1))
    await create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    return {
        "location": location,
        "room": room,
        "other_room": other_room,
        "cutter": cutter,
        "printer": printer,
        "forum": forum,
        "internet": internet,
        "laser": laser,
        "visitor": visitor,
    }


async def new_workshop(client: Client, staff: str, **fields: Any) -> dict[str, Any]:
    """A workshop made by staff (their token), granting nothing unless `fields` say so."""
    body = {
        "title": "Einweisung Lasercutter",
        "description": "Sicher schneiden.",
        "factor": "knowhow",
        **fields,
    }
    response = await client.post("/api/v1/workshops", json=body, headers=bearer(staff))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def new_session(client: Client, staff: str, slug: str, **fields: Any) -> Any:
    """Ask for a session of workshop `slug` on Friday afternoon; the answer may be a refusal."""
    body = {
        "start": at(FRIDAY, 14),
        "end": at(FRIDAY, 15, 30),
        "room": "makerspace",
        "capacity": 10,
        **fields,
    }
    return await client.post(f"/api/v1/workshops/{slug}/sessions", json=body, headers=bearer(staff))
