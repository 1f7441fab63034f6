"""Today at the desk: arrivals, check-ins due now, pending approvals, no-shows and blocked units
of one location, each booking with one-click actions (the booking service's, as the API's)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody

from library.accounts.models import User
from library.booking import desk, service
from library.errors import LibraryError, NotAllowed, NotFound, NotSignedIn
from library.http.problems import status_of
from library.http.viewer import staff_only
from library.i18n import N_, format_span, pick, translate
from library.web.common import PageContext, PageContextDep, confirm_page, confirmed, safe_next, see_other
from library.web.staff_grid import booking_page, move_from_form

NOTICES = {
    "checked_in": N_("The booking was checked in."),
    "approved": N_("The booking was approved. The visitor gets an e-mail."),
    "rejected": N_("The booking was rejected. The visitor gets an e-mail."),
    "cancelled": N_("The booking was cancelled."),
    "check_in_undone": N_("The check-in was taken back; the booking is confirmed again."),
}

MAX_REASON = 500


async def desk_page(
    context: PageContext,
    location_slug: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response[Any]:
    async with context.db.read() as session:
        locations = await desk.desk_locations(session)
        chosen = next(
            (loc for loc in locations if loc.slug == location_slug), locations[0] if locations else None
        )
        today = await desk.load_desk(session, chosen, context.now) if chosen is not None else None
    return context.render(
        "staff/desk.html",
        status=status,
        locations=locations,
        today=today,
        error=error,
        notice=None if error else context.notice(NOTICES),
        base_url=context.settings.base_url.rstrip("/"),
    )


CONFIRM_TEXTS = {
    "cancel": (
        N_("Cancel this booking?"),
        N_("Yes, cancel the booking"),
        N_("The unit becomes free again. The visitor gets an e-mail."),
    ),
    "reject": (
        N_("Reject this booking request?"),
        N_("Yes, reject the request"),
        N_("The visitor gets an e-mail with the reason."),
    ),
}


async def confirm_booking_action(
    context: PageContext, user: User, booking_id: int, action: str, data: dict[str, str]
) -> Response[Any]:
    """The second step of cancelling or rejecting: the booking, what will happen, the buttons."""
    lang = context.lang
    async with context.db.read() as session:
        booking = await service.get_booking(session, booking_id, user)
    zone = context.settings.zone
    heading, yes, consequence = (translate(lang, text) for text in CONFIRM_TEXTS[action])
    person = booking.user.name if booking.user else translate(lang, N_("Workshop"))
    return confirm_page(
        context,
        data,
        action=f"/staff/bookings/{booking_id}/{action}",
        heading=heading,
        subject=f"{pick(lang, booking.resource.name, booking.resource.name_en)}: {booking.unit.label}",
        details=f"{format_span(booking.start_at, booking.end_at, lang, zone)} · {person}",
        consequence=translate(lang, consequence),
        yes=yes,
        no=translate(lang, N_("No, keep it")),
        back=data.get("back") or "/staff",
        reason_field="reason",
    )


class StaffDeskPages(Controller):
    include_in_schema = False
    guards = (staff_only,)

    @get("/staff", name="staff-desk")
    async def desk(self, context: PageContextDep, location: FromQuery[str] = "") -> Response[Any]:
        return await desk_page(context, location)

    @post("/staff/bookings/{booking_id:int}/{action:str}", name="staff-booking-action")
    async def act(
        self,
        context: PageContextDep,
        user: NamedDependency[User],
        booking_id: FromPath[int],
        action: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        """Check in, approve, reject or cancel; back to the page of the form (`back`) with a notice.

        When the booking service says no (e.g. approved a moment ago by someone else), the desk
        shows its sentence.
        """
        now = context.now
        reason = data.get("reason", "").strip()[:MAX_REASON] or None
        back_path, _, back_query = safe_next(data.get("back") or "/staff").partition("?")
        back = {key: value for key, value in parse_qsl(back_query) if key != "done"}
        if action in CONFIRM_TEXTS and not confirmed(data):
            return await confirm_booking_action(context, user, booking_id, action, data)
        if action == "move":
            return await move_from_form(context, user, booking_id, data)
        try:
            if action == "check-in":
                await service.check_in(context.db, booking_id, actor=user, now=now)
                done = "checked_in"
            elif action in ("approve", "reject"):
                await service.decide_booking(
                    context.db,
                    booking_id,
                    approve=action == "approve",
                    actor=user,
                    now=now,
                    reason=reason,
                )
                done = "approved" if action == "approve" else "rejected"
            elif action == "undo-check-in":
                await service.undo_check_in(context.db, booking_id, actor=user, now=now)
                done = "check_in_undone"
            elif action == "cancel":
                await service.cancel_booking(context.db, booking_id, actor=user, now=now, reason=reason)
                done = "cancelled"
            else:
                raise NotFound(N_("The page"))
        except LibraryError as problem:
            if isinstance(problem, (NotSignedIn, NotAllowed, NotFound)):
                raise
            if back_path == f"/staff/bookings/{booking_id}":
                return await booking_page(
                    context, user, booking_id, error=problem.detail(context.lang), status=status_of(problem)
                )
            return await desk_page(
                context,
                back.get("location", ""),
                error=problem.detail(context.lang),
                status=status_of(problem),
            )
        return see_other(back_path, done=done, **back)
