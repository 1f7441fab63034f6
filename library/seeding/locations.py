"""locations.yaml: the library's locations with their weekly hours, dated exceptions and house rules.

Exceptions in `common_exceptions` (public holidays) apply to every location.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.catalog.models import ExceptionPeriod, Location, OpeningException, OpeningPeriod, Policy
from library.catalog.policy import POLICY_FIELDS
from library.catalog.resource_input import PolicyIn, checked_fields
from library.seeding.files import (
    LOCATIONS_FILE,
    Fields,
    describe,
    duplicates,
    entry_name,
    parse_time,
    read_yaml,
    top_level,
)
from library.seeding.report import SeedReport, apply

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PERIOD_PATTERN = re.compile(r"^\s*(\S+?)\s*[-–]\s*(\S+?)(?:\s+(staffed|unstaffed))?\s*$")


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
    coordinates: Coordinates | None = None


@dataclass(frozen=True)
class Coordinates:
    """WGS 84 position for open data; `approximate` where it was estimated, not surveyed."""

    latitude: float
    longitude: float
    approximate: bool


def _parse_coordinates(value: object, fields: Fields) -> Coordinates | None:
    """`coordinates: {lat: 48.3984, lon: 9.9918, approximate: true}`, in range."""
    if value is None:
        return None
    lat = value.get("lat") if isinstance(value, dict) else None
    lon = value.get("lon") if isinstance(value, dict) else None
    approximate = value.get("approximate", False) if isinstance(value, dict) else False
    if (
        not isinstance(value, dict)
        or not isinstance(lat, int | float)
        or not isinstance(lon, int | float)
        or isinstance(lat, bool)
        or isinstance(lon, bool)
        or not isinstance(approximate, bool)
        or set(value) - {"lat", "lon", "approximate"}
    ):
        fields.fail("'coordinates' must be {lat: 48.3984, lon: 9.9918, approximate: true|false}")
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        fields.fail(f"coordinates out of range: lat {lat}, lon {lon}")
        return None
    return Coordinates(float(lat), float(lon), approximate)


def _parse_period(value: object, fields: Fields, label: str) -> PeriodSpec | None:
    """A period, written "10:00-19:00", "14:00-19:00 unstaffed" or {start, end, staffed}."""
    if isinstance(value, str):
        match = PERIOD_PATTERN.match(value)
        if match is None:
            fields.fail(f"bad period {label} {value!r}: write it as '10:00-19:00' or '14:00-19:00 unstaffed'")
            return None
        start = parse_time(match[1], f"in {label}", fields)
        end = parse_time(match[2], f"in {label}", fields)
        staffed = match[3] != "unstaffed"
    elif isinstance(value, dict):
        period = Fields(value, f"{fields.where}, {label}", fields.problems, {"start", "end", "staffed"})
        start, end, staffed = (
            period.time_of_day("start"),
            period.time_of_day("end"),
            period.flag("staffed", True),
        )
    else:
        fields.fail(f"bad period {label}: expected '10:00-19:00', found {describe(value)}")
        return None
    if start is None or end is None:
        return None
    if start >= end:
        fields.fail(f"period {label} {value!r} ends before it starts")
        return None
    return PeriodSpec(start, end, staffed)


def _parse_periods(values: Iterable[object], fields: Fields, label: str) -> tuple[PeriodSpec, ...]:
    periods = [p for value in values if (p := _parse_period(value, fields, label)) is not None]
    periods.sort(key=lambda p: p.start)
    for before, after in pairwise(periods):
        if after.start < before.end:
            fields.fail(
                f"periods on {label} overlap: {before.start:%H:%M}-{before.end:%H:%M} and "
                f"{after.start:%H:%M}-{after.end:%H:%M}"
            )
    return tuple(periods)


def read_policy(value: object, fields: Fields) -> dict[str, int] | None:
    """A location's house rules or a resource's overrides, checked as the API checks them."""
    if value is None:
        return None
    policy = Fields(value, f"{fields.where}, policy", fields.problems, POLICY_FIELDS)
    values, wrong = checked_fields(policy.data, PolicyIn)
    for refused in wrong:
        policy.refuse(refused, policy.get(refused.field))
    if values.get("min_minutes", 0) > values.get("max_minutes", 10**9):
        policy.fail("min_minutes is larger than max_minutes")
    return values


def _parse_exception(raw: object, where: str, problems: list[str]) -> ExceptionSpec | None:
    fields = Fields(raw, where, problems, {"date", "from", "to", "hours", "reason", "reason_en"})
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


def read_locations(seed_dir: Path, problems: list[str]) -> tuple[LocationSpec, ...]:
    top = top_level(
        read_yaml(seed_dir / LOCATIONS_FILE), LOCATIONS_FILE, {"locations", "common_exceptions"}, problems
    )
    common = [
        spec
        for index, raw in enumerate(top.items("common_exceptions"))
        if (spec := _parse_exception(raw, f"{LOCATIONS_FILE}, common exception #{index + 1}", problems))
    ]
    allowed = {
        "slug", "name", "name_en", "address", "timezone", "description", "description_en",
        "position", "hours", "exceptions", "policy", "coordinates",
    }  # fmt: skip
    specs: list[LocationSpec] = []
    for index, raw in enumerate(top.items("locations")):
        where = f"{LOCATIONS_FILE}, {entry_name('location', raw, 'slug', index)}"
        fields = Fields(raw, where, problems, allowed)
        timezone = fields.text("timezone") or "Europe/Berlin"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            fields.fail(f"unknown time zone {timezone!r} (e.g. Europe/Berlin)")
        weekly: list[tuple[int, PeriodSpec]] = []
        hours = fields.get("hours")
        if hours is not None and not isinstance(hours, dict):
            fields.fail(f"'hours' must list weekdays (monday: [...]), found {describe(hours)}")
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
                description=fields.text("description", multiline=True),
                description_en=fields.optional_text("description_en", multiline=True),
                position=fields.integer("position") or 0,
                weekly=tuple(sorted(weekly, key=lambda w: (w[0], w[1].start))),
                exceptions=exceptions,
                policy=read_policy(fields.get("policy"), fields),
                coordinates=_parse_coordinates(fields.get("coordinates"), fields),
            )
        )
    for slug in duplicates(spec.slug for spec in specs):
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


def policy_row(existing: Policy | None, values: Mapping[str, int] | None) -> tuple[Policy | None, bool]:
    """The policy row a file entry asks for: fields it leaves out are inherited (null)."""
    if values is None:
        return None, existing is not None
    wanted = {name: values.get(name) for name in POLICY_FIELDS}
    if existing is None:
        return Policy(**wanted), True
    return existing, apply(existing, wanted)


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
        changed = apply(row, {"closed": spec.closed, "reason": spec.reason, "reason_en": spec.reason_en})
        if sorted(map(_period_key, row.periods)) != sorted(map(_period_key, spec.periods)):
            row.periods = _exception_periods(spec)
            changed = True
        report.record("exceptions", changed=changed)


async def upsert_locations(
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
            "latitude": spec.coordinates.latitude if spec.coordinates else None,
            "longitude": spec.coordinates.longitude if spec.coordinates else None,
            "coordinates_approximate": spec.coordinates.approximate if spec.coordinates else False,
        }
        weekly = [
            OpeningPeriod(weekday=weekday, start_time=p.start, end_time=p.end, staffed=p.staffed)
            for weekday, p in spec.weekly
        ]
        row = existing.get(spec.slug)
        if row is None:
            policy, _ = policy_row(None, spec.policy)
            row = Location(slug=spec.slug, opening_periods=weekly, exceptions=[], policy=policy, **values)
            session.add(row)
            _sync_exceptions(row, spec.exceptions, report)
            report.record("locations", created=True)
        else:
            changed = apply(row, values)
            have = sorted((p.weekday, *_period_key(p)) for p in row.opening_periods)
            if have != sorted((weekday, *_period_key(p)) for weekday, p in spec.weekly):
                row.opening_periods = weekly
                changed = True
            policy, policy_changed = policy_row(row.policy, spec.policy)
            if policy is not row.policy:
                row.policy = policy
            _sync_exceptions(row, spec.exceptions, report)
            report.record("locations", changed=changed or policy_changed)
        result[spec.slug] = row
    return result
