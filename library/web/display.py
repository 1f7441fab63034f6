"""The door and lobby display of a location: today's schedule per offer and what is free now.

Public and without personal data: a booking shows as "booked", a workshop by its title, a
block as "not available"; never a name, an e-mail address or a note. German unless the
screen asks otherwise (`?lang=en`, or the language chosen on the site).

The screens at the doors open it with `?refresh=on` and reload it every minute. Reloading is
not the default: a page that reloads by itself while someone reads it with a screen reader or
a magnifier fails WCAG 2.2.1 (Timing Adjustable), so a person opening the link gets a still page.

A location's screen fits 1920x1080 without scrolling: more offers than fit are shown in pages
(`?page=`), which a refreshing screen cycles through. A single room's door screen
(`/display/{location}/{resource}`) says what is on now, what comes next and until when it is free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from library.booking import service
from library.booking.availability import opening_windows
from library.booking.intervals import Interval
from library.booking.models import ACTIVE_STATUSES, Booking
from library.booking.queries import LocationHours
from library.booking.rules import ResourceFacts
from library.catalog import queries
from library.catalog.hours import DayHours, PublicHours, public_hours
from library.catalog.models import Factor, Location, Unit
from library.errors import NotFound
from library.http.answers import LANG_COOKIE
from library.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, Lang, pick
from library.web.availability import LocationFacts, free_on_day, load_location_facts, units_free_at
from library.web.catalogue import factor_name
from library.web.common import AnyRequest, PageContext, PageContextDep
from library.workshops.models import Workshop, WorkshopSession

REFRESH_SECONDS = 60
PAGE_SECONDS = 20  # a refreshing screen with several pages shows each this long
PANELS_PER_PAGE = 8  # four across, two down at 1920x1080
ENTRIES_SHOWN = 4  # of today's schedule per panel, from now on; the rest is counted


@dataclass(frozen=True)
class Entry:
    """One line of today's schedule: when, and what, without saying who."""

    start: datetime
    end: datetime
    kind: Literal["booked", "workshop", "blocked"]
    title: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Panel:
    """One offer on the display: its state now and today's schedule."""

    slug: str
    name: str
    factor: str
    factor_name: str
    state: Literal["free", "busy", "closed"]
    free_units: int
    unit_count: int
    free_again: datetime | None
    entries: list[Entry]
    free_until: datetime | None = None  # while free: when the free period now ends
    now: datetime | None = None

    @property
    def current(self) -> Entry | None:
        return next((e for e in self.entries if self.now and e.start <= self.now < e.end), None)

    @property
    def coming(self) -> list[Entry]:
        """What is still to come or going on, soonest first."""
        return [e for e in self.entries if self.now is None or e.end > self.now]

    @property
    def next(self) -> Entry | None:
        return next((e for e in self.entries if self.now and e.start > self.now), None)


def display_language(request: AnyRequest, asked: str) -> Lang:
    """`?lang=` first, then the language chosen on the site; German, not the browser's, otherwise."""
    for choice in (asked, request.cookies.get(LANG_COOKIE)):
        if choice in LANGUAGES:
            return choice
    return DEFAULT_LANGUAGE


async def todays_entries(
    session: AsyncSession, facts: LocationFacts, day: Interval, lang: Lang
) -> dict[int, list[Entry]]:
    """Active bookings (a workshop's by its title) and blocks of the day, per resource."""
    ids = [r.id for r in facts.resources]
    rows = await session.execute(
        select(
            Booking.resource_id,
            Booking.unit_id,
            Booking.start_at,
            Booking.end_at,
            Workshop.title,
            Workshop.title_en,
        )
        .outerjoin(WorkshopSession, WorkshopSession.booking_id == Booking.id)
        .outerjoin(Workshop, Workshop.id == WorkshopSession.workshop_id)
        .where(
            Booking.resource_id.in_(ids),
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.end_at > day.start,
            Booking.start_at < day.end,
        )
        .order_by(Booking.start_at, Booking.id)
    )
    labels = await unit_labels(session, facts, lang)
    resource_of_unit = {unit: r.id for r in facts.resources for unit in r.unit_ids}
    entries: dict[int, list[Entry]] = {r.id: [] for r in facts.resources}
    for resource_id, unit_id, start, end, title, title_en in rows:
        kind: Literal["booked", "workshop"] = "workshop" if title else "booked"
        entries[resource_id].append(
            Entry(start, end, kind, pick(lang, title, title_en) if title else "", labels.get(unit_id, ""))
        )
    for occupation in facts.occupations:
        if occupation.is_block and occupation.unit_id in resource_of_unit:
            clipped = Interval(occupation.start, occupation.end).clip(day.start, day.end)
            if clipped is not None:
                entries[resource_of_unit[occupation.unit_id]].append(
                    Entry(clipped.start, clipped.end, "blocked", unit=labels.get(occupation.unit_id, ""))
                )
    for found in entries.values():
        found.sort(key=lambda entry: (entry.start, entry.end))
    return entries


