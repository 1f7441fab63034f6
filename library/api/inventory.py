"""Staff endpoints for the inventory and the house rules (API.md, Inventory and house rules).

Thin controllers: the work and its checks are in library.catalog.inventory, and where
bookings are concerned in library.booking.units.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from library import texts
from library.api.bookings import BookingOut, Instant, booking_out
from library.api.common import RowId
from library.booking import units
from library.booking.defects import UnitState, unit_state
from library.catalog import inventory
from library.catalog.hours import Period, WeeklyPeriod
from library.catalog.models import (
    OpeningException,
    OpeningPeriod,
    Resource,
    Unit,
    UnitCondition,
    UnitStatus,
)
from library.catalog.resource_input import UNSET, InventoryNumber, Label, SerialNumber, UnitIn, given
from library.errors import Conflict, NotFound
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.viewer import UserDep, staff_only
from library.i18n import N_
from library.stats.usage import Usage, usage_of

ClockTime = Annotated[str, msgspec.Meta(description="Local wall-clock time HH:MM", examples=["09:30"])]
Reason = Annotated[str, texts.line(300, min_length=1)]


class UnitPatchIn(msgspec.Struct, forbid_unknown_fields=True):
    label: Label | msgspec.UnsetType = UNSET
    label_en: Label | msgspec.UnsetType | None = UNSET
    inventory_number: InventoryNumber | msgspec.UnsetType | None = UNSET
    serial_number: SerialNumber | msgspec.UnsetType | None = UNSET
    condition: UnitCondition | msgspec.UnsetType = UNSET
    status: UnitStatus | msgspec.UnsetType = UNSET
    force: bool = False


class UnitDetailOut(msgspec.Struct, omit_defaults=True):
    id: int
    label: str
    label_en: str | None
    inventory_number: str | None
    serial_number: str | None
    condition: UnitCondition
    status: UnitStatus
    # Only after a forced retirement: the upcoming bookings that staff still have to handle.
    bookings: list[BookingOut] = []


class WeeklyHoursIn(msgspec.Struct, forbid_unknown_fields=True):
    weekday: Annotated[int, msgspec.Meta(description="1 = Monday … 7 = Sunday")]
    start: ClockTime
    end: ClockTime
    staffed: bool = True


class WeeklyHoursOut(msgspec.Struct):
    weekday: int
    start: str
    end: str
    staffed: bool


class PeriodIn(msgspec.Struct, forbid_unknown_fields=True):
    start: ClockTime
    end: ClockTime
    staffed: bool = True


class PeriodOut(msgspec.Struct):
    start: str
    end: str
    staffed: bool


class ExceptionIn(msgspec.Struct, forbid_unknown_fields=True):
    date_from: date
    date_to: date
    closed: bool
    reason: Reason
    periods: Annotated[list[PeriodIn], msgspec.Meta(max_length=24)] = []
    reason_en: Reason | None = None


class ExceptionOut(msgspec.Struct):
    id: int
    date_from: date
    date_to: date
    closed: bool
    periods: list[PeriodOut]
    reason: str
    reason_en: str | None


class BlockIn(msgspec.Struct, forbid_unknown_fields=True):
    start: Instant
    end: Instant
    reason: Reason
    resolve: Literal["keep", "move", "cancel"] = "keep"


class MovedOut(msgspec.Struct):
    booking: int
    unit: int


class BlockOut(msgspec.Struct):
    id: int
    unit: int
    start: datetime
    end: datetime
    reason: str
    affected_bookings: list[BookingOut]
    moved: list[MovedOut]
    cancelled: list[int]
    kept: list[int]


class UsageOut(msgspec.Struct):
    hours: float
    bookings: int
    since_service: int | None
    serviced_at: datetime | None


class UnitViewOut(msgspec.Struct):
    id: int
    resource: str
    label: str
    code: str
    inventory_number: str | None
    serial_number: str | None
    condition: str
    status: UnitStatus
    state: UnitState
    usage: UsageOut


def usage_out(usage: Usage) -> UsageOut:
    return UsageOut(usage.hours, usage.bookings, usage.since_service, usage.serviced_at)


def unit_out(unit: Unit, bookings: list[BookingOut] | None = None) -> UnitDetailOut:
    return UnitDetailOut(
        id=unit.id,
        label=unit.label,
        label_en=unit.label_en,
        inventory_number=unit.inventory_number,
        serial_number=unit.serial_number,
        condition=unit.condition,
        status=unit.status,
        bookings=bookings or [],
    )


def period_out(start: time, end: time, staffed: bool) -> PeriodOut:
    return PeriodOut(f"{start:%H:%M}", f"{end:%H:%M}", staffed)


def weekly_out(rows: list[OpeningPeriod]) -> list[WeeklyHoursOut]:
    return [
        WeeklyHoursOut(r.weekday, f"{r.start_time:%H:%M}", f"{r.end_time:%H:%M}", r.staffed) for r in rows
    ]


def exception_out(exception: OpeningException) -> ExceptionOut:
    return ExceptionOut(
        id=exception.id,
        date_from=exception.date_from,
        date_to=exception.date_to,
        closed=exception.closed,
        periods=[period_out(p.start_time, p.end_time, p.staffed) for p in exception.periods],
        reason=exception.reason,
        reason_en=exception.reason_en,
    )


def exception_values(data: ExceptionIn) -> dict[str, Any]:
    """An exception's body as the inventory service takes it; a wrong time names its period."""
    return {
        "date_from": data.date_from,
        "date_to": data.date_to,
        "closed": data.closed,
        "periods": [
            Period(
                inventory.clock_time(p.start, f"periods[{index}].start"),
                inventory.clock_time(p.end, f"periods[{index}].end"),
                p.staffed,
            )
            for index, p in enumerate(data.periods)
        ],
        "reason": data.reason,
        "reason_en": data.reason_en,
    }


