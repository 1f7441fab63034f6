"""Staff: the statistics pages, the same tables as GET /api/v1/stats/*, with SVG charts.

Charts are drawn on the server by small Jinja macros (templates/macros/charts.html): a few
rectangles and lines need no charting package, work without JavaScript, and keep the
design's colours; each chart has a title, a sentence that says what it shows, and its
numbers as a table beside it. The monthly report is the same figures for one month, laid
out for printing on A4.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, get
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import select

from library.catalog.models import Factor, Location, ResourceKind
from library.http.viewer import staff_only
from library.i18n import N_, Lang, format_day_month, format_month, pick, translate, weekday_names
from library.stats import queries, rules, tables, trends
from library.stats.rules import EARLIEST, LATEST, UNKNOWN_AGE, Granularity
from library.stats.tables import Table
from library.web import parsing
from library.web.catalogue import factor_name, kind_name
from library.web.common import Form, PageContextDep

PERIODS = (
    ("this_month", N_("This month")),
    ("last_month", N_("Last month")),
    ("this_year", N_("This year")),
    ("custom", N_("Custom")),
)
AGE_BAND_NAMES = {
    "under_12": N_("Under 12"),
    "12_17": N_("12 to 17"),
    "18_26": N_("18 to 26"),
    "27_64": N_("27 to 64"),
    "65_plus": N_("65 and over"),
    UNKNOWN_AGE: N_("Age not given"),
}
MAX_DAYS = 732
TREND_BY = (("month", N_("Month")), ("week", N_("Week")))
TREND_CHARTS = (
    ("booked_share", N_("Booked share"), N_("Booked minutes of the open unit-minutes.")),
    ("bookings", N_("Bookings"), N_("Visitor bookings that started then.")),
    ("people", N_("Unique people"), N_("Each person once per month or week; fewer than 5 are not shown.")),
    ("refused", N_("Refused attempts"), N_("Booking attempts we had to turn away.")),
)
TREND_TABLE = (
    ("booked_share", N_("Booked share")),
    ("used_share", N_("Used share")),
    ("bookings", N_("Bookings")),
    ("no_shows", N_("No-shows")),
    ("people", N_("Unique people")),
    ("new_people", N_("New people")),
    ("refused", N_("Refused attempts")),
    ("loans", N_("Loans")),
    ("workshop_sessions", N_("Workshop sessions")),
    ("workshop_attended", N_("Workshop places attended")),
)


@dataclass(frozen=True)
class Chosen:
    """What the filters ask for: the period, a location and a factor (empty: all)."""

    first: date
    last: date
    location: str
    factor: str
    trend_by: Granularity = "month"

    def query(self, **more: str) -> str:
        values = {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "location": self.location,
            **more,
        }
        return urlencode({k: v for k, v in values.items() if v})


def named_period(kind: str, today: date) -> tuple[date, date] | None:
    """The dates of a named period ending today at the latest; None for a custom one."""
    if kind == "this_month":
        return today.replace(day=1), today
    if kind == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if kind == "this_year":
        return today.replace(month=1, day=1), today
    return None


def month_bounds(month: date) -> tuple[date, date]:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return month.replace(day=1), following - timedelta(days=1)


def key_label(lang: Lang, group: str, key: str) -> str:
    if group == "factor" and key in Factor.__members__.values():
        return factor_name(lang, Factor(key))
    if group == "kind" and key in ResourceKind.__members__.values():
        return kind_name(lang, ResourceKind(key))
    if group == "age_band":
        return translate(lang, AGE_BAND_NAMES.get(key, key))
    return key


def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)} %"


class StaffStatsPages(Controller):
    path = "/staff/stats"
    include_in_schema = False
    guards = (staff_only,)

    @get("/", name="staff-stats")
    async def overview(
        self,
        context: PageContextDep,
        period: FromQuery[str] = "this_month",
        date_from: FromQuery[str] = "",
        date_to: FromQuery[str] = "",
        location: FromQuery[str] = "",
        factor: FromQuery[str] = "",
        trend: FromQuery[str] = "month",
    ) -> Template:
        lang = context.lang
        today = context.now.astimezone(context.settings.zone).date()
        form = Form(
            values={
                "period": period,
                "date_from": date_from.strip(),
                "date_to": date_to.strip(),
                "location": location,
                "factor": factor,
                "trend": trend,
            }
        )
        async with context.db.read() as session:
            locations = [(loc.slug, pick(lang, loc.name, loc.name_en)) for loc in await _locations(session)]
            chosen = self._chosen(form, lang, today, locations)
            figures: dict[str, Any] = {}
            if chosen is not None:
                figures = await self._figures(session, chosen, lang, today)
                other = "week" if chosen.trend_by == "month" else "month"
                asked = {name: form.value(name) for name in form.values}
                figures["trend"]["switch"] = "/staff/stats?" + urlencode(
                    {k: v for k, v in {**asked, "trend": other}.items() if v}
                )
        return context.render(
            "staff/stats.html",
            status=422 if form.has_errors else 200,
            form=form,
            periods=[(key, translate(lang, label)) for key, label in PERIODS],
            locations=locations,
            factors=[(f.value, factor_name(lang, f)) for f in Factor],
            trend_by=[(key, translate(lang, label)) for key, label in TREND_BY],
            chosen=chosen,
            weekdays=weekday_names(lang),
            percent=percent,
            **figures,
        )

    @get("/report", name="staff-stats-report")
    async def report(self, context: PageContextDep, month: FromQuery[str] = "") -> Template:
        """The month's figures for the city council, laid out to print on A4."""
        lang = context.lang
        today = context.now.astimezone(context.settings.zone).date()
        form = Form(values={"month": month.strip()})
        chosen_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        if form.value("month"):
            try:
                asked = date.fromisoformat(form.value("month") + "-01")
            except ValueError:
                form.add("month", translate(lang, N_("Please give a month as YYYY-MM.")))
            else:
                if EARLIEST <= asked <= LATEST:
                    chosen_month = asked
                else:
                    form.add("month", translate(lang, N_("Please choose a date between 1900 and 2199.")))
        first, last = month_bounds(chosen_month)
        chosen = Chosen(first, last, "", "")
        async with context.db.read() as session:
            figures = await self._figures(session, chosen, lang, today, trend=False)
        return context.render(
            "staff/stats_report.html",
            status=422 if form.has_errors else 200,
            form=form,
            chosen=chosen,
            month=chosen_month,
            month_name=format_month(chosen_month, lang),
            weekdays=weekday_names(lang),
            percent=percent,
            **figures,
        )

    def _chosen(self, form: Form, lang: Lang, today: date, locations: list[tuple[str, str]]) -> Chosen | None:
        if form.value("period") not in dict(PERIODS):
            form.add("period", translate(lang, N_("Please choose one of the listed periods.")))
            return None
        if form.value("location") and form.value("location") not in dict(locations):
            form.add("location", translate(lang, N_("Please choose one of the listed locations.")))
        if form.value("factor") and form.value("factor") not in Factor.__members__.values():
            form.add("factor", translate(lang, N_("Please choose one of the listed factors.")))
        trend_by: Granularity = "week" if form.value("trend") == "week" else "month"
        if form.value("trend") not in ("month", "week"):
            form.add("trend", translate(lang, N_("Please choose month or week.")))
        named = named_period(form.value("period"), today)
        if named is None:
            first = parsing.day(form, "date_from", lang, required=True)
            last = parsing.day(form, "date_to", lang, required=True)
            out_of_range = [
                name
                for name, day in (("date_from", first), ("date_to", last))
                if day and not EARLIEST <= day <= LATEST
            ]
            for name in out_of_range:
                form.add(name, translate(lang, N_("Please choose a date between 1900 and 2199.")))
            if out_of_range:
                pass
            elif first and last and last < first:
                form.add("date_to", translate(lang, N_("The last day must not be before the first.")))
            elif first and last and (last - first).days >= MAX_DAYS:
                form.add("date_to", translate(lang, N_("Please choose at most two years.")))
            named = (first, last) if first and last else None
        if form.has_errors or named is None:
            return None
        return Chosen(named[0], named[1], form.value("location"), form.value("factor"), trend_by)

    async def _figures(
        self, session: Any, chosen: Chosen, lang: Lang, today: date, *, trend: bool = True
    ) -> dict[str, Any]:
        first, last, location = chosen.first, chosen.last, chosen.location or None
        factor = chosen.factor or None
        grouped = await queries.utilisation_by(
            session, first, last, ("factor", "resource"), location=location, factor=factor
        )
        by_factor, by_resource = grouped["factor"], grouped["resource"]
        cells = await queries.heatmap(session, first, last, location=location, factor=factor)
        people = await queries.people_by(
            session, first, last, ("factor", "age_band"), location=location, factor=factor
        )
        people_factor, people_age = people["factor"], people["age_band"]
        workshop_rows = await queries.workshops(session, first, last)
        demand_rows = await queries.demand(session, first, last, group_by="resource", location=location)
        demand_codes = await queries.demand(session, first, last, group_by="code", location=location)
        loan_rows = await queries.loans(
            session, first, last, today=today, group_by="factor", location=location, factor=factor
        )
        result: dict[str, Any] = {
            "utilisation": _labelled(
                tables.utilisation_table(by_factor, first, last, lang=lang), lang, "factor"
            ),
            "resources": tables.utilisation_table(by_resource, first, last, lang=lang),
            "heatmap": tables.heatmap_table(cells, first, last),
            "heat_hours": _open_hours(cells),
            "people_factor": _labelled(tables.people_table(people_factor, first, last), lang, "factor"),
            "people_age": _labelled(tables.people_table(people_age, first, last), lang, "age_band"),
            "workshops": tables.workshops_table(workshop_rows, first, last, lang=lang),
            "demand": tables.demand_table(demand_rows, first, last),
            "demand_codes": tables.demand_table(demand_codes, first, last),
            "loans": _labelled(tables.loans_table(loan_rows, first, last, lang=lang), lang, "factor"),
            "loan_totals": _loan_totals(loan_rows, min(last, today)),
            "downloads": _downloads(chosen),
            "totals": _totals(by_factor),
        }
        if trend:
            result["trend"] = await _trend(session, chosen, lang)
        return result


