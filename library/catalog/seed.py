"""Load the catalogue (and, on request, demo data) from the YAML files in `seed/`.

The files are written by librarians, so they are read completely and checked before the
database is touched: every problem is reported at once, naming the file and the entry.
Then everything is written in one transaction, keyed by natural keys (location slug,
certification key, resource slug, unit label within its resource, user email, workshop
slug, a workshop session by its workshop, start and room), so that loading twice changes
nothing and editing a file updates rows in place. Things that staff added in the application
(resources, units, dated exceptions, workshops, sessions) are left alone.

Workshop sessions are given relative to the day of loading and book their rooms through the
booking engine, as the system account `system@library.invalid`, which the loader creates.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dateutil.relativedelta import relativedelta
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import Certification, Language, Role, User, UserCertification
from library.accounts.passwords import hash_password, verify_password
from library.booking.availability import opening_windows
from library.booking.intervals import Interval
from library.booking.models import Booking
from library.booking.policy import POLICY_FIELDS
from library.booking.queries import LocationHours, load_location_hours, load_occupations
from library.booking.rules import age_on, occupied_span
from library.booking.service import (
    NewBooking,
    RuleBroken,
    SlotTaken,
    book_within,
    day_of,
    days_around,
    free_units,
    resource_facts,
)
from library.catalog.hours import DayHours, local_instant
from library.catalog.models import (
    ExceptionPeriod,
    Factor,
    Location,
    OpeningException,
    OpeningPeriod,
    Policy,
    Resource,
    ResourceKind,
    Unit,
)
from library.db import Database
from library.workshops.models import Registration, SignupMode, Workshop, WorkshopSession
from library.workshops.service import NewSession, add_session_within

CERTIFICATIONS_FILE = "certifications.yaml"
LOCATIONS_FILE = "locations.yaml"
RESOURCES_FILE = "resources.yaml"
DEMO_FILE = "demo.yaml"
WORKSHOPS_FILE = "workshops.yaml"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TIME_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})$")
PERIOD_PATTERN = re.compile(r"^\s*(\S+?)\s*[-–]\s*(\S+?)(?:\s+(staffed|unstaffed))?\s*$")
NUMBER_PLACEHOLDER = re.compile(r"\{n(?::0?(\d+))?\}")
DEMO_DAY_SEARCH = 14  # how many days a demo booking may move forward to find an open day
SESSION_DAY_SEARCH = 14  # the same for a workshop session given in days from today
INTRO_WEEK_SEARCH = 8  # how many weeks the introduction week may move on to find its rooms free
INTRO_DAY_SPAN = 28  # the introduction week's open days lie within so many days of its Monday
SYSTEM_EMAIL = "system@library.invalid"  # the account that books the seed's workshop sessions
SYSTEM_NAME = "Bibliothek (System)"
SEED_LOCK_KEY = 0x5EED_0001  # PostgreSQL advisory lock: one seed run at a time

Kind = Literal[
    "certifications",
    "locations",
    "exceptions",
    "resources",
    "units",
    "users",
    "user_certifications",
    "workshops",
    "workshop_sessions",
    "bookings",
]
KIND_ORDER: tuple[Kind, ...] = get_args(Kind)
E = TypeVar("E", bound=StrEnum)


class SeedError(Exception):
    """The seed files are not usable; `problems` lists each one with its file and entry."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems in the seed files:\n" + "\n".join(
                f"- {problem}" for problem in self.problems
            )
        super().__init__(message)


