"""The catalogue and an offer's page: filters, free times, house rules in words, booking through the form.

The clock stands at Tuesday 2026-12-01 09:00 UTC, 10:00 in Ulm; the standard week is open
Monday to Friday 10-19 with staff.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import select

from library.accounts.models import Role
from library.booking.models import Booking, BookingStatus
from library.catalog.models import Factor, Location, ResourceKind
from library.clock import SettableClock
from library.db import Database
from tests.support import factories
from tests.support.api import Client, new_workshop
from tests.support.forms import post_form, sign_in

ENGLISH = {"accept-language": "en"}


async def library(db: Database) -> None:
    """Two locations; a VR headset (5 units), a group room and a laser cutter needing an induction."""
    central = await factories.create_location(db)
    await factories.create_location(
        db, slug="weststadt", name="Stadtteilbibliothek Weststadt", name_en="Weststadt branch", position=1
    )
    await factories.create_resource(
        db,
        central,
        "vr-brille",
        name="VR-Brille",
        name_en="VR headset",
        kind=ResourceKind.DEVICE,
        factor=Factor.TECHNOLOGY,
        description="Virtual-Reality-Brille mit zwei Controllern.",
        description_en="Virtual reality headset with two controllers.",
        features=["zwei Controller"],
        units=5,
        min_age=13,
        policy={"max_minutes": 60},
    )
    await factories.create_resource(
        db, central, "gruppenraum-1", name="Gruppenraum 1", name_en="Group room 1", capacity=4
    )


async def book_directly(client: Client, slug: str, start: str, end: str) -> None:
    token = await factories.get_token(client, "staff@example.org")
    response = await client.post(
        "/api/v1/bookings",
        json={"resource": slug, "start": start, "end": end},
        headers=factories.bearer(token),
    )
    assert response.status_code == 201, response.text


async def test_the_catalogue_lists_every_offer_with_its_facts_and_link(client: Client, db: Database) -> None:
    await library(db)

    german = await client.get("/catalogue")
    assert german.status_code == 200
    assert '<html lang="de">' in german.text
    assert "VR-Brille" in german.text
    assert "Technologie" in german.text
    assert 'href="/resources/vr-brille"' in german.text
    assert "Virtual-Reality-Brille mit zwei Controllern." in german.text
    english = await client.get("/catalogue", headers=ENGLISH)
    assert "VR headset" in english.text
    assert "Technology" in english.text
    assert "Device" in english.text
    assert "Central Library" in english.text


async def test_filters_by_factor_kind_and_location(client: Client, db: Database) -> None:
    await library(db)

    devices = await client.get("/catalogue?kind=device", headers=ENGLISH)
    assert "VR headset" in devices.text
    assert "Group room 1" not in devices.text
    space = await client.get("/catalogue?factor=space&location=zentralbibliothek", headers=ENGLISH)
    assert "Group room 1" in space.text
    assert "VR headset" not in space.text
    elsewhere = await client.get("/catalogue?location=weststadt", headers=ENGLISH)
    assert "No offer matches these filters." in elsewhere.text
    # The choice is kept in the form.
    assert '<option value="weststadt" selected>' in elsewhere.text


async def test_bad_filter_values_are_explained_next_to_their_fields(client: Client, db: Database) -> None:
    await library(db)

    response = await client.get(
        "/catalogue?factor=magic&location=atlantis&on=tomorrow&at=25:00", headers=ENGLISH
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    for field in ("factor", "location", "on", "at"):
        assert f'id="error-{field}"' in response.text
    assert "Please choose one of the listed factors." in response.text
    assert 'value="tomorrow"' in response.text  # what was typed stays
    # The other filters still apply; the bad ones are left out.
    assert "VR headset" in response.text
    half = await client.get("/catalogue?on=2026-12-01", headers=ENGLISH)
    assert half.status_code == 422
    assert "Please enter a time as well." in half.text


async def test_free_now_and_free_at_a_local_time(client: Client, db: Database, clock: SettableClock) -> None:
    await library(db)
    await factories.create_user(db, "staff@example.org", role=Role.STAFF)
    await book_directly(client, "gruppenraum-1", "2026-12-01T10:00:00+01:00", "2026-12-01T12:00:00+01:00")

    now = await client.get("/catalogue?free=on", headers=ENGLISH)
    assert now.status_code == 200
    assert "VR headset" in now.text
    assert "5 devices free" in now.text
    assert "Group room 1" not in now.text
    later = await client.get("/catalogue?on=2026-12-01&at=12:00", headers=ENGLISH)
    assert "Group room 1" in later.text
    # Sunday is closed: nothing is free, in the location's own time.
    sunday = await client.get("/catalogue?on=2026-12-06&at=12:00", headers=ENGLISH)
    assert "No offer matches these filters." in sunday.text
    both = await client.get("/catalogue?free=on&on=2026-12-01&at=12:00", headers=ENGLISH)
    assert both.status_code == 422
    assert 'id="error-free"' in both.text


async def test_the_resource_page_shows_rules_in_words_and_the_week(client: Client, db: Database) -> None:
    await library(db)

    page = await client.get("/resources/vr-brille", headers=ENGLISH)
    assert page.status_code == 200
    text = page.text
    assert "<h1>VR headset</h1>" in text
    assert "Vestgasse 1, 89073 Ulm" in text
    assert "zwei Controller" in text
    assert "A booking lasts from 30 minutes to 1 hour." in text
    assert "For ages 13 and up." in text
    assert "You can cancel until 1 hour before the start." in text
    # The week: a table with headers and a list of free periods as text.
    assert '<th scope="col">' in text
    assert '<th scope="row">' in text
    assert re.search(r"10:00 to 19:00 \(5 devices free\)", text)
    assert "start=10:00&amp;length=60#book-title" in text  # a free period pre-fills the booking form
    assert "closed" in text  # the weekend
    assert 'href="/login?next=%2Fresources%2Fvr-brille"' in text
    chosen = await client.get("/resources/vr-brille?week=2026-12-07&date=2026-12-08&start=14:00")
    assert (
        'href="/login?next=%2Fresources%2Fvr-brille%3Fweek%3D2026-12-07%26date%3D2026-12-08%26start%3D14%3A00"'
        in (chosen.text)
    )
    assert 'action="/resources/vr-brille/book' not in text
    german = await client.get("/resources/vr-brille")
    assert "<h1>VR-Brille</h1>" in german.text


async def test_the_week_moves_and_a_bad_week_is_explained(client: Client, db: Database) -> None:
    await library(db)

    next_week = await client.get("/resources/gruppenraum-1?week=2026-12-08", headers=ENGLISH)
    assert next_week.status_code == 200
    assert "?week=2026-11-30" in next_week.text
    assert "?week=2026-12-14" in next_week.text
    bad = await client.get("/resources/gruppenraum-1?week=soon", headers=ENGLISH)
    assert bad.status_code == 422
    assert "Please enter a date as DD/MM/YYYY." in bad.text
    missing = await client.get("/resources/no-such-thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")


async def test_booking_through_the_form_goes_to_my_bookings(client: Client, db: Database) -> None:
    await library(db)
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")

    form = {"date": "2026-12-02", "start": "14:00", "length": "60", "participants": "3", "note": "Lerngruppe"}
    response = await post_form(
        client, "/resources/gruppenraum-1/book", form, form_page="/resources/gruppenraum-1"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/my/bookings?done=booked"
    async with db.read() as session:
        booking = (await session.scalars(select(Booking))).one()
    assert booking.start_at == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    assert booking.participants == 3
    assert booking.note == "Lerngruppe"


async def test_anonymous_booking_goes_to_the_sign_in(client: Client, db: Database) -> None:
    await library(db)

    response = await post_form(
        client, "/resources/gruppenraum-1/book", {"date": "2026-12-02", "start": "14:00", "length": "60"}
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_broken_rules_are_shown_next_to_their_field(client: Client, db: Database) -> None:
    await library(db)
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")
    page = "/resources/gruppenraum-1"

    too_long = await post_form(
        client, f"{page}/book", {"date": "2026-12-02", "start": "14:00", "length": "600"}, form_page=page
    )
    assert too_long.status_code == 403
    assert re.search(r'id="error-length">Die Buchung ist zu lang', too_long.text)
    off_grid = await post_form(
        client, f"{page}/book", {"date": "2026-12-02", "start": "14:10", "length": "60"}, form_page=page
    )
    assert re.search(r'id="error-start">Beginn und Ende müssen', off_grid.text)
    assert 'value="14:10"' in off_grid.text
    closed = await post_form(
        client, f"{page}/book", {"date": "2026-12-02", "start": "20:00", "length": "60"}, form_page=page
    )
    assert re.search(r'id="error-start">Die Zeit liegt außerhalb der Öffnungszeiten', closed.text)
    typo = await post_form(
        client, f"{page}/book", {"date": "02.12.", "start": "", "length": "60"}, form_page=page
    )
    assert typo.status_code == 422
    assert 'id="error-date"' in typo.text
    assert 'id="error-start"' in typo.text


async def test_an_age_limit_without_a_birth_date_is_explained_above_the_form(
    client: Client, db: Database
) -> None:
    await library(db)
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")
    before = await client.get("/resources/vr-brille")
    assert "Bitte tragen Sie Ihr Geburtsdatum in Ihrem Konto ein." in before.text
    assert 'href="/account"' in before.text
    assert 'action="/resources/vr-brille/book' not in before.text

    response = await post_form(
        client,
        "/resources/vr-brille/book",
        {"date": "2026-12-02", "start": "14:00", "length": "60"},
        form_page="/resources/vr-brille",
    )
    assert response.status_code == 403
    assert "Bitte tragen Sie Ihr Geburtsdatum in Ihrem Konto ein." in response.text


async def test_a_missing_induction_names_the_workshop(client: Client, db: Database) -> None:
    await library(db)
    laser_cert = await factories.create_certification(db, "laser", name="Lasercutter-Einweisung")
    async with db.read() as session:
        central = (await session.scalars(select(Location).where(Location.slug == "zentralbibliothek"))).one()
    await factories.create_resource(
        db, central, "lasercutter", kind=ResourceKind.DEVICE, certification=laser_cert
    )
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")

    page = await client.get("/resources/lasercutter", headers=ENGLISH)
    assert "You need the induction “Lasercutter-Einweisung”." in page.text
    # Before any form: why not, by the induction's name (never its key), and no booking form.
    assert "This device needs the induction &#39;Lasercutter-Einweisung&#39;." in page.text
    assert 'action="/resources/lasercutter/book' not in page.text
    response = await post_form(
        client,
        "/resources/lasercutter/book",
        {"date": "2026-12-02", "start": "14:00", "length": "60"},
        form_page="/resources/lasercutter",
    )
    assert response.status_code == 403
    assert "Einweisung „Lasercutter-Einweisung“" in response.text
    assert "„laser“" not in response.text


async def test_a_missing_induction_links_the_workshop_by_its_title(client: Client, db: Database) -> None:
    await library(db)
    laser_cert = await factories.create_certification(
        db, "laser", name="Lasercutter-Einweisung", name_en="Laser cutter induction"
    )
    async with db.read() as session:
        central = (await session.scalars(select(Location).where(Location.slug == "zentralbibliothek"))).one()
    await factories.create_resource(
        db, central, "lasercutter", kind=ResourceKind.DEVICE, certification=laser_cert
    )
    await factories.create_user(db, "staff@example.org", role=Role.STAFF)
    staff = await factories.get_token(client, "staff@example.org")
    workshop = await new_workshop(
        client,
        staff,
        title="Einweisung Lasercutter",
        title_en="Laser cutter induction course",
        grants_certification="laser",
    )
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")

    german = await client.get("/resources/lasercutter")
    assert "Einweisung „Lasercutter-Einweisung“" in german.text
    assert f'href="/workshops/{workshop["slug"]}"' in german.text
    assert "Zum Workshop „Einweisung Lasercutter“" in german.text
    english = await client.get("/resources/lasercutter", headers=ENGLISH)
    assert "The workshop &#39;Laser cutter induction course&#39; gives it." in english.text
    assert "To the workshop “Laser cutter induction course”" in english.text
    assert 'action="/resources/lasercutter/book' not in english.text
    assert "&#39;laser&#39;" not in english.text


async def test_a_taken_slot_offers_alternatives_that_book_in_one_click(client: Client, db: Database) -> None:
    await library(db)
    await factories.create_user(db, "staff@example.org", role=Role.STAFF)
    await book_directly(client, "gruppenraum-1", "2026-12-02T14:00:00+01:00", "2026-12-02T15:00:00+01:00")
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")
    page = "/resources/gruppenraum-1"

    taken = await post_form(
        client,
        f"{page}/book",
        {"date": "2026-12-02", "start": "14:00", "length": "60", "note": "Gruppe"},
        form_page=page,
    )
    assert taken.status_code == 409
    assert "Zu dieser Zeit ist nichts mehr frei." in taken.text
    offers = re.findall(
        r'<form method="post" action="/resources/gruppenraum-1/book\#book-title" class="inline">(.*?)</form>',
        taken.text,
        re.S,
    )
    assert 1 <= len(offers) <= 5
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', offers[0]))
    assert fields["date"] == "2026-12-02"
    assert fields["length"] == "60"
    assert fields["note"] == "Gruppe"
    assert fields["start"] in ("13:00", "15:00")
    booked = await post_form(client, f"{page}/book", fields, form_page=page)
    assert booked.status_code == 303
    async with db.read() as session:
        mine = (await session.scalars(select(Booking).where(Booking.note == "Gruppe"))).one()
    assert mine.status is BookingStatus.CONFIRMED


async def test_a_booking_that_needs_approval_says_it_is_pending(client: Client, db: Database) -> None:
    central = await factories.create_location(db)
    await factories.create_resource(db, central, "makerspace", requires_approval=True)
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")

    page = await client.get("/resources/makerspace", headers=ENGLISH)
    assert "Request booking" in page.text
    response = await post_form(
        client,
        "/resources/makerspace/book",
        {"date": "2026-12-02", "start": "14:00", "length": "60"},
        form_page="/resources/makerspace",
    )
    assert response.headers["location"] == "/my/bookings?done=pending"


async def test_a_free_period_starting_now_offers_the_next_start_on_the_grid(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await library(db)
    clock.set(datetime(2026, 12, 1, 9, 10, tzinfo=UTC))  # 10:10 in Ulm

    page = await client.get("/resources/gruppenraum-1", headers=ENGLISH)
    assert re.search(r"10:10 to 19:00", page.text)
    assert "date=2026-12-01&amp;start=10:30&amp;length=60#book-title" in page.text


async def test_a_short_free_period_offers_a_booking_that_fits(client: Client, db: Database) -> None:
    await library(db)
    await factories.create_user(db, "staff@example.org", role=Role.STAFF)
    await book_directly(client, "gruppenraum-1", "2026-12-02T10:30:00+01:00", "2026-12-02T14:30:00+01:00")

    page = await client.get("/resources/gruppenraum-1?week=2026-12-02", headers=ENGLISH)
    assert "date=2026-12-02&amp;start=10:00&amp;length=30#book-title" in page.text


async def test_a_weekly_series_is_all_or_nothing_unless_skipping_is_chosen(
    client: Client, db: Database
) -> None:
    await library(db)
    await factories.create_user(db, "staff@example.org", role=Role.STAFF)
    await book_directly(client, "gruppenraum-1", "2026-12-09T14:00:00+01:00", "2026-12-09T15:00:00+01:00")
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")
    page = "/resources/gruppenraum-1"
    series = {"date": "2026-12-02", "start": "14:00", "length": "60", "repeat": "weekly", "times": "3"}

    client.cookies.set("lang", "en")
    refused = await post_form(client, f"{page}/book", series, form_page=page)
    assert refused.status_code == 409
    assert "Some dates of the series cannot be booked; nothing was booked." in refused.text
    assert re.search(r"<li>Wednesday, 9 December 2026, 14:00 to 15:00: already taken</li>", refused.text)
    skipping = await post_form(client, f"{page}/book", {**series, "skip": "on"}, form_page=page)
    assert skipping.status_code == 303
    assert skipping.headers["location"] == "/my/bookings?done=series_partly"
    async with db.read() as session:
        mine = (await session.scalars(select(Booking).where(Booking.series_id.is_not(None)))).all()
    assert sorted(b.start_at.day for b in mine) == [2, 16]
    no_count = await post_form(client, f"{page}/book", {**series, "times": ""}, form_page=page)
    assert no_count.status_code == 422
    assert 'id="error-times"' in no_count.text


async def test_signing_in_from_an_expired_booking_form_comes_back_to_the_form(
    client: Client, db: Database
) -> None:
    await library(db)

    sent = await post_form(client, "/resources/gruppenraum-1/book", {"date": "2026-12-02", "start": "14:00"})
    assert sent.headers["location"] == "/login?next=%2Fresources%2Fgruppenraum-1%2Fbook"
    back = await client.get("/resources/gruppenraum-1/book", follow_redirects=False)
    assert back.status_code == 303
    assert back.headers["location"] == "/resources/gruppenraum-1#book-title"


async def test_dates_far_from_today_are_typos_not_errors(client: Client, db: Database) -> None:
    await library(db)
    await factories.create_user(db)

    catalogue = await client.get("/catalogue?on=9999-12-31&at=12:00", headers=ENGLISH)
    assert catalogue.status_code == 422
    assert "Please enter a date within ten years from today." in catalogue.text
    week = await client.get("/resources/gruppenraum-1?week=9999-12-31", headers=ENGLISH)
    assert week.status_code == 422
    await sign_in(client, "anna@example.org")
    booking = await post_form(
        client,
        "/resources/gruppenraum-1/book",
        {"date": "9999-12-31", "start": "14:00", "length": "60"},
        form_page="/resources/gruppenraum-1",
    )
    assert booking.status_code == 422
    assert 'id="error-date"' in booking.text


async def test_a_time_the_clocks_skip_is_refused_next_to_the_field(client: Client, db: Database) -> None:
    """02:30 on the last Sunday of March does not exist in Ulm; it is not shifted to 03:30."""
    await library(db)
    await factories.create_user(db)
    await sign_in(client, "anna@example.org")
    page = "/resources/gruppenraum-1"

    form = {"date": "2027-03-28", "start": "02:30", "length": "30"}
    response = await post_form(client, f"{page}/book", form, form_page=page)

    assert response.status_code == 422
    assert 'id="error-start"' in response.text
    async with db.read() as session:
        assert (await session.scalars(select(Booking))).all() == []


def day_section(text: str, day: str) -> str:
    """One day's part of the week grid on a resource page."""
    found = re.search(rf'<section class="week-grid-day" id="day-{day}".*?</section>', text, re.S)
    assert found is not None, day
    return found.group(0)


