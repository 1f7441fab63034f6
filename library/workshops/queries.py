"""Reading workshops for people to look at: sessions with their places taken, a person's registrations.

The API and the pages count places the same way (`session_tallies`), so they never disagree
about how many are left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from library.accounts.models import Certification
from library.catalog.models import Factor, Location, Resource
from library.errors import NotFound
from library.i18n import N_
from library.workshops.models import (
    HOLDING_STATUSES,
    STAFF_ORDER,
    AttendanceMode,
    Participation,
    Registration,
    RegistrationStatus,
    SignupMode,
    Workshop,
    WorkshopSession,
)
from library.workshops.rules import session_state, stream_visible
from library.workshops.service import session_facts

SESSION_PLACE = (joinedload(WorkshopSession.resource).joinedload(Resource.location),)
"""A session's room and the room's location (whose time zone its times are shown in)."""

WORKSHOP_OPTIONS = (
    selectinload(Workshop.sessions).joinedload(WorkshopSession.resource),
    joinedload(Workshop.grants_certification),
    joinedload(Workshop.required_certification),
)
"""A workshop with its sessions, their rooms, and the certifications it grants and requires."""


@dataclass(frozen=True)
class Tally:
    taken: int  # places held: confirmed, offered or attended
    waiting: int  # on the waitlist
    entered: int  # in the lottery, before the draw
    drawn: int = 0  # entries the draw ranked (whatever became of them since)
    online_taken: int = 0  # of `taken`, the places held online
    online_waiting: int = 0  # of `waiting`, those waiting for an online place

    def room_taken(self, workshop_session: WorkshopSession) -> int:
        """Places of the session's `capacity` kind taken: in the room, or every place of an online session."""
        if workshop_session.online_capacity is None:
            return self.taken
        return self.taken - self.online_taken

    def room_waiting(self, workshop_session: WorkshopSession) -> int:
        if workshop_session.online_capacity is None:
            return self.waiting
        return self.waiting - self.online_waiting


async def session_tallies(session: AsyncSession, session_ids: Sequence[int]) -> dict[int, Tally]:
    """Places taken, people waiting and lottery entries per session (online ones apart), in one query."""
    by_status: dict[int, dict[tuple[RegistrationStatus, Participation], int]] = {i: {} for i in session_ids}
    ranked: dict[int, int] = dict.fromkeys(session_ids, 0)
    if session_ids:
        rows = await session.execute(
            select(
                Registration.session_id,
                Registration.status,
                Registration.participation,
                func.count(),
                func.count(Registration.draw_rank),
            )
            .where(Registration.session_id.in_(session_ids))
            .group_by(Registration.session_id, Registration.status, Registration.participation)
        )
        for session_id, status, participation, number, with_rank in rows:
            by_status[session_id][status, participation] = number
            ranked[session_id] += with_rank

    def count(
        counts: dict[tuple[RegistrationStatus, Participation], int],
        *statuses: RegistrationStatus,
        only: Participation | None = None,
    ) -> int:
        return sum(n for (status, kind), n in counts.items() if status in statuses and only in (None, kind))

    online = Participation.ONLINE
    return {
        session_id: Tally(
            taken=count(counts, *HOLDING_STATUSES),
            waiting=count(counts, RegistrationStatus.WAITLISTED),
            entered=count(counts, RegistrationStatus.ENTERED),
            drawn=ranked[session_id],
            online_taken=count(counts, *HOLDING_STATUSES, only=online),
            online_waiting=count(counts, RegistrationStatus.WAITLISTED, only=online),
        )
        for session_id, counts in by_status.items()
    }


@dataclass(frozen=True)
class SessionSummary:
    """A session as the API answers it and staff see it listed: times in the library's zone."""

    id: int
    start: datetime
    end: datetime
    room: str  # the room's slug
    capacity: int  # places in the room, or all places of an online session
    confirmed: int  # of those
    waitlisted: int  # for those
    entered: int  # a lottery's entries: those in it before the draw, those the draw ranked after
    mode: SignupMode
    registration_opens: datetime
    registration_closes: datetime
    state: str
    attendance_mode: AttendanceMode
    stream_public: bool
    stream_url: str | None  # only where the stream is public; participants see it via stream_for
    online_capacity: int | None  # a hybrid session's online places, and how they are taken
    online_confirmed: int | None
    online_waitlisted: int | None


def stream_for(registration: Registration | None, workshop_session: WorkshopSession) -> str | None:
    """The stream address a registration's holder (None: anyone) may see: a confirmed (or
    attended) online place's, or everyone's where the stream is public. API, pages, mail, feeds."""
    held = registration is not None and registration.status in (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.ATTENDED,
    )
    online = registration is not None and registration.participation is Participation.ONLINE
    if stream_visible(stream_public=workshop_session.stream_public, confirmed=held, online=online):
        return workshop_session.stream_url
    return None


