"""A visitor's own bookings: upcoming and past, cancelling, checking in, and each one as a calendar file.

Cancelling and checking in are the booking service's (the same calls as the API's
/bookings/{id}/cancel and /check-in), so the cancel deadline and check-in window are the domain's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from library.accounts.models import User
from library.booking import service
from library.booking.alternatives import Alternative
from library.booking.intervals import Interval
from library.booking.models import ACTIVE_STATUSES, Booking, BookingSeries, BookingStatus
from library.booking.queries import list_bookings
from library.booking.rules import cancel_deadline, checkin_window, may_become, may_move
from library.booking.series import Repeat, skipped_occurrences
from library.booking.service import RuleBroken, SlotTaken
from library.catalog.models import Resource
from library.catalog.policy import BookingPolicy, effective_policy
from library.db import Database
from library.errors import LibraryError, NotFound, message
from library.http.answers import page_language
from library.http.deps import DatabaseDep, SettingsDep
from library.http.problems import status_of
from library.http.refusals import booking_refused
from library.http.viewer import UserDep
from library.i18n import N_, Lang, pick, translate
from library.notify.feeds import booking_event, download_name, feed_name
from library.notify.ics import new_calendar, new_event, to_bytes
from library.web import parsing
from library.web.common import AnyRequest, Form, PageContext, PageContextDep, see_other

PAST_SHOWN = 50

NOTICES = {
    "booked": N_("Booked. You will find the booking below and get a confirmation by e-mail."),
    "pending": N_(
        "Your booking request is in. Library staff will approve it; until then it is pending. "
        "We will let you know by e-mail."
    ),
    "series": N_("Booked: every date of the series. You will get a confirmation by e-mail."),
    "series_partly": N_(
        "Booked the dates of the series that were free; the others were skipped. "
        "You will get a confirmation by e-mail."
    ),
    "cancelled": N_("The booking is cancelled."),
    "series_cancelled": N_("The remaining dates of the series are cancelled."),
    "checked_in": N_("You are checked in. Enjoy!"),
    "moved": N_("Your booking has moved. You get an e-mail with the new time and an updated calendar entry."),
}
WITHOUT_MAIL = {
    "booked": N_("Booked. You will find the booking below."),
    "pending": N_("Your booking request is in. Library staff will approve it; until then it is pending."),
    "series": N_("Booked: every date of the series."),
    "series_partly": N_("Booked the dates of the series that were free; the others were skipped."),
    "moved": N_("Your booking has moved. You will find the new time below."),
}
"""The notices while no mail server is configured: they promise no e-mail."""

STATUS_NAMES: dict[BookingStatus, str] = {
    BookingStatus.PENDING: N_("pending: awaiting approval by library staff"),
    BookingStatus.CONFIRMED: N_("confirmed"),
    BookingStatus.CHECKED_IN: N_("checked in"),
    BookingStatus.COMPLETED: N_("completed"),
    BookingStatus.CANCELLED: N_("cancelled"),
    BookingStatus.REJECTED: N_("rejected"),
    BookingStatus.NO_SHOW: N_("released: not checked in"),
}


def status_name(lang: Lang, status: BookingStatus) -> str:
    return translate(lang, STATUS_NAMES[status])


@dataclass(frozen=True)
class MyBooking:
    """A booking with what its owner may do with it now, by the domain's deadlines."""

    booking: Booking
    zone: ZoneInfo
    cancellable_until: datetime | None
    check_in_from: datetime | None
    check_in_until: datetime | None
    can_check_in: bool

    @property
    def can_cancel(self) -> bool:
        return self.cancellable_until is not None

    @property
    def can_move(self) -> bool:
        """Moving has the cancel deadline: until then the person may change the time themselves."""
        return self.can_cancel and may_move(self.booking.status)


def with_actions(booking: Booking, policy: BookingPolicy, now: datetime) -> MyBooking:
    """The cancel deadline and check-in window: the booking rules that cancel_booking and check_in apply."""
    zone = ZoneInfo(booking.resource.location.timezone)
    cancellable_until = (
        cancel_deadline(booking.start_at, policy)
        if may_become(booking.status, BookingStatus.CANCELLED) and booking.end_at > now
        else None
    )
    window = checkin_window(Interval(booking.start_at, booking.end_at), policy)
    checkable = may_become(booking.status, BookingStatus.CHECKED_IN) and window.closes >= now
    return MyBooking(
        booking,
        zone,
        cancellable_until,
        window.opens if checkable else None,
        window.closes if checkable else None,
        checkable and window.is_open(now),
    )


