"""Waiting for a free slot: the form that puts a person in a resource's queue, and their holds
page with the offer of a freed slot to accept or decline (declining confirms on a second step).

The rules are the hold service's, the same calls as the API's /holds; this module reads forms
and shows answers."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from library.accounts.models import User
from library.accounts.verification import ensure_email_verified
from library.booking import hold_service
from library.booking.holds import HoldView, list_holds
from library.booking.lending import DAY_MINUTES, loan_span
from library.booking.models import HoldStatus, Loan
from library.booking.service import RuleBroken
from library.catalog import queries
from library.catalog.models import Resource, ResourceKind
from library.catalog.policy import effective_policy
from library.errors import LibraryError, NotFound
from library.http.problems import status_of
from library.http.refusals import booking_refused
from library.http.viewer import UserDep
from library.i18n import N_, catalogue
from library.web import parsing
from library.web.common import Form, PageContext, PageContextDep, form_values, see_other
from library.web.resource import default_length, length_options

NOTICES = {
    "waiting": N_(
        "You are waiting for a free slot. When one frees up, we offer it to you here and by e-mail."
    ),
    "booked": N_("Booked. You will find the booking under My bookings."),
    "left": N_("You are no longer waiting for this slot."),
    "declined": N_("You declined the offer; it has gone to the next person waiting."),
}
FIELDS = {"from": "from", "to": "to", "minutes": "length", "resource": "date"}
"""The API's field names of a hold, and this form's names for them."""
THING_FIELDS = {"from": "first", "to": "last", "minutes": "days", "resource": "first"}
"""The same for the form that waits for a thing lent for days."""


async def hold_form_page(
    context: PageContext, slug: str, form: Form | None = None, *, status: int = 200
) -> Template:
    """The form to wait for a slot, with what was typed and what is wrong next to each field."""
    resource, zone = await _resource(context, slug)
    policy = effective_policy(resource.location.policy, resource.policy)
    lendable = resource.kind is ResourceKind.LOAN
    if form is None and lendable:
        asked = context.request.query_params
        first = asked.get("pickup") or context.now.astimezone(zone).date().isoformat()
        form = Form(values={"first": first, "last": "", "days": str(policy.loan_days)})
    if form is None:
        asked = context.request.query_params
        length = asked.get("length") or str(default_length(policy))
        start = asked.get("start", "")
        form = Form(
            values={
                "date": asked.get("date") or context.now.astimezone(zone).date().isoformat(),
                "from": start,
                "to": _later(start, int(length) if length.isdigit() else 0),
                "length": length,
            }
        )
    return context.render(
        "my/hold_new.html",
        status=status,
        resource=resource,
        form=form,
        length_options=length_options(context.lang, policy),
        example_day=context.now.astimezone(zone).date() + timedelta(days=1),
        lendable=lendable,
        day_options=[(str(days), _days(context, days)) for days in range(1, policy.loan_days + 1)],
    )


def _days(context: PageContext, days: int) -> str:
    return catalogue(context.lang).ngettext("%(num)d day", "%(num)d days", days) % {"num": days}


def _later(start: str, minutes: int) -> str:
    """The end of a wanted time typed as HH:MM, for the form's first look; empty if unreadable."""
    try:
        begins = time.fromisoformat(start)
    except ValueError:
        return ""
    ends = min(begins.hour * 60 + begins.minute + minutes, 24 * 60 - 1)
    return f"{ends // 60:02d}:{ends % 60:02d}"


async def _resource(context: PageContext, slug: str) -> tuple[Resource, ZoneInfo]:
    async with context.db.read() as session:
        resource, _ = await queries.get_resource(session, slug)
    return resource, ZoneInfo(resource.location.timezone)


async def holds_page(
    context: PageContext, user: User, *, status: int = 200, problem: tuple[int, str] | None = None
) -> Template:
    async with context.db.read() as session:
        views = await list_holds(session, user.id, limit=100)
    open_ = [v for v in views if v.hold.status in (HoldStatus.WAITING, HoldStatus.OFFERED)]
    ended = [v for v in views if v not in open_]
    return context.render(
        "my/holds.html",
        status=status,
        notice=context.notice(NOTICES),
        offered=[v for v in open_ if v.hold.status is HoldStatus.OFFERED],
        waiting=[v for v in open_ if v.hold.status is HoldStatus.WAITING],
        ended=ended,
        problem=problem,
        zone_of=lambda view: ZoneInfo(view.hold.resource.location.timezone),
    )


async def own_hold(context: PageContext, user: User, hold_id: int) -> HoldView:
    async with context.db.read() as session:
        found = await list_holds(session, user.id, hold_id=hold_id)
    if not found:
        raise NotFound(N_("The hold %(id)s"), id=hold_id)
    return found[0]


