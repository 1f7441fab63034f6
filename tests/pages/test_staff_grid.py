"""The desk's day grid and a booking's page at the desk: move, confirm before cancelling, undo check-in."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from library.audit.models import AuditEntry
from library.booking.models import Booking, BookingStatus
from library.catalog.models import ResourceKind, Unit
from library.clock import SettableClock
from library.db import Database
from library.outbox.models import OutboxMessage
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import post_form, sign_in
from tests.support.staff_pages import assert_staff_only, block, book, desk_world, status_of, utc

# The test clock: Tuesday 2026-12-01, 09:00 UTC = 10:00 in Ulm; the desk world is open 10-19 then.


async def test_the_grid_is_for_staff_only(client: Client, db: Database) -> None:
    await desk_world(db)
    await assert_staff_only(client, db, "/staff/desk")


async def test_the_grid_shows_each_unit_with_its_bookings_blocks_and_hours(
    client: Client, db: Database
) -> None:
    world = await desk_world(db)
    ben = await factories.create_user(db, "ben@example.org", name="Ben Beispiel")
    confirmed = await book(db, world.resource, world.visitor, utc(2026, 12, 1, 10), hours=2)
    pending = await book(
        db, world.resource, ben, utc(2026, 12, 1, 13), status=BookingStatus.PENDING, unit_index=1
    )
    await book(db, world.resource, ben, utc(2026, 12, 2, 10))  # tomorrow
    await block(db, world.resource, utc(2026, 12, 1, 15), utc(2026, 12, 1, 16), "Neue Lampe")
    await sign_in(client, "sam@example.org")

    page = await client.get("/staff/desk")

    assert page.status_code == 200
    rows = page.text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 2  # one row per unit, each with its own row header
    assert all('<th scope="row"' in row for row in rows)
    first, second = rows
    assert f'href="/staff/bookings/{confirmed.id}"' in first
    assert "Anna Muster" in first
    assert "Bestätigt" in first
    assert "11:00–13:00" in first  # local time
    assert "Neue Lampe" in first
    assert "status-blocked" in first
    assert f'href="/staff/bookings/{pending.id}"' in second
    assert "Wartet auf Bestätigung" in second
    assert "Ben Beispiel" in second
    # 10:00 to 19:00 is shown, every hour a heading; the day is staffed throughout.
    assert re.findall(r'<th scope="colgroup" colspan="4">(\d\d:\d\d)</th>', page.text)[0] == "10:00"
    assert "band-staffed" in page.text
    assert "band-unstaffed" not in page.text
    # A free hour of the second unit books that unit at that time.
    # (Escaped once in the HTML, so the browser sends plain `&`-separated fields.)
    pattern = (
        r'href="/staff/bookings/new\?resource=lesesaal&amp;unit=\d+&amp;date=2026-12-01'
        r'&amp;start=10:00&amp;end=11:00"'
    )
    assert re.search(pattern, second)


async def test_the_grid_moves_between_days_and_filters(client: Client, db: Database) -> None:
    world = await desk_world(db)
    await factories.create_resource(
        db, world.location, "vr-brille", name="VR-Brille", kind=ResourceKind.DEVICE
    )
    saturday = await book(db, world.resource, world.visitor, utc(2026, 12, 5, 14))
    await sign_in(client, "sam@example.org")

    page = await client.get("/staff/desk?date=2026-12-05")
    rooms = await client.get("/staff/desk?date=2026-12-05&kind=room")
    bad = await client.get("/staff/desk?date=morgen&factor=nonsense")

    assert f"/staff/bookings/{saturday.id}" in page.text
    assert "band-unstaffed" in page.text  # Saturday afternoon is self-service
    assert 'href="/staff/desk?location=zentralbibliothek&amp;date=2026-12-04"' in page.text
    assert 'href="/staff/desk?location=zentralbibliothek&amp;date=2026-12-06"' in page.text
    assert "VR-Brille" in page.text
    assert "VR-Brille" not in rooms.text
    assert bad.status_code == 422
    assert "field-error" in bad.text
    assert "Lesesaal" in bad.text  # today, unfiltered, is still shown


async def test_a_closed_day_says_so(client: Client, db: Database) -> None:
    world = await desk_world(db)
    await factories.add_exception(db, world.location, utc(2026, 12, 2, 0).date(), reason="Inventur")
    await sign_in(client, "sam@example.org")

    page = await client.get("/staff/desk?date=2026-12-02")

    assert "status-closed" in page.text
    assert "Inventur" in page.text
    assert "/staff/bookings/new?" not in page.text  # nothing to book on a closed day


async def test_a_free_cell_opens_the_booking_form_for_that_unit(client: Client, db: Database) -> None:
    world = await desk_world(db)
    await sign_in(client, "sam@example.org")
    async with db.read() as session:
        second_unit = (
            await session.scalars(
                select(Unit.id).where(Unit.resource_id == world.resource.id).order_by(Unit.id)
            )
        ).all()[1]

    form = await client.get(
        f"/staff/bookings/new?resource=lesesaal&unit={second_unit}&date=2026-12-02&start=14:00&end=15:00"
    )
    assert f'name="unit" value="{second_unit}"' in form.text
    assert 'value="2026-12-02"' in form.text
    assert 'value="14:00"' in form.text
    made = await post_form(
        client,
        "/staff/bookings/new",
        {
            "email": "anna@example.org",
            "resource": "lesesaal",
            "unit": str(second_unit),
            "date": "2026-12-02",
            "start": "14:00",
            "end": "15:00",
        },
        form_page="/staff/bookings/new",
    )

    assert made.status_code == 303, made.text
    async with db.read() as session:
        booking = (await session.scalars(select(Booking))).one()
    assert booking.unit_id == second_unit


async def test_cancel_asks_first_and_then_cancels(client: Client, db: Database) -> None:
    world = await desk_world(db)
    booking = await book(db, world.resource, world.visitor, utc(2026, 12, 2, 10))
    await sign_in(client, "sam@example.org")
    back = f"/staff/bookings/{booking.id}"

    asked = await post_form(client, f"/staff/bookings/{booking.id}/cancel", {"back": back}, form_page=back)
    assert asked.status_code == 200
    assert 'name="confirm" value="yes"' in asked.text
    assert "button danger" in asked.text
    assert await status_of(db, booking.id) is BookingStatus.CONFIRMED

    done = await post_form(
        client,
        f"/staff/bookings/{booking.id}/cancel",
        {"back": back, "confirm": "yes", "reason": "Doppelt"},
        form_page=back,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{back}?done=cancelled"
    assert await status_of(db, booking.id) is BookingStatus.CANCELLED


async def test_staff_move_a_booking_from_its_page(client: Client, db: Database) -> None:
    world = await desk_world(db)
    booking = await book(db, world.resource, world.visitor, utc(2026, 12, 2, 10))
    await book(db, world.resource, world.visitor, utc(2026, 12, 2, 12), unit_index=1)
    await sign_in(client, "sam@example.org")
    page = f"/staff/bookings/{booking.id}"
    assert (await client.get(page)).status_code == 200

    no_reason = await post_form(
        client,
        f"{page}/move",
        {"date": "2026-12-02", "start": "13:00", "end": "14:00", "resource": "lesesaal"},
        form_page=page,
    )
    assert no_reason.status_code == 422
    assert 'value="13:00"' in no_reason.text  # nothing typed is lost
    moved = await post_form(
        client,
        f"{page}/move",
        {
            "date": "2026-12-02",
            "start": "13:00",
            "end": "14:00",
            "resource": "lesesaal",
            "reason": "Wunsch der Besucherin",
        },
        form_page=page,
    )

    assert moved.status_code == 303, moved.text
    async with db.read() as session:
        row = await session.get(Booking, booking.id)
        kinds = list(await session.scalars(select(OutboxMessage.kind)))
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert row is not None
    assert row.start_at == utc(2026, 12, 2, 12)
    assert row.unit_id == booking.unit_id  # its own unit was free: kept
    assert kinds == ["booking.moved"]
    assert actions == ["booking.move"]
    # A unit of another resource (here: none such) is refused next to the unit field.
    taken = await post_form(
        client,
        f"{page}/move",
        {
            "date": "2026-12-02",
            "start": "13:00",
            "end": "14:00",
            "resource": "lesesaal",
            "unit": "999999",
            "reason": "x",
        },
        form_page=page,
    )
    assert taken.status_code == 422
    assert 'id="error-unit"' in taken.text


async def test_a_check_in_can_be_undone_from_the_booking_page(
    client: Client, db: Database, clock: SettableClock
) -> None:
    world = await desk_world(db)
    booking = await book(db, world.resource, world.visitor, utc(2026, 12, 1, 9))
    await sign_in(client, "sam@example.org")
    page = f"/staff/bookings/{booking.id}"

    await post_form(client, f"{page}/check-in", {"back": page}, form_page=page)
    shown = await client.get(page)
    assert "/undo-check-in" in shown.text
    clock.advance(timedelta(minutes=5))
    undone = await post_form(client, f"{page}/undo-check-in", {"back": page}, form_page=page)

    assert undone.headers["location"] == f"{page}?done=check_in_undone"
    assert await status_of(db, booking.id) is BookingStatus.CONFIRMED


async def test_english_staff_pages_show_a_units_english_label(client: Client, db: Database) -> None:
    world = await desk_world(db)
    confirmed = await book(db, world.resource, world.visitor, utc(2026, 12, 1, 10), hours=2)
    async with db.write() as session:
        unit = await session.get(Unit, confirmed.unit_id)
        assert unit is not None
        german, unit.label_en = unit.label, "English label 1"
    await sign_in(client, "sam@example.org")
    english = {"Accept-Language": "en"}

    for path in ("/staff/desk", f"/staff/bookings/{confirmed.id}", f"/staff/units/{confirmed.unit_id}"):
        in_english = await client.get(path, headers=english)
        in_german = await client.get(path)
        assert "English label 1" in in_english.text, path
        assert german in in_german.text, path
        if "/units/" not in path:  # the unit's page has both labels in its form
            assert "English label 1" not in in_german.text, path
