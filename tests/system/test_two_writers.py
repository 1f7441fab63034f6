"""Two `library serve` processes booking on one database at once, on both engines.

On SQLite a booking's statements run on the event loop's thread, where nothing may wait: when
the other process holds the write lock, the booking waits for it on aiosqlite's thread instead
(library.sqlite_driver). On PostgreSQL the writers of one unit and day take turns across
processes (migration 0024). Either way every request is answered, one booking per slot.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import select

from library.booking.models import Booking, BookingStatus
from library.catalog.models import ResourceKind
from library.db import Database
from tests.support.factories import create_location, create_resource
from tests.support.live_server import serving, visitors_with_tokens
from tests.system.test_concurrency import EVERY_DAY, NO_QUOTAS, OVERLAPS, an_hour


async def test_two_processes_booking_at_once_answer_every_request_and_never_overlap(
    db: Database, database_url: str, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    location = await create_location(db, weekly=EVERY_DAY, policy=NO_QUOTAS)
    await create_resource(db, location, "lasercutter", kind=ResourceKind.DEVICE)
    await create_resource(db, location, "naehmaschine", kind=ResourceKind.DEVICE)
    tokens = await visitors_with_tokens(db, 48)
    own_slots = [an_hour("naehmaschine", 2 + n // 8, 6 + 2 * (n % 8)) for n in range(24)]
    bodies = [an_hour("lasercutter", 2, 10)] * 24 + own_slots
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    with (
        serving(database_url, tmp_path / "a", scheduler="off") as first,
        serving(database_url, tmp_path / "b", scheduler="off") as second,
    ):
        responses = await asyncio.gather(
            *(
                http.post(
                    f"{(first, second)[n % 2]}/api/v1/bookings",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                )
                for n, (body, token) in enumerate(zip(bodies, tokens, strict=True))
            )
        )

    unexpected = [r.text for r in responses if r.status_code not in (201, 409)]
    assert unexpected == []
    assert Counter(r.status_code for r in responses[:24]) == {201: 1, 409: 23}
    assert all(r.status_code == 201 for r in responses[24:])
    async with db.read() as session:
        confirmed = (
            await session.scalars(select(Booking).where(Booking.status == BookingStatus.CONFIRMED))
        ).all()
        assert len(confirmed) == 25
        assert (await session.execute(OVERLAPS)).scalar_one() == 0
