"""workshops.yaml: workshops and their sessions, which book their rooms through the booking engine.

Sessions are given relative to the day of loading (`in_days`, 1 = tomorrow) or as days of the
introduction week (`intro_day`), and book their rooms as the system account
`system@library.invalid`, which the loader creates.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import Certification, Language, Role, User
from library.booking.availability import free_units
from library.booking.intervals import Interval
from library.booking.queries import LocationHours, load_location_hours, load_occupations
from library.booking.rules import occupied_span
from library.booking.service import RuleBroken, SlotTaken, days_around, resource_facts
from library.catalog.hours import DayHours, local_instant
from library.catalog.models import Factor, Resource, ResourceKind
from library.seeding.files import (
    CERTIFICATIONS_FILE,
    RESOURCES_FILE,
    WORKSHOPS_FILE,
    Fields,
    SeedError,
    duplicates,
    entry_name,
    read_yaml,
    top_level,
)
from library.seeding.report import SeedReport, apply, upsert
from library.seeding.resources import ResourceSpec
from library.workshops.models import Registration, SignupMode, Workshop, WorkshopSession
from library.workshops.service import NewSession, add_session_within

SESSION_DAY_SEARCH = 14  # how many days a session given in days from today may move on to an open day
INTRO_WEEK_SEARCH = 8  # how many weeks the introduction week may move on to find its rooms free
INTRO_DAY_SPAN = 28  # the introduction week's open days lie within so many days of its Monday
SYSTEM_EMAIL = "system@library.invalid"  # the account that books the seed's workshop sessions
SYSTEM_NAME = "Bibliothek (System)"


@dataclass(frozen=True)
class SessionSpec:
    in_days: int | None  # days from today (1 = tomorrow), or
    intro_day: int | None  # the n-th open day of the introduction week
    at: time
    minutes: int
    room: str
    capacity: int
    mode: SignupMode
    opens_days_before: int
    closes_hours_before: int


@dataclass(frozen=True)
class WorkshopSpec:
    slug: str
    title: str
    title_en: str | None
    description: str
    description_en: str | None
    factor: Factor
    host: str
    language: Language
    min_age: int | None
    max_age: int | None
    grants_certification: str | None
    required_certification: str | None
    offer_hours: int | None
    sessions: tuple[SessionSpec, ...]


def _read_session(
    raw: object, where: str, rooms: Mapping[str, ResourceSpec], problems: list[str]
) -> SessionSpec | None:
    allowed = {
        "in_days", "intro_day", "at", "minutes", "room", "capacity", "mode",
        "opens_days_before", "closes_hours_before",
    }  # fmt: skip
    fields = Fields(raw, where, problems, allowed)
    in_days = fields.integer("in_days", minimum=1, maximum=365)
    intro_day = fields.integer("intro_day", minimum=1, maximum=12)
    if (fields.get("in_days") is None) == (fields.get("intro_day") is None):
        fields.fail("give either 'in_days' (1 = tomorrow) or 'intro_day' (a day of the introduction week)")
    at = fields.time_of_day("at")
    minutes = fields.integer("minutes", minimum=15, maximum=720)
    if fields.get("minutes") is None:
        fields.fail("'minutes' is missing (the length of the session)")
    if at is not None and minutes is not None and at.hour * 60 + at.minute + minutes > 24 * 60:
        fields.fail(f"starts at {at:%H:%M} and lasts {minutes} minutes: it must end by midnight")
    room = fields.text("room", required=True)
    if room and room not in rooms:
        fields.fail(f"unknown room '{room}' (not in {RESOURCES_FILE})")
    elif room and rooms[room].kind is not ResourceKind.ROOM:
        fields.fail(f"'{room}' is not a room (its kind is {rooms[room].kind.value})")
    capacity = fields.integer("capacity", minimum=1, maximum=10_000)
    if fields.get("capacity") is None:
        fields.fail("'capacity' is missing (how many places)")
    mode = fields.choice("mode", SignupMode) if fields.get("mode") is not None else SignupMode.FIRST_COME
    opens = fields.integer("opens_days_before", maximum=365)
    closes = fields.integer("closes_hours_before", maximum=24 * 90)
    opens = 28 if opens is None else opens
    closes = closes or 0
    if opens * 24 <= closes:
        fields.fail(f"registration would close ({closes} hours before) before it opens ({opens} days before)")
    if (in_days is None and intro_day is None) or at is None or minutes is None or capacity is None:
        return None
    if mode is None or not room or room not in rooms:
        return None
    return SessionSpec(in_days, intro_day, at, minutes, room, capacity, mode, opens, closes)


def read_workshops(
    seed_dir: Path,
    certifications: Collection[str],
    resources: Sequence[ResourceSpec],
    problems: list[str],
) -> tuple[WorkshopSpec, ...]:
    top = top_level(read_yaml(seed_dir / WORKSHOPS_FILE), WORKSHOPS_FILE, {"workshops"}, problems)
    allowed = {
        "slug", "title", "title_en", "description", "description_en", "factor", "host", "language",
        "min_age", "max_age", "grants_certification", "required_certification", "offer_hours",
        "sessions",
    }  # fmt: skip
    rooms = {spec.slug: spec for spec in resources}
    specs: list[WorkshopSpec] = []
    for index, raw in enumerate(top.items("workshops")):
        where = f"{WORKSHOPS_FILE}, {entry_name('workshop', raw, 'slug', index)}"
        fields = Fields(raw, where, problems, allowed)
        keys: dict[str, str | None] = {}
        for key in ("grants_certification", "required_certification"):
            keys[key] = fields.optional_text(key)
            if keys[key] is not None and keys[key] not in certifications:
                fields.fail(
                    f"unknown certification key '{keys[key]}' in '{key}' (not in {CERTIFICATIONS_FILE})"
                )
        title_en = fields.optional_text("title_en", max_length=200)
        if title_en is None:
            fields.fail("'title_en' is missing: every workshop needs an English title")
        min_age, max_age = fields.integer("min_age", maximum=120), fields.integer("max_age", maximum=120)
        if min_age is not None and max_age is not None and min_age > max_age:
            fields.fail(f"'min_age' {min_age} is above 'max_age' {max_age}")
        factor = fields.choice("factor", Factor)
        language = fields.choice("language", Language) if fields.get("language") is not None else Language.DE
        sessions = [
            session
            for number, item in enumerate(fields.items("sessions"))
            if (session := _read_session(item, f"{where}, session #{number + 1}", rooms, problems))
        ]
        specs.append(
            WorkshopSpec(
                slug=fields.slug("slug"),
                title=fields.text("title", required=True, max_length=200),
                title_en=title_en,
                description=fields.text("description", multiline=True),
                description_en=fields.optional_text("description_en", multiline=True),
                factor=factor or Factor.KNOWHOW,
                host=fields.text("host", max_length=200) or "Stadtbibliothek Ulm",
                language=language or Language.DE,
                min_age=min_age,
                max_age=max_age,
                grants_certification=keys["grants_certification"],
                required_certification=keys["required_certification"],
                offer_hours=fields.integer("offer_hours", minimum=1, maximum=168),
                sessions=tuple(sessions),
            )
        )
    for slug in duplicates(spec.slug for spec in specs):
        problems.append(f"{WORKSHOPS_FILE}: duplicate workshop slug '{slug}'")
    intro_locations = {rooms[s.room].location for spec in specs for s in spec.sessions if s.intro_day}
    if len(intro_locations) > 1:
        problems.append(
            f"{WORKSHOPS_FILE}: the introduction week ('intro_day') must take place at one location, "
            f"not at {', '.join(sorted(intro_locations))}"
        )
    return tuple(specs)


async def system_user(session: AsyncSession, report: SeedReport) -> User:
    """The account that books the seed's workshop sessions: an admin no one can sign in as."""
    values: dict[str, Any] = {
        "name": SYSTEM_NAME,
        "role": Role.ADMIN,
        "password_hash": None,
        "is_active": False,
    }
    found = await session.scalar(select(User).where(User.email == SYSTEM_EMAIL))
    row = upsert(session, report, "users", found, (User, {"email": SYSTEM_EMAIL}), values)
    await session.flush()  # the seed's sessions are booked by its id
    return row


