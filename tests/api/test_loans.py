"""Loans through the API (API.md, "Loans, holds and defects"): a visitor reserves a thing for a
pickup day, staff hand it out with its checklist and take it back, an early return frees the
unit at once, renewals are refused for the house rule or for someone holding the thing next,
and `overdue` lists what is out past its due day. On both engines."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from library.accounts.models import Role
from library.booking.models import Loan
from library.catalog.models import Factor, Location, ResourceKind
from library.clock import SettableClock
from library.db import Database
from library.privacy import anonymise_expired
from tests.support.api import Client
from tests.support.factories import (
    DEFAULT_PASSWORD,
    assert_problem,
    bearer,
    create_location,
    create_resource,
    create_user,
    get_token,
)
from tests.support.times import FRIDAY, THURSDAY, WEDNESDAY, utc

SUNDAY = date(2026, 12, 6)


async def lending_library(
    db: Database, *, units: int = 1, policy: dict[str, int | None] | None = None
) -> Location:
    location = await create_location(db)
    await create_resource(
        db,
        location,
        "kamera",
        name="Kamera-Set",
        kind=ResourceKind.LOAN,
        factor=Factor.TECHNOLOGY,
        units=units,
        loan_parts=["Akku", "Ladegerät", "Tasche"],
        policy={"loan_days": 7, "max_renewals": 1, **(policy or {})},
    )
    await create_resource(db, location, "gruppenraum", name="Gruppenraum")
    await create_user(db, "anna@example.org", birth_date=date(1990, 5, 1))
    await create_user(db, "ben@example.org", name="Ben", birth_date=date(1991, 3, 1))
    await create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    return location


async def reserve(client: Client, token: str, status: int = 201, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/loans", json={"resource": "kamera", "pickup": str(WEDNESDAY), **body}, headers=bearer(token)
    )
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def staff_post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    staff = await get_token(client, "staff@example.org")
    return await client.post(path, json=body, headers=bearer(staff))


async def test_a_visitor_reserves_for_pickup_and_the_due_day_follows_the_house_rules(
    db: Database, client: Client
) -> None:
    await lending_library(db)
    loan = await reserve(client, await get_token(client))

    assert loan["status"] == "reserved"
    assert loan["pickup"] == str(WEDNESDAY)
    assert loan["due"] == str(WEDNESDAY + timedelta(days=7))  # loan_days 7, an open Wednesday
    assert loan["unit"]["label"] == "kamera-1"
    assert loan["renewals"] == 0


async def test_dates_are_checked_against_the_house_rules(db: Database, client: Client) -> None:
    await lending_library(db)
    token = await get_token(client)

    too_long = await client.post(
        "/api/v1/loans",
        json={"resource": "kamera", "pickup": str(WEDNESDAY), "due": str(WEDNESDAY + timedelta(days=9))},
        headers=bearer(token),
    )
    assert_problem(too_long, 403, "loan_too_long")
    closed = await client.post(
        "/api/v1/loans", json={"resource": "kamera", "pickup": str(SUNDAY)}, headers=bearer(token)
    )
    assert_problem(closed, 403, "pickup_closed")
    past = await client.post(
        "/api/v1/loans", json={"resource": "kamera", "pickup": "2026-11-30"}, headers=bearer(token)
    )
    assert_problem(past, 403, "pickup_in_past")
    far = await client.post(
        "/api/v1/loans",
        json={"resource": "kamera", "pickup": "9999-12-31", "due": "9999-12-31"},
        headers=bearer(token),
    )
    assert_problem(far, 403, "beyond_horizon")
    room = await client.post(
        "/api/v1/loans", json={"resource": "gruppenraum", "pickup": str(WEDNESDAY)}, headers=bearer(token)
    )
    assert_problem(room, 403, "not_for_loan")


async def test_the_last_unit_cannot_be_reserved_twice(db: Database, client: Client) -> None:
    await lending_library(db)
    await reserve(client, await get_token(client))

    taken = await client.post(
        "/api/v1/loans",
        json={"resource": "kamera", "pickup": str(THURSDAY)},
        headers=bearer(await get_token(client, "ben@example.org")),
    )

    assert_problem(taken, 409, "slot_taken")


async def test_checkout_ticks_the_checklist_and_may_switch_the_unit(db: Database, client: Client) -> None:
    await lending_library(db, units=2)
    loan = await reserve(client, await get_token(client))
    other_unit = loan["unit"]["id"] + 1
    checklist = [
        {"item": "Akku", "ok": True},
        {"item": "Ladegerät", "ok": True},
        {"item": "Tasche", "ok": False},
    ]

    response = await staff_post(
        client, f"/api/v1/loans/{loan['id']}/checkout", {"unit": other_unit, "checklist": checklist}
    )

    assert response.status_code == 200, response.text
    out = response.json()
    assert out["status"] == "on_loan"
    assert out["unit"]["id"] == other_unit
    assert out["checklist"] == checklist
    assert out["pickup"] == "2026-12-01"  # handed out on Tuesday, before the pickup day: starts today
    again = await staff_post(client, f"/api/v1/loans/{loan['id']}/checkout", {})
    assert_problem(again, 409, "invalid_state")


async def test_checkout_refuses_a_part_the_thing_does_not_have(db: Database, client: Client) -> None:
    await lending_library(db)
    loan = await reserve(client, await get_token(client))

    response = await staff_post(
        client, f"/api/v1/loans/{loan['id']}/checkout", {"checklist": [{"item": "Stativ", "ok": True}]}
    )

    assert_problem(response, 422, "unknown_part")


async def test_checkout_to_a_unit_someone_else_holds_is_slot_taken(db: Database, client: Client) -> None:
    await lending_library(db, units=2)
    mine = await reserve(client, await get_token(client))
    theirs = await reserve(client, await get_token(client, "ben@example.org"))
    assert mine["unit"]["id"] != theirs["unit"]["id"]

    response = await staff_post(
        client, f"/api/v1/loans/{mine['id']}/checkout", {"unit": theirs["unit"]["id"]}
    )

    assert_problem(response, 409, "slot_taken")


async def test_an_early_return_frees_the_unit_at_once(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await lending_library(db)
    loan = await reserve(client, await get_token(client))
    clock.set(utc(WEDNESDAY, 11))
    assert (await staff_post(client, f"/api/v1/loans/{loan['id']}/checkout", {})).status_code == 200
    ben = await get_token(client, "ben@example.org")
    await reserve(client, ben, status=409, pickup=str(THURSDAY))

    clock.set(utc(THURSDAY, 10))
    returned = await staff_post(
        client, f"/api/v1/loans/{loan['id']}/return", {"condition": "worn", "missing_parts": ["Tasche"]}
    )

    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert returned.json()["missing_parts"] == ["Tasche"]
    assert returned.json()["condition"] == "worn"
    again = await reserve(client, ben, pickup=str(THURSDAY))
    assert again["unit"]["id"] == loan["unit"]["id"]


async def test_a_return_needs_a_condition_of_a_unit(db: Database, client: Client) -> None:
    await lending_library(db)
    loan = await reserve(client, await get_token(client))
    await staff_post(client, f"/api/v1/loans/{loan['id']}/checkout", {})

    response = await staff_post(client, f"/api/v1/loans/{loan['id']}/return", {"condition": "broken"})

    assert response.status_code == 400 or response.status_code == 422, response.text


async def test_renewal_extends_the_due_day_up_to_max_renewals(db: Database, client: Client) -> None:
    await lending_library(db)
    token = await get_token(client)
    loan = await reserve(client, token)
    await staff_post(client, f"/api/v1/loans/{loan['id']}/checkout", {})

    renewed = await client.post(f"/api/v1/loans/{loan['id']}/renew", headers=bearer(token))
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["due"] == str(WEDNESDAY + timedelta(days=14))
    assert renewed.json()["renewals"] == 1

    refused = await client.post(f"/api/v1/loans/{loan['id']}/renew", headers=bearer(token))
    body = assert_problem(refused, 409, "renewal_refused")
    assert body["reason"] == "max_renewals"


async def test_renewal_is_refused_when_someone_holds_the_thing_next(db: Database, client: Client) -> None:
    await lending_library(db)
    token = await get_token(client)
    loan = await reserve(client, token)
    await staff_post(client, f"/api/v1/loans/{loan['id']}/checkout", {})
    await reserve(
        client, await get_token(client, "ben@example.org"), pickup=str(WEDNESDAY + timedelta(days=9))
    )

    refused = await client.post(f"/api/v1/loans/{loan['id']}/renew", headers=bearer(token))

    body = assert_problem(refused, 409, "renewal_refused")
    assert body["reason"] == "held_by_others"


async def test_overdue_lists_loans_out_past_their_due_day(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await lending_library(db, units=2)
    token = await get_token(client)
    late = await reserve(client, token)
    await reserve(client, token, pickup=str(FRIDAY))
    await staff_post(client, f"/api/v1/loans/{late['id']}/checkout", {})
    staff = bearer(await get_token(client, "staff@example.org"))

    clock.set(utc(WEDNESDAY + timedelta(days=9), 10))
    overdue = (await client.get("/api/v1/loans?status=overdue", headers=staff)).json()["items"]
    reserved = (await client.get("/api/v1/loans?status=reserved", headers=staff)).json()["items"]

    assert [(item["id"], item["overdue_days"]) for item in overdue] == [(late["id"], 2)]
    assert len(reserved) == 1


async def test_visitors_see_their_own_loans_only_and_cannot_hand_out(db: Database, client: Client) -> None:
    await lending_library(db, units=2)
    anna, ben = await get_token(client), await get_token(client, "ben@example.org")
    loan = await reserve(client, anna)
    await reserve(client, ben)

    mine = (await client.get("/api/v1/loans", headers=bearer(anna))).json()["items"]
    assert [item["id"] for item in mine] == [loan["id"]]
    assert (await client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(ben))).status_code == 404
    assert (await client.post(f"/api/v1/loans/{loan['id']}/renew", headers=bearer(ben))).status_code == 404
    checkout = await client.post(f"/api/v1/loans/{loan['id']}/checkout", json={}, headers=bearer(anna))
    assert checkout.status_code == 403


async def test_a_reservation_is_cancelled_and_its_booking_row_left_alone(
    db: Database, client: Client
) -> None:
    await lending_library(db)
    token = await get_token(client)
    loan = await reserve(client, token)
    async with db.read() as session:
        row_id = await session.scalar(select(Loan.booking_id).where(Loan.id == loan["id"]))
    cancel_row = await client.post(f"/api/v1/bookings/{row_id}/cancel", headers=bearer(token))
    assert_problem(cancel_row, 409, "invalid_state")

    cancelled = await client.post(f"/api/v1/loans/{loan['id']}/cancel", headers=bearer(token))

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    await reserve(client, await get_token(client, "ben@example.org"))


async def test_deleting_the_account_gives_up_its_reservations(db: Database, client: Client) -> None:
    await lending_library(db)
    token = await get_token(client)
    loan = await reserve(client, token)

    deleted = await client.request(
        "DELETE", "/api/v1/me", json={"password": DEFAULT_PASSWORD}, headers=bearer(token)
    )

    assert deleted.status_code in (200, 204), deleted.text
    staff = bearer(await get_token(client, "staff@example.org"))
    out = (await client.get(f"/api/v1/loans/{loan['id']}", headers=staff)).json()
    assert out["status"] == "cancelled"
    await reserve(client, await get_token(client, "ben@example.org"))


async def test_a_returned_loan_forgets_its_borrower_after_the_retention_period(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await lending_library(db, units=2)
    token = await get_token(client)
    back = await reserve(client, token)
    out = await reserve(client, token)
    for loan in (back, out):
        await staff_post(client, f"/api/v1/loans/{loan['id']}/checkout", {})
    await staff_post(client, f"/api/v1/loans/{back['id']}/return", {"condition": "good"})
    later = clock.now() + timedelta(days=120)

    async with db.write() as session:
        await anonymise_expired(session, later, 90)

    async with db.read() as session:
        loans = {loan.id: loan for loan in await session.scalars(select(Loan))}
    assert loans[back["id"]].user_id is None
    assert loans[out["id"]].user_id is not None  # still out: the desk must know who has it


async def test_a_loan_is_listed_as_a_loan_not_as_a_booking(db: Database, client: Client) -> None:
    """The loan's booking row holds the unit; the person's bookings and private calendar show
    bookings only (a loan is under /loans), while the thing's public feed shows it busy."""
    await lending_library(db)
    anna = await get_token(client)
    loan = await reserve(client, anna)

    mine = (await client.get("/api/v1/bookings", headers=bearer(anna))).json()
    assert mine["items"] == []
    listed = (await client.get("/api/v1/loans", headers=bearer(anna))).json()
    assert [item["id"] for item in listed["items"]] == [loan["id"]]
    staff = await get_token(client, "staff@example.org")
    everything = (await client.get("/api/v1/bookings", headers=bearer(staff))).json()
    assert everything["items"] == []

    feed_url = (await client.post("/api/v1/me/calendar-token", headers=bearer(anna))).json()["url"]
    private = await client.get("/calendar/users/" + feed_url.rsplit("/", 1)[1])
    assert private.status_code == 200
    assert "BEGIN:VEVENT" not in private.text
    public = await client.get("/calendar/resources/kamera.ics")
    assert public.status_code == 200
    assert "BEGIN:VEVENT" in public.text
