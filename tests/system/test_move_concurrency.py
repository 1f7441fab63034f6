"""A move and a booking of the same slot at the same moment, as real concurrent requests against
`library serve` on both engines: one of them gets it, never both."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import text

from library.catalog.models import ResourceKind
from library.db import Database
from tests.support.factories import create_location, create_resource
from tests.support.live_server import visitors_with_tokens
from tests.system.test_concurrency import EVERY_DAY, NO_QUOTAS, OVERLAPS, upcoming


async def test_moving_and_booking_the_same_slot_at_once_never_overlap(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    # NO_QUOTAS leaves the active-bookings quota to the default (None is "not set here"): one
    # booker may win every round, so give them room for all six.
    location = await create_location(db, weekly=EVERY_DAY, policy={**NO_QUOTAS, "max_active_bookings": 100})
    await create_resource(db, location, "lasercutter", kind=ResourceKind.DEVICE)
    tokens = await visitors_with_tokens(db, 14)
    movers, bookers = tokens[:6], tokens[6:]
    outcomes: Counter[str] = Counter()
    for round_number in range(6):
        day = 1 + round_number // 3
        hour = 8 + 4 * (round_number % 3)
        start = upcoming(day, hour)
        made = await http.post(
            f"{live_server}/api/v1/bookings",
            json={
                "resource": "lasercutter",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
            },
            headers={"Authorization": f"Bearer {movers[round_number]}"},
        )
        assert made.status_code == 201, made.text
        wanted = {
            "start": (start + timedelta(hours=2)).isoformat(),
            "end": (start + timedelta(hours=3)).isoformat(),
        }

        move, *books = await asyncio.gather(
            http.patch(
                f"{live_server}/api/v1/bookings/{made.json()['id']}",
                json=wanted,
                headers={"Authorization": f"Bearer {movers[round_number]}"},
            ),
            *(
                http.post(
                    f"{live_server}/api/v1/bookings",
                    json={"resource": "lasercutter", **wanted},
                    headers={"Authorization": f"Bearer {token}"},
                )
                for token in bookers
            ),
        )

        statuses = [move.status_code, *(b.status_code for b in books)]
        assert statuses.count(200) + statuses.count(201) == 1, [r.text for r in (move, *books)]
        assert set(statuses) <= {200, 201, 409}, statuses
        outcomes["moved" if move.status_code == 200 else "booked"] += 1
        if move.status_code == 409:
            assert move.json()["code"] == "slot_taken"
    async with db.read() as session:
        assert (await session.execute(OVERLAPS)).scalar_one() == 0
        active = (
            await session.execute(
                text("SELECT count(*) FROM bookings WHERE status IN ('confirmed', 'pending')")
            )
        ).scalar_one()
    assert active == 6 * 2 - outcomes["moved"]  # a moved booking left its old slot; a lost move kept it
