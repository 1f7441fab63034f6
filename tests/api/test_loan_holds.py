"""Holds on things lent for days (API.md, "Loans, holds and defects"): a person waits for a thing
in a window of days; an early return or a cancelled reservation offers it to the first person
waiting for the loan's days, exclusively for a day at most (never past the pickup day), and
accepting reserves the loan. A block that moves or cancels withdraws the offers on its unit and
passes them on. On both engines."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from library.audit.models import AuditEntry
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.notify.mail import Sender, build_message
from library.outbox.models import OutboxMessage
from library.scheduler import run_jobs_once
from tests.api.test_holds import holds_of
from tests.api.test_loans import lending_library, reserve, staff_post
from tests.support.api import Client
from tests.support.factories import assert_problem, bearer, create_user, get_token
from tests.support.mail import text_of
from tests.support.times import SATURDAY, THURSDAY, WEDNESDAY, at, utc

DAY = 24 * 60


async def wait_for_thing(
    client: Client, token: str, first: date, last: date, status: int = 201, **fields: Any
) -> dict[str, Any]:
    """Wait for the camera for a loan within the local days `first` to `last`."""
    body = {"resource": "kamera", "from": at(first, 0), "to": at(last + timedelta(days=1), 0), **fields}
    response = await client.post("/api/v1/holds", json=body, headers=bearer(token))
    assert response.status_code == status, response.text
    return dict(response.json())


async def test_an_early_return_offers_the_thing_for_the_loans_days_and_accepting_reserves_it(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await lending_library(db)
    anna, ben = await get_token(client), await get_token(client, "ben@example.org")
    loan = await reserve(client, anna)
    clock.set(utc(WEDNESDAY, 11))
    assert (await staff_post(client, f"/api/v1/loans/{loan['id']}/checkout", {})).status_code == 200

    hold = await wait_for_thing(client, ben, THURSDAY, THURSDAY + timedelta(days=4), minutes=2 * DAY)
    assert (hold["status"], hold["position"], hold["minutes"]) == ("waiting", 1, 2 * DAY)

    clock.set(utc(THURSDAY, 10))
    returned = await staff_post(client, f"/api/v1/loans/{loan['id']}/return", {"condition": "good"})
    assert returned.status_code == 200, returned.text

    (offered,) = await holds_of(client, ben)
    assert offered["status"] == "offered"
    # The loan's days from the first pickup day: Thursday to Saturday, two days after it.
    assert (offered["offer"]["start"], offered["offer"]["end"]) == (
        at(THURSDAY, 0),
        at(SATURDAY + timedelta(days=1), 0),
    )
    assert offered["offer_until"] == at(THURSDAY + timedelta(days=1), 0)  # a day, but not past the pickup day
    # The offer holds the unit: nobody else can reserve it for those days meanwhile.
    assert_problem(
        await client.post(
            "/api/v1/loans", json={"resource": "kamera", "pickup": str(THURSDAY)}, headers=bearer(anna)
        ),
        409,
        "slot_taken",
    )

    # The mail names the days to pick it up and bring it back, not a midnight-to-midnight slot.
    async with db.write() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "hold.offered"))
        assert row is not None
        sender = Sender("Bibliothek", "noreply@127.0.0.1")
        german = await build_message(session, row, base_url="http://127.0.0.1:8000", sender=sender)
        row.language = "en"
        english = await build_message(session, row, base_url="http://127.0.0.1:8000", sender=sender)
    assert german["Subject"].startswith("Ein Ding ist für Sie frei: ")
    assert "ab Donnerstag, 3. Dezember 2026" in german["Subject"]
    assert english["Subject"].endswith("from Thursday, 3 December 2026")
    assert "pick it up on Thursday, 3 December 2026 and bring it back by Saturday, 5 December 2026" in (
        " ".join(text_of(english).split())
    )
    assert "When: Thursday, 3 December 2026 – Saturday, 5 December 2026\n" in text_of(english)

    accepted = await client.post(f"/api/v1/holds/{hold['id']}/accept", headers=bearer(ben))
    assert accepted.status_code == 201, accepted.text
    lent = accepted.json()
    assert (lent["status"], lent["pickup"], lent["due"]) == ("reserved", str(THURSDAY), str(SATURDAY))
    (done,) = await holds_of(client, ben)
    assert done["status"] == "booked"
    mine = (await client.get("/api/v1/loans", headers=bearer(ben))).json()["items"]
    assert [(m["id"], m["status"]) for m in mine] == [(lent["id"], "reserved")]
    assert (await client.get("/api/v1/bookings", headers=bearer(ben))).json()["items"] == []


async def test_a_cancelled_reservation_is_offered_and_a_lapsed_offer_passes_on(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await lending_library(db)
    await create_user(db, "carla@example.org", name="Carla")
    anna, ben = await get_token(client), await get_token(client, "ben@example.org")
    carla = await get_token(client, "carla@example.org")
    loan = await reserve(client, anna)
    first = await wait_for_thing(client, ben, WEDNESDAY, WEDNESDAY + timedelta(days=9))
    assert first["minutes"] == 7 * DAY  # loan_days by default
    second = await wait_for_thing(client, carla, WEDNESDAY, WEDNESDAY + timedelta(days=9))
    assert second["position"] == 2

    cancelled = await client.post(f"/api/v1/loans/{loan['id']}/cancel", headers=bearer(anna))
    assert cancelled.status_code == 200, cancelled.text

    (offered,) = await holds_of(client, ben)
    assert offered["status"] == "offered"
    assert offered["offer"]["start"] == at(WEDNESDAY, 0)
    assert offered["offer_until"] == at(WEDNESDAY, 10)  # the clock's Tuesday 10:00 and a day
    assert (await holds_of(client, carla))[0]["position"] == 1

    clock.set(utc(WEDNESDAY, 10, 1))
    assert (await run_jobs_once(db, clock, settings))["offer_held_slots"] == 2  # a lapse and an offer
    assert (await holds_of(client, ben))[0]["status"] == "lapsed"
    (passed,) = await holds_of(client, carla)
    assert passed["status"] == "offered"
    assert passed["offer"]["start"] == at(WEDNESDAY, 0)  # today is still a pickup day
    accepted = await client.post(f"/api/v1/holds/{second['id']}/accept", headers=bearer(carla))
    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["pickup"], accepted.json()["due"]) == (
        str(WEDNESDAY),
        str(WEDNESDAY + timedelta(days=7)),
    )


async def test_bad_loan_holds_are_refused_next_to_their_field(db: Database, client: Client) -> None:
    await lending_library(db)
    anna = await get_token(client)

    async def refused(status: int, code: str, **fields: Any) -> dict[str, Any]:
        body = {
            "resource": "kamera",
            "from": at(WEDNESDAY, 0),
            "to": at(WEDNESDAY + timedelta(days=10), 0),
            **fields,
        }
        problem = assert_problem(
            await client.post("/api/v1/holds", json=body, headers=bearer(anna)), status, code
        )
        return problem

    await refused(422, "hold_whole_days", minutes=90)
    await refused(422, "loan_too_long", minutes=8 * DAY)
    short = await refused(422, "hold_window_too_few_days", to=at(WEDNESDAY + timedelta(days=3), 0))
    assert [error["field"] for error in short["errors"]] == ["to"]
    await wait_for_thing(client, anna, WEDNESDAY, WEDNESDAY + timedelta(days=2), minutes=2 * DAY)


async def test_a_block_that_moves_withdraws_the_offer_on_its_unit_and_passes_it_on(
    db: Database, client: Client
) -> None:
    await lending_library(db, units=2)
    await create_user(db, "carla@example.org", name="Carla")
    anna, ben = await get_token(client), await get_token(client, "ben@example.org")
    carla = await get_token(client, "carla@example.org")
    first, second = await reserve(client, anna), await reserve(client, ben)
    hold = await wait_for_thing(client, carla, WEDNESDAY, WEDNESDAY + timedelta(days=8))
    await client.post(f"/api/v1/loans/{first['id']}/cancel", headers=bearer(anna))
    (offered,) = await holds_of(client, carla)
    assert (offered["status"], offered["offer"]["unit"]) == ("offered", first["unit"]["label"])
    await client.post(f"/api/v1/loans/{second['id']}/cancel", headers=bearer(ben))

    blocked = await staff_post(
        client,
        f"/api/v1/units/{first['unit']['id']}/blocks",
        {"start": at(WEDNESDAY, 0), "end": at(THURSDAY, 0), "reason": "Akku defekt", "resolve": "move"},
    )
    assert blocked.status_code == 201, blocked.text

    (again,) = await holds_of(client, carla)
    assert (again["status"], again["offer"]["unit"]) == ("offered", second["unit"]["label"])
    async with db.read() as session:
        actions = list(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("hold.%")))
        )
    assert actions.count("hold.withdraw") == 1
    accepted = await client.post(f"/api/v1/holds/{hold['id']}/accept", headers=bearer(carla))
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["unit"]["id"] == second["unit"]["id"]
