"""Workshop operations, each one transaction: sessions with their rooms, sign-up, waitlist,
lottery, attendance and certifications.

Capacity and waitlist order hold under concurrent sign-ups because every change to a
session's registrations first locks the session row (PostgreSQL) or runs in a
BEGIN IMMEDIATE transaction (SQLite); partial unique indexes back this up.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from library.accounts import people
from library.accounts.models import Certification, User, UserCertification
from library.audit.log import only_changed, record, snapshot
from library.booking.conflicts import is_lost_race, is_overlap_violation
from library.booking.intervals import Interval
from library.booking.models import Booking, BookingPurpose, BookingStatus
from library.booking.queries import load_booker
from library.booking.rules import may_become
from library.booking.service import (
    NewBooking,
    RuleBroken,
    SlotTaken,
    book_within,
    cancel_within,
    retrying_lost_races,
)
from library.catalog.models import Factor, Resource
from library.db import Database, dialect_of
from library.errors import Conflict, InvalidInput, NotFound
from library.i18n import DEFAULT_LANGUAGE, N_, Lang, known_language
from library.outbox.queue import enqueue
from library.outbox.queue import receives_mail as people_receive_mail
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
from library.workshops.rules import (
    Entrant,
    SessionFacts,
    WorkshopFacts,
    certification_expiry,
    check_registration,
    draw_places,
    moved_to,
    online_capacity_problem,
    participation_for,
    participations,
    places,
    stream_problem,
)

REGISTRATION_FIELDS = ("status", "waitlist_position", "offered_until")


def session_facts(session: WorkshopSession) -> SessionFacts:
    return SessionFacts(
        start=session.start_at,
        capacity=session.capacity,
        registration_opens=session.registration_opens,
        registration_closes=session.registration_closes,
        lottery=session.mode is SignupMode.LOTTERY,
        drawn=session.drawn_at is not None,
        cancelled=session.cancelled_at is not None,
        online_capacity=session.online_capacity,
    )


@dataclass(frozen=True)
class NewWorkshop:
    title: str
    description: str
    factor: Factor
    slug: str
    title_en: str | None = None
    description_en: str | None = None
    host: str = "Stadtbibliothek Ulm"
    language: Lang = DEFAULT_LANGUAGE
    min_age: int | None = None
    max_age: int | None = None
    grants_certification: str | None = None
    required_certification: str | None = None
    offer_hours: int | None = None


async def certification_id(session: AsyncSession, key: str | None, field: str) -> int | None:
    if key is None:
        return None
    found = await session.scalar(select(Certification.id).where(Certification.key == key))
    if found is None:
        raise InvalidInput("invalid_input", field)
    return found


async def create_workshop(db: Database, new: NewWorkshop, *, actor: User, now: datetime) -> Workshop:
    if not new.slug:  # a title of signs alone makes no slug: its address would be the list's
        raise InvalidInput("invalid_input", "slug")
    async with db.write() as session:
        if await session.scalar(select(Workshop.id).where(Workshop.slug == new.slug)) is not None:
            raise Conflict("slug_taken")
        workshop = Workshop(
            slug=new.slug,
            title=new.title,
            title_en=new.title_en,
            description=new.description,
            description_en=new.description_en,
            factor=new.factor,
            host=new.host,
            language=new.language,
            min_age=new.min_age,
            max_age=new.max_age,
            offer_hours=new.offer_hours,
            grants_certification_id=await certification_id(
                session, new.grants_certification, "grants_certification"
            ),
            required_certification_id=await certification_id(
                session, new.required_certification, "required_certification"
            ),
            created_at=now,
        )
        session.add(workshop)
        await session.flush()
        record(
            session,
            actor_id=actor.id,
            action="workshop.create",
            object_type="workshop",
            object_id=workshop.id,
            at=now,
            after=snapshot(workshop, ("slug", "title", "factor", "host")),
        )
    return workshop


WORKSHOP_FIELDS = (
    "title",
    "title_en",
    "description",
    "description_en",
    "factor",
    "host",
    "language",
    "min_age",
    "max_age",
    "grants_certification_id",
    "required_certification_id",
    "offer_hours",
)


def workshop_details(workshop: Workshop) -> NewWorkshop:
    """What a workshop (its certifications loaded) says and asks, as an edit starts from it."""
    return NewWorkshop(
        title=workshop.title,
        title_en=workshop.title_en,
        description=workshop.description,
        description_en=workshop.description_en,
        factor=workshop.factor,
        slug=workshop.slug,
        host=workshop.host,
        language=known_language(workshop.language),
        min_age=workshop.min_age,
        max_age=workshop.max_age,
        grants_certification=workshop.grants_certification.key if workshop.grants_certification else None,
        required_certification=workshop.required_certification.key
        if workshop.required_certification
        else None,
        offer_hours=workshop.offer_hours,
    )


async def update_workshop(db: Database, new: NewWorkshop, *, actor: User, now: datetime) -> Workshop:
    """Change what the workshop `new.slug` says and asks. The slug names it and stays, so links
    to it keep working; a new age range or certification holds for sign-ups from now on."""
    if new.min_age is not None and new.max_age is not None and new.min_age > new.max_age:
        raise InvalidInput("invalid_input", "max_age")
    async with db.write() as session:
        workshop = await session.scalar(select(Workshop).where(Workshop.slug == new.slug))
        if workshop is None:
            raise NotFound(N_("The workshop '%(slug)s'"), slug=new.slug)
        before = snapshot(workshop, WORKSHOP_FIELDS)
        workshop.title, workshop.title_en = new.title, new.title_en
        workshop.description, workshop.description_en = new.description, new.description_en
        workshop.factor, workshop.host, workshop.language = new.factor, new.host, new.language
        workshop.min_age, workshop.max_age, workshop.offer_hours = new.min_age, new.max_age, new.offer_hours
        workshop.grants_certification_id = await certification_id(
            session, new.grants_certification, "grants_certification"
        )
        workshop.required_certification_id = await certification_id(
            session, new.required_certification, "required_certification"
        )
        await session.flush()
        changed_before, changed_after = only_changed(before, snapshot(workshop, WORKSHOP_FIELDS))
        if changed_after:
            record(
                session,
                actor_id=actor.id,
                action="workshop.update",
                object_type="workshop",
                object_id=workshop.id,
                at=now,
                before=changed_before,
                after=changed_after,
            )
    return workshop


@dataclass(frozen=True)
class NewSession:
    start: datetime
    end: datetime
    room: str
    capacity: int
    registration_opens: datetime | None = None
    registration_closes: datetime | None = None
    mode: SignupMode = SignupMode.FIRST_COME
    attendance_mode: AttendanceMode = AttendanceMode.IN_PERSON
    stream_url: str | None = None
    stream_public: bool = False
    online_capacity: int | None = None  # hybrid only; a hybrid session without it: as many as `capacity`


def registration_window(new: NewSession, now: datetime) -> tuple[datetime, datetime]:
    """When sign-up opens and closes (default: from now until the session starts), in UTC."""
    opens = (new.registration_opens or now).astimezone(UTC)
    closes = (new.registration_closes or new.start).astimezone(UTC)
    if closes <= opens:
        raise InvalidInput("invalid_input", "registration_closes")
    return opens, closes


async def add_session_within(
    session: AsyncSession, workshop: Workshop, new: NewSession, *, actor: User, now: datetime
) -> WorkshopSession:
    """Book the room and add the session inside the caller's write transaction (see add_session).

    Raises RuleBroken or SlotTaken when the booking engine refuses the room.
    """
    opens, closes = registration_window(new, now)
    booking = await book_within(
        session,
        NewBooking(
            resource_slug=new.room,
            start=new.start,
            end=new.end,
            note=workshop.title,
            purpose=BookingPurpose.WORKSHOP,
        ),
        booker=actor,
        actor=actor,
        now=now,
    )
    workshop_session = WorkshopSession(
        workshop_id=workshop.id,
        resource_id=booking.resource_id,
        booking_id=booking.id,
        start_at=booking.start_at,
        end_at=booking.end_at,
        capacity=new.capacity,
        registration_opens=opens,
        registration_closes=closes,
        mode=new.mode,
        created_at=now,
        attendance_mode=new.attendance_mode,
        stream_url=new.stream_url,
        stream_public=new.stream_public,
        online_capacity=online_places(new),
    )
    session.add(workshop_session)
    await session.flush()
    record(
        session,
        actor_id=actor.id,
        action="workshop_session.create",
        object_type="workshop_session",
        object_id=workshop_session.id,
        at=now,
        after=snapshot(
            workshop_session,
            ("workshop_id", "start_at", "end_at", "capacity", "online_capacity", "mode", "booking_id"),
        ),
    )
    return workshop_session


async def add_session(
    db: Database, workshop_slug: str, new: NewSession, *, actor: User, now: datetime
) -> WorkshopSession:
    """A session books its room through the booking engine, so the room is never double-booked."""
    registration_window(new, now)  # a bad window is refused before any transaction
    problem = stream_problem(new.attendance_mode, new.stream_url)
    if problem is not None:
        raise InvalidInput(problem, "stream_url")
    problem = online_capacity_problem(new.attendance_mode, new.online_capacity)
    if problem is not None:
        raise InvalidInput(problem, "online_capacity")

    async def work(session: AsyncSession) -> WorkshopSession:
        workshop = await session.scalar(select(Workshop).where(Workshop.slug == workshop_slug))
        if workshop is None:
            raise NotFound(N_("The workshop '%(slug)s'"), slug=workshop_slug)
        return await add_session_within(session, workshop, new, actor=actor, now=now)

    return await retrying_lost_races(db, work, lost=lambda: SlotTaken_for(new))


def online_places(new: NewSession) -> int | None:
    """A hybrid session's online places: as given, or as many as in the room; None otherwise."""
    if new.attendance_mode is not AttendanceMode.HYBRID:
        return None
    return new.online_capacity or new.capacity


