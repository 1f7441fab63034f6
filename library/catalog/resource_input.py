"""A resource and its units as input: the typed structures that check them one way.

The API takes them as request bodies (API.md, Inventory and house rules); the staff pages, the
CSV import (library.catalog.csv_io) and the seed files (library.seeding) check their fields
with `check_fields`, which names every wrong field with what it expected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Annotated, Any

import msgspec

from library.catalog import limits
from library.catalog.models import Factor, ResourceKind, UnitCondition
from library.errors import InvalidInput
from library.texts import MULTI_LINE_PATTERN, ONE_LINE_PATTERN, one_line_without

UNSET: Any = msgspec.UNSET


SlotMinutes = Annotated[
    int, msgspec.Meta(ge=limits.POLICY_LIMITS["slot_minutes"][0], le=limits.POLICY_LIMITS["slot_minutes"][1])
]
PolicyMinutes = Annotated[int, msgspec.Meta(ge=1, le=limits.POLICY_MAX)]
LoanDays = Annotated[
    int, msgspec.Meta(ge=limits.POLICY_LIMITS["loan_days"][0], le=limits.POLICY_LIMITS["loan_days"][1])
]
Renewals = Annotated[
    int, msgspec.Meta(ge=limits.POLICY_LIMITS["max_renewals"][0], le=limits.POLICY_LIMITS["max_renewals"][1])
]
HoldOfferMinutes = Annotated[
    int,
    msgspec.Meta(
        ge=limits.POLICY_LIMITS["hold_offer_minutes"][0], le=limits.POLICY_LIMITS["hold_offer_minutes"][1]
    ),
]
PolicyNumber = Annotated[int, msgspec.Meta(ge=0, le=limits.POLICY_MAX)]
Slug = Annotated[str, msgspec.Meta(pattern=limits.SLUG_PATTERN.pattern, max_length=limits.MAX_SLUG_LENGTH)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=limits.MAX_NAME_LENGTH, pattern=ONE_LINE_PATTERN)]
LongText = Annotated[str, msgspec.Meta(max_length=limits.MAX_TEXT_LENGTH, pattern=MULTI_LINE_PATTERN)]
Capacity = Annotated[int, msgspec.Meta(ge=limits.MIN_CAPACITY, le=limits.MAX_CAPACITY)]
MinAge = Annotated[int, msgspec.Meta(ge=0, le=limits.MAX_AGE)]
Features = Annotated[
    list[
        Annotated[
            str, msgspec.Meta(min_length=1, max_length=limits.MAX_FEATURE_LENGTH, pattern=ONE_LINE_PATTERN)
        ]
    ],
    msgspec.Meta(max_length=limits.MAX_FEATURES),
]
PART_SEPARATOR = "|"
"""Between the parts of a thing in one cell of the inventory CSV file; no part holds it."""
PART_PATTERN = one_line_without(PART_SEPARATOR)
LoanParts = Annotated[
    list[
        Annotated[str, msgspec.Meta(min_length=1, max_length=limits.MAX_FEATURE_LENGTH, pattern=PART_PATTERN)]
    ],
    msgspec.Meta(max_length=limits.MAX_FEATURES),
]
"""The parts of a thing lent, each one line without control characters and without "|"."""
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=limits.MAX_REFERENCE_LENGTH)]
OneLine = msgspec.Meta(pattern=ONE_LINE_PATTERN)
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=limits.MAX_LABEL_LENGTH), OneLine]
InventoryNumber = Annotated[
    str, msgspec.Meta(min_length=1, max_length=limits.MAX_INVENTORY_NUMBER_LENGTH), OneLine
]
SerialNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=limits.MAX_SERIAL_NUMBER_LENGTH), OneLine]


@dataclass(frozen=True)
class UnitSpec:
    """A unit as the inventory adds or updates it (library.catalog.inventory)."""

    label: str
    inventory_number: str | None = None
    serial_number: str | None = None
    condition: UnitCondition = UnitCondition.GOOD
    label_en: str | None = None


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    """Overrides of the location's house rules; null removes an override."""

    slot_minutes: SlotMinutes | msgspec.UnsetType | None = UNSET
    min_minutes: PolicyMinutes | msgspec.UnsetType | None = UNSET
    max_minutes: PolicyMinutes | msgspec.UnsetType | None = UNSET
    horizon_days: PolicyNumber | msgspec.UnsetType | None = UNSET
    lead_minutes: PolicyNumber | msgspec.UnsetType | None = UNSET
    setup_minutes: PolicyNumber | msgspec.UnsetType | None = UNSET
    buffer_minutes: PolicyNumber | msgspec.UnsetType | None = UNSET
    max_active_bookings: PolicyNumber | msgspec.UnsetType | None = UNSET
    max_minutes_per_week: PolicyNumber | msgspec.UnsetType | None = UNSET
    max_minutes_per_day: PolicyNumber | msgspec.UnsetType | None = UNSET
    max_bookings_per_day: PolicyNumber | msgspec.UnsetType | None = UNSET
    cancel_until_minutes: PolicyNumber | msgspec.UnsetType | None = UNSET
    checkin_window_minutes: PolicyNumber | msgspec.UnsetType | None = UNSET
    loan_days: LoanDays | msgspec.UnsetType | None = UNSET
    max_renewals: Renewals | msgspec.UnsetType | None = UNSET
    hold_offer_minutes: HoldOfferMinutes | msgspec.UnsetType | None = UNSET