async def test_the_week_grid_links_free_times_to_the_filled_in_form(client: Client, db: Database) -> None:
    await library(db)
    await factories.create_user(db, "staff@example.org", role=Role.STAFF)
    await book_directly(client, "gruppenraum-1", "2026-12-02T12:00:00+01:00", "2026-12-02T14:00:00+01:00")

    english = (await client.get("/resources/gruppenraum-1", headers=ENGLISH)).text
    # Day links for a phone, one anchor per day of the week (Monday to Sunday).
    assert 'href="#day-2026-11-30"' in english
    assert 'href="#day-2026-12-06"' in english
    wednesday = day_section(english, "2026-12-02")
    assert '<caption class="visually-hidden">Wednesday, 2 December 2026</caption>' in wednesday
    rows = dict(re.findall(r'<th scope="row">(\d\d:\d\d)</th>\s*<td>(.*?)</td>', wednesday, re.S))
    # Free: a link that fills in the form; taken and closed: a word (and an icon), no link.
    assert (
        'href="/resources/gruppenraum-1?week=2026-11-30&amp;date=2026-12-02&amp;start=14:00&amp;length=60#book-title"'
        in rows["14:00"]
    )
    assert ">free<" in rows["14:00"]
    assert "book from 14:00" in rows["14:00"]
    assert "taken" in rows["12:00"]
    assert "<a " not in rows["12:00"]
    # The last free hour before the booking offers only what fits.
    assert "start=11:00&amp;length=60" in rows["11:00"]
    sunday = day_section(english, "2026-12-06")
    assert "closed" in sunday
    assert "<a " not in sunday
    german = day_section((await client.get("/resources/gruppenraum-1")).text, "2026-12-02")
    assert "belegt" in german
    assert ">frei<" in german


