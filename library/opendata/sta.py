"""The SensorThings API 1.1 (sensing, read-only) over our tables: entities, links, query options.

Things, Locations and FeaturesOfInterest are the locations; Sensors and ObservedProperties the
three kinds of datastream; Datastreams and Observations are rows of `sta_datastreams` and
`sta_observations`. The small sets are read once per request and queried in memory; the
Observations, which grow by thousands a day, are filtered, ordered and paged in SQL.
Entity rows are dicts of their published properties plus hidden keys (`_location`, ...) that
the navigation between sets follows.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, Select, false, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from library.catalog.factors import FACTOR_TEXTS
from library.catalog.models import Factor, Location
from library.i18n import translate
from library.opendata.filters import (
    And,
    Comparison,
    Expression,
    FilterError,
    Not,
    Or,
    Property,
    PropertyType,
    check_types,
    matches,
)
from library.opendata.models import Datastream, Observation, StreamKind
from library.opendata.options import Options

Row = dict[str, Any]
VERSION_PATH = "/sta/v1.1"
SETS = (
    "Things",
    "Locations",
    "Sensors",
    "ObservedProperties",
    "Datastreams",
    "Observations",
    "FeaturesOfInterest",
)
GEOJSON = "application/geo+json"
COUNT_TYPE = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CountObservation"
MEASUREMENT_TYPE = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


class NoEntity(LookupError):
    """A path names an entity or set that does not exist: a 404."""


@dataclass(frozen=True)
class Relation:
    target: str
    many: bool
    target_key: str  # the key of the target's rows ...
    source_key: str  # ... that equals this key of the source row


RELATIONS: dict[str, dict[str, Relation]] = {
    "Things": {
        "Locations": Relation("Locations", True, "@iot.id", "@iot.id"),
        "Datastreams": Relation("Datastreams", True, "_location", "@iot.id"),
    },
    "Locations": {"Things": Relation("Things", True, "@iot.id", "@iot.id")},
    "Sensors": {"Datastreams": Relation("Datastreams", True, "_sensor", "@iot.id")},
    "ObservedProperties": {"Datastreams": Relation("Datastreams", True, "_property", "@iot.id")},
    "Datastreams": {
        "Thing": Relation("Things", False, "@iot.id", "_location"),
        "Sensor": Relation("Sensors", False, "@iot.id", "_sensor"),
        "ObservedProperty": Relation("ObservedProperties", False, "@iot.id", "_property"),
        "Observations": Relation("Observations", True, "_datastream", "@iot.id"),
    },
    "Observations": {
        "Datastream": Relation("Datastreams", False, "@iot.id", "_datastream"),
        "FeatureOfInterest": Relation("FeaturesOfInterest", False, "@iot.id", "_location"),
    },
    "FeaturesOfInterest": {"Observations": Relation("Observations", True, "_location", "@iot.id")},
}

_NAMED: dict[str, PropertyType] = {"@iot.id": "number", "id": "number", "name": "text", "description": "text"}
PROPERTY_TYPES: dict[str, dict[str, PropertyType]] = {
    name: _NAMED for name in SETS if name != "Observations"
} | {
    "Observations": {
        "@iot.id": "number",
        "id": "number",
        "phenomenonTime": "time",
        "resultTime": "time",
        "result": "number",
    }
}


@dataclass(frozen=True)
class KindText:
    name: str
    description: str
    unit: dict[str, str]
    observation_type: str
    step_minutes: int
    definition: str


KINDS: dict[StreamKind, KindText] = {
    StreamKind.FREE_UNITS: KindText(
        "free units",
        "Units (rooms, places, devices) in service and neither booked nor blocked at the instant.",
        {"name": "unit", "symbol": "", "definition": "http://qudt.org/vocab/unit/NUM"},
        COUNT_TYPE,
        15,
        "https://schema.org/amenityFeature",
    ),
    StreamKind.BOOKED_SHARE: KindText(
        "booked share",
        "Booked unit time over all unit time in service during the hour, from 0 to 1.",
        {"name": "fraction", "symbol": "1", "definition": "http://qudt.org/vocab/unit/FRACTION"},
        MEASUREMENT_TYPE,
        60,
        "http://qudt.org/vocab/quantitykind/DimensionlessRatio",
    ),
    StreamKind.PEOPLE_PRESENT: KindText(
        "people present",
        "People checked in at the instant (a booking's participants, else one).",
        {"name": "person", "symbol": "", "definition": "http://qudt.org/vocab/unit/NUM"},
        COUNT_TYPE,
        15,
        "https://schema.org/occupancy",
    ),
}
KIND_IDS: dict[StreamKind, int] = {kind: number for number, kind in enumerate(StreamKind, start=1)}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def observation_fields(
    start: datetime, end: datetime | None, result_time: datetime, result: float, kind: str
) -> dict[str, Any]:
    """An observation's SensorThings properties: as this service answers them and as it pushes
    them to a city's server (opendata.push). Shares are fractions, counts whole numbers."""
    return {
        "phenomenonTime": iso(start) if end is None else f"{iso(start)}/{iso(end)}",
        "resultTime": iso(result_time),
        "result": result if kind == StreamKind.BOOKED_SHARE else int(result),
    }


