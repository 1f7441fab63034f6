"""resources.yaml: what can be booked, with its units and house rules.

An entry is checked as POST /api/v1/resources checks a new resource (ResourceIn, UnitIn), and
more: the file gives every slug and English name itself, and refers to the locations and
certifications of the other files. Units may be given one by one or as a numbered series.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import Certification
from library.catalog.limits import MAX_UNITS
from library.catalog.models import Factor, Location, Resource, ResourceKind, Unit
from library.catalog.resource_input import ResourceIn, UnitIn, UnitSpec, checked_fields, english_parts_problem
from library.seeding.files import (
    CERTIFICATIONS_FILE,
    LOCATIONS_FILE,
    RESOURCES_FILE,
    SENTENCES,
    Fields,
    SeedError,
    duplicates,
    entry_name,
    read_yaml,
    top_level,
)
from library.seeding.locations import policy_row, read_policy
from library.seeding.report import SeedReport, apply

NUMBER_PLACEHOLDER = re.compile(r"\{n(?::0?(\d+))?\}")
RESOURCE_FIELDS = {
    "slug", "location", "kind", "factor", "name", "name_en", "description", "description_en",
    "capacity", "features", "loan_parts", "loan_parts_en", "requires_approval", "certification", "min_age",
    "needs_staff", "policy", "units",
}  # fmt: skip
UNIT_FIELDS = {"label", "label_en", "inventory_number", "serial_number"}
SERIES_FIELDS = {"count", "first", *UNIT_FIELDS}
INPUT_NAMES = {"certification": "required_certification"}
"""The file's names of fields that ResourceIn calls otherwise."""
FILE_NAMES = {name: file_name for file_name, name in INPUT_NAMES.items()}


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
    loan_parts: tuple[str, ...]
    loan_parts_en: tuple[str, ...]
    requires_approval: bool
    certification: str | None
    min_age: int | None
    needs_staff: bool
    policy: dict[str, int] | None
    units: tuple[UnitSpec, ...]