async def unit_labels(session: AsyncSession, facts: LocationFacts, lang: Lang) -> dict[int, str]:
    """Unit labels in the screen's language, shown only where an offer has several units (a
    room's label is its name)."""
    several = [unit for r in facts.resources if len(r.unit_ids) > 1 for unit in r.unit_ids]
    if not several:
        return {}
    rows = await session.execute(select(Unit.id, Unit.label, Unit.label_en).where(Unit.id.in_(several)))
    return {unit_id: pick(lang, label, label_en) for unit_id, label, label_en in rows}


def panel(
    resource: ResourceFacts,
    hours: LocationHours,
    facts: LocationFacts,
    now: datetime,
    entries: list[Entry],
    lang: Lang,
) -> Panel:
    day = hours.day(now.astimezone(hours.zone).date())
    open_now = any(
        w.start <= now < w.end for w in opening_windows(day, hours.zone, needs_staff=resource.needs_staff)
    )
    free = units_free_at(resource, hours, facts.occupations, now)
    per_unit = free_on_day(resource, hours, facts.occupations, day.day)
    free_again = None
    if open_now and not free:
        free_again = min((i.start for unit in per_unit for i in unit if i.start > now), default=None)
    free_until = max((i.end for unit in per_unit for i in unit if i.start <= now < i.end), default=None)
    state: Literal["free", "busy", "closed"] = "free" if free else "busy" if open_now else "closed"
    return Panel(
        resource.slug,
        pick(lang, resource.name, resource.name_en),
        resource.factor,
        factor_name(lang, Factor(resource.factor)),
        state,
        free,
        len(resource.unit_ids),
        free_again,
        entries,
        free_until if free else None,
        now,
    )


@dataclass(frozen=True)
class Screen:
    """What one display page shows: the location today and its panels (one page of them)."""

    location: Location
    hours: LocationHours
    today: DayHours
    public: PublicHours | None
    panels: list[Panel]


async def screen(
    context: PageContext,
    location_slug: str,
    language: Lang,
    wanted: Callable[[ResourceFacts], bool] = lambda _: True,
) -> Screen:
    now = context.now
    async with context.db.read() as session:
        location = await queries.get_location(session, location_slug)
        today = now.astimezone(ZoneInfo(location.timezone)).date()
        facts = await load_location_facts(session, location.id, today, today, wanted)
        entries = await todays_entries(session, facts, service.day_of(today, facts.hours), language)
    hours = facts.hours
    day = hours.day(today)
    panels = [panel(r, hours, facts, now, entries[r.id], language) for r in facts.resources]
    return Screen(location, hours, day, public_hours(day), panels)


def page_of(count: int, asked: str) -> tuple[int, int]:
    """The page to show (1-based, within range) and how many there are."""
    pages = max(1, -(-count // PANELS_PER_PAGE))
    number = int(asked) if asked.isdigit() else 1
    return min(max(number, 1), pages), pages


class DisplayPages(Controller):
    include_in_schema = False

    @get("/display/{location_slug:str}", name="display")
    async def display(
        self,
        context: PageContextDep,
        location_slug: FromPath[str],
        lang: FromQuery[str] = "",
        refresh: FromQuery[str] = "",
        page: FromQuery[str] = "1",
    ) -> Template:
        language = display_language(context.request, lang)
        shown = await screen(context, location_slug, language)
        number, pages = page_of(len(shown.panels), page)
        base = f"/display/{shown.location.slug}"
        refreshing = refresh == "on"
        following = f"{base}?lang={language}&refresh=on&page={number % pages + 1}"
        return context.render(
            "display.html",
            lang=language,
            screen=shown,
            location=shown.location,
            zone=shown.hours.zone,
            now=context.now,
            today=shown.today,
            panels=shown.panels[(number - 1) * PANELS_PER_PAGE : number * PANELS_PER_PAGE],
            page=number,
            pages=pages,
            refresh_seconds=(PAGE_SECONDS if pages > 1 else REFRESH_SECONDS) if refreshing else None,
            refresh_url=following if pages > 1 else None,
            display_url=base,
            page_query=f"&page={number}" if pages > 1 else "",
        )

    @get("/display/{location_slug:str}/{resource_slug:str}", name="display-room")
    async def room(
        self,
        context: PageContextDep,
        location_slug: FromPath[str],
        resource_slug: FromPath[str],
        lang: FromQuery[str] = "",
        refresh: FromQuery[str] = "",
    ) -> Template:
        """One room's door: free or in use now, until when, and what comes next today."""
        language = display_language(context.request, lang)
        shown = await screen(context, location_slug, language, lambda r: r.slug == resource_slug)
        if not shown.panels:
            raise NotFound(N_("The offer '%(slug)s'"), slug=resource_slug)
        return context.render(
            "display_room.html",
            lang=language,
            screen=shown,
            location=shown.location,
            zone=shown.hours.zone,
            now=context.now,
            today=shown.today,
            room=shown.panels[0],
            refresh_seconds=REFRESH_SECONDS if refresh == "on" else None,
            refresh_url=None,
            display_url=f"/display/{shown.location.slug}/{resource_slug}",
            page_query="",
        )