def SlotTaken_for(new: NewSession) -> Exception:

    return SlotTaken(Interval(new.start, new.end))


@dataclass(frozen=True)
class Copy:
    """Where a workshop's copy goes: the first session's new day, by the original session's id
    other days chosen for single sessions (the rest keep their distance), and its slug (by
    default the original's with the new first day)."""

    first_day: date
    days: Mapping[int, date] = field(default_factory=dict)
    slug: str | None = None

    def slug_for(self, original: str) -> str:
        suffix = f"-{self.first_day.isoformat()}"
        return self.slug or original[: 80 - len(suffix)] + suffix


async def duplicate_workshop(
    db: Database, original_slug: str, copy: Copy, *, actor: User, zone: ZoneInfo, now: datetime
) -> Workshop:
    """Copy a workshop with its sessions (not the cancelled ones) moved to new dates: the same
    times of day, rooms, places and sign-up. Each room is booked through the booking engine; all
    or nothing: when a room is refused, nothing is made and the Conflict lists every session the
    booking engine refused (`conflicts`: the original session, the new start and end, a code)."""

    async def work(session: AsyncSession) -> Workshop:
        original = await session.scalar(
            select(Workshop)
            .where(Workshop.slug == original_slug)
            .options(selectinload(Workshop.sessions).joinedload(WorkshopSession.resource))
        )
        if original is None:
            raise NotFound(N_("The workshop '%(slug)s'"), slug=original_slug)
        slug = copy.slug_for(original_slug)
        if await session.scalar(select(Workshop.id).where(Workshop.slug == slug)) is not None:
            raise Conflict("slug_taken", "slug", slug=slug)
        sessions = [s for s in original.sessions if s.cancelled_at is None]
        if not sessions:
            raise Conflict("no_sessions_to_copy")
        unknown = copy.days.keys() - {s.id for s in sessions}
        if unknown:
            raise InvalidInput("invalid_input", "days")
        made = Workshop(
            slug=slug,
            **{name: getattr(original, name) for name in WORKSHOP_FIELDS},
            lottery_cooldown_days=original.lottery_cooldown_days,
            created_at=now,
        )
        session.add(made)
        await session.flush()
        record(
            session,
            actor_id=actor.id,
            action="workshop.duplicate",
            object_type="workshop",
            object_id=made.id,
            at=now,
            after={"slug": made.slug, "from": original.slug},
        )
        chosen = {index: copy.days[s.id] for index, s in enumerate(sessions) if s.id in copy.days}
        spans = moved_to([(s.start_at, s.end_at) for s in sessions], copy.first_day, chosen, zone)
        refused = []
        for old, (start, end) in zip(sessions, spans, strict=True):
            new = NewSession(
                start=start,
                end=end,
                room=old.resource.slug,
                capacity=old.capacity,
                mode=old.mode,
                attendance_mode=old.attendance_mode,
                stream_url=old.stream_url,
                stream_public=old.stream_public,
            )
            code = None
            try:
                async with session.begin_nested():
                    await add_session_within(session, made, new, actor=actor, now=now)
            except RuleBroken as error:
                code = error.refusal.code
            except SlotTaken:
                code = "slot_taken"
            except InvalidInput as error:  # a new date already past: sign-up could never open
                code = error.code
            except IntegrityError as error:  # a deadlock ends the whole try, which is retried
                if not is_overlap_violation(error):
                    raise
                code = "slot_taken"
            if code is not None:
                refused.append(
                    {"session": old.id, "start": start.isoformat(), "end": end.isoformat(), "code": code}
                )
        if refused:
            raise Conflict("copy_refused", extra={"conflicts": refused})
        return made

    return await retrying_lost_races(db, work, lost=lambda: Conflict("copy_refused", extra={"conflicts": []}))