def _stripped(value: object) -> object:
    """Text as the file means it, without the line break a YAML block leaves at its end."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [_stripped(item) for item in value]
    return value


def read_resources(
    seed_dir: Path, locations: Collection[str], certifications: Collection[str], problems: list[str]
) -> tuple[ResourceSpec, ...]:
    top = top_level(read_yaml(seed_dir / RESOURCES_FILE), RESOURCES_FILE, {"resources"}, problems)
    specs = [
        _read_resource(
            Fields(
                raw,
                f"{RESOURCES_FILE}, {entry_name('resource', raw, 'slug', index)}",
                problems,
                RESOURCE_FIELDS,
            ),
            locations,
            certifications,
        )
        for index, raw in enumerate(top.items("resources"))
    ]
    for slug in duplicates(spec.slug for spec in specs):
        problems.append(f"{RESOURCES_FILE}: duplicate resource slug '{slug}'")
    numbers = (unit.inventory_number for spec in specs for unit in spec.units if unit.inventory_number)
    for number in duplicates(numbers):
        problems.append(f"{RESOURCES_FILE}: inventory number '{number}' is given to more than one unit")
    return tuple(specs)


def _read_resource(
    fields: Fields, locations: Collection[str], certifications: Collection[str]
) -> ResourceSpec:
    """One entry; a wrong field is reported and left at its default, so that later checks go on."""
    given = {
        INPUT_NAMES.get(name, name): _stripped(value)
        for name, value in fields.data.items()
        if name not in ("policy", "units")
    }
    values, wrong = checked_fields(given, ResourceIn)
    for refused in wrong:
        name = FILE_NAMES.get(refused.field, refused.field)
        fields.refuse(refused, fields.get(name), name)
    if not given.get("slug"):
        fields.fail(SENTENCES["required"].format(field="slug"))
    if not given.get("name_en"):
        fields.fail("'name_en' is missing: every offer needs an English name")
    location = values.get("location", "")
    if location and location not in locations:
        fields.fail(f"unknown location '{location}' (not in {LOCATIONS_FILE})")
    certification = values.get("required_certification")
    if certification is not None and certification not in certifications:
        fields.fail(f"unknown certification key '{certification}' (not in {CERTIFICATIONS_FILE})")
    parts, parts_en = tuple(values.get("loan_parts") or ()), tuple(values.get("loan_parts_en") or ())
    if english_parts_problem(parts, parts_en) is not None:
        fields.fail(
            f"'loan_parts_en' must name the {len(parts)} parts of 'loan_parts' in English, or be left out"
        )
    return ResourceSpec(
        slug=values.get("slug", ""),
        location=location,
        kind=values.get("kind", ResourceKind.DEVICE),
        factor=values.get("factor", Factor.TECHNOLOGY),
        name=values.get("name", ""),
        name_en=values.get("name_en"),
        description=values.get("description", ""),
        description_en=values.get("description_en"),
        capacity=values.get("capacity", 1),
        features=tuple(values.get("features", ())),
        loan_parts=parts,
        loan_parts_en=parts_en,
        requires_approval=values.get("requires_approval", False),
        certification=certification,
        min_age=values.get("min_age"),
        needs_staff=values.get("needs_staff", False),
        policy=read_policy(fields.get("policy"), fields),
        units=_read_units(fields.items("units"), fields),
    )


def _number_series(template: str, n: int) -> str:
    """Fill `{n}` / `{n:03}` in a unit series; our own tiny format, not str.format on file text."""
    return NUMBER_PLACEHOLDER.sub(lambda m: str(n).zfill(int(m[1] or 0)), template)


def _read_units(values: list[Any], fields: Fields) -> tuple[UnitSpec, ...]:
    units: list[UnitSpec] = []
    for index, raw in enumerate(values):
        where = f"{fields.where}, unit #{index + 1}"
        if isinstance(raw, dict) and "count" in raw:
            units.extend(_read_series(Fields(raw, where, fields.problems, SERIES_FIELDS)))
            continue
        unit = Fields(raw, where, fields.problems, UNIT_FIELDS)
        checked = _checked_unit(unit, unit.data)
        if checked is not None:
            units.append(checked)
    seen: set[str] = set()
    for unit_spec in units:
        if unit_spec.label in seen:
            fields.fail(f"duplicate unit label {unit_spec.label!r}")
        seen.add(unit_spec.label)
    return tuple(units)


def _read_series(series: Fields) -> list[UnitSpec]:
    """Units numbered from `first`, `count` of them, e.g. label "Ozobot {n:02}"."""
    count = series.integer("count", minimum=1, maximum=MAX_UNITS) or 0
    first = series.integer("first") or 1
    templates = {key: series.text(key) for key in ("label", "label_en", "inventory_number", "serial_number")}
    if not templates["label"]:
        series.fail(SENTENCES["required"].format(field="label"))
        return []
    bad = [t for t in templates.values() if re.search(r"[{}]", NUMBER_PLACEHOLDER.sub("", t))]
    if bad:
        series.fail(f"bad placeholder in {bad[0]!r}: use {{n}} or {{n:02}}")
        return []
    units: list[UnitSpec] = []
    for n in range(first, first + count):
        unit = _checked_unit(
            series, {key: _number_series(value, n) for key, value in templates.items() if value}
        )
        if unit is None:
            break  # the series' other units differ only in their number: one report is enough
        units.append(unit)
    return units


def _checked_unit(fields: Fields, given: Mapping[str, object]) -> UnitSpec | None:
    """A unit checked as POST /api/v1/resources/{slug}/units checks one (UnitIn)."""
    values, wrong = checked_fields({name: _stripped(value) for name, value in given.items()}, UnitIn)
    for refused in wrong:
        fields.refuse(refused, given.get(refused.field))
    return None if wrong else UnitIn(**values).spec()


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


async def upsert_resources(
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
            "loan_parts": list(spec.loan_parts) or None,
            "loan_parts_en": list(spec.loan_parts_en) or None,
            "requires_approval": spec.requires_approval,
            "required_certification_id": certification.id if certification else None,
            "min_age": spec.min_age,
            "needs_staff": spec.needs_staff,
        }
        row = existing.get(spec.slug)
        if row is None:
            policy, _ = policy_row(None, spec.policy)
            units = [Unit(label=u.label, label_en=u.label_en, inventory_number=u.inventory_number,
                          serial_number=u.serial_number) for u in spec.units]  # fmt: skip
            row = Resource(slug=spec.slug, units=units, policy=policy, **values)
            session.add(row)
            report.record("resources", created=True)
            for _ in units:
                report.record("units", created=True)
        else:
            changed = apply(row, values)
            policy, policy_changed = policy_row(row.policy, spec.policy)
            if policy is not row.policy:
                row.policy = policy
            report.record("resources", changed=changed or policy_changed)
            by_label = {unit.label: unit for unit in row.units}
            for unit_spec in spec.units:
                unit_values = {
                    "label_en": unit_spec.label_en,
                    "inventory_number": unit_spec.inventory_number,
                    "serial_number": unit_spec.serial_number,
                }
                unit = by_label.get(unit_spec.label)
                if unit is None:
                    row.units.append(Unit(label=unit_spec.label, **unit_values))
                    report.record("units", created=True)
                else:
                    report.record("units", changed=apply(unit, unit_values))
        result[spec.slug] = row
    return result
