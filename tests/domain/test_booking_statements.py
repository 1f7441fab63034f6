"""A booking costs a few statements, and the catalogue cached for it is never stale.

Statements are counted as the driver sees them, without SQLite's `BEGIN`
(tests.support.statements).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from library.accounts.models import Role, User
from library.audit.models import AuditEntry
from library.booking.intervals import Interval
from library.booking.service import (
    NewBooking,
    RuleBroken,
    SlotTaken,
    cancel_booking,
    check_in,
    create_booking,
    find_alternatives,
)
from library.catalog.models import Policy, Resource
from library.db import Database
from library.errors import NotAllowed
from library.outbox.models import OutboxMessage
from tests.support.api import setup_library
from tests.support.factories import add_exception, create_user
from tests.support.statements import statements_on
from tests.support.times import TEST_NOW, THURSDAY, WEDNESDAY, utc


def room(start: datetime, end: datetime, slug: str = "gruppenraum-1") -> NewBooking:
    return NewBooking(resource_slug=slug, start=start, end=end)


async def book(db: Database, request: NewBooking, person: User) -> None:
    await create_booking(db, request, booker=person, actor=person, now=TEST_NOW)


async def test_a_confirmed_booking_costs_three_statements_or_five(db: Database) -> None:
    """The counter, what decides the booking, and the booking with its audit entry and its mail:
    one data-modifying WITH on PostgreSQL, three INSERTs on SQLite (the last two sent with the
    COMMIT)."""
    library = await setup_library(db)
    visitor = library["visitor"]
    await book(db, room(utc(WEDNESDAY, 10), utc(WEDNESDAY, 11)), visitor)  # the catalogue is read once

    with statements_on(db) as sent:
        booked = await create_booking(
            db, room(utc(WEDNESDAY, 14), utc(WEDNESDAY, 16)), booker=visitor, actor=visitor, now=TEST_NOW
        )

    assert booked.booking.status == "confirmed"
    assert booked.unit_label == "gruppenraum-1-1"
    assert len(sent) == (5 if db.is_sqlite else 3), "\n".join(sent)
    async with db.read() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.object_id == str(booked.booking.id)))
        mail = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    assert entry is not None
    assert (entry.action, entry.actor_id, entry.object_type) == ("booking.create", visitor.id, "booking")
    assert entry.before is None
    assert entry.after is not None
    assert entry.after["status"] == "confirmed"
    assert mail is not None
    assert (mail.kind, mail.user_id, mail.recipient) == ("booking.confirmed", visitor.id, visitor.email)
    assert (mail.payload, mail.status, mail.attempts) == ({"booking_id": booked.booking.id}, "queued", 0)


async def test_a_taken_slot_finds_its_alternatives_in_two_more_statements(db: Database) -> None:
    library = await setup_library(db)
    other = await create_user(db, "other@example.org")
    wanted = Interval(utc(WEDNESDAY, 14), utc(WEDNESDAY, 16))
    await book(db, room(wanted.start, wanted.end), other)

    with pytest.raises(SlotTaken):
        await book(db, room(wanted.start, wanted.end), library["visitor"])
    with statements_on(db) as sent:
        alternatives = await find_alternatives(
            db, booker=library["visitor"], resource_slug="gruppenraum-1", wanted=wanted, now=TEST_NOW
        )

    assert ("gruppenraum-2", wanted) in {(a.resource_slug, a.interval) for a in alternatives}
    assert 0 < len(sent) <= 2, "\n".join(sent)


async def test_a_change_through_one_process_holds_for_the_next_booking_in_another(database_url: str) -> None:
    """Two processes on one database, each with its own cached catalogue."""
    first, second = Database(database_url), Database(database_url)
    try:
        library = await setup_library(first)
        visitor = library["visitor"]
        await book(first, room(utc(WEDNESDAY, 10), utc(WEDNESDAY, 11)), visitor)
        await book(second, room(utc(WEDNESDAY, 11), utc(WEDNESDAY, 12)), visitor)

        async with first.write() as session:  # a policy: at most an hour
            session.add(Policy(resource_id=library["room"].id, max_minutes=60))
        with pytest.raises(RuleBroken) as too_long:
            await book(second, room(utc(WEDNESDAY, 14), utc(WEDNESDAY, 16)), visitor)
        assert too_long.value.refusal.code == "too_long"

        await add_exception(first, library["location"], THURSDAY, closed=True)  # dated hours
        with pytest.raises(RuleBroken) as closed:
            await book(second, room(utc(THURSDAY, 14), utc(THURSDAY, 15)), visitor)
        assert closed.value.refusal.code == "closed"

        async with first.write() as session:  # the resource
            await session.execute(
                update(Resource).where(Resource.slug == "gruppenraum-1").values(active=False)
            )
        with pytest.raises(RuleBroken) as gone:
            await book(second, room(utc(WEDNESDAY, 14), utc(WEDNESDAY, 15)), visitor)
        assert gone.value.refusal.code == "resource_unavailable"
    finally:
        await first.dispose()
        await second.dispose()


AVAILABILITY = f"/api/v1/resources/gruppenraum-1/availability?from={WEDNESDAY}&to={THURSDAY}"
DAY = f"/api/v1/locations/zentralbibliothek/day?date={WEDNESDAY}"


def free_on(answer: dict[str, Any], day: str) -> list[tuple[str, str]]:
    (found,) = [d for d in answer["days"] if d["date"] == day]
    return [(f["start"], f["end"]) for f in found["free"]]


async def test_availability_and_the_day_overview_answer_in_two_statements(db: Database, client: Any) -> None:
    """The catalogue's counter and the occupations; the catalogue itself comes from memory."""
    await setup_library(db)
    app_db = client.app.state.db
    assert (await client.get(AVAILABILITY)).status_code == 200  # the catalogue is read once

    with statements_on(app_db) as availability:
        answer = await client.get(AVAILABILITY)
    with statements_on(app_db) as day_overview:
        day = await client.get(DAY)

    assert answer.status_code == 200
    assert answer.json()["days"][0]["free"], answer.text
    assert len(availability) == 2, "\n".join(availability)
    assert day.status_code == 200
    assert "gruppenraum-1" in {r["slug"] for r in day.json()["resources"]}
    assert len(day_overview) == 2, "\n".join(day_overview)


