"""The catalogue page: every bookable offer, filtered by factor, kind, location and free time.

The list comes from the query the API's /resources uses (catalog.queries.list_resources); whether
an offer is free now or at a chosen time comes from the availability functions (web.availability).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from library.catalog import queries
from library.catalog.factors import FACTOR_TEXTS
from library.catalog.hours import local_instant
from library.catalog.models import Factor, Location, Resource, ResourceKind
from library.i18n import N_, Lang, pick, translate
from library.pictures.queries import resource_photos
from library.web import parsing
from library.web.availability import load_location_facts, units_free_at
from library.web.common import Form, PageContextDep

PAGE_SIZE = 50
MAX_CHECKED = 2000
"""With a time filter every matching offer is checked, at most this many (the whole library)."""

SHORT_DESCRIPTION = 180

KIND_NAMES: dict[ResourceKind, str] = {
    ResourceKind.ROOM: N_("Room"),
    ResourceKind.WORKSPACE: N_("Workspace"),
    ResourceKind.DEVICE: N_("Device"),
    ResourceKind.LOAN: N_("To borrow"),
}


YEARS_AROUND = 10
"""Dates on the pages lie within this many years of today; others are typos (and beyond date.max)."""


def near_today(form: Form, name: str, lang: Lang, day: date | None, today: date) -> date | None:
    """The date if it lies within YEARS_AROUND of today, else None with a message next to the field."""
    if day is None or abs((day - today).days) <= YEARS_AROUND * 366:
        return day
    form.add(name, translate(lang, N_("Please enter a date within ten years from today.")))
    return None


def kind_name(lang: Lang, kind: ResourceKind) -> str:
    return translate(lang, KIND_NAMES[kind])


def factor_name(lang: Lang, factor: Factor) -> str:
    return FACTOR_TEXTS[factor].localised(lang)[0]


def short(text: str, limit: int = SHORT_DESCRIPTION) -> str:
    """The first sentences of a description, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + " …"


@dataclass(frozen=True)
class Filters:
    """The filters as understood: a bad value is left out and explained next to its field."""

    where: queries.ResourceFilter
    free_now: bool
    free_on: date | None
    free_at: time | None
    page: int

    @property
    def by_time(self) -> bool:
        return self.free_now or self.free_on is not None


def read_filters(
    lang: Lang,
    form: Form,
    locations: Sequence[Location],
    *,
    factor: str,
    kind: str,
    location: str,
    q: str,
    free: str,
    on: str,
    at: str,
    page: str,
    today: date,
) -> Filters:
    factor_value = kind_value = location_value = None
    if factor:
        try:
            factor_value = Factor(factor)
        except ValueError:
            form.add("factor", translate(lang, "Please choose one of the listed factors."))
    if kind:
        try:
            kind_value = ResourceKind(kind)
        except ValueError:
            form.add("kind", translate(lang, "Please choose one of the listed kinds."))
    if location:
        if any(loc.slug == location for loc in locations):
            location_value = location
        else:
            form.add("location", translate(lang, "Please choose one of the listed locations."))
    free_on = near_today(form, "on", lang, parsing.day(form, "on", lang), today)
    free_at = parsing.clock_time(form, "at", lang)
    if on and not at:
        form.add("at", translate(lang, "Please enter a time as well."))
    if at and not on:
        form.add("on", translate(lang, "Please enter a date as well."))
    free_now = free in ("on", "true", "1")
    if free_now and (on or at):
        form.add("free", translate(lang, "Choose either “free now” or a date and time, not both."))
    if form.errors.keys() & {"on", "at", "free"}:
        free_now, free_on, free_at = False, None, None
    number = int(page) if page.isdigit() and int(page) >= 1 else 1
    return Filters(
        queries.ResourceFilter(factor_value, kind_value, location_value, q.strip()[:200] or None),
        free_now,
        free_on,
        free_at,
        number,
    )


@dataclass(frozen=True)
class Card:
    resource: Resource
    unit_count: int
    free_units: int | None  # with a time filter: units free then


async def free_cards(
    session: AsyncSession, rows: Sequence[tuple[Resource, int]], filters: Filters, now: datetime
) -> list[Card]:
    """The offers free at the chosen moment (now, or a date and time in each location's zone)."""
    by_location: dict[int, list[tuple[Resource, int]]] = {}
    for resource, count in rows:
        by_location.setdefault(resource.location_id, []).append((resource, count))
    free: dict[int, int] = {}
    for members in by_location.values():
        location = members[0][0].location
        zone = ZoneInfo(location.timezone)
        moment = now
        if filters.free_on is not None and filters.free_at is not None:
            moment = local_instant(filters.free_on, filters.free_at, zone)
        day = moment.astimezone(zone).date()
        ids = {r.id for r, _ in members}
        facts = await load_location_facts(session, location.id, day, day, lambda r: r.id in ids)  # noqa: B023 (used at once)
        for resource_facts in facts.resources:
            free[resource_facts.id] = units_free_at(resource_facts, facts.hours, facts.occupations, moment)
    return [Card(r, count, free[r.id]) for r, count in rows if free.get(r.id)]


class CataloguePages(Controller):
    include_in_schema = False

    @get("/catalogue", name="catalogue")
    async def catalogue(
        self,
        context: PageContextDep,
        factor: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        location: FromQuery[str] = "",
        q: FromQuery[str] = "",
        free: FromQuery[str] = "",
        on: FromQuery[str] = "",
        at: FromQuery[str] = "",
        page: FromQuery[str] = "",
    ) -> Template:
        lang = context.lang
        now = context.now
        form = Form(
            values={
                "factor": factor,
                "kind": kind,
                "location": location,
                "q": q,
                "free": free,
                "on": on,
                "at": at,
            }
        )
        async with context.db.read() as session:
            locations = (
                await session.scalars(select(Location).order_by(Location.position, Location.slug))
            ).all()
            filters = read_filters(
                lang,
                form,
                locations,
                factor=factor,
                kind=kind,
                location=location,
                q=q,
                free=free,
                on=on,
                at=at,
                page=page,
                today=now.date(),  # a coarse bound: any zone will do
            )
            offset = (filters.page - 1) * PAGE_SIZE
            if filters.by_time:
                rows, _ = await queries.list_resources(session, filters.where, limit=MAX_CHECKED, offset=0)
                matching = await free_cards(session, rows, filters, now)
                cards, has_more = matching[offset : offset + PAGE_SIZE], len(matching) > offset + PAGE_SIZE
            else:
                rows, has_more = await queries.list_resources(
                    session, filters.where, limit=PAGE_SIZE, offset=offset
                )
                cards = [Card(resource, count, None) for resource, count in rows]
            photos = await resource_photos(session, [card.resource.id for card in cards])
        query = {key: value for key, value in form.values.items() if value and key not in form.errors}
        return context.render(
            "catalogue/index.html",
            status=422 if form.has_errors else 200,
            form=form,
            filters=filters,
            cards=cards,
            photos=photos,
            page=filters.page,
            has_more=has_more,
            query=query,
            now=now,
            factor_options=[(f.value, factor_name(lang, f)) for f in FACTOR_TEXTS],
            kind_options=[(k.value, kind_name(lang, k)) for k in KIND_NAMES],
            location_options=[(loc.slug, pick(lang, loc.name, loc.name_en)) for loc in locations],
            factor_name=lambda f: factor_name(lang, f),
            kind_name=lambda k: kind_name(lang, k),
            short=short,
        )