async def upsert_workshops(
    session: AsyncSession,
    specs: Sequence[WorkshopSpec],
    certifications: Mapping[str, Certification],
    report: SeedReport,
) -> dict[str, Workshop]:
    rows = await session.scalars(select(Workshop).where(Workshop.slug.in_([s.slug for s in specs])))
    existing = {row.slug: row for row in rows}
    result: dict[str, Workshop] = {}
    for spec in specs:
        grants = certifications[spec.grants_certification] if spec.grants_certification else None
        required = certifications[spec.required_certification] if spec.required_certification else None
        values: dict[str, Any] = {
            "title": spec.title,
            "title_en": spec.title_en,
            "description": spec.description,
            "description_en": spec.description_en,
            "factor": spec.factor,
            "host": spec.host,
            "language": spec.language.value,
            "min_age": spec.min_age,
            "max_age": spec.max_age,
            "grants_certification_id": grants.id if grants else None,
            "required_certification_id": required.id if required else None,
            "offer_hours": spec.offer_hours,
        }
        new = (Workshop, {"slug": spec.slug})
        result[spec.slug] = upsert(session, report, "workshops", existing.get(spec.slug), new, values)
    return result


@dataclass(frozen=True)
class _Planned:
    """A session of the file placed on a day: where it stands in the file, and when it is."""

    workshop: WorkshopSpec
    number: int  # 1-based, within the workshop
    spec: SessionSpec
    interval: Interval

    @property
    def where(self) -> str:
        return f"{WORKSHOPS_FILE}, workshop '{self.workshop.slug}', session #{self.number}"


