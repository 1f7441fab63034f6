"""Two `library serve` processes on one PostgreSQL database: each keeps its own copy of the
catalogue, and neither ever answers from a stale one.

A booking made through one process is in the next availability answer and day overview of
the other; a change to the house rules made elsewhere is in the next answer of both.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from library.catalog.models import Policy, Resource, ResourceKind
from library.db import Database
from tests.support.engines import POSTGRES_ONLY
from tests.support.factories import create_location, create_resource
from tests.support.live_server import serving, visitors_with_tokens
from tests.system.test_concurrency import EVERY_DAY, NO_QUOTAS, upcoming


def availability(base: str, day: date) -> str:
    return f"{base}/api/v1/resources/lasercutter/availability?from={day}&to={day}"


def free_on(answer: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    (day,) = answer["days"]
    return [(datetime.fromisoformat(f["start"]), datetime.fromisoformat(f["end"])) for f in day["free"]]


def busy_in_day_view(answer: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    (cutter,) = [r for r in answer["resources"] if r["slug"] == "lasercutter"]
    return [(datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"])) for b in cutter["busy"]]


@POSTGRES_ONLY
async def test_a_booking_through_one_process_is_in_the_next_answer_of_the_other(
    db: Database, database_url: str, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    location = await create_location(db, weekly=EVERY_DAY, policy=NO_QUOTAS)
    await create_resource(db, location, "lasercutter", kind=ResourceKind.DEVICE)
    (token,) = await visitors_with_tokens(db, 1)
    start, end = upcoming(2, 10), upcoming(2, 11)
    day = start.date()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    with (
        serving(database_url, tmp_path / "a", scheduler="off") as first,
        serving(database_url, tmp_path / "b", scheduler="off") as second,
    ):
        for base in (first, second):  # each process reads and keeps the catalogue
            answer = (await http.get(availability(base, day))).json()
            assert any(s <= start and end <= e for s, e in free_on(answer)), answer
            overview = await http.get(f"{base}/api/v1/locations/{location.slug}/day?date={day}")
            assert busy_in_day_view(overview.json()) == []

        booked = await http.post(
            f"{first}/api/v1/bookings",
            json={"resource": "lasercutter", "start": start.isoformat(), "end": end.isoformat()},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert booked.status_code == 201, booked.text

        answer = (await http.get(availability(second, day))).json()
        assert not any(s < end and start < e for s, e in free_on(answer)), answer
        overview = (await http.get(f"{second}/api/v1/locations/{location.slug}/day?date={day}")).json()
        assert (start, end) in busy_in_day_view(overview)

        async with db.write() as session:  # the house rules change in a third process
            resource_id = await session.scalar(select(Resource.id).where(Resource.slug == "lasercutter"))
            session.add(Policy(resource_id=resource_id, slot_minutes=60))
        for base in (first, second):
            assert (await http.get(availability(base, day))).json()["slot_minutes"] == 60
