"""Blocking a unit on its page says what happens to the bookings in that time (`resolve`)."""

from __future__ import annotations

from sqlalchemy import select

from library.booking.models import Booking, BookingStatus
from library.catalog.models import Unit
from library.db import Database
from tests.support.api import Client
from tests.support.forms import post_form, sign_in
from tests.support.staff_pages import book, desk_world, utc


async def test_a_block_from_the_unit_page_moves_the_booking_to_the_free_unit(
    client: Client, db: Database
) -> None:
    world = await desk_world(db)
    booking = await book(db, world.resource, world.visitor, utc(2026, 12, 2, 10))
    await sign_in(client, "sam@example.org")
    page = f"/staff/units/{booking.unit_id}"
    shown = await client.get(page)
    assert 'name="resolve"' in shown.text

    bad = await post_form(
        client,
        f"{page}/blocks",
        {"start": "2026-12-02T10:00", "end": "2026-12-02T13:00", "reason": "Lampe", "resolve": "drop"},
        form_page=page,
    )
    done = await post_form(
        client,
        f"{page}/blocks",
        {"start": "2026-12-02T10:00", "end": "2026-12-02T13:00", "reason": "Lampe", "resolve": "move"},
        form_page=page,
    )

    assert bad.status_code == 422
    assert 'id="error-resolve"' in bad.text
    assert done.headers["location"] == f"{page}?done=blocked_move"
    async with db.read() as session:
        row = await session.get(Booking, booking.id)
        units = (
            await session.scalars(
                select(Unit.id).where(Unit.resource_id == world.resource.id).order_by(Unit.id)
            )
        ).all()
    assert row is not None
    assert row.status is BookingStatus.CONFIRMED
    assert row.unit_id == units[1]