class UnitIn(msgspec.Struct, forbid_unknown_fields=True):
    label: Label
    inventory_number: InventoryNumber | None = None
    serial_number: SerialNumber | None = None
    condition: UnitCondition = UnitCondition.GOOD
    label_en: Label | None = None

    def spec(self) -> UnitSpec:
        return UnitSpec(self.label, self.inventory_number, self.serial_number, self.condition, self.label_en)


class ResourceIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    kind: ResourceKind
    factor: Factor
    location: Reference
    slug: Slug | None = None
    name_en: Name | None = None
    description: LongText = ""
    description_en: LongText | None = None
    capacity: Capacity = 1
    features: Features = []
    features_en: Features | None = None
    loan_parts: LoanParts | None = None  # what the desk ticks when a thing is lent
    loan_parts_en: LoanParts | None = None  # the same parts in English, in their order; none: German
    requires_approval: bool = False
    required_certification: Reference | None = None
    min_age: MinAge | None = None
    needs_staff: bool = False
    policy: PolicyIn | None = None
    units: (
        Annotated[
            int, msgspec.Meta(ge=0, le=limits.MAX_UNITS, description="How many units, labelled '<name> 1', …")
        ]
        | Annotated[list[UnitIn], msgspec.Meta(max_length=limits.MAX_UNITS)]
    ) = 1


class ResourcePatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """Any field of a new resource but `units` (see /resources/{slug}/units and /units/{id})."""

    name: Name | msgspec.UnsetType = UNSET
    kind: ResourceKind | msgspec.UnsetType = UNSET
    factor: Factor | msgspec.UnsetType = UNSET
    location: Reference | msgspec.UnsetType = UNSET
    slug: Slug | msgspec.UnsetType = UNSET
    name_en: Name | msgspec.UnsetType | None = UNSET
    description: LongText | msgspec.UnsetType = UNSET
    description_en: LongText | msgspec.UnsetType | None = UNSET
    capacity: Capacity | msgspec.UnsetType = UNSET
    features: Features | msgspec.UnsetType = UNSET
    features_en: Features | msgspec.UnsetType | None = UNSET
    loan_parts: LoanParts | msgspec.UnsetType | None = UNSET
    loan_parts_en: LoanParts | msgspec.UnsetType | None = UNSET
    requires_approval: bool | msgspec.UnsetType = UNSET
    required_certification: Reference | msgspec.UnsetType | None = UNSET
    min_age: MinAge | msgspec.UnsetType | None = UNSET
    needs_staff: bool | msgspec.UnsetType = UNSET
    policy: PolicyIn | msgspec.UnsetType | None = UNSET


