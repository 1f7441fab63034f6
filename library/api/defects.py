"""Defect reports and usage-based maintenance (API.md, Loans, holds and defects).

Thin controllers: reports are library.booking.defects, plans, services and quiet-time blocks
library.booking.maintenance, the meters library.stats.usage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody

from library import texts
from library.accounts.verification import ensure_email_verified
from library.api.common import Limit, Offset, Page, RowId, page_of
from library.api.inventory import MovedOut, UsageOut, usage_out
from library.booking import defects, maintenance
from library.booking.units import Resolved
from library.catalog.models import ReportSeverity, UnitBlock, UnitReport
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.viewer import UserDep, staff_only
from library.stats.usage import DueUnit, Standing, due_units, usage_of

ReportText = Annotated[str, texts.note(defects.MAX_REPORT_LENGTH, min_length=1)]
Note = Annotated[str, texts.note(maintenance.MAX_NOTE_LENGTH)]
Reason = Annotated[str, texts.line(300, min_length=1)]
Meter = Annotated[int, msgspec.Meta(ge=1, le=100_000)]


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    severity: ReportSeverity
    text: ReportText
    resolve: Literal["keep", "move", "cancel"] | None = None


class ReportOut(msgspec.Struct):
    id: int
    unit: int
    severity: ReportSeverity
    text: str
    reported_at: datetime
    block: int | None
    closed_at: datetime | None
    close_note: str | None
    moved: list[MovedOut] = []
    cancelled: list[int] = []
    kept: list[int] = []


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note = ""


class PlanIn(msgspec.Struct, forbid_unknown_fields=True):
    every_hours: Meter | None = None
    every_bookings: Meter | None = None
    every_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None
    warn_before_percent: Annotated[int, msgspec.Meta(ge=0, le=99)] | None = None


class PlanOut(msgspec.Struct):
    resource: str
    every_hours: int | None
    every_bookings: int | None
    every_days: int | None
    warn_before_percent: int


class ServiceIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note = ""


class QuietBlockIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class QuietBlockOut(msgspec.Struct):
    id: int
    unit: int
    start: datetime
    end: datetime
    reason: str


class DueOut(msgspec.Struct):
    unit: int
    resource: str
    label: str
    standing: Standing
    share: float
    usage: UsageOut


def report_out(report: UnitReport, zone: ZoneInfo, resolved: Resolved | None = None) -> ReportOut:
    return ReportOut(
        id=report.id,
        unit=report.unit_id,
        severity=report.severity,
        text=report.text,
        reported_at=report.reported_at.astimezone(zone),
        block=report.block_id,
        closed_at=report.closed_at.astimezone(zone) if report.closed_at else None,
        close_note=report.close_note,
        moved=[MovedOut(b.id, unit) for b, unit in resolved.moved] if resolved else [],
        cancelled=[b.id for b in resolved.cancelled] if resolved else [],
        kept=[b.id for b in resolved.kept] if resolved else [],
    )


def due_out(due: DueUnit) -> DueOut:
    return DueOut(
        unit=due.unit.id,
        resource=due.unit.resource.slug,
        label=due.unit.label,
        standing=due.standing,
        share=round(due.share, 3),
        usage=usage_out(due.usage),
    )


class DefectsController(Controller):
    path = "/api/v1"
    tags = ("defects",)

    @post("/units/{unit_id:int}/reports", summary="Report a problem with a unit", status_code=201)
    async def report(
        self,
        unit_id: RowId,
        data: JSONBody[ReportIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> ReportOut:
        ensure_email_verified(user, required=settings.verify_email)
        reported = await defects.report_problem(
            db,
            unit_id,
            severity=data.severity,
            text=data.text,
            resolve=data.resolve,
            actor=user,
            now=clock.now(),
        )
        return report_out(reported.report, settings.zone, reported.resolved)

    @get("/reports", summary="Staff: the reports not closed yet", guards=[staff_only])
    async def open_reports(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        settings: SettingsDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ReportOut]:
        async with db.read() as session:
            reports = await defects.open_reports(session)
        rows = reports[offset : offset + limit + 1]
        return page_of(request, rows, lambda r: report_out(r, settings.zone), limit=limit, offset=offset)

    @post(
        "/reports/{report_id:int}/close",
        summary="Staff: close a report",
        guards=[staff_only],
        status_code=200,
    )
    async def close(
        self,
        report_id: RowId,
        data: JSONBody[CloseIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> ReportOut:
        report = await defects.close_report(db, report_id, note=data.note, actor=user, now=clock.now())
        return report_out(report, settings.zone)

    @put(
        "/resources/{slug:str}/maintenance",
        summary="Staff: a resource's maintenance plan",
        guards=[staff_only],
    )
    async def plan(
        self, slug: FromPath[str], data: JSONBody[PlanIn], user: UserDep, db: DatabaseDep, clock: ClockDep
    ) -> PlanOut:
        plan = await maintenance.set_plan(db, slug, msgspec.structs.asdict(data), actor=user, now=clock.now())
        return PlanOut(slug, plan.every_hours, plan.every_bookings, plan.every_days, plan.warn_before_percent)

    @post(
        "/units/{unit_id:int}/services",
        summary="Staff: record a service (the meters start again)",
        guards=[staff_only],
        status_code=201,
    )
    async def service(
        self, unit_id: RowId, data: JSONBody[ServiceIn], user: UserDep, db: DatabaseDep, clock: ClockDep
    ) -> UsageOut:
        now = clock.now()
        await maintenance.record_service(db, unit_id, note=data.note, actor=user, now=now)
        async with db.read() as session:
            return usage_out((await usage_of(session, [unit_id], now))[unit_id])

    @get("/maintenance/due", summary="Staff: units due or soon due for service", guards=[staff_only])
    async def due(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[DueOut]:
        async with db.read() as session:
            units = await due_units(session, clock.now())
        return page_of(request, units[offset : offset + limit + 1], due_out, limit=limit, offset=offset)

    @post(
        "/units/{unit_id:int}/quiet-block",
        summary="Staff: block a unit for one slot at its next free time (for a service)",
        guards=[staff_only],
        status_code=201,
    )
    async def quiet_block(
        self,
        unit_id: RowId,
        data: JSONBody[QuietBlockIn],
        user: UserDep,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
    ) -> QuietBlockOut:
        block: UnitBlock = await maintenance.block_when_quiet(
            db, unit_id, reason=data.reason, actor=user, now=clock.now()
        )
        zone = settings.zone
        return QuietBlockOut(
            block.id,
            block.unit_id,
            block.start_at.astimezone(zone),
            block.end_at.astimezone(zone),
            block.reason,
        )
