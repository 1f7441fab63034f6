"""Staff work on the inventory and the house rules.

Resources with their units and policy overrides, units one by one, blocks for maintenance,
a location's weekly hours and its dated exceptions. Every change is written to the audit log
in the same transaction, with what it was before and what it is after. What touches bookings
(retiring a booked unit, placing a block) is in library.booking.units.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import pairwise
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from library.accounts.models import Certification, User
from library.audit.log import only_changed, record, snapshot
from library.catalog.hours import Period, WeeklyPeriod
from library.catalog.limits import MAX_LABEL_LENGTH, MAX_SLUG_LENGTH, POLICY_LIMITS, SLUG_PATTERN
from library.catalog.models import (
    ExceptionPeriod,
    Location,
    OpeningException,
    OpeningPeriod,
    Policy,
    Resource,
    Unit,
    UnitBlock,
    UnitStatus,
)
from library.catalog.policy import POLICY_FIELDS, effective_policy, overrides_of
from library.catalog.queries import get_location, get_resource
from library.catalog.resource_input import UnitSpec, english_parts_problem
from library.db import Database, violated_constraint
from library.errors import Conflict, InvalidInput, NotFound
from library.i18n import N_

BLOCK_FIELDS = ("unit_id", "start_at", "end_at", "reason")
RESOURCE_FIELDS = (
    "slug",
    "name",
    "name_en",
    "kind",
    "factor",
    "location_id",
    "description",
    "description_en",
    "capacity",
    "features",
    "features_en",
    "loan_parts",
    "loan_parts_en",
    "requires_approval",
    "required_certification_id",
    "min_age",
    "needs_staff",
)
UNIT_FIELDS = ("resource_id", "label", "label_en", "inventory_number", "serial_number", "condition", "status")
EXCEPTION_FIELDS = ("location_id", "date_from", "date_to", "closed", "reason", "reason_en")

RESOURCE_CHANGES = frozenset(
    {
        *(name for name in RESOURCE_FIELDS if not name.endswith("_id")),
        "location",
        "required_certification",
        "policy",
    }
)
"""What a change to a resource may name: locations by slug, certifications by key."""

UNIT_CHANGES = frozenset({"label", "label_en", "inventory_number", "serial_number", "condition", "status"})

CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slugify(text: str) -> str:
    """A slug from a name: lower case, umlauts spelled out (ä → ae), other characters → "-"."""
    spelled = unicodedata.normalize("NFC", text).lower().translate(SPELLED_OUT)
    ascii_only = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:MAX_SLUG_LENGTH].rstrip("-")


def clock_time(text: str, field: str) -> time:
    """A local wall-clock time written "HH:MM", e.g. "09:30"."""
    match = CLOCK_TIME.match(text)
    if match is None:
        raise InvalidInput("invalid_time", field, value=text)
    return time(int(match[1]), int(match[2]))


def check_periods(periods: Sequence[Period], field: str) -> None:
    """Each period ends after it starts; periods of one day do not overlap ([start, end))."""
    for index, period in enumerate(periods):
        if period.end <= period.start:
            raise InvalidInput("end_before_start", f"{field}[{index}].end")
    ordered = sorted(range(len(periods)), key=lambda index: periods[index].start)
    for before, after in pairwise(ordered):
        if periods[after].start < periods[before].end:
            raise InvalidInput("periods_overlap", f"{field}[{max(before, after)}].start")


# Resources


async def create_resource(
    db: Database,
    values: Mapping[str, Any],
    *,
    units: int | Sequence[UnitSpec],
    actor: User,
    now: datetime,
) -> Resource:
    """A new resource with its units: `values` as in `update_resource`, `name`, `kind`, `factor`
    and `location` required, the slug made from the name when not given.

    `units` is a count (labelled "<name> 1", "<name> 2", …) or the units themselves.
    """
    async with db.write() as session:
        return await create_resource_within(session, values, units=units, actor=actor, now=now)


@dataclass(frozen=True)
class WantedResource:
    """A resource as a file describes it: `values` as `create_resource` takes them (defaults
    filled in) and its units; `given` names what the file has columns for (resource fields,
    `policy.<name>`, unit fields): an existing resource or unit keeps everything else."""

    values: Mapping[str, Any]
    units: Sequence[UnitSpec]
    given: frozenset[str]


@dataclass(frozen=True)
class Imported:
    """What an import did with a resource or a unit; `fields` names what an update changed."""

    what: Literal["added", "updated", "unchanged"]
    fields: tuple[str, ...] = ()


ADDED = Imported("added")
UNCHANGED = Imported("unchanged")


async def import_resources(
    db: Database, wanted: Sequence[WantedResource], *, actor: User, now: datetime
) -> list[tuple[Imported, list[Imported]]]:
    """The resources of a file in one transaction, all or nothing: each with what was done to it
    and to each of its units (in the file's order).

    A resource is matched by its slug, a unit by its inventory number or else by its label
    within the resource. What is new is added and what differs is changed, each with its audit
    entry; what is the same is not written at all, so that the catalogue's version (kept by
    triggers on every written row) moves only when something changed.
    """
    async with db.write() as session:
        slugs = [item.values["slug"] for item in wanted]
        numbers = [unit.inventory_number for item in wanted for unit in item.units if unit.inventory_number]
        # Locked first and read after, so that what is compared is what another change left:
        # two imports (or an import and an edit) of the same rows take turns.
        ids = list(
            await session.scalars(
                select(Resource.id)
                .where(Resource.slug.in_(slugs), Resource.active.is_(True))
                .order_by(Resource.id)
                .with_for_update()
            )
        )
        await session.execute(
            select(Unit.id)
            .where(or_(Unit.resource_id.in_(ids), Unit.inventory_number.in_(numbers)))
            .order_by(Unit.id)
            .with_for_update()
        )
        existing = {
            resource.slug: resource
            for resource in await session.scalars(
                select(Resource)
                .where(Resource.id.in_(ids))
                .options(
                    selectinload(Resource.location).selectinload(Location.policy),
                    selectinload(Resource.required_certification),
                    selectinload(Resource.policy),
                    selectinload(Resource.units),
                )
            )
        }
        numbered = {
            unit.inventory_number or "": unit
            for unit in await session.scalars(select(Unit).where(Unit.inventory_number.in_(numbers)))
        }
        done: list[tuple[Imported, list[Imported]]] = []
        for item in wanted:
            resource = existing.get(item.values["slug"])
            if resource is None:
                await create_resource_within(session, item.values, units=item.units, actor=actor, now=now)
                done.append((ADDED, [ADDED] * len(item.units)))
                continue
            changes = _differences(resource, item)
            if changes:
                await _update_resource_within(session, resource, changes, actor=actor, now=now)
            policy = changes.pop("policy", {})
            changed = (*changes, *(f"policy.{name}" for name in policy))
            units = [
                await _import_unit(session, resource, spec, item.given, numbered, actor=actor, now=now)
                for spec in item.units
            ]
            done.append((Imported("updated", changed) if changed else UNCHANGED, units))
    return done


def _same(current: Any, wanted: Any) -> bool:
    """Equal, or both empty text (a cell left empty and a field never filled in)."""
    return bool(current == wanted or (current in (None, "") and wanted in (None, "")))


def _differences(resource: Resource, item: WantedResource) -> dict[str, Any]:
    """What the file changes of an existing resource, as `update_resource` takes it."""
    certification = resource.required_certification
    current = {
        **{name: getattr(resource, name) for name in RESOURCE_FIELDS if not name.endswith("_id")},
        "features": list(resource.features or []),
        # no parts: NULL or an empty list alike, as a file's empty cell says it
        "loan_parts": list(resource.loan_parts or []) or None,
        "loan_parts_en": list(resource.loan_parts_en or []) or None,
        "location": resource.location.slug,
        "required_certification": certification.key if certification else None,
    }
    changes = {
        name: value
        for name, value in item.values.items()
        if name != "policy" and name in item.given and not _same(current[name], value)
    }
    own, wanted = overrides_of(resource.policy), item.values.get("policy") or {}
    policy = {
        name: wanted.get(name)
        for name in POLICY_FIELDS
        if f"policy.{name}" in item.given and own.get(name) != wanted.get(name)
    }
    return {**changes, "policy": policy} if policy else changes


async def _import_unit(
    session: AsyncSession,
    resource: Resource,
    spec: UnitSpec,
    given: frozenset[str],
    numbered: Mapping[str, Unit],
    *,
    actor: User,
    now: datetime,
) -> Imported:
    unit = numbered.get(spec.inventory_number) if spec.inventory_number else None
    if unit is not None and unit.resource_id != resource.id:
        raise Conflict("inventory_number_taken", "inventory_number", number=spec.inventory_number)
    if unit is None:
        unit = next((own for own in resource.units if own.label == spec.label), None)
    if unit is None:
        await _add_unit_within(session, resource, spec, actor=actor, now=now)
        return ADDED
    wanted = {
        "label": spec.label,
        "label_en": spec.label_en,
        "inventory_number": spec.inventory_number,
        "serial_number": spec.serial_number,
        "condition": spec.condition,
    }
    changes = {
        name: value
        for name, value in wanted.items()
        if (name == "label" or name in given) and not _same(getattr(unit, name), value)
    }
    if not changes:
        return UNCHANGED
    await update_unit_within(session, unit, changes, actor=actor, now=now)
    return Imported("updated", tuple(changes))


async def create_resource_within(
    session: AsyncSession,
    values: Mapping[str, Any],
    *,
    units: int | Sequence[UnitSpec],
    actor: User,
    now: datetime,
) -> Resource:
    """`create_resource` inside the caller's write transaction."""
    values = {**values, "slug": values.get("slug") or slugify(str(values.get("name") or ""))}
    if not values["slug"]:
        raise InvalidInput("invalid_input", "slug")
    specs = _unit_specs(units, str(values.get("name") or ""))
    resource = Resource(units=[], policy=None, required_certification_id=None)
    await _apply_resource_changes(session, resource, values)
    await _check_new_units(session, specs, listed_as="units")
    resource.units = [
        Unit(
            label=spec.label,
            label_en=spec.label_en,
            inventory_number=spec.inventory_number,
            serial_number=spec.serial_number,
            condition=spec.condition,
        )
        for spec in specs
    ]
    resource.created_at = resource.updated_at = now
    session.add(resource)
    await _flush(session)
    record(
        session,
        actor_id=actor.id,
        action="resource.create",
        object_type="resource",
        object_id=resource.id,
        at=now,
        after={
            **_resource_snapshot(resource),
            "units": [snapshot(u, UNIT_FIELDS) for u in resource.units],
        },
    )
    return resource


