"""Staff bookings: searching every booking and booking for a visitor, rules set aside with a reason."""

from __future__ import annotations

from sqlalchemy import select

from library.accounts.models import User
from library.booking.models import Booking, BookingStatus
from library.db import Database
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import post_form, sign_in
from tests.support.staff_pages import assert_staff_only, book, desk_world, utc

# The test clock: Tuesday 2026-12-01, 09:00 UTC = 10:00 in Ulm.
NEW = "/staff/bookings/new"


async def bookings_of(db: Database, email: str) -> list[Booking]:
    async with db.read() as session:
        owner = await session.scalar(select(User.id).where(User.email == email))
        return list(await session.scalars(select(Booking).where(Booking.user_id == owner)))


async def test_the_bookings_pages_are_for_staff_only(client: Client, db: Database) -> None:
    await desk_world(db)
    await assert_staff_only(client, db, "/staff/bookings", NEW)


async def test_staff_search_bookings_by_person_resource_dates_and_status(
    client: Client, db: Database
) -> None:
    world = await desk_world(db)
    bert = await factories.create_user(db, "bert@example.org", name="Bert Beispiel")
    annas = await book(db, world.resource, world.visitor, utc(2026, 12, 2, 9))
    berts = await book(db, world.resource, bert, utc(2026, 12, 5, 9), status=BookingStatus.CANCELLED)
    await sign_in(client, "sam@example.org")

    everything = await client.get("/staff/bookings")
    by_name = await client.get("/staff/bookings?person=beisp")
    by_email = await client.get("/staff/bookings?person=anna%40example.org")
    by_dates = await client.get("/staff/bookings?from=2026-12-04&to=2026-12-06")
    by_status = await client.get("/staff/bookings?status=cancelled&resource=lesesaal")
    english = await client.get("/staff/bookings", headers={"accept-language": "en"})

    assert everything.status_code == 200
    assert "Anna Muster" in everything.text
    assert "Bert Beispiel" in everything.text
    assert "Bert Beispiel" in by_name.text
    assert "Anna Muster" not in by_name.text
    assert "Anna Muster" in by_email.text
    assert "Bert Beispiel" not in by_email.text
    assert f"/staff/bookings/{berts.id}/" not in by_dates.text  # cancelled: nothing to do
    assert "Bert Beispiel" in by_dates.text
    assert "Anna Muster" not in by_dates.text
    assert "Bert Beispiel" in by_status.text
    assert f"/staff/bookings/{annas.id}/cancel" not in by_status.text
    assert "Buchungen" in everything.text
    assert "Book for a visitor" in english.text


