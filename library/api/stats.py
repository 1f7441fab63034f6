"""Statistics for staff (API.md, "Statistics (staff)"): JSON, or the same table as CSV or XLSX.

Thin: the figures come from library.stats.queries and take their one shape in
library.stats.tables, which the staff pages use too.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, QueryParameter

from library.api.common import checked_range, language
from library.catalog.models import Factor
from library.clock import Clock
from library.config import Settings
from library.errors import InvalidInput
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.viewer import staff_only
from library.stats import queries, rules, tables, trends
from library.stats.tables import Table

MAX_DAYS = 732  # two years: a year beside the year before it


class ExportFormat(enum.StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


class UtilisationGroup(enum.StrEnum):
    FACTOR = "factor"
    KIND = "kind"
    RESOURCE = "resource"
    LOCATION = "location"


class LoanGroup(enum.StrEnum):
    FACTOR = "factor"
    RESOURCE = "resource"
    LOCATION = "location"


class PeopleGroup(enum.StrEnum):
    FACTOR = "factor"
    AGE_BAND = "age_band"


class Granularity(enum.StrEnum):
    MONTH = "month"
    WEEK = "week"


class DemandGroup(enum.StrEnum):
    RESOURCE = "resource"
    CODE = "code"


class UtilisationRowOut(msgspec.Struct):
    key: str
    label: str
    open_minutes: float
    booked_minutes: float
    used_minutes: float
    booked_share: float | None
    used_share: float | None
    bookings: int
    no_shows: int
    late_cancellations: int
    downtime_minutes: float = 0


class UtilisationOut(msgspec.Struct):
    from_: date = msgspec.field(name="from")
    to: date = msgspec.field(name="to")
    rows: list[UtilisationRowOut] = msgspec.field(default_factory=list)


class LoanRowOut(msgspec.Struct):
    """Loans checked out in the period, the days things were out in it, renewals of those loans,
    returns in it (on time, late, damaged, with a missing part), and the loans overdue at the end
    of `to` (or today, when that is earlier) with their days past due then. Loans are counted only
    here: they are not bookings and their days are not booked minutes."""

    key: str
    label: str
    loans: int
    loan_days: int
    renewals: int
    returned_on_time: int
    returned_late: int
    overdue_now: int
    overdue_days: int
    damaged_returns: int
    missing_parts_returns: int


class LoansOut(msgspec.Struct):
    from_: date = msgspec.field(name="from")
    to: date = msgspec.field(name="to")
    rows: list[LoanRowOut] = msgspec.field(default_factory=list)


class HeatCellOut(msgspec.Struct):
    weekday: int
    hour: int
    booked_share: float | None


class HeatmapOut(msgspec.Struct):
    from_: date = msgspec.field(name="from")
    to: date = msgspec.field(name="to")
    cells: list[HeatCellOut] = msgspec.field(default_factory=list)


class PeopleRowOut(msgspec.Struct):
    """Unique people: `people` counts each person once in the period (in each factor they came
    for, so factors may add up to more than all people; in the age band of their first visit in
    the period, so bands add up), `new_people` those whose first visit ever lies in the counted
    days, `returning_people` the others."""

    key: str
    people: int | None
    new_people: int | None
    returning_people: int | None
    suppressed: bool


class PeopleOut(msgspec.Struct):
    """`counted_from` and `counted_to`: the days counted. Days retention has kept are known by
    month only, so where the period reaches into them it is widened to whole months there."""

    from_: date = msgspec.field(name="from")
    to: date = msgspec.field(name="to")
    counted_from: date | None = None
    counted_to: date | None = None
    rows: list[PeopleRowOut] = msgspec.field(default_factory=list)


class WorkshopRowOut(msgspec.Struct):
    slug: str
    title: str
    sessions: int
    places: int
    confirmed: int
    attended: int
    waitlist_peak: int
    fill_rate: float | None
    certifications_granted: int
    certified_then_booked: int


class WorkshopsOut(msgspec.Struct):
    from_: date = msgspec.field(name="from")
    to: date = msgspec.field(name="to")
    rows: list[WorkshopRowOut] = msgspec.field(default_factory=list)


class DemandRowOut(msgspec.Struct):
    key: str
    refused: int


class DemandOut(msgspec.Struct):
    from_: date = msgspec.field(name="from")
    to: date = msgspec.field(name="to")
    rows: list[DemandRowOut] = msgspec.field(default_factory=list)


class TrendRowOut(msgspec.Struct):
    """A month or week (`first_day` to `last_day`) and the same days a year earlier
    (`previous_…`: the same month, or 52 weeks earlier so weekdays align). Each figure as in the
    other statistics; `people` and `new_people` are unique people in the month or week (1 to 4
    suppressed), null with `people_suppressed: false` for a week in days retention has kept (known
    by month only), and counted over `people_counted_from` to `people_counted_to` (a month reaching
    into kept days: the whole month). `refused`: refused booking attempts made then; `loans`:
    things checked out then; `workshop_sessions` and `workshop_attended`: sessions held then and
    their places attended."""

    first_day: date
    last_day: date
    open_minutes: float
    booked_minutes: float
    used_minutes: float
    booked_share: float | None
    used_share: float | None
    bookings: int
    no_shows: int
    late_cancellations: int
    people: int | None
    new_people: int | None
    people_suppressed: bool
    people_counted_from: date | None
    people_counted_to: date | None
    refused: int
    loans: int
    workshop_sessions: int
    workshop_attended: int
    previous_first_day: date
    previous_last_day: date
    previous_open_minutes: float
    previous_booked_minutes: float
    previous_used_minutes: float
    previous_booked_share: float | None
    previous_used_share: float | None
    previous_bookings: int
    previous_no_shows: int
    previous_late_cancellations: int
    previous_people: int | None
    previous_new_people: int | None
    previous_people_suppressed: bool
    previous_people_counted_from: date | None
    previous_people_counted_to: date | None
    previous_refused: int
    previous_loans: int
    previous_workshop_sessions: int
    previous_workshop_attended: int


class TrendOut(msgspec.Struct):
    """`from`: the first day of the oldest month or week; `to`: the last day counted."""

    from_: date = msgspec.field(name="from")
    to: date = msgspec.field(name="to")
    rows: list[TrendRowOut] = msgspec.field(default_factory=list)


From = Annotated[
    date | None, QueryParameter(name="from", description="First local date (default: this month)")
]
To = Annotated[
    date | None, QueryParameter(name="to", description="Last local date, included (default: today)")
]
Slug = Annotated[str | None, QueryParameter(max_length=80, description="A location's slug")]
Format = Annotated[
    ExportFormat,
    QueryParameter(
        description="`csv` (comma-separated, UTF-8 with BOM, header row) or `xlsx`; JSON by default"
    ),
]


def _files(model: type[msgspec.Struct]) -> dict[int, ResponseSpec]:
    return {
        200: ResponseSpec(
            data_container=model,
            description="The figures; with `format=csv` or `format=xlsx` the same table as a file"
            f" (`{tables.CSV_MEDIA_TYPE}` or `{tables.XLSX_MEDIA_TYPE}`),"
            " `from` and `to` as its first columns.",
        )
    }


def today_of(clock: Clock, settings: Settings) -> date:
    return clock.now().astimezone(settings.zone).date()


def period(
    date_from: date | None, date_to: date | None, clock: Clock, settings: Settings
) -> tuple[date, date]:
    today = today_of(clock, settings)
    for name, value in (("from", date_from), ("to", date_to)):
        if value is not None and not rules.EARLIEST <= value <= rules.LATEST:
            raise InvalidInput("invalid_query", name, source="query")
    return checked_range(date_from or today.replace(day=1), date_to or today, max_days=MAX_DAYS)


def answer(table: Table, form: ExportFormat, key: str = "rows") -> Response[Any]:
    if form is ExportFormat.CSV:
        content, media_type, extension = table.csv(), tables.CSV_MEDIA_TYPE, "csv"
    elif form is ExportFormat.XLSX:
        content, media_type, extension = table.xlsx(), tables.XLSX_MEDIA_TYPE, "xlsx"
    else:
        return Response(table.document(key))
    disposition = f'attachment; filename="{table.filename(extension)}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


class StatsController(Controller):
    path = "/api/v1/stats"
    tags = ("statistics",)
    guards = (staff_only,)

    @get(
        "/utilisation",
        summary="Open, booked and used minutes by factor, kind, resource or location",
        responses=_files(UtilisationOut),
    )
    async def utilisation(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        date_from: From = None,
        date_to: To = None,
        location: Slug = None,
        group_by: FromQuery[UtilisationGroup] = UtilisationGroup.FACTOR,
        format: Format = ExportFormat.JSON,
    ) -> Response[Any]:
        first, last = period(date_from, date_to, clock, settings)
        async with db.read() as session:
            rows = await queries.utilisation(session, first, last, group_by=group_by.value, location=location)
        return answer(tables.utilisation_table(rows, first, last, lang=language(request)), format)

    @get("/heatmap", summary="Booked share per local weekday and hour", responses=_files(HeatmapOut))
    async def heatmap(
        self,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        date_from: From = None,
        date_to: To = None,
        location: Slug = None,
        factor: FromQuery[Factor | None] = None,
        format: Format = ExportFormat.JSON,
    ) -> Response[Any]:
        first, last = period(date_from, date_to, clock, settings)
        async with db.read() as session:
            cells = await queries.heatmap(
                session, first, last, location=location, factor=factor.value if factor else None
            )
        return answer(tables.heatmap_table(cells, first, last), format, key="cells")

    @get(
        "/people",
        summary=(
            "Unique people, new and returning, by factor or age band (1 to 4 suppressed);"
            " counted_from/counted_to: the days counted (whole months where retention has kept them)"
        ),
        responses=_files(PeopleOut),
    )
    async def people(
        self,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        date_from: From = None,
        date_to: To = None,
        location: Slug = None,
        group_by: FromQuery[PeopleGroup] = PeopleGroup.FACTOR,
        format: Format = ExportFormat.JSON,
    ) -> Response[Any]:
        first, last = period(date_from, date_to, clock, settings)
        async with db.read() as session:
            figures = await queries.people(session, first, last, group_by=group_by.value, location=location)
        return answer(tables.people_table(figures, first, last), format)

    @get(
        "/workshops",
        summary="Per workshop: sessions, places, take-up, certifications and their use",
        responses=_files(WorkshopsOut),
    )
    async def workshops(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        date_from: From = None,
        date_to: To = None,
        format: Format = ExportFormat.JSON,
    ) -> Response[Any]:
        first, last = period(date_from, date_to, clock, settings)
        async with db.read() as session:
            rows = await queries.workshops(session, first, last)
        return answer(tables.workshops_table(rows, first, last, lang=language(request)), format)

    @get(
        "/demand",
        summary="Refused booking attempts made in the period, by resource or code",
        responses=_files(DemandOut),
    )
    async def demand(
        self,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        date_from: From = None,
        date_to: To = None,
        location: Slug = None,
        group_by: FromQuery[DemandGroup] = DemandGroup.RESOURCE,
        format: Format = ExportFormat.JSON,
    ) -> Response[Any]:
        first, last = period(date_from, date_to, clock, settings)
        async with db.read() as session:
            rows = await queries.demand(session, first, last, group_by=group_by.value, location=location)
        return answer(tables.demand_table(rows, first, last), format)

    @get(
        "/loans",
        summary="Loans, days lent, renewals, returns and overdue loans by factor, resource or location",
        responses=_files(LoansOut),
    )
    async def loans(
        self,
        request: Request[Any, Any, Any],
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        date_from: From = None,
        date_to: To = None,
        location: Slug = None,
        factor: FromQuery[Factor | None] = None,
        group_by: FromQuery[LoanGroup] = LoanGroup.FACTOR,
        format: Format = ExportFormat.JSON,
    ) -> Response[Any]:
        first, last = period(date_from, date_to, clock, settings)
        async with db.read() as session:
            rows = await queries.loans(
                session,
                first,
                last,
                today=today_of(clock, settings),
                group_by=group_by.value,
                location=location,
                factor=factor.value if factor else None,
            )
        return answer(tables.loans_table(rows, first, last, lang=language(request)), format)

    @get(
        "/trends",
        summary=(
            "The figures of each of the twelve months or 52 weeks up to `to`,"
            " beside the same days a year earlier"
        ),
        responses=_files(TrendOut),
    )
    async def trends(
        self,
        db: DatabaseDep,
        clock: ClockDep,
        settings: SettingsDep,
        date_to: To = None,
        location: Slug = None,
        factor: FromQuery[Factor | None] = None,
        granularity: FromQuery[Granularity] = Granularity.MONTH,
        format: Format = ExportFormat.JSON,
    ) -> Response[Any]:
        last = date_to or today_of(clock, settings)
        if not rules.EARLIEST <= last <= rules.LATEST:
            raise InvalidInput("invalid_query", "to", source="query")
        async with db.read() as session:
            points = await trends.trend(
                session, last, granularity.value, location=location, factor=factor.value if factor else None
            )
        return answer(tables.trend_table(points, granularity.value), format)