async def update_resource(
    db: Database, slug: str, changes: Mapping[str, Any], *, actor: User, now: datetime
) -> Resource:
    """Change some fields of a resource; only the fields named in `changes` are touched.

    `location` is a location slug, `required_certification` a certification key (None: none),
    `policy` a mapping of policy fields whose None removes that override (None: remove all).
    The slug stays when the name changes: it is what other systems refer to.
    """
    async with db.write() as session:
        resource, _ = await get_resource(session, slug)
        await _update_resource_within(session, resource, changes, actor=actor, now=now)
    return resource


async def _update_resource_within(
    session: AsyncSession, resource: Resource, changes: Mapping[str, Any], *, actor: User, now: datetime
) -> None:
    before = _resource_snapshot(resource)
    await _apply_resource_changes(session, resource, changes)
    resource.updated_at = now
    await _flush(session)
    before, after = only_changed(before, _resource_snapshot(resource))
    record(
        session,
        actor_id=actor.id,
        action="resource.update",
        object_type="resource",
        object_id=resource.id,
        at=now,
        before=before,
        after=after,
    )


async def _apply_resource_changes(
    session: AsyncSession, resource: Resource, changes: Mapping[str, Any]
) -> None:
    unknown = sorted(set(changes) - RESOURCE_CHANGES)
    if unknown:
        raise InvalidInput("invalid_input", ", ".join(unknown))
    for name, value in changes.items():
        if name in ("location", "required_certification", "policy"):
            continue
        if name == "slug" and value != resource.slug:
            await _check_slug_free(session, value)
        setattr(resource, name, value)
    if "location" in changes:
        location = await session.scalar(
            select(Location).where(Location.slug == changes["location"]).options(joinedload(Location.policy))
        )
        if location is None:
            raise InvalidInput("unknown_location", "location", slug=changes["location"])
        resource.location = location
    if "required_certification" in changes:
        key = changes["required_certification"]
        certification = None
        if key is not None:
            certification = await session.scalar(select(Certification).where(Certification.key == key))
            if certification is None:
                raise InvalidInput("unknown_certification", "required_certification", key=key)
        resource.required_certification = certification
    if "policy" in changes:
        _apply_policy(resource, changes["policy"])
    if "policy" in changes or "location" in changes:
        _check_effective_policy(resource)
    if "loan_parts" in changes or "loan_parts_en" in changes:
        problem = english_parts_problem(resource.loan_parts, resource.loan_parts_en)
        if problem is not None:
            raise problem