def given(struct: msgspec.Struct) -> dict[str, Any]:
    """The fields a request sets, nested policy included; fields left out are not there."""
    out = {}
    for name in struct.__struct_fields__:
        value = getattr(struct, name)
        if value is UNSET:
            continue
        out[name] = given(value) if isinstance(value, PolicyIn) else value
    return out


def english_parts_problem(parts: Sequence[Any] | None, parts_en: Sequence[Any] | None) -> InvalidInput | None:
    """The English parts of a thing are none (the German ones are shown) or one for each German
    part, in the same order: the desk ticks a part by its place in the list."""
    if parts_en and len(parts_en) != len(parts or ()):
        return InvalidInput("loan_parts_en_count", "loan_parts_en", count=len(parts or ()))
    return None


# Checking input field by field, for forms and files that report every wrong field at once


@dataclass(frozen=True)
class Expected:
    """What a field wanted, for a sentence next to it: `kind` is required, number, text, one_line
    (no control characters), lines (no control characters but line breaks), slug, choice, yes_no,
    list or parts (one-line texts without the separator "|"); `params` fill in the sentence
    (low/high, count, choices)."""

    field: str
    kind: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)


def expected_of(info: msgspec.inspect.Type) -> tuple[str, dict[str, Any]]:
    """What a msgspec type accepts, in the words of a form: a number from low to high, a choice…"""
    if isinstance(info, msgspec.inspect.Metadata):
        return expected_of(info.type)
    if isinstance(info, msgspec.inspect.UnionType):
        useful = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        return expected_of(useful[0])
    if isinstance(info, msgspec.inspect.IntType):
        return "number", {"low": info.ge, "high": info.le}
    if isinstance(info, msgspec.inspect.StrType):
        if info.pattern == ONE_LINE_PATTERN:
            return "one_line", {"count": info.max_length}
        if info.pattern == MULTI_LINE_PATTERN:
            return "lines", {"count": info.max_length}
        if info.pattern is not None:
            return "slug", {"count": info.max_length}
        return "text", {"count": info.max_length}
    if isinstance(info, msgspec.inspect.EnumType):
        return "choice", {"choices": ", ".join(member.value for member in info.cls)}
    if isinstance(info, msgspec.inspect.BoolType):
        return "yes_no", {}
    if isinstance(info, msgspec.inspect.ListType):
        item = info.item_type
        item = item.type if isinstance(item, msgspec.inspect.Metadata) else item
        if isinstance(item, msgspec.inspect.StrType) and item.pattern == PART_PATTERN:
            return "parts", {"count": info.max_length, "length": item.max_length}
        return "list", {"count": info.max_length}
    return "text", {"count": None}


def checked_fields(
    raw: Mapping[str, Any], struct: type[msgspec.Struct], prefix: str = ""
) -> tuple[dict[str, Any], list[Expected]]:
    """The fields of `raw` that `struct` (e.g. ResourceIn) takes, converted to its types, and
    every field it refuses or that is required and missing.

    Values may be text ("3" for a number), as typed in a form or a file. A nested policy is
    named "policy.<field>".
    """
    values: dict[str, Any] = {}
    wrong = []
    for spec in msgspec.structs.fields(struct):
        name = f"{prefix}{spec.name}"
        if spec.name not in raw or raw[spec.name] in ("", None):
            if spec.required:
                wrong.append(Expected(name, "required"))
            continue
        value = raw[spec.name]
        if spec.name == "policy" and isinstance(value, Mapping):
            values[spec.name], wrong_in_policy = checked_fields(value, PolicyIn, prefix=f"{name}.")
            wrong.extend(wrong_in_policy)
            continue
        try:
            values[spec.name] = msgspec.convert(value, spec.type, strict=False)
        except msgspec.ValidationError:
            wrong.append(Expected(name, *expected_of(msgspec.inspect.type_info(spec.type))))
    return values, wrong


def check_fields(raw: Mapping[str, Any], struct: type[msgspec.Struct]) -> list[Expected]:
    """Every field of `raw` that `struct` refuses, and every required one missing."""
    return checked_fields(raw, struct)[1]
