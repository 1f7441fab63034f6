"""Staff bookings: search every booking, and book for a visitor (POST /api/v1/bookings with
`for_user`, as the API does): staff may set aside the house rules with a reason, never an overlap."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from library.accounts.models import User
from library.booking import desk, service
from library.booking.models import BookingStatus
from library.booking.service import NewBooking, RuleBroken, SlotTaken
from library.catalog.models import Location, Resource
from library.db import Database
from library.errors import LibraryError, message
from library.http.problems import status_of
from library.http.refusals import booking_refused
from library.http.viewer import staff_only
from library.i18n import N_, translate
from library.web import parsing
from library.web.common import Form, PageContextDep, form_values, see_other
from library.web.staff_desk import NOTICES as DESK_NOTICES

PAGE_SIZE = 25
NOTICES = {**DESK_NOTICES, "booked": N_("The booking was made for the visitor.")}
BAD_STATUS = N_("Please choose a status from the list.")
BAD_PAGE = N_("There is no such page.")
OVERRIDE_HINT = N_("Staff may book anyway: give the reason for the exception here.")
NOT_OVERRIDABLE = ("unit_blocked", "resource_unavailable")
"""Refusals that hold for staff too: a reason changes nothing."""


def search_from(form: Form, lang: Any) -> desk.BookingSearch:
    """The search as typed; a bad date or status gets its message and is left out."""
    status_text = form.value("status")
    status = None
    if status_text:
        try:
            status = BookingStatus(status_text)
        except ValueError:
            form.add("status", translate(lang, BAD_STATUS))
    first = parsing.day(form, "from", lang)
    last = parsing.day(form, "to", lang)
    if first and last and last < first:
        form.add("to", message("dates_out_of_order", lang))
        last = None
    return desk.BookingSearch(
        person=parsing.text(form, "person", lang, max_length=254),
        resource=parsing.text(form, "resource", lang, max_length=200),
        date_from=first,
        date_to=last,
        status=status,
    )


async def bookable_resources(db: Database) -> list[Resource]:
    """Active resources with their location, for choosing one."""
    async with db.read() as session:
        return list(
            await session.scalars(
                select(Resource)
                .join(Location, Location.id == Resource.location_id)
                .where(Resource.active.is_(True))
                .options(selectinload(Resource.location))
                .order_by(Location.position, Location.slug, Resource.name)
            )
        )


class StaffBookingPages(Controller):
    include_in_schema = False
    guards = (staff_only,)

    @get("/staff/bookings", name="staff-bookings")
    async def search(self, context: PageContextDep, page: FromQuery[str] = "1") -> Response[Any]:
        lang = context.lang
        fields = ("person", "resource", "from", "to", "status")
        form = Form(values={name: context.request.query_params.get(name, "") for name in fields})
        where = search_from(form, lang)
        number = int(page) if page.isdigit() and int(page) >= 1 else 0
        if number == 0:
            form.general = translate(lang, BAD_PAGE)
            number = 1
        async with context.db.read() as session:
            bookings, more = await desk.search_bookings(
                session, where, context.settings.zone, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
            )
        kept = {name: value for name, value in form.values.items() if value}

        def page_link(n: int) -> str:
            return "/staff/bookings?" + urlencode({**kept, "page": str(n)})

        return context.render(
            "staff/bookings.html",
            status=422 if form.has_errors else 200,
            form=form,
            bookings=bookings,
            zone=context.settings.zone,
            statuses=[status.value for status in BookingStatus],
            page=number,
            previous_page=page_link(number - 1) if number > 1 else None,
            next_page=page_link(number + 1) if more else None,
            notice=context.notice(NOTICES),
        )

    @get("/staff/bookings/new", name="staff-booking-new")
    async def new_form(
        self,
        context: PageContextDep,
        resource: FromQuery[str] = "",
        email: FromQuery[str] = "",
    ) -> Response[Any]:
        """The form, pre-filled from a link (a free cell of the day grid: resource, unit, date, times)."""
        query = context.request.query_params
        form = Form(
            values={
                "resource": resource,
                "email": email,
                **{
                    name: query.get(name, "")[:10]
                    for name in ("unit", "date", "start", "end")
                    if query.get(name)
                },
            }
        )
        return context.render(
            "staff/booking_new.html", form=form, resources=await bookable_resources(context.db)
        )

    @post("/staff/bookings/new", name="staff-booking-create")
    async def create(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        lang = context.lang
        form = Form(values=form_values(data))
        resources = await bookable_resources(context.db)

        def again(status: int) -> Response[Any]:
            return context.render("staff/booking_new.html", status=status, form=form, resources=resources)

        email = parsing.text(form, "email", lang, required=True, max_length=254)
        slug = parsing.text(form, "resource", lang, required=True, max_length=80)
        day = parsing.day(form, "date", lang, required=True)
        start = parsing.clock_time(form, "start", lang, required=True)
        end = parsing.clock_time(form, "end", lang, required=True)
        note = parsing.text(form, "note", lang, max_length=2000, multiline=True)
        reason = parsing.text(form, "override_reason", lang, max_length=500) or None
        unit = form.value("unit")
        unit_id = int(unit) if unit.isdigit() else None
        chosen = next((r for r in resources if r.slug == slug), None)
        if slug and chosen is None:
            form.add("resource", translate(lang, N_("Please choose a resource from the list.")))
        if form.has_errors or chosen is None or day is None or start is None or end is None:
            return again(422)
        zone = ZoneInfo(chosen.location.timezone)
        begins = parsing.instant(form, "start", lang, day, start, zone)
        ends = parsing.instant(form, "end", lang, day, end, zone)
        if begins is None or ends is None:
            return again(422)
        if ends <= begins:
            form.add("end", message("end_before_start", lang))
            return again(422)
        try:
            booker = await service.booker_for(context.db, user, email, field="email")
            await service.create_booking(
                context.db,
                NewBooking(
                    resource_slug=slug,
                    start=begins,
                    end=ends,
                    note=note,
                    override_reason=reason,
                    unit_id=unit_id,
                ),
                booker=booker,
                actor=user,
                now=context.now,
            )
        except RuleBroken as error:
            problem = await booking_refused(context.db, error.refusal, context.now)
            form.general = problem.detail(lang)
            if reason is None and error.refusal.code not in NOT_OVERRIDABLE:
                form.add("override_reason", translate(lang, OVERRIDE_HINT))
            return again(status_of(problem))
        except SlotTaken:
            form.general = message("slot_taken", lang)
            return again(409)
        except LibraryError as problem:
            form.absorb(problem, lang)
            return again(status_of(problem))
        return see_other("/staff/bookings", done="booked", person=booker.email, **{"from": day.isoformat()})
