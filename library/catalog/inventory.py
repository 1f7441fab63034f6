"""Staff work on the inventory: blocking units for maintenance, and lifting blocks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import User
from library.audit.log import record, snapshot
from library.booking.models import ACTIVE_STATUSES, Booking
from library.catalog.models import Unit, UnitBlock
from library.db import Database
from library.errors import Problem, not_found

BLOCK_FIELDS = ("unit_id", "start_at", "end_at", "reason")


async def block_unit(
    db: Database, unit_id: int, *, start: datetime, end: datetime, reason: str, actor: User, now: datetime
) -> tuple[UnitBlock, list[Booking]]:
    """Block a unit and list the bookings in that period for staff to move or cancel.

    Those bookings are left as they are: cancelling them silently would leave people standing
    at the desk; staff decide, with the list in hand.
    """
    if end <= start:
        raise Problem(422, "end_before_start", extra={"errors": [{"field": "end", "source": "body"}]})
    async with db.write() as session:
        unit = await session.get(Unit, unit_id)
        if unit is None:
            raise not_found(f"Das Exemplar {unit_id}", f"The unit {unit_id}")
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
            .options(selectinload(Booking.resource), selectinload(Booking.unit), selectinload(Booking.user))
            .order_by(Booking.start_at)
        )
    )


async def lift_block(db: Database, block_id: int, *, actor: User, now: datetime) -> None:
    async with db.write() as session:
        block = await session.get(UnitBlock, block_id)
        if block is None:
            raise not_found(f"Die Sperre {block_id}", f"The block {block_id}")
        record(
            session,
            actor_id=actor.id,
            action="unit.unblock",
            object_type="unit",
            object_id=block.unit_id,
            at=now,
            before=snapshot(block, BLOCK_FIELDS),
        )
        await session.delete(block)