@dataclass(frozen=True)
class MySeries:
    """A repeating booking shown as one item: its upcoming dates, the dates its rule skipped, and
    those a "cancel all" would cancel (the ones whose cut-off has not passed)."""

    series_id: int
    entries: list[MyBooking]
    skipped: list[Interval]
    cancellable: list[MyBooking]

    @property
    def zone(self) -> ZoneInfo:
        return self.entries[0].zone

    @property
    def resource(self) -> Resource:
        return self.entries[0].booking.resource

    @property
    def cancel_from(self) -> datetime | None:
        """Where "cancel all" starts: the first date that may still be cancelled."""
        return self.cancellable[0].booking.start_at if self.cancellable else None


def may_cancel_now(entry: MyBooking, now: datetime) -> bool:
    return entry.cancellable_until is not None and now <= entry.cancellable_until


def as_series(
    series_id: int, entries: list[MyBooking], every: list[Booking], rule: dict[str, Any], now: datetime
) -> MySeries:
    """One series from its upcoming entries and all its bookings (for the dates its rule skipped)."""
    first = min(every, key=lambda b: b.start_at)
    skipped = skipped_occurrences(
        Interval(first.start_at, first.end_at),
        Repeat.from_rule(rule),
        entries[0].zone,
        {b.start_at for b in every},
    )
    return MySeries(
        series_id,
        entries,
        [s for s in skipped if s.end > now],
        [e for e in entries if may_cancel_now(e, now)],
    )


async def my_bookings(
    db: Database, user: User, now: datetime
) -> tuple[list[MyBooking | MySeries], list[MyBooking]]:
    """The person's upcoming bookings (soonest first, a series as one item) and the latest of the others."""
    async with db.read() as session:
        rows = await list_bookings(session, owner_id=user.id, visitors_only=True, newest_first=True)
        series_ids = {b.series_id for b in rows if b.series_id is not None}
        found = await session.execute(
            select(BookingSeries.id, BookingSeries.rule).where(BookingSeries.id.in_(series_ids))
        )
        rules = {series_id: rule for series_id, rule in found}
    upcoming: list[MyBooking] = []
    past: list[MyBooking] = []
    for booking in rows:
        policy = effective_policy(booking.resource.location.policy, booking.resource.policy)
        entry = with_actions(booking, policy, now)
        if booking.status in ACTIVE_STATUSES and booking.end_at > now:
            upcoming.append(entry)
        elif len(past) < PAST_SHOWN:
            past.append(entry)
    upcoming.reverse()
    grouped: dict[int, list[MyBooking]] = {}
    for entry in upcoming:
        if entry.booking.series_id is not None and entry.booking.series_id in rules:
            grouped.setdefault(entry.booking.series_id, []).append(entry)
    items: list[MyBooking | MySeries] = []
    for entry in upcoming:
        series_id = entry.booking.series_id
        if series_id is None or series_id not in grouped:
            items.append(entry)
        elif grouped[series_id][0] is entry:  # the whole series where its first date is
            every = [b for b in rows if b.series_id == series_id]
            items.append(as_series(series_id, grouped[series_id], every, rules[series_id], now))
    return items, past


async def bookings_page(
    context: PageContext,
    user: User,
    *,
    status: int = 200,
    errors: Mapping[int, str] | None = None,
) -> Template:
    lang = context.lang
    upcoming, past = await my_bookings(context.db, user, context.now)
    return context.render(
        "my/bookings.html",
        status=status,
        notice=context.notice(NOTICES, WITHOUT_MAIL),
        upcoming=upcoming,
        past=past,
        errors=errors or {},
        has_feed=user.calendar_token_hash is not None,
        status_name=lambda value: status_name(lang, value),
    )


async def own_booking(db: Database, booking_id: int, user: User) -> Booking:
    """The person's own booking with what a calendar event needs; anyone else's is 'not found'."""
    async with db.read() as session:
        booking = await session.scalar(
            select(Booking)
            .where(Booking.id == booking_id, Booking.user_id == user.id)
            .options(joinedload(Booking.resource).joinedload(Resource.location), joinedload(Booking.unit))
        )
    if booking is None:
        raise NotFound(N_("The booking %(id)s"), id=booking_id)
    return booking