def _point(location: Location) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [location.longitude, location.latitude]}


class Reader:
    """Answers SensorThings requests of one HTTP request from one read session."""

    def __init__(self, session: AsyncSession, base_url: str) -> None:
        self.session = session
        self.root = base_url.rstrip("/") + VERSION_PATH
        self._memory: dict[str, list[Row]] | None = None

    # -- the sets held in memory ----------------------------------------------------------
    async def _sets(self) -> dict[str, list[Row]]:
        if self._memory is None:
            locations = (await self.session.scalars(select(Location).order_by(Location.id))).all()
            streams = (await self.session.execute(select(Datastream).order_by(Datastream.id))).scalars().all()
            self._memory = self._build(locations, streams)
        return self._memory

    def _build(self, locations: Sequence[Location], streams: Sequence[Datastream]) -> dict[str, list[Row]]:
        placed = [location for location in locations if location.latitude is not None]
        names = {location.id: location.name for location in locations}
        sets: dict[str, list[Row]] = {
            "Things": [
                {
                    "@iot.id": location.id,
                    "name": location.name,
                    "description": location.description or location.name,
                    "properties": {"slug": location.slug, "address": location.address},
                }
                for location in locations
            ],
            "Locations": [
                {
                    "@iot.id": location.id,
                    "name": location.name,
                    "description": location.address or location.name,
                    "encodingType": GEOJSON,
                    "location": _point(location),
                    "properties": {"approximate": location.coordinates_approximate},
                }
                for location in placed
            ],
            "FeaturesOfInterest": [
                {
                    "@iot.id": location.id,
                    "name": location.name,
                    "description": f"The library location {location.name}",
                    "encodingType": GEOJSON,
                    "feature": _point(location),
                }
                for location in placed
            ],
            "Sensors": [
                {
                    "@iot.id": KIND_IDS[kind],
                    "name": text.name,
                    "description": f"Counted by the booking service: {text.description}",
                    "encodingType": "text/plain",
                    "metadata": text.description,
                }
                for kind, text in KINDS.items()
            ],
            "ObservedProperties": [
                {
                    "@iot.id": KIND_IDS[kind],
                    "name": text.name,
                    "definition": text.definition,
                    "description": text.description,
                }
                for kind, text in KINDS.items()
            ],
            "Datastreams": [],
        }
        for stream in streams:
            kind = StreamKind(stream.kind)
            text = KINDS[kind]
            factor_name = translate("en", FACTOR_TEXTS[Factor(stream.factor)].name)
            sets["Datastreams"].append(
                {
                    "@iot.id": stream.id,
                    "name": f"{names.get(stream.location_id, '')}: {factor_name}, {text.name}",
                    "description": text.description,
                    "unitOfMeasurement": text.unit,
                    "observationType": text.observation_type,
                    "properties": {
                        "factor": stream.factor,
                        "kind": kind.value,
                        "stepMinutes": text.step_minutes,
                    },
                    "_location": stream.location_id,
                    "_sensor": KIND_IDS[kind],
                    "_property": KIND_IDS[kind],
                }
            )
        return sets

    # -- one collection -------------------------------------------------------------------
    async def collection(
        self, name: str, options: Options, scope: tuple[str, Any] | None = None
    ) -> tuple[list[Row], int | None, bool]:
        """A page of a set (optionally the part navigated to), its total if asked, and whether more follow."""
        types = PROPERTY_TYPES[name]
        if options.filter is not None:
            check_types(options.filter, types)
        for key, _descending in options.orderby:
            if key not in types:
                raise FilterError(f"$orderby: no property {key!r} here (known: {', '.join(sorted(types))})")
        if name == "Observations":
            return await self._observations(options, scope)
        rows = [
            row
            for row in (await self._sets())[name]
            if (scope is None or row.get(scope[0]) == scope[1])
            and (options.filter is None or matches(options.filter, _filterable(row)))
        ]
        for key, descending in reversed(options.orderby or (("@iot.id", False),)):
            rows.sort(key=_by(key), reverse=descending)
        page = rows[options.skip : options.skip + options.top]
        return page, len(rows) if options.count else None, options.skip + options.top < len(rows)

    async def _observations(
        self, options: Options, scope: tuple[str, Any] | None
    ) -> tuple[list[Row], int | None, bool]:
        statement: Select[Any] = select(  # type: ignore[assignment]
            Observation.id,
            Observation.datastream_id,
            Datastream.location_id,
            Datastream.kind,
            Observation.phenomenon_start,
            Observation.phenomenon_end,
            Observation.result_time,
            Observation.result,
        ).join(Datastream, Datastream.id == Observation.datastream_id)
        if scope is not None:
            statement = statement.where(_SCOPES[scope[0]] == scope[1])
        if options.filter is not None:
            statement = statement.where(_sql(options.filter))
        total = None
        if options.count:
            total = int(
                await self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            )
        order = [
            _OBSERVATION_COLUMNS[key].desc() if descending else _OBSERVATION_COLUMNS[key].asc()
            for key, descending in options.orderby
        ]
        statement = statement.order_by(*order, Observation.id).offset(options.skip).limit(options.top + 1)
        found = (await self.session.execute(statement)).all()
        rows = [
            {
                "@iot.id": row.id,
                **observation_fields(
                    row.phenomenon_start, row.phenomenon_end, row.result_time, row.result, row.kind
                ),
                "_datastream": row.datastream_id,
                "_location": row.location_id,
            }
            for row in found[: options.top]
        ]
        return rows, total, len(found) > options.top

    # -- rendering ------------------------------------------------------------------------
    def self_link(self, name: str, row: Row) -> str:
        return f"{self.root}/{name}({row['@iot.id']})"

    async def render(self, name: str, row: Row, options: Options) -> Row:
        """An entity as published: selected properties, links, and its expanded navigations."""
        link = self.self_link(name, row)
        full: Row = {"@iot.id": row["@iot.id"], "@iot.selfLink": link}
        full |= {key: value for key, value in row.items() if not key.startswith(("_", "@"))}
        for navigation in RELATIONS[name]:
            full[f"{navigation}@iot.navigationLink"] = f"{link}/{navigation}"
        if options.select is not None:
            wanted = {"@iot.id" if key == "id" else key for key in options.select}
            unknown = wanted - {key.split("@iot.navigationLink")[0] for key in full} - {"@iot.id"}
            if unknown:
                raise FilterError(f"$select: no property {sorted(unknown)[0]!r} on {name}")
            full = {
                key: value
                for key, value in full.items()
                if key in wanted or key.removesuffix("@iot.navigationLink") in wanted
            }
        for expand in options.expand:
            relation = RELATIONS[name].get(expand.navigation)
            if relation is None:
                raise FilterError(f"$expand: {name} has no navigation property {expand.navigation!r}")
            scope = (relation.target_key, row.get(relation.source_key))
            if relation.many:
                page, total, more = await self.collection(relation.target, expand.options, scope)
                full[expand.navigation] = [
                    await self.render(relation.target, item, expand.options) for item in page
                ]
                if total is not None:
                    full[f"{expand.navigation}@iot.count"] = total
                if more:
                    following = dict(expand.query) | {
                        "$top": str(expand.options.top),
                        "$skip": str(expand.options.skip + expand.options.top),
                    }
                    full[f"{expand.navigation}@iot.nextLink"] = next_link(
                        f"{link}/{expand.navigation}", following
                    )
            else:
                single = Options(select=expand.options.select, expand=expand.options.expand)
                page, _total, _more = await self.collection(relation.target, single, scope)
                if page:
                    full[expand.navigation] = await self.render(relation.target, page[0], expand.options)
        return full

    async def entity(self, name: str, entity_id: int) -> Row:
        page, _total, _more = await self.collection(name, Options(top=1), ("@iot.id", entity_id))
        if not page:
            raise NoEntity(f"No {name} with @iot.id {entity_id}")
        return page[0]