async def _check_slug_free(session: AsyncSession, slug: str) -> None:
    if not isinstance(slug, str) or len(slug) > MAX_SLUG_LENGTH or not SLUG_PATTERN.match(slug):
        raise InvalidInput("invalid_input", "slug")
    if await session.scalar(select(Resource.id).where(Resource.slug == slug)) is not None:
        raise Conflict("slug_taken", "slug", slug=slug)


def _apply_policy(resource: Resource, wanted: Mapping[str, int | None] | None) -> None:
    """Merge policy overrides into the resource's own; a None removes an override."""
    for name, value in (wanted or {}).items():
        if name not in POLICY_LIMITS:
            raise InvalidInput("invalid_input", f"policy.{name}")
        low, high = POLICY_LIMITS[name]
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high
        ):
            raise InvalidInput("policy_out_of_range", f"policy.{name}", low=low, high=high)
    merged = {**overrides_of(resource.policy), **(wanted or {})} if wanted is not None else {}
    overrides = {name: value for name, value in merged.items() if value is not None}
    if not overrides:
        resource.policy = None
    elif resource.policy is None:
        resource.policy = Policy(**overrides)
    else:
        for name in POLICY_FIELDS:
            setattr(resource.policy, name, overrides.get(name))


def _check_effective_policy(resource: Resource) -> None:
    """The resource's overrides together with its location's defaults must make sense."""
    location_policy = resource.location.policy if resource.location is not None else None
    effective = effective_policy(location_policy, resource.policy)
    if effective.min_minutes > effective.max_minutes:
        own = overrides_of(resource.policy)
        field = (
            "policy.max_minutes"
            if "max_minutes" in own and "min_minutes" not in own
            else "policy.min_minutes"
        )
        raise InvalidInput(
            "policy_min_above_max",
            field,
            min_minutes=effective.min_minutes,
            max_minutes=effective.max_minutes,
        )


