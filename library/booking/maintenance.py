"""Usage-based maintenance: a plan per resource, services recorded per unit, a block when quiet.

A plan says after how many hours, bookings or days a unit is due for service, whichever comes
first; the meters themselves are counted in the database (library.stats.usage). A recorded
service starts the meters again. Staff may block a due unit at its next quiet time: the first
free span of the resource's slot length inside opening hours, placed as an ordinary unit block.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from library.accounts.models import User
from library.audit.log import record, snapshot
from library.booking.availability import MINUTE, aligned_at_or_after, free_per_unit
from library.booking.catalogue import current_catalogue
from library.booking.intervals import Interval
from library.booking.queries import load_occupations
from library.booking.units import block_unit_within
from library.catalog.models import MaintenancePlan, Resource, Unit, UnitBlock, UnitService, UnitStatus
from library.db import Database
from library.errors import Conflict, InvalidInput, NotFound
from library.i18n import N_

PLAN_LIMITS: dict[str, tuple[int, int]] = {
    "every_hours": (1, 100_000),
    "every_bookings": (1, 100_000),
    "every_days": (1, 3650),
    "warn_before_percent": (0, 99),
}
PLAN_FIELDS = tuple(PLAN_LIMITS)
DEFAULT_WARN_PERCENT = 10
QUIET_SEARCH_DAYS = 60
MAX_NOTE_LENGTH = 1000


def check_plan(values: Mapping[str, int | None]) -> dict[str, int | None]:
    """A whole plan from the fields given: each within its range, at least one meter."""
    plan: dict[str, int | None] = {name: values.get(name) for name in PLAN_FIELDS}
    for name, value in plan.items():
        low, high = PLAN_LIMITS[name]
        if value is not None and not low <= value <= high:
            raise InvalidInput("policy_out_of_range", name, low=low, high=high)
    if plan["every_hours"] is None and plan["every_bookings"] is None and plan["every_days"] is None:
        raise InvalidInput("plan_empty", "every_hours")
    if plan["warn_before_percent"] is None:
        plan["warn_before_percent"] = DEFAULT_WARN_PERCENT
    return plan


async def set_plan(
    db: Database, slug: str, values: Mapping[str, int | None], *, actor: User, now: datetime
) -> MaintenancePlan:
    """Put a resource's maintenance plan in place of the one it had."""
    wanted = check_plan(values)
    async with db.write() as session:
        resource_id = await session.scalar(select(Resource.id).where(Resource.slug == slug))
        if resource_id is None:
            raise NotFound(N_("The offer '%(slug)s'"), slug=slug)
        plan = await session.get(MaintenancePlan, resource_id, with_for_update=True)
        before = snapshot(plan, PLAN_FIELDS) if plan is not None else None
        if plan is None:
            plan = MaintenancePlan(resource_id=resource_id)
            session.add(plan)
        for name, value in wanted.items():
            setattr(plan, name, value)
        record(
            session,
            actor_id=actor.id,
            action="resource.maintenance",
            object_type="resource",
            object_id=resource_id,
            at=now,
            before=before,
            after=dict(wanted),
        )
    return plan


async def record_service(db: Database, unit_id: int, *, note: str, actor: User, now: datetime) -> UnitService:
    """Staff serviced the unit: its meters count from now."""
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput("report_text_too_long", "note", max_chars=MAX_NOTE_LENGTH)
    async with db.write() as session:
        unit = await session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(N_("The unit %(id)s"), id=unit_id)
        service = UnitService(unit_id=unit_id, at=now, note=note, by_id=actor.id)
        session.add(service)
        record(
            session,
            actor_id=actor.id,
            action="unit.service",
            object_type="unit",
            object_id=unit_id,
            at=now,
            after={"note": note},
        )
    return service


async def block_when_quiet(
    db: Database, unit_id: int, *, reason: str, actor: User, now: datetime
) -> UnitBlock:
    """Block the unit for one slot at its next free time inside opening hours (for a service)."""
    async with db.write() as session:
        unit = await session.get(Unit, unit_id)
        if unit is None or unit.status is UnitStatus.RETIRED:
            raise NotFound(N_("The unit %(id)s"), id=unit_id)
        catalogue = await current_catalogue(session)
        facts = await catalogue.resource_by_id(session, unit.resource_id)
        hours = (await catalogue.location_by_id(session, facts.location_id)).hours
        today = now.astimezone(hours.zone).date()
        days = hours.days(today, today + timedelta(days=QUIET_SEARCH_DAYS))
        occupations = await load_occupations(
            session, [facts.id], now, now + timedelta(days=QUIET_SEARCH_DAYS + 2)
        )
        length = facts.policy.slot_minutes * MINUTE
        per_day = free_per_unit(
            days,
            hours.zone,
            facts.policy,
            needs_staff=False,
            unit_ids=[unit_id],
            occupations=occupations,
            now=None,
        )
        start = first_fit(
            (i for _, (intervals,) in per_day for i in intervals),
            now,
            length,
            hours.zone,
            facts.policy.slot_minutes,
        )
        if start is None:
            raise Conflict("no_quiet_time", days=QUIET_SEARCH_DAYS)
        block, _, _ = await block_unit_within(
            session, unit_id, start=start, end=start + length, reason=reason, actor=actor, now=now
        )
    return block


def first_fit(
    free: Iterable[Interval], now: datetime, length: timedelta, zone: ZoneInfo, slot_minutes: int
) -> datetime | None:
    """The first slot-grid start at or after `now` from which `length` fits in a free interval."""
    for interval in free:
        start = aligned_at_or_after(max(interval.start, now), zone, slot_minutes)
        if start + length <= interval.end:
            return start
    return None