SessionKey = tuple[int, datetime, int]  # workshop id, start (UTC), room id


def _minute_of_day(at: time) -> int:
    return at.hour * 60 + at.minute


def _session_fits(day: DayHours, spec: SessionSpec, *, staffed: bool) -> bool:
    """The location is open that day; a session that needs staff lies within staffed hours."""
    if not day.periods:
        return False
    start = _minute_of_day(spec.at)
    end = start + spec.minutes
    return not staffed or any(
        p.staffed and _minute_of_day(p.start) <= start and end <= _minute_of_day(p.end) for p in day.periods
    )


def _interval(day: date, spec: SessionSpec, zone: ZoneInfo) -> Interval:
    start = local_instant(day, spec.at, zone)
    return Interval(start, start + timedelta(minutes=spec.minutes))


def _session_day(spec: SessionSpec, hours: LocationHours, today: date, *, staffed: bool) -> date | None:
    """The first day from `in_days` on (1 = tomorrow) on which the session fits the hours."""
    assert spec.in_days is not None
    first = today + timedelta(days=spec.in_days)
    days = (first + timedelta(days=n) for n in range(SESSION_DAY_SEARCH))
    return next((day for day in days if _session_fits(hours.day(day), spec, staffed=staffed)), None)


def _introduction_days(hours: LocationHours, monday: date, count: int) -> list[date]:
    """The first `count` days from `monday` on which the location is open."""
    days = (monday + timedelta(days=n) for n in range(INTRO_DAY_SPAN))
    return [day for day in days if hours.day(day).periods][:count]


async def _room_free(session: AsyncSession, room: Resource, interval: Interval) -> bool:
    """Whether the booking engine would find a unit of the room free for the interval."""
    facts, _ = await resource_facts(session, Resource.id == room.id, days_around(interval))
    occupied = occupied_span(interval, facts.policy)
    occupations = await load_occupations(session, [room.id], occupied.start, occupied.end)
    units, _ = free_units(facts, occupations, interval)
    return bool(units)


async def _plan_introduction_week(
    session: AsyncSession,
    intro: Sequence[tuple[WorkshopSpec, int, SessionSpec]],
    hours: LocationHours,
    today: date,
    keys: Mapping[SessionKey, WorkshopSession],
    workshops: Mapping[str, Workshop],
    resources: Mapping[str, Resource],
    report: SeedReport,
) -> list[_Planned]:
    """The introduction week: from the first Monday after today, its n-th open day for `intro_day`
    n. A week whose rooms are taken at the session times (by anything but these very sessions,
    from an earlier run) gives way to the next one, so that reruns on later days never clash."""
    count = max(spec.intro_day or 0 for _, _, spec in intro)
    first_monday = today + timedelta(days=7 - today.weekday())
    for week in range(INTRO_WEEK_SEARCH):
        monday = first_monday + timedelta(weeks=week)
        days = _introduction_days(hours, monday, count)
        if len(days) < count:
            continue
        planned = [
            _Planned(workshop, number, spec, _interval(days[(spec.intro_day or 1) - 1], spec, hours.zone))
            for workshop, number, spec in intro
        ]
        for one in planned:
            room = resources[one.spec.room]
            key = (workshops[one.workshop.slug].id, one.interval.start, room.id)
            if key not in keys and not await _room_free(session, room, one.interval):
                break
        else:
            if week:
                report.notes.append(
                    f"the introduction week starts on {days[0]}: its rooms are taken in the "
                    f"week{'s' if week > 1 else ''} before"
                )
            return planned
    raise SeedError(
        [
            f"{WORKSHOPS_FILE}: no week of the {INTRO_WEEK_SEARCH} from {first_monday} has the rooms of "
            f"the introduction week free at its times (or {count} open days within {INTRO_DAY_SPAN} days)"
        ]
    )