def next_link(address: str, query: Mapping[str, str]) -> str:
    """An absolute link with query options, readable ($, commas, parentheses unescaped)."""
    encoded = "&".join(
        f"{quote(key, safe='$')}={quote(value, safe=',;()$=:')}" for key, value in query.items()
    )
    return f"{address}?{encoded}"


def _filterable(row: Row) -> Mapping[str, object]:
    return row | {"id": row["@iot.id"]}


def _by(key: str) -> Callable[[Row], tuple[int, Any]]:
    """A sort key on one property; entities without it sort last."""

    def sort_key(row: Row) -> tuple[int, Any]:
        value = _filterable(row).get(key)
        return (1, "") if value is None else (0, value)

    return sort_key


_OBSERVATION_COLUMNS: dict[str, Any] = {
    "@iot.id": Observation.id,
    "id": Observation.id,
    "phenomenonTime": Observation.phenomenon_start,
    "resultTime": Observation.result_time,
    "result": Observation.result,
}
_SCOPES: dict[str, Any] = {
    "@iot.id": Observation.id,
    "_datastream": Observation.datastream_id,
    "_location": Datastream.location_id,
}
_SQL_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _sql(tree: Expression) -> ColumnElement[bool]:
    """A checked filter as an SQL condition on the Observations query (both engines)."""
    if isinstance(tree, And):
        return _sql(tree.left) & _sql(tree.right)
    if isinstance(tree, Or):
        return _sql(tree.left) | _sql(tree.right)
    if isinstance(tree, Not):
        return ~_sql(tree.operand)
    assert isinstance(tree, Comparison)
    sides = [
        _OBSERVATION_COLUMNS[side.name] if isinstance(side, Property) else side.value
        for side in (tree.left, tree.right)
    ]
    left, right = sides
    if not isinstance(tree.left, Property) and not isinstance(tree.right, Property):
        return true() if matches(tree, {}) else false()
    if right is None or left is None:
        column: Any = left if right is None else right
        if tree.op == "eq":
            return column.is_(None)  # type: ignore[no-any-return]
        return column.is_not(None) if tree.op == "ne" else false()
    if not isinstance(tree.left, Property):
        left = literal(left)
    return _SQL_OPS[tree.op](left, right)  # type: ignore[no-any-return]
