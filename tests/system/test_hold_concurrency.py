"""Fifty people waiting for one slot, with real concurrent requests to `library serve`, on both
engines: gap-free positions, exactly one offer when the slot frees, exactly one booking."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from library.booking.holds import sweep_holds
from library.booking.models import ACTIVE_STATUSES, Booking, Hold, HoldStatus
from library.catalog.models import ResourceKind
from library.db import Database
from tests.support.factories import create_location, create_resource
from tests.support.live_server import visitors_with_tokens
from tests.system.test_concurrency import EVERY_DAY, NO_QUOTAS, upcoming

WAITING = 50


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_fifty_people_waiting_for_one_slot_get_one_offer_and_one_booking(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    location = await create_location(db, weekly=EVERY_DAY, policy=NO_QUOTAS)
    await create_resource(db, location, "lasercutter", kind=ResourceKind.DEVICE)
    holder, *tokens = await visitors_with_tokens(db, WAITING + 1)
    slot = {"start": upcoming(2, 10).isoformat(), "end": upcoming(2, 11).isoformat()}
    taken = await http.post(
        f"{live_server}/api/v1/bookings", json={"resource": "lasercutter", **slot}, headers=bearer(holder)
    )
    assert taken.status_code == 201, taken.text
    wanted = {"resource": "lasercutter", "from": slot["start"], "to": slot["end"], "minutes": 60}

    placed = await asyncio.gather(
        *(http.post(f"{live_server}/api/v1/holds", json=wanted, headers=bearer(t)) for t in tokens)
    )
    assert Counter(r.status_code for r in placed) == {201: WAITING}, [r.text for r in placed]
    assert sorted(r.json()["position"] for r in placed) == list(range(1, WAITING + 1))  # no gap, no twice
    first = min(placed, key=lambda r: r.json()["position"])
    hold_ids = [r.json()["id"] for r in placed]

    # The slot frees while sweeps run alongside: still only one offer, to the first in the queue.
    cancelled, _ = await asyncio.gather(
        http.post(f"{live_server}/api/v1/bookings/{taken.json()['id']}/cancel", headers=bearer(holder)),
        asyncio.gather(*(sweep_holds(db, now=datetime.now(UTC)) for _ in range(3))),
    )
    assert cancelled.status_code == 200, cancelled.text
    async with db.read() as session:
        offered = list(await session.scalars(select(Hold.id).where(Hold.status == HoldStatus.OFFERED)))
    assert offered == [first.json()["id"]]

    # Everyone presses accept at once: only the person offered the slot gets it.
    answers, _ = await asyncio.gather(
        asyncio.gather(
            *(
                http.post(f"{live_server}/api/v1/holds/{hold_id}/accept", headers=bearer(token))
                for hold_id, token in zip(hold_ids, tokens, strict=True)
            )
        ),
        sweep_holds(db, now=datetime.now(UTC)),
    )
    assert Counter(r.status_code for r in answers) == {201: 1, 409: WAITING - 1}
    assert {r.json()["code"] for r in answers if r.status_code == 409} == {"not_offered"}
    async with db.read() as session:
        active = list(await session.scalars(select(Booking).where(Booking.status.in_(ACTIVE_STATUSES))))
    assert len(active) == 1
    assert active[0].id == next(r.json()["id"] for r in answers if r.status_code == 201)
