"""Catalogue endpoints: factors, locations, opening hours, resources. Public."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select

from library.api.common import Limit, Offset, Page, checked_range, iso_local, language, next_page_url
from library.api.photos import PhotoOut, photo_out
from library.booking.queries import load_location_hours
from library.catalog import inventory, queries
from library.catalog.factors import FACTOR_TEXTS
from library.catalog.hours import local_instant
from library.catalog.models import Factor, Location, Resource, ResourceKind, UnitStatus
from library.catalog.policy import effective_policy, hold_offer_minutes_for
from library.catalog.queries import features_in
from library.catalog.resource_input import ResourceIn, ResourcePatchIn, given
from library.errors import InvalidInput
from library.http.deps import ClockDep, DatabaseDep
from library.http.viewer import UserDep, staff_only
from library.i18n import Lang, pick
from library.pictures.models import Photo
from library.pictures.queries import resource_photos
from library.workshops.queries import workshop_counts_by_factor


class FactorOut(msgspec.Struct):
    key: Factor
    name: str
    description: str
    resource_count: int
    workshop_count: int


class LocationOut(msgspec.Struct):
    slug: str
    name: str
    address: str
    timezone: str


class PeriodOut(msgspec.Struct):
    start: str
    end: str
    staffed: bool


class DayHoursOut(msgspec.Struct, omit_defaults=True):
    date: date
    periods: list[PeriodOut]
    closed_reason: str | None = None


class ResourceOut(msgspec.Struct):
    slug: str
    name: str
    kind: ResourceKind
    factor: Factor
    location: str
    capacity: int
    unit_count: int
    requires_approval: bool
    required_certification: str | None
    min_age: int | None
    needs_staff: bool


class UnitOut(msgspec.Struct):
    id: int
    label: str


class PolicyOut(msgspec.Struct):
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    horizon_days: int
    lead_minutes: int
    setup_minutes: int
    buffer_minutes: int
    max_active_bookings: int | None
    max_minutes_per_week: int | None
    max_minutes_per_day: int | None
    max_bookings_per_day: int | None
    cancel_until_minutes: int
    checkin_window_minutes: int
    loan_days: int
    max_renewals: int
    hold_offer_minutes: int


class ResourceDetailOut(ResourceOut):
    description: str
    policy: PolicyOut
    features: list[Any]
    loan_parts: list[str]
    loan_parts_en: list[str] | None
    units: list[UnitOut]
    photos: list[PhotoOut]


def resource_out(resource: Resource, unit_count: int, lang: Lang) -> ResourceOut:
    return ResourceOut(**resource_fields(resource, unit_count, lang))


def resource_fields(resource: Resource, unit_count: int, lang: Lang) -> dict[str, Any]:
    certification = resource.required_certification
    return {
        "slug": resource.slug,
        "name": pick(lang, resource.name, resource.name_en),
        "kind": resource.kind,
        "factor": resource.factor,
        "location": resource.location.slug,
        "capacity": resource.capacity,
        "unit_count": unit_count,
        "requires_approval": resource.requires_approval,
        "required_certification": certification.key if certification else None,
        "min_age": resource.min_age,
        "needs_staff": resource.needs_staff,
    }


def resource_detail_out(
    resource: Resource, unit_count: int, lang: Lang, photos: list[Photo]
) -> ResourceDetailOut:
    """A resource with its description, effective house rules, bookable units and photos."""
    policy = effective_policy(resource.location.policy, resource.policy)
    return ResourceDetailOut(
        **resource_fields(resource, unit_count, lang),
        description=pick(lang, resource.description, resource.description_en),
        policy=PolicyOut(
            **{**policy.as_dict(), "hold_offer_minutes": hold_offer_minutes_for(policy, resource.kind)}
        ),
        features=features_in(lang, resource),
        loan_parts=[str(part) for part in resource.loan_parts or []],
        loan_parts_en=[str(part) for part in resource.loan_parts_en] if resource.loan_parts_en else None,
        units=[
            UnitOut(u.id, pick(lang, u.label, u.label_en))
            for u in resource.units
            if u.status == UnitStatus.AVAILABLE
        ],
        photos=[photo_out(photo) for photo in photos],
    )


async def resource_answer(request: Request[Any, Any, Any], db: DatabaseDep, slug: str) -> ResourceDetailOut:
    async with db.read() as session:
        resource, count = await queries.get_resource(session, slug)
        photos = (await resource_photos(session, [resource.id]))[resource.id]
    return resource_detail_out(resource, count, language(request), photos)


class CatalogController(Controller):
    path = "/api/v1"
    tags = ("catalogue",)

    @get("/factors", summary="The five factors with how many offers each has")
    async def factors(self, request: Request[Any, Any, Any], db: DatabaseDep) -> list[FactorOut]:
        lang = language(request)
        async with db.read() as session:
            counts = await queries.resource_counts_by_factor(session)
            workshops = await workshop_counts_by_factor(session)
        out = []
        for factor, text in FACTOR_TEXTS.items():
            name, description = text.localised(lang)
            out.append(FactorOut(factor, name, description, counts.get(factor, 0), workshops.get(factor, 0)))
        return out

    @get("/locations", summary="The library's locations")
    async def locations(self, request: Request[Any, Any, Any], db: DatabaseDep) -> list[LocationOut]:
        lang = language(request)
        async with db.read() as session:
            rows = (await session.scalars(select(Location).order_by(Location.position, Location.slug))).all()
        return [
            LocationOut(loc.slug, pick(lang, loc.name, loc.name_en), loc.address, loc.timezone)
            for loc in rows
        ]

    @get("/locations/{slug:str}/opening-hours", summary="Opening hours per date, staffed or not")
    async def opening_hours(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        slug: FromPath[str],
        date_from: Annotated[date | None, QueryParameter(name="from", description="First local date")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to", description="Last local date")] = None,
    ) -> list[DayHoursOut]:
        lang = language(request)
        async with db.read() as session:
            location = await queries.get_location(session, slug)
            zone = ZoneInfo(location.timezone)
            first = date_from or clock.now().astimezone(zone).date()
            first, last = checked_range(first, date_to or first + timedelta(days=6), max_days=366)
            days = (await load_location_hours(session, location, first, last)).days(first, last)
        return [
            DayHoursOut(
                date=day.day,
                periods=[
                    PeriodOut(
                        iso_local(local_instant(day.day, p.start, zone), zone),
                        iso_local(local_instant(day.day, p.end, zone), zone),
                        p.staffed,
                    )
                    for p in day.periods
                ],
                closed_reason=(
                    pick(lang, day.exception.reason, day.exception.reason_en) or None
                    if day.exception is not None and day.closed
                    else None
                ),
            )
            for day in days
        ]

    @get("/resources", summary="Resources, filtered by factor, kind, location or text")
    async def resources(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        factor: FromQuery[Factor | None] = None,
        kind: FromQuery[ResourceKind | None] = None,
        location: Annotated[str | None, QueryParameter(description="A location slug")] = None,
        q: Annotated[str | None, QueryParameter(max_length=200, description="Text to search for")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ResourceOut]:
        lang = language(request)
        async with db.read() as session:
            if location is not None and not await queries.location_exists(session, location):
                raise InvalidInput(
                    "invalid_query",
                    "location",
                    source="query",
                    extra={
                        "errors": [{"field": "location", "source": "query", "message": "unknown location"}]
                    },
                )
            rows, has_more = await queries.list_resources(
                session, queries.ResourceFilter(factor, kind, location, q), limit=limit, offset=offset
            )
        return Page(
            items=[resource_out(resource, count, lang) for resource, count in rows],
            next=next_page_url(request, limit=limit, offset=offset, has_more=has_more),
        )

    @get("/resources/{slug:str}", summary="One resource with its description, rules and units")
    async def resource(
        self, request: Request[Any, Any, Any], db: DatabaseDep, slug: FromPath[str]
    ) -> ResourceDetailOut:
        return await resource_answer(request, db, slug)

    @post(
        "/resources",
        summary="Staff: add a resource with its units and house rules",
        status_code=201,
        guards=[staff_only],
    )
    async def create_resource(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ResourceIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
    ) -> ResourceDetailOut:
        values = given(data)
        units = values.pop("units")
        resource = await inventory.create_resource(
            db,
            values,
            units=units if isinstance(units, int) else [unit.spec() for unit in units],
            actor=user,
            now=clock.now(),
        )
        return await resource_answer(request, db, resource.slug)

    @patch(
        "/resources/{slug:str}", summary="Staff: change a resource or its house rules", guards=[staff_only]
    )
    async def update_resource(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[ResourcePatchIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
    ) -> ResourceDetailOut:
        resource = await inventory.update_resource(db, slug, given(data), actor=user, now=clock.now())
        return await resource_answer(request, db, resource.slug)