class MyBookingPages(Controller):
    include_in_schema = False

    @get("/my/bookings", name="my-bookings")
    async def bookings(self, context: PageContextDep, user: UserDep) -> Template:
        return await bookings_page(context, user)

    @get("/bookings/{booking_id:int}", name="booking-link")
    async def booking_link(self, booking_id: FromPath[int]) -> Redirect:
        """Where the links in mails and calendar events lead: the booking in the person's list."""
        return Redirect(path=f"/my/bookings#booking-{booking_id}", status_code=303)

    @get("/my/bookings/{file_name:str}", name="my-booking-ics")
    async def calendar_file(
        self,
        request: AnyRequest,
        user: UserDep,
        db: DatabaseDep,
        settings: SettingsDep,
        file_name: FromPath[str],
    ) -> Response[bytes]:
        """One booking as an iCalendar file to add to a calendar; only for the person who booked it."""
        stem = feed_name(file_name)
        if stem is None or not stem.isdigit():
            raise NotFound(N_("The file %(name)s"), name=file_name)
        booking = await own_booking(db, int(stem), user)
        lang = page_language(request)
        calendar = new_calendar()
        calendar.add_component(new_event(booking_event(booking, lang, settings.base_url)))
        zone = ZoneInfo(booking.resource.location.timezone)
        name = download_name(
            pick(lang, booking.resource.name, booking.resource.name_en),
            booking.start_at.astimezone(zone).date(),
            fallback=f"booking-{booking.id}",
        )
        return Response(
            content=to_bytes(calendar),
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @get("/my/bookings/{booking_id:int}/check-in", name="my-booking-back")
    async def back_to_list(self, booking_id: FromPath[int]) -> Redirect:
        """Where signing in after a button pressed without a session comes back to: the list."""
        return Redirect(path=f"/my/bookings#booking-{booking_id}", status_code=303)

    @get("/my/bookings/{booking_id:int}/cancel", name="my-booking-cancel-confirm")
    async def confirm_cancel(
        self, context: PageContextDep, user: UserDep, booking_id: FromPath[int]
    ) -> Response[Any]:
        """The second step of cancelling: what will be cancelled, and a button that does it.
        A booking no longer upcoming is shown in the list instead."""
        upcoming, _ = await my_bookings(context.db, user, context.now)
        entries = [e for item in upcoming for e in (item.entries if isinstance(item, MySeries) else [item])]
        entry = next((e for e in entries if e.booking.id == booking_id), None)
        if entry is None:
            await own_booking(context.db, booking_id, user)
            return Redirect(path=f"/my/bookings#booking-{booking_id}", status_code=303)
        return context.render(
            "my/cancel.html", entry=entry, series=None, may_cancel=may_cancel_now(entry, context.now)
        )

    @get("/my/series/{series_id:int}/cancel", name="my-series-cancel-confirm")
    async def confirm_cancel_series(
        self, context: PageContextDep, user: UserDep, series_id: FromPath[int]
    ) -> Template | Redirect:
        series = await own_series(context, user, series_id)
        if series is None:
            return Redirect(path="/my/bookings", status_code=303)
        return context.render(
            "my/cancel.html", entry=None, series=series, may_cancel=bool(series.cancellable)
        )

    @post("/my/series/{series_id:int}/cancel", name="my-series-cancel")
    async def cancel_series(
        self, context: PageContextDep, user: UserDep, series_id: FromPath[int]
    ) -> Response[Any]:
        """Cancel every date of the series that may still be cancelled; the rest stay."""
        series = await own_series(context, user, series_id)
        if series is None or series.cancel_from is None:  # already done, or too late for all
            return see_other("/my/bookings")
        await service.cancel_series(
            context.db, series_id, actor=user, now=context.now, start_from=series.cancel_from
        )
        return see_other("/my/bookings", done="series_cancelled")

    @post("/my/bookings/{booking_id:int}/cancel", name="my-booking-cancel")
    async def cancel(
        self, context: PageContextDep, user: UserDep, booking_id: FromPath[int]
    ) -> Response[Any]:
        return await own_booking_changed(
            context,
            user,
            booking_id,
            lambda: service.cancel_booking(context.db, booking_id, actor=user, now=context.now, reason=None),
            done="cancelled",
        )

    @get("/my/bookings/{booking_id:int}/move", name="my-booking-move-form")
    async def move_form(self, context: PageContextDep, user: UserDep, booking_id: FromPath[int]) -> Template:
        """Another time for one's own booking, within the house rules (the unit is the system's choice)."""
        booking = await own_booking(context.db, booking_id, user)
        return await move_page(context, booking, Form(values=move_form_values(booking)))

    @post("/my/bookings/{booking_id:int}/move", name="my-booking-move")
    async def move(
        self,
        context: PageContextDep,
        user: UserDep,
        booking_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        lang = context.lang
        booking = await own_booking(context.db, booking_id, user)
        zone = ZoneInfo(booking.resource.location.timezone)
        form = Form(values={key: data.get(key, "") for key in ("date", "start", "end")})
        day = parsing.day(form, "date", lang, required=True)
        start = parsing.clock_time(form, "start", lang, required=True)
        end = parsing.clock_time(form, "end", lang, required=True)
        begins = ends = None
        if day is not None and start is not None and end is not None:
            begins = parsing.instant(form, "start", lang, day, start, zone)
            ends = parsing.instant(form, "end", lang, day, end, zone)
        if begins is not None and ends is not None and ends <= begins:
            form.add("end", message("end_before_start", lang))
        if form.has_errors or begins is None or ends is None:
            return await move_page(context, booking, form, status=422)
        try:
            await service.move_booking(
                context.db, booking_id, service.Move(start=begins, end=ends), actor=user, now=context.now
            )
        except RuleBroken as error:
            problem = await booking_refused(context.db, error.refusal, context.now)
            form.general = problem.detail(lang)
            return await move_page(context, booking, form, status=status_of(problem))
        except SlotTaken as taken:
            form.general = message("slot_taken", lang)
            found = await service.find_alternatives(
                context.db,
                booker=user,
                resource_slug=booking.resource.slug,
                wanted=taken.interval,
                now=context.now,
            )
            alternatives = [a for a in found if a.resource_slug == booking.resource.slug]
            return await move_page(context, booking, form, status=409, alternatives=alternatives)
        except LibraryError as problem:
            form.absorb(problem, lang, raising=(NotFound,))
            return await move_page(context, booking, form, status=status_of(problem))
        return see_other("/my/bookings", done="moved")

    @post("/my/bookings/{booking_id:int}/check-in", name="my-booking-check-in")
    async def check_in(
        self, context: PageContextDep, user: UserDep, booking_id: FromPath[int]
    ) -> Response[Any]:
        return await own_booking_changed(
            context,
            user,
            booking_id,
            lambda: service.check_in(context.db, booking_id, actor=user, now=context.now),
            done="checked_in",
        )


def move_form_values(booking: Booking) -> dict[str, str]:
    zone = ZoneInfo(booking.resource.location.timezone)
    start, end = booking.start_at.astimezone(zone), booking.end_at.astimezone(zone)
    return {"date": start.date().isoformat(), "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


async def move_page(
    context: PageContext,
    booking: Booking,
    form: Form,
    *,
    status: int = 200,
    alternatives: Sequence[Alternative] = (),
) -> Template:
    return context.render(
        "my/move.html",
        status=status,
        booking=booking,
        zone=ZoneInfo(booking.resource.location.timezone),
        form=form,
        alternatives=alternatives,
    )


async def own_series(context: PageContext, user: User, series_id: int) -> MySeries | None:
    """One of the person's series as the list shows it, None when none of its dates is still to
    come; someone else's (or none) is 'not found'."""
    async with context.db.read() as session:
        owner = await session.scalar(select(BookingSeries.user_id).where(BookingSeries.id == series_id))
    if owner is None or owner != user.id:
        raise NotFound(N_("The booking series %(id)s"), id=series_id)
    upcoming, _ = await my_bookings(context.db, user, context.now)
    return next((i for i in upcoming if isinstance(i, MySeries) and i.series_id == series_id), None)


async def own_booking_changed(
    context: PageContext,
    user: User,
    booking_id: int,
    change: Callable[[], Awaitable[object]],
    *,
    done: str,
) -> Response[Any]:
    """A button on one of the person's own bookings: back to the list with a notice, or the list
    again with the domain's sentence next to that booking."""
    await own_booking(context.db, booking_id, user)
    try:
        await change()
    except LibraryError as problem:
        errors = {booking_id: problem.detail(context.lang)}
        return await bookings_page(context, user, status=status_of(problem), errors=errors)
    return see_other("/my/bookings", done=done)