class InventoryController(Controller):
    path = "/api/v1"
    tags = ("inventory",)
    guards = (staff_only,)

    @post("/resources/{slug:str}/units", summary="Staff: add a unit to a resource", status_code=201)
    async def add_unit(
        self, slug: FromPath[str], data: JSONBody[UnitIn], user: UserDep, db: DatabaseDep, clock: ClockDep
    ) -> UnitDetailOut:
        unit = await inventory.add_unit(db, slug, data.spec(), actor=user, now=clock.now())
        return unit_out(unit)

    @patch("/units/{unit_id:int}", summary="Staff: rename, assess or retire a unit")
    async def update_unit(
        self,
        unit_id: RowId,
        data: JSONBody[UnitPatchIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> UnitDetailOut:
        changes = given(data)
        force = changes.pop("force")
        try:
            unit, kept = await units.update_unit(
                db, unit_id, changes, force=force, actor=user, now=clock.now()
            )
        except units.UnitHasBookings as stranded:
            raise Conflict(
                "unit_has_bookings",
                count=len(stranded.bookings),
                extra={
                    "bookings": msgspec.to_builtins(
                        [booking_out(b, settings.zone) for b in stranded.bookings]
                    )
                },
            ) from stranded
        return unit_out(unit, [booking_out(b, settings.zone) for b in kept])

    @get(
        "/units/{unit_id:int}",
        summary="Staff: a unit with its state and usage since its last service",
    )
    async def unit(self, unit_id: RowId, db: DatabaseDep, clock: ClockDep) -> UnitViewOut:
        now = clock.now()
        async with db.read() as session:
            found = (
                await session.execute(
                    select(Unit, Resource.slug)
                    .join(Resource, Resource.id == Unit.resource_id)
                    .where(Unit.id == unit_id)
                )
            ).first()
            if found is None:
                raise NotFound(N_("The unit %(id)s"), id=unit_id)
            unit, slug = found
            usage = (await usage_of(session, [unit_id], now))[unit_id]
            state = await unit_state(session, unit, now)
        return UnitViewOut(
            id=unit.id,
            resource=slug,
            label=unit.label,
            code=unit.code,
            inventory_number=unit.inventory_number,
            serial_number=unit.serial_number,
            condition=unit.condition.value,
            status=unit.status,
            state=state,
            usage=usage_out(usage),
        )

    @post("/units/{unit_id:int}/blocks", summary="Staff: block a unit for a period (e.g. maintenance)")
    async def block(
        self,
        unit_id: RowId,
        data: JSONBody[BlockIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> BlockOut:
        block, affected, resolved = await units.block_unit(
            db,
            unit_id,
            start=data.start,
            end=data.end,
            reason=data.reason,
            actor=user,
            now=clock.now(),
            resolve=data.resolve,
        )
        zone = settings.zone
        return BlockOut(
            id=block.id,
            unit=block.unit_id,
            start=block.start_at.astimezone(zone),
            end=block.end_at.astimezone(zone),
            reason=block.reason,
            affected_bookings=[booking_out(b, zone) for b in affected],
            moved=[MovedOut(b.id, unit) for b, unit in resolved.moved],
            cancelled=[b.id for b in resolved.cancelled],
            kept=[b.id for b in resolved.kept],
        )

    @delete("/blocks/{block_id:int}", summary="Staff: lift a block", status_code=204)
    async def unblock(self, block_id: RowId, user: UserDep, db: DatabaseDep, clock: ClockDep) -> None:
        await inventory.lift_block(db, block_id, actor=user, now=clock.now())

    @put("/locations/{slug:str}/weekly-hours", summary="Staff: replace a location's weekly opening hours")
    async def weekly_hours(
        self,
        slug: FromPath[str],
        data: JSONBody[list[WeeklyHoursIn]],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
    ) -> list[WeeklyHoursOut]:
        week = [
            WeeklyPeriod(
                item.weekday,
                Period(
                    inventory.clock_time(item.start, f"[{index}].start"),
                    inventory.clock_time(item.end, f"[{index}].end"),
                    item.staffed,
                ),
            )
            for index, item in enumerate(data)
        ]
        rows = await inventory.set_weekly_hours(db, slug, week, actor=user, now=clock.now())
        return weekly_out(rows)

    @post(
        "/locations/{slug:str}/exceptions",
        summary="Staff: a holiday, a closure or special hours on some dates",
        status_code=201,
    )
    async def add_exception(
        self,
        slug: FromPath[str],
        data: JSONBody[ExceptionIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
    ) -> ExceptionOut:
        exception = await inventory.add_opening_exception(
            db, slug, **exception_values(data), actor=user, now=clock.now()
        )
        return exception_out(exception)

    @put("/exceptions/{exception_id:int}", summary="Staff: change a closure or special hours")
    async def change_exception(
        self,
        exception_id: FromPath[int],
        data: JSONBody[ExceptionIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
    ) -> ExceptionOut:
        exception = await inventory.change_opening_exception(
            db, exception_id, **exception_values(data), actor=user, now=clock.now()
        )
        return exception_out(exception)

    @delete(
        "/exceptions/{exception_id:int}", summary="Staff: remove a closure or special hours", status_code=204
    )
    async def remove_exception(
        self, exception_id: FromPath[int], user: UserDep, db: DatabaseDep, clock: ClockDep
    ) -> None:
        await inventory.remove_opening_exception(db, exception_id, actor=user, now=clock.now())
