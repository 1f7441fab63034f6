"""Workshops at the desk on the staff pages: edit a workshop and a session, copy a workshop to new
dates, and a closure's "move the session" that leads to a working, pre-filled move form."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from library.booking.models import Booking, BookingStatus
from library.booking.service import NewBooking, create_booking
from library.catalog.models import Location, ResourceKind
from library.clock import SettableClock
from library.db import Database
from library.outbox.models import OutboxMessage
from library.workshops.models import Workshop, WorkshopSession
from tests.pages.test_staff_workshops import at, library_with_a_workshop, sign_up
from tests.support import factories
from tests.support.api import Client
from tests.support.closures import booked_day
from tests.support.forms import post_form, sign_in, submit_form
from tests.support.times import WEDNESDAY

NEXT_FRIDAY = date(2026, 12, 11)


async def with_two_rooms(db: Database, clock: SettableClock) -> dict[str, Any]:
    """The laser-cutter induction (one Friday session, 2 places) and a second room, the Lernwerkstatt."""
    facts = await library_with_a_workshop(db, clock)
    async with db.read() as session:
        location = await session.scalar(select(Location))
    assert location is not None
    await factories.create_resource(
        db, location, "lernwerkstatt", name="Lernwerkstatt", kind=ResourceKind.ROOM
    )
    return facts


async def kinds(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))


async def test_staff_edit_a_workshop_from_a_prefilled_form(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await with_two_rooms(db, clock)
    await sign_in(client, "staff@example.org")
    overview = await client.get("/staff/workshops")
    assert 'href="/staff/workshops/laser-induction/edit"' in overview.text
    page = await client.get("/staff/workshops/laser-induction/edit")
    assert page.status_code == 200
    assert 'value="Laser cutter induction"' in page.text
    assert '<option value="laser-cutter" selected' in page.text
    assert 'name="slug"' not in page.text  # the address stays
    english = await client.get("/staff/workshops/laser-induction/edit", headers={"accept-language": "en"})
    assert "Save the workshop" in english.text
    form = {
        "title": "Einweisung Lasercutter (neu)",
        "title_en": "",
        "description": "Sicher schneiden, mit Brille.",
        "description_en": "",
        "factor": "technology",
        "host": "Stadtbibliothek Ulm",
        "language": "de",
        "min_age": "14",
        "max_age": "",
        "grants": "laser-cutter",
        "requires": "",
        "offer_hours": "",
    }
    refused = await post_form(
        client,
        "/staff/workshops/laser-induction/edit",
        {**form, "min_age": "30", "max_age": "20"},
        form_page="/staff/workshops",
    )
    assert refused.status_code == 422
    assert "Das Höchstalter darf nicht unter dem Mindestalter liegen." in refused.text
    assert 'value="Einweisung Lasercutter (neu)"' in refused.text  # what was typed stays
    shown = await submit_form(
        client, "/staff/workshops/laser-induction/edit", form, form_page="/staff/workshops"
    )
    assert "Der Workshop wurde gespeichert." in shown.text
    assert "Einweisung Lasercutter (neu)" in shown.text
    async with db.read() as session:
        workshop = await session.scalar(select(Workshop).where(Workshop.slug == "laser-induction"))
    assert workshop is not None
    assert (workshop.title_en, workshop.min_age, workshop.factor.value) == (None, 14, "technology")


async def test_staff_change_a_sessions_room_and_places(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await with_two_rooms(db, clock)
    await sign_up(db, clock, facts["session"].id, facts["visitors"][:2])  # both places taken
    await sign_in(client, "staff@example.org")
    page = f"/staff/workshops/sessions/{facts['session'].id}"
    shown = await client.get(page)
    assert f'action="{page}/edit"' in shown.text
    assert '<option value="makerspace" selected' in shown.text
    assert 'name="capacity" type="number"\n         value="2"' in shown.text
    fewer = await post_form(
        client,
        f"{page}/edit",
        {"room": "makerspace", "capacity": "1", "attendance_mode": "in_person", "stream_url": ""},
        form_page=page,
    )
    assert fewer.status_code == 409
    assert "Es sind schon 2 Plätze vergeben" in fewer.text
    moved = await submit_form(
        client,
        f"{page}/edit",
        {
            "room": "lernwerkstatt",
            "capacity": "3",
            "attendance_mode": "in_person",
            "stream_url": "",
            "change_reason": "Wasserschaden",
        },
        form_page=page,
    )
    assert "Der Termin wurde gespeichert" in moved.text
    assert "Lernwerkstatt" in moved.text
    async with db.read() as session:
        workshop_session = await session.get(WorkshopSession, facts["session"].id)
        assert workshop_session is not None
        old = await session.scalar(
            select(Booking).where(Booking.purpose == "workshop", Booking.status == BookingStatus.CANCELLED)
        )
    assert workshop_session.capacity == 3
    assert old is not None  # the makerspace is free again
    assert (await kinds(db)).count("workshop_session.moved") == 2  # both participants told


async def test_staff_copy_a_workshop_and_a_refused_room_is_named_at_its_session(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await with_two_rooms(db, clock)
    visitor = facts["visitors"][0]
    await create_booking(
        db,
        NewBooking(resource_slug="makerspace", start=at(NEXT_FRIDAY, 14), end=at(NEXT_FRIDAY, 15)),
        booker=visitor,
        actor=visitor,
        now=clock.now(),
    )
    await sign_in(client, "staff@example.org")
    page = "/staff/workshops/laser-induction/copy"
    shown = await client.get(page)
    assert shown.status_code == 200
    day_field = f"day-{facts['session'].id}"
    assert f'name="{day_field}"' in shown.text
    refused = await post_form(
        client, page, {"first_day": NEXT_FRIDAY.isoformat(), "slug": "", day_field: ""}, form_page=page
    )
    assert refused.status_code == 409
    assert "Nichts wurde kopiert" in refused.text
    assert f'id="error-{day_field}"' in refused.text
    assert "Der Raum ist zu dieser Zeit schon gebucht." in refused.text
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Workshop)) == 1
    copied = await submit_form(
        client,
        page,
        {"first_day": NEXT_FRIDAY.isoformat(), "slug": "laser-thursday", day_field: "2026-12-10"},
        form_page=page,
        lands_on="/staff/workshops?done=workshop_copied",
    )
    assert "Der Workshop wurde kopiert" in copied.text
    async with db.read() as session:
        copy = await session.scalar(select(Workshop).where(Workshop.slug == "laser-thursday"))
        assert copy is not None
        starts = list(
            await session.scalars(
                select(WorkshopSession.start_at).where(WorkshopSession.workshop_id == copy.id)
            )
        )
    assert starts == [at(date(2026, 12, 10), 14)]


async def test_a_closures_move_the_session_leads_to_a_prefilled_move_that_works(
    client: Client, db: Database
) -> None:
    day = await booked_day(client, db)
    await sign_in(client, "staff@example.org")
    impact = await post_form(
        client,
        "/staff/hours/zentralbibliothek/exceptions",
        {
            "date_from": WEDNESDAY.isoformat(),
            "date_to": "",
            "kind": "closed",
            "reason": "Wasserschaden",
            "loc-zentralbibliothek": "on",
        },
        form_page="/staff/hours",
    )
    assert impact.status_code == 200, impact.text
    page = f"/staff/workshops/sessions/{day['session']['id']}"
    assert f'href="{page}#move"' in impact.text
    session_page = await client.get(page)
    assert 'id="move"' in session_page.text
    assert 'name="day" type="date"\n         value="2026-12-02"' in session_page.text
    assert 'value="14:00"' in session_page.text
    moved = await submit_form(
        client,
        f"{page}/move",
        {"day": "2026-12-03", "start": "14:00", "end": "16:00", "move_reason": "Wasserschaden"},
        form_page=page,
    )
    assert "Der Termin wurde verschoben" in moved.text
    again = await post_form(
        client,
        "/staff/hours/zentralbibliothek/exceptions",
        {
            "date_from": WEDNESDAY.isoformat(),
            "date_to": "",
            "kind": "closed",
            "reason": "Wasserschaden",
            "loc-zentralbibliothek": "on",
        },
        form_page="/staff/hours",
    )
    assert page not in again.text  # the moved session is no longer touched
    assert "workshop_session.moved" in await kinds(db)
