"""Privacy of loans, holds and defect reports: the person's export lists them, retention takes the
person off them (holds that ended go), the usage meters and statistics count the same after it,
and an account with a thing still at home cannot be deleted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from library.accounts.models import User
from library.audit.models import AuditEntry
from library.booking.models import Hold, HoldStatus, Loan
from library.catalog.models import Unit, UnitReport
from library.clock import SettableClock
from library.db import Database
from library.privacy import anonymise_expired
from library.stats.usage import usage_of
from tests.api.test_loans import lending_library, reserve, staff_post
from tests.support.api import Client
from tests.support.factories import DEFAULT_PASSWORD, assert_problem, bearer, get_token
from tests.support.forms import post_form, sign_in
from tests.support.times import FRIDAY, THURSDAY, WEDNESDAY, at, utc

STATISTICS = (
    "utilisation?from=2026-12-01&to=2026-12-31&group_by=resource",
    "people?from=2026-12-01&to=2026-12-31&group_by=factor",
)


async def hold_on_the_room(client: Client, token: str) -> dict[str, Any]:
    body = {"resource": "gruppenraum", "from": at(FRIDAY, 14), "to": at(FRIDAY, 15)}
    response = await client.post("/api/v1/holds", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def report_on(client: Client, token: str, unit_id: int, text: str) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/units/{unit_id}/reports", json={"severity": "notice", "text": text}, headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_the_export_lists_the_persons_loans_holds_and_reports_and_nobody_elses(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await lending_library(db, units=2)
    anna, ben = await get_token(client), await get_token(client, "ben@example.org")
    loan = await reserve(client, anna)
    await reserve(client, ben)
    clock.set(utc(WEDNESDAY, 11))
    out = await staff_post(client, f"/api/v1/loans/{loan['id']}/checkout", {})
    assert out.status_code == 200, out.text
    clock.set(utc(THURSDAY, 10))
    back = await staff_post(
        client, f"/api/v1/loans/{loan['id']}/return", {"condition": "worn", "missing_parts": ["Tasche"]}
    )
    assert back.status_code == 200, back.text
    await hold_on_the_room(client, ben)  # first in the queue: Anna is second
    hold = await hold_on_the_room(client, anna)
    await report_on(client, anna, loan["unit"]["id"], "Der Akku hält nicht lange.")
    await report_on(client, ben, loan["unit"]["id"], "Bens Bericht")

    response = await client.get("/api/v1/me/export", headers=bearer(anna))

    assert response.status_code == 200, response.text
    export = response.json()
    [lent] = export["loans"]
    assert lent["id"] == loan["id"]
    assert (lent["resource"], lent["unit"]) == ("kamera", loan["unit"]["label"])
    assert (lent["pickup"], lent["due"]) == (loan["pickup"], loan["due"])
    assert (lent["status"], lent["renewals"]) == ("returned", 0)
    assert (lent["condition"], lent["missing_parts"]) == ("worn", ["Tasche"])
    assert lent["checked_out_at"] is not None
    assert lent["returned_at"] is not None
    [waiting] = export["holds"]
    assert (waiting["id"], waiting["resource"], waiting["status"]) == (hold["id"], "gruppenraum", "waiting")
    assert waiting["position"] == 2
    assert waiting["offer_until"] is None
    assert waiting["window_start"] is not None
    [reported] = export["defect_reports"]
    assert (reported["text"], reported["severity"], reported["unit"]) == (
        "Der Akku hält nicht lange.",
        "notice",
        loan["unit"]["label"],
    )
    assert "Bens Bericht" not in response.text
    assert "ben@example.org" not in response.text


async def test_after_retention_loans_holds_and_reports_forget_the_person_and_meters_count_the_same(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await lending_library(db, units=2)
    anna = await get_token(client)
    back, out = await reserve(client, anna), await reserve(client, anna)
    clock.set(utc(WEDNESDAY, 11))
    for loan in (back, out):
        assert (await staff_post(client, f"/api/v1/loans/{loan['id']}/checkout", {})).status_code == 200
    clock.set(utc(THURSDAY, 10))
    returned = await staff_post(client, f"/api/v1/loans/{back['id']}/return", {"condition": "good"})
    assert returned.status_code == 200, returned.text
    ended = await hold_on_the_room(client, anna)
    cancelled = await client.post(f"/api/v1/holds/{ended['id']}/cancel", headers=bearer(anna))
    assert cancelled.status_code == 200, cancelled.text
    report = await report_on(client, anna, back["unit"]["id"], "Der Gurt ist eingerissen.")
    unit_ids = [back["unit"]["id"], out["unit"]["id"]]
    async with db.read() as session:
        meters = await usage_of(session, unit_ids, clock.now())
        anna_id = await session.scalar(select(User.id).where(User.email == "anna@example.org"))
    staff = bearer(await get_token(client, "staff@example.org"))
    figures = [(await client.get(f"/api/v1/stats/{path}", headers=staff)).json() for path in STATISTICS]

    later = clock.now() + timedelta(days=120)
    async with db.write() as session:
        first = await anonymise_expired(session, later, 90)
    async with db.write() as session:
        second = await anonymise_expired(session, later, 90)

    assert (first.loans, first.holds, first.reports) == (1, 1, 1)
    assert second.total == 0
    async with db.read() as session:
        loans = {loan.id: loan for loan in await session.scalars(select(Loan))}
        assert loans[back["id"]].user_id is None
        assert loans[out["id"]].user_id == anna_id  # still out: the desk must know who has it
        assert await session.scalar(select(func.count()).select_from(Hold)) == 0
        kept = await session.get(UnitReport, report["id"])
        assert kept is not None
        assert (kept.text, kept.reported_by_id) == ("Der Gurt ist eingerissen.", None)
        actors = set(
            await session.scalars(
                select(AuditEntry.actor_id).where(AuditEntry.action.in_(("unit.report", "hold.create")))
            )
        )
        assert actors == {None}
        assert await usage_of(session, unit_ids, clock.now()) == meters
    assert [
        (await client.get(f"/api/v1/stats/{path}", headers=staff)).json() for path in STATISTICS
    ] == figures


async def test_an_open_hold_and_a_recent_report_keep_their_person(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await lending_library(db)
    anna = await get_token(client)
    await hold_on_the_room(client, anna)
    async with db.read() as session:
        unit_id = await session.scalar(select(Unit.id).order_by(Unit.id).limit(1))
    assert unit_id is not None
    await report_on(client, anna, unit_id, "Klemmt.")

    async with db.write() as session:
        anonymised = await anonymise_expired(session, clock.now() + timedelta(days=30), 90)

    assert (anonymised.holds, anonymised.reports) == (0, 0)
    async with db.read() as session:
        assert [h.status for h in await session.scalars(select(Hold))] == [HoldStatus.WAITING]
        assert await session.scalar(select(UnitReport.reported_by_id)) is not None


async def test_an_account_with_a_thing_at_home_cannot_be_deleted_until_it_is_back(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await lending_library(db, units=2)
    anna = await get_token(client)
    out, ahead = await reserve(client, anna), await reserve(client, anna)
    hold = await hold_on_the_room(client, anna)
    clock.set(utc(WEDNESDAY, 11))
    assert (await staff_post(client, f"/api/v1/loans/{out['id']}/checkout", {})).status_code == 200
    body = {"password": DEFAULT_PASSWORD}

    refused = await client.request("DELETE", "/api/v1/me", json=body, headers=bearer(anna))

    assert_problem(refused, 409, "still_on_loan")
    staff = bearer(await get_token(client, "staff@example.org"))
    # Nothing happened: the reservation and the hold stand, the person can still sign in.
    assert (await client.get(f"/api/v1/loans/{ahead['id']}", headers=staff)).json()["status"] == "reserved"
    assert (await client.get("/api/v1/me", headers=bearer(anna))).status_code == 200

    clock.set(utc(THURSDAY, 10))
    returned = await staff_post(client, f"/api/v1/loans/{out['id']}/return", {"condition": "good"})
    assert returned.status_code == 200, returned.text
    deleted = await client.request("DELETE", "/api/v1/me", json=body, headers=bearer(anna))

    assert deleted.status_code == 204, deleted.text
    assert (await client.get(f"/api/v1/loans/{ahead['id']}", headers=staff)).json()["status"] == "cancelled"
    async with db.read() as session:
        ended = await session.get(Hold, hold["id"])
        assert ended is not None
        assert ended.status is HoldStatus.CANCELLED


async def test_the_account_page_says_why_it_cannot_delete_while_a_thing_is_on_loan(
    db: Database, client: Client, clock: SettableClock
) -> None:
    await lending_library(db)
    loan = await reserve(client, await get_token(client))
    clock.set(utc(WEDNESDAY, 11))
    assert (await staff_post(client, f"/api/v1/loans/{loan['id']}/checkout", {})).status_code == 200
    await sign_in(client, "anna@example.org")

    refused = await post_form(
        client, "/account/delete", {"password": DEFAULT_PASSWORD}, form_page="/account/delete"
    )

    assert refused.status_code == 409
    assert "Sie haben noch etwas aus der Bibliothek ausgeliehen." in refused.text
    assert (await client.get("/account")).status_code == 200  # still there