async def _locations(session: Any) -> list[Location]:
    return list((await session.scalars(select(Location).order_by(Location.position, Location.id))).all())


def _labelled(table: Table, lang: Lang, group: str) -> Table:
    """The table with each row's key named in the page's language (`name`)."""
    for row in table.rows:
        row["name"] = key_label(lang, group, str(row["key"]))
    return table


def _open_hours(cells: list[queries.HeatCell]) -> list[int]:
    """The hours in which anything was open, so the heatmap leaves out the night."""
    hours = sorted({c.hour for c in cells if c.open_minutes > 0})
    return list(range(hours[0], hours[-1] + 1)) if hours else []


def _totals(rows: list[queries.UtilisationRow]) -> dict[str, Any]:
    open_minutes = sum(r.open_minutes for r in rows)
    booked = sum(r.booked_minutes for r in rows)
    used = sum(r.used_minutes for r in rows)
    return {
        "booked_share": booked / open_minutes if open_minutes else None,
        "used_share": used / open_minutes if open_minutes else None,
        "bookings": sum(r.bookings for r in rows),
        "no_shows": sum(r.no_shows for r in rows),
        "booked_hours": round(booked / 60),
    }


def _loan_totals(rows: list[queries.LoanRow], as_of: date) -> dict[str, Any]:
    """The loan figures of all rows together, and the day `overdue_now` is counted at."""
    total = queries.LoanRow("", "")
    for row in rows:
        total.add(row)
    return {"as_of": as_of, **{name: getattr(total, name) for name in queries.LOAN_FIGURES}}


