"""demo.yaml, loaded on request: demo accounts with their certifications, and demo bookings.

The bookings are made through the booking engine, so the house rules apply to them as to anyone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import Certification, Language, Role, User, UserCertification
from library.accounts.passwords import hash_password, verify_password
from library.audit.log import record, snapshot
from library.booking.availability import opening_windows
from library.booking.intervals import Interval
from library.booking.models import Booking
from library.booking.queries import LocationHours, load_location_hours
from library.booking.rules import age_on
from library.booking.service import NewBooking, RuleBroken, SlotTaken, book_within, day_of
from library.catalog.hours import local_instant
from library.catalog.models import Resource
from library.seeding.catalogue import Catalogue
from library.seeding.files import (
    CERTIFICATIONS_FILE,
    DEMO_FILE,
    RESOURCES_FILE,
    Fields,
    SeedError,
    duplicates,
    entry_name,
    read_yaml,
    top_level,
)
from library.seeding.report import SeedReport, apply

DEMO_DAY_SEARCH = 14  # how many days a demo booking may move forward to find an open day


@dataclass(frozen=True)
class UserSpec:
    email: str
    name: str
    role: Role
    password: str | None
    birth_date: date | None
    age: int | None
    language: Language
    certifications: tuple[str, ...]


@dataclass(frozen=True)
class BookingSpec:
    user: str
    resource: str
    day: int
    start: time
    end: time
    participants: int | None
    note: str


@dataclass(frozen=True)
class DemoData:
    users: tuple[UserSpec, ...]
    bookings: tuple[BookingSpec, ...]


def read_demo(seed_dir: Path, catalogue: Catalogue) -> DemoData:
    """Read demo.yaml and check its references to the catalogue; the house rules are checked on booking."""
    problems: list[str] = []
    top = top_level(read_yaml(seed_dir / DEMO_FILE), DEMO_FILE, {"users", "bookings"}, problems)
    certifications = {spec.key for spec in catalogue.certifications}
    users: list[UserSpec] = []
    allowed = {"email", "name", "role", "password", "birth_date", "age", "language", "certifications"}
    for index, raw in enumerate(top.items("users")):
        fields = Fields(raw, f"{DEMO_FILE}, {entry_name('user', raw, 'email', index)}", problems, allowed)
        email = fields.text("email", required=True).lower()
        if email and ("@" not in email or len(email) > 254):
            fields.fail(f"'{email}' is not an e-mail address")
        held = tuple(str(key) for key in fields.items("certifications"))
        for key in held:
            if key not in certifications:
                fields.fail(f"unknown certification key '{key}' (not in {CERTIFICATIONS_FILE})")
        birth_date = fields.day("birth_date") if fields.get("birth_date") is not None else None
        age = fields.integer("age", maximum=120)
        if birth_date is not None and age is not None:
            fields.fail("give either 'birth_date' or 'age', not both")
        users.append(
            UserSpec(
                email=email,
                name=fields.text("name", required=True, max_length=200),
                role=(fields.choice("role", Role) if fields.get("role") is not None else None)
                or Role.VISITOR,
                password=fields.optional_text("password"),
                birth_date=birth_date,
                age=age,
                language=(fields.choice("language", Language) if fields.get("language") else None)
                or Language.DE,
                certifications=held,
            )
        )
    for email in duplicates(user.email for user in users):
        problems.append(f"{DEMO_FILE}: duplicate user email '{email}'")

    users_by_email = {user.email: user for user in users}
    resources = {spec.slug: spec for spec in catalogue.resources}
    bookings: list[BookingSpec] = []
    allowed = {"user", "resource", "day", "start", "end", "participants", "note"}
    for index, raw in enumerate(top.items("bookings")):
        fields = Fields(raw, f"{DEMO_FILE}, booking #{index + 1}", problems, allowed)
        email = fields.text("user", required=True).lower()
        slug = fields.text("resource", required=True)
        day = fields.integer("day", maximum=365)
        start, end = fields.time_of_day("start"), fields.time_of_day("end")
        user, resource = users_by_email.get(email), resources.get(slug)
        if email and user is None:
            fields.fail(f"unknown user '{email}' (not among the users of {DEMO_FILE})")
        if slug and resource is None:
            fields.fail(f"unknown resource '{slug}' (not in {RESOURCES_FILE})")
        if day is None:
            fields.fail("'day' is missing (1 = tomorrow)")
        if user is None or resource is None or day is None or start is None or end is None:
            continue
        if end <= start:
            fields.fail(f"ends at {end:%H:%M}, before it starts at {start:%H:%M}")
            continue
        bookings.append(
            BookingSpec(
                email,
                slug,
                day,
                start,
                end,
                fields.integer("participants", minimum=1),
                fields.text("note", multiline=True),
            )
        )
    if bookings and not any(user.role is Role.STAFF for user in users):
        problems.append(f"{DEMO_FILE}: bookings need a user with role staff, who makes them")
    if problems:
        raise SeedError(problems)
    return DemoData(tuple(users), tuple(bookings))


async def upsert_users(
    session: AsyncSession,
    specs: Sequence[UserSpec],
    certifications: Mapping[str, Certification],
    now: datetime,
    today: date,
    report: SeedReport,
) -> dict[str, User]:
    rows = await session.scalars(
        select(User)
        .where(User.email.in_([s.email for s in specs]))
        .options(selectinload(User.certifications))
    )
    existing = {row.email: row for row in rows}
    result: dict[str, User] = {}
    for spec in specs:
        row = existing.get(spec.email)
        birth_date = spec.birth_date
        if spec.age is not None:
            # Keep a birth date that still gives the wanted age, so reruns on later days change nothing.
            kept = row.birth_date if row is not None else None
            if kept is None or age_on(kept, today) != spec.age:
                birth_date = today - relativedelta(years=spec.age, days=120)
            else:
                birth_date = kept
        values: dict[str, Any] = {
            "name": spec.name,
            "role": spec.role,
            "birth_date": birth_date,
            "language": spec.language,
        }
        if row is None:
            password_hash = hash_password(spec.password) if spec.password else None
            row = User(email=spec.email, password_hash=password_hash, certifications=[], **values)
            session.add(row)
            report.record("users", created=True)
        else:
            birth_before = snapshot(row, ("birth_date",))
            changed = apply(row, values)
            if snapshot(row, ("birth_date",)) != birth_before:
                # Age rules rely on it: every change is in the audit log, the seed's too.
                record(
                    session,
                    actor_id=None,
                    action="user.birth_date",
                    object_type="user",
                    object_id=row.id,
                    at=now,
                    before=birth_before,
                    after=snapshot(row, ("birth_date",)),
                    reason="seed",
                )
            if spec.password and not verify_password(row.password_hash, spec.password):
                row.password_hash = hash_password(spec.password)
                changed = True
            report.record("users", changed=changed)
        for key in spec.certifications:
            certification = certifications[key]
            held = any(
                held.certification_id == certification.id
                and held.revoked_at is None
                and (held.expires_at is None or held.expires_at > now)
                for held in row.certifications
            )
            if held:
                report.record("user_certifications")
                continue
            expires_at = (
                now + relativedelta(months=certification.valid_months) if certification.valid_months else None
            )
            row.certifications.append(
                UserCertification(
                    certification_id=certification.id,
                    granted_at=now,
                    expires_at=expires_at,
                    source="staff",
                    note="Demo data",
                )
            )
            report.record("user_certifications", created=True)
        result[spec.email] = row
    return result


def _demo_day(spec: BookingSpec, hours: LocationHours, now: datetime, *, needs_staff: bool) -> date | None:
    """The first day from `spec.day` on (1 = tomorrow) whose opening hours hold the booking.

    Opening hours differ by weekday (Saturday afternoons have no staff), so on whatever day
    the seed runs, each demo booking lands on a day where it fits.
    """
    first = now.astimezone(hours.zone).date() + timedelta(days=spec.day)
    for day in (first + timedelta(days=n) for n in range(DEMO_DAY_SEARCH)):
        wanted = Interval(
            local_instant(day, spec.start, hours.zone), local_instant(day, spec.end, hours.zone)
        )
        if any(
            w.contains(wanted) for w in opening_windows(hours.day(day), hours.zone, needs_staff=needs_staff)
        ):
            return day
    return None


async def seed_bookings(
    session: AsyncSession,
    specs: Sequence[BookingSpec],
    users: Mapping[str, User],
    resources: Mapping[str, Resource],
    now: datetime,
    report: SeedReport,
) -> None:
    """Book the demo bookings through the booking engine, which checks every house rule.

    At most one demo booking per person, resource and day, so that a rerun adds nothing. A
    booking the rules refuse is an error in demo.yaml; all refusals are reported together.
    """
    staff = next(user for user in users.values() if user.role is Role.STAFF)  # read_demo made sure
    hours_of: dict[int, LocationHours] = {}
    problems: list[str] = []
    # On a later run the earlier demo bookings may stand in the way (a quota, an approval
    # still pending): then a refusal is only noted. On the first run it means demo.yaml is wrong.
    loaded_before = (
        await session.scalar(
            select(Booking.id).where(Booking.user_id.in_([u.id for u in users.values()])).limit(1)
        )
        is not None
    )
    for index, spec in enumerate(specs, start=1):
        booker, resource = users[spec.user], resources[spec.resource]
        where = f"{DEMO_FILE}, booking #{index} ({spec.user}, '{spec.resource}')"
        if resource.location_id not in hours_of:
            hours_of[resource.location_id] = await load_location_hours(
                session, resource.location_id, date.min, date.max
            )
        hours = hours_of[resource.location_id]
        day = _demo_day(spec, hours, now, needs_staff=resource.needs_staff)
        if day is None:
            problems.append(
                f"{where}: no opening hours hold it in the {DEMO_DAY_SEARCH} days from day {spec.day}"
            )
            continue
        whole_day = day_of(day, hours)
        same_day = await session.scalar(
            select(Booking.id).where(
                Booking.user_id == booker.id,
                Booking.resource_id == resource.id,
                Booking.start_at >= whole_day.start,
                Booking.start_at < whole_day.end,
            )
        )
        if same_day is not None:
            report.record("bookings")
            continue
        request = NewBooking(
            resource_slug=resource.slug,
            start=local_instant(day, spec.start, hours.zone),
            end=local_instant(day, spec.end, hours.zone),
            note=spec.note,
            participants=spec.participants,
        )
        # Staff make the demo bookings, except those that need approval: book_within confirms
        # whatever staff book, so the visitor requests those and the demo shows them waiting.
        actor = booker if resource.requires_approval else staff
        try:
            await book_within(session, request, booker=booker, actor=actor, now=now)
        except RuleBroken as refused:
            problems.append(f"{where} on {day}: refused by the house rules: {refused.refusal.code}")
            continue
        except SlotTaken:
            problems.append(f"{where} on {day}: refused by the house rules: slot_taken")
            continue
        report.record("bookings", created=True)
    if problems and loaded_before:
        report.notes.extend(
            f"{problem} (left out: demo bookings of an earlier run remain)" for problem in problems
        )
    elif problems:
        raise SeedError(problems)
