"""A booked day for closures: a visitor's booking and a full workshop session on Wednesday."""

from __future__ import annotations

from typing import Any

from library.catalog.models import ResourceKind
from library.db import Database
from tests.support.api import Client, booked, new_session, new_workshop, setup_library
from tests.support.factories import bearer, create_location, create_resource, get_token
from tests.support.times import WEDNESDAY, at


async def booked_day(client: Client, db: Database) -> dict[str, Any]:
    """Wednesday at the central library: a printer booking and a full session in the makerspace;
    a second location with a printer of its own."""
    made = await setup_library(db)
    await create_resource(db, made["location"], "makerspace", kind=ResourceKind.ROOM)
    west = await create_location(db, slug="weststadt", name="Weststadt", position=1)
    await create_resource(db, west, "3d-drucker-west", name="3D-Drucker West", kind=ResourceKind.DEVICE)
    anna = await get_token(client)
    staff = await get_token(client, "staff@example.org")
    booking = await booked(client, anna, "3d-drucker", at(WEDNESDAY, 10), at(WEDNESDAY, 11))
    workshop = await new_workshop(client, staff)
    created = await new_session(
        client, staff, workshop["slug"], start=at(WEDNESDAY, 14), end=at(WEDNESDAY, 16), capacity=1
    )
    assert created.status_code == 201, created.text
    session = created.json()
    joined = await client.post(
        f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(anna)
    )
    assert joined.status_code == 201, joined.text
    assert joined.json()["status"] == "confirmed"  # the one place: the session is full
    return {"booking": booking, "session": session, "staff": staff, "anna": anna}
