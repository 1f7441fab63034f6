"""My bookings: upcoming and past in words, cancelling and checking in by the domain's rules, calendar files.

The clock stands at Tuesday 2026-12-01 09:00 UTC, 10:00 in Ulm.
"""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from library.booking.models import Booking, BookingStatus
from library.catalog.models import ResourceKind, Unit
from library.clock import SettableClock
from library.db import Database
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import post_form, sign_in

ENGLISH = {"accept-language": "en"}


async def booked(client: Client, db: Database, start: str, end: str, slug: str = "gruppenraum-1") -> int:
    """A booking of Anna's through the API; returns its id."""
    token = await factories.get_token(client, "anna@example.org")
    response = await client.post(
        "/api/v1/bookings",
        json={"resource": slug, "start": start, "end": end, "note": "Lerngruppe"},
        headers=factories.bearer(token),
    )
    assert response.status_code == 201, response.text
    booking_id: int = response.json()["id"]
    return booking_id


async def library(db: Database) -> None:
    central = await factories.create_location(db)
    await factories.create_resource(
        db, central, "gruppenraum-1", name="Gruppenraum 1", name_en="Group room 1"
    )
    await factories.create_user(db)


async def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: Database) -> None:
    response = await client.get("/my/bookings", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fmy%2Fbookings"


async def test_upcoming_and_past_bookings_with_their_status_in_words(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await library(db)
    first = await booked(client, db, "2026-12-01T14:00:00+01:00", "2026-12-01T15:00:00+01:00")
    await booked(client, db, "2026-12-02T14:00:00+01:00", "2026-12-02T15:00:00+01:00")
    await sign_in(client, "anna@example.org")

    page = await client.get("/my/bookings", headers=ENGLISH)
    assert page.status_code == 200
    assert page.text.count("Group room 1") >= 2
    assert "Lerngruppe" in page.text
    assert "confirmed" in page.text
    assert f'href="/my/bookings/{first}.ics"' in page.text
    assert 'href="/my/workshops"' in page.text
    assert "You have no upcoming bookings." not in page.text
    clock.set(clock.now() + timedelta(days=2))
    await sign_in(client, "anna@example.org")  # the session of two days ago has ended
    later = await client.get("/my/bookings", headers=ENGLISH)
    assert "You have no upcoming bookings." in later.text
    assert f'id="booking-{first}"' in later.text  # now among the past ones
    german = await client.get("/my/bookings")
    assert "Gruppenraum 1" in german.text


async def test_someone_else_sees_none_of_them(client: Client, db: Database) -> None:
    await library(db)
    booking_id = await booked(client, db, "2026-12-02T14:00:00+01:00", "2026-12-02T15:00:00+01:00")
    await factories.create_user(db, "ben@example.org", name="Ben")
    await sign_in(client, "ben@example.org")

    page = await client.get("/my/bookings", headers=ENGLISH)
    assert "Group room 1" not in page.text
    download = await client.get(f"/my/bookings/{booking_id}.ics")
    assert download.status_code == 404
    cancel = await post_form(client, f"/my/bookings/{booking_id}/cancel", {}, form_page="/my/bookings")
    assert cancel.status_code == 404
    async with db.read() as session:
        booking = await session.get(Booking, booking_id)
    assert booking is not None
    assert booking.status is BookingStatus.CONFIRMED


async def test_cancelling_in_time_and_too_late(client: Client, db: Database, clock: SettableClock) -> None:
    await library(db)
    soon = await booked(client, db, "2026-12-01T10:30:00+01:00", "2026-12-01T11:30:00+01:00")
    later = await booked(client, db, "2026-12-02T14:00:00+01:00", "2026-12-02T15:00:00+01:00")
    await sign_in(client, "anna@example.org")

    done = await post_form(client, f"/my/bookings/{later}/cancel", {}, form_page="/my/bookings")
    assert done.status_code == 303
    assert done.headers["location"] == "/my/bookings?done=cancelled"
    shown = await client.get(done.headers["location"], headers=ENGLISH)
    assert "The booking is cancelled." in shown.text
    # Within an hour of the start the domain says no, next to that booking.
    too_late = await post_form(client, f"/my/bookings/{soon}/cancel", {}, form_page="/my/bookings")
    assert too_late.status_code == 403
    assert f'id="error-booking-{soon}">Stornieren ist nur bis 60 Minuten vor Beginn möglich' in too_late.text
    async with db.read() as session:
        statuses = {row.id: row.status for row in await session.execute(select(Booking.id, Booking.status))}
    assert statuses == {soon: BookingStatus.CONFIRMED, later: BookingStatus.CANCELLED}


async def test_check_in_only_in_its_window(client: Client, db: Database, clock: SettableClock) -> None:
    await library(db)
    booking_id = await booked(client, db, "2026-12-01T11:00:00+01:00", "2026-12-01T12:00:00+01:00")
    await sign_in(client, "anna@example.org")

    early = await client.get("/my/bookings", headers=ENGLISH)
    assert f'action="/my/bookings/{booking_id}/check-in"' not in early.text
    assert "Check in from 10:45" in early.text
    refused = await post_form(client, f"/my/bookings/{booking_id}/check-in", {}, form_page="/my/bookings")
    assert refused.status_code == 409
    assert "Einchecken ist nur kurz vor und nach dem Beginn möglich." in refused.text
    clock.set(clock.now() + timedelta(minutes=50))
    page = await client.get("/my/bookings", headers=ENGLISH)
    assert f'action="/my/bookings/{booking_id}/check-in"' in page.text
    done = await post_form(client, f"/my/bookings/{booking_id}/check-in", {}, form_page="/my/bookings")
    assert done.headers["location"] == "/my/bookings?done=checked_in"
    assert "checked in" in (await client.get("/my/bookings", headers=ENGLISH)).text


async def test_a_booking_as_a_calendar_file(client: Client, db: Database) -> None:
    await library(db)
    booking_id = await booked(client, db, "2026-12-02T14:00:00+01:00", "2026-12-02T15:00:00+01:00")
    await sign_in(client, "anna@example.org")

    response = await client.get(f"/my/bookings/{booking_id}.ics", headers=ENGLISH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert 'filename="group-room-1-2026-12-02.ics"' in response.headers["content-disposition"]
    german = await client.get(f"/my/bookings/{booking_id}.ics")
    assert 'filename="gruppenraum-1-2026-12-02.ics"' in german.headers["content-disposition"]
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["summary"]) == "Group room 1"
    assert event.decoded("dtstart").isoformat() == "2026-12-02T13:00:00+00:00"
    assert str(event["uid"]).startswith(f"booking-{booking_id}@")
    assert (await client.get("/my/bookings/abc.ics")).status_code == 404


async def test_an_english_page_and_calendar_show_the_units_english_label(
    client: Client, db: Database
) -> None:
    central = await factories.create_location(db)
    await factories.create_resource(
        db,
        central,
        "lernplatz",
        name="Lernplatz",
        name_en="Study place",
        kind=ResourceKind.WORKSPACE,
        units=["Arbeitsplatz 1"],
    )
    await factories.create_user(db)
    async with db.write() as session:
        unit = await session.scalar(select(Unit).where(Unit.label == "Arbeitsplatz 1"))
        assert unit is not None
        unit.label_en = "Workstation 1"
    booking_id = await booked(
        client, db, "2026-12-02T14:00:00+01:00", "2026-12-02T15:00:00+01:00", slug="lernplatz"
    )
    await sign_in(client, "anna@example.org")

    english = await client.get("/my/bookings", headers=ENGLISH)
    german = await client.get("/my/bookings")
    calendar = await client.get(f"/my/bookings/{booking_id}.ics", headers=ENGLISH)

    assert "Workstation 1" in english.text
    assert "Arbeitsplatz 1" not in english.text
    assert "Arbeitsplatz 1" in german.text
    event = Calendar.from_ical(calendar.content).walk("VEVENT")[0]
    assert "Unit: Workstation 1" in str(event["description"])


async def test_links_in_mails_lead_to_the_booking_in_the_list(client: Client) -> None:
    response = await client.get("/bookings/42", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/my/bookings#booking-42"


async def test_signing_in_after_an_expired_session_comes_back_to_the_list(
    client: Client, db: Database
) -> None:
    sent = await post_form(client, "/my/bookings/7/cancel", {})
    assert sent.headers["location"] == "/login?next=%2Fmy%2Fbookings%2F7%2Fcancel"
    back = await client.get("/my/bookings/7/check-in", follow_redirects=False)
    assert back.headers["location"] == "/my/bookings#booking-7"
    # Cancelling comes back to its confirmation step, which asks for a session itself.
    confirm = await client.get("/my/bookings/7/cancel", follow_redirects=False)
    assert confirm.headers["location"] == "/login?next=%2Fmy%2Fbookings%2F7%2Fcancel"


async def test_cancelling_asks_first_and_the_list_says_until_when(client: Client, db: Database) -> None:
    await library(db)
    booking_id = await booked(client, db, "2026-12-02T14:00:00+01:00", "2026-12-02T15:00:00+01:00")
    await sign_in(client, "anna@example.org")

    listed = await client.get("/my/bookings", headers=ENGLISH)
    assert f'href="/my/bookings/{booking_id}/cancel"' in listed.text
    assert f'action="/my/bookings/{booking_id}/cancel"' not in listed.text  # no cancelling in one click
    assert "You can cancel until" in listed.text
    assert "Free cancellation" not in listed.text
    confirm = await client.get(f"/my/bookings/{booking_id}/cancel", headers=ENGLISH)
    assert confirm.status_code == 200
    assert "Cancel the booking?" in confirm.text
    assert f'action="/my/bookings/{booking_id}/cancel"' in confirm.text
    assert 'href="/my/bookings"' in confirm.text  # "No, keep it"
    async with db.read() as session:
        booking = await session.get(Booking, booking_id)
    assert booking is not None
    assert booking.status is BookingStatus.CONFIRMED  # looking at the question changes nothing
    done = await post_form(client, f"/my/bookings/{booking_id}/cancel", {}, form_page="/my/bookings")
    assert done.headers["location"] == "/my/bookings?done=cancelled"
    again = await client.get(f"/my/bookings/{booking_id}/cancel", follow_redirects=False)
    assert again.headers["location"] == f"/my/bookings#booking-{booking_id}"


async def test_a_series_is_one_item_with_its_dates_skipped_dates_and_cancel_all(
    client: Client, db: Database
) -> None:
    await library(db)
    token = await factories.get_token(client, "anna@example.org")
    # Someone else holds Thursday, so the daily series of three skips it.
    await factories.create_user(db, "ben@example.org", name="Ben")
    ben = await factories.get_token(client, "ben@example.org")
    taken = await client.post(
        "/api/v1/bookings",
        json={
            "resource": "gruppenraum-1",
            "start": "2026-12-03T14:00:00+01:00",
            "end": "2026-12-03T15:00:00+01:00",
        },
        headers=factories.bearer(ben),
    )
    assert taken.status_code == 201, taken.text
    response = await client.post(
        "/api/v1/bookings",
        json={
            "resource": "gruppenraum-1",
            "start": "2026-12-02T14:00:00+01:00",
            "end": "2026-12-02T15:00:00+01:00",
            "repeat": {"freq": "daily", "count": 3, "skip_conflicts": True},
        },
        headers=factories.bearer(token),
    )
    assert response.status_code == 201, response.text
    series = response.json()
    ids = [b["id"] for b in series["bookings"]]
    assert len(ids) == 2
    await sign_in(client, "anna@example.org")

    page = await client.get("/my/bookings", headers=ENGLISH)
    assert page.text.count(f'id="series-{series["series_id"]}"') == 1
    assert "A series: 2 upcoming dates" in page.text
    assert "Skipped (could not be booked):" in page.text
    assert "Thursday, 3 December 2026" in page.text
    assert f'href="/my/series/{series["series_id"]}/cancel"' in page.text

    confirm = await client.get(f"/my/series/{series['series_id']}/cancel", headers=ENGLISH)
    assert "These 2 dates will be cancelled:" in confirm.text
    done = await post_form(client, f"/my/series/{series['series_id']}/cancel", {}, form_page="/my/bookings")
    assert done.headers["location"] == "/my/bookings?done=series_cancelled"
    async with db.read() as session:
        statuses = [
            status for (status,) in await session.execute(select(Booking.status).where(Booking.id.in_(ids)))
        ]
    assert statuses == [BookingStatus.CANCELLED, BookingStatus.CANCELLED]
    done_already = await client.get(f"/my/series/{series['series_id']}/cancel", follow_redirects=False)
    assert done_already.headers["location"] == "/my/bookings"
    await factories.create_user(db, "eve@example.org", name="Eve")
    await sign_in(client, "eve@example.org")
    assert (await client.get(f"/my/series/{series['series_id']}/cancel")).status_code == 404