async def session_summaries(
    session: AsyncSession, sessions: Sequence[WorkshopSession], zone: ZoneInfo, now: datetime
) -> list[SessionSummary]:
    """Every session (room loaded) with its counts and state: one query for all the counts."""
    tallies = await session_tallies(session, [s.id for s in sessions])
    return [
        SessionSummary(
            id=s.id,
            start=s.start_at.astimezone(zone),
            end=s.end_at.astimezone(zone),
            room=s.resource.slug,
            capacity=s.capacity,
            confirmed=tallies[s.id].room_taken(s),
            waitlisted=tallies[s.id].room_waiting(s),
            entered=tallies[s.id].drawn if s.drawn_at else tallies[s.id].entered,
            mode=s.mode,
            registration_opens=s.registration_opens.astimezone(zone),
            registration_closes=s.registration_closes.astimezone(zone),
            state=session_state(session_facts(s), now, tallies[s.id].taken, tallies[s.id].online_taken),
            attendance_mode=s.attendance_mode,
            stream_public=s.stream_public,
            stream_url=s.stream_url if s.stream_public else None,
            online_capacity=s.online_capacity,
            online_confirmed=tallies[s.id].online_taken if s.online_capacity is not None else None,
            online_waitlisted=tallies[s.id].online_waiting if s.online_capacity is not None else None,
        )
        for s in sessions
    ]


async def upcoming_sessions(
    session: AsyncSession,
    *,
    now: datetime,
    factor: Factor | None = None,
    location_slug: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[WorkshopSession]:
    """Sessions not yet over and not cancelled, soonest first, with workshop, room and location."""
    statement = (
        select(WorkshopSession)
        .join(Workshop, Workshop.id == WorkshopSession.workshop_id)
        .where(WorkshopSession.end_at > now, WorkshopSession.cancelled_at.is_(None))
        .options(joinedload(WorkshopSession.workshop), *SESSION_PLACE)
        .order_by(WorkshopSession.start_at, WorkshopSession.id)
        .limit(limit)
        .offset(offset)
    )
    if factor is not None:
        statement = statement.where(Workshop.factor == factor)
    if location_slug:
        statement = (
            statement.join(Resource, Resource.id == WorkshopSession.resource_id)
            .join(Location, Location.id == Resource.location_id)
            .where(Location.slug == location_slug)
        )
    return list(await session.scalars(statement))


async def workshop_with_sessions(session: AsyncSession, slug: str) -> Workshop | None:
    """A workshop with its certifications and all its sessions (rooms and locations loaded)."""
    return await session.scalar(
        select(Workshop)
        .where(Workshop.slug == slug)
        .options(
            selectinload(Workshop.sessions)
            .joinedload(WorkshopSession.resource)
            .joinedload(Resource.location),
            joinedload(Workshop.grants_certification),
            joinedload(Workshop.required_certification),
        )
    )


async def registrations_of(
    session: AsyncSession, user_id: int, *, session_ids: Sequence[int] | None = None
) -> list[Registration]:
    """A person's registrations (of some sessions, if given), by session start, each with its
    session, workshop, room and location."""
    statement = (
        select(Registration)
        .join(WorkshopSession, WorkshopSession.id == Registration.session_id)
        .where(Registration.user_id == user_id)
        .options(
            joinedload(Registration.session).joinedload(WorkshopSession.workshop),
            joinedload(Registration.session)
            .joinedload(WorkshopSession.resource)
            .joinedload(Resource.location),
        )
        .order_by(WorkshopSession.start_at, Registration.id)
    )
    if session_ids is not None:
        statement = statement.where(Registration.session_id.in_(session_ids))
    return list(await session.scalars(statement))


async def renewing_workshop(session: AsyncSession, certification_key: str, now: datetime) -> Workshop | None:
    """The workshop to name where a certification is missing, expired or expiring: of those that
    grant it, the one whose next session (not cancelled) comes first, else the first one made."""
    next_start = func.min(WorkshopSession.start_at)
    return await session.scalar(
        select(Workshop)
        .join(Certification, Certification.id == Workshop.grants_certification_id)
        .outerjoin(
            WorkshopSession,
            (WorkshopSession.workshop_id == Workshop.id)
            & (WorkshopSession.start_at > now)
            & WorkshopSession.cancelled_at.is_(None),
        )
        .where(Certification.key == certification_key)
        .group_by(Workshop.id)
        .order_by(next_start.is_(None), next_start, Workshop.id)
        .limit(1)
    )


async def workshop_counts_by_factor(session: AsyncSession) -> dict[Factor, int]:
    """How many workshops each factor has: the home page's factor cards and GET /factors."""
    rows = await session.execute(select(Workshop.factor, func.count()).group_by(Workshop.factor))
    return {factor: count for factor, count in rows}


@dataclass(frozen=True)
class SessionAtDesk:
    """One session as the staff's pages of it (the session, the door, the list's file, the
    message) all load it: room, workshop and the certification it grants, its people in the
    staff's order, and its counts."""

    session: WorkshopSession
    registrations: list[Registration]
    summary: SessionSummary


async def session_at_desk(
    session: AsyncSession, session_id: int, zone: ZoneInfo, now: datetime
) -> SessionAtDesk:
    found = await session.scalar(
        select(WorkshopSession)
        .where(WorkshopSession.id == session_id)
        .options(
            joinedload(WorkshopSession.resource),
            joinedload(WorkshopSession.workshop).joinedload(Workshop.grants_certification),
        )
    )
    if found is None:
        raise NotFound(N_("The session %(id)s"), id=session_id)
    registrations = list(
        await session.scalars(
            select(Registration)
            .where(Registration.session_id == session_id)
            .options(joinedload(Registration.user))
            .order_by(*STAFF_ORDER)
        )
    )
    return SessionAtDesk(found, registrations, (await session_summaries(session, [found], zone, now))[0])
