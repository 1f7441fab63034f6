"""Workshops, sessions, registrations and certifications (API.md, Workshops and Certifications)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload

from library import texts
from library.accounts.models import Certification
from library.accounts.verification import ensure_email_verified
from library.api.bookings import Instant
from library.api.common import Limit, Offset, Page, RowId, language, next_page_url, page_of
from library.api.photos import PhotoOut, photo_out
from library.booking.errors import refused
from library.booking.service import RuleBroken, SlotTaken
from library.catalog.hours import local_instant
from library.catalog.inventory import slugify
from library.catalog.models import Factor
from library.config import Settings
from library.errors import InvalidInput, NotFound
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.viewer import UserDep, staff_only
from library.i18n import DEFAULT_LANGUAGE, N_, Lang, pick
from library.pictures.queries import workshop_photos
from library.workshops import service
from library.workshops.errors import room_refused
from library.workshops.models import (
    STAFF_ORDER,
    AttendanceMode,
    Participation,
    Registration,
    RegistrationStatus,
    SignupMode,
    Workshop,
    WorkshopSession,
)
from library.workshops.queries import WORKSHOP_OPTIONS, session_summaries, stream_for


class SessionOut(msgspec.Struct):
    id: int
    start: datetime
    end: datetime
    room: str
    capacity: int
    confirmed: int
    waitlisted: int
    mode: SignupMode
    registration_opens: datetime
    registration_closes: datetime
    state: str
    attendance_mode: AttendanceMode = AttendanceMode.IN_PERSON
    stream_public: bool = False
    # Only where public, or to staff and the session's confirmed participants (API.md, Open data).
    stream_url: str | None = None
    # A hybrid session's online places beside `capacity` (then `confirmed` and `waitlisted` count
    # the room's places), taken and waited for.
    online_capacity: int | None = None
    online_confirmed: int | None = None
    online_waitlisted: int | None = None


class WorkshopOut(msgspec.Struct, omit_defaults=True):
    slug: str
    title: str
    factor: Factor
    host: str
    language: str
    min_age: int | None
    max_age: int | None
    grants_certification: str | None
    required_certification: str | None
    sessions: list[SessionOut]
    description: str | None = None
    photos: list[PhotoOut] | None = None  # in a workshop's details only


class WorkshopIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, texts.line(200, min_length=1)]
    description: Annotated[str, texts.note(10_000)]
    factor: Factor
    title_en: Annotated[str, texts.line(200)] | None = None
    description_en: Annotated[str, texts.note(10_000)] | None = None
    slug: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")] | None = None
    host: Annotated[str, texts.line(200, min_length=1)] = "Stadtbibliothek Ulm"
    language: Lang = DEFAULT_LANGUAGE
    min_age: Annotated[int, msgspec.Meta(ge=0, le=120)] | None = None
    max_age: Annotated[int, msgspec.Meta(ge=0, le=120)] | None = None
    grants_certification: str | None = None
    required_certification: str | None = None
    offer_hours: Annotated[int, msgspec.Meta(ge=1, le=168)] | None = None


class SessionIn(msgspec.Struct, forbid_unknown_fields=True):
    start: Instant
    end: Instant
    room: Annotated[str, texts.line(80, min_length=1)]
    capacity: Annotated[int, msgspec.Meta(ge=1, le=10_000)]
    registration_opens: Instant | None = None
    registration_closes: Instant | None = None
    mode: SignupMode = SignupMode.FIRST_COME
    attendance_mode: AttendanceMode = AttendanceMode.IN_PERSON
    stream_url: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None
    stream_public: bool = False
    online_capacity: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None  # hybrid only


UNSET: Any = msgspec.UNSET


class WorkshopChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    """A workshop's fields to change; those left out stay, null removes an optional one. The slug stays."""

    title: Annotated[str, texts.line(200, min_length=1)] | msgspec.UnsetType = UNSET
    description: Annotated[str, texts.note(10_000)] | msgspec.UnsetType = UNSET
    factor: Factor | msgspec.UnsetType = UNSET
    title_en: Annotated[str, texts.line(200)] | msgspec.UnsetType | None = UNSET
    description_en: Annotated[str, texts.note(10_000)] | msgspec.UnsetType | None = UNSET
    host: Annotated[str, texts.line(200, min_length=1)] | msgspec.UnsetType = UNSET
    language: Lang | msgspec.UnsetType = UNSET
    min_age: Annotated[int, msgspec.Meta(ge=0, le=120)] | msgspec.UnsetType | None = UNSET
    max_age: Annotated[int, msgspec.Meta(ge=0, le=120)] | msgspec.UnsetType | None = UNSET
    grants_certification: str | msgspec.UnsetType | None = UNSET
    required_certification: str | msgspec.UnsetType | None = UNSET
    offer_hours: Annotated[int, msgspec.Meta(ge=1, le=168)] | msgspec.UnsetType | None = UNSET


class SessionChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    """What to change; what is left out stays. A new time or room is a move (everyone registered is
    told); the places can't go below those taken; an empty `stream_url` removes the stream."""

    start: Instant | None = None
    end: Instant | None = None
    reason: Annotated[str, texts.line(500)] | None = None
    room: Annotated[str, texts.line(80, min_length=1)] | None = None
    capacity: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None
    online_capacity: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None  # hybrid only
    attendance_mode: AttendanceMode | None = None
    stream_url: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    stream_public: bool | None = None


class SessionDayIn(msgspec.Struct, forbid_unknown_fields=True):
    session: Annotated[int, msgspec.Meta(ge=1)]
    day: date


class CopyIn(msgspec.Struct, forbid_unknown_fields=True):
    """The first session's new day; other sessions keep their distance from it unless `sessions`
    gives them a day of their own. `slug` defaults to the original's with the new day."""

    first_day: date
    slug: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")] | None = None
    sessions: Annotated[list[SessionDayIn], msgspec.Meta(max_length=500)] = msgspec.field(
        default_factory=list
    )


class MessageIn(msgspec.Struct, forbid_unknown_fields=True):
    subject: Annotated[str, texts.line(200, min_length=1)]
    text: Annotated[str, texts.note(10_000, min_length=1)]


class MessageOut(msgspec.Struct):
    queued: int  # messages put in the outbox: one per participant holding a place who gets mail


class CancelSessionIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, texts.line(500, min_length=1)]


class RegistrationOut(msgspec.Struct, omit_defaults=True):
    id: int
    session: int
    status: RegistrationStatus
    participation: Participation  # in the room or online
    waitlist_position: int | None = None
    offered_until: datetime | None = None
    workshop: str | None = None
    user: dict[str, Any] | None = None
    stream_url: str | None = None  # to a confirmed online participant, or where the stream is public


class RegistrationIn(msgspec.Struct, forbid_unknown_fields=True):
    participation: Participation | None = None  # a hybrid session's room (default) or online places


class AttendanceIn(msgspec.Struct, forbid_unknown_fields=True):
    registration_ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=1000)]


class ParticipantIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: Annotated[int, msgspec.Meta(ge=1)]
    reason: Annotated[str, texts.line(500)] | None = None  # needed beyond the capacity; audited
    participation: Participation | None = None


class DrawIn(msgspec.Struct, forbid_unknown_fields=True):
    seed: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class DrawOut(msgspec.Struct):
    seed: str
    registrations: list[RegistrationOut]


class CertificationOut(msgspec.Struct):
    key: str
    name: str
    description: str
    valid_months: int | None


class GrantIn(msgspec.Struct, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    expires_at: Instant | None = None
    note: Annotated[str, texts.note(500)] = ""


class GrantOut(msgspec.Struct):
    key: str
    granted_at: datetime
    expires_at: datetime | None


class RevokeIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, texts.line(500, min_length=1)]