async def test_a_bad_search_value_is_explained_next_to_its_field(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")

    response = await client.get("/staff/bookings?from=morgen&status=lost&person=anna&page=x")

    assert response.status_code == 422
    assert 'id="error-from"' in response.text
    assert 'id="error-status"' in response.text
    assert 'value="anna"' in response.text
    assert "TT.MM.JJJJ" in response.text  # how to write a date, in the page language


async def test_search_results_come_in_pages(client: Client, db: Database) -> None:
    world = await desk_world(db)
    for day in range(1, 28):
        await book(db, world.resource, world.visitor, utc(2026, 12, day, 12))
    await sign_in(client, "sam@example.org")

    first = await client.get("/staff/bookings?person=anna")
    second = await client.get("/staff/bookings?person=anna&page=2")

    assert first.text.count('<th scope="row">') == 25
    assert "/staff/bookings?person=anna&amp;page=2" in first.text
    assert second.text.count('<th scope="row">') == 2
    assert "/staff/bookings?person=anna&amp;page=1" in second.text


async def test_staff_book_for_a_visitor_within_the_rules(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")
    form = await client.get(NEW)
    assert form.status_code == 200
    assert 'name="override_reason"' in form.text

    response = await post_form(
        client,
        NEW,
        {
            "email": "Anna@Example.org",
            "resource": "lesesaal",
            "date": "2026-12-02",
            "start": "11:00",
            "end": "12:00",
        },
        form_page=NEW,
    )

    assert response.status_code == 303
    assert (
        response.headers["location"]
        == "/staff/bookings?person=anna%40example.org&from=2026-12-02&done=booked"
    )
    [booking] = await bookings_of(db, "anna@example.org")
    assert booking.start_at == utc(2026, 12, 2, 10)
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.override_reason is None


async def test_a_broken_rule_asks_for_a_reason_and_a_reason_books_anyway(
    client: Client, db: Database
) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")
    far = {
        "email": "anna@example.org",
        "resource": "lesesaal",
        "date": "2027-03-01",
        "start": "11:00",
        "end": "12:00",
    }

    refused = await post_form(client, NEW, far, form_page=NEW)

    assert refused.status_code == 403
    assert 'id="error-override_reason"' in refused.text
    assert 'value="2027-03-01"' in refused.text
    assert await bookings_of(db, "anna@example.org") == []

    booked = await post_form(client, NEW, {**far, "override_reason": "Langzeitprojekt"}, form_page=NEW)

    assert booked.status_code == 303
    [booking] = await bookings_of(db, "anna@example.org")
    assert booking.override_reason == "Langzeitprojekt"


async def test_never_an_overlap_even_with_a_reason(client: Client, db: Database) -> None:
    world = await desk_world(db)
    await book(db, world.resource, world.staff, utc(2026, 12, 2, 10), unit_index=0)
    await book(db, world.resource, world.staff, utc(2026, 12, 2, 10), unit_index=1)
    await sign_in(client, "sam@example.org")

    response = await post_form(
        client,
        NEW,
        {
            "email": "anna@example.org",
            "resource": "lesesaal",
            "date": "2026-12-02",
            "start": "11:00",
            "end": "12:00",
            "override_reason": "Wichtig",
        },
        form_page=NEW,
    )

    assert response.status_code == 409
    assert 'role="alert"' in response.text
    assert await bookings_of(db, "anna@example.org") == []


async def test_the_booking_form_names_each_wrong_field(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")

    missing = await post_form(
        client, NEW, {"email": "", "resource": "", "date": "bald", "start": "", "end": ""}, form_page=NEW
    )
    unknown = await post_form(
        client,
        NEW,
        {
            "email": "nobody@example.org",
            "resource": "lesesaal",
            "date": "2026-12-02",
            "start": "12:00",
            "end": "11:00",
        },
        form_page=NEW,
    )
    stranger = await post_form(
        client,
        NEW,
        {
            "email": "nobody@example.org",
            "resource": "lesesaal",
            "date": "2026-12-02",
            "start": "11:00",
            "end": "12:00",
        },
        form_page=NEW,
    )

    assert missing.status_code == 422
    for name in ("email", "resource", "date", "start", "end"):
        assert f'id="error-{name}"' in missing.text
    assert unknown.status_code == 422
    assert 'id="error-end"' in unknown.text
    assert stranger.status_code == 422
    assert 'id="error-email"' in stranger.text
    assert "Es gibt kein Konto mit dieser E-Mail-Adresse." in stranger.text
    assert 'value="nobody@example.org"' in stranger.text


async def test_an_action_from_the_search_results_comes_back_to_them(client: Client, db: Database) -> None:
    world = await desk_world(db)
    booking = await book(db, world.resource, world.visitor, utc(2026, 12, 2, 9))
    other = await book(db, world.resource, world.visitor, utc(2026, 12, 3, 9))
    await sign_in(client, "sam@example.org")
    results = await client.get("/staff/bookings?person=anna&page=1&done=booked")
    assert 'name="back" value="/staff/bookings?person=anna&amp;page=1&amp;done=booked"' in results.text

    response = await post_form(
        client,
        f"/staff/bookings/{booking.id}/cancel",
        {"back": "/staff/bookings?person=anna&page=1&done=booked", "reason": "Doppelt", "confirm": "yes"},
        form_page="/staff/bookings",
    )
    away = await post_form(
        client,
        f"/staff/bookings/{other.id}/cancel",
        {"back": "//evil.example/", "confirm": "yes"},
        form_page="/staff/bookings",
    )

    assert response.headers["location"] == "/staff/bookings?person=anna&page=1&done=cancelled"
    assert away.headers["location"] == "/?done=cancelled"


async def test_a_time_the_clocks_skip_is_refused_next_to_its_field(client: Client, db: Database) -> None:
    await desk_world(db)
    await sign_in(client, "sam@example.org")
    form = {
        "email": "anna@example.org",
        "resource": "lesesaal",
        "date": "2027-03-28",
        "start": "01:00",
        "end": "02:30",
        "override_reason": "Lange Nacht",
    }

    refused = await post_form(client, NEW, form, form_page=NEW)

    assert refused.status_code == 422
    assert 'id="error-end"' in refused.text
    assert 'id="error-start"' not in refused.text
    assert await bookings_of(db, "anna@example.org") == []
