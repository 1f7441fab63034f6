"""Every state a booking or registration goes through is in the audit log, with who, before and after.

The check is an invariant over a lifecycle that touches each transition: for every booking and
registration, the audit trail starts with its creation, each entry begins in the status the one
before it ended in, and the last shows the status the row has now. A transition that forgot to
write the audit log breaks that chain.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import select

from library.audit.models import AuditEntry
from library.booking.models import Booking
from library.catalog.models import ResourceKind
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.scheduler import run_jobs_once
from library.workshops.models import Registration
from tests.support.api import Client, book, new_session, new_workshop, setup_library
from tests.support.factories import bearer, create_resource, get_token
from tests.support.times import FRIDAY, WEDNESDAY, at


async def lifecycle(db: Database, client: Client, clock: SettableClock, settings: Settings) -> None:
    library = await setup_library(db)
    await create_resource(db, library["location"], "makerspace", kind=ResourceKind.ROOM)
    anna, ben = await get_token(client), await get_token(client, "ben@example.org")
    staff_token = await get_token(client, "staff@example.org")
    staff = bearer(staff_token)

    approved = (await book(client, anna, "veranstaltungsforum", at(WEDNESDAY, 14), at(WEDNESDAY, 16))).json()
    await client.post(f"/api/v1/bookings/{approved['id']}/approve", headers=staff)
    refused = (await book(client, anna, "veranstaltungsforum", at(FRIDAY, 10), at(FRIDAY, 12))).json()
    await client.post(f"/api/v1/bookings/{refused['id']}/reject", json={"reason": "Lesung"}, headers=staff)
    cancelled = (await book(client, anna, "gruppenraum-2", at(FRIDAY, 10), at(FRIDAY, 11))).json()
    await client.post(f"/api/v1/bookings/{cancelled['id']}/cancel", headers=bearer(anna))
    by_staff = (await book(client, anna, "gruppenraum-2", at(FRIDAY, 12), at(FRIDAY, 13))).json()
    await client.post(f"/api/v1/bookings/{by_staff['id']}/cancel", json={"reason": "defekt"}, headers=staff)
    checked = (await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 11), at(WEDNESDAY, 12))).json()
    missed = (await book(client, anna, "gruppenraum-1", at(WEDNESDAY, 14), at(WEDNESDAY, 15))).json()

    workshop = await new_workshop(client, staff["Authorization"].removeprefix("Bearer "))
    session = (
        await new_session(
            client, staff["Authorization"].removeprefix("Bearer "), workshop["slug"], capacity=1
        )
    ).json()
    first = await client.post(
        f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(anna)
    )
    second = await client.post(
        f"/api/v1/workshop-sessions/{session['id']}/registrations", headers=bearer(ben)
    )
    assert second.json()["status"] == "waitlisted", second.text
    await client.post(f"/api/v1/registrations/{first.json()['id']}/cancel", headers=bearer(anna))

    clock.set(datetime(2026, 12, 2, 9, 55, tzinfo=UTC))  # Wednesday 10:55 in Ulm
    assert (await client.post(f"/api/v1/bookings/{checked['id']}/check-in", headers=bearer(anna))).is_success
    clock.set(datetime(2026, 12, 2, 13, 20, tzinfo=UTC))  # 14:20: the 14:00 booking was missed
    ran = await run_jobs_once(db, clock, settings)
    assert ran["release_no_shows"] >= 1
    assert ran["complete_bookings"] >= 1  # the 11:00 booking, checked in, is over
    assert missed["status"] == "confirmed"
    clock.set(datetime(2026, 12, 4, 15, 0, tzinfo=UTC))  # Friday after the session
    marked = await client.post(
        f"/api/v1/workshop-sessions/{session['id']}/attendance",
        json={"registration_ids": [second.json()["id"]]},
        headers=staff,
    )
    assert marked.status_code == 200, marked.text


async def test_each_booking_and_registration_has_an_unbroken_audit_trail(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await lifecycle(db, client, clock, settings)
    async with db.read() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        bookings = list(await session.scalars(select(Booking)))
        registrations = list(await session.scalars(select(Registration)))
    trails: dict[tuple[str, str], list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        trails[(entry.object_type, entry.object_id)].append(entry)

    statuses_seen: set[str] = set()
    rows: list[tuple[str, Any]] = [("booking", b) for b in bookings] + [
        ("registration", r) for r in registrations
    ]
    for kind, row in rows:
        trail = trails[(kind, str(row.id))]
        assert trail, f"{kind} {row.id} has no audit entry"
        assert trail[0].before is None, f"{kind} {row.id}: the trail starts with its creation"
        last = trail[-1].after
        assert last is not None, f"{kind} {row.id}: {trail[-1].action} has no after"
        assert last["status"] == row.status.value, f"{kind} {row.id} is {row.status.value}, audit saw {last}"
        for previous, entry in pairwise(trail):
            assert entry.before is not None, f"{kind} {row.id}: {entry.action} has no before"
            assert entry.after is not None, f"{kind} {row.id}: {entry.action} has no after"
            # Each entry starts where the one before it ended: no change slipped past the log.
            assert previous.after is not None
            assert entry.before.get("status") == previous.after.get("status"), (
                f"{kind} {row.id}: {entry.action} starts at {entry.before} after {previous.after}"
            )
        statuses_seen.update(f"{kind}:{entry.after['status']}" for entry in trail if entry.after)
    # The lifecycle really went through every state the test means to cover.
    assert {
        "booking:pending",
        "booking:confirmed",
        "booking:rejected",
        "booking:cancelled",
        "booking:checked_in",
        "booking:completed",
        "booking:no_show",
        "registration:confirmed",
        "registration:waitlisted",
        "registration:cancelled",
        "registration:attended",
    } <= statuses_seen


async def test_staff_actions_name_the_staff_member_and_the_reason(
    db: Database, client: Client, clock: SettableClock, settings: Settings
) -> None:
    await lifecycle(db, client, clock, settings)
    async with db.read() as session:
        entries = list(await session.scalars(select(AuditEntry).where(AuditEntry.reason.is_not(None))))
    reasons = {entry.reason: entry for entry in entries}
    assert {"Lesung", "defekt"} <= reasons.keys()
    assert all(reasons[reason].actor_id is not None for reason in ("Lesung", "defekt"))
