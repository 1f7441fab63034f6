"""Staff endpoints for closures of several locations and what they touch (API.md, Desk and people).

Thin controllers: the work is in library.workshops.closures.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from library.api.bookings import BookingOut, booking_out
from library.api.inventory import (
    ExceptionIn,
    ExceptionOut,
    MovedOut,
    exception_out,
    exception_values,
)
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.viewer import UserDep, staff_only
from library.workshops import closures
from library.workshops.closures import Impact, TouchedSession

Slug = Annotated[str, msgspec.Meta(max_length=80)]


class ClosureIn(ExceptionIn, forbid_unknown_fields=True):
    locations: Annotated[list[Slug], msgspec.Meta(max_length=200)] | Literal["all"] = msgspec.field(
        default_factory=list
    )
    resolve: Literal["keep", "move", "cancel"] = "keep"
    # What happens to workshop sessions on the closed days: "keep" lists them (move each one
    # with PATCH /api/v1/workshop-sessions/{id}), "cancel" cancels each with a mail to everyone registered.
    sessions: Literal["keep", "cancel"] = "keep"


class TouchedSessionOut(msgspec.Struct):
    id: int
    workshop: str
    title: str
    title_en: str | None
    room: str
    start: datetime
    end: datetime
    participants: int
    waitlisted: int
    cancelled: bool


class ImpactOut(msgspec.Struct):
    bookings: list[BookingOut]
    sessions: list[TouchedSessionOut]


class LocatedExceptionOut(ExceptionOut):
    location: str


class ClosureOut(msgspec.Struct):
    exceptions: list[LocatedExceptionOut]
    affected_bookings: list[BookingOut]
    moved: list[MovedOut]
    cancelled: list[int]
    kept: list[int]
    sessions: list[TouchedSessionOut]
    reason: str


def session_out(touched: TouchedSession, zone: ZoneInfo) -> TouchedSessionOut:
    session = touched.session
    return TouchedSessionOut(
        id=session.id,
        workshop=session.workshop.slug,
        title=session.workshop.title,
        title_en=session.workshop.title_en,
        room=session.resource.slug,
        start=session.start_at.astimezone(zone),
        end=session.end_at.astimezone(zone),
        participants=touched.participants,
        waitlisted=touched.waitlisted,
        cancelled=touched.cancelled,
    )


def impact_out(impact: Impact, zone: ZoneInfo) -> ImpactOut:
    return ImpactOut(
        bookings=[booking_out(b, zone) for b in impact.bookings],
        sessions=[session_out(s, zone) for s in impact.sessions],
    )


class ClosuresController(Controller):
    path = "/api/v1"
    tags = ("inventory",)
    guards = (staff_only,)

    @get(
        "/locations/{slug:str}/exceptions/impact",
        summary="Staff: what a closure on those dates would touch (bookings and sessions)",
    )
    async def impact(
        self,
        slug: FromPath[str],
        date_from: FromQuery[date],
        date_to: FromQuery[date],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> ImpactOut:
        found = await closures.closure_impact(
            db, [slug], date_from=date_from, date_to=date_to, now=clock.now()
        )
        return impact_out(found, settings.zone)

    @post(
        "/exceptions",
        summary="Staff: one closure or special hours for several or all locations, with what it touches",
        status_code=201,
    )
    async def close(
        self,
        data: JSONBody[ClosureIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> ClosureOut:
        closure = await closures.close_locations(
            db,
            data.locations,
            **exception_values(data),
            resolve=data.resolve,
            sessions=data.sessions,
            actor=user,
            now=clock.now(),
        )
        zone = settings.zone
        resolved = closure.resolved
        return ClosureOut(
            exceptions=[
                LocatedExceptionOut(**msgspec.structs.asdict(exception_out(e)), location=slug)
                for slug, e in closure.exceptions
            ],
            affected_bookings=[booking_out(b, zone) for b in closure.impact.bookings],
            moved=[MovedOut(b.id, unit) for b, unit in resolved.moved],
            cancelled=[b.id for b in resolved.cancelled],
            kept=[b.id for b in resolved.kept],
            sessions=[session_out(s, zone) for s in closure.impact.sessions],
            reason=data.reason,
        )
