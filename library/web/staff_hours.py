"""Opening hours per location: the weekly periods (staffed or not) and dated exceptions
(closures, special hours), saved by the functions behind PUT …/weekly-hours and POST …/exceptions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from library.accounts.models import User
from library.booking.units import Resolve
from library.catalog import inventory
from library.catalog.hours import Period, WeeklyPeriod
from library.catalog.models import Location, OpeningException
from library.db import Database
from library.errors import LibraryError, NotFound
from library.http.deps import ClockDep, DatabaseDep
from library.http.viewer import ViewerDep, staff_only
from library.i18n import N_, Lang, format_date, pick, translate
from library.web import parsing
from library.web.common import (
    Form,
    PageContext,
    PageContextDep,
    confirm_page,
    confirmed,
    form_values,
    see_other,
)
from library.workshops import closures
from library.workshops.closures import SessionResolve

NOTICES = {
    "week_saved": N_("The weekly opening hours were saved."),
    "exception_added": N_("The exception was added."),
    "exception_saved": N_("The exception was changed."),
    "exception_removed": N_("The exception was removed."),
}
SPARE_ROWS = 3
"""Empty rows under the weekly periods, for adding some."""
PERIOD_ROWS = 3
"""Rows for the special hours of a new exception; a change gets one more than it has."""
MAX_ROWS = 70

Choice = TypeVar("Choice", bound=str)
RESOLVES: tuple[Resolve, ...] = ("keep", "move", "cancel")
SESSION_RESOLVES: tuple[SessionResolve, ...] = ("keep", "cancel")


def choice(value: str, allowed: tuple[Choice, ...]) -> Choice:
    """The option chosen on the page, or the first (keeping) when none or an unknown one came."""
    return next((option for option in allowed if option == value), allowed[0])


async def locations_with_hours(db: Database) -> Sequence[Location]:
    async with db.read() as session:
        return (
            await session.scalars(
                select(Location)
                .options(
                    selectinload(Location.opening_periods),
                    selectinload(Location.exceptions).selectinload(OpeningException.periods),
                )
                .order_by(Location.position, Location.slug)
            )
        ).all()


def week_form(location: Location) -> Form:
    """The weekly periods as rows of the form, by weekday and time, and some empty rows."""
    rows = sorted(location.opening_periods, key=lambda row: (row.weekday, row.start_time))
    values = {"rows": str(len(rows) + SPARE_ROWS)}
    for index, row in enumerate(rows):
        values |= {
            f"weekday-{index}": str(row.weekday),
            f"start-{index}": f"{row.start_time:%H:%M}",
            f"end-{index}": f"{row.end_time:%H:%M}",
            f"staffed-{index}": "on" if row.staffed else "",
        }
    return Form(values=values)


def read_week(form: Form, lang: Lang) -> tuple[list[WeeklyPeriod], dict[str, str]]:
    """The periods typed in the rows (rows left empty or marked to remove are left out), and
    which row each period came from, as the domain names fields: "[2].end" → "end-5"."""
    rows = form.value("rows")
    count = min(int(rows), MAX_ROWS) if rows.isdigit() else 0
    week: list[WeeklyPeriod] = []
    fields: dict[str, str] = {}
    for row in range(count):
        names = (f"weekday-{row}", f"start-{row}", f"end-{row}")
        if form.value(f"remove-{row}") == "on" or not any(form.value(name).strip() for name in names):
            continue
        weekday = form.value(f"weekday-{row}")
        if weekday not in [str(day) for day in range(1, 8)]:
            form.add(f"weekday-{row}", translate(lang, N_("Please choose a weekday.")))
        start = parsing.clock_time(form, f"start-{row}", lang, required=True)
        end = parsing.clock_time(form, f"end-{row}", lang, required=True)
        if form.has_errors or start is None or end is None:
            continue
        for part in ("weekday", "start", "end"):
            fields[f"[{len(week)}].{part}"] = f"{part}-{row}"
        week.append(WeeklyPeriod(int(weekday), Period(start, end, form.value(f"staffed-{row}") == "on")))
    return week, fields


def exception_form(exception: OpeningException | None = None) -> Form:
    if exception is None:
        return Form(values={"kind": "closed", "prows": str(PERIOD_ROWS)})
    values = {
        "prows": str(max(PERIOD_ROWS, len(exception.periods) + 1)),
        "date_from": exception.date_from.isoformat(),
        "date_to": exception.date_to.isoformat(),
        "kind": "closed" if exception.closed else "special",
        "reason": exception.reason,
        "reason_en": exception.reason_en or "",
    }
    for index, period in enumerate(exception.periods):
        values |= {
            f"pstart-{index}": f"{period.start_time:%H:%M}",
            f"pend-{index}": f"{period.end_time:%H:%M}",
            f"pstaffed-{index}": "on" if period.staffed else "",
        }
    return Form(values=values)


def read_exception(form: Form, lang: Lang) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The exception as typed (None when a field is wrong) and how the domain's field names map
    to the form's ("periods[0].end" → "pend-2")."""
    first = parsing.day(form, "date_from", lang, required=True)
    last = parsing.day(form, "date_to", lang) or first
    reason = parsing.text(form, "reason", lang, required=True, max_length=300)
    reason_en = parsing.text(form, "reason_en", lang, max_length=300) or None
    closed = form.value("kind") != "special"
    periods: list[Period] = []
    fields = {"periods": "pstart-0"}
    rows = form.value("prows")
    for row in range(min(int(rows), MAX_ROWS) if rows.isdigit() else PERIOD_ROWS):
        if closed or not (form.value(f"pstart-{row}").strip() or form.value(f"pend-{row}").strip()):
            continue
        start = parsing.clock_time(form, f"pstart-{row}", lang, required=True)
        end = parsing.clock_time(form, f"pend-{row}", lang, required=True)
        if start is None or end is None:
            continue
        fields |= {
            f"periods[{len(periods)}].start": f"pstart-{row}",
            f"periods[{len(periods)}].end": f"pend-{row}",
        }
        periods.append(Period(start, end, form.value(f"pstaffed-{row}") == "on"))
    if form.has_errors or first is None or last is None:
        return None, fields
    values = {
        "date_from": first,
        "date_to": last,
        "closed": closed,
        "periods": periods,
        "reason": reason,
        "reason_en": reason_en,
    }
    return values, fields