async def locked_session(session: AsyncSession, session_id: int) -> WorkshopSession:
    """The session row, locked until commit on PostgreSQL: one sign-up change at a time."""
    statement = (
        select(WorkshopSession)
        .where(WorkshopSession.id == session_id)
        .options(joinedload(WorkshopSession.workshop))
    )
    if dialect_of(session) == "postgresql":
        statement = statement.with_for_update(of=WorkshopSession)
    found = await session.scalar(statement)
    if found is None:
        raise NotFound(N_("The session %(id)s"), id=session_id)
    return found


def places_of(workshop_session: WorkshopSession, participation: Participation) -> int:
    return places(workshop_session.capacity, workshop_session.online_capacity, participation.value)


async def counts(session: AsyncSession, session_id: int, participation: Participation) -> tuple[int, int]:
    """Places of one kind taken and people waiting for one (each kind has its own waitlist)."""
    rows = await session.execute(
        select(Registration.status, func.count())
        .where(Registration.session_id == session_id, Registration.participation == participation)
        .group_by(Registration.status)
    )
    by_status = {status: number for status, number in rows}
    taken = sum(by_status.get(status, 0) for status in HOLDING_STATUSES)
    return taken, by_status.get(RegistrationStatus.WAITLISTED, 0)


def _audit(
    session: AsyncSession,
    registration: Registration,
    action: str,
    actor: User | None,
    now: datetime,
    before: dict[str, object] | None = None,
    reason: str | None = None,
) -> None:
    record(
        session,
        actor_id=actor.id if actor else None,
        action=action,
        object_type="registration",
        object_id=registration.id,
        at=now,
        before=before,
        after=snapshot(registration, REGISTRATION_FIELDS),
        reason=reason,
    )


def _tell(session: AsyncSession, registration: Registration, user: User, now: datetime) -> None:
    enqueue(
        session,
        kind=f"registration.{registration.status.value}",
        user=user,
        payload={"registration_id": registration.id, "session_id": registration.session_id},
        now=now,
    )


async def register(
    db: Database,
    session_id: int,
    *,
    user: User,
    now: datetime,
    zone: ZoneInfo,
    participation: Participation | None = None,
) -> Registration:
    """Sign a person up, in the room or online (None: the session's first way, see
    rules.participation_for); a refusal for age binds their birth date (see accounts.people)."""
    try:
        return await _register(db, session_id, user=user, now=now, zone=zone, participation=participation)
    except RuleBroken as refused:
        if refused.refusal.judged_age:
            await people.bind_birth_date_after_refusal(db, user.id, now)
        raise


