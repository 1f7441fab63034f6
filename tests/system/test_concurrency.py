"""Real concurrent requests against `library serve` in its own process, on both engines."""

from __future__ import annotations

import asyncio
import random
import time as walltime
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select, text

from library.accounts.models import User
from library.booking.models import Booking, BookingStatus
from library.catalog.models import ResourceKind
from library.db import Database
from tests.support.factories import create_location, create_resource, hours
from tests.support.live_server import visitors_with_tokens

BERLIN = ZoneInfo("Europe/Berlin")
EVERY_DAY = tuple(hours(day, "06:00", "22:00") for day in range(1, 8))
NO_QUOTAS = {"max_active_bookings": None, "max_minutes_per_week": None, "horizon_days": 60}


def upcoming(days: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(BERLIN).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def an_hour(resource: str, days: int, hour: int) -> dict[str, str]:
    """The body of a booking of `resource` for the hour from `hour` o'clock in `days` days."""
    return {
        "resource": resource,
        "start": upcoming(days, hour).isoformat(),
        "end": upcoming(days, hour + 1).isoformat(),
    }


async def test_thirty_two_requests_for_one_slot_give_one_booking(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    location = await create_location(db, weekly=EVERY_DAY, policy=NO_QUOTAS)
    await create_resource(db, location, "lasercutter", kind=ResourceKind.DEVICE)
    tokens = await visitors_with_tokens(db, 32)
    body = an_hour("lasercutter", 2, 10)

    responses = await asyncio.gather(
        *(
            http.post(f"{live_server}/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {t}"})
            for t in tokens
        )
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 31}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert all(r.json()["code"] == "slot_taken" for r in responses if r.status_code == 409)
    async with db.read() as session:
        rows = (await session.scalars(select(Booking).where(Booking.status == BookingStatus.CONFIRMED))).all()
    assert len(rows) == 1


OVERLAPS = text(
    """
    SELECT count(*) FROM bookings a JOIN bookings b
      ON a.unit_id = b.unit_id AND a.id < b.id
     AND a.occupied_start < b.occupied_end AND b.occupied_start < a.occupied_end
    WHERE a.status IN ('pending', 'confirmed', 'checked_in')
      AND b.status IN ('pending', 'confirmed', 'checked_in')
    """
)


async def test_two_thousand_random_concurrent_bookings_never_overlap(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    location = await create_location(db, weekly=EVERY_DAY, policy=NO_QUOTAS)
    for n in range(4):  # 4 resources with 5 units each: 20 units
        await create_resource(
            db,
            location,
            f"arbeitsplatz-{n}",
            kind=ResourceKind.WORKSPACE,
            units=5,
            policy={"buffer_minutes": 15},
        )
    tokens = await visitors_with_tokens(db, 100)
    chooser = random.Random(20261127)
    gate = asyncio.Semaphore(40)

    async def one_booking() -> int:
        start = upcoming(chooser.randint(1, 3), chooser.randint(6, 19), chooser.choice([0, 30]))
        body = {
            "resource": f"arbeitsplatz-{chooser.randint(0, 3)}",
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=chooser.choice([30, 60, 90, 120]))).isoformat(),
        }
        headers = {"Authorization": f"Bearer {chooser.choice(tokens)}"}
        async with gate:
            response = await http.post(f"{live_server}/api/v1/bookings", json=body, headers=headers)
        return response.status_code

    statuses = Counter(await asyncio.gather(*(one_booking() for _ in range(2000))))

    assert set(statuses) <= {201, 403, 409}, statuses  # 403: past 22:00; never a 500
    assert statuses[201] > 100
    async with db.read() as session:
        assert (await session.execute(OVERLAPS)).scalar_one() == 0
        booked = (await session.execute(text("SELECT count(*) FROM bookings"))).scalar_one()
    assert booked == statuses[201]


async def test_the_running_service_releases_a_no_show_by_itself(db: Database, live_server: str) -> None:
    location = await create_location(db, weekly=EVERY_DAY)
    room = await create_resource(db, location, "gruppenraum")
    user = (await visitors_with_tokens(db, 1))[0]
    assert user
    now = datetime.now(UTC)
    async with db.write() as session:
        owner = await session.scalar(select(User))
        assert owner is not None
        session.add(
            Booking(
                unit_id=room.units[0].id,
                resource_id=room.id,
                user_id=owner.id,
                start_at=now - timedelta(minutes=20),
                end_at=now + timedelta(minutes=40),
                occupied_start=now - timedelta(minutes=20),
                occupied_end=now + timedelta(minutes=40),
                status=BookingStatus.CONFIRMED,
            )
        )
    deadline = walltime.monotonic() + 20
    status = BookingStatus.CONFIRMED
    while walltime.monotonic() < deadline:
        async with db.read() as session:
            status = (await session.scalars(select(Booking.status))).one()
        if status is BookingStatus.NO_SHOW:
            break
        await asyncio.sleep(0.5)
    assert status is BookingStatus.NO_SHOW