def _downloads(chosen: Chosen) -> dict[str, dict[str, str]]:
    """For each table, its CSV and XLSX from the API (staff's session cookie is enough there)."""
    factor = {"factor": chosen.factor} if chosen.factor else {}
    links = {
        "utilisation": ("utilisation", {"group_by": "factor"}),
        "resources": ("utilisation", {"group_by": "resource"}),
        "heatmap": ("heatmap", factor),
        "people_factor": ("people", {"group_by": "factor"}),
        "people_age": ("people", {"group_by": "age_band"}),
        "workshops": ("workshops", {}),
        "demand": ("demand", {"group_by": "resource"}),
        "demand_codes": ("demand", {"group_by": "code"}),
        "loans": ("loans", {"group_by": "factor", **factor}),
    }
    result = {}
    for name, (figure, extra) in links.items():
        if figure == "workshops":
            base = urlencode({"from": chosen.first.isoformat(), "to": chosen.last.isoformat()})
        else:
            base = chosen.query(**extra)
        result[name] = {form: f"/api/v1/stats/{figure}?{base}&format={form}" for form in ("csv", "xlsx")}
    trend = urlencode(
        {
            "to": chosen.last.isoformat(),
            "granularity": chosen.trend_by,
            **{k: v for k, v in (("location", chosen.location), ("factor", chosen.factor)) if v},
        }
    )
    result["trend"] = {form: f"/api/v1/stats/trends?{trend}&format={form}" for form in ("csv", "xlsx")}
    return result