async def test_availability_from_the_cached_catalogue_is_never_stale(db: Database, client: Any) -> None:
    """Bookings, policies, dated hours and resources changed through another process show at once."""
    library = await setup_library(db)
    wednesday = str(WEDNESDAY)
    assert (await client.get(DAY)).status_code == 200  # both answers cached their catalogue
    first = (await client.get(AVAILABILITY)).json()
    assert free_on(first, wednesday)[0][0].startswith(f"{wednesday}T10:00")

    await book(db, room(utc(WEDNESDAY, 10), utc(WEDNESDAY, 11)), library["visitor"])
    assert free_on((await client.get(AVAILABILITY)).json(), wednesday)[0][0].startswith(f"{wednesday}T11:00")

    async with db.write() as session:  # a policy: hour slots
        session.add(Policy(resource_id=library["room"].id, slot_minutes=60))
    assert (await client.get(AVAILABILITY)).json()["slot_minutes"] == 60

    await add_exception(db, library["location"], WEDNESDAY, closed=True)
    assert free_on((await client.get(AVAILABILITY)).json(), wednesday) == []

    async with db.write() as session:
        await session.execute(update(Resource).where(Resource.slug == "gruppenraum-1").values(active=False))
    day = (await client.get(f"/api/v1/locations/zentralbibliothek/day?date={THURSDAY}")).json()
    assert "gruppenraum-1" not in {r["slug"] for r in day["resources"]}
    assert "gruppenraum-2" in {r["slug"] for r in day["resources"]}


RULE_TABLES = re.compile(r"\b(locations|policies|opening_periods|opening_exceptions|exception_periods)\b")


async def test_cancel_and_check_in_take_their_rules_from_the_catalogue_never_stale(database_url: str) -> None:
    """They read the catalogue's counter, not the rule tables, and see a rule another process changed."""
    first, second = Database(database_url), Database(database_url)
    try:
        library = await setup_library(first)
        visitor = library["visitor"]
        staff = await create_user(first, "desk@example.org", role=Role.STAFF)
        ids = [
            (await create_booking(second, request, booker=visitor, actor=visitor, now=TEST_NOW)).booking.id
            for request in (
                room(utc(WEDNESDAY, 10), utc(WEDNESDAY, 11)),
                room(utc(WEDNESDAY, 11), utc(WEDNESDAY, 12)),
                room(utc(WEDNESDAY, 12), utc(WEDNESDAY, 13)),
            )
        ]

        with statements_on(second) as sent:
            cancelled = await cancel_booking(second, ids[0], actor=visitor, now=TEST_NOW, reason=None)
            checked_in = await check_in(second, ids[2], actor=staff, now=utc(WEDNESDAY, 12))
        assert (cancelled.status, checked_in.status) == ("cancelled", "checked_in")
        assert sent
        assert not [s for s in sent if RULE_TABLES.search(s)], "\n".join(sent)

        async with first.write() as session:  # cancelling now ends two days ahead
            session.add(Policy(resource_id=library["room"].id, cancel_until_minutes=48 * 60))
        with pytest.raises(NotAllowed):
            await cancel_booking(second, ids[1], actor=visitor, now=TEST_NOW, reason=None)
    finally:
        await first.dispose()
        await second.dispose()