async def _hold_thing(
    context: PageContext, user: User, slug: str, form: Form, zone: ZoneInfo
) -> Response[Any]:
    """Wait for a thing lent for days: the first and last day it could be had, and for how many
    days (the API's window of instants is those local days, its `minutes` the days)."""
    lang = context.lang
    first = parsing.day(form, "first", lang, required=True)
    last = parsing.day(form, "last", lang, required=True)
    days = parsing.whole_number(form, "days", lang, low=1, high=366, required=True)
    if form.has_errors or first is None or last is None or days is None:
        return await hold_form_page(context, slug, form, status=422)
    start, end = loan_span(first, max(first, last), zone).start, loan_span(last, last, zone).end
    request = hold_service.HoldRequest(slug, start, end, days * DAY_MINUTES)
    try:
        await hold_service.place_hold(context.db, request, person=user, now=context.now)
    except LibraryError as problem:
        form.absorb(problem, lang, THING_FIELDS, raising=(NotFound,))
        return await hold_form_page(context, slug, form, status=status_of(problem))
    return see_other("/my/holds", done="waiting")


class MyHoldPages(Controller):
    include_in_schema = False

    @get("/resources/{slug:str}/hold", name="resource-hold-form")
    async def hold_form(self, context: PageContextDep, user: UserDep, slug: FromPath[str]) -> Template:
        return await hold_form_page(context, slug)

    @post("/resources/{slug:str}/hold", name="resource-hold")
    async def hold(
        self,
        context: PageContextDep,
        user: UserDep,
        slug: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        ensure_email_verified(user, required=context.settings.verify_email)
        lang = context.lang
        form = Form(values=form_values(data))
        resource, zone = await _resource(context, slug)
        if resource.kind is ResourceKind.LOAN:
            return await _hold_thing(context, user, slug, form, zone)
        day = parsing.day(form, "date", lang, required=True)
        begins_at = parsing.clock_time(form, "from", lang, required=True)
        ends_at = parsing.clock_time(form, "to", lang, required=True)
        minutes = parsing.whole_number(form, "length", lang, low=1, high=24 * 60, required=True)
        start = end = None
        if day is not None and begins_at is not None and ends_at is not None:
            start = parsing.instant(form, "from", lang, day, begins_at, zone)
            end = parsing.instant(form, "to", lang, day, ends_at, zone)
        if form.has_errors or start is None or end is None or minutes is None:
            return await hold_form_page(context, slug, form, status=422)
        request = hold_service.HoldRequest(slug, start, end, minutes)
        try:
            await hold_service.place_hold(context.db, request, person=user, now=context.now)
        except LibraryError as problem:
            form.absorb(problem, lang, FIELDS, raising=(NotFound,))
            return await hold_form_page(context, slug, form, status=status_of(problem))
        return see_other("/my/holds", done="waiting")

    @get("/my/holds", name="my-holds")
    async def holds(self, context: PageContextDep, user: UserDep) -> Template:
        return await holds_page(context, user)

    @post("/my/holds/{hold_id:int}/accept", name="my-hold-accept")
    async def accept(self, context: PageContextDep, user: UserDep, hold_id: FromPath[int]) -> Response[Any]:
        try:
            taken = await hold_service.accept_offer(context.db, hold_id, person=user, now=context.now)
        except RuleBroken as error:
            problem = await booking_refused(context.db, error.refusal, context.now)
            return await holds_page(
                context, user, status=status_of(problem), problem=(hold_id, problem.detail(context.lang))
            )
        except LibraryError as problem:
            if isinstance(problem, NotFound):
                raise
            return await holds_page(
                context, user, status=status_of(problem), problem=(hold_id, problem.detail(context.lang))
            )
        if isinstance(taken, Loan):
            return see_other("/my/loans", done="reserved")
        return see_other("/my/bookings", done="booked")

    @get("/my/holds/{hold_id:int}/cancel", name="my-hold-cancel-confirm")
    async def confirm_cancel(
        self, context: PageContextDep, user: UserDep, hold_id: FromPath[int]
    ) -> Template | Redirect:
        """The second step of declining an offer or leaving the queue; an ended hold shows in the list."""
        view = await own_hold(context, user, hold_id)
        if view.hold.status not in (HoldStatus.WAITING, HoldStatus.OFFERED):
            return Redirect(path=f"/my/holds#hold-{hold_id}", status_code=303)
        zone = ZoneInfo(view.hold.resource.location.timezone)
        return context.render("my/hold_cancel.html", view=view, zone=zone)

    @post("/my/holds/{hold_id:int}/cancel", name="my-hold-cancel")
    async def cancel(self, context: PageContextDep, user: UserDep, hold_id: FromPath[int]) -> Response[Any]:
        try:
            hold = await hold_service.cancel_hold(context.db, hold_id, person=user, now=context.now)
        except LibraryError as problem:
            if isinstance(problem, NotFound):
                raise
            return await holds_page(
                context, user, status=status_of(problem), problem=(hold_id, problem.detail(context.lang))
            )
        return see_other("/my/holds", done="declined" if hold.offer_booking_id is not None else "left")