class StaffHoursPages(Controller):
    include_in_schema = False
    guards = (staff_only,)

    async def _page(
        self,
        context: PageContext,
        slug: str,
        *,
        week: Form | None = None,
        exception: Form | None = None,
        status: int = 200,
    ) -> Response[Any]:
        locations = await locations_with_hours(context.db)
        chosen = next((loc for loc in locations if loc.slug == slug), locations[0] if locations else None)
        upcoming: list[OpeningException] = []
        if chosen is not None:
            today = context.now.astimezone(ZoneInfo(chosen.timezone)).date()
            upcoming = sorted(
                (e for e in chosen.exceptions if e.date_to >= today), key=lambda e: (e.date_from, e.id)
            )
        return context.render(
            "staff/hours.html",
            status=status,
            locations=locations,
            location=chosen,
            week=week or (week_form(chosen) if chosen else Form()),
            exceptions=upcoming,
            exception=exception or exception_form(),
            notice=context.notice(NOTICES),
        )

    @get("/staff/hours", name="staff-hours")
    async def hours(self, context: PageContextDep, location: FromQuery[str] = "") -> Response[Any]:
        return await self._page(context, location)

    @post("/staff/hours/{slug:str}/week", name="staff-hours-week")
    async def save_week(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        slug: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        lang, now = context.lang, context.now
        form = Form(values=form_values(data))
        week, fields = read_week(form, lang)
        if not form.has_errors:
            try:
                await inventory.set_weekly_hours(context.db, slug, week, actor=user, now=now)
            except LibraryError as problem:
                form.absorb(problem, lang, fields=fields, raising=(NotFound,))
            else:
                return see_other("/staff/hours", done="week_saved", location=slug)
        return await self._page(context, slug, week=form, status=422)

    @post("/staff/hours/{slug:str}/exceptions", name="staff-hours-exception-add")
    async def add_exception(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        slug: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        """Two steps: what the closure touches (bookings, sessions with participants) and the
        choice of what happens to them, then the closure for every location ticked."""
        lang, now = context.lang, context.now
        form = Form(values=form_values(data))
        values, fields = read_exception(form, lang)
        chosen = [
            key.removeprefix("loc-") for key, value in form.values.items() if key.startswith("loc-") and value
        ]
        places = chosen or [slug]
        if values is not None:
            try:
                if form.value("step") != "apply":
                    impact = await closures.closure_impact(
                        context.db,
                        places,
                        date_from=values["date_from"],
                        date_to=values["date_to"],
                        closed=values["closed"],
                        periods=values["periods"],
                        now=now,
                    )
                    if impact.bookings or impact.sessions:
                        return context.render(
                            "staff/closure_impact.html",
                            slug=slug,
                            fields={k: v for k, v in form.values.items() if k not in ("_csrf_token", "step")},
                            impact=impact,
                            zone=context.settings.zone,
                        )
                await closures.close_locations(
                    context.db,
                    places,
                    **values,
                    resolve=choice(form.value("resolve"), RESOLVES),
                    sessions=choice(form.value("sessions"), SESSION_RESOLVES),
                    actor=user,
                    now=now,
                )
            except LibraryError as problem:
                form.absorb(problem, lang, fields=fields, raising=(NotFound,))
            else:
                return see_other("/staff/hours", done="exception_added", location=slug)
        return await self._page(context, slug, exception=form, status=422)

    @get("/staff/hours/exceptions/{exception_id:int}", name="staff-hours-exception")
    async def exception(self, context: PageContextDep, exception_id: FromPath[int]) -> Response[Any]:
        return await self._exception_page(context, exception_id)

    async def _exception_page(
        self,
        context: PageContext,
        exception_id: int,
        *,
        form: Form | None = None,
        status: int = 200,
    ) -> Response[Any]:
        async with context.db.read() as session:
            found = await session.scalar(
                select(OpeningException)
                .where(OpeningException.id == exception_id)
                .options(selectinload(OpeningException.periods), selectinload(OpeningException.location))
            )
        if found is None:
            raise NotFound(N_("The exception %(id)s"), id=exception_id)
        return context.render(
            "staff/hours_exception.html",
            status=status,
            location=found.location,
            found=found,
            exception=form or exception_form(found),
        )

    @post("/staff/hours/exceptions/{exception_id:int}", name="staff-hours-exception-change")
    async def change_exception(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        exception_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        lang = context.lang
        form = Form(values=form_values(data))
        values, fields = read_exception(form, lang)
        if values is not None:
            try:
                changed = await inventory.change_opening_exception(
                    context.db, exception_id, **values, actor=user, now=context.now
                )
            except LibraryError as problem:
                form.absorb(problem, lang, fields=fields, raising=(NotFound,))
            else:
                return see_other(
                    "/staff/hours", done="exception_saved", location=await self._slug(context.db, changed)
                )
        return await self._exception_page(context, exception_id, form=form, status=422)

    @post("/staff/hours/exceptions/{exception_id:int}/remove", name="staff-hours-exception-remove")
    async def remove_exception(
        self,
        viewer: ViewerDep,
        user: NamedDependency[User],
        db: DatabaseDep,
        clock: ClockDep,
        exception_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        context: PageContextDep,
    ) -> Response[Any]:
        if not confirmed(data):
            lang = context.lang
            async with db.read() as session:
                exception = await session.get(OpeningException, exception_id)
            if exception is None:
                raise NotFound(N_("The exception %(id)s"), id=exception_id)
            span = format_date(exception.date_from, lang)
            if exception.date_to != exception.date_from:
                span = f"{span} – {format_date(exception.date_to, lang)}"
            return confirm_page(
                context,
                data,
                action=f"/staff/hours/exceptions/{exception_id}/remove",
                heading=translate(lang, N_("Remove this exception?")),
                subject=span,
                details=pick(lang, exception.reason, exception.reason_en) or None,
                consequence=translate(lang, N_("On these days the weekly opening hours apply again.")),
                yes=translate(lang, N_("Yes, remove the exception")),
                no=translate(lang, N_("No, keep it")),
                back=f"/staff/hours/exceptions/{exception_id}",
            )
        await inventory.remove_opening_exception(db, exception_id, actor=user, now=clock.now())
        location = data.get("location", "")
        return see_other(
            "/staff/hours", done="exception_removed", **({"location": location} if location else {})
        )

    async def _slug(self, db: Database, exception: OpeningException) -> str:
        async with db.read() as session:
            return (
                await session.scalar(select(Location.slug).where(Location.id == exception.location_id)) or ""
            )