async def sessions_out(
    session: AsyncSession, sessions: list[WorkshopSession], settings: Settings, now: datetime
) -> list[SessionOut]:
    """Every session with its counts and state, as the read model has them."""
    return [
        msgspec.convert(summary, SessionOut, from_attributes=True)
        for summary in await session_summaries(session, sessions, settings.zone, now)
    ]


def registration_out(
    registration: Registration,
    settings: Settings,
    *,
    with_user: bool = False,
    workshop: str | None = None,
    with_stream: bool = False,
) -> RegistrationOut:
    """A registration; `with_stream` (its session loaded) adds the stream address its holder may see."""
    return RegistrationOut(
        id=registration.id,
        session=registration.session_id,
        status=registration.status,
        participation=registration.participation,
        waitlist_position=registration.waitlist_position,
        offered_until=registration.offered_until.astimezone(settings.zone)
        if registration.offered_until
        else None,
        workshop=workshop,
        user={"id": registration.user.id, "name": registration.user.name, "email": registration.user.email}
        if with_user and registration.user is not None
        else None,
        stream_url=stream_for(registration, registration.session) if with_stream else None,
    )


async def workshop_out(
    session: AsyncSession,
    workshop: Workshop,
    lang: Lang,
    settings: Settings,
    now: datetime,
    *,
    detail: bool,
    sessions: list[WorkshopSession] | None = None,
) -> WorkshopOut:
    shown = [s for s in (sessions if sessions is not None else workshop.sessions) if s.cancelled_at is None]
    return WorkshopOut(
        slug=workshop.slug,
        title=pick(lang, workshop.title, workshop.title_en),
        factor=workshop.factor,
        host=workshop.host,
        language=workshop.language,
        min_age=workshop.min_age,
        max_age=workshop.max_age,
        grants_certification=workshop.grants_certification.key if workshop.grants_certification else None,
        required_certification=workshop.required_certification.key
        if workshop.required_certification
        else None,
        sessions=await sessions_out(session, shown, settings, now),
        description=pick(lang, workshop.description, workshop.description_en) if detail else None,
        photos=[photo_out(p) for p in (await workshop_photos(session, [workshop.id]))[workshop.id]]
        if detail
        else None,
    )


async def one_workshop(
    db: DatabaseDep, slug: str, lang: Lang, settings: Settings, now: datetime
) -> WorkshopOut:
    async with db.read() as session:
        workshop = await session.scalar(
            select(Workshop).where(Workshop.slug == slug).options(*WORKSHOP_OPTIONS)
        )
        if workshop is None:
            raise NotFound(N_("The workshop '%(slug)s'"), slug=slug)
        return await workshop_out(session, workshop, lang, settings, now, detail=True)


