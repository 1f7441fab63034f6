"""Inventory work that touches bookings: retiring a unit that is still booked, blocking a unit.

The catalogue keeps units and blocks (library.catalog.inventory); what those bookings are is
known here, so staff get the list of bookings to move or cancel with the change itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import User
from library.audit.log import record, snapshot
from library.booking.models import ACTIVE_STATUSES, Booking
from library.catalog.inventory import BLOCK_FIELDS, update_unit_within
from library.catalog.models import Unit, UnitBlock, UnitStatus
from library.db import Database
from library.errors import InvalidInput, NotFound
from library.i18n import N_


class UnitHasBookings(Exception):
    """Retiring the unit would strand these upcoming bookings; nothing was changed."""

    def __init__(self, bookings: list[Booking]) -> None:
        super().__init__("unit_has_bookings")
        self.bookings = bookings


async def update_unit(
    db: Database,
    unit_id: int,
    changes: Mapping[str, Any],
    *,
    force: bool = False,
    actor: User,
    now: datetime,
) -> tuple[Unit, list[Booking]]:
    """Change a unit; returns it with the upcoming bookings it keeps after being retired.

    Retiring a unit that still has upcoming bookings raises `UnitHasBookings` unless `force`.
    Forced or not, those bookings are not cancelled here: staff move or cancel them, with the
    list in hand, so that nobody learns of it at the desk.
    """
    async with db.write() as session:
        unit = await session.scalar(select(Unit).where(Unit.id == unit_id).with_for_update())
        if unit is None:
            raise NotFound(N_("The unit %(id)s"), id=unit_id)
        stranded: list[Booking] = []
        if changes.get("status") == UnitStatus.RETIRED and unit.status != UnitStatus.RETIRED:
            stranded = await upcoming_bookings(session, unit_id, now)
        if not stranded or force:
            kept = {"kept_bookings": [b.id for b in stranded]} if stranded else None
            await update_unit_within(session, unit, changes, actor=actor, now=now, noted=kept)
    # Raised after the transaction: a rollback would expire the bookings the answer lists.
    if stranded and not force:
        raise UnitHasBookings(stranded)
    return unit, stranded


def _with_people() -> tuple[Any, ...]:
    return selectinload(Booking.resource), selectinload(Booking.unit), selectinload(Booking.user)


async def upcoming_bookings(session: AsyncSession, unit_id: int, now: datetime) -> list[Booking]:
    """The unit's active bookings that have not ended yet, the running one included."""
    return list(
        await session.scalars(
            select(Booking)
            .where(Booking.unit_id == unit_id, Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > now)
            .options(*_with_people())
            .order_by(Booking.start_at, Booking.id)
        )
    )


async def block_unit(
    db: Database, unit_id: int, *, start: datetime, end: datetime, reason: str, actor: User, now: datetime
) -> tuple[UnitBlock, list[Booking]]:
    """Block a unit and list the bookings in that period for staff to move or cancel.

    Those bookings are left as they are: cancelling them silently would leave people standing
    at the desk; staff decide, with the list in hand.
    """
    if end <= start:
        raise InvalidInput("end_before_start", "end")
    async with db.write() as session:
        unit = await session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(N_("The unit %(id)s"), id=unit_id)
        block = UnitBlock(
            unit_id=unit_id,
            start_at=start.astimezone(UTC),
            end_at=end.astimezone(UTC),
            reason=reason,
            created_by_id=actor.id,
            created_at=now,
        )
        session.add(block)
        await session.flush()
        affected = await bookings_during(session, unit_id, block.start_at, block.end_at)
        record(
            session,
            actor_id=actor.id,
            action="unit.block",
            object_type="unit",
            object_id=unit_id,
            at=now,
            after={**snapshot(block, BLOCK_FIELDS), "affected_bookings": [b.id for b in affected]},
            reason=reason,
        )
    return block, affected


async def bookings_during(
    session: AsyncSession, unit_id: int, start: datetime, end: datetime
) -> list[Booking]:
    return list(
        await session.scalars(
            select(Booking)
            .where(
                Booking.unit_id == unit_id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.occupied_start < end,
                Booking.occupied_end > start,
            )
            .options(*_with_people())
            .order_by(Booking.start_at)
        )
    )
