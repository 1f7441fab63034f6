"""Workshop pages: upcoming sessions by date, a workshop with sign-up, and my registrations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from library.accounts.models import Role, User
from library.catalog.models import Factor, ResourceKind
from library.clock import SettableClock
from library.db import Database
from library.workshops import service
from library.workshops.models import AttendanceMode, SignupMode
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import post_form, sign_in

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY = date(2026, 12, 4)  # the clock stands at Tuesday 2026-12-01 10:00 in Ulm
EN = {"accept-language": "en"}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


@dataclass(frozen=True)
class Library:
    staff: User
    anna: User
    now: datetime


async def library(db: Database, clock: SettableClock) -> Library:
    location = await factories.create_location(db)
    await factories.create_resource(
        db, location, "makerspace", name="Makerspace", name_en="Makerspace", kind=ResourceKind.ROOM
    )
    await factories.create_resource(
        db, location, "forum", name="Veranstaltungsforum", name_en="Event forum", kind=ResourceKind.ROOM
    )
    laser = await factories.create_certification(
        db, "laser-cutter", name="Einweisung Lasercutter", name_en="Laser cutter induction", valid_months=12
    )
    staff = await factories.create_user(db, "staff@example.org", name="Sabine", role=Role.STAFF)
    anna = await factories.create_user(db, birth_date=date(1990, 5, 1))
    await service.create_workshop(
        db,
        service.NewWorkshop(
            title="Einweisung Lasercutter",
            title_en="Laser cutter induction",
            description="Sicher schneiden.",
            description_en="Cutting safely.",
            factor=Factor.KNOWHOW,
            slug="einweisung-lasercutter",
            min_age=16,
            grants_certification=laser.key,
            offer_hours=24,
        ),
        actor=staff,
        now=clock.now(),
    )
    await service.create_workshop(
        db,
        service.NewWorkshop(
            title="VR-Abend",
            title_en="VR evening",
            description="Virtuelle Welten.",
            factor=Factor.TECHNOLOGY,
            slug="vr-abend",
        ),
        actor=staff,
        now=clock.now(),
    )
    return Library(staff, anna, clock.now())


async def add_session(
    db: Database,
    lib: Library,
    slug: str,
    start: datetime,
    *,
    capacity: int = 10,
    room: str = "makerspace",
    mode: SignupMode = SignupMode.FIRST_COME,
    closes: datetime | None = None,
) -> int:
    created = await service.add_session(
        db,
        slug,
        service.NewSession(
            start=start,
            end=start + timedelta(minutes=90),
            room=room,
            capacity=capacity,
            mode=mode,
            registration_closes=closes,
        ),
        actor=lib.staff,
        now=lib.now,
    )
    return created.id


async def fill(db: Database, lib: Library, session_id: int, people: int) -> None:
    for n in range(people):
        person = await factories.create_user(
            db, f"p{n}@example.org", name=f"P{n}", birth_date=date(1980, 1, 1)
        )
        await service.register(db, session_id, user=person, now=lib.now, zone=BERLIN)


async def sign_up(client: Client, slug: str, session_id: int) -> tuple[int, str]:
    response = await post_form(
        client, f"/workshops/{slug}/sessions/{session_id}/register", {}, form_page=f"/workshops/{slug}"
    )
    return response.status_code, response.headers.get("location", response.text)


async def test_upcoming_sessions_are_listed_by_date_with_places_and_filtered_by_factor(
    client: Client, db: Database, clock: SettableClock
) -> None:
    lib = await library(db, clock)
    laser = await add_session(db, lib, "einweisung-lasercutter", at(FRIDAY, 14), capacity=2)
    await add_session(db, lib, "vr-abend", at(FRIDAY + timedelta(days=1), 12), room="forum")
    await fill(db, lib, laser, 2)

    page = await client.get("/workshops")
    assert page.status_code == 200
    text = page.text
    assert '<html lang="de">' in text
    assert text.index("Einweisung Lasercutter") < text.index("VR-Abend")  # by date
    assert "Freitag, 4. Dezember 2026" in text
    assert "14:00–15:30" in text  # Ulm time, not UTC
    assert "Veranstaltungsforum, Zentralbibliothek" in text
    english = (await client.get("/workshops", headers=EN)).text
    assert "Friday, 4 December 2026" in english
    assert "Fully booked: waitlist" in english
    assert "Fully booked: waitlist (" not in english  # nobody waits yet
    assert "10 places left" in english
    assert "Event forum, Central Library" in english

    knowhow = (await client.get("/workshops?factor=knowhow")).text
    assert "Einweisung Lasercutter" in knowhow
    assert "VR-Abend" not in knowhow
    technology = (await client.get("/workshops?factor=technology", headers=EN)).text
    assert "VR evening" in technology
    assert "Laser cutter induction" not in technology


async def test_a_bad_filter_value_is_explained_and_everything_shown(
    client: Client, db: Database, clock: SettableClock
) -> None:
    lib = await library(db, clock)
    await add_session(db, lib, "vr-abend", at(FRIDAY, 12), room="forum")

    page = await client.get("/workshops?factor=magic&location=mars", headers=EN)
    assert page.status_code == 200
    assert "There is no such factor; all workshops are shown." in page.text
    assert "There is no such location; all locations are shown." in page.text
    assert "VR evening" in page.text
    elsewhere = await client.get("/workshops?location=zentralbibliothek")
    assert "VR-Abend" in elsewhere.text


async def test_the_workshop_page_shows_description_certification_age_and_sessions(
    client: Client, db: Database, clock: SettableClock
) -> None:
    lib = await library(db, clock)
    await add_session(db, lib, "einweisung-lasercutter", at(FRIDAY, 14), capacity=4)

    page = await client.get("/workshops/einweisung-lasercutter", headers=EN)
    assert page.status_code == 200
    assert "<h1>Laser cutter induction</h1>" in page.text
    assert "Cutting safely." in page.text
    assert "Laser cutter induction” and can then book" in page.text
    assert "From 16 years" in page.text
    assert "4 places left" in page.text
    assert "<dt>Language of the workshop</dt><dd>German</dd>" in page.text
    german = await client.get("/workshops/einweisung-lasercutter")
    assert "<dt>Sprache des Workshops</dt><dd>Deutsch</dd>" in german.text
    # Anonymous visitors are asked to sign in first.
    assert 'href="/login?next=/workshops/einweisung-lasercutter"' in page.text
    assert (await client.get("/workshops/no-such-workshop")).status_code == 404


async def test_signing_up_confirms_then_the_waitlist_shows_the_position(
    client: Client, db: Database, clock: SettableClock
) -> None:
    lib = await library(db, clock)
    session_id = await add_session(db, lib, "einweisung-lasercutter", at(FRIDAY, 14), capacity=2)
    await fill(db, lib, session_id, 2)
    await sign_in(client, "anna@example.org")

    page = await client.get("/workshops/einweisung-lasercutter", headers=EN)
    assert "Join the waitlist" in page.text
    status, location = await sign_up(client, "einweisung-lasercutter", session_id)
    assert (status, location) == (303, "/workshops/einweisung-lasercutter?done=waitlisted")
    after = await client.get(location, headers=EN)
    assert "You are on the waitlist: place 1." in after.text
    flash = r'<p class="flash flash-success" role="status">.*?<span>The session is full, so you are on the'
    assert re.search(flash, after.text)
    assert "Fully booked: waitlist (1 person waiting)" in after.text

    mine = await client.get("/my/workshops", headers=EN)
    assert mine.status_code == 200
    assert "You are on the waitlist: place 1." in mine.text
    assert "Leave the waitlist" in mine.text
    assert '<html lang="de">' in (await client.get("/my/workshops")).text


async def test_sign_up_refusals_are_shown_at_the_session(
    client: Client, db: Database, clock: SettableClock
) -> None:
    lib = await library(db, clock)
    session_id = await add_session(db, lib, "einweisung-lasercutter", at(FRIDAY, 14))
    await factories.create_user(db, "nobirth@example.org", name="Ohne Datum")
    await factories.create_user(db, "kid@example.org", name="Kind", birth_date=date(2016, 5, 1))

    await sign_in(client, "nobirth@example.org")
    status, text = await sign_up(client, "einweisung-lasercutter", session_id)
    assert status == 403
    assert "Bitte tragen Sie Ihr Geburtsdatum in Ihrem Konto ein." in text
    assert 'href="/account#field-birth_date"' in text

    await sign_in(client, "kid@example.org")
    status, text = await sign_up(client, "einweisung-lasercutter", session_id)
    assert status == 403
    assert "erst ab 16 Jahren" in text

    await sign_in(client, "anna@example.org")
    assert (await sign_up(client, "einweisung-lasercutter", session_id))[0] == 303
    clock.advance(timedelta(seconds=1))
    status, text = await sign_up(client, "einweisung-lasercutter", session_id)
    assert status == 409
    assert "schon angemeldet" in text

    clock.set(at(FRIDAY, 14, 30))
    await sign_in(client, "kid@example.org")
    status, text = await sign_up(client, "einweisung-lasercutter", session_id)
    assert status == 403
    assert "Die Anmeldung für diesen Termin ist nicht offen." in text
    page = await client.get("/workshops/einweisung-lasercutter", headers=EN)
    assert "Registration is closed." in page.text


async def test_signing_up_needs_an_account(client: Client, db: Database, clock: SettableClock) -> None:
    lib = await library(db, clock)
    session_id = await add_session(db, lib, "vr-abend", at(FRIDAY, 12), room="forum")

    status, location = await sign_up(client, "vr-abend", session_id)
    assert status == 303
    assert location == f"/login?next=%2Fworkshops%2Fvr-abend%2Fsessions%2F{session_id}%2Fregister"
    # After signing in, the form's address leads back to the session.
    back = await client.get(f"/workshops/vr-abend/sessions/{session_id}/register", follow_redirects=False)
    assert (back.status_code, back.headers["location"]) == (303, f"/workshops/vr-abend#session-{session_id}")
    mine = await client.get("/my/workshops/7/cancel", follow_redirects=False)
    assert mine.headers["location"] == "/my/workshops#registration-7"
    from_a_mail = await client.get("/registrations/7", follow_redirects=False)
    assert from_a_mail.headers["location"] == "/my/workshops#registration-7"
    assert (await client.get("/my/workshops", follow_redirects=False)).headers["location"] == (
        "/login?next=%2Fmy%2Fworkshops"
    )


async def test_the_lottery_says_when_it_is_drawn(client: Client, db: Database, clock: SettableClock) -> None:
    lib = await library(db, clock)
    closes = at(FRIDAY - timedelta(days=1), 18)
    session_id = await add_session(
        db, lib, "vr-abend", at(FRIDAY, 20), room="forum", mode=SignupMode.LOTTERY, closes=closes
    )
    await sign_in(client, "anna@example.org")

    listed = await client.get("/workshops", headers=EN)
    assert "Lottery until Thu, 3 Dec 2026, 18:00" in listed.text
    page = await client.get("/workshops/vr-abend", headers=EN)
    assert "Enter the lottery" in page.text
    # How it works, in words: a random draw once registration closes, then mail and waitlist.
    assert "How the lottery works" in page.text
    assert "the places are drawn at random" in page.text
    assert "waitlist" in page.text
    assert "seed" not in page.text.lower()
    plain = await client.get("/workshops/einweisung-lasercutter", headers=EN)
    assert "How the lottery works" not in plain.text
    status, location = await sign_up(client, "vr-abend", session_id)
    assert (status, location) == (303, "/workshops/vr-abend?done=entered")
    after = await client.get(location, headers=EN)
    assert (
        "You are in the lottery. The places are drawn after registration closes on Thu, 3 Dec" in after.text
    )


async def test_an_offered_place_is_taken_up_and_a_registration_cancelled(
    client: Client, db: Database, clock: SettableClock
) -> None:
    lib = await library(db, clock)
    session_id = await add_session(db, lib, "einweisung-lasercutter", at(FRIDAY, 14), capacity=1)
    first = await factories.create_user(db, "first@example.org", name="Erste", birth_date=date(1980, 1, 1))
    held = await service.register(db, session_id, user=first, now=lib.now, zone=BERLIN)
    waiting = await service.register(db, session_id, user=lib.anna, now=lib.now, zone=BERLIN)
    await service.cancel_registration(db, held.id, actor=first, now=lib.now)
    await sign_in(client, "anna@example.org")

    mine = await client.get("/my/workshops", headers=EN)
    assert "A place has become free for you. Please take it up by Wed, 2 Dec 2026, 10:00" in mine.text
    accepted = await post_form(
        client, f"/my/workshops/{waiting.id}/accept", {"next": "/my/workshops"}, form_page="/my/workshops"
    )
    assert (accepted.status_code, accepted.headers["location"]) == (303, "/my/workshops?done=accepted")
    assert "You have a place." in (await client.get("/my/workshops", headers=EN)).text

    cancelled = await post_form(
        client,
        f"/my/workshops/{waiting.id}/cancel",
        {"next": "/workshops/einweisung-lasercutter"},
        form_page="/my/workshops",
    )
    assert cancelled.headers["location"] == "/workshops/einweisung-lasercutter?done=cancelled"
    mine = await client.get("/my/workshops", headers=EN)
    assert "You are not registered for any upcoming workshop." in mine.text
    # in the table of earlier and cancelled ones, as a status badge
    assert re.search(
        r'<td><span class="badge status-cancelled">.*?<span>Cancelled</span></span></td>', mine.text
    )

    # Someone else's registration is not found, and nothing changes.
    await factories.create_user(db, "other@example.org", name="Andere")
    await sign_in(client, "other@example.org")
    refused = await post_form(client, f"/my/workshops/{held.id}/cancel", {}, form_page="/my/workshops")
    assert refused.status_code == 404


async def test_who_may_not_attend_sees_why_instead_of_a_sign_up_button(
    client: Client, db: Database, clock: SettableClock
) -> None:
    lib = await library(db, clock)
    await service.create_workshop(
        db,
        service.NewWorkshop(
            title="Laserprojekt",
            title_en="Laser project",
            description="Eigene Schilder.",
            factor=Factor.KNOWHOW,
            slug="laserprojekt",
            required_certification="laser-cutter",
        ),
        actor=lib.staff,
        now=clock.now(),
    )
    project = await add_session(db, lib, "laserprojekt", at(FRIDAY, 16))
    induction = await add_session(db, lib, "einweisung-lasercutter", at(FRIDAY, 14))
    await factories.create_user(db, "kid@example.org", name="Kind", birth_date=date(2016, 5, 1))

    await sign_in(client, "anna@example.org")
    page = (await client.get("/workshops/laserprojekt", headers=EN)).text
    assert "Laser cutter induction" in page  # the certification and the workshop, by name
    assert "&#39;laser-cutter&#39;" not in page
    assert "“laser-cutter”" not in page
    assert 'href="/workshops/einweisung-lasercutter"' in page
    assert f'action="/workshops/laserprojekt/sessions/{project}/register"' not in page
    open_to_anna = (await client.get("/workshops/einweisung-lasercutter", headers=EN)).text
    assert f'action="/workshops/einweisung-lasercutter/sessions/{induction}/register"' in open_to_anna

    await sign_in(client, "kid@example.org")
    young = (await client.get("/workshops/einweisung-lasercutter")).text
    assert "erst ab 16 Jahren" in young
    assert f'action="/workshops/einweisung-lasercutter/sessions/{induction}/register"' not in young


async def test_a_hybrid_session_offers_the_room_and_online_places_and_the_link_to_online_ones(
    client: Client, db: Database, clock: SettableClock
) -> None:
    lib = await library(db, clock)
    stream = "https://stream.example.org/vr"
    created = await service.add_session(
        db,
        "vr-abend",
        service.NewSession(
            start=at(FRIDAY, 18),
            end=at(FRIDAY, 19),
            room="forum",
            capacity=1,
            attendance_mode=AttendanceMode.HYBRID,
            online_capacity=2,
            stream_url=stream,
        ),
        actor=lib.staff,
        now=lib.now,
    )
    await fill(db, lib, created.id, 1)  # the room's one place
    await sign_in(client, "anna@example.org")
    page = (await client.get("/workshops/vr-abend", headers=EN)).text
    assert "Join the waitlist for the room" in page
    assert "Sign up online" in page
    assert "Online:" in page
    assert "2 places left" in page

    response = await post_form(
        client,
        f"/workshops/vr-abend/sessions/{created.id}/register",
        {"participation": "online"},
        form_page="/workshops/vr-abend",
    )
    assert response.headers["location"] == "/workshops/vr-abend?done=confirmed"
    after = (await client.get("/workshops/vr-abend", headers=EN)).text
    assert "Online: You have a place." in " ".join(after.split())
    assert f'href="{stream}"' in after

    # p0 holds the room's place: no private link for them.
    client.cookies.clear()
    await sign_in(client, "p0@example.org")
    theirs = (await client.get("/workshops/vr-abend", headers=EN)).text
    assert "In the room: You have a place." in " ".join(theirs.split())
    assert stream not in theirs