def _resource_snapshot(resource: Resource) -> dict[str, Any]:
    return {**snapshot(resource, RESOURCE_FIELDS), "policy": overrides_of(resource.policy)}


# Units


def _unit_specs(units: int | Sequence[UnitSpec], name: str) -> list[UnitSpec]:
    if isinstance(units, int):
        stem = name[: MAX_LABEL_LENGTH - 5].strip()
        return [UnitSpec(f"{stem} {n}") for n in range(1, units + 1)]
    return list(units)


async def _check_new_units(
    session: AsyncSession, specs: Sequence[UnitSpec], *, listed_as: str | None, resource_id: int | None = None
) -> None:
    """Labels are unique within a resource and inventory numbers across the library.

    A problem names the field as `<listed_as>[i].label`, or plain `label` without `listed_as`.
    """
    labels: set[str] = set()
    if resource_id is not None:
        labels.update(await session.scalars(select(Unit.label).where(Unit.resource_id == resource_id)))
    numbers = [spec.inventory_number for spec in specs if spec.inventory_number is not None]
    taken = set(
        await session.scalars(select(Unit.inventory_number).where(Unit.inventory_number.in_(numbers)))
    )
    for index, spec in enumerate(specs):
        prefix = f"{listed_as}[{index}]." if listed_as is not None else ""
        if spec.label in labels:
            raise Conflict("label_taken", f"{prefix}label", label=spec.label)
        labels.add(spec.label)
        if spec.inventory_number is not None:
            if spec.inventory_number in taken:
                raise Conflict(
                    "inventory_number_taken", f"{prefix}inventory_number", number=spec.inventory_number
                )
            taken.add(spec.inventory_number)


