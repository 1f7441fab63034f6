"""Loans under real concurrent requests against `library serve`, on both engines: the last unit
of a thing is reserved once, and loans and bookings of one unit never overlap (a loan is a
booking row, so the one overlap guarantee speaks for both)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

import httpx

from library.accounts.models import Role
from library.catalog.models import Factor, ResourceKind
from library.db import Database
from tests.support.factories import DEFAULT_PASSWORD, create_location, create_resource, create_user
from tests.support.live_server import visitors_with_tokens
from tests.system.test_concurrency import BERLIN, EVERY_DAY, NO_QUOTAS, OVERLAPS, an_hour


async def staff_token(db: Database, http: httpx.AsyncClient, live_server: str) -> str:
    await create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    response = await http.post(
        f"{live_server}/api/v1/auth/tokens", json={"email": "staff@example.org", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


async def test_sixteen_reservations_of_the_last_unit_give_one_loan(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    location = await create_location(db, weekly=EVERY_DAY, policy=NO_QUOTAS)
    await create_resource(db, location, "kamera", kind=ResourceKind.LOAN, factor=Factor.TECHNOLOGY)
    tokens = await visitors_with_tokens(db, 16)
    pickup = (datetime.now(BERLIN) + timedelta(days=2)).date()

    responses = await asyncio.gather(
        *(
            http.post(
                f"{live_server}/api/v1/loans",
                json={"resource": "kamera", "pickup": pickup.isoformat()},
                headers={"Authorization": f"Bearer {t}"},
            )
            for t in tokens
        )
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 15}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert all(r.json()["code"] == "slot_taken" for r in responses if r.status_code == 409)
    async with db.read() as session:
        assert (await session.execute(OVERLAPS)).scalar_one() == 0


async def test_loans_and_bookings_of_one_unit_at_once_never_overlap(
    db: Database, live_server: str, http: httpx.AsyncClient
) -> None:
    location = await create_location(db, weekly=EVERY_DAY, policy=NO_QUOTAS)
    await create_resource(db, location, "naehmaschine", kind=ResourceKind.LOAN, factor=Factor.TECHNOLOGY)
    tokens = await visitors_with_tokens(db, 8)
    staff = await staff_token(db, http, live_server)
    pickup = (datetime.now(BERLIN) + timedelta(days=2)).date()
    loans = [
        http.post(
            f"{live_server}/api/v1/loans",
            json={"resource": "naehmaschine", "pickup": pickup.isoformat(), "due": pickup.isoformat()},
            headers={"Authorization": f"Bearer {t}"},
        )
        for t in tokens
    ]
    bookings = [  # the desk holding the machine for a sewing café that day, by way of an exception
        http.post(
            f"{live_server}/api/v1/bookings",
            json={**an_hour("naehmaschine", 2, 10 + n), "override_reason": "Nähcafé"},
            headers={"Authorization": f"Bearer {staff}"},
        )
        for n in range(8)
    ]
    mixed = [call for pair in zip(loans, bookings, strict=True) for call in pair]

    responses = await asyncio.gather(*mixed)

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)]
    loan_won = sum(1 for r in responses[0::2] if r.status_code == 201)
    bookings_won = sum(1 for r in responses[1::2] if r.status_code == 201)
    # The loan holds the whole day, so either it won and no booking did, or every booking did.
    assert (loan_won, bookings_won) in ((1, 0), (0, 8))
    async with db.read() as session:
        assert (await session.execute(OVERLAPS)).scalar_one() == 0