async def _register(
    db: Database,
    session_id: int,
    *,
    user: User,
    now: datetime,
    zone: ZoneInfo,
    participation: Participation | None,
) -> Registration:
    async with db.write() as session:
        workshop_session = await locked_session(session, session_id)
        kind = chosen_participation(workshop_session, participation)
        workshop = workshop_session.workshop
        required = None
        if workshop.required_certification_id is not None:
            required = await session.scalar(
                select(Certification.key).where(Certification.id == workshop.required_certification_id)
            )
        refusal = check_registration(
            WorkshopFacts(workshop.min_age, workshop.max_age, required),
            session_facts(workshop_session),
            await load_booker(session, user),
            now,
            zone,
        )
        if refusal is not None:
            raise RuleBroken(refusal)
        existing = await session.scalar(
            select(Registration.id).where(
                Registration.session_id == session_id,
                Registration.user_id == user.id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
        if existing is not None:
            raise Conflict("already_registered")
        taken, waiting = await counts(session, session_id, kind)
        if workshop_session.mode is SignupMode.LOTTERY:
            registration = Registration(
                session_id=session_id, user_id=user.id, status=RegistrationStatus.ENTERED, participation=kind
            )
        elif taken < places_of(workshop_session, kind):
            registration = Registration(
                session_id=session_id,
                user_id=user.id,
                status=RegistrationStatus.CONFIRMED,
                participation=kind,
            )
        else:
            registration = Registration(
                session_id=session_id,
                user_id=user.id,
                status=RegistrationStatus.WAITLISTED,
                waitlist_position=waiting + 1,
                participation=kind,
            )
        registration.created_at = registration.updated_at = now
        session.add(registration)
        await session.flush()
        _audit(session, registration, "registration.create", user, now)
        _tell(session, registration, user, now)
    return registration


def chosen_participation(workshop_session: WorkshopSession, asked: Participation | None) -> Participation:
    """How a person takes part in this session, or a refusal where it does not offer that way."""
    kind = participation_for(workshop_session.attendance_mode.value, asked.value if asked else None)
    if kind is None:
        raise InvalidInput("participation_not_offered", "participation")
    return Participation(kind)


async def add_by_hand(
    db: Database,
    session_id: int,
    user_id: int,
    *,
    reason: str | None,
    actor: User,
    now: datetime,
    participation: Participation | None = None,
) -> Registration:
    """Staff give a person a place at the desk: beyond the capacity only with a reason, which the
    audit log keeps; the person gets the usual confirmation mail."""
    async with db.write() as session:
        workshop_session = await locked_session(session, session_id)
        kind = chosen_participation(workshop_session, participation)
        if workshop_session.cancelled_at is not None:
            raise Conflict("registration_closed")
        if workshop_session.mode is SignupMode.LOTTERY and workshop_session.drawn_at is None:
            raise Conflict("lottery_not_drawn")
        person = await session.get(User, user_id)
        if person is None or person.deleted_at is not None:
            raise NotFound(N_("The person %(id)s"), id=user_id)
        existing = await session.scalar(
            select(Registration.id).where(
                Registration.session_id == session_id,
                Registration.user_id == user_id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
        if existing is not None:
            raise Conflict("person_registered")
        taken, _ = await counts(session, session_id, kind)
        capacity = places_of(workshop_session, kind)
        if taken >= capacity and not reason:
            raise Conflict("over_capacity_needs_reason", "reason", capacity=capacity)
        registration = Registration(
            session_id=session_id, user_id=user_id, status=RegistrationStatus.CONFIRMED, participation=kind
        )
        registration.created_at = registration.updated_at = now
        session.add(registration)
        await session.flush()
        _audit(session, registration, "registration.added_by_staff", actor, now, reason=reason or None)
        _tell(session, registration, person, now)
    return registration


async def mail_participants(
    db: Database, session_id: int, *, subject: str, body: str, actor: User, now: datetime
) -> int:
    """Staff write to everyone holding a place: one outbox message each, in the words typed
    (shown to every recipient as typed, whatever their language); how many were queued."""
    async with db.write() as session:
        await locked_session(session, session_id)
        holding = await session.scalars(
            select(Registration)
            .where(Registration.session_id == session_id, Registration.status.in_(HOLDING_STATUSES))
            .options(joinedload(Registration.user))
        )
        queued = 0
        for registration in holding:
            if registration.user is not None and people_receive_mail(registration.user):
                enqueue(
                    session,
                    kind="workshop_session.message",
                    user=registration.user,
                    payload={
                        "registration_id": registration.id,
                        "session_id": session_id,
                        "subject": subject,
                        "body": body,
                    },
                    now=now,
                )
                queued += 1
        record(
            session,
            actor_id=actor.id,
            action="workshop_session.message",
            object_type="workshop_session",
            object_id=session_id,
            at=now,
            after={"subject": subject, "recipients": queued},
        )
    return queued


async def get_registration(session: AsyncSession, registration_id: int, viewer: User) -> Registration:
    registration = await session.scalar(
        select(Registration).where(Registration.id == registration_id).options(joinedload(Registration.user))
    )
    if registration is None or (registration.user_id != viewer.id and not viewer.role.is_staff):
        raise NotFound(N_("The registration %(id)s"), id=registration_id)
    return registration


async def cancel_registration(
    db: Database, registration_id: int, *, actor: User, now: datetime
) -> Registration:
    """Cancel; a freed place goes to the first on the waitlist (or is offered to them)."""
    async with db.write() as session:
        return await cancel_registration_within(session, registration_id, actor=actor, now=now)


async def cancel_registration_within(
    session: AsyncSession, registration_id: int, *, actor: User, now: datetime
) -> Registration:
    """Cancel inside the caller's write transaction (see cancel_registration)."""
    probe = await get_registration(session, registration_id, actor)
    workshop_session = await locked_session(session, probe.session_id)
    registration = await get_registration(session, registration_id, actor)
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.ATTENDED):
        raise Conflict("invalid_state", status=registration.status.value)
    before = snapshot(registration, REGISTRATION_FIELDS)
    held_a_place = registration.status in HOLDING_STATUSES
    left_position = registration.waitlist_position
    registration.status = RegistrationStatus.CANCELLED
    registration.waitlist_position = None
    registration.offered_until = None
    registration.updated_at = now
    await session.flush()
    _audit(session, registration, "registration.cancel", actor, now, before)
    if left_position is not None:
        await _close_gap(session, workshop_session.id, registration.participation, left_position, now)
    # In a lottery before the draw nobody waits yet; after it, the waitlist moves up as usual.
    waitlist_moves = workshop_session.mode is SignupMode.FIRST_COME or workshop_session.drawn_at is not None
    if held_a_place and waitlist_moves:
        await _fill_place(session, workshop_session, registration.participation, now)
    return registration


async def _close_gap(
    session: AsyncSession, session_id: int, participation: Participation, freed: int, now: datetime
) -> None:
    """Move everyone behind a freed place of one waitlist one up, front to back (unique positions)."""
    behind = await session.scalars(
        select(Registration)
        .where(
            Registration.session_id == session_id,
            Registration.participation == participation,
            Registration.waitlist_position > freed,
        )
        .order_by(Registration.waitlist_position)
    )
    for registration in behind:
        assert registration.waitlist_position is not None
        registration.waitlist_position -= 1
        registration.updated_at = now
        await session.flush()


async def _fill_place(
    session: AsyncSession, workshop_session: WorkshopSession, participation: Participation, now: datetime
) -> None:
    """A freed place goes to the first waiting for a place of the same kind."""
    first = await session.scalar(
        select(Registration)
        .where(
            Registration.session_id == workshop_session.id,
            Registration.participation == participation,
            Registration.waitlist_position == 1,
        )
        .options(joinedload(Registration.user))
    )
    if first is None:
        return
    before = snapshot(first, REGISTRATION_FIELDS)
    hours = workshop_session.workshop.offer_hours
    first.status = RegistrationStatus.OFFERED if hours else RegistrationStatus.CONFIRMED
    first.offered_until = now + timedelta(hours=hours) if hours else None
    first.waitlist_position = None
    first.updated_at = now
    await session.flush()
    _audit(session, first, "registration.promote", None, now, before)
    await _close_gap(session, workshop_session.id, participation, 1, now)
    if first.user is not None:
        _tell(session, first, first.user, now)


async def accept_offer(db: Database, registration_id: int, *, actor: User, now: datetime) -> Registration:
    async with db.write() as session:
        registration = await get_registration(session, registration_id, actor)
        await locked_session(session, registration.session_id)
        if registration.status is not RegistrationStatus.OFFERED:
            raise Conflict("invalid_state", status=registration.status.value)
        before = snapshot(registration, REGISTRATION_FIELDS)
        registration.status = RegistrationStatus.CONFIRMED
        registration.offered_until = None
        registration.updated_at = now
        await session.flush()
        _audit(session, registration, "registration.accept", actor, now, before)
    return registration


async def expire_offers(db: Database, *, now: datetime) -> int:
    """Offers not taken up in time lapse; the place goes to the next person. Safe to run twice."""
    async with db.write() as session:
        lapsed = list(
            await session.scalars(
                select(Registration.id).where(
                    Registration.status == RegistrationStatus.OFFERED, Registration.offered_until <= now
                )
            )
        )
        for registration_id in lapsed:
            registration = await session.get(Registration, registration_id)
            assert registration is not None
            workshop_session = await locked_session(session, registration.session_id)
            await session.refresh(registration)
            if registration.status is not RegistrationStatus.OFFERED:
                continue
            before = snapshot(registration, REGISTRATION_FIELDS)
            registration.status = RegistrationStatus.CANCELLED
            registration.offered_until = None
            registration.updated_at = now
            await session.flush()
            _audit(session, registration, "registration.offer_lapsed", None, now, before)
            await _fill_place(session, workshop_session, registration.participation, now)
    return len(lapsed)


async def draw(
    db: Database, session_id: int, *, seed: str | None, actor: User | None, now: datetime
) -> tuple[str, list[Registration]]:
    """Draw a lottery session's places with a recorded seed; the rest wait in drawn order.

    Staff may draw by hand; otherwise the scheduler draws once registration has closed.
    """
    async with db.write() as session:
        workshop_session = await locked_session(session, session_id)
        if workshop_session.mode is not SignupMode.LOTTERY:
            raise Conflict("not_a_lottery")
        if workshop_session.drawn_at is not None:
            raise Conflict("already_drawn")
        if now < workshop_session.registration_closes:
            raise Conflict("registration_open")
        seed = seed or secrets.token_hex(8)
        entered = list(
            await session.scalars(
                select(Registration)
                .where(
                    Registration.session_id == session_id, Registration.status == RegistrationStatus.ENTERED
                )
                .options(joinedload(Registration.user))
            )
        )
        since = now - timedelta(days=workshop_session.workshop.lottery_cooldown_days)
        recent_winners = set(
            await session.scalars(
                select(Registration.user_id)
                .join(WorkshopSession, WorkshopSession.id == Registration.session_id)
                .where(
                    WorkshopSession.workshop_id == workshop_session.workshop_id,
                    WorkshopSession.id != session_id,
                    WorkshopSession.start_at >= since,
                    Registration.status.in_(HOLDING_STATUSES),
                )
            )
        )
        by_id = {r.id: r for r in entered}
        winners: list[int] = []
        waitlist: list[int] = []
        rank = 0
        # Each kind of place is drawn on its own with the same seed (two draws for a hybrid session).
        for kind in (Participation.IN_PERSON, Participation.ONLINE):
            result = draw_places(
                [Entrant(r.id, r.user_id in recent_winners) for r in entered if r.participation is kind],
                places_of(workshop_session, kind),
                seed,
            )
            winners += result.winners
            waitlist += result.waitlist
            for position, registration_id in enumerate(result.winners + result.waitlist, start=1):
                registration = by_id[registration_id]
                rank += 1
                registration.draw_rank = rank
                registration.updated_at = now
                if registration_id in result.winners:
                    registration.status = RegistrationStatus.CONFIRMED
                else:
                    registration.status = RegistrationStatus.WAITLISTED
                    registration.waitlist_position = position - len(result.winners)
        workshop_session.draw_seed = seed
        workshop_session.drawn_at = now
        await session.flush()
        record(
            session,
            actor_id=actor.id if actor else None,
            action="workshop_session.draw",
            object_type="workshop_session",
            object_id=session_id,
            at=now,
            after={"seed": seed, "winners": winners, "waitlist": waitlist},
        )
        for registration in entered:
            if registration.user is not None:
                _tell(session, registration, registration.user, now)
    return seed, [by_id[i] for i in winners + waitlist]


async def mark_attendance(
    db: Database, session_id: int, registration_ids: list[int], *, actor: User, now: datetime
) -> list[Registration]:
    """Tick people off, at any time (in advance for a known group, or later); attending a workshop
    that grants a certification gives it to them, holding from the session's start, never before."""
    async with db.write() as session:
        workshop_session = await locked_session(session, session_id)
        chosen = list(
            await session.scalars(
                select(Registration)
                .where(Registration.session_id == session_id, Registration.id.in_(registration_ids))
                .options(joinedload(Registration.user))
            )
        )
        if len(chosen) != len(set(registration_ids)):
            raise InvalidInput("invalid_input", "registration_ids")
        grants = workshop_session.workshop.grants_certification_id
        certification = await session.get(Certification, grants) if grants else None
        for registration in chosen:
            if registration.status is RegistrationStatus.ATTENDED:
                continue
            before = snapshot(registration, REGISTRATION_FIELDS)
            registration.status = RegistrationStatus.ATTENDED
            registration.waitlist_position = None
            registration.updated_at = now
            await session.flush()
            _audit(session, registration, "registration.attended", actor, now, before)
            if certification is not None and registration.user is not None:
                await _grant(
                    session,
                    registration.user,
                    certification,
                    expires_at=certification_expiry(workshop_session.end_at, certification.valid_months),
                    note=f"workshop session {session_id}",
                    source="workshop",
                    actor=actor,
                    now=now,
                    holds_from=workshop_session.start_at,
                )
    return chosen


async def _grant(
    session: AsyncSession,
    user: User,
    certification: Certification,
    *,
    expires_at: datetime | None,
    note: str,
    source: str,
    actor: User,
    now: datetime,
    holds_from: datetime | None = None,
) -> UserCertification:
    held = UserCertification(
        user_id=user.id,
        certification_id=certification.id,
        granted_at=holds_from or now,
        expires_at=expires_at,
        granted_by_id=actor.id,
        source=source,
        note=note,
    )
    session.add(held)
    await session.flush()
    record(
        session,
        actor_id=actor.id,
        action="certification.grant",
        object_type="user",
        object_id=user.id,
        at=now,
        after={
            "certification": certification.key,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
        reason=note or None,
    )
    enqueue(
        session,
        kind="certification.granted",
        user=user,
        payload={"certification": certification.key},
        now=now,
    )
    return held


async def grant_certification(
    db: Database,
    user_id: int,
    key: str,
    *,
    expires_at: datetime | None,
    note: str,
    actor: User,
    now: datetime,
) -> UserCertification:
    async with db.write() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise NotFound(N_("The account %(id)s"), id=user_id)
        certification = await session.scalar(select(Certification).where(Certification.key == key))
        if certification is None:
            raise InvalidInput("invalid_input", "key")
        if expires_at is None:
            expires_at = certification_expiry(now, certification.valid_months)
        return await _grant(
            session,
            user,
            certification,
            expires_at=expires_at,
            note=note,
            source="staff",
            actor=actor,
            now=now,
        )


async def revoke_certification(
    db: Database, user_id: int, key: str, *, reason: str, actor: User, now: datetime
) -> int:
    if not reason.strip():
        raise InvalidInput("reason_required", "reason")
    async with db.write() as session:
        held = list(
            await session.scalars(
                select(UserCertification)
                .join(Certification, Certification.id == UserCertification.certification_id)
                .where(
                    UserCertification.user_id == user_id,
                    Certification.key == key,
                    UserCertification.revoked_at.is_(None),
                )
            )
        )
        if not held:
            raise NotFound(N_("The certification '%(key)s'"), key=key)
        for one in held:
            one.revoked_at = now
        record(
            session,
            actor_id=actor.id,
            action="certification.revoke",
            object_type="user",
            object_id=user_id,
            at=now,
            before={"certification": key},
            reason=reason,
        )
    return len(held)


async def move_or_cancel_session(
    db: Database,
    session_id: int,
    *,
    start: datetime | None,
    end: datetime | None,
    cancel: bool,
    reason: str | None,
    actor: User,
    now: datetime,
) -> WorkshopSession:
    """Moving a session moves its room booking; cancelling cancels the room booking through the
    booking lifecycle (a room booking already over or cancelled stays as it is). Everyone
    registered hears of it through the outbox."""
    async with db.write() as session:
        return await move_or_cancel_session_within(
            session, session_id, start=start, end=end, cancel=cancel, reason=reason, actor=actor, now=now
        )


async def move_or_cancel_session_within(
    session: AsyncSession,
    session_id: int,
    *,
    start: datetime | None,
    end: datetime | None,
    cancel: bool,
    reason: str | None,
    actor: User,
    now: datetime,
    room: str | None = None,
) -> WorkshopSession:
    """`move_or_cancel_session` inside a caller's transaction (a closure that cancels sessions,
    an edit). A move to another `room` books that room through the booking engine and cancels
    the old room's booking; RuleBroken or SlotTaken when the new room is refused."""
    workshop_session = await locked_session(session, session_id)
    booking = await session.get(Booking, workshop_session.booking_id) if workshop_session.booking_id else None
    before = snapshot(workshop_session, MOVE_FIELDS)
    if cancel:
        workshop_session.cancelled_at = now
        if booking is not None and may_become(booking.status, BookingStatus.CANCELLED):
            cancel_within(session, booking, actor=actor, now=now, reason=reason, tell_owner=False)
        kind = "workshop_session.cancelled"
    else:
        new_start = (start or workshop_session.start_at).astimezone(UTC)
        new_end = (end or workshop_session.end_at).astimezone(UTC)
        if new_end <= new_start:
            raise InvalidInput("end_before_start", "end")
        if room is not None:
            await _change_room(session, workshop_session, booking, room, new_start, new_end, actor, now)
        else:
            shift_start, shift_end = new_start - workshop_session.start_at, new_end - workshop_session.end_at
            if booking is not None:
                booking.start_at, booking.end_at = new_start, new_end
                booking.occupied_start += shift_start
                booking.occupied_end += shift_end
        workshop_session.start_at, workshop_session.end_at = new_start, new_end
        kind = "workshop_session.moved"
    try:
        await session.flush()  # the overlap guarantee speaks for the moved room booking here
    except DBAPIError as error:
        if not is_lost_race(error):
            raise
        raise Conflict("slot_taken", extra={"alternatives": []}) from error
    record(
        session,
        actor_id=actor.id,
        action=kind,
        object_type="workshop_session",
        object_id=session_id,
        at=now,
        before=before,
        after=snapshot(workshop_session, MOVE_FIELDS),
        reason=reason,
    )
    registered = await session.scalars(
        select(Registration)
        .where(Registration.session_id == session_id, Registration.status != RegistrationStatus.CANCELLED)
        .options(joinedload(Registration.user))
    )
    for registration in registered:
        if registration.user is not None:
            enqueue(
                session,
                kind=kind,
                user=registration.user,
                payload={"session_id": session_id, "registration_id": registration.id, "reason": reason},
                now=now,
            )
    return workshop_session


MOVE_FIELDS = ("start_at", "end_at", "resource_id", "cancelled_at")


async def _change_room(
    session: AsyncSession,
    workshop_session: WorkshopSession,
    booking: Booking | None,
    room: str,
    start: datetime,
    end: datetime,
    actor: User,
    now: datetime,
) -> None:
    """The old room's booking is cancelled and the new room booked as for a new session, in the
    caller's transaction: if the new room is refused, nothing changes."""
    if booking is not None and may_become(booking.status, BookingStatus.CANCELLED):
        cancel_within(session, booking, actor=actor, now=now, reason=None, tell_owner=False)
        await session.flush()
    moved = await book_within(
        session,
        NewBooking(
            resource_slug=room,
            start=start,
            end=end,
            note=workshop_session.workshop.title,
            purpose=BookingPurpose.WORKSHOP,
        ),
        booker=actor,
        actor=actor,
        now=now,
    )
    workshop_session.resource_id, workshop_session.booking_id = moved.resource_id, moved.id


@dataclass(frozen=True)
class SessionChange:
    """What an edit of a session changes; None leaves a field as it is (an empty `stream_url`
    removes the stream). A new time or room is a move: everyone registered is told."""

    start: datetime | None = None
    end: datetime | None = None
    room: str | None = None
    capacity: int | None = None
    online_capacity: int | None = None  # a hybrid session's online places
    attendance_mode: AttendanceMode | None = None
    stream_url: str | None = None
    stream_public: bool | None = None
    reason: str | None = None


SESSION_FIELDS = ("capacity", "online_capacity", "attendance_mode", "stream_url", "stream_public")


async def _change_attendance_mode(
    session: AsyncSession, workshop_session: WorkshopSession, mode: str
) -> None:
    """A new attendance mode must still offer the way each registered person takes part; a
    session that becomes hybrid gets as many online places as room places, to be edited after."""
    present = set(
        await session.scalars(
            select(Registration.participation)
            .where(
                Registration.session_id == workshop_session.id,
                Registration.status.in_((*HOLDING_STATUSES, RegistrationStatus.WAITLISTED)),
            )
            .distinct()
        )
    )
    if any(participation not in participations(mode) for participation in present):
        raise InvalidInput("participation_not_offered", "attendance_mode")
    hybrid = mode == AttendanceMode.HYBRID
    workshop_session.online_capacity = (
        (workshop_session.online_capacity or workshop_session.capacity) if hybrid else None
    )


async def edit_session(
    db: Database, session_id: int, change: SessionChange, *, actor: User, now: datetime
) -> WorkshopSession:
    """Change a session's time, room, places and attendance in one transaction: all or nothing.

    The places can't go below those already held (people are not put off by an edit; cancel
    their registrations first); more places go to the waitlist in order."""

    async def work(session: AsyncSession) -> WorkshopSession:
        workshop_session = await locked_session(session, session_id)
        if workshop_session.cancelled_at is not None:
            raise Conflict("session_cancelled")
        mode = change.attendance_mode or workshop_session.attendance_mode
        url = workshop_session.stream_url if change.stream_url is None else (change.stream_url or None)
        problem = stream_problem(mode, url)
        if problem is not None:
            raise InvalidInput(problem, "stream_url")
        if mode != workshop_session.attendance_mode:
            await _change_attendance_mode(session, workshop_session, mode)
        room = await session.scalar(select(Resource.slug).where(Resource.id == workshop_session.resource_id))
        new_room = change.room if change.room not in (None, room) else None
        times = (change.start or workshop_session.start_at, change.end or workshop_session.end_at)
        if new_room is not None or times != (workshop_session.start_at, workshop_session.end_at):
            try:
                await move_or_cancel_session_within(
                    session,
                    session_id,
                    start=change.start,
                    end=change.end,
                    cancel=False,
                    reason=change.reason,
                    actor=actor,
                    now=now,
                    room=new_room,
                )
            except (RuleBroken, SlotTaken) as error:
                raise room_refused(error) from error
        before = snapshot(workshop_session, SESSION_FIELDS)
        if change.capacity is not None and change.capacity != workshop_session.capacity:
            # `capacity` counts the places of the session's first way to take part (see rules.places).
            kind = Participation(participations(mode)[0])
            taken, waiting = await counts(session, session_id, kind)
            if change.capacity < taken:
                raise Conflict("capacity_below_taken", "capacity", taken=taken)
            workshop_session.capacity = change.capacity
            for _ in range(min(change.capacity - taken, waiting)):
                await _fill_place(session, workshop_session, kind, now)
        if change.online_capacity is not None and change.online_capacity != workshop_session.online_capacity:
            if (online := online_capacity_problem(mode, change.online_capacity)) is not None:
                raise InvalidInput(online, "online_capacity")
            taken, waiting = await counts(session, session_id, Participation.ONLINE)
            if change.online_capacity < taken:
                raise Conflict("capacity_below_taken", "online_capacity", taken=taken)
            workshop_session.online_capacity = change.online_capacity
            for _ in range(min(change.online_capacity - taken, waiting)):
                await _fill_place(session, workshop_session, Participation.ONLINE, now)
        workshop_session.attendance_mode, workshop_session.stream_url = mode, url
        if change.stream_public is not None:
            workshop_session.stream_public = change.stream_public
        await session.flush()
        changed_before, changed_after = only_changed(before, snapshot(workshop_session, SESSION_FIELDS))
        if changed_after:
            record(
                session,
                actor_id=actor.id,
                action="workshop_session.update",
                object_type="workshop_session",
                object_id=session_id,
                at=now,
                before=changed_before,
                after=changed_after,
                reason=change.reason,
            )
        return workshop_session

    return await retrying_lost_races(
        db, work, lost=lambda: Conflict("slot_taken", extra={"alternatives": []})
    )


async def draw_closed_lotteries(db: Database, *, now: datetime) -> int:
    """Draw every lottery whose registration has closed and that nobody has drawn yet."""
    async with db.read() as session:
        due = list(
            await session.scalars(
                select(WorkshopSession.id).where(
                    WorkshopSession.mode == SignupMode.LOTTERY,
                    WorkshopSession.drawn_at.is_(None),
                    WorkshopSession.cancelled_at.is_(None),
                    WorkshopSession.registration_closes <= now,
                )
            )
        )
    drawn = 0
    for session_id in due:
        try:
            await draw(db, session_id, seed=None, actor=None, now=now)
            drawn += 1
        except Conflict as problem:
            if problem.code != "already_drawn":  # another process was quicker: fine
                raise
    return drawn