async def add_unit(db: Database, slug: str, spec: UnitSpec, *, actor: User, now: datetime) -> Unit:
    async with db.write() as session:
        resource, _ = await get_resource(session, slug)
        return await _add_unit_within(session, resource, spec, actor=actor, now=now)


async def _add_unit_within(
    session: AsyncSession, resource: Resource, spec: UnitSpec, *, actor: User, now: datetime
) -> Unit:
    await _check_new_units(session, [spec], listed_as=None, resource_id=resource.id)
    unit = Unit(
        resource_id=resource.id,
        label=spec.label,
        label_en=spec.label_en,
        inventory_number=spec.inventory_number,
        serial_number=spec.serial_number,
        condition=spec.condition,
        status=UnitStatus.AVAILABLE,
    )
    session.add(unit)
    await _flush(session)
    record(
        session,
        actor_id=actor.id,
        action="unit.create",
        object_type="unit",
        object_id=unit.id,
        at=now,
        after=snapshot(unit, UNIT_FIELDS),
    )
    return unit


async def update_unit_within(
    session: AsyncSession,
    unit: Unit,
    changes: Mapping[str, Any],
    *,
    actor: User,
    now: datetime,
    noted: Mapping[str, Any] | None = None,
) -> None:
    """Change a unit inside the caller's write transaction (see booking.units.update_unit);
    `noted` adds to what the audit entry records after the change."""
    unknown = sorted(set(changes) - UNIT_CHANGES)
    if unknown:
        raise InvalidInput("invalid_input", ", ".join(unknown))
    before = snapshot(unit, UNIT_FIELDS)
    await _check_unit_changes(session, unit, changes)
    for name, value in changes.items():
        setattr(unit, name, value)
    await _flush(session)
    before, after = only_changed(before, snapshot(unit, UNIT_FIELDS))
    record(
        session,
        actor_id=actor.id,
        action="unit.update",
        object_type="unit",
        object_id=unit.id,
        at=now,
        before=before,
        after={**after, **(noted or {})},
    )


async def _check_unit_changes(session: AsyncSession, unit: Unit, changes: Mapping[str, Any]) -> None:
    label = changes.get("label")
    if label is not None and label != unit.label:
        clash = await session.scalar(
            select(Unit.id).where(Unit.resource_id == unit.resource_id, Unit.label == label)
        )
        if clash is not None:
            raise Conflict("label_taken", "label", label=label)
    number = changes.get("inventory_number")
    if (
        number is not None
        and number != unit.inventory_number
        and await session.scalar(select(Unit.id).where(Unit.inventory_number == number)) is not None
    ):
        raise Conflict("inventory_number_taken", "inventory_number", number=number)


TAKEN: dict[str, tuple[str, str]] = {
    "uq_units_inventory_number": ("inventory_number_taken", "inventory_number"),
    "uq_resources_slug": ("slug_taken", "slug"),
    "uq_units_resource_id_label": ("label_taken", "label"),
}
"""The unique keys a concurrent request may take first: their problem code and field."""


