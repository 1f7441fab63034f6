"""Resources and their units as a CSV file: one row per unit, checked row by row (pure functions).

The columns are documented in docs/inventory-csv.md. Rows with the same `slug` are one
resource: its columns are given on its first row and on later rows either repeated or left
empty. A row without `unit_label` names no unit (a resource without units). A file adds what
is new and updates what exists (resources by slug, units by inventory number or label: see
inventory.import_resources), so an export is a file an import reads again and, unchanged,
changes nothing; a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or CR
first) is written with a leading apostrophe, which the import takes away again.

Every row is checked before anything is saved, with the input rules the API applies too
(library.catalog.resource_input), and every problem is reported with its row (the header is
row 1) and column; the caller saves only a file without problems.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from library.catalog.inventory import WantedResource
from library.catalog.models import Resource, UnitStatus
from library.catalog.policy import POLICY_FIELDS, overrides_of
from library.catalog.resource_input import (
    PART_SEPARATOR,
    Expected,
    ResourceIn,
    UnitIn,
    UnitSpec,
    check_fields,
    english_parts_problem,
    given,
)

RESOURCE_COLUMNS = (
    "slug",
    "name",
    "name_en",
    "kind",
    "factor",
    "location",
    "description",
    "description_en",
    "capacity",
    "features",
    "loan_parts",
    "loan_parts_en",
    "requires_approval",
    "required_certification",
    "min_age",
    "needs_staff",
    *(f"policy.{name}" for name in POLICY_FIELDS),
)
UNIT_COLUMNS = ("unit_label", "unit_label_en", "inventory_number", "serial_number", "condition")
UNIT_FIELDS = {"unit_label": "label", "unit_label_en": "label_en"}
"""Unit columns whose field has another name (the columns say whose label it is)."""
COLUMNS = (*RESOURCE_COLUMNS, *UNIT_COLUMNS)
REQUIRED_COLUMNS = ("slug", "name", "kind", "factor", "location")
FLAG_COLUMNS = ("requires_approval", "needs_staff")
FEATURE_SEPARATOR = "|"
PART_COLUMNS = ("loan_parts", "loan_parts_en")
"""The parts of a thing lent, separated by PART_SEPARATOR ("|", which no part may hold); an
empty part between two separators is refused, so the English parts keep their places."""
YES = ("yes", "ja", "true", "1")
NO = ("no", "nein", "false", "0", "")
MAX_ROWS = 5000

WORDS: dict[str, dict[str, str]] = {
    "factor": {
        "technologie": "technology",
        "know-how": "knowhow",
        "vernetzung": "networking",
        "raum & begegnung": "space",
        "space & meeting": "space",
        "raum": "space",
    },
    "kind": {
        "raum": "room",
        "arbeitsplatz": "workspace",
        "gerät": "device",
        "geraet": "device",
        "ausleihe": "loan",
    },
    "condition": {
        "neu": "new",
        "gut": "good",
        "abgenutzt": "worn",
        "beschädigt": "damaged",
        "beschaedigt": "damaged",
    },
}
"""The German words (and the English labels) a librarian types for factor, kind and condition, as
the stored values; the values themselves are read in any case too (`Technologie`, `GOOD`)."""

FORMULA = re.compile(r"^'*[=+\-@\t\r]")
"""A cell a spreadsheet would run as a formula (OWASP's list), behind any apostrophes already there."""


def neutralised(cell: str) -> str:
    """The cell as an export writes it: a leading apostrophe keeps a spreadsheet from running a
    formula; a cell that already starts with apostrophes and a formula sign gets one more, so the
    import can take exactly one away."""
    return f"'{cell}" if FORMULA.match(cell) else cell


def restored(cell: str) -> str:
    """The cell an export neutralised, as it was: `'=1+1` is read as `=1+1`."""
    return cell[1:] if cell.startswith("'") and FORMULA.match(cell) else cell


@dataclass(frozen=True)
class RowProblem:
    """What is wrong in one cell: `kind` names the sentence (see Expected, and `unknown_column`,
    `missing_column`, `differs`, `duplicate`, `unknown_location`, `unknown_certification`,
    `inventory_number_elsewhere`, `not_utf8`, `no_rows`, `too_many_rows`)."""

    row: int
    column: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ResourcePlan:
    """One resource of the file, ready for inventory.import_resources; `given` names the fields
    the file has columns for."""

    row: int
    values: dict[str, Any]
    given: frozenset[str]
    units: list[UnitSpec] = field(default_factory=list)
    unit_rows: list[int] = field(default_factory=list)

    def wanted(self) -> WantedResource:
        return WantedResource(self.values, self.units, self.given)


@dataclass(frozen=True)
class Known:
    """What the database already holds that rows refer to: locations and certifications by slug
    and key, and the inventory numbers with the slug of the resource whose unit has each."""

    locations: frozenset[str]
    certifications: frozenset[str]
    inventory_numbers: Mapping[str, str]


def decode(content: bytes) -> str | None:
    """The file's text (UTF-8, with or without a byte order mark), or None."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _flag(text: str) -> bool | str:
    """yes/no (also ja/nein, true/false, 1/0; empty is no); anything else stays text and is refused."""
    lowered = text.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return text


def _word(column: str, text: str) -> str:
    """A factor, kind or condition cell as its stored value when it names one in either language,
    whatever its case; any other text is refused by the input rules, with the allowed values."""
    lowered = text.lower()
    return WORDS[column].get(lowered, lowered)


def _resource_input(cells: Mapping[str, str]) -> dict[str, Any]:
    """A row's resource columns as the API's request body: empty cells are not given."""
    raw: dict[str, Any] = {}
    policy: dict[str, str] = {}
    for column in RESOURCE_COLUMNS:
        text = cells.get(column, "").strip()
        if column in FLAG_COLUMNS:
            raw[column] = _flag(text)
        elif column == "features":
            raw[column] = [part.strip() for part in text.split(FEATURE_SEPARATOR) if part.strip()]
        elif column in PART_COLUMNS and text:
            raw[column] = [part.strip() for part in text.split(PART_SEPARATOR)]
        elif column.startswith("policy.") and text:
            policy[column.removeprefix("policy.")] = text
        elif column in WORDS and text:
            raw[column] = _word(column, text)
        elif text:
            raw[column] = text
    if policy:
        raw["policy"] = policy
    raw["units"] = 0
    return raw


def _unit_input(cells: Mapping[str, str]) -> dict[str, Any]:
    raw = {
        "label": cells.get("unit_label", "").strip(),
        "label_en": cells.get("unit_label_en", "").strip(),
        "inventory_number": cells.get("inventory_number", "").strip(),
        "serial_number": cells.get("serial_number", "").strip(),
        "condition": _word("condition", cells.get("condition", "").strip()),
    }
    return {name: value for name, value in raw.items() if value}


def _column_of(wrong: Expected) -> str:
    columns = {name: column for column, name in UNIT_FIELDS.items()}
    return columns.get(wrong.field, wrong.field)


def parse(text: str) -> tuple[list[ResourcePlan], list[RowProblem]]:
    """The resources of a CSV text and every problem found in it (an empty list: all good)."""
    sample = text.split("\n", 1)[0]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    problems = [RowProblem(1, name, "unknown_column") for name in header if name not in COLUMNS]
    problems += [RowProblem(1, name, "missing_column") for name in REQUIRED_COLUMNS if name not in header]
    if problems:
        return [], problems
    named = frozenset(UNIT_FIELDS.get(name, name) for name in header)
    plans: dict[str, ResourcePlan] = {}
    first_cells: dict[str, dict[str, str]] = {}
    labels: dict[tuple[str, str], int] = {}
    numbers: dict[str, int] = {}
    count = 0
    for count, cells in enumerate(reader, start=1):
        row = count + 1
        if count > MAX_ROWS:
            return [], [RowProblem(row, "", "too_many_rows", {"count": MAX_ROWS})]
        cells = {name: restored((value or "").strip()) for name, value in cells.items() if name is not None}
        if not any(cells.values()):
            continue
        slug = cells.get("slug", "")
        if not slug:
            problems.append(RowProblem(row, "slug", "required"))
            continue
        if slug not in plans:
            raw = _resource_input(cells)
            wrong = check_fields(raw, ResourceIn)
            problems += [RowProblem(row, w.field, w.kind, w.params) for w in wrong]
            values = given(msgspec.convert(raw, ResourceIn, strict=False)) if not wrong else {}
            values.pop("units", None)
            english = english_parts_problem(values.get("loan_parts"), values.get("loan_parts_en"))
            if english is not None:
                problems.append(
                    RowProblem(
                        row, "loan_parts_en", english.code, {**english.params, "fields": "loan_parts_en"}
                    )
                )
            plans[slug] = ResourcePlan(row, values, named)
            first_cells[slug] = cells
        else:
            plan = plans[slug]
            for column in RESOURCE_COLUMNS:
                if cells.get(column) and cells[column] != first_cells[slug].get(column, ""):
                    problems.append(RowProblem(row, column, "differs", {"row": plan.row}))
        unit = _unit_input(cells)
        if not unit:
            continue
        wrong_unit = check_fields(unit, UnitIn)
        problems += [RowProblem(row, _column_of(w), w.kind, w.params) for w in wrong_unit]
        label, number = unit.get("label"), unit.get("inventory_number")
        if label and (slug, label) in labels:
            problems.append(RowProblem(row, "unit_label", "duplicate", {"row": labels[(slug, label)]}))
        elif label:
            labels[(slug, label)] = row
        if number and number in numbers:
            problems.append(RowProblem(row, "inventory_number", "duplicate", {"row": numbers[number]}))
        elif number:
            numbers[number] = row
        if not wrong_unit:
            plans[slug].units.append(msgspec.convert(unit, UnitIn, strict=False).spec())
            plans[slug].unit_rows.append(row)
    if not plans and not problems:
        problems.append(RowProblem(2, "", "no_rows"))
    return list(plans.values()), problems


def check_references(plans: Iterable[ResourcePlan], known: Known) -> list[RowProblem]:
    """Locations and certifications that must exist; an inventory number the library has must be
    of a unit of the same resource (the file updates that unit, it does not move it)."""
    problems = []
    for plan in plans:
        values = plan.values
        if values.get("location") and values["location"] not in known.locations:
            problems.append(
                RowProblem(plan.row, "location", "unknown_location", {"slug": values["location"]})
            )
        key = values.get("required_certification")
        if key and key not in known.certifications:
            problems.append(
                RowProblem(plan.row, "required_certification", "unknown_certification", {"key": key})
            )
        for row, unit in zip(plan.unit_rows, plan.units, strict=True):
            holder = known.inventory_numbers.get(unit.inventory_number or "")
            if holder is not None and holder != values.get("slug"):
                problems.append(
                    RowProblem(
                        row,
                        "inventory_number",
                        "inventory_number_elsewhere",
                        {"number": unit.inventory_number, "slug": holder},
                    )
                )
    return problems


def in_order(problems: Iterable[RowProblem]) -> list[RowProblem]:
    """Problems by row, then in the order of the columns."""
    return sorted(
        problems, key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else len(COLUMNS))
    )


def _flag_text(value: bool) -> str:
    return "yes" if value else "no"


def table_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows as CSV text, every cell neutralised: the one writer of the files staff download."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([neutralised(cell) for cell in row] for row in rows)
    return out.getvalue()


def export(resources: Sequence[Resource]) -> str:
    """The resources (loaded with location, certification, policy and units) as CSV text: one
    row per available unit, a resource without one on a row of its own. Retired units stay out."""
    rows: list[list[str]] = [list(COLUMNS)]
    for resource in resources:
        own = overrides_of(resource.policy)
        certification = resource.required_certification
        cells = [
            resource.slug,
            resource.name,
            resource.name_en or "",
            resource.kind.value,
            resource.factor.value,
            resource.location.slug,
            resource.description,
            resource.description_en or "",
            str(resource.capacity),
            f" {FEATURE_SEPARATOR} ".join(str(feature) for feature in resource.features or []),
            f" {PART_SEPARATOR} ".join(str(part) for part in resource.loan_parts or []),
            f" {PART_SEPARATOR} ".join(str(part) for part in resource.loan_parts_en or []),
            _flag_text(resource.requires_approval),
            certification.key if certification else "",
            "" if resource.min_age is None else str(resource.min_age),
            _flag_text(resource.needs_staff),
            *(str(own[name]) if name in own else "" for name in POLICY_FIELDS),
        ]
        units = [
            [
                unit.label,
                unit.label_en or "",
                unit.inventory_number or "",
                unit.serial_number or "",
                unit.condition.value,
            ]
            for unit in resource.units
            if unit.status is UnitStatus.AVAILABLE
        ]
        rows.extend([*cells, *unit_cells] for unit_cells in units or [[""] * len(UNIT_COLUMNS)])
    return table_text(rows)