class WorkshopsController(Controller):
    path = "/api/v1"
    tags = ("workshops",)

    @get("/workshops", summary="Workshops with their sessions, by factor and date")
    async def list_workshops(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        factor: FromQuery[Factor | None] = None,
        date_from: Annotated[date | None, QueryParameter(name="from", description="First local date")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to", description="Last local date")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[WorkshopOut]:
        now = clock.now()
        lang = language(request)
        first = local_instant(date_from, time(0), settings.zone) if date_from else now
        last = local_instant(date_to + timedelta(days=1), time(0), settings.zone) if date_to else None
        in_range = [WorkshopSession.end_at > first, WorkshopSession.cancelled_at.is_(None)]
        if last is not None:
            in_range.append(WorkshopSession.start_at < last)
        statement: Select[Workshop] = (
            select(Workshop)
            .where(
                select(WorkshopSession.id)
                .where(WorkshopSession.workshop_id == Workshop.id, *in_range)
                .exists()
            )
            .order_by(Workshop.title, Workshop.id)
            .options(*WORKSHOP_OPTIONS)
            .limit(limit + 1)
            .offset(offset)
        )
        if factor is not None:
            statement = statement.where(Workshop.factor == factor)
        async with db.read() as session:
            workshops = list((await session.scalars(statement)).unique())
            items = []
            for workshop in workshops[:limit]:
                chosen = [
                    s for s in workshop.sessions if s.end_at > first and (last is None or s.start_at < last)
                ]
                items.append(
                    await workshop_out(session, workshop, lang, settings, now, detail=False, sessions=chosen)
                )
        return Page(
            items=items,
            next=next_page_url(request, limit=limit, offset=offset, has_more=len(workshops) > limit),
        )

    @get("/workshops/{slug:str}", summary="One workshop with its description and sessions")
    async def get_workshop(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> WorkshopOut:
        return await one_workshop(db, slug, language(request), settings, clock.now())

    @post("/workshops", summary="Staff: create a workshop", status_code=201, guards=[staff_only])
    async def create_workshop(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[WorkshopIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> WorkshopOut:
        if data.min_age is not None and data.max_age is not None and data.min_age > data.max_age:
            raise InvalidInput("invalid_input", "max_age")
        new = service.NewWorkshop(
            title=data.title,
            title_en=data.title_en,
            description=data.description,
            description_en=data.description_en,
            factor=data.factor,
            slug=data.slug or slugify(data.title),
            host=data.host,
            language=data.language,
            min_age=data.min_age,
            max_age=data.max_age,
            grants_certification=data.grants_certification,
            required_certification=data.required_certification,
            offer_hours=data.offer_hours,
        )
        workshop = await service.create_workshop(db, new, actor=user, now=clock.now())
        return await one_workshop(db, workshop.slug, language(request), settings, clock.now())

    @post(
        "/workshops/{slug:str}/sessions",
        summary="Staff: add a session; its room is booked",
        status_code=201,
        guards=[staff_only],
    )
    async def add_session(
        self,
        slug: FromPath[str],
        data: JSONBody[SessionIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> SessionOut:
        if data.end <= data.start:
            raise InvalidInput("end_before_start", "end")
        new = service.NewSession(
            start=data.start,
            end=data.end,
            room=data.room,
            capacity=data.capacity,
            registration_opens=data.registration_opens,
            registration_closes=data.registration_closes,
            mode=data.mode,
            attendance_mode=data.attendance_mode,
            stream_url=data.stream_url,
            stream_public=data.stream_public,
            online_capacity=data.online_capacity,
        )
        try:
            created = await service.add_session(db, slug, new, actor=user, now=clock.now())
        except (RuleBroken, SlotTaken) as error:
            raise room_refused(error) from error
        return await self._session(db, created.id, settings, clock.now())

    async def _session(
        self, db: DatabaseDep, session_id: int, settings: Settings, now: datetime
    ) -> SessionOut:
        async with db.read() as session:
            found = await session.scalar(
                select(WorkshopSession)
                .where(WorkshopSession.id == session_id)
                .options(joinedload(WorkshopSession.resource))
            )
            if found is None:
                raise NotFound(N_("The session %(id)s"), id=session_id)
            return (await sessions_out(session, [found], settings, now))[0]

    @patch(
        "/workshop-sessions/{session_id:int}",
        summary="Staff: change a session: time or room (a move, told to all registered), places, attendance",
        guards=[staff_only],
    )
    async def move_session(
        self,
        session_id: RowId,
        data: JSONBody[SessionChangeIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> SessionOut:
        change = service.SessionChange(**msgspec.structs.asdict(data))
        await service.edit_session(db, session_id, change, actor=user, now=clock.now())
        return await self._session(db, session_id, settings, clock.now())

    @patch(
        "/workshops/{slug:str}",
        summary="Staff: change a workshop's texts, factor, ages and certifications",
        guards=[staff_only],
    )
    async def update_workshop(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[WorkshopChangeIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> WorkshopOut:
        async with db.read() as session:
            found = await session.scalar(
                select(Workshop).where(Workshop.slug == slug).options(*WORKSHOP_OPTIONS)
            )
            if found is None:
                raise NotFound(N_("The workshop '%(slug)s'"), slug=slug)
            current = service.workshop_details(found)
        given = {
            name: value for name, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET
        }
        await service.update_workshop(db, replace(current, **given), actor=user, now=clock.now())
        return await one_workshop(db, slug, language(request), settings, clock.now())

    @post(
        "/workshops/{slug:str}/duplicate",
        summary="Staff: copy a workshop and its sessions to new dates; every room booked or nothing made",
        status_code=201,
        guards=[staff_only],
    )
    async def duplicate_workshop(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[CopyIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> WorkshopOut:
        copy = service.Copy(
            first_day=data.first_day,
            days={chosen.session: chosen.day for chosen in data.sessions},
            slug=data.slug,
        )
        made = await service.duplicate_workshop(
            db, slug, copy, actor=user, zone=settings.zone, now=clock.now()
        )
        return await one_workshop(db, made.slug, language(request), settings, clock.now())

    @post(
        "/workshop-sessions/{session_id:int}/message",
        summary="Staff: write to everyone holding a place in the session (through the outbox)",
        status_code=202,
        guards=[staff_only],
    )
    async def message_participants(
        self,
        session_id: RowId,
        data: JSONBody[MessageIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
    ) -> MessageOut:
        queued = await service.mail_participants(
            db, session_id, subject=data.subject, body=data.text, actor=user, now=clock.now()
        )
        return MessageOut(queued=queued)

    @post(
        "/workshop-sessions/{session_id:int}/cancel",
        summary="Staff: cancel a session and free its room",
        status_code=200,
        guards=[staff_only],
    )
    async def cancel_session(
        self,
        session_id: RowId,
        data: JSONBody[CancelSessionIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> SessionOut:
        await service.move_or_cancel_session(
            db,
            session_id,
            start=None,
            end=None,
            cancel=True,
            reason=data.reason,
            actor=user,
            now=clock.now(),
        )
        return await self._session(db, session_id, settings, clock.now())

    @post(
        "/workshop-sessions/{session_id:int}/registrations", summary="Sign up for a session", status_code=201
    )
    async def register(
        self,
        session_id: RowId,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        data: JSONBody[RegistrationIn | None] = None,
    ) -> RegistrationOut:
        ensure_email_verified(user, required=settings.verify_email)
        try:
            registration = await service.register(
                db,
                session_id,
                user=user,
                now=clock.now(),
                zone=settings.zone,
                participation=data.participation if data else None,
            )
        except RuleBroken as error:
            raise refused(error.refusal) from error
        return registration_out(registration, settings)

    @get("/registrations", summary="The caller's registrations")
    async def my_registrations(
        self,
        request: Request[Any, Any, Any],
        user: UserDep,
        db: DatabaseDep,
        settings: SettingsDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[RegistrationOut]:
        async with db.read() as session:
            rows = list(
                await session.execute(
                    select(Registration, Workshop.slug)
                    .join(WorkshopSession, WorkshopSession.id == Registration.session_id)
                    .join(Workshop, Workshop.id == WorkshopSession.workshop_id)
                    .where(Registration.user_id == user.id)
                    .options(contains_eager(Registration.session))
                    .order_by(WorkshopSession.start_at, Registration.id)
                    .limit(limit + 1)
                    .offset(offset)
                )
            )
        return page_of(
            request,
            rows,
            lambda row: registration_out(row[0], settings, workshop=row[1], with_stream=True),
            limit=limit,
            offset=offset,
        )

    @post(
        "/registrations/{registration_id:int}/cancel",
        summary="Cancel a registration; the waitlist moves up",
        status_code=200,
    )
    async def cancel_registration(
        self, registration_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> RegistrationOut:
        registration = await service.cancel_registration(db, registration_id, actor=user, now=clock.now())
        return registration_out(registration, settings)

    @post("/registrations/{registration_id:int}/accept", summary="Take up an offered place", status_code=200)
    async def accept_offer(
        self, registration_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> RegistrationOut:
        registration = await service.accept_offer(db, registration_id, actor=user, now=clock.now())
        return registration_out(registration, settings)

    @get(
        "/workshop-sessions/{session_id:int}/registrations",
        summary="Staff: participants and waitlist in order",
        guards=[staff_only],
    )
    async def session_registrations(
        self,
        request: Request[Any, Any, Any],
        session_id: RowId,
        db: DatabaseDep,
        settings: SettingsDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[RegistrationOut]:
        async with db.read() as session:
            if await session.get(WorkshopSession, session_id) is None:
                raise NotFound(N_("The session %(id)s"), id=session_id)
            rows = list(
                await session.scalars(
                    select(Registration)
                    .where(Registration.session_id == session_id)
                    .options(joinedload(Registration.user))
                    .order_by(*STAFF_ORDER)
                    .limit(limit + 1)
                    .offset(offset)
                )
            )
        return page_of(
            request, rows, lambda r: registration_out(r, settings, with_user=True), limit=limit, offset=offset
        )

    @post(
        "/workshop-sessions/{session_id:int}/attendance",
        summary="Staff: mark attendance",
        status_code=200,
        guards=[staff_only],
    )
    async def attendance(
        self,
        session_id: RowId,
        data: JSONBody[AttendanceIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> list[RegistrationOut]:
        marked = await service.mark_attendance(
            db,
            session_id,
            data.registration_ids,
            actor=user,
            now=clock.now(),
        )
        return [registration_out(r, settings) for r in marked]

    @post(
        "/workshop-sessions/{session_id:int}/participants",
        summary="Staff: give a person a place by hand (beyond the capacity only with a reason)",
        status_code=201,
        guards=[staff_only],
    )
    async def add_participant(
        self,
        session_id: RowId,
        data: JSONBody[ParticipantIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> RegistrationOut:
        added = await service.add_by_hand(
            db,
            session_id,
            data.user_id,
            reason=data.reason or None,
            actor=user,
            now=clock.now(),
            participation=data.participation,
        )
        return registration_out(added, settings)

    @post(
        "/workshop-sessions/{session_id:int}/draw",
        summary="Staff: draw a lottery session's places",
        status_code=200,
        guards=[staff_only],
    )
    async def draw(
        self,
        session_id: RowId,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        data: JSONBody[DrawIn | None] = None,
    ) -> DrawOut:
        seed, drawn = await service.draw(
            db,
            session_id,
            seed=data.seed if data else None,
            actor=user,
            now=clock.now(),
        )
        return DrawOut(seed=seed, registrations=[registration_out(r, settings) for r in drawn])

    @get("/certifications", summary="Certifications that unlock devices")
    async def certifications(
        self, request: Request[Any, Any, Any], db: DatabaseDep
    ) -> list[CertificationOut]:
        lang = language(request)
        async with db.read() as session:
            rows = await session.scalars(select(Certification).order_by(Certification.key))
            return [
                CertificationOut(
                    c.key,
                    pick(lang, c.name, c.name_en),
                    pick(lang, c.description, c.description_en),
                    c.valid_months,
                )
                for c in rows
            ]

    @post(
        "/users/{user_id:int}/certifications",
        summary="Staff: grant a certification",
        status_code=201,
        guards=[staff_only],
    )
    async def grant(
        self,
        user_id: RowId,
        data: JSONBody[GrantIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> GrantOut:
        zone = settings.zone
        held = await service.grant_certification(
            db,
            user_id,
            data.key,
            expires_at=data.expires_at,
            note=data.note,
            actor=user,
            now=clock.now(),
        )
        return GrantOut(
            data.key,
            held.granted_at.astimezone(zone),
            held.expires_at.astimezone(zone) if held.expires_at else None,
        )

    @delete(
        "/users/{user_id:int}/certifications/{key:str}",
        summary="Staff: revoke a certification",
        status_code=204,
        guards=[staff_only],
    )
    async def revoke(
        self,
        user_id: RowId,
        key: FromPath[str],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        reason: FromQuery[str] = "",  # checked after sign-in: the service asks for it by name
    ) -> None:
        await service.revoke_certification(db, user_id, key, reason=reason, actor=user, now=clock.now())
