"""The desk's day grid and a booking's page at the desk: check in (and take it back), approve,
reject, cancel after a second step, and move to another time, unit or resource.

Every action is the booking service's, as the API's; the grid is booking.grid's read model.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from library.accounts.models import User
from library.booking import grid, service
from library.booking.models import Booking
from library.booking.rules import may_move, may_undo_check_in
from library.booking.service import Move, RuleBroken, SlotTaken
from library.catalog.models import Factor, Resource, ResourceKind, UnitStatus
from library.errors import LibraryError, message
from library.http.problems import status_of
from library.http.refusals import booking_refused
from library.http.viewer import staff_only
from library.i18n import N_, Lang, format_time, pick, translate
from library.web import parsing
from library.web.catalogue import KIND_NAMES, factor_name, kind_name, near_today
from library.web.common import Form, PageContext, PageContextDep, see_other

GRID_NOTICES = {
    "booked": N_("The booking was made for the visitor."),
}
BOOKING_NOTICES = {
    "checked_in": N_("The booking was checked in. You can undo this for ten minutes."),
    "check_in_undone": N_("The check-in was taken back; the booking is confirmed again."),
    "approved": N_("The booking was approved. The visitor gets an e-mail."),
    "rejected": N_("The booking was rejected. The visitor gets an e-mail."),
    "cancelled": N_("The booking was cancelled."),
    "moved": N_("The booking was moved. The visitor gets an e-mail with the new time."),
}
BAD_CHOICE = N_("Please choose from the list.")


class ClockFaces:
    """Times of day as the page language writes them, and as HH:MM for form links, each worked
    out once per instant: a grid of a thousand bookings shows a few dozen distinct times."""

    def __init__(self, lang: Lang, zone: ZoneInfo) -> None:
        self.lang, self.zone = lang, zone
        self._labels: dict[datetime, str] = {}
        self._fields: dict[datetime, str] = {}

    def label(self, moment: datetime) -> str:
        if (found := self._labels.get(moment)) is None:
            found = self._labels[moment] = format_time(moment, self.lang, self.zone)
        return found

    def field(self, moment: datetime) -> str:
        if (found := self._fields.get(moment)) is None:
            found = self._fields[moment] = moment.astimezone(self.zone).strftime("%H:%M")
        return found


def grid_link(location: str, day: date, factor: str = "", kind: str = "") -> str:
    query = {"location": location, "date": day.isoformat(), "factor": factor, "kind": kind}
    return "/staff/desk?" + urlencode({key: value for key, value in query.items() if value})


def grid_filter(form: Form, lang: Any) -> grid.GridFilter:
    """The factor and kind as chosen; an unknown one gets its message and is left out."""
    factor = kind = None
    if form.value("factor"):
        try:
            factor = Factor(form.value("factor"))
        except ValueError:
            form.add("factor", translate(lang, BAD_CHOICE))
    if form.value("kind"):
        try:
            kind = ResourceKind(form.value("kind"))
        except ValueError:
            form.add("kind", translate(lang, BAD_CHOICE))
    return grid.GridFilter(factor=factor, kind=kind)


async def grid_page(context: PageContext) -> Response[Any]:
    lang = context.lang
    fields = ("location", "date", "factor", "kind")
    form = Form(values={name: context.request.query_params.get(name, "") for name in fields})
    where = grid_filter(form, lang)
    today = context.now.astimezone(context.settings.zone).date()
    day = near_today(form, "date", lang, parsing.day(form, "date", lang), today)
    async with context.db.read() as session:
        found = await grid.load_grid(session, form.value("location"), day, context.now, where)
    if found is None:
        return context.render("staff/grid.html", found=None, form=form)
    shown = found.day.day
    here = found.location.slug
    factor, kind = form.value("factor") if where.factor else "", form.value("kind") if where.kind else ""
    form.values.update(date=shown.isoformat(), location=here)
    return context.render(
        "staff/grid.html",
        status=422 if form.has_errors else 200,
        found=found,
        layout=found.layout(),
        form=form,
        zone=found.zone,
        clock=ClockFaces(lang, found.zone),
        is_today=shown == context.now.astimezone(found.zone).date(),
        links={
            "previous": grid_link(here, shown - timedelta(days=1), factor, kind),
            "next": grid_link(here, shown + timedelta(days=1), factor, kind),
            "today": grid_link(here, today, factor, kind),
            "self": grid_link(here, shown, factor, kind),
        },
        factors=[(f.value, factor_name(lang, f)) for f in Factor],
        kinds=[(k.value, kind_name(lang, k)) for k in KIND_NAMES],
        notice=context.notice(GRID_NOTICES),
    )


async def location_resources(context: PageContext, location_id: int) -> list[Resource]:
    """The active resources of a location with their units in service: where a booking can move."""
    async with context.db.read() as session:
        return list(
            await session.scalars(
                select(Resource)
                .where(Resource.location_id == location_id, Resource.active.is_(True))
                .options(selectinload(Resource.units))
                .order_by(Resource.name, Resource.id)
            )
        )


def move_form_of(booking: Booking, zone: Any) -> Form:
    start, end = booking.start_at.astimezone(zone), booking.end_at.astimezone(zone)
    return Form(
        values={
            "date": start.date().isoformat(),
            "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M"),
            "resource": booking.resource.slug,
            "unit": "",
            "reason": "",
        }
    )


async def booking_page(
    context: PageContext,
    user: User,
    booking_id: int,
    *,
    form: Form | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response[Any]:
    """A booking at the desk with what staff may do with it now."""
    async with context.db.read() as session:
        booking = await service.get_booking(session, booking_id, user)
        location_id = booking.resource.location_id
    resources = await location_resources(context, location_id)
    zone = context.settings.zone
    units = [
        (str(unit.id), f"{resource.name}: {unit.label}")
        for resource in resources
        for unit in resource.units
        if unit.status is not UnitStatus.RETIRED
    ]
    return context.render(
        "staff/booking.html",
        status=status,
        booking=booking,
        zone=zone,
        form=form or move_form_of(booking, zone),
        resources=[(r.slug, pick(context.lang, r.name, r.name_en)) for r in resources],
        units=units,
        movable=may_move(booking.status),
        undoable=may_undo_check_in(booking.status, booking.checked_in_at, context.now),
        grid_href=grid_link("", booking.start_at.astimezone(zone).date()),
        error=error,
        notice=None if error else context.notice(BOOKING_NOTICES),
    )


async def move_from_form(
    context: PageContext, user: User, booking_id: int, data: dict[str, str]
) -> Response[Any]:
    """The move form of a booking's page: staff move it anywhere free, with a reason."""
    lang = context.lang
    form = Form(
        values={key: data.get(key, "") for key in ("date", "start", "end", "resource", "unit", "reason")}
    )
    day = parsing.day(form, "date", lang, required=True)
    start = parsing.clock_time(form, "start", lang, required=True)
    end = parsing.clock_time(form, "end", lang, required=True)
    reason = parsing.text(form, "reason", lang, required=True, max_length=500)
    unit_id = None
    if form.value("unit"):
        if form.value("unit").isdigit():
            unit_id = int(form.value("unit"))
        else:
            form.add("unit", translate(lang, BAD_CHOICE))
    zone = context.settings.zone
    begins = ends = None
    if day is not None and start is not None and end is not None:
        begins = parsing.instant(form, "start", lang, day, start, zone)
        ends = parsing.instant(form, "end", lang, day, end, zone)
    if begins is not None and ends is not None and ends <= begins:
        form.add("end", message("end_before_start", lang))
    if form.has_errors or begins is None or ends is None:
        return await booking_page(context, user, booking_id, form=form, status=422)
    change = Move(
        start=begins, end=ends, resource_slug=form.value("resource") or None, unit_id=unit_id, reason=reason
    )
    try:
        await service.move_booking(context.db, booking_id, change, actor=user, now=context.now)
    except RuleBroken as error:
        problem = await booking_refused(context.db, error.refusal, context.now)
        form.general = problem.detail(lang)
        return await booking_page(context, user, booking_id, form=form, status=status_of(problem))
    except SlotTaken:
        form.general = message("slot_taken", lang)
        return await booking_page(context, user, booking_id, form=form, status=409)
    except LibraryError as problem:
        form.absorb(problem, lang, {"resource": "resource", "unit": "unit"})
        return await booking_page(context, user, booking_id, form=form, status=status_of(problem))
    return see_other(f"/staff/bookings/{booking_id}", done="moved")


class StaffGridPages(Controller):
    include_in_schema = False
    guards = (staff_only,)

    @get("/staff/desk", name="staff-grid")
    async def day_grid(self, context: PageContextDep) -> Response[Any]:
        return await grid_page(context)

    @get("/staff/bookings/{booking_id:int}", name="staff-booking")
    async def booking(
        self, context: PageContextDep, user: NamedDependency[User], booking_id: FromPath[int]
    ) -> Response[Any]:
        return await booking_page(context, user, booking_id)
