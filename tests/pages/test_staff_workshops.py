"""Staff workshop pages: workshops with their sessions, a session's people, lottery and attendance."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from library.accounts.models import Role, User, UserCertification
from library.audit.models import AuditEntry
from library.booking.models import Booking, BookingStatus
from library.catalog.models import Factor, ResourceKind
from library.clock import SettableClock
from library.config import Settings
from library.db import Database
from library.outbox.models import OutboxMessage
from library.scheduler import run_jobs_once
from library.workshops import service
from library.workshops.models import (
    AttendanceMode,
    Registration,
    RegistrationStatus,
    SignupMode,
    WorkshopSession,
)
from tests.support import factories
from tests.support.api import Client
from tests.support.forms import post_form, sign_in, submit_form
from tests.support.mail import Inbox, outbox, text_of

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY = date(2026, 12, 4)  # the clock stands at Tuesday 2026-12-01 10:00 in Ulm


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


async def library_with_a_workshop(db: Database, clock: SettableClock, **session: Any) -> dict[str, Any]:
    """A makerspace, a laser-cutter induction with one Friday session, staff and three visitors."""
    location = await factories.create_location(db)
    await factories.create_resource(db, location, "makerspace", name="Makerspace", kind=ResourceKind.ROOM)
    laser = await factories.create_certification(
        db, "laser-cutter", name="Einweisung Lasercutter", name_en="Laser cutter induction", valid_months=12
    )
    staff = await factories.create_user(db, "staff@example.org", name="Sabine Staff", role=Role.STAFF)
    visitors = [
        await factories.create_user(db, f"visitor{n}@example.org", name=f"Visitor {n}") for n in range(1, 4)
    ]
    workshop = await service.create_workshop(
        db,
        service.NewWorkshop(
            title="Einweisung Lasercutter",
            title_en="Laser cutter induction",
            description="Sicher schneiden.",
            factor=Factor.KNOWHOW,
            slug="laser-induction",
            grants_certification="laser-cutter",
        ),
        actor=staff,
        now=clock.now(),
    )
    new = service.NewSession(
        start=at(FRIDAY, 14), end=at(FRIDAY, 15, 30), room="makerspace", capacity=2, **session
    )
    created = await service.add_session(db, workshop.slug, new, actor=staff, now=clock.now())
    return {"staff": staff, "visitors": visitors, "session": created, "laser": laser}


async def sign_up(db: Database, clock: SettableClock, session_id: int, visitors: list[User]) -> None:
    for visitor in visitors:
        await service.register(db, session_id, user=visitor, now=clock.now(), zone=BERLIN)


async def test_anonymous_people_are_sent_to_sign_in_and_visitors_are_refused(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(db, clock)
    session_page = f"/staff/workshops/sessions/{facts['session'].id}"
    for page in ("/staff/workshops", session_page):
        response = await client.get(page, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2Fstaff%2Fworkshops")
    await sign_in(client, "visitor1@example.org")
    for page in ("/staff/workshops", session_page):
        refused = await client.get(page)
        assert refused.status_code == 403
        assert "Berechtigungen" in refused.text
    attendance = await post_form(
        client, f"{session_page}/attendance", {f"attended-{facts['session'].id}": "on"}, form_page="/"
    )
    assert attendance.status_code == 403


async def test_staff_see_workshops_with_their_sessions_in_german_and_english(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(db, clock)
    await sign_up(db, clock, facts["session"].id, facts["visitors"][:1])
    await sign_in(client, "staff@example.org")
    german = await client.get("/staff/workshops")
    assert german.status_code == 200
    assert "Einweisung Lasercutter" in german.text
    assert f'href="/staff/workshops/sessions/{facts["session"].id}"' in german.text
    assert "Makerspace" in german.text
    assert "1 von 2" in german.text
    assert 'aria-current="page"' in german.text
    english = await client.get("/staff/workshops", headers={"accept-language": "en"})
    assert "Laser cutter induction" in english.text
    assert "1 of 2" in english.text
    assert "Add a session" in english.text
    assert '<option value="en">English</option>' in english.text
    assert '<option value="en">Englisch</option>' in german.text


async def test_staff_create_a_workshop_and_a_bad_form_keeps_what_was_typed(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await library_with_a_workshop(db, clock)
    await sign_in(client, "staff@example.org")
    form = {
        "title": "Löten für Anfänger",
        "description": "Vom Bausatz zur blinkenden LED.",
        "factor": "knowhow",
        "slug": "Not A Slug",
        "host": "Stadtbibliothek Ulm",
        "language": "de",
        "min_age": "12",
        "max_age": "10",
        "grants": "",
        "requires": "laser-cutter",
    }
    bad = await post_form(client, "/staff/workshops", form, form_page="/staff/workshops")
    assert bad.status_code == 422
    assert "Bitte nur Kleinbuchstaben, Ziffern und Bindestriche." in bad.text
    assert 'id="error-max_age"' in bad.text
    assert 'value="Löten für Anfänger"' in bad.text
    listed = await submit_form(
        client,
        "/staff/workshops",
        {**form, "slug": "", "max_age": "99"},
        form_page="/staff/workshops",
        lands_on="/staff/workshops?done=workshop_created",
    )
    assert "Löten für Anfänger" in listed.text
    assert 'role="status"' in listed.text
    again = await post_form(
        client, "/staff/workshops", {**form, "slug": "", "max_age": ""}, form_page="/staff/workshops"
    )
    assert again.status_code == 409
    assert 'id="error-slug"' in again.text


async def test_staff_add_a_session_that_books_its_room(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await library_with_a_workshop(db, clock)
    await sign_in(client, "staff@example.org")
    form = {
        "workshop": "laser-induction",
        "room": "makerspace",
        "day": "2026-12-07",
        "start": "16:00",
        "end": "15:00",
        "capacity": "8",
        "mode": "lottery",
        "registration_opens": "",
        "registration_closes": "2026-12-05T12:00",
    }
    backwards = await post_form(client, "/staff/workshops/sessions", form, form_page="/staff/workshops")
    assert backwards.status_code == 422
    assert 'id="error-end"' in backwards.text
    assert 'value="2026-12-05T12:00"' in backwards.text
    taken = await post_form(
        client,
        "/staff/workshops/sessions",
        {**form, "day": "2026-12-04", "start": "14:30", "end": "15:00"},
        form_page="/staff/workshops",
    )
    assert taken.status_code == 409  # the Friday session already holds the makerspace
    assert "error-summary" in taken.text
    added = await post_form(
        client, "/staff/workshops/sessions", {**form, "end": "18:00"}, form_page="/staff/workshops"
    )
    assert added.status_code == 303, added.text
    assert added.headers["location"].endswith("?done=session_added")
    async with db.read() as session:
        created = await session.scalar(select(WorkshopSession).where(WorkshopSession.capacity == 8))
        assert created is not None
        assert created.mode is SignupMode.LOTTERY
        assert created.start_at == at(date(2026, 12, 7), 16)
        assert created.registration_closes == at(date(2026, 12, 5), 12)
        booking = await session.get(Booking, created.booking_id)
        assert booking is not None
        assert booking.status is BookingStatus.CONFIRMED
    page = await client.get(added.headers["location"])
    assert "Verlosung" in page.text
    assert "Jetzt verlosen" not in page.text  # registration is still open


async def test_staff_add_a_hybrid_session_with_online_places_and_a_stream(
    client: Client, db: Database, clock: SettableClock
) -> None:
    await library_with_a_workshop(db, clock)
    await sign_in(client, "staff@example.org")
    form = {
        "workshop": "laser-induction",
        "room": "makerspace",
        "day": "2026-12-07",
        "start": "16:00",
        "end": "18:00",
        "capacity": "8",
        "mode": "first_come",
        "registration_opens": "",
        "registration_closes": "",
        "attendance_mode": "hybrid",
        "online_capacity": "20",
        "stream_url": "http://stream.example.org/laser",
        "stream_public": "on",
    }
    page = (await client.get("/staff/workshops", headers={"accept-language": "en"})).text
    for field in ("attendance_mode", "online_capacity", "stream_url", "stream_public"):
        assert f'id="field-{field}"' in page
    plain = await post_form(client, "/staff/workshops/sessions", form, form_page="/staff/workshops")
    assert plain.status_code == 422
    assert 'id="error-stream_url"' in plain.text
    assert "https://" in plain.text
    in_room = await post_form(
        client,
        "/staff/workshops/sessions",
        {**form, "attendance_mode": "in_person", "stream_url": ""},
        form_page="/staff/workshops",
    )
    assert in_room.status_code == 422
    assert 'id="error-online_capacity"' in in_room.text
    added = await post_form(
        client,
        "/staff/workshops/sessions",
        {**form, "stream_url": "https://stream.example.org/laser"},
        form_page="/staff/workshops",
    )
    assert added.status_code == 303, added.text
    async with db.read() as session:
        created = await session.scalar(select(WorkshopSession).where(WorkshopSession.capacity == 8))
    assert created is not None
    assert (created.attendance_mode.value, created.online_capacity) == ("hybrid", 20)
    assert (created.stream_url, created.stream_public) == ("https://stream.example.org/laser", True)
    shown = await client.get(added.headers["location"], headers={"accept-language": "en"})
    assert "Online places taken" in shown.text


async def test_staff_give_an_online_place_of_a_hybrid_session_by_hand(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(
        db,
        clock,
        attendance_mode=AttendanceMode.HYBRID,
        online_capacity=5,
        stream_url="https://s.example.org/x",
    )
    visitor = facts["visitors"][0]
    await sign_in(client, "staff@example.org")
    page = f"/staff/workshops/sessions/{facts['session'].id}"
    found = await client.get(f"{page}?person=Visitor%201", headers={"accept-language": "en"})
    assert 'id="field-participation"' in found.text
    added = await post_form(
        client,
        f"{page}/participants",
        {"person": "Visitor 1", "user_id": str(visitor.id), "participation": "online"},
        form_page=page,
    )
    assert added.status_code == 303, added.text
    async with db.read() as session:
        held = (await session.scalars(select(Registration).where(Registration.user_id == visitor.id))).one()
    assert (held.status, held.participation.value) == (RegistrationStatus.CONFIRMED, "online")
    shown = await client.get(page, headers={"accept-language": "en"})
    assert "Online places taken" in shown.text


async def test_a_session_lists_participants_and_the_waitlist_in_order(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(db, clock)
    await sign_up(db, clock, facts["session"].id, facts["visitors"])
    await sign_in(client, "staff@example.org")
    page = await client.get(f"/staff/workshops/sessions/{facts['session'].id}")
    assert page.status_code == 200
    participants, waitlist = page.text.split('id="waitlist"')
    assert "visitor1@example.org" in participants
    assert "visitor2@example.org" in participants
    assert "visitor3@example.org" in waitlist
    assert "visitor3@example.org" not in participants
    assert "Bestätigt" in participants
    assert "Einweisung Lasercutter" in participants  # attending grants it, and the page says so


async def test_staff_mark_attendance_in_one_form_which_grants_the_certification(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(db, clock)
    await sign_up(db, clock, facts["session"].id, facts["visitors"][:2])
    async with db.read() as session:
        first, second = (await session.scalars(select(Registration).order_by(Registration.id))).all()
    clock.set(at(FRIDAY, 16))
    await sign_in(client, "staff@example.org")
    page = f"/staff/workshops/sessions/{facts['session'].id}"
    nobody = await post_form(client, f"{page}/attendance", {}, form_page=page)
    assert nobody.status_code == 422
    assert "Bitte kreuzen Sie mindestens eine Person an" in nobody.text
    marked = await post_form(client, f"{page}/attendance", {f"attended-{first.id}": "on"}, form_page=page)
    assert marked.status_code == 303
    assert marked.headers["location"] == f"{page}?done=attendance"
    shown = await client.get(marked.headers["location"], headers={"accept-language": "en"})
    assert "Attendance was saved." in shown.text
    assert f'name="attended-{first.id}" value="on" checked disabled' in shown.text
    assert "Held until" in shown.text
    async with db.read() as session:
        held = (await session.scalars(select(UserCertification))).all()
        assert [h.user_id for h in held] == [first.user_id]
        assert held[0].expires_at is not None
        assert held[0].expires_at.date() == date(2027, 12, 4)
        statuses = {r.id: r.status for r in await session.scalars(select(Registration))}
        assert statuses == {first.id: RegistrationStatus.ATTENDED, second.id: RegistrationStatus.CONFIRMED}
        mails = list(await session.scalars(select(OutboxMessage.kind)))
        assert "certification.granted" in mails


async def test_staff_draw_a_lottery_once_registration_has_closed(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(
        db, clock, mode=SignupMode.LOTTERY, registration_closes=at(date(2026, 12, 3), 12)
    )
    await sign_up(db, clock, facts["session"].id, facts["visitors"])
    await sign_in(client, "staff@example.org")
    page = f"/staff/workshops/sessions/{facts['session'].id}"
    before = await client.get(page)
    assert "Jetzt verlosen" not in before.text
    assert before.text.count("Für die Verlosung angemeldet") == 3
    english = await client.get(page, headers={"accept-language": "en"})
    assert "3 people entered for 2 places." in english.text
    overview = await client.get("/staff/workshops", headers={"accept-language": "en"})
    assert "Lottery: 3 entered" in overview.text
    early = await post_form(client, f"{page}/draw", {}, form_page=page)
    assert early.status_code == 409  # registration is still open: a readable error page
    assert early.headers["content-type"].startswith("text/html")
    clock.set(at(date(2026, 12, 3), 12, 1))
    await sign_in(client, "staff@example.org")  # the session of two days ago has ended
    ready = await client.get(page)
    assert "Jetzt verlosen" in ready.text
    after = await submit_form(client, f"{page}/draw", {}, form_page=page)
    assert "Jetzt verlosen" not in after.text
    async with db.read() as session:
        registrations = list(await session.scalars(select(Registration).order_by(Registration.draw_rank)))
    assert [r.status.value for r in registrations] == ["confirmed", "confirmed", "waitlisted"]
    winner = registrations[0]
    holder = next(v for v in facts["visitors"] if v.id == winner.user_id)
    await service.cancel_registration(db, winner.id, actor=holder, now=clock.now())
    drawn = await client.get(page, headers={"accept-language": "en"})
    assert "3 people entered for 2 places." in drawn.text  # the entries the draw ranked, cancelled or not


async def test_staff_move_and_cancel_a_session(client: Client, db: Database, clock: SettableClock) -> None:
    facts = await library_with_a_workshop(db, clock)
    await sign_up(db, clock, facts["session"].id, facts["visitors"][:1])
    await sign_in(client, "staff@example.org")
    page = f"/staff/workshops/sessions/{facts['session'].id}"
    shown = await client.get(page)
    assert 'value="2026-12-04"' in shown.text
    assert 'value="14:00"' in shown.text
    bad = await post_form(
        client,
        f"{page}/move",
        {"day": "4.12.", "start": "15:00", "end": "16:00", "move_reason": ""},
        form_page=page,
    )
    assert bad.status_code == 422
    assert 'id="error-day"' in bad.text
    assert 'value="4.12."' in bad.text
    moved = await post_form(
        client,
        f"{page}/move",
        {"day": "2026-12-04", "start": "16:00", "end": "17:30", "move_reason": "Raumtausch"},
        form_page=page,
    )
    assert moved.status_code == 303
    no_reason = await post_form(client, f"{page}/cancel", {"cancel_reason": " "}, form_page=page)
    assert no_reason.status_code == 422
    assert 'id="error-cancel_reason"' in no_reason.text
    asked = await post_form(client, f"{page}/cancel", {"cancel_reason": "Krankheit"}, form_page=page)
    assert asked.status_code == 200
    assert 'name="cancel_reason" value="Krankheit"' in asked.text
    assert "button danger" in asked.text
    cancelled = await post_form(
        client, f"{page}/cancel", {"cancel_reason": "Krankheit", "confirm": "yes"}, form_page=page
    )
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"{page}?done=session_cancelled"
    async with db.read() as session:
        found = await session.get(WorkshopSession, facts["session"].id)
        assert found is not None
        assert found.start_at == at(FRIDAY, 16)
        assert found.cancelled_at is not None
        kinds = list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
    assert kinds[-2:] == ["workshop_session.moved", "workshop_session.cancelled"]
    after = (await client.get(cancelled.headers["location"])).text
    assert "Termin abgesagt" in after
    assert f'action="{page}/cancel"' not in after
    assert timedelta(hours=1, minutes=30) == found.end_at - found.start_at


async def test_sessions_of_long_ago_leave_the_list_recent_ones_stay(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(db, clock)
    await sign_in(client, "staff@example.org")
    link = f'href="/staff/workshops/sessions/{facts["session"].id}"'
    for days_ago, listed in ((29, True), (31, False)):
        async with db.write() as session:
            found = await session.get(WorkshopSession, facts["session"].id)
            assert found is not None
            found.end_at = clock.now() - timedelta(days=days_ago)
            found.start_at = found.end_at - timedelta(hours=1)
        page = await client.get("/staff/workshops")
        assert (link in page.text) is listed
    assert "Keine Termine in Zukunft oder in den letzten 30 Tagen." in page.text


async def test_a_session_cannot_move_onto_another_booking_of_its_room(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(db, clock)
    later = await service.add_session(
        db,
        "laser-induction",
        service.NewSession(start=at(FRIDAY, 16), end=at(FRIDAY, 17), room="makerspace", capacity=2),
        actor=facts["staff"],
        now=clock.now(),
    )
    await sign_in(client, "staff@example.org")
    page = f"/staff/workshops/sessions/{later.id}"
    clash = await post_form(
        client, f"{page}/move", {"day": "2026-12-04", "start": "15:00", "end": "16:00"}, form_page=page
    )
    assert clash.status_code == 409
    assert "Zu dieser Zeit ist nichts mehr frei." in clash.text
    assert 'value="15:00"' in clash.text  # what was typed stays
    api = await client.patch(
        f"/api/v1/workshop-sessions/{later.id}",
        json={"start": at(FRIDAY, 15).isoformat(), "end": at(FRIDAY, 16).isoformat()},
        headers=factories.bearer(await factories.get_token(client, "staff@example.org")),
    )
    factories.assert_problem(api, 409, "slot_taken")  # the API says the same
    async with db.read() as session:
        kept = await session.get(WorkshopSession, later.id)
        assert kept is not None
        assert kept.start_at == at(FRIDAY, 16)


async def test_a_participant_who_deleted_their_account_is_not_named(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(db, clock)
    await sign_up(db, clock, facts["session"].id, facts["visitors"][:1])
    async with db.write() as session:
        gone = await session.get(User, facts["visitors"][0].id)
        assert gone is not None
        gone.name, gone.email, gone.deleted_at = "", "deleted-1@invalid", clock.now()
    await sign_in(client, "staff@example.org")
    page = await client.get(f"/staff/workshops/sessions/{facts['session'].id}")
    assert "Gelöschtes Konto" in page.text
    assert "deleted-1@invalid" not in page.text


DST_GAP_DAY = "2027-03-28"  # the last Sunday of March: clocks jump from 02:00 to 03:00


async def test_session_forms_refuse_a_time_the_clocks_skip(
    client: Client, db: Database, clock: SettableClock
) -> None:
    """02:30 on the day summer time starts does not exist: a message next to the field, not a
    session shifted silently by an hour (adding and moving a session alike)."""
    facts = await library_with_a_workshop(db, clock)
    await sign_in(client, "staff@example.org")
    form = {
        "workshop": "laser-induction",
        "room": "makerspace",
        "day": DST_GAP_DAY,
        "start": "02:30",
        "end": "04:00",
        "capacity": "8",
        "mode": "first_come",
        "registration_opens": "",
        "registration_closes": "",
    }
    added = await post_form(client, "/staff/workshops/sessions", form, form_page="/staff/workshops")
    assert added.status_code == 422
    assert 'id="error-start"' in added.text
    assert "Uhren werden eine Stunde vorgestellt" in added.text
    page = f"/staff/workshops/sessions/{facts['session'].id}"
    moved = await post_form(
        client,
        f"{page}/move",
        {"day": DST_GAP_DAY, "start": "01:00", "end": "02:15", "move_reason": ""},
        form_page=page,
    )
    assert moved.status_code == 422
    assert 'id="error-end"' in moved.text
    async with db.read() as session:
        count = await session.scalar(select(func.count()).select_from(WorkshopSession))
        unmoved = await session.get(WorkshopSession, facts["session"].id)
    assert count == 1
    assert unmoved is not None
    assert unmoved.start_at == facts["session"].start_at


async def test_staff_download_the_participant_list_as_csv_with_formulas_neutralised(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(db, clock)
    sly = await factories.create_user(db, "sly@example.org", name="=HYPERLINK(1)")
    await sign_up(db, clock, facts["session"].id, [*facts["visitors"][:2], sly])
    page = f"/staff/workshops/sessions/{facts['session'].id}"
    await sign_in(client, "visitor1@example.org")
    assert (await client.get(f"{page}/participants.csv")).status_code == 403
    await sign_in(client, "staff@example.org")
    shown = await client.get(page)
    assert f'href="{page}/participants.csv"' in shown.text
    assert 'class="staff-form no-print"' in shown.text  # the forms stay off the printed list
    english = await client.get(f"{page}/participants.csv", headers={"accept-language": "en"})
    assert english.status_code == 200
    assert english.headers["content-type"].startswith("text/csv")
    assert "attachment" in english.headers["content-disposition"]
    lines = english.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "Name,E-mail,Status,Waitlist",
        "Visitor 1,visitor1@example.org,Confirmed,",
        "Visitor 2,visitor2@example.org,Confirmed,",
        "'=HYPERLINK(1),sly@example.org,Waitlisted,1",
    ]
    german = await client.get(f"{page}/participants.csv")
    assert german.content.decode("utf-8-sig").splitlines()[0] == "Name,E-Mail,Status,Warteliste"


async def test_staff_take_attendance_at_the_door_searching_by_name(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(db, clock)
    facts_session = facts["session"].id
    await sign_up(db, clock, facts_session, facts["visitors"])  # two places, the third waits
    async with db.read() as session:
        first, second, waiting = (await session.scalars(select(Registration).order_by(Registration.id))).all()
    door = f"/staff/workshops/sessions/{facts_session}/door"
    await sign_in(client, "visitor1@example.org")
    assert (await client.get(door)).status_code == 403
    clock.set(at(FRIDAY, 13, 55))
    await sign_in(client, "staff@example.org")
    everyone = await client.get(door, headers={"accept-language": "en"})
    assert everyone.status_code == 200
    assert "0 of 2 are here." in everyone.text
    assert f'id="attended-{first.id}"' in everyone.text
    assert f'id="attended-{second.id}"' in everyone.text
    assert f'id="attended-{waiting.id}"' not in everyone.text  # on the waitlist: no place to tick
    found = await client.get(f"{door}?q=visitor+2", headers={"accept-language": "en"})
    assert f'id="attended-{second.id}"' in found.text
    assert f'id="attended-{first.id}"' not in found.text
    nobody = await post_form(
        client,
        f"/staff/workshops/sessions/{facts_session}/attendance",
        {"from": "door", "q": "visitor 2"},
        form_page=door,
    )
    assert nobody.status_code == 422
    assert "Bitte kreuzen Sie mindestens eine Person an" in nobody.text
    assert 'value="visitor 2"' in nobody.text  # the search typed is kept
    ticked = await post_form(
        client,
        f"/staff/workshops/sessions/{facts_session}/attendance",
        {"from": "door", "q": "visitor 2", f"attended-{second.id}": "on"},
        form_page=door,
    )
    assert ticked.status_code == 303
    assert ticked.headers["location"] == f"{door}?q=visitor+2&done=attendance"
    after = await client.get(ticked.headers["location"])
    assert "1 von 2 sind da." in after.text
    assert f'name="attended-{second.id}" value="on" checked disabled' in after.text
    async with db.read() as session:
        marked = await session.get(Registration, second.id)
        assert marked is not None
        assert marked.status is RegistrationStatus.ATTENDED
        held = (await session.scalars(select(UserCertification))).one()
    assert held.user_id == second.user_id
    assert held.granted_at == at(FRIDAY, 14)  # holds from the session's start, not from 13:55


async def test_staff_add_a_participant_by_hand_beyond_the_places_only_with_a_reason(
    client: Client, db: Database, clock: SettableClock
) -> None:
    facts = await library_with_a_workshop(db, clock)
    session_id = facts["session"].id
    await sign_up(db, clock, session_id, facts["visitors"][:2])  # both places taken
    late = await factories.create_user(db, "late@example.org", name="Lena Spät")
    page = f"/staff/workshops/sessions/{session_id}"
    await sign_in(client, "staff@example.org")
    found = await client.get(f"{page}?person=sp%C3%A4t", headers={"accept-language": "en"})
    assert f'id="person-{late.id}"' in found.text
    assert 'id="person-' + str(facts["visitors"][0].id) + '"' not in found.text
    nobody = await post_form(client, f"{page}/participants", {"person": "spät"}, form_page=page)
    assert nobody.status_code == 422
    no_reason = await post_form(
        client, f"{page}/participants", {"person": "spät", "user_id": str(late.id)}, form_page=page
    )
    assert no_reason.status_code == 409
    assert "Alle 2 Plätze sind vergeben" in no_reason.text
    assert f'id="person-{late.id}" name="user_id" value="{late.id}" checked' in no_reason.text  # kept
    added = await post_form(
        client,
        f"{page}/participants",
        {"person": "spät", "user_id": str(late.id), "reason": "Begleitperson"},
        form_page=page,
    )
    assert added.status_code == 303
    again = await post_form(
        client,
        f"{page}/participants",
        {"person": "spät", "user_id": str(late.id), "reason": "Begleitperson"},
        form_page=page,
    )
    assert again.status_code == 409
    async with db.read() as session:
        held = (await session.scalars(select(Registration).where(Registration.user_id == late.id))).one()
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "registration.added_by_staff")
        )
        mails = list(
            await session.scalars(select(OutboxMessage.kind).where(OutboxMessage.user_id == late.id))
        )
    assert held.status is RegistrationStatus.CONFIRMED
    assert entry is not None
    assert entry.reason == "Begleitperson"
    assert entry.actor_id == facts["staff"].id
    assert mails == ["registration.confirmed"]


async def test_staff_write_to_everyone_holding_a_place_through_the_outbox(
    client: Client, db: Database, clock: SettableClock, settings: Settings, smtp: Inbox
) -> None:
    facts = await library_with_a_workshop(db, clock)
    session_id = facts["session"].id
    await sign_up(db, clock, session_id, facts["visitors"])  # two places, visitor 3 waits
    page = f"/staff/workshops/sessions/{session_id}"
    await sign_in(client, "staff@example.org")
    empty = await post_form(client, f"{page}/mail", {"subject": "Raumänderung", "body": ""}, form_page=page)
    assert empty.status_code == 422
    assert 'value="Raumänderung"' in empty.text  # nothing typed is lost
    body = "Wir treffen uns im Makerspace.\n\nBitte festes Schuhwerk."
    sent = await post_form(client, f"{page}/mail", {"subject": "Raumänderung", "body": body}, form_page=page)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"{page}?done=mailed"
    queued = [m for m in await outbox(db) if m.kind == "workshop_session.message"]
    assert sorted(m.recipient for m in queued) == ["visitor1@example.org", "visitor2@example.org"]
    assert (await run_jobs_once(db, clock, replace(settings, smtp_url=smtp.url)))["send_outbox"] >= 2
    mails = [m for m in smtp.accepted if m["Subject"] == "Raumänderung"]
    assert len(mails) == 2
    assert "Bitte festes Schuhwerk." in text_of(mails[0])
