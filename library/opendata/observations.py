"""Writing SensorThings observations as the scheduler runs, and forgetting old ones.

Each tick makes sure every location and factor with active resources has its three
datastreams, then writes the current time step of each (free units and people present every
15 minutes, the booked share of the hour that just ended), unless that step is written already:
the unique key (datastream, step start) makes a second process's write of the same step a no-op.
So each datastream gets its first observation on the first tick after the service starts.
Only counts per location and factor are read and written, never a booking's person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from library.booking.models import ACTIVE_STATUSES, BOOKED_PURPOSES, Booking, BookingStatus
from library.catalog.models import Resource, ResourceKind, Unit, UnitBlock, UnitStatus
from library.db import Database, dialect_of
from library.opendata.models import Datastream, Observation, ObservationPush, PushStatus, StreamKind

QUARTER = timedelta(minutes=15)
HOUR = timedelta(hours=1)
BOOKED_STATUSES: tuple[BookingStatus, ...] = (*ACTIVE_STATUSES, BookingStatus.COMPLETED)
"""Bookings that count as booked time: held, in use or used; not cancelled, refused or no-show."""

Key = tuple[int, str]  # (location id, factor)


def step_start(now: datetime, step: timedelta) -> datetime:
    """The start of the time step (15 minutes, an hour) that `now` falls in, in UTC."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + ((now - midnight) // step) * step


@dataclass(frozen=True)
class Interval:
    key: Key
    unit_id: int
    start: datetime
    end: datetime


def booked_share(
    units: dict[Key, int], intervals: Iterable[Interval], start: datetime, end: datetime
) -> dict[Key, float]:
    """Booked unit time over all unit time in [start, end), per location and factor, from 0 to 1.

    Overlapping bookings of one unit (a workspace's places) count its time once.
    """
    by_unit: dict[tuple[Key, int], list[tuple[datetime, datetime]]] = defaultdict(list)
    for interval in intervals:
        clipped = (max(interval.start, start), min(interval.end, end))
        if clipped[0] < clipped[1]:
            by_unit[(interval.key, interval.unit_id)].append(clipped)
    booked: dict[Key, float] = defaultdict(float)
    for (key, _unit), spans in by_unit.items():
        covered_until = start
        for span_start, span_end in sorted(spans):
            span_start = max(span_start, covered_until)
            if span_start < span_end:
                booked[key] += (span_end - span_start).total_seconds()
                covered_until = span_end
    length = (end - start).total_seconds()
    return {key: round(min(1.0, booked[key] / (count * length)), 4) for key, count in units.items() if count}


async def _ensure_datastreams(session: AsyncSession, now: datetime) -> None:
    for kind in StreamKind:
        pairs = (
            select(
                Resource.location_id,
                Resource.factor,
                literal(kind.value),
                literal(now, type_=Datastream.created_at.type),
            )
            .where(Resource.active.is_(True))
            .where(
                ~exists().where(
                    Datastream.location_id == Resource.location_id,
                    Datastream.factor == Resource.factor,
                    Datastream.kind == kind.value,
                )
            )
            .distinct()
        )
        await session.execute(
            _insert(session, Datastream)
            .from_select(["location_id", "factor", "kind", "created_at"], pairs)
            .on_conflict_do_nothing()
        )


def _insert(session: AsyncSession, table: type[Any]) -> Any:
    return pg_insert(table) if dialect_of(session) == "postgresql" else sqlite_insert(table)


async def _units(session: AsyncSession, at: datetime) -> tuple[dict[Key, int], dict[Key, int]]:
    """Of the units in service per location and factor: how many are free at `at`, and how many
    are booked by time (not things lent for days: they have no booked share, as in the
    statistics)."""
    held = exists().where(
        Booking.unit_id == Unit.id,
        Booking.status.in_(ACTIVE_STATUSES),
        Booking.occupied_start <= at,
        Booking.occupied_end > at,
    )
    blocked = exists().where(UnitBlock.unit_id == Unit.id, UnitBlock.start_at <= at, UnitBlock.end_at > at)
    rows = await session.execute(
        select(
            Resource.location_id,
            Resource.factor,
            func.count(Unit.id).filter(and_(~held, ~blocked)),
            func.count(Unit.id).filter(Resource.kind != ResourceKind.LOAN),
        )
        .join(Unit, Unit.resource_id == Resource.id)
        .where(Resource.active.is_(True), Unit.status == UnitStatus.AVAILABLE)
        .group_by(Resource.location_id, Resource.factor)
    )
    free: dict[Key, int] = {}
    timed: dict[Key, int] = {}
    for location_id, factor, free_units, timed_units in rows:
        free[(location_id, str(factor))] = free_units
        timed[(location_id, str(factor))] = timed_units
    return free, timed


