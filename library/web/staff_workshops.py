"""Staff: workshops and their sessions, and one session's people: participants, waitlist,
lottery and attendance. Every change goes through library.workshops.service, as the API's do."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Response, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts import people
from library.accounts.models import Certification, UserCertification
from library.booking.service import RuleBroken, SlotTaken
from library.catalog import csv_io
from library.catalog.factors import FACTOR_TEXTS
from library.catalog.inventory import slugify
from library.catalog.models import Factor, Resource, ResourceKind
from library.config import Settings
from library.errors import LibraryError, NotFound, message
from library.http.deps import ClockDep, DatabaseDep
from library.http.problems import status_of
from library.http.viewer import UserDep, staff_only
from library.i18n import DEFAULT_LANGUAGE, N_, Lang, known_language, pick, translate
from library.web import parsing
from library.web.common import (
    Form,
    PageContext,
    PageContextDep,
    confirm_page,
    confirmed,
    form_values,
    see_other,
)
from library.workshops import service
from library.workshops.errors import room_refused
from library.workshops.models import (
    HOLDING_STATUSES,
    AttendanceMode,
    Participation,
    Registration,
    RegistrationStatus,
    SignupMode,
    Workshop,
    WorkshopSession,
)
from library.workshops.queries import (
    WORKSHOP_OPTIONS,
    SessionSummary,
    session_at_desk,
    session_summaries,
    workshop_with_sessions,
)
from library.workshops.rules import online_capacity_problem, stream_problem

NOTICES = {
    "workshop_created": N_("The workshop was created."),
    "session_added": N_("The session was added and its room booked."),
    "session_moved": N_("The session was moved; everyone registered will be told."),
    "session_cancelled": N_(
        "The session was cancelled and its room freed; everyone registered will be told."
    ),
    "drawn": N_("The places were drawn; everyone who entered will be told."),
    "attendance": N_("Attendance was saved."),
    "mailed": N_("The message was queued for everyone holding a place."),
    "participant_added": N_("The person was given a place and will get a confirmation by e-mail."),
    "workshop_updated": N_("The workshop was saved."),
    "workshop_copied": N_("The workshop was copied and the rooms of its sessions booked."),
    "session_changed": N_("The session was saved; if its room changed, everyone registered will be told."),
}
FOUND_PEOPLE = 10
"""How many matches of the participant search the session page lists."""

STATUS_WORDS = {
    RegistrationStatus.CONFIRMED: N_("Confirmed"),
    RegistrationStatus.OFFERED: N_("Place offered"),
    RegistrationStatus.ATTENDED: N_("Attended"),
    RegistrationStatus.ENTERED: N_("Entered in the lottery"),
    RegistrationStatus.WAITLISTED: N_("Waitlisted"),
}
"""A registration's state in the participant list's file (the page says the same in its badges)."""

WORKSHOP_FIELDS = {"grants_certification": "grants", "required_certification": "requires"}
SESSION_EDIT_FIELDS = {
    "capacity": "capacity",
    "online_capacity": "online_capacity",
    "attendance_mode": "attendance_mode",
    "stream_url": "stream_url",
    "room": "room",
}
DAY_PREFIX = "day-"
"""A copy's form names a session's own new date `day-<original session id>`."""
ATTENDED_PREFIX = "attended-"
RECENT = timedelta(days=30)
"""Sessions that ended this long ago are still listed: attendance is often marked afterwards."""


class StaffWorkshopPages(Controller):
    path = "/staff/workshops"
    include_in_schema = False
    guards = (staff_only,)

    @get("/", name="staff-workshops")
    async def overview(self, context: PageContextDep) -> Template:
        return await overview_page(context)

    @post("/", name="staff-workshops-create")
    async def create_workshop(
        self,
        context: PageContextDep,
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        lang = context.lang
        form = Form(values=form_values(data))
        new = read_workshop(form, lang)
        status = 422
        if new is not None:
            try:
                await service.create_workshop(context.db, new, actor=user, now=context.now)
                return see_other("/staff/workshops", done="workshop_created")
            except LibraryError as problem:
                if problem.code == "slug_taken":
                    form.add("slug", problem.detail(lang))
                else:
                    form.absorb(problem, lang, fields=WORKSHOP_FIELDS)
                status = status_of(problem)
        return await overview_page(context, workshop_form=form, status=status)

    @get("/{slug:str}/edit", name="staff-workshop-edit")
    async def edit_workshop(self, context: PageContextDep, slug: FromPath[str]) -> Template:
        return await workshop_edit_page(context, slug)

    @post("/{slug:str}/edit", name="staff-workshop-update")
    async def update_workshop(
        self,
        context: PageContextDep,
        slug: FromPath[str],
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """The same fields as a new workshop's, but the slug stays (links to it keep working)."""
        lang = context.lang
        form = Form(values=form_values(data))
        new = read_workshop(form, lang)
        status = 422
        if new is not None:
            try:
                await service.update_workshop(
                    context.db, replace(new, slug=slug), actor=user, now=context.now
                )
                return see_other("/staff/workshops", done="workshop_updated")
            except LibraryError as problem:
                form.absorb(problem, lang, fields=WORKSHOP_FIELDS, raising=(NotFound,))
                status = status_of(problem)
        return await workshop_edit_page(context, slug, form=form, status=status)

    @get("/{slug:str}/copy", name="staff-workshop-copy-form")
    async def copy_form(self, context: PageContextDep, slug: FromPath[str]) -> Template:
        return await workshop_copy_page(context, slug)

    @post("/{slug:str}/copy", name="staff-workshop-copy")
    async def copy(
        self,
        context: PageContextDep,
        slug: FromPath[str],
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """A copy with its sessions on new dates: all or nothing, a refused room named per session."""
        lang = context.lang
        form = Form(values=form_values(data))
        first_day = parsing.day(form, "first_day", lang, required=True)
        new_slug = parsing.text(form, "slug", lang, max_length=80)
        if new_slug and new_slug != slugify(new_slug):
            form.add("slug", translate(lang, N_("Only lower-case letters, digits and hyphens, please.")))
        days = {}
        for name in data:
            number = name.removeprefix(DAY_PREFIX)
            if name.startswith(DAY_PREFIX) and number.isdigit() and (chosen := parsing.day(form, name, lang)):
                days[int(number)] = chosen
        status = 422
        if first_day is not None and not form.has_errors:
            copy = service.Copy(first_day=first_day, days=days, slug=new_slug or None)
            try:
                await service.duplicate_workshop(
                    context.db, slug, copy, actor=user, zone=context.settings.zone, now=context.now
                )
                return see_other("/staff/workshops", done="workshop_copied")
            except LibraryError as problem:
                form.absorb(problem, lang, raising=(NotFound,))
                for refused in problem.extra.get("conflicts", []):
                    form.add(f"{DAY_PREFIX}{refused['session']}", refusal_words(refused["code"], lang))
                status = status_of(problem)
        return await workshop_copy_page(context, slug, form=form, status=status)

    @post("/sessions", name="staff-workshops-add-session")
    async def add_session(
        self,
        context: PageContextDep,
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        lang = context.lang
        form = Form(values=form_values(data))
        new = read_session(form, lang, context.settings)
        status = 422
        if new is not None:
            try:
                try:
                    created = await service.add_session(
                        context.db,
                        form.value("workshop"),
                        new,
                        actor=user,
                        now=context.now,
                    )
                except (RuleBroken, SlotTaken) as error:
                    raise room_refused(error) from error
                return see_other(f"/staff/workshops/sessions/{created.id}", done="session_added")
            except LibraryError as problem:
                form.absorb(
                    problem,
                    lang,
                    fields={
                        "start": "start",
                        "end": "end",
                        "stream_url": "stream_url",
                        "online_capacity": "online_capacity",
                    },
                )
                status = status_of(problem)
        return await overview_page(context, session_form=form, status=status)

    @get("/sessions/{session_id:int}", name="staff-workshop-session")
    async def session_page(
        self, context: PageContextDep, session_id: FromPath[int], person: FromQuery[str] = ""
    ) -> Template:
        return await one_session_page(context, session_id, add_form=Form(values={"person": person}))

    @post("/sessions/{session_id:int}/mail", name="staff-workshop-mail")
    async def mail(
        self,
        context: PageContextDep,
        session_id: FromPath[int],
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """Write to everyone holding a place, through the outbox."""
        lang = context.lang
        form = Form(values=form_values(data))
        subject = parsing.text(form, "subject", lang, required=True, max_length=200)
        body = parsing.text(form, "body", lang, required=True, max_length=10_000, multiline=True)
        if form.has_errors:
            return await one_session_page(context, session_id, mail_form=form, status=422)
        await service.mail_participants(
            context.db, session_id, subject=subject, body=body, actor=user, now=context.now
        )
        return see_other(f"/staff/workshops/sessions/{session_id}", done="mailed")

    @post("/sessions/{session_id:int}/participants", name="staff-workshop-add-participant")
    async def add_participant(
        self,
        context: PageContextDep,
        session_id: FromPath[int],
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """A participant added by hand: one of the people the search found, a reason if full."""
        lang = context.lang
        form = Form(values=form_values(data))
        reason = parsing.text(form, "reason", lang, max_length=500)
        chosen = form.value("user_id")
        if not chosen.isdigit():
            form.add("user_id", translate(lang, N_("Please choose the person to add.")))
        status = 422
        if not form.has_errors:
            try:
                await service.add_by_hand(
                    context.db,
                    session_id,
                    int(chosen),
                    reason=reason or None,
                    actor=user,
                    now=context.now,
                    participation=parsing.participation(form.value("participation")),
                )
                return see_other(f"/staff/workshops/sessions/{session_id}", done="participant_added")
            except LibraryError as problem:
                form.absorb(
                    problem,
                    lang,
                    fields={"reason": "reason", "participation": "participation"},
                    raising=(NotFound,),
                )
                status = status_of(problem)
        return await one_session_page(context, session_id, add_form=form, status=status)

    @get("/sessions/{session_id:int}/participants.csv", name="staff-workshop-participants-csv")
    async def participants_csv(self, context: PageContextDep, session_id: FromPath[int]) -> Response[bytes]:
        """The participant list and the waitlist as a spreadsheet, in the page's language."""
        lang = context.lang
        async with context.db.read() as session:
            registrations = (
                await session_at_desk(session, session_id, context.settings.zone, context.now)
            ).registrations
        header = [translate(lang, word) for word in (N_("Name"), N_("E-mail"), N_("Status"), N_("Waitlist"))]
        rows = [header]
        for r in registrations:
            if r.status not in STATUS_WORDS:
                continue
            gone = r.user is None or r.user.deleted_at is not None
            rows.append(
                [
                    translate(lang, N_("Deleted account")) if gone or r.user is None else r.user.name,
                    "" if gone or r.user is None else r.user.email,
                    translate(lang, STATUS_WORDS[r.status]),
                    "" if r.waitlist_position is None else str(r.waitlist_position),
                ]
            )
        return Response(
            ("\ufeff" + csv_io.table_text(rows)).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="participants-session-{session_id}.csv"'},
        )

    @get("/sessions/{session_id:int}/door", name="staff-workshop-door")
    async def door(
        self, context: PageContextDep, session_id: FromPath[int], q: FromQuery[str] = ""
    ) -> Template:
        """Attendance on the day, at the door: big tick boxes, the list narrowed by a name."""
        return await door_page(context, session_id, q)

    @post("/sessions/{session_id:int}/attendance", name="staff-workshop-attendance")
    async def attendance(
        self,
        context: PageContextDep,
        session_id: FromPath[int],
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """One form for the whole list: every ticked box is one registration that attended."""
        lang = context.lang
        chosen = []
        for name in data:
            if name.startswith(ATTENDED_PREFIX) and name.removeprefix(ATTENDED_PREFIX).isdigit():
                chosen.append(int(name.removeprefix(ATTENDED_PREFIX)))
        form = Form(values=form_values(data))
        at_door = form.value("from") == "door"
        status = 422
        if not chosen:
            form.general = translate(lang, N_("Please tick at least one person who took part."))
        else:
            try:
                await service.mark_attendance(context.db, session_id, chosen, actor=user, now=context.now)
                if at_door:
                    return see_other(
                        f"/staff/workshops/sessions/{session_id}/door", done="attendance", q=form.value("q")
                    )
                return see_other(f"/staff/workshops/sessions/{session_id}", done="attendance")
            except LibraryError as problem:
                form.general = problem.detail(lang)
                status = status_of(problem)
        if at_door:
            return await door_page(context, session_id, form.value("q"), form=form, status=status)
        return await one_session_page(context, session_id, attendance_form=form, status=status)

    @post("/sessions/{session_id:int}/draw", name="staff-workshop-draw")
    async def draw(
        self,
        session_id: FromPath[int],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
    ) -> Redirect:
        """The lottery by hand, once registration has closed (the scheduler would do it too)."""
        await service.draw(db, session_id, seed=None, actor=user, now=clock.now())
        return see_other(f"/staff/workshops/sessions/{session_id}", done="drawn")

    @post("/sessions/{session_id:int}/edit", name="staff-workshop-session-edit")
    async def edit_session(
        self,
        context: PageContextDep,
        session_id: FromPath[int],
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """Room, places and attendance; a new room is a move, told to everyone registered."""
        lang = context.lang
        form = Form(values=form_values(data))
        change = read_session_change(form, lang)
        status = 422
        if change is not None:
            try:
                await service.edit_session(context.db, session_id, change, actor=user, now=context.now)
                return see_other(f"/staff/workshops/sessions/{session_id}", done="session_changed")
            except LibraryError as problem:
                form.absorb(problem, lang, fields=SESSION_EDIT_FIELDS, raising=(NotFound,))
                status = status_of(problem)
        return await one_session_page(context, session_id, edit_form=form, status=status)

    @post("/sessions/{session_id:int}/move", name="staff-workshop-move")
    async def move(
        self,
        context: PageContextDep,
        session_id: FromPath[int],
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        lang = context.lang
        form = Form(values=form_values(data))
        day = parsing.day(form, "day", lang, required=True)
        start = parsing.clock_time(form, "start", lang, required=True)
        end = parsing.clock_time(form, "end", lang, required=True)
        reason = parsing.text(form, "move_reason", lang)
        zone = context.settings.zone
        begins = parsing.instant(form, "start", lang, day, start, zone) if day and start else None
        ends = parsing.instant(form, "end", lang, day, end, zone) if day and end else None
        status = 422
        if begins and ends and not form.has_errors:
            try:
                change = service.SessionChange(start=begins, end=ends, reason=reason or None)
                await service.edit_session(context.db, session_id, change, actor=user, now=context.now)
                return see_other(f"/staff/workshops/sessions/{session_id}", done="session_moved")
            except LibraryError as problem:
                form.absorb(problem, lang, fields={"start": "start", "end": "end"})
                status = status_of(problem)
        return await one_session_page(context, session_id, move_form=form, status=status)

    @post("/sessions/{session_id:int}/cancel", name="staff-workshop-cancel")
    async def cancel(
        self,
        context: PageContextDep,
        session_id: FromPath[int],
        user: UserDep,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        lang = context.lang
        form = Form(values=form_values(data))
        reason = parsing.text(form, "cancel_reason", lang, required=True)
        if form.has_errors:
            return await one_session_page(context, session_id, cancel_form=form, status=422)
        if not confirmed(data):
            return confirm_page(
                context,
                data,
                action=f"/staff/workshops/sessions/{session_id}/cancel",
                heading=translate(lang, N_("Cancel this session?")),
                subject=translate(lang, N_("Session %(id)s"), id=session_id),
                details=reason,
                consequence=translate(
                    lang, N_("Its room is freed and everyone registered or waiting gets an e-mail.")
                ),
                yes=translate(lang, N_("Yes, cancel the session")),
                no=translate(lang, N_("No, keep it")),
                back=f"/staff/workshops/sessions/{session_id}",
            )
        await service.move_or_cancel_session(
            context.db,
            session_id,
            start=None,
            end=None,
            cancel=True,
            reason=reason,
            actor=user,
            now=context.now,
        )
        return see_other(f"/staff/workshops/sessions/{session_id}", done="session_cancelled")


def read_workshop(form: Form, lang: Lang) -> service.NewWorkshop | None:
    """The new-workshop form as the service's NewWorkshop, or None with the messages in `form`."""
    title = parsing.text(form, "title", lang, required=True, max_length=200)
    title_en = parsing.text(form, "title_en", lang, max_length=200)
    description = parsing.text(form, "description", lang, required=True, max_length=10_000, multiline=True)
    description_en = parsing.text(form, "description_en", lang, max_length=10_000, multiline=True)
    slug = parsing.text(form, "slug", lang, max_length=80)
    host = parsing.text(form, "host", lang, required=True, max_length=200)
    min_age = parsing.whole_number(form, "min_age", lang, low=0, high=120)
    max_age = parsing.whole_number(form, "max_age", lang, low=0, high=120)
    offer_hours = parsing.whole_number(form, "offer_hours", lang, low=1, high=168)
    factor = form.value("factor")
    if factor not in Factor.__members__.values():
        form.add("factor", translate(lang, N_("Please choose one of the five factors.")))
    if slug and slug != slugify(slug):
        form.add("slug", translate(lang, N_("Only lower-case letters, digits and hyphens, please.")))
    if min_age is not None and max_age is not None and min_age > max_age:
        form.add("max_age", translate(lang, N_("The highest age must not be below the lowest.")))
    if form.has_errors:
        return None
    return service.NewWorkshop(
        title=title,
        title_en=title_en or None,
        description=description,
        description_en=description_en or None,
        factor=Factor(factor),
        slug=slug or slugify(title),
        host=host,
        language=known_language(form.value("language")),
        min_age=min_age,
        max_age=max_age,
        grants_certification=form.value("grants") or None,
        required_certification=form.value("requires") or None,
        offer_hours=offer_hours,
    )


def read_session_change(form: Form, lang: Lang) -> service.SessionChange | None:
    """The session's room, places and attendance form, or None with the messages in `form`."""
    if not form.value("room"):
        form.add("room", translate(lang, parsing.REQUIRED))
    capacity = parsing.whole_number(form, "capacity", lang, low=1, high=10_000, required=True)
    online_capacity = parsing.whole_number(form, "online_capacity", lang, low=1, high=10_000)
    stream_url = parsing.text(form, "stream_url", lang, max_length=500)
    reason = parsing.text(form, "change_reason", lang, max_length=500)
    attendance = form.value("attendance_mode")
    if attendance not in AttendanceMode.__members__.values():
        form.add("attendance_mode", translate(lang, N_("Please choose how people take part.")))
    if form.has_errors:
        return None
    return service.SessionChange(
        room=form.value("room"),
        capacity=capacity,
        online_capacity=online_capacity,
        attendance_mode=AttendanceMode(attendance),
        stream_url=stream_url,
        stream_public=form.value("stream_public") == "on",
        reason=reason or None,
    )


def refusal_words(code: str, lang: Lang) -> str:
    """Why a copied session's room was refused, next to its new date."""
    if code == "slot_taken":
        return translate(lang, N_("The room is already booked at that time."))
    return message(code, lang)


def workshop_values(details: service.NewWorkshop) -> dict[str, str]:
    """A workshop's details as its form shows them."""
    values = {name: "" if value is None else str(value) for name, value in asdict(details).items()}
    values["grants"] = values.pop("grants_certification")
    values["requires"] = values.pop("required_certification")
    return values


async def workshop_edit_page(
    context: PageContext, slug: str, *, form: Form | None = None, status: int = 200
) -> Template:
    async with context.db.read() as session:
        workshop = await workshop_with_sessions(session, slug)
        if workshop is None:
            raise NotFound(N_("The workshop '%(slug)s'"), slug=slug)
        offered = await choices(session, context.lang)
    return context.render(
        "staff/workshop_edit.html",
        status=status,
        workshop=workshop,
        workshop_form=form or Form(values=workshop_values(service.workshop_details(workshop))),
        **offered,
    )


async def workshop_copy_page(
    context: PageContext, slug: str, *, form: Form | None = None, status: int = 200
) -> Template:
    async with context.db.read() as session:
        workshop = await workshop_with_sessions(session, slug)
        if workshop is None:
            raise NotFound(N_("The workshop '%(slug)s'"), slug=slug)
    return context.render(
        "staff/workshop_copy.html",
        status=status,
        workshop=workshop,
        sessions=[s for s in workshop.sessions if s.cancelled_at is None],
        zone=context.settings.zone,
        day_prefix=DAY_PREFIX,
        form=form or Form(),
    )


def read_session(form: Form, lang: Lang, settings: Settings) -> service.NewSession | None:
    if not form.value("workshop"):
        form.add("workshop", translate(lang, parsing.REQUIRED))
    if not form.value("room"):
        form.add("room", translate(lang, parsing.REQUIRED))
    day = parsing.day(form, "day", lang, required=True)
    start = parsing.clock_time(form, "start", lang, required=True)
    end = parsing.clock_time(form, "end", lang, required=True)
    capacity = parsing.whole_number(form, "capacity", lang, low=1, high=10_000, required=True)
    opens = parsing.local_moment(form, "registration_opens", lang, settings.zone)
    closes = parsing.local_moment(form, "registration_closes", lang, settings.zone)
    if form.value("mode") not in SignupMode.__members__.values():
        form.add("mode", translate(lang, N_("Please choose how places are given.")))
    attendance = form.value("attendance_mode") or AttendanceMode.IN_PERSON.value
    if attendance not in AttendanceMode.__members__.values():
        form.add("attendance_mode", translate(lang, N_("Please choose where people take part.")))
        attendance = AttendanceMode.IN_PERSON.value
    stream_url = parsing.text(form, "stream_url", lang, max_length=500) or None
    stream = stream_problem(attendance, stream_url)
    if stream is not None and "stream_url" not in form.errors:
        form.add("stream_url", message(stream, lang))
    online_capacity = parsing.whole_number(form, "online_capacity", lang, low=1, high=10_000)
    online = online_capacity_problem(attendance, online_capacity)
    if online is not None:
        form.add("online_capacity", message(online, lang))
    if start and end and end <= start:
        form.add("end", message("end_before_start", lang))
    begins = parsing.instant(form, "start", lang, day, start, settings.zone) if day and start else None
    ends = parsing.instant(form, "end", lang, day, end, settings.zone) if day and end else None
    if form.has_errors or begins is None or ends is None or capacity is None:
        return None
    return service.NewSession(
        start=begins,
        end=ends,
        room=form.value("room"),
        capacity=capacity,
        registration_opens=opens,
        registration_closes=closes,
        mode=SignupMode(form.value("mode")),
        attendance_mode=AttendanceMode(attendance),
        stream_url=stream_url,
        stream_public=form.value("stream_public") == "on",
        online_capacity=online_capacity,
    )


async def choices(session: AsyncSession, lang: Lang) -> dict[str, list[tuple[str, str]]]:
    """What the forms offer: factors, certifications, rooms and signup modes, in the reader's words."""
    certifications = await session.scalars(select(Certification).order_by(Certification.key))
    rooms = await session.scalars(
        select(Resource)
        .where(Resource.kind == ResourceKind.ROOM, Resource.active.is_(True))
        .order_by(Resource.name)
    )
    return {
        "factors": [(factor.value, text.localised(lang)[0]) for factor, text in FACTOR_TEXTS.items()],
        "certifications": [(c.key, pick(lang, c.name, c.name_en)) for c in certifications],
        "rooms": [(r.slug, pick(lang, r.name, r.name_en)) for r in rooms],
        "modes": [
            (SignupMode.FIRST_COME.value, translate(lang, N_("First come, first served (with a waitlist)"))),
            (SignupMode.LOTTERY.value, translate(lang, N_("Lottery after registration closes"))),
        ],
        "attendance_modes": [
            (AttendanceMode.IN_PERSON.value, translate(lang, N_("In the room"))),
            (AttendanceMode.ONLINE.value, translate(lang, N_("Online only"))),
            (AttendanceMode.HYBRID.value, translate(lang, N_("In the room or online"))),
        ],
    }


@dataclass(frozen=True)
class ListedSession:
    session: WorkshopSession
    facts: SessionSummary


async def overview_page(
    context: PageContext,
    *,
    workshop_form: Form | None = None,
    session_form: Form | None = None,
    status: int = 200,
) -> Template:
    lang = context.lang
    async with context.db.read() as session:
        workshops = list(
            (
                await session.scalars(select(Workshop).order_by(Workshop.title).options(*WORKSHOP_OPTIONS))
            ).unique()
        )
        listed = {}
        for workshop in workshops:
            current = [s for s in workshop.sessions if s.end_at >= context.now - RECENT]
            facts = await session_summaries(session, current, context.settings.zone, context.now)
            listed[workshop.id] = [ListedSession(s, f) for s, f in zip(current, facts, strict=True)]
        offered = await choices(session, lang)
    return context.render(
        "staff/workshops.html",
        status=status,
        workshops=workshops,
        workshop_options=[(w.slug, pick(lang, w.title, w.title_en)) for w in workshops],
        sessions=listed,
        zone=context.settings.zone,
        workshop_form=workshop_form
        or Form(values={"host": "Stadtbibliothek Ulm", "language": DEFAULT_LANGUAGE}),
        session_form=session_form
        or Form(
            values={"mode": SignupMode.FIRST_COME.value, "attendance_mode": AttendanceMode.IN_PERSON.value}
        ),
        notice=context.notice(NOTICES),
        **offered,
    )


async def one_session_page(
    context: PageContext,
    session_id: int,
    *,
    attendance_form: Form | None = None,
    move_form: Form | None = None,
    cancel_form: Form | None = None,
    add_form: Form | None = None,
    mail_form: Form | None = None,
    edit_form: Form | None = None,
    status: int = 200,
) -> Template:
    add_form = add_form or Form()
    zone = context.settings.zone
    async with context.db.read() as session:
        loaded = await session_at_desk(session, session_id, zone, context.now)
        found, registrations, facts = loaded.session, loaded.registrations, loaded.summary
        wanted = add_form.value("person").strip()
        candidates = list(await people.search(session, wanted, limit=FOUND_PEOPLE)) if wanted else []
        granted = await certificates_held(
            session, found.workshop.grants_certification, registrations, context.now
        )
        offered = await choices(session, context.lang)
    local_start = found.start_at.astimezone(zone)
    return context.render(
        "staff/workshop_session.html",
        status=status,
        workshop_session=found,
        workshop=found.workshop,
        facts=facts,
        zone=zone,
        now=context.now,
        participants=[
            r for r in registrations if r.status in HOLDING_STATUSES or r.status is RegistrationStatus.ENTERED
        ],
        # The room's waitlist, then (hybrid) the online places' one, each in its order.
        waitlist=sorted(
            (r for r in registrations if r.status is RegistrationStatus.WAITLISTED),
            key=lambda r: (r.participation is Participation.ONLINE, r.waitlist_position or 0),
        ),
        cancelled=sum(r.status is RegistrationStatus.CANCELLED for r in registrations),
        granted=granted,
        can_draw=found.mode is SignupMode.LOTTERY
        and found.drawn_at is None
        and found.cancelled_at is None
        and context.now >= found.registration_closes,
        attendance_form=attendance_form or Form(),
        move_form=move_form
        or Form(
            values={
                "day": local_start.date().isoformat(),
                "start": local_start.strftime("%H:%M"),
                "end": found.end_at.astimezone(zone).strftime("%H:%M"),
            }
        ),
        cancel_form=cancel_form or Form(),
        edit_form=edit_form
        or Form(
            values={
                "room": found.resource.slug,
                "capacity": str(found.capacity),
                "online_capacity": str(found.online_capacity or ""),
                "attendance_mode": found.attendance_mode.value,
                "stream_url": found.stream_url or "",
                "stream_public": "on" if found.stream_public else "",
            }
        ),
        add_form=add_form,
        mail_form=mail_form or Form(),
        candidates=candidates[:FOUND_PEOPLE],
        more_candidates=len(candidates) > FOUND_PEOPLE,
        full=facts.confirmed >= found.capacity,
        notice=context.notice(NOTICES),
        **offered,
    )


async def door_page(
    context: PageContext, session_id: int, query: str, *, form: Form | None = None, status: int = 200
) -> Template:
    """Those holding a place, narrowed to the names (or e-mail addresses) that contain `query`."""
    async with context.db.read() as session:
        loaded = await session_at_desk(session, session_id, context.settings.zone, context.now)
    found, registrations = loaded.session, loaded.registrations
    holding = [
        r
        for r in registrations
        if r.status in HOLDING_STATUSES and r.user is not None and r.user.deleted_at is None
    ]
    wanted = query.strip().casefold()
    shown = [
        r
        for r in holding
        if r.user is not None and (wanted in r.user.name.casefold() or wanted in r.user.email.casefold())
    ]
    return context.render(
        "staff/workshop_door.html",
        status=status,
        workshop_session=found,
        workshop=found.workshop,
        zone=context.settings.zone,
        query=query.strip(),
        search_form=Form(values={"q": query.strip()}),
        shown=shown,
        present=sum(r.status is RegistrationStatus.ATTENDED for r in holding),
        expected=len(holding),
        form=form or Form(),
        notice=context.notice(NOTICES),
    )


async def certificates_held(
    session: AsyncSession,
    certification: Certification | None,
    registrations: list[Registration],
    now: datetime,
) -> dict[int, UserCertification]:
    """Who of these people holds the certification the workshop grants, by user id (the latest grant)."""
    user_ids = [r.user_id for r in registrations if r.user_id is not None]
    if certification is None or not user_ids:
        return {}
    held = await session.scalars(
        select(UserCertification)
        .where(
            UserCertification.certification_id == certification.id,
            UserCertification.user_id.in_(user_ids),
            UserCertification.revoked_at.is_(None),
        )
        .order_by(UserCertification.granted_at)
    )
    return {h.user_id: h for h in held if h.expires_at is None or h.expires_at > now}