async def seed_sessions(
    session: AsyncSession,
    specs: Sequence[WorkshopSpec],
    workshops: Mapping[str, Workshop],
    resources: Mapping[str, Resource],
    system: User,
    now: datetime,
    report: SeedReport,
) -> None:
    """Place each session of the file on its day and book its room through the booking engine.

    A session is known by its workshop, start and room; one that exists already keeps its room
    booking and follows the file's capacity, mode and registration window unless people have
    registered. A room that is taken is an error in workshops.yaml; all are reported together.
    """
    existing = await session.scalars(
        select(WorkshopSession).where(WorkshopSession.workshop_id.in_([w.id for w in workshops.values()]))
    )
    keys: dict[SessionKey, WorkshopSession] = {
        (s.workshop_id, s.start_at, s.resource_id): s for s in existing
    }
    hours_of: dict[int, LocationHours] = {}
    for spec in specs:
        for session_spec in spec.sessions:
            location_id = resources[session_spec.room].location_id
            if location_id not in hours_of:
                hours_of[location_id] = await load_location_hours(session, location_id, date.min, date.max)

    problems: list[str] = []
    placed: dict[tuple[str, int], _Planned] = {}
    intro: list[tuple[WorkshopSpec, int, SessionSpec]] = []
    for spec in specs:
        for number, session_spec in enumerate(spec.sessions, start=1):
            if session_spec.intro_day is not None:
                intro.append((spec, number, session_spec))
                continue
            hours = hours_of[resources[session_spec.room].location_id]
            # Inductions are given by library staff: never in unstaffed hours.
            staffed = spec.grants_certification is not None
            today = now.astimezone(hours.zone).date()
            day = _session_day(session_spec, hours, today, staffed=staffed)
            if day is None:
                with_staff = " with staff" if staffed else ""
                problems.append(
                    f"{WORKSHOPS_FILE}, workshop '{spec.slug}', session #{number}: the location is not "
                    f"open{with_staff} at that time on any of the {SESSION_DAY_SEARCH} days from day "
                    f"{session_spec.in_days}"
                )
                continue
            placed[(spec.slug, number)] = _Planned(
                spec, number, session_spec, _interval(day, session_spec, hours.zone)
            )
    if intro:
        hours = hours_of[resources[intro[0][2].room].location_id]
        today = now.astimezone(hours.zone).date()
        try:
            week = await _plan_introduction_week(
                session, intro, hours, today, keys, workshops, resources, report
            )
        except SeedError as unplaced:
            problems.extend(unplaced.problems)
        else:
            placed.update(((one.workshop.slug, one.number), one) for one in week)

    for spec in specs:
        workshop = workshops[spec.slug]
        for number in range(1, len(spec.sessions) + 1):
            planned = placed.get((spec.slug, number))
            if planned is None:
                continue
            session_spec, interval, room = planned.spec, planned.interval, resources[planned.spec.room]
            zone = hours_of[room.location_id].zone
            when = f"{planned.where} on {interval.start.astimezone(zone):%Y-%m-%d %H:%M}"
            opens = interval.start - timedelta(days=session_spec.opens_days_before)
            closes = interval.start - timedelta(hours=session_spec.closes_hours_before)
            key = (workshop.id, interval.start, room.id)
            row = keys.get(key)
            if row is not None:
                values: dict[str, Any] = {
                    "capacity": session_spec.capacity,
                    "mode": session_spec.mode,
                    "registration_opens": opens,
                    "registration_closes": closes,
                }
                differs = any(getattr(row, name) != value for name, value in values.items())
                registered = await session.scalar(
                    select(Registration.id).where(Registration.session_id == row.id).limit(1)
                )
                if row.cancelled_at is not None or (differs and registered is not None):
                    if differs:
                        report.notes.append(f"{when}: left as it is (cancelled, or people have registered)")
                    report.record("workshop_sessions")
                else:
                    report.record("workshop_sessions", changed=apply(row, values))
                continue
            new = NewSession(
                start=interval.start,
                end=interval.end,
                room=session_spec.room,
                capacity=session_spec.capacity,
                registration_opens=opens,
                registration_closes=closes,
                mode=session_spec.mode,
            )
            try:
                keys[key] = await add_session_within(session, workshop, new, actor=system, now=now)
            except RuleBroken as refused:
                problems.append(f"{when}: the room '{room.slug}' cannot be booked: {refused.refusal.code}")
                continue
            except SlotTaken:
                problems.append(f"{when}: the room '{room.slug}' is already booked at that time (slot_taken)")
                continue
            report.record("workshop_sessions", created=True)
    if problems:
        raise SeedError(problems)