async def _present(session: AsyncSession, at: datetime) -> dict[Key, int]:
    """People checked in at `at`, per location and factor (a booking's participants, else one).
    A thing out on loan is checked out, not a person present: only time slots count."""
    rows = await session.execute(
        select(Resource.location_id, Resource.factor, func.sum(func.coalesce(Booking.participants, 1)))
        .join(Resource, Resource.id == Booking.resource_id)
        .where(
            Booking.status == BookingStatus.CHECKED_IN,
            Booking.purpose.in_(BOOKED_PURPOSES),
            Booking.start_at <= at,
            Booking.end_at > at,
        )
        .group_by(Resource.location_id, Resource.factor)
    )
    return {(location_id, str(factor)): int(people) for location_id, factor, people in rows}


async def _intervals(session: AsyncSession, start: datetime, end: datetime) -> list[Interval]:
    rows = await session.execute(
        select(Resource.location_id, Resource.factor, Booking.unit_id, Booking.start_at, Booking.end_at)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(
            Booking.status.in_(BOOKED_STATUSES),
            Booking.purpose.in_(BOOKED_PURPOSES),  # time slots: not a loan's days or an offer
            Booking.start_at < end,
            Booking.end_at > start,
        )
    )
    return [Interval((loc, str(factor)), unit, begin, finish) for loc, factor, unit, begin, finish in rows]


async def record_observations_within(session: AsyncSession, now: datetime, *, push: bool = False) -> int:
    """Write this moment's time step of every datastream (those not written yet); the rows written.
    With `push` (a city's server is set) each new observation is queued for it in the same
    transaction (opendata.push sends it later)."""
    await _ensure_datastreams(session, now)
    quarter = step_start(now, QUARTER)
    hour_end = step_start(now, HOUR)
    hour_start = hour_end - HOUR
    free, timed = await _units(session, quarter)
    present = await _present(session, quarter)
    share = booked_share(timed, await _intervals(session, hour_start, hour_end), hour_start, hour_end)
    streams = (
        await session.execute(
            select(Datastream.id, Datastream.location_id, Datastream.factor, Datastream.kind)
        )
    ).all()
    rows: list[dict[str, object]] = []
    for stream_id, location_id, factor, kind in streams:
        key = (location_id, factor)
        if kind == StreamKind.BOOKED_SHARE:
            rows.append(_row(stream_id, hour_start, hour_end, now, share.get(key, 0.0)))
        elif kind == StreamKind.FREE_UNITS:
            rows.append(_row(stream_id, quarter, None, now, free.get(key, 0)))
        else:
            rows.append(_row(stream_id, quarter, None, now, present.get(key, 0)))
    if not rows:
        return 0
    written = (
        await session.scalars(
            _insert(session, Observation)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["datastream_id", "phenomenon_start"])
            .returning(Observation.id)
        )
    ).all()
    if push and written:
        await session.execute(
            insert(ObservationPush),
            [
                {
                    "observation_id": i,
                    "status": PushStatus.QUEUED.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for i in written
            ],
        )
    return len(written)


def _row(
    stream_id: int, start: datetime, end: datetime | None, now: datetime, value: float
) -> dict[str, object]:
    return {
        "datastream_id": stream_id,
        "phenomenon_start": start,
        "phenomenon_end": end,
        "result_time": now,
        "result": float(value),
    }


async def forget_observations_within(session: AsyncSession, now: datetime, keep_days: int) -> int:
    """Delete observations older than the kept time; the rows deleted."""
    result = await session.execute(
        delete(Observation).where(Observation.phenomenon_start < now - timedelta(days=keep_days))
    )
    return max(0, int(getattr(result, "rowcount", 0) or 0))


async def record_observations(db: Database, *, now: datetime, keep_days: int, push: bool = False) -> int:
    """The scheduler's job: this step's observations (queued for the city's server with `push`)
    and the retention, in one transaction."""
    async with db.write() as session:
        written = await record_observations_within(session, now, push=push)
        await forget_observations_within(session, now, keep_days)
    return written