async def test_someone_under_the_age_limit_sees_the_rule_instead_of_the_form(
    client: Client, db: Database
) -> None:
    await library(db)
    await factories.create_user(db, "kid@example.org", birth_date=date(2016, 5, 1))
    await factories.create_user(db, "adult@example.org", birth_date=date(1990, 5, 1))

    await sign_in(client, "kid@example.org")
    young = await client.get("/resources/vr-brille", headers=ENGLISH)
    assert "This offer is for ages 13 and up." in young.text
    assert 'action="/resources/vr-brille/book' not in young.text
    await sign_in(client, "adult@example.org")
    grown = await client.get("/resources/vr-brille", headers=ENGLISH)
    assert 'action="/resources/vr-brille/book' in grown.text


async def test_know_how_leads_to_workshops_and_the_factor_space_is_not_the_kind_room(
    client: Client, db: Database
) -> None:
    await library(db)

    home = (await client.get("/", headers=ENGLISH)).text
    assert 'href="/workshops?factor=knowhow"' in home
    assert "Workshops and inductions" in home
    assert "Space &amp; meeting" in home
    german_home = (await client.get("/")).text
    assert "Raum &amp; Begegnung" in german_home
    filtered = (await client.get("/catalogue?factor=knowhow", headers=ENGLISH)).text
    assert 'href="/workshops?factor=knowhow"' in filtered
    assert 'href="/workshops?factor=knowhow"' not in (await client.get("/catalogue", headers=ENGLISH)).text
    room = (await client.get("/resources/gruppenraum-1")).text
    assert "Kind: Room" not in room
    assert "Art: Raum" in room
    devices = (await client.get("/resources/vr-brille")).text
    assert "5 Geräte" in devices
    assert "Exemplar" not in devices
