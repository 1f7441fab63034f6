"""Holds: waiting for a slot of a resource, and answering the offer of a freed one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody

from library.accounts.verification import ensure_email_verified
from library.api.bookings import BookingOut, Instant, booking_out
from library.api.common import Limit, Offset, Page, RowId, page_of
from library.api.loans import LoanOut, loan_out
from library.booking import hold_service
from library.booking.holds import HoldView, list_holds
from library.booking.lending import DAY_MINUTES
from library.booking.models import HoldStatus, Loan
from library.booking.service import RuleBroken
from library.catalog.limits import POLICY_LIMITS
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.refusals import booking_refused
from library.http.viewer import UserDep

MAX_HOLD_MINUTES = POLICY_LIMITS["loan_days"][1] * DAY_MINUTES
"""A day for a time slot; for a thing lent for days, its longest loan."""


class HoldIn(msgspec.Struct, forbid_unknown_fields=True):
    resource: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    from_: Instant = msgspec.field(name="from")
    to: Instant
    minutes: Annotated[int, msgspec.Meta(ge=1, le=MAX_HOLD_MINUTES)] | None = None


class OfferOut(msgspec.Struct):
    start: datetime
    end: datetime
    unit: str


class HoldOut(msgspec.Struct, omit_defaults=True):
    id: int
    resource: str
    from_: datetime = msgspec.field(name="from")
    to: datetime
    minutes: int
    status: HoldStatus
    created_at: datetime
    position: int | None = None
    offer_until: datetime | None = None
    offer: OfferOut | None = None
    booking_id: int | None = None


def hold_out(view: HoldView, zone: ZoneInfo) -> HoldOut:
    """A hold loaded with its resource and offer: the slot while offered, the booking once booked."""
    hold, offer = view.hold, view.hold.offer
    offered = hold.status is HoldStatus.OFFERED and offer is not None
    return HoldOut(
        id=hold.id,
        resource=hold.resource.slug,
        from_=hold.window_start.astimezone(zone),
        to=hold.window_end.astimezone(zone),
        minutes=hold.minutes,
        status=hold.status,
        created_at=hold.created_at.astimezone(zone),
        position=view.position,
        offer_until=hold.offer_until.astimezone(zone) if offered and hold.offer_until else None,
        offer=OfferOut(offer.start_at.astimezone(zone), offer.end_at.astimezone(zone), offer.unit.label)
        if offered and offer is not None
        else None,
        booking_id=hold.offer_booking_id if hold.status is HoldStatus.BOOKED else None,
    )


class HoldsController(Controller):
    path = "/api/v1/holds"
    tags = ("holds",)

    @post("/", summary="Wait for a unit of a resource to free up in a window", status_code=201)
    async def create(
        self, data: JSONBody[HoldIn], user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> HoldOut:
        """201 `{id, status: "waiting", position}`. For a thing lent for days (`kind: "loan"`)
        `minutes` is the loan's length in whole days (due day minus pickup day, as `loan_days`
        counts; default `loan_days`), and the whole loan lies within the window's local days."""
        ensure_email_verified(user, required=settings.verify_email)
        request = hold_service.HoldRequest(data.resource, data.from_, data.to, data.minutes)
        view = await hold_service.place_hold(db, request, person=user, now=clock.now())
        async with db.read() as session:
            (loaded,) = await list_holds(session, user.id, hold_id=view.hold.id)
        return hold_out(loaded, settings.zone)

    @get("/", summary="The caller's holds, newest first, with status and position")
    async def mine(
        self,
        request: Request[Any, Any, Any],
        user: UserDep,
        db: DatabaseDep,
        settings: SettingsDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[HoldOut]:
        async with db.read() as session:
            rows = await list_holds(session, user.id, limit=limit + 1, offset=offset)
        return page_of(request, rows, lambda v: hold_out(v, settings.zone), limit=limit, offset=offset)

    @post("/{hold_id:int}/accept", summary="Book the slot offered on a hold", status_code=201)
    async def accept(
        self, hold_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> BookingOut | LoanOut:
        """201 the booking, or for a thing lent for days the loan reserved for pickup; 409
        `not_offered` before an offer, `offer_expired` after its deadline (the offer has then
        passed to the next person); a house rule about the person says why."""
        now = clock.now()
        try:
            taken = await hold_service.accept_offer(db, hold_id, person=user, now=now)
        except RuleBroken as error:
            raise await booking_refused(db, error.refusal, now) from error
        if isinstance(taken, Loan):
            return loan_out(taken, settings, now.astimezone(settings.zone).date())
        return booking_out(taken, settings.zone)

    @post(
        "/{hold_id:int}/cancel",
        summary="Stop waiting, or decline the offered slot (it passes to the next person at once)",
        status_code=200,
    )
    async def cancel(
        self, hold_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> HoldOut:
        await hold_service.cancel_hold(db, hold_id, person=user, now=clock.now())
        async with db.read() as session:
            (loaded,) = await list_holds(session, user.id, hold_id=hold_id)
        return hold_out(loaded, settings.zone)