async def _trend(session: Any, chosen: Chosen, lang: Lang) -> dict[str, Any]:
    """The months or weeks up to the period's end beside the same days a year earlier: the rows of
    GET /api/v1/stats/trends, named in the page's language, and the points of its charts."""
    points = await trends.trend(
        session,
        chosen.last,
        chosen.trend_by,
        location=chosen.location or None,
        factor=chosen.factor or None,
    )
    rows = tables.trend_table(points, chosen.trend_by).rows
    for n, row in enumerate(rows):
        first, last = row["first_day"], row["last_day"]
        if chosen.trend_by == "month":
            row["name"] = format_month(first, lang)
            row["label"] = format_month(first, lang, short=True)
        else:
            row["name"] = translate(
                lang,
                N_("Week %(number)s, %(first)s to %(last)s"),
                number=first.isocalendar().week,
                first=format_day_month(first, lang),
                last=format_day_month(last, lang),
            )
            # A label where a month begins, so that 52 weeks stay readable.
            row["label"] = format_month(first, lang, short=True) if n == 0 or first.day <= 7 else ""
    charts = []
    for figure, title, summary in TREND_CHARTS:
        highest = max((row[name] or 0 for row in rows for name in (figure, f"previous_{figure}")), default=0)
        charts.append(
            {
                "id": f"chart-trend-{figure.replace('_', '-')}",
                "title": translate(lang, title),
                "summary": translate(lang, summary),
                "percent": figure.endswith("share"),
                "top": 1 if figure.endswith("share") else rules.chart_top(highest),
                "points": [
                    {"label": row["label"], "current": row[figure], "previous": row[f"previous_{figure}"]}
                    for row in rows
                ],
            }
        )
    return {
        "rows": rows,
        "charts": charts,
        "columns": [(name, translate(lang, label)) for name, label in TREND_TABLE],
        "people_by_month_only": any(
            row[f"{prefix}people"] is None and not row[f"{prefix}people_suppressed"]
            for row in rows
            for prefix in ("", "previous_")
        ),
    }
