"""Bookings: availability, the day overview, booking and the booking lifecycle."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select

from library import texts
from library.accounts.models import User
from library.accounts.service import normalise_email
from library.accounts.verification import ensure_email_verified
from library.api.common import Limit, Offset, Page, RowId, checked_range, language, page_of
from library.booking import queries, service
from library.booking.alternatives import Alternative
from library.booking.availability import free_and_busy_on, units_free_per_day
from library.booking.catalogue import current_catalogue
from library.booking.intervals import Interval
from library.booking.models import Booking, BookingStatus
from library.booking.queries import load_occupations
from library.booking.series import Repeat
from library.booking.service import NewBooking, RuleBroken, SlotTaken
from library.catalog.hours import local_instant
from library.catalog.models import Factor, ResourceKind
from library.config import Settings
from library.errors import Conflict, InvalidInput, NotAllowed
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.refusals import booking_refused
from library.http.viewer import UserDep, staff_only
from library.i18n import pick
from library.stats.demand import book_counting_refusals

Instant = Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339 with an offset")]


class UnitRef(msgspec.Struct):
    id: int
    label: str


class UserRef(msgspec.Struct):
    id: int
    name: str


class BookingOut(msgspec.Struct, omit_defaults=True):
    id: int
    resource: str
    unit: UnitRef
    start: datetime
    end: datetime
    status: BookingStatus
    created_at: datetime
    user: UserRef | None = None
    series_id: int | None = None
    checked_in_at: datetime | None = None
    note: str = ""


class RepeatIn(msgspec.Struct, forbid_unknown_fields=True):
    freq: Literal["daily", "weekly"]
    interval: Annotated[int, msgspec.Meta(ge=1, le=52)] = 1
    count: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    until: date | None = None
    skip_conflicts: bool = False


class BookingIn(msgspec.Struct, forbid_unknown_fields=True):
    resource: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    start: Instant
    end: Instant
    note: Annotated[str, texts.note(2000)] = ""
    participants: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    repeat: RepeatIn | None = None
    for_user: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    override_reason: Annotated[str, texts.line(500, min_length=1)] | None = None


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, texts.line(500)] | None = None
    series: Literal["this", "following"] = "this"


class MoveIn(msgspec.Struct, forbid_unknown_fields=True):
    """What changes; what is left out stays. Owners change the time only; staff give a reason."""

    start: Instant | None = None
    end: Instant | None = None
    resource: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | None = None
    unit: int | None = None
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class SeriesCancelIn(msgspec.Struct, forbid_unknown_fields=True):
    from_: Instant | None = msgspec.field(default=None, name="from")
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class SeriesCancelOut(msgspec.Struct):
    cancelled: list[int]


class SkippedOut(msgspec.Struct):
    start: datetime
    end: datetime
    code: str


class SeriesOut(msgspec.Struct):
    series_id: int
    bookings: list[BookingOut]
    skipped: list[SkippedOut]


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class FreeOut(msgspec.Struct):
    start: datetime
    end: datetime
    units_free: int


class BusyOut(msgspec.Struct):
    start: datetime
    end: datetime
    units_busy: int


class DayFreeOut(msgspec.Struct):
    date: date
    free: list[FreeOut]


class AvailabilityOut(msgspec.Struct):
    resource: str
    slot_minutes: int
    days: list[DayFreeOut]


class DayResourceOut(msgspec.Struct):
    slug: str
    name: str
    kind: ResourceKind
    factor: Factor
    unit_count: int
    slot_minutes: int
    busy: list[BusyOut]
    free: list[FreeOut]


class DayOverviewOut(msgspec.Struct):
    location: str
    date: date
    resources: list[DayResourceOut]


class AlternativeOut(msgspec.Struct):
    resource: str
    start: datetime
    end: datetime


def booking_out(booking: Booking, zone: ZoneInfo) -> BookingOut:
    """A booking loaded with its resource, unit and person."""
    return booking_parts_out(
        booking, zone, booking.resource.slug, booking.unit.label, booking.user if booking.user else None
    )


def booking_parts_out(
    booking: Booking, zone: ZoneInfo, resource_slug: str, unit_label: str, person: User | None
) -> BookingOut:
    """A booking whose resource, unit label and person the caller already has in hand."""
    return BookingOut(
        id=booking.id,
        resource=resource_slug,
        unit=UnitRef(booking.unit_id, unit_label),
        start=booking.start_at.astimezone(zone),
        end=booking.end_at.astimezone(zone),
        status=booking.status,
        created_at=booking.created_at.astimezone(zone),
        user=UserRef(person.id, person.name) if person else None,
        series_id=booking.series_id,
        checked_in_at=booking.checked_in_at.astimezone(zone) if booking.checked_in_at else None,
        note=booking.note,
    )


MAX_CONFLICTS_WITH_ALTERNATIVES = 10


def alternatives_out(alternatives: list[Alternative], zone: ZoneInfo) -> list[dict[str, str]]:
    return [
        {
            "resource": a.resource_slug,
            "start": a.interval.start.astimezone(zone).isoformat(),
            "end": a.interval.end.astimezone(zone).isoformat(),
        }
        for a in alternatives
    ]


class BookingsController(Controller):
    path = "/api/v1"
    tags = ("bookings",)

    @get("/resources/{slug:str}/availability", summary="Free intervals per day, with free units")
    async def availability(
        self,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        slug: FromPath[str],
        date_from: Annotated[date | None, QueryParameter(name="from", description="First local date")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to", description="Last local date")] = None,
    ) -> AvailabilityOut:
        now = clock.now()
        first = date_from or now.astimezone(settings.zone).date()
        first, last = checked_range(first, date_to or first + timedelta(days=6), max_days=62)
        async with db.read() as session:  # two statements: the catalogue's counter, the occupations
            place = await (await current_catalogue(session)).location_of(session, slug)
            facts, hours = place.resource(slug), place.hours
            window = Interval(service.day_of(first, hours).start, service.day_of(last, hours).end)
            occupations = await load_occupations(session, [facts.id], window.start, window.end)
        days = units_free_per_day(service.free_per_unit_between(facts, hours, first, last, occupations, now))
        zone = hours.zone
        return AvailabilityOut(
            resource=facts.slug,
            slot_minutes=facts.policy.slot_minutes,
            days=[
                DayFreeOut(
                    d.day,
                    [FreeOut(f.start.astimezone(zone), f.end.astimezone(zone), f.units) for f in d.free],
                )
                for d in days
            ],
        )

    @get("/locations/{slug:str}/day", summary="Every resource of a location with its busy and free times")
    async def day_overview(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        slug: FromPath[str],
        day: Annotated[
            date | None, QueryParameter(name="date", description="Local date, default today")
        ] = None,
        kind: FromQuery[ResourceKind | None] = None,
        factor: FromQuery[Factor | None] = None,
    ) -> DayOverviewOut:
        lang = language(request)
        now = clock.now()
        async with db.read() as session:  # two statements: the catalogue's counter, the occupations
            place = await (await current_catalogue(session)).location_named(session, slug)
            hours, zone = place.hours, place.hours.zone
            the_day = day or now.astimezone(zone).date()
            facts = [
                f
                for f in place.resources
                if f.active and kind in (None, f.kind) and factor in (None, f.factor)
            ]
            span = service.day_of(the_day, hours)
            occupations = await load_occupations(session, [f.id for f in facts], span.start, span.end)
        tallies = free_and_busy_on(
            hours.day(the_day), zone, [(f.policy, f.needs_staff, f.unit_ids) for f in facts], occupations, now
        )
        resources = []
        for fact, (free, busy) in zip(facts, tallies, strict=True):
            resources.append(
                DayResourceOut(
                    slug=fact.slug,
                    name=pick(lang, fact.name, fact.name_en),
                    kind=ResourceKind(fact.kind),
                    factor=Factor(fact.factor),
                    unit_count=len(fact.unit_ids),
                    slot_minutes=fact.policy.slot_minutes,
                    busy=[BusyOut(b.start.astimezone(zone), b.end.astimezone(zone), b.units) for b in busy],
                    free=[FreeOut(f.start.astimezone(zone), f.end.astimezone(zone), f.units) for f in free],
                )
            )
        return DayOverviewOut(location=slug, date=the_day, resources=resources)

    @post("/bookings", summary="Book a resource (or a series)", status_code=201)
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[BookingIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> BookingOut | SeriesOut:
        ensure_email_verified(user, required=settings.verify_email)
        now = clock.now()
        if data.end <= data.start:
            raise InvalidInput("end_before_start", "end")
        booker = await service.booker_for(db, user, data.for_user)
        if data.override_reason is not None and not user.role.is_staff:
            raise NotAllowed("forbidden")
        new = NewBooking(
            resource_slug=data.resource,
            start=data.start,
            end=data.end,
            note=data.note,
            participants=data.participants,
            override_reason=data.override_reason,
        )
        if data.repeat is not None:
            return await self._series(
                db, new, data.repeat, booker=booker, actor=user, now=now, settings=settings
            )
        try:
            booked = await book_counting_refusals(db, new, booker=booker, actor=user, now=now)
        except RuleBroken as error:
            raise await booking_refused(db, error.refusal, now) from error
        except SlotTaken as taken:
            alternatives = await service.find_alternatives(
                db, booker=booker, resource_slug=data.resource, wanted=taken.interval, now=now
            )
            raise Conflict(
                "slot_taken", extra={"alternatives": alternatives_out(alternatives, settings.zone)}
            ) from taken
        # Built from what the booking engine already has: no second round trip to the database.
        return booking_parts_out(booked.booking, settings.zone, data.resource, booked.unit_label, booker)

    async def _series(
        self,
        db: DatabaseDep,
        new: NewBooking,
        repeat: RepeatIn,
        *,
        booker: User,
        actor: User,
        now: datetime,
        settings: Settings,
    ) -> SeriesOut:
        if repeat.count is not None and repeat.until is not None:
            raise InvalidInput("invalid_input", "repeat")
        zone = settings.zone
        try:
            outcome = await service.create_series(
                db,
                new,
                Repeat(repeat.freq, repeat.interval, repeat.count, repeat.until),
                skip_conflicts=repeat.skip_conflicts,
                booker=booker,
                actor=actor,
                now=now,
            )
        except RuleBroken as error:
            raise await booking_refused(db, error.refusal, now) from error
        except service.SeriesRefused as refusal:
            conflicts = []
            for number, skipped in enumerate(refusal.skipped):
                found = []
                if skipped.code == "slot_taken" and number < MAX_CONFLICTS_WITH_ALTERNATIVES:
                    found = await service.find_alternatives(
                        db, booker=booker, resource_slug=new.resource_slug, wanted=skipped.interval, now=now
                    )
                conflicts.append(
                    {
                        "start": skipped.interval.start.astimezone(zone).isoformat(),
                        "end": skipped.interval.end.astimezone(zone).isoformat(),
                        "code": skipped.code,
                        "alternatives": alternatives_out(found, zone),
                    }
                )
            raise Conflict("series_conflicts", extra={"conflicts": conflicts}) from refusal
        async with db.read() as session:
            bookings = [await service.get_booking(session, b.id, actor) for b in outcome.bookings]
        return SeriesOut(
            series_id=outcome.series_id,
            bookings=[booking_out(b, zone) for b in bookings],
            skipped=[
                SkippedOut(s.interval.start.astimezone(zone), s.interval.end.astimezone(zone), s.code)
                for s in outcome.skipped
            ],
        )

    async def _out(self, db: DatabaseDep, booking_id: int, viewer: User, settings: Settings) -> BookingOut:
        async with db.read() as session:
            booking = await service.get_booking(session, booking_id, viewer)
        return booking_out(booking, settings.zone)

    @get("/bookings", summary="The caller's bookings; staff see all")
    async def list_bookings(
        self,
        request: Request[Any, Any, Any],
        user: UserDep,
        db: DatabaseDep,
        settings: SettingsDep,
        date_from: Annotated[date | None, QueryParameter(name="from", description="First local date")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to", description="Last local date")] = None,
        status: FromQuery[BookingStatus | None] = None,
        resource: Annotated[str | None, QueryParameter(max_length=80)] = None,
        for_user: Annotated[
            str | None, QueryParameter(name="user", max_length=254, description="Staff: id or e-mail")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[BookingOut]:
        zone = settings.zone
        owner_id = None if user.role.is_staff else user.id
        if for_user is not None and not user.role.is_staff:
            raise NotAllowed("forbidden")
        after = local_instant(date_from, time(0), zone) if date_from is not None else None
        before = local_instant(date_to + timedelta(days=1), time(0), zone) if date_to is not None else None
        async with db.read() as session:
            if for_user is not None:
                owner_id = await session.scalar(
                    select(User.id).where(
                        User.id == int(for_user)
                        if for_user.isdigit()
                        else User.email == normalise_email(for_user)
                    )
                )
                if owner_id is None:
                    raise InvalidInput("unknown_user", "user", source="query")
            rows = await queries.list_bookings(
                session,
                owner_id=owner_id,
                after=after,
                before=before,
                status=status,
                resource_slug=resource,
                limit=limit + 1,
                offset=offset,
            )
        return page_of(request, rows, lambda b: booking_out(b, zone), limit=limit, offset=offset)

    @get("/bookings/{booking_id:int}", summary="One booking")
    async def get_one(
        self, booking_id: RowId, user: UserDep, db: DatabaseDep, settings: SettingsDep
    ) -> BookingOut:
        return await self._out(db, booking_id, user, settings)

    @post("/bookings/{booking_id:int}/cancel", summary="Cancel a booking", status_code=200)
    async def cancel(
        self,
        booking_id: RowId,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        data: JSONBody[CancelIn | None] = None,
    ) -> BookingOut:
        choice = data or CancelIn()
        await service.cancel_booking(
            db,
            booking_id,
            actor=user,
            now=clock.now(),
            reason=choice.reason,
            following=choice.series == "following",
        )
        return await self._out(db, booking_id, user, settings)

    @patch("/bookings/{booking_id:int}", summary="Move a booking to another time, unit or resource")
    async def move(
        self,
        booking_id: RowId,
        data: JSONBody[MoveIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> BookingOut:
        """The owner within the house rules (time only), staff anywhere free with a reason; 409
        `slot_taken` with alternatives; the person gets a mail with an updated calendar entry."""
        now = clock.now()
        change = service.Move(
            start=data.start, end=data.end, resource_slug=data.resource, unit_id=data.unit, reason=data.reason
        )
        try:
            booking = await service.move_booking(db, booking_id, change, actor=user, now=now)
        except RuleBroken as error:
            raise await booking_refused(db, error.refusal, now) from error
        except SlotTaken as taken:
            async with db.read() as session:
                moving = await service.get_booking(session, booking_id, user)
            owner = moving.user or user
            alternatives = await service.find_alternatives(
                db,
                booker=owner,
                resource_slug=data.resource or moving.resource.slug,
                wanted=taken.interval,
                now=now,
            )
            raise Conflict(
                "slot_taken", extra={"alternatives": alternatives_out(alternatives, settings.zone)}
            ) from taken
        return booking_out(booking, settings.zone)

    @post(
        "/bookings/{booking_id:int}/undo-check-in",
        summary="Take a check-in back within ten minutes",
        status_code=200,
    )
    async def undo_check_in(
        self, booking_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> BookingOut:
        await service.undo_check_in(db, booking_id, actor=user, now=clock.now())
        return await self._out(db, booking_id, user, settings)

    @post(
        "/booking-series/{series_id:int}/cancel",
        summary="Cancel a series from a moment on (default now)",
        status_code=200,
    )
    async def cancel_series(
        self,
        series_id: RowId,
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        data: JSONBody[SeriesCancelIn | None] = None,
    ) -> SeriesCancelOut:
        choice = data or SeriesCancelIn()
        cancelled = await service.cancel_series(
            db, series_id, actor=user, now=clock.now(), start_from=choice.from_, reason=choice.reason
        )
        return SeriesCancelOut(cancelled)

    @post("/bookings/{booking_id:int}/check-in", summary="Check in to a booking", status_code=200)
    async def check_in(
        self, booking_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> BookingOut:
        await service.check_in(db, booking_id, actor=user, now=clock.now())
        return await self._out(db, booking_id, user, settings)

    @post(
        "/bookings/{booking_id:int}/approve",
        summary="Staff: approve a pending booking",
        status_code=200,
        guards=[staff_only],
    )
    async def approve(
        self, booking_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
    ) -> BookingOut:
        await service.decide_booking(
            db,
            booking_id,
            approve=True,
            actor=user,
            now=clock.now(),
            reason=None,
        )
        return await self._out(db, booking_id, user, settings)

    @post(
        "/bookings/{booking_id:int}/reject",
        summary="Staff: reject a pending booking",
        status_code=200,
        guards=[staff_only],
    )
    async def reject(
        self,
        booking_id: RowId,
        data: JSONBody[RejectIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> BookingOut:
        await service.decide_booking(
            db,
            booking_id,
            approve=False,
            actor=user,
            now=clock.now(),
            reason=data.reason,
        )
        return await self._out(db, booking_id, user, settings)
