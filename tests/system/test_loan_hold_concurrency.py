"""Holds on a thing under real concurrent requests against `library serve`, on both engines: a
cancelled reservation is offered to the person waiting in the same transaction, so people
reserving the same days at that moment never get the unit as well; and an accepted offer
becomes one loan, however often it is accepted at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, time, timedelta

import httpx

from library.catalog.models import Factor, ResourceKind
from library.db import Database
from tests.support.factories import create_location, create_resource
from tests.support.live_server import visitors_with_tokens
from tests.system.test_concurrency import BERLIN, EVERY_DAY, NO_QUOTAS, OVERLAPS

DAY = 24 * 60


async def test_an_offer_and_reservations_of_the_freed_days_race_and_never_overlap(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    location = await create_location(db, weekly=EVERY_DAY, policy=NO_QUOTAS)
    await create_resource(
        db, location, "kamera", kind=ResourceKind.LOAN, factor=Factor.TECHNOLOGY, policy={"loan_days": 2}
    )
    owner, waiting, *others = await visitors_with_tokens(db, 10)
    pickup = (datetime.now(BERLIN) + timedelta(days=2)).date()

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def reserve(token: str) -> httpx.Response:
        return await http.post(
            f"{live_server}/api/v1/loans",
            json={"resource": "kamera", "pickup": pickup.isoformat()},
            headers=auth(token),
        )

    taken = await reserve(owner)
    assert taken.status_code == 201, taken.text
    window = {
        "resource": "kamera",
        "from": datetime.combine(pickup, time(0), BERLIN).isoformat(),
        "to": datetime.combine(pickup + timedelta(days=3), time(0), BERLIN).isoformat(),
        "minutes": 2 * DAY,
    }
    held = await http.post(f"{live_server}/api/v1/holds", json=window, headers=auth(waiting))
    assert held.status_code == 201, held.text
    hold_id = held.json()["id"]

    cancel = http.post(f"{live_server}/api/v1/loans/{taken.json()['id']}/cancel", headers=auth(owner))
    responses = await asyncio.gather(cancel, *(reserve(t) for t in others[:4]))
    assert responses[0].status_code == 200, responses[0].text
    statuses = Counter(r.status_code for r in responses[1:])
    assert set(statuses) <= {201, 409}, [r.text for r in responses[1:]]
    mine = (await http.get(f"{live_server}/api/v1/holds", headers=auth(waiting))).json()["items"]
    # The offer is made in the cancelling transaction: the freed days go to the person waiting,
    # and every reservation, before or after it, is refused.
    assert statuses == {409: 4}
    assert mine[0]["status"] == "offered"

    accepts = [
        http.post(f"{live_server}/api/v1/holds/{hold_id}/accept", headers=auth(waiting)) for _ in range(3)
    ]
    answers = await asyncio.gather(*accepts, *(reserve(t) for t in others[4:]))
    assert sorted(r.status_code for r in answers[:3]) == [201, 409, 409], [r.text for r in answers[:3]]
    assert all(r.json()["code"] == "not_offered" for r in answers[:3] if r.status_code == 409)
    assert all(r.status_code == 409 for r in answers[3:]), [r.text for r in answers[3:]]
    loans = (await http.get(f"{live_server}/api/v1/loans", headers=auth(waiting))).json()["items"]
    assert [(loan["status"], loan["pickup"]) for loan in loans] == [("reserved", pickup.isoformat())]
    async with db.read() as session:
        assert (await session.execute(OVERLAPS)).scalar_one() == 0
