"""Usage meters per unit since its last service, and the units a maintenance plan makes due.

Counted in the database in one grouped statement (never by looping over bookings): the hours
and the number of bookings that were used (checked in or completed, loans too) since the last
recorded service, and the days since that service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.booking.models import Booking, BookingPurpose, BookingStatus
from library.catalog.models import MaintenancePlan, Resource, Unit, UnitService, UnitStatus
from library.db import UTCDateTime
from library.stats.sql import least, minutes_between

USED = (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)


@dataclass(frozen=True)
class Usage:
    """A unit's meters since `serviced_at` (since ever when it was never serviced)."""

    hours: float = 0
    bookings: int = 0
    serviced_at: datetime | None = None
    since_service: int | None = None  # whole days; None while no service is recorded


class Standing(StrEnum):
    OK = "ok"
    SOON = "soon"  # past the warning point of the plan
    DUE = "due"


@dataclass(frozen=True)
class Plan:
    every_hours: int | None
    every_bookings: int | None
    every_days: int | None
    warn_before_percent: int


def worn_share(usage: Usage, plan: Plan) -> float:
    """How far the unit is through its plan: 1.0 is due, by whichever meter is furthest."""
    shares = [
        used / every
        for used, every in (
            (usage.hours, plan.every_hours),
            (usage.bookings, plan.every_bookings),
            (usage.since_service, plan.every_days),
        )
        if every and used is not None
    ]
    return max(shares, default=0.0)


def standing(usage: Usage, plan: Plan) -> Standing:
    share = worn_share(usage, plan)
    if share >= 1:
        return Standing.DUE
    if share >= 1 - plan.warn_before_percent / 100:
        return Standing.SOON
    return Standing.OK


async def usage_of(session: AsyncSession, unit_ids: Sequence[int], now: datetime) -> dict[int, Usage]:
    """Each unit's meters at `now`: one grouped statement for the uses, one for the services."""
    if not unit_ids:
        return {}
    ids = list(unit_ids)
    serviced = dict(
        (
            await session.execute(
                select(UnitService.unit_id, func.max(UnitService.at))
                .where(UnitService.unit_id.in_(ids))
                .group_by(UnitService.unit_id)
            )
        ).all()
    )
    last = (
        select(UnitService.unit_id, func.max(UnitService.at).label("at"))
        .where(UnitService.unit_id.in_(ids))
        .group_by(UnitService.unit_id)
        .subquery()
    )
    at_now = literal(now, UTCDateTime())
    used = await session.execute(
        select(
            Booking.unit_id,
            func.count(Booking.id),
            func.coalesce(func.sum(minutes_between(Booking.start_at, least(Booking.end_at, at_now))), 0),
        )
        .outerjoin(last, last.c.unit_id == Booking.unit_id)
        .where(
            Booking.unit_id.in_(ids),
            Booking.status.in_(USED),
            Booking.purpose != BookingPurpose.HOLD,
            Booking.start_at < at_now,
            or_(last.c.at.is_(None), Booking.start_at >= last.c.at),
        )
        .group_by(Booking.unit_id)
    )
    counted = {unit_id: (int(count), float(minutes)) for unit_id, count, minutes in used}
    result = {}
    for unit_id in ids:
        count, minutes = counted.get(unit_id, (0, 0.0))
        at = serviced.get(unit_id)
        result[unit_id] = Usage(
            hours=round(minutes / 60, 2),
            bookings=count,
            serviced_at=at,
            since_service=None if at is None else (now - at).days,
        )
    return result


@dataclass(frozen=True)
class DueUnit:
    unit: Unit
    usage: Usage
    plan: Plan
    standing: Standing
    share: float


async def due_units(session: AsyncSession, now: datetime) -> list[DueUnit]:
    """Units in service whose plan makes them due or soon due, the most worn first."""
    rows = (
        await session.execute(
            select(Unit, MaintenancePlan)
            .join(MaintenancePlan, MaintenancePlan.resource_id == Unit.resource_id)
            .join(Resource, Resource.id == Unit.resource_id)
            .where(Unit.status == UnitStatus.AVAILABLE, Resource.active.is_(True))
            .options(selectinload(Unit.resource))
        )
    ).all()
    meters = await usage_of(session, [unit.id for unit, _ in rows], now)
    found = []
    for unit, row in rows:
        plan = Plan(row.every_hours, row.every_bookings, row.every_days, row.warn_before_percent)
        usage = meters[unit.id]
        state = standing(usage, plan)
        if state is not Standing.OK:
            found.append(DueUnit(unit, usage, plan, state, worn_share(usage, plan)))
    return sorted(found, key=lambda d: (-d.share, d.unit.resource.name, d.unit.label))
