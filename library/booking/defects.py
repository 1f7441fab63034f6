"""Problems that people report with a unit (from the QR code on its label) and staff close.

A notice only tells staff (on their list). A blocking report takes the unit out of service at
once: it places the same unit block staff place by hand (`units.block_unit_within`), with
`resolve` "move" for the bookings it touches unless staff choose otherwise, and closing the
report ends that block; every other active member of staff gets a mail about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from library.accounts.models import Role, User
from library.audit.log import record
from library.booking.units import Resolve, Resolved, block_unit_within
from library.catalog.models import ReportSeverity, Resource, Unit, UnitBlock, UnitReport, UnitStatus
from library.db import Database
from library.errors import Conflict, InvalidInput, NotAllowed, NotFound
from library.i18n import N_
from library.outbox.queue import enqueue

REPORT_MAIL = "unit.reported"
"""The mail to the staff about a blocking report: it carries the report's id only, the mail is made
from the report (unit, resource, place, text) when it is sent, and never names the reporter's address."""
MAX_REPORT_LENGTH = 2000
MAX_NOTE_LENGTH = 1000
BLOCK_REASON = "Defekt gemeldet"
"""The reason of a blocking report's block, as mails about moved bookings quote it: never the
report's own text, which people write freely and others should not receive."""
OUT_OF_SERVICE = timedelta(days=3 * 366)
"""How far a blocking report's block reaches: past any series (two years), until staff close it."""


class UnitState(StrEnum):
    """Whether a unit works, as its public page and the API say it."""

    IN_SERVICE = "in_service"
    REPORTED = "reported"  # out of service because of a blocking report
    BLOCKED = "blocked"  # staff blocked it (maintenance, repair)
    RETIRED = "retired"


@dataclass(frozen=True)
class Reported:
    report: UnitReport
    resolved: Resolved | None


async def report_problem(
    db: Database,
    unit_id: int,
    *,
    severity: ReportSeverity,
    text: str,
    actor: User,
    now: datetime,
    resolve: Resolve | None = None,
) -> Reported:
    """Record a problem; a blocking one blocks the unit from now until a member of staff closes it.

    Only staff may choose how the touched bookings are resolved; for everyone else it is "move".
    """
    text = text.strip()
    if not text:
        raise InvalidInput("report_text_required", "text")
    if len(text) > MAX_REPORT_LENGTH:
        raise InvalidInput("report_text_too_long", "text", max_chars=MAX_REPORT_LENGTH)
    if resolve not in (None, "move") and not actor.role.is_staff:
        raise NotAllowed("forbidden", "resolve")
    async with db.write() as session:
        unit = await session.scalar(select(Unit).where(Unit.id == unit_id).with_for_update())
        if unit is None or unit.status is UnitStatus.RETIRED:
            raise NotFound(N_("The unit %(id)s"), id=unit_id)
        report = UnitReport(
            unit_id=unit_id, severity=severity, text=text, reported_by_id=actor.id, reported_at=now
        )
        resolved = None
        if severity is ReportSeverity.BLOCKING:
            block, _, resolved = await block_unit_within(
                session,
                unit_id,
                start=now,
                end=now + OUT_OF_SERVICE,
                reason=BLOCK_REASON,
                actor=actor,
                now=now,
                resolve=resolve or "move",
            )
            report.block_id = block.id
        session.add(report)
        await session.flush()
        if severity is ReportSeverity.BLOCKING:
            for member in await _staff_to_tell(session, actor):
                enqueue(session, kind=REPORT_MAIL, user=member, payload={"report_id": report.id}, now=now)
        record(
            session,
            actor_id=actor.id,
            action="unit.report",
            object_type="unit",
            object_id=unit_id,
            at=now,
            after={"report_id": report.id, "severity": severity.value, "text": text},
        )
    return Reported(report, resolved)


async def _staff_to_tell(session: AsyncSession, reporter: User) -> list[User]:
    """Everyone of the staff who can act on a report (active accounts), but the one who made it."""
    return list(
        await session.scalars(
            select(User)
            .where(
                User.role.in_((Role.STAFF, Role.ADMIN)),
                User.is_active.is_(True),
                User.deleted_at.is_(None),
                User.id != reporter.id,
            )
            .order_by(User.id)
        )
    )


async def close_report(db: Database, report_id: int, *, note: str, actor: User, now: datetime) -> UnitReport:
    """Close a report with what was done; the block of a blocking report ends now."""
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput("report_text_too_long", "note", max_chars=MAX_NOTE_LENGTH)
    async with db.write() as session:
        report = await session.scalar(select(UnitReport).where(UnitReport.id == report_id).with_for_update())
        if report is None:
            raise NotFound(N_("The report %(id)s"), id=report_id)
        if report.closed_at is not None:
            raise Conflict("report_closed")
        report.closed_at, report.closed_by_id, report.close_note = now, actor.id, note
        ended = None
        if report.block_id is not None:
            block = await session.get(UnitBlock, report.block_id)
            if block is not None and block.end_at > now:
                ended = block.id
                if block.start_at < now:
                    block.end_at = now
                else:  # closed before the block began: nothing of it remains
                    report.block_id = None
                    await session.delete(block)
        record(
            session,
            actor_id=actor.id,
            action="unit.report_close",
            object_type="unit",
            object_id=report.unit_id,
            at=now,
            after={"report_id": report.id, "note": note, "ended_block": ended},
        )
    return report


async def open_reports(session: AsyncSession) -> list[UnitReport]:
    """Reports staff have not closed yet, blocking ones first, oldest first."""
    return list(
        await session.scalars(
            select(UnitReport)
            .where(UnitReport.closed_at.is_(None))
            .options(
                selectinload(UnitReport.unit).selectinload(Unit.resource).selectinload(Resource.location)
            )
            .order_by(UnitReport.severity, UnitReport.reported_at, UnitReport.id)
        )
    )


async def unit_by_code(session: AsyncSession, code: str) -> Unit:
    """The unit a label's code names, with its resource, or `NotFound` (codes are lower case)."""
    unit = await session.scalar(
        select(Unit)
        .where(Unit.code == code.strip().lower())
        .options(selectinload(Unit.resource).selectinload(Resource.location))
    )
    if unit is None:
        raise NotFound(N_("The unit %(id)s"), id=code)
    return unit


async def unit_state(session: AsyncSession, unit: Unit, now: datetime) -> UnitState:
    """In service, or out of it because of an open blocking report, a staff block or retirement."""
    if unit.status is UnitStatus.RETIRED:
        return UnitState.RETIRED
    blocks = select(UnitBlock.id).where(
        UnitBlock.unit_id == unit.id, UnitBlock.start_at <= now, UnitBlock.end_at > now
    )
    current = list(await session.scalars(blocks))
    if not current:
        return UnitState.IN_SERVICE
    reported = await session.scalar(
        select(UnitReport.id).where(UnitReport.block_id.in_(current), UnitReport.closed_at.is_(None)).limit(1)
    )
    return UnitState.REPORTED if reported is not None else UnitState.BLOCKED