# --------------------------------------------------------------------------- the report


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class SeedReport:
    """What a seed run did, per kind of row, so a second run can be seen to change nothing."""

    tallies: dict[Kind, Tally] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def tally(self, kind: Kind) -> Tally:
        return self.tallies.setdefault(kind, Tally())

    def record(self, kind: Kind, *, created: bool = False, changed: bool = False) -> None:
        tally = self.tally(kind)
        if created:
            tally.created += 1
        elif changed:
            tally.updated += 1
        else:
            tally.unchanged += 1

    @property
    def created(self) -> int:
        return sum(t.created for t in self.tallies.values())

    @property
    def updated(self) -> int:
        return sum(t.updated for t in self.tallies.values())

    @property
    def unchanged(self) -> int:
        return sum(t.unchanged for t in self.tallies.values())

    def summary(self) -> str:
        lines = [f"Seed loaded: {self.created} created, {self.updated} updated, {self.unchanged} unchanged."]
        width = max((len(kind) for kind in self.tallies), default=0)
        for kind, tally in sorted(self.tallies.items(), key=lambda item: KIND_ORDER.index(item[0])):
            lines.append(
                f"  {kind.replace('_', ' '):<{width}}  {tally.created:>4} created  "
                f"{tally.updated:>4} updated  {tally.unchanged:>4} unchanged"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


# --------------------------------------------------------------------------- what the files say


@dataclass(frozen=True)
class PeriodSpec:
    start: time
    end: time
    staffed: bool = True


@dataclass(frozen=True)
class ExceptionSpec:
    date_from: date
    date_to: date
    reason: str
    reason_en: str | None
    periods: tuple[PeriodSpec, ...]  # empty: closed all day

    @property
    def closed(self) -> bool:
        return not self.periods


@dataclass(frozen=True)
class CertificationSpec:
    key: str
    name: str
    name_en: str | None
    description: str
    description_en: str | None
    valid_months: int | None


@dataclass(frozen=True)
class LocationSpec:
    slug: str
    name: str
    name_en: str | None
    address: str
    timezone: str
    description: str
    description_en: str | None
    position: int
    weekly: tuple[tuple[int, PeriodSpec], ...]  # (ISO weekday, period)
    exceptions: tuple[ExceptionSpec, ...]
    policy: dict[str, int] | None


@dataclass(frozen=True)
class UnitSpec:
    label: str
    inventory_number: str | None
    serial_number: str | None


@dataclass(frozen=True)
class ResourceSpec:
    slug: str
    location: str
    kind: ResourceKind
    factor: Factor
    name: str
    name_en: str | None
    description: str
    description_en: str | None
    capacity: int
    features: tuple[str, ...]
    requires_approval: bool
    certification: str | None
    min_age: int | None
    needs_staff: bool
    policy: dict[str, int] | None
    units: tuple[UnitSpec, ...]


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


@dataclass(frozen=True)
class Catalogue:
    certifications: tuple[CertificationSpec, ...]
    locations: tuple[LocationSpec, ...]
    resources: tuple[ResourceSpec, ...]
    workshops: tuple[WorkshopSpec, ...] = ()


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


# --------------------------------------------------------------------------- reading files


class _SeedLoader(yaml.SafeLoader):
    """Safe YAML, except that `10:00` stays the text "10:00".

    YAML 1.1 reads an unquoted 10:00 as the base-60 number 600; in opening hours that is
    never what a librarian means.
    """


_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_SeedLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SeedLoader.add_implicit_resolver(_INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_SeedLoader.add_implicit_resolver(
    _FLOAT_TAG, re.compile(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+][0-9]+)?$"), list("-+.0123456789")
)


def read_yaml(path: Path) -> Any:
    """One seed file as plain data, with a SeedError that names the file and line if it is broken."""
    if not path.is_file():
        raise SeedError([f"{path.name}: file not found in the seed folder"])
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SeedLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SeedError([f"{path.name}{where}: not valid YAML: {problem}"]) from exc


def _describe(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def _entry_name(noun: str, raw: object, key: str, index: int) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    return f"{noun} '{value}'" if isinstance(value, str) and value else f"{noun} #{index + 1}"


class _Fields:
    """One mapping from a file, read field by field; each problem names the file and entry."""

    def __init__(self, data: object, where: str, problems: list[str], allowed: Collection[str]) -> None:
        self.where = where
        self.problems = problems
        self.data: dict[str, Any] = {}
        if not isinstance(data, dict):
            self.fail(f"expected fields (key: value), found {_describe(data)}")
            return
        self.data = {str(key): value for key, value in data.items()}
        unknown = sorted(key for key in self.data if key not in allowed)
        if unknown:
            self.fail(f"unknown field {', '.join(unknown)} (known: {', '.join(sorted(allowed))})")

    def fail(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def text(self, key: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.fail(f"'{key}' is missing")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(f"'{key}' must be text, found {_describe(value)}")
            return ""
        result = str(value).strip()
        if max_length is not None and len(result) > max_length:
            self.fail(f"'{key}' is longer than {max_length} characters")
        return result

    def optional_text(self, key: str, *, max_length: int | None = None) -> str | None:
        return self.text(key, max_length=max_length) or None

    def slug(self, key: str) -> str:
        value = self.text(key, required=True)
        if value and (not SLUG_PATTERN.match(value) or len(value) > 80):
            self.fail(f"'{key}' {value!r} must be lower-case letters, digits and hyphens (at most 80)")
        return value

    def integer(self, key: str, *, minimum: int = 0, maximum: int | None = None) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"'{key}' must be a whole number, found {_describe(value)}")
            return None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and {maximum}" if maximum is not None else ""
            self.fail(f"'{key}' must be between {minimum}{upper}, found {value}")
            return None
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(f"'{key}' must be true or false, found {_describe(value)}")
            return default
        return value

    def choice(self, key: str, enum_class: type[E]) -> E | None:
        value = self.data.get(key)
        allowed = ", ".join(member.value for member in enum_class)
        if value is None:
            self.fail(f"'{key}' is missing (one of: {allowed})")
            return None
        try:
            return enum_class(str(value))
        except ValueError:
            self.fail(f"unknown {key} {value!r} (one of: {allowed})")
            return None

    def day(self, key: str) -> date | None:
        value = self.data.get(key)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(f"'{key}' must be a date like 2026-12-24, found {_describe(value)}")
        return None

    def time_of_day(self, key: str) -> time | None:
        return _parse_time(self.data.get(key), f"'{key}'", self)

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"'{key}' must be a list, found {_describe(value)}")
            return []
        return value


def _parse_time(value: object, label: str, fields: _Fields) -> time | None:
    match = TIME_PATTERN.match(value) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        fields.fail(f"bad time {label} {value!r}: write it as HH:MM between 00:00 and 23:59, e.g. '10:00'")
        return None
    return time(int(match[1]), int(match[2]))


def _parse_period(value: object, fields: _Fields, label: str) -> PeriodSpec | None:
    """A period, written "10:00-19:00", "14:00-19:00 unstaffed" or {start, end, staffed}."""
    if isinstance(value, str):
        match = PERIOD_PATTERN.match(value)
        if match is None:
            fields.fail(f"bad period {label} {value!r}: write it as '10:00-19:00' or '14:00-19:00 unstaffed'")
            return None
        start = _parse_time(match[1], f"in {label}", fields)
        end = _parse_time(match[2], f"in {label}", fields)
        staffed = match[3] != "unstaffed"
    elif isinstance(value, dict):
        period = _Fields(value, f"{fields.where}, {label}", fields.problems, {"start", "end", "staffed"})
        start, end, staffed = (
            period.time_of_day("start"),
            period.time_of_day("end"),
            period.flag("staffed", True),
        )
    else:
        fields.fail(f"bad period {label}: expected '10:00-19:00', found {_describe(value)}")
        return None
    if start is None or end is None:
        return None
    if start >= end:
        fields.fail(f"period {label} {value!r} ends before it starts")
        return None
    return PeriodSpec(start, end, staffed)


def _parse_periods(values: Iterable[object], fields: _Fields, label: str) -> tuple[PeriodSpec, ...]:
    periods = [p for value in values if (p := _parse_period(value, fields, label)) is not None]
    periods.sort(key=lambda p: p.start)
    for before, after in pairwise(periods):
        if after.start < before.end:
            fields.fail(
                f"periods on {label} overlap: {before.start:%H:%M}-{before.end:%H:%M} and "
                f"{after.start:%H:%M}-{after.end:%H:%M}"
            )
    return tuple(periods)


def _parse_policy(value: object, fields: _Fields) -> dict[str, int] | None:
    if value is None:
        return None
    policy = _Fields(value, f"{fields.where}, policy", fields.problems, POLICY_FIELDS)
    limits = {"slot_minutes": (5, 1440), "min_minutes": (1, None), "max_minutes": (1, None)}
    values: dict[str, int] = {}
    for name in POLICY_FIELDS:
        minimum, maximum = limits.get(name, (0, None))
        number = policy.integer(name, minimum=minimum, maximum=maximum)
        if number is not None:
            values[name] = number
    if values.get("min_minutes", 0) > values.get("max_minutes", 10**9):
        policy.fail("min_minutes is larger than max_minutes")
    return values


def _parse_exception(raw: object, where: str, problems: list[str]) -> ExceptionSpec | None:
    fields = _Fields(raw, where, problems, {"date", "from", "to", "hours", "reason", "reason_en"})
    if fields.get("date") is not None:
        if fields.get("from") is not None or fields.get("to") is not None:
            fields.fail("give either 'date' or 'from' and 'to', not both")
        date_from = date_to = fields.day("date")
    else:
        date_from, date_to = fields.day("from"), fields.day("to")
    periods = _parse_periods(fields.items("hours"), fields, "hours")
    reason, reason_en = (
        fields.text("reason", required=True, max_length=300),
        fields.optional_text("reason_en", max_length=300),
    )
    if date_from is None or date_to is None:
        return None
    if date_from > date_to:
        fields.fail(f"'from' {date_from} is after 'to' {date_to}")
        return None
    return ExceptionSpec(date_from, date_to, reason, reason_en, periods)


def _number_series(template: str, n: int) -> str:
    """Fill `{n}` / `{n:03}` in a unit series; our own tiny format, not str.format on file text."""
    return NUMBER_PLACEHOLDER.sub(lambda m: str(n).zfill(int(m[1] or 0)), template)


def _parse_units(values: list[Any], fields: _Fields) -> tuple[UnitSpec, ...]:
    units: list[UnitSpec] = []
    for index, raw in enumerate(values):
        label = f"{fields.where}, unit #{index + 1}"
        if isinstance(raw, dict) and "count" in raw:
            series = _Fields(
                raw, label, fields.problems, {"count", "first", "label", "inventory_number", "serial_number"}
            )
            count = series.integer("count", minimum=1, maximum=1000) or 0
            first = series.integer("first") or 1
            templates = {key: series.text(key) for key in ("label", "inventory_number", "serial_number")}
            if not templates["label"]:
                series.fail("'label' is missing")
                continue
            bad = [t for t in templates.values() if re.search(r"[{}]", NUMBER_PLACEHOLDER.sub("", t))]
            if bad:
                series.fail(f"bad placeholder in {bad[0]!r}: use {{n}} or {{n:02}}")
                continue
            for n in range(first, first + count):
                filled = {
                    key: _number_series(value, n) if value else None for key, value in templates.items()
                }
                units.append(
                    UnitSpec(filled["label"] or "", filled["inventory_number"], filled["serial_number"])
                )
            continue
        unit = _Fields(raw, label, fields.problems, {"label", "inventory_number", "serial_number"})
        name = unit.text("label", required=True)
        if name:
            units.append(
                UnitSpec(name, unit.optional_text("inventory_number"), unit.optional_text("serial_number"))
            )
    seen: set[str] = set()
    for unit_spec in units:
        if unit_spec.label in seen:
            fields.fail(f"duplicate unit label {unit_spec.label!r}")
        seen.add(unit_spec.label)
        if len(unit_spec.label) > 120:
            fields.fail(f"unit label {unit_spec.label!r} is longer than 120 characters")
        if len(unit_spec.inventory_number or "") > 60 or len(unit_spec.serial_number or "") > 120:
            fields.fail(f"unit {unit_spec.label!r}: inventory number (60) or serial number (120) too long")
    return tuple(units)


def _top(data: object, file: str, keys: Collection[str], problems: list[str]) -> _Fields:
    return _Fields(data if data is not None else {}, file, problems, keys)


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def _read_certifications(seed_dir: Path, problems: list[str]) -> tuple[CertificationSpec, ...]:
    top = _top(read_yaml(seed_dir / CERTIFICATIONS_FILE), CERTIFICATIONS_FILE, {"certifications"}, problems)
    specs: list[CertificationSpec] = []
    for index, raw in enumerate(top.items("certifications")):
        where = f"{CERTIFICATIONS_FILE}, {_entry_name('certification', raw, 'key', index)}"
        fields = _Fields(
            raw, where, problems, {"key", "name", "name_en", "description", "description_en", "valid_months"}
        )
        specs.append(
            CertificationSpec(
                key=fields.slug("key"),
                name=fields.text("name", required=True, max_length=200),
                name_en=fields.optional_text("name_en", max_length=200),
                description=fields.text("description"),
                description_en=fields.optional_text("description_en"),
                valid_months=fields.integer("valid_months", minimum=1),
            )
        )
    for key in _duplicates(spec.key for spec in specs):
        problems.append(f"{CERTIFICATIONS_FILE}: duplicate certification key '{key}'")
    return tuple(specs)


def _read_locations(seed_dir: Path, problems: list[str]) -> tuple[LocationSpec, ...]:
    top = _top(
        read_yaml(seed_dir / LOCATIONS_FILE), LOCATIONS_FILE, {"locations", "common_exceptions"}, problems
    )
    common = [
        spec
        for index, raw in enumerate(top.items("common_exceptions"))
        if (spec := _parse_exception(raw, f"{LOCATIONS_FILE}, common exception #{index + 1}", problems))
    ]
    allowed = {
        "slug", "name", "name_en", "address", "timezone", "description", "description_en",
        "position", "hours", "exceptions", "policy",
    }  # fmt: skip
    specs: list[LocationSpec] = []
    for index, raw in enumerate(top.items("locations")):
        where = f"{LOCATIONS_FILE}, {_entry_name('location', raw, 'slug', index)}"
        fields = _Fields(raw, where, problems, allowed)
        timezone = fields.text("timezone") or "Europe/Berlin"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            fields.fail(f"unknown time zone {timezone!r} (e.g. Europe/Berlin)")
        weekly: list[tuple[int, PeriodSpec]] = []
        hours = fields.get("hours")
        if hours is not None and not isinstance(hours, dict):
            fields.fail(f"'hours' must list weekdays (monday: [...]), found {_describe(hours)}")
        elif isinstance(hours, dict):
            for day_name, periods in hours.items():
                if str(day_name).lower() not in WEEKDAYS:
                    fields.fail(f"unknown weekday {day_name!r} in 'hours' (monday ... sunday)")
                    continue
                if periods is not None and not isinstance(periods, list):
                    periods = [periods]
                weekday = WEEKDAYS.index(str(day_name).lower()) + 1
                weekly.extend((weekday, p) for p in _parse_periods(periods or [], fields, str(day_name)))
        own = [
            spec
            for number, item in enumerate(fields.items("exceptions"))
            if (spec := _parse_exception(item, f"{where}, exception #{number + 1}", problems))
        ]
        exceptions = (*common, *own)
        for day_from, day_to in _duplicates_keys((e.date_from, e.date_to) for e in exceptions):
            fields.fail(f"two exceptions for the same dates {day_from} to {day_to}")
        specs.append(
            LocationSpec(
                slug=fields.slug("slug"),
                name=fields.text("name", required=True, max_length=200),
                name_en=fields.optional_text("name_en", max_length=200),
                address=fields.text("address", max_length=300),
                timezone=timezone,
                description=fields.text("description"),
                description_en=fields.optional_text("description_en"),
                position=fields.integer("position") or 0,
                weekly=tuple(sorted(weekly, key=lambda w: (w[0], w[1].start))),
                exceptions=exceptions,
                policy=_parse_policy(fields.get("policy"), fields),
            )
        )
    for slug in _duplicates(spec.slug for spec in specs):
        problems.append(f"{LOCATIONS_FILE}: duplicate location slug '{slug}'")
    return tuple(specs)


def _duplicates_keys(keys: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    seen: set[tuple[date, date]] = set()
    repeated: list[tuple[date, date]] = []
    for key in keys:
        if key in seen:
            repeated.append(key)
        seen.add(key)
    return repeated


def _read_resources(
    seed_dir: Path, locations: Collection[str], certifications: Collection[str], problems: list[str]
) -> tuple[ResourceSpec, ...]:
    top = _top(read_yaml(seed_dir / RESOURCES_FILE), RESOURCES_FILE, {"resources"}, problems)
    allowed = {
        "slug", "location", "kind", "factor", "name", "name_en", "description", "description_en",
        "capacity", "features", "requires_approval", "certification", "min_age", "needs_staff",
        "policy", "units",
    }  # fmt: skip
    specs: list[ResourceSpec] = []
    for index, raw in enumerate(top.items("resources")):
        where = f"{RESOURCES_FILE}, {_entry_name('resource', raw, 'slug', index)}"
        fields = _Fields(raw, where, problems, allowed)
        location = fields.text("location", required=True)
        if location and location not in locations:
            fields.fail(f"unknown location '{location}' (not in {LOCATIONS_FILE})")
        certification = fields.optional_text("certification")
        if certification is not None and certification not in certifications:
            fields.fail(f"unknown certification key '{certification}' (not in {CERTIFICATIONS_FILE})")
        features = fields.items("features")
        if not all(isinstance(feature, str) for feature in features):
            fields.fail("'features' must be a list of words or short phrases")
        name_en = fields.optional_text("name_en", max_length=200)
        if name_en is None:
            fields.fail("'name_en' is missing: every offer needs an English name")
        kind, factor = fields.choice("kind", ResourceKind), fields.choice("factor", Factor)
        specs.append(
            ResourceSpec(
                slug=fields.slug("slug"),
                location=location,
                kind=kind or ResourceKind.DEVICE,
                factor=factor or Factor.TECHNOLOGY,
                name=fields.text("name", required=True, max_length=200),
                name_en=name_en,
                description=fields.text("description"),
                description_en=fields.optional_text("description_en"),
                capacity=fields.integer("capacity", minimum=1) or 1,
                features=tuple(str(feature).strip() for feature in features),
                requires_approval=fields.flag("requires_approval"),
                certification=certification,
                min_age=fields.integer("min_age", maximum=120),
                needs_staff=fields.flag("needs_staff"),
                policy=_parse_policy(fields.get("policy"), fields),
                units=_parse_units(fields.items("units"), fields),
            )
        )
    for slug in _duplicates(spec.slug for spec in specs):
        problems.append(f"{RESOURCES_FILE}: duplicate resource slug '{slug}'")
    numbers = (unit.inventory_number for spec in specs for unit in spec.units if unit.inventory_number)
    for number in _duplicates(numbers):
        problems.append(f"{RESOURCES_FILE}: inventory number '{number}' is given to more than one unit")
    return tuple(specs)


def _read_session(
    raw: object, where: str, rooms: Mapping[str, ResourceSpec], problems: list[str]
) -> SessionSpec | None:
    allowed = {
        "in_days", "intro_day", "at", "minutes", "room", "capacity", "mode",
        "opens_days_before", "closes_hours_before",
    }  # fmt: skip
    fields = _Fields(raw, where, problems, allowed)
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


def _read_workshops(
    seed_dir: Path,
    certifications: Collection[str],
    resources: Sequence[ResourceSpec],
    problems: list[str],
) -> tuple[WorkshopSpec, ...]:
    top = _top(read_yaml(seed_dir / WORKSHOPS_FILE), WORKSHOPS_FILE, {"workshops"}, problems)
    allowed = {
        "slug", "title", "title_en", "description", "description_en", "factor", "host", "language",
        "min_age", "max_age", "grants_certification", "required_certification", "offer_hours",
        "sessions",
    }  # fmt: skip
    rooms = {spec.slug: spec for spec in resources}
    specs: list[WorkshopSpec] = []
    for index, raw in enumerate(top.items("workshops")):
        where = f"{WORKSHOPS_FILE}, {_entry_name('workshop', raw, 'slug', index)}"
        fields = _Fields(raw, where, problems, allowed)
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
                description=fields.text("description"),
                description_en=fields.optional_text("description_en"),
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
    for slug in _duplicates(spec.slug for spec in specs):
        problems.append(f"{WORKSHOPS_FILE}: duplicate workshop slug '{slug}'")
    intro_locations = {rooms[s.room].location for spec in specs for s in spec.sessions if s.intro_day}
    if len(intro_locations) > 1:
        problems.append(
            f"{WORKSHOPS_FILE}: the introduction week ('intro_day') must take place at one location, "
            f"not at {', '.join(sorted(intro_locations))}"
        )
    return tuple(specs)


def read_catalogue(seed_dir: Path) -> Catalogue:
    """Read and check the catalogue files; raises SeedError listing every problem found."""
    problems: list[str] = []
    certifications = _read_certifications(seed_dir, problems)
    locations = _read_locations(seed_dir, problems)
    keys = {spec.key for spec in certifications}
    resources = _read_resources(seed_dir, {spec.slug for spec in locations}, keys, problems)
    workshops = _read_workshops(seed_dir, keys, resources, problems)
    if problems:
        raise SeedError(problems)
    return Catalogue(certifications, locations, resources, workshops)


def read_demo(seed_dir: Path, catalogue: Catalogue) -> DemoData:
    """Read demo.yaml and check its references to the catalogue; the house rules are checked on booking."""
    problems: list[str] = []
    top = _top(read_yaml(seed_dir / DEMO_FILE), DEMO_FILE, {"users", "bookings"}, problems)
    certifications = {spec.key for spec in catalogue.certifications}
    users: list[UserSpec] = []
    allowed = {"email", "name", "role", "password", "birth_date", "age", "language", "certifications"}
    for index, raw in enumerate(top.items("users")):
        fields = _Fields(raw, f"{DEMO_FILE}, {_entry_name('user', raw, 'email', index)}", problems, allowed)
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
    for email in _duplicates(user.email for user in users):
        problems.append(f"{DEMO_FILE}: duplicate user email '{email}'")

    users_by_email = {user.email: user for user in users}
    resources = {spec.slug: spec for spec in catalogue.resources}
    bookings: list[BookingSpec] = []
    allowed = {"user", "resource", "day", "start", "end", "participants", "note"}
    for index, raw in enumerate(top.items("bookings")):
        fields = _Fields(raw, f"{DEMO_FILE}, booking #{index + 1}", problems, allowed)
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
                email, slug, day, start, end, fields.integer("participants", minimum=1), fields.text("note")
            )
        )
    if bookings and not any(user.role is Role.STAFF for user in users):
        problems.append(f"{DEMO_FILE}: bookings need a user with role staff, who makes them")
    if problems:
        raise SeedError(problems)
    return DemoData(tuple(users), tuple(bookings))


# --------------------------------------------------------------------------- writing


def _apply(row: object, values: Mapping[str, Any]) -> bool:
    """Set only the attributes that differ, so an unchanged row is never written or counted."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _policy_row(existing: Policy | None, values: Mapping[str, int] | None) -> tuple[Policy | None, bool]:
    """The policy row a file entry asks for: fields it leaves out are inherited (null)."""
    if values is None:
        return None, existing is not None
    wanted = {name: values.get(name) for name in POLICY_FIELDS}
    if existing is None:
        return Policy(**wanted), True
    return existing, _apply(existing, wanted)


async def _upsert_certifications(
    session: AsyncSession, specs: Sequence[CertificationSpec], report: SeedReport
) -> dict[str, Certification]:
    rows = await session.scalars(select(Certification).where(Certification.key.in_([s.key for s in specs])))
    existing = {row.key: row for row in rows}
    result: dict[str, Certification] = {}
    for spec in specs:
        values = {
            "name": spec.name,
            "name_en": spec.name_en,
            "description": spec.description,
            "description_en": spec.description_en,
            "valid_months": spec.valid_months,
        }
        row = existing.get(spec.key)
        if row is None:
            row = Certification(key=spec.key, **values)
            session.add(row)
            report.record("certifications", created=True)
        else:
            report.record("certifications", changed=_apply(row, values))
        result[spec.key] = row
    return result


def _period_key(period: OpeningPeriod | ExceptionPeriod | PeriodSpec) -> tuple[time, time, bool]:
    if isinstance(period, PeriodSpec):
        return (period.start, period.end, period.staffed)
    return (period.start_time, period.end_time, period.staffed)


def _exception_periods(spec: ExceptionSpec) -> list[ExceptionPeriod]:
    return [ExceptionPeriod(start_time=p.start, end_time=p.end, staffed=p.staffed) for p in spec.periods]


def _sync_exceptions(location: Location, specs: Sequence[ExceptionSpec], report: SeedReport) -> None:
    """Make the file's exceptions match, keyed by their dates; keep those that staff added."""
    existing: dict[tuple[date, date], OpeningException] = {}
    for held in location.exceptions:
        existing.setdefault((held.date_from, held.date_to), held)
    for spec in specs:
        row = existing.get((spec.date_from, spec.date_to))
        if row is None:
            location.exceptions.append(
                OpeningException(
                    date_from=spec.date_from,
                    date_to=spec.date_to,
                    closed=spec.closed,
                    reason=spec.reason,
                    reason_en=spec.reason_en,
                    periods=_exception_periods(spec),
                )
            )
            report.record("exceptions", created=True)
            continue
        changed = _apply(row, {"closed": spec.closed, "reason": spec.reason, "reason_en": spec.reason_en})
        if sorted(map(_period_key, row.periods)) != sorted(map(_period_key, spec.periods)):
            row.periods = _exception_periods(spec)
            changed = True
        report.record("exceptions", changed=changed)


async def _upsert_locations(
    session: AsyncSession, specs: Sequence[LocationSpec], report: SeedReport
) -> dict[str, Location]:
    rows = await session.scalars(
        select(Location)
        .where(Location.slug.in_([s.slug for s in specs]))
        .options(
            selectinload(Location.opening_periods),
            selectinload(Location.exceptions).selectinload(OpeningException.periods),
            selectinload(Location.policy),
        )
    )
    existing = {row.slug: row for row in rows}
    result: dict[str, Location] = {}
    for spec in specs:
        values = {
            "name": spec.name,
            "name_en": spec.name_en,
            "address": spec.address,
            "timezone": spec.timezone,
            "description": spec.description,
            "description_en": spec.description_en,
            "position": spec.position,
        }
        weekly = [
            OpeningPeriod(weekday=weekday, start_time=p.start, end_time=p.end, staffed=p.staffed)
            for weekday, p in spec.weekly
        ]
        row = existing.get(spec.slug)
        if row is None:
            policy, _ = _policy_row(None, spec.policy)
            row = Location(slug=spec.slug, opening_periods=weekly, exceptions=[], policy=policy, **values)
            session.add(row)
            _sync_exceptions(row, spec.exceptions, report)
            report.record("locations", created=True)
        else:
            changed = _apply(row, values)
            have = sorted((p.weekday, *_period_key(p)) for p in row.opening_periods)
            if have != sorted((weekday, *_period_key(p)) for weekday, p in spec.weekly):
                row.opening_periods = weekly
                changed = True
            policy, policy_changed = _policy_row(row.policy, spec.policy)
            if policy is not row.policy:
                row.policy = policy
            _sync_exceptions(row, spec.exceptions, report)
            report.record("locations", changed=changed or policy_changed)
        result[spec.slug] = row
    return result


async def _inventory_holders(session: AsyncSession, numbers: Collection[str]) -> dict[str, tuple[str, str]]:
    """Who holds each inventory number now, as (resource slug, unit label)."""
    if not numbers:
        return {}
    rows = await session.execute(
        select(Unit.inventory_number, Resource.slug, Unit.label)
        .join(Resource, Resource.id == Unit.resource_id)
        .where(Unit.inventory_number.in_(list(numbers)))
    )
    return {number: (slug, label) for number, slug, label in rows if number is not None}


async def _upsert_resources(
    session: AsyncSession,
    specs: Sequence[ResourceSpec],
    locations: Mapping[str, Location],
    certifications: Mapping[str, Certification],
    report: SeedReport,
) -> dict[str, Resource]:
    rows = await session.scalars(
        select(Resource)
        .where(Resource.slug.in_([s.slug for s in specs]))
        .options(selectinload(Resource.units), selectinload(Resource.policy))
    )
    existing = {row.slug: row for row in rows}
    in_files = {(spec.slug, unit.label) for spec in specs for unit in spec.units}
    numbers = {unit.inventory_number: (spec.slug, unit.label) for spec in specs for unit in spec.units}
    clashes = [
        f"{RESOURCES_FILE}, resource '{numbers[number][0]}', unit '{numbers[number][1]}': inventory number "
        f"'{number}' already belongs to unit '{label}' of '{slug}' in the database"
        for number, (slug, label) in (await _inventory_holders(session, [n for n in numbers if n])).items()
        if (slug, label) != numbers[number] and (slug, label) not in in_files
    ]
    if clashes:
        raise SeedError(clashes)

    result: dict[str, Resource] = {}
    for spec in specs:
        certification = certifications[spec.certification] if spec.certification else None
        values: dict[str, Any] = {
            "location_id": locations[spec.location].id,
            "kind": spec.kind,
            "factor": spec.factor,
            "name": spec.name,
            "name_en": spec.name_en,
            "description": spec.description,
            "description_en": spec.description_en,
            "capacity": spec.capacity,
            "features": list(spec.features),
            "requires_approval": spec.requires_approval,
            "required_certification_id": certification.id if certification else None,
            "min_age": spec.min_age,
            "needs_staff": spec.needs_staff,
        }
        row = existing.get(spec.slug)
        if row is None:
            policy, _ = _policy_row(None, spec.policy)
            units = [Unit(label=u.label, inventory_number=u.inventory_number, serial_number=u.serial_number)
                     for u in spec.units]  # fmt: skip
            row = Resource(slug=spec.slug, units=units, policy=policy, **values)
            session.add(row)
            report.record("resources", created=True)
            for _ in units:
                report.record("units", created=True)
        else:
            changed = _apply(row, values)
            policy, policy_changed = _policy_row(row.policy, spec.policy)
            if policy is not row.policy:
                row.policy = policy
            report.record("resources", changed=changed or policy_changed)
            by_label = {unit.label: unit for unit in row.units}
            for unit_spec in spec.units:
                unit_values = {
                    "inventory_number": unit_spec.inventory_number,
                    "serial_number": unit_spec.serial_number,
                }
                unit = by_label.get(unit_spec.label)
                if unit is None:
                    row.units.append(Unit(label=unit_spec.label, **unit_values))
                    report.record("units", created=True)
                else:
                    report.record("units", changed=_apply(unit, unit_values))
        result[spec.slug] = row
    return result


# --------------------------------------------------------------------------- workshops


async def _system_user(session: AsyncSession, report: SeedReport) -> User:
    """The account that books the seed's workshop sessions: an admin no one can sign in as."""
    values: dict[str, Any] = {
        "name": SYSTEM_NAME,
        "role": Role.ADMIN,
        "password_hash": None,
        "is_active": False,
    }
    row = await session.scalar(select(User).where(User.email == SYSTEM_EMAIL))
    if row is None:
        row = User(email=SYSTEM_EMAIL, **values)
        session.add(row)
        await session.flush()
        report.record("users", created=True)
    else:
        report.record("users", changed=_apply(row, values))
    return row


async def _upsert_workshops(
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
        row = existing.get(spec.slug)
        if row is None:
            row = Workshop(slug=spec.slug, **values)
            session.add(row)
            report.record("workshops", created=True)
        else:
            report.record("workshops", changed=_apply(row, values))
        result[spec.slug] = row
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


async def _seed_sessions(
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
                    report.record("workshop_sessions", changed=_apply(row, values))
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


# --------------------------------------------------------------------------- demo data


async def _upsert_users(
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
            changed = _apply(row, values)
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


async def _seed_bookings(
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


# --------------------------------------------------------------------------- entry point


async def load_seed(
    db: Database,
    seed_dir: Path,
    *,
    demo: bool = False,
    now: datetime | None = None,
) -> SeedReport:
    """Load the catalogue (and with `demo` the demo accounts and bookings) idempotently."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("load_seed needs an aware datetime for 'now'")
    catalogue = read_catalogue(seed_dir)
    zone = ZoneInfo(catalogue.locations[0].timezone if catalogue.locations else "Europe/Berlin")
    today = now.astimezone(zone).date()  # the library's "today", for ages
    demo_data = read_demo(seed_dir, catalogue) if demo else None

    report = SeedReport()
    async with db.write() as session:
        if not db.is_sqlite:
            # SQLite serialises writers already (BEGIN IMMEDIATE); on PostgreSQL two seed runs at
            # once would otherwise both insert the same new rows and one would fail.
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEED_LOCK_KEY})
        certifications = await _upsert_certifications(session, catalogue.certifications, report)
        locations = await _upsert_locations(session, catalogue.locations, report)
        await session.flush()
        resources = await _upsert_resources(session, catalogue.resources, locations, certifications, report)
        await session.flush()
        if catalogue.workshops:
            workshops = await _upsert_workshops(session, catalogue.workshops, certifications, report)
            await session.flush()
            if any(spec.sessions for spec in catalogue.workshops):
                system = await _system_user(session, report)
                await _seed_sessions(session, catalogue.workshops, workshops, resources, system, now, report)
        if demo_data is not None:
            users = await _upsert_users(session, demo_data.users, certifications, now, today, report)
            await session.flush()
            await _seed_bookings(session, demo_data.bookings, users, resources, now, report)
    return report
