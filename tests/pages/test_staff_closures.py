"""A closure on the hours page first shows what it touches, then staff choose what happens to
bookings and sessions; it can be entered once for several locations; the list shows years."""

from __future__ import annotations

from sqlalchemy import select

from library.booking.models import Booking, BookingStatus
from library.catalog.models import OpeningException
from library.db import Database
from library.outbox.models import OutboxMessage
from library.workshops.models import WorkshopSession
from tests.support.api import Client
from tests.support.closures import booked_day
from tests.support.forms import post_form, sign_in
from tests.support.times import WEDNESDAY

HOURS = "/staff/hours"
EXCEPTIONS = "/staff/hours/zentralbibliothek/exceptions"
CLOSURE = {"date_from": WEDNESDAY.isoformat(), "date_to": "", "kind": "closed", "reason": "Wasserschaden"}


async def closures(db: Database) -> list[OpeningException]:
    async with db.read() as session:
        return list(await session.scalars(select(OpeningException).order_by(OpeningException.id)))


async def test_a_closure_shows_what_it_touches_before_anything_is_entered(
    client: Client, db: Database
) -> None:
    await booked_day(client, db)
    await sign_in(client, "staff@example.org")

    page = await post_form(client, EXCEPTIONS, {**CLOSURE, "loc-zentralbibliothek": "on"}, form_page=HOURS)

    assert page.status_code == 200, page.text
    assert "Was die Schließung betrifft" in page.text
    assert "Anna Muster" in page.text  # the booking's person
    assert "Einweisung Lasercutter" in page.text  # the session, with its participant
    assert 'name="step" value="apply"' in page.text
    assert await closures(db) == []


async def test_staff_cancel_bookings_and_sessions_for_several_locations_at_once(
    client: Client, db: Database
) -> None:
    day = await booked_day(client, db)
    await sign_in(client, "staff@example.org")

    done = await post_form(
        client,
        EXCEPTIONS,
        {
            **CLOSURE,
            "loc-zentralbibliothek": "on",
            "loc-weststadt": "on",
            "step": "apply",
            "resolve": "cancel",
            "sessions": "cancel",
        },
        form_page=HOURS,
    )

    assert done.status_code == 303, done.text
    assert len(await closures(db)) == 2
    async with db.read() as session:
        booking = await session.get(Booking, day["booking"]["id"])
        workshop_session = await session.get(WorkshopSession, day["session"]["id"])
        kinds = set(await session.scalars(select(OutboxMessage.kind)))
    assert booking is not None
    assert booking.status is BookingStatus.CANCELLED
    assert workshop_session is not None
    assert workshop_session.cancelled_at is not None
    assert {"booking.cancelled", "workshop_session.cancelled"} <= kinds


async def test_keeping_is_the_default_and_the_list_shows_years(client: Client, db: Database) -> None:
    day = await booked_day(client, db)
    await sign_in(client, "staff@example.org")

    done = await post_form(
        client, EXCEPTIONS, {**CLOSURE, "loc-zentralbibliothek": "on", "step": "apply"}, form_page=HOURS
    )
    listed = await client.get(HOURS, params={"location": "zentralbibliothek"})

    assert done.status_code == 303, done.text
    async with db.read() as session:
        booking = await session.get(Booking, day["booking"]["id"])
    assert booking is not None
    assert booking.status is BookingStatus.CONFIRMED
    assert "Mi., 2. Dez. 2026" in listed.text


async def test_a_closure_that_touches_nothing_is_entered_at_once(client: Client, db: Database) -> None:
    await booked_day(client, db)
    await sign_in(client, "staff@example.org")

    done = await post_form(
        client, EXCEPTIONS, {**CLOSURE, "date_from": "2027-01-06", "loc-weststadt": "on"}, form_page=HOURS
    )

    assert done.status_code == 303, done.text
    [only] = await closures(db)
    assert only.date_from.year == 2027
