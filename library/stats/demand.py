"""Demand turned away: every refused booking attempt is kept as an anonymous event.

The booking engine sits below statistics and knows nothing of them, so the presenters book
through `book_counting_refusals`: it books as `booking.service.create_booking` does and, when
the attempt is refused, writes one row (resource, wanted time, code, no person) in a small
transaction of its own, because the refused booking's transaction has been rolled back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import User
from library.booking import service
from library.catalog.models import Resource
from library.db import Database, UTCDateTime
from library.stats.models import RefusalEvent


async def record_refusal(
    session: AsyncSession, resource_slug: str, start: datetime, end: datetime, code: str, now: datetime
) -> None:
    """One INSERT … SELECT: nothing is written when the slug names no resource."""
    await session.execute(
        insert(RefusalEvent).from_select(
            ["resource_id", "start_at", "end_at", "code", "at"],
            select(
                Resource.id,
                literal(start.astimezone(UTC), UTCDateTime()),
                literal(end.astimezone(UTC), UTCDateTime()),
                literal(code[:60]),
                literal(now.astimezone(UTC), UTCDateTime()),
            ).where(Resource.slug == resource_slug),
        )
    )


async def book_counting_refusals(
    db: Database, request: service.NewBooking, *, booker: User, actor: User, now: datetime
) -> service.Booked:
    """`create_booking`, keeping a refused attempt (by the rules or a full calendar) as demand."""
    try:
        return await service.create_booking(db, request, booker=booker, actor=actor, now=now)
    except service.RuleBroken as refused:
        code = refused.refusal.code
        error: Exception = refused
    except service.SlotTaken as taken:
        code = "slot_taken"
        error = taken
    async with db.write() as session:
        await record_refusal(session, request.resource_slug, request.start, request.end, code, now)
    raise error