async def _flush(session: AsyncSession) -> None:
    """Flush; a unique key that a concurrent request took in the meantime is a conflict, not a crash."""
    try:
        await session.flush()
    except IntegrityError as error:
        constraint = violated_constraint(error)
        if constraint is None or constraint not in TAKEN:
            raise
        code, field = TAKEN[constraint]
        raise Conflict(code, field) from error


# Blocks (placing one lists the bookings it touches: see booking.units.block_unit)


async def lift_block(db: Database, block_id: int, *, actor: User, now: datetime) -> None:
    async with db.write() as session:
        block = await session.get(UnitBlock, block_id)
        if block is None:
            raise NotFound(N_("The block %(id)s"), id=block_id)
        record(
            session,
            actor_id=actor.id,
            action="unit.unblock",
            object_type="unit",
            object_id=block.unit_id,
            at=now,
            before=snapshot(block, BLOCK_FIELDS),
        )
        await session.delete(block)


# Opening hours


def _period_plain(period: Period) -> dict[str, Any]:
    return {"start": f"{period.start:%H:%M}", "end": f"{period.end:%H:%M}", "staffed": period.staffed}


def _weekly_plain(rows: Sequence[OpeningPeriod]) -> list[dict[str, Any]]:
    return [
        {"weekday": row.weekday, **_period_plain(Period(row.start_time, row.end_time, row.staffed))}
        for row in sorted(rows, key=lambda row: (row.weekday, row.start_time))
    ]


async def set_weekly_hours(
    db: Database, location_slug: str, week: Sequence[WeeklyPeriod], *, actor: User, now: datetime
) -> list[OpeningPeriod]:
    """Replace a location's whole week of opening periods; returns them by weekday and time.

    Items are named by their index in `week` when they are wrong ("[2].end"). An empty week
    closes the location except on dated exceptions with special hours.
    """
    for index, item in enumerate(week):
        if not 1 <= item.weekday <= 7:
            raise InvalidInput("invalid_weekday", f"[{index}].weekday")
    for weekday in range(1, 8):
        indexes = [index for index, item in enumerate(week) if item.weekday == weekday]
        try:
            check_periods([week[index].period for index in indexes], "")
        except InvalidInput as problem:
            raise _renamed(problem, indexes) from None
    async with db.write() as session:
        location = await session.scalar(
            select(Location)
            .where(Location.slug == location_slug)
            .options(selectinload(Location.opening_periods))
        )
        if location is None:
            raise NotFound(N_("The location '%(slug)s'"), slug=location_slug)
        before = _weekly_plain(location.opening_periods)
        location.opening_periods = [
            OpeningPeriod(
                weekday=item.weekday,
                start_time=item.period.start,
                end_time=item.period.end,
                staffed=item.period.staffed,
            )
            for item in week
        ]
        await session.flush()
        stored = sorted(location.opening_periods, key=lambda row: (row.weekday, row.start_time))
        record(
            session,
            actor_id=actor.id,
            action="location.weekly_hours",
            object_type="location",
            object_id=location.id,
            at=now,
            before={"weekly": before},
            after={"weekly": _weekly_plain(stored)},
        )
    return stored


def _renamed(problem: InvalidInput, indexes: Sequence[int]) -> InvalidInput:
    """A problem about "[i]" of one weekday's periods, renamed to "[j]" of the whole week."""

    def in_week(field: str) -> str:
        match = re.match(r"^\[(\d+)\]\.(.+)$", field)
        return f"[{indexes[int(match[1])]}].{match[2]}" if match is not None else field

    problem.fields = tuple(in_week(field) for field in problem.fields)
    return problem


def _check_exception(date_from: date, date_to: date, closed: bool, periods: Sequence[Period]) -> None:
    if date_to < date_from:
        raise InvalidInput("dates_out_of_order", "date_to")
    if closed and periods:
        raise InvalidInput("closed_with_periods", "periods")
    if not closed and not periods:
        raise InvalidInput("periods_required", "periods")
    check_periods(periods, "periods")


