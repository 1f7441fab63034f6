"""Booking rows written straight into the database, past every check in Python.

They show what the database itself guarantees: it refuses overlapping active bookings of one unit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from library.booking.conflicts import is_lost_race, is_overlap_violation
from library.booking.models import Booking, BookingStatus
from library.db import Database

T0 = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def row(resource_id: int, unit_id: int, start: datetime, end: datetime, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "resource_id": resource_id,
        "unit_id": unit_id,
        "start_at": start,
        "end_at": end,
        "occupied_start": start,
        "occupied_end": end,
        "status": BookingStatus.CONFIRMED,
        "purpose": "visitor",
        "note": "",
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(extra)
    return values


async def insert_booking(db: Database, values: dict[str, Any]) -> int:
    async with db.write() as session:
        result = await session.execute(insert(Booking).values(**values).returning(Booking.id))
        return int(result.scalar_one())


async def expect_overlap_refused(db: Database, values: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError) as refused:
        await insert_booking(db, values)
    assert is_overlap_violation(refused.value)
    assert is_lost_race(refused.value)
