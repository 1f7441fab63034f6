"""Today at the desk: what staff see at a location and the one-click actions on bookings."""

from __future__ import annotations

from library.booking.models import BookingStatus
from library.db import Database
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import post_form, sign_in, submit_form
from tests.support.staff_pages import assert_staff_only, block, book, desk_world, status_of, utc

# The test clock: Tuesday 2026-12-01, 09:00 UTC = 10:00 in Ulm.


async def test_the_desk_is_for_staff_only(client: Client, db: Database) -> None:
    await desk_world(db)
    await assert_staff_only(client, db, "/staff")
    await sign_in(client, "sam@example.org")
    assert (await client.get("/staff")).status_code == 200


async def test_the_desk_shows_todays_arrivals_due_check_ins_approvals_no_shows_and_blocks(
    client: Client, db: Database
) -> None:
    world = await desk_world(db)
    bert = await factories.create_user(db, "bert@example.org", name="Bert Beispiel")
    now_due = await book(db, world.resource, world.visitor, utc(2026, 12, 1, 9), note="Bringt Laptop")
    later = await book(db, world.resource, bert, utc(2026, 12, 1, 13), unit_index=1)
    tomorrow = await book(db, world.resource, bert, utc(2026, 12, 2, 9))
    waiting = await book(db, world.resource, bert, utc(2026, 12, 3, 9), status=BookingStatus.PENDING)
    await book(db, world.resource, world.visitor, utc(2026, 12, 1, 7), status=BookingStatus.NO_SHOW)
    await block(db, world.resource, utc(2026, 11, 30, 8), utc(2026, 12, 1, 12), "Neue Lampe")
    await sign_in(client, "sam@example.org")

    page = await client.get("/staff")

    assert page.status_code == 200
    text = page.text
    due = text.split('id="due-now"')[1].split("</section>")[0]
    arrivals = text.split('id="arrivals"')[1].split("</section>")[0]
    pending = text.split('id="pending"')[1].split("</section>")[0]
    no_shows = text.split('id="no-shows"')[1].split("</section>")[0]
    blocked = text.split('id="blocked"')[1].split("</section>")[0]
    assert "Anna Muster" in due
    assert "Bert Beispiel" not in due
    assert f"/staff/bookings/{now_due.id}/check-in" in due
    assert "Bringt Laptop" in due
    # Arrivals in time order; tomorrow's booking is not today's.
    assert arrivals.index(f"/staff/bookings/{now_due.id}/") < arrivals.index(f"/staff/bookings/{later.id}/")
    assert f"/staff/bookings/{tomorrow.id}/" not in text
    assert f"/staff/bookings/{waiting.id}/approve" in pending
    assert f"/staff/bookings/{waiting.id}/reject" in pending
    assert "Anna Muster" in no_shows
    assert "Nichtantritt" in no_shows
    assert "Neue Lampe" in blocked
    assert "lesesaal-1" in blocked
    assert "Heute am Empfang" in text
    english = await client.get("/staff", headers={"accept-language": "en"})
    assert "Check-ins due now" in english.text
    assert "Reading room" in english.text


async def test_staff_check_in_from_the_desk_and_come_back_with_a_notice(client: Client, db: Database) -> None:
    world = await desk_world(db)
    booking = await book(db, world.resource, world.visitor, utc(2026, 12, 1, 13))
    await sign_in(client, "sam@example.org")

    back = await submit_form(
        client,
        f"/staff/bookings/{booking.id}/check-in",
        {"back": "/staff?location=zentralbibliothek"},
        form_page="/staff",
        lands_on="/staff?location=zentralbibliothek&done=checked_in",
    )

    assert await status_of(db, booking.id) is BookingStatus.CHECKED_IN
    assert "Die Buchung wurde eingecheckt." in back.text


async def test_staff_approve_reject_with_a_reason_and_cancel(client: Client, db: Database) -> None:
    world = await desk_world(db)
    first = await book(db, world.resource, world.visitor, utc(2026, 12, 3, 9), status=BookingStatus.PENDING)
    second = await book(db, world.resource, world.visitor, utc(2026, 12, 4, 9), status=BookingStatus.PENDING)
    third = await book(db, world.resource, world.visitor, utc(2026, 12, 1, 14))
    await sign_in(client, "sam@example.org")

    approved = await post_form(client, f"/staff/bookings/{first.id}/approve", {}, form_page="/staff")
    rejected = await post_form(
        client,
        f"/staff/bookings/{second.id}/reject",
        {"reason": "Raum wird renoviert", "confirm": "yes"},
        form_page="/staff",
    )
    cancelled = await post_form(
        client, f"/staff/bookings/{third.id}/cancel", {"reason": "", "confirm": "yes"}, form_page="/staff"
    )

    assert approved.headers["location"] == "/staff?done=approved"
    assert rejected.headers["location"] == "/staff?done=rejected"
    assert cancelled.headers["location"] == "/staff?done=cancelled"
    assert await status_of(db, first.id) is BookingStatus.CONFIRMED
    assert await status_of(db, second.id) is BookingStatus.REJECTED
    assert await status_of(db, third.id) is BookingStatus.CANCELLED
    # Approving twice is refused with the domain's sentence on the desk page, not an error page.
    again = await post_form(client, f"/staff/bookings/{first.id}/approve", {}, form_page="/staff")
    assert again.status_code == 409
    assert "Heute am Empfang" in again.text
    assert 'role="alert"' in again.text


async def test_a_visitor_cannot_use_the_desk_actions(client: Client, db: Database) -> None:
    world = await desk_world(db)
    booking = await book(db, world.resource, world.visitor, utc(2026, 12, 1, 13))
    await sign_in(client, "anna@example.org")

    response = await post_form(client, f"/staff/bookings/{booking.id}/check-in", {}, form_page="/login")

    assert response.status_code == 403
    assert await status_of(db, booking.id) is BookingStatus.CONFIRMED


async def test_the_desk_shows_another_location_when_chosen(client: Client, db: Database) -> None:
    world = await desk_world(db)
    branch = await factories.create_location(
        db, slug="weststadt", name="Stadtteilbibliothek Weststadt", name_en=None, position=1
    )
    room = await factories.create_resource(db, branch, "weststadt-raum", name="Gruppenraum West")
    await book(db, room, world.visitor, utc(2026, 12, 1, 12))
    await sign_in(client, "sam@example.org")

    central = await client.get("/staff")
    west = await client.get("/staff?location=weststadt")

    assert "Gruppenraum West" not in central.text
    assert "Gruppenraum West" in west.text
    assert '<option value="weststadt" selected>' in west.text


async def test_an_unknown_desk_action_is_a_404_page(client: Client, db: Database) -> None:
    world = await desk_world(db)
    booking = await book(db, world.resource, world.visitor, utc(2026, 12, 1, 13))
    await sign_in(client, "sam@example.org")

    response = await post_form(client, f"/staff/bookings/{booking.id}/teleport", {}, form_page="/staff")

    assert response.status_code == 404
    assert await status_of(db, booking.id) is BookingStatus.CONFIRMED


async def test_the_desk_links_the_door_screen_with_setup_hints(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")

    text = (await client.get("/staff", headers={"accept-language": "en"})).text
    screens = text.split('id="screens-title"')[1].split("</section>")[0]
    here = "zentralbibliothek"  # the factories' location
    assert f'href="/display/{here}"' in screens
    assert f"http://127.0.0.1:8000/display/{here}?refresh=on" in screens
    assert "full screen" in screens
    assert (await client.get(f"/display/{here}")).status_code == 200