def _exception_periods(periods: Sequence[Period]) -> list[ExceptionPeriod]:
    return [
        ExceptionPeriod(start_time=p.start, end_time=p.end, staffed=p.staffed)
        for p in sorted(periods, key=lambda p: p.start)
    ]


def _exception_plain(exception: OpeningException) -> dict[str, Any]:
    return {
        "id": exception.id,
        **snapshot(exception, EXCEPTION_FIELDS),
        "periods": [_period_plain(Period(p.start_time, p.end_time, p.staffed)) for p in exception.periods],
    }


async def add_opening_exception(
    db: Database,
    location_slug: str,
    *,
    date_from: date,
    date_to: date,
    closed: bool,
    periods: Sequence[Period],
    reason: str,
    reason_en: str | None = None,
    actor: User,
    now: datetime,
) -> OpeningException:
    """A holiday or closure (`closed`, no periods) or special hours on some dates.

    Where exceptions cover the same day, the newest wins.
    """
    _check_exception(date_from, date_to, closed, periods)
    async with db.write() as session:
        location = await get_location(session, location_slug)
        return await add_opening_exception_within(
            session,
            location.id,
            date_from=date_from,
            date_to=date_to,
            closed=closed,
            periods=periods,
            reason=reason,
            reason_en=reason_en,
            actor=actor,
            now=now,
        )


async def add_opening_exception_within(
    session: AsyncSession,
    location_id: int,
    *,
    date_from: date,
    date_to: date,
    closed: bool,
    periods: Sequence[Period],
    reason: str,
    reason_en: str | None = None,
    actor: User,
    now: datetime,
) -> OpeningException:
    """`add_opening_exception` inside a caller's transaction (a closure of several locations)."""
    _check_exception(date_from, date_to, closed, periods)
    exception = OpeningException(
        location_id=location_id,
        date_from=date_from,
        date_to=date_to,
        closed=closed,
        reason=reason,
        reason_en=reason_en,
        periods=_exception_periods(periods),
    )
    session.add(exception)
    await session.flush()
    record(
        session,
        actor_id=actor.id,
        action="location.exception",
        object_type="location",
        object_id=location_id,
        at=now,
        after=_exception_plain(exception),
        reason=reason,
    )
    return exception


async def _exception_for_update(session: AsyncSession, exception_id: int) -> OpeningException:
    exception = await session.scalar(
        select(OpeningException)
        .where(OpeningException.id == exception_id)
        .options(selectinload(OpeningException.periods))
    )
    if exception is None:
        raise NotFound(N_("The exception %(id)s"), id=exception_id)
    return exception


async def change_opening_exception(
    db: Database,
    exception_id: int,
    *,
    date_from: date,
    date_to: date,
    closed: bool,
    periods: Sequence[Period],
    reason: str,
    reason_en: str | None = None,
    actor: User,
    now: datetime,
) -> OpeningException:
    """Replace what an exception says, as `add_opening_exception` checks it; it keeps its
    place among overlapping exceptions."""
    _check_exception(date_from, date_to, closed, periods)
    async with db.write() as session:
        exception = await _exception_for_update(session, exception_id)
        before = _exception_plain(exception)
        exception.date_from, exception.date_to, exception.closed = date_from, date_to, closed
        exception.reason, exception.reason_en = reason, reason_en
        exception.periods = _exception_periods(periods)
        await session.flush()
        record(
            session,
            actor_id=actor.id,
            action="location.exception_change",
            object_type="location",
            object_id=exception.location_id,
            at=now,
            before=before,
            after=_exception_plain(exception),
            reason=reason,
        )
    return exception


async def remove_opening_exception(db: Database, exception_id: int, *, actor: User, now: datetime) -> None:
    """The location keeps its weekly hours on those dates again."""
    async with db.write() as session:
        exception = await _exception_for_update(session, exception_id)
        record(
            session,
            actor_id=actor.id,
            action="location.exception_remove",
            object_type="location",
            object_id=exception.location_id,
            at=now,
            before=_exception_plain(exception),
        )
        await session.delete(exception)
