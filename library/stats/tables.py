"""The figures as tables: what the API answers, the pages show and the CSV and XLSX files hold.

One shape for all three, so the numbers cannot differ between them. Counts of people pass
through `rules.shown` here, the only way out: 1 to 4 become None with `suppressed: True`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from library.catalog.csv_io import neutralised
from library.i18n import DEFAULT_LANGUAGE, Lang, pick
from library.stats import rules
from library.stats.queries import (
    LOAN_FIGURES,
    DemandRow,
    HeatCell,
    LoanRow,
    PeopleFigures,
    UtilisationRow,
    WorkshopRow,
)
from library.stats.trends import TrendFigures, TrendPoint

CSV_MEDIA_TYPE = "text/csv; header=present"
"""Comma-separated, UTF-8 with a byte-order mark (so Excel reads the umlauts), a header row;
Litestar adds `charset=utf-8`."""
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Table:
    name: str
    first: date
    last: date
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    counted: tuple[date, date] | None = None
    """The days the figures were counted over where that can differ from the period (people:
    widened to whole months in days retention has kept); in the files, two last columns."""

    def document(self, key: str = "rows") -> dict[str, Any]:
        """The JSON answer: the period, the days counted where they can differ, and the rows."""
        answer: dict[str, Any] = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        if self.counted is not None:
            answer["counted_from"], answer["counted_to"] = (day.isoformat() for day in self.counted)
        answer[key] = self.rows
        return answer

    @property
    def _counted_columns(self) -> tuple[str, ...]:
        return () if self.counted is None else ("counted_from", "counted_to")

    def csv(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(("from", "to", *self.columns, *self._counted_columns))
        counted = () if self.counted is None else tuple(day.isoformat() for day in self.counted)
        for row in self.rows:
            writer.writerow(
                (
                    self.first.isoformat(),
                    self.last.isoformat(),
                    *(_csv_cell(row.get(c)) for c in self.columns),
                    *counted,
                )
            )
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    def xlsx(self) -> bytes:
        """Numbers stay numbers and the period's dates are dates; a missing value is an empty cell."""
        book = Workbook(write_only=True)
        sheet = book.create_sheet(self.name[:31])
        sheet.append(["from", "to", *self.columns, *self._counted_columns])

        def day_cell(day: date) -> Any:
            cell = WriteOnlyCell(sheet, value=datetime.combine(day, time()))
            cell.number_format = "yyyy-mm-dd"
            return cell

        for row in self.rows:
            cells: list[Any] = [day_cell(self.first), day_cell(self.last)]
            cells.extend(
                day_cell(value) if isinstance(value, date) else _xlsx_cell(value)
                for value in (row.get(c) for c in self.columns)
            )
            cells.extend(day_cell(day) for day in self.counted or ())
            sheet.append(cells)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def filename(self, extension: str) -> str:
        return f"{self.name}-{self.first.isoformat()}-{self.last.isoformat()}.{extension}"


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return neutralised(value)
    return str(value)


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralised(value)
    return value


def _minutes(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


BOOKED_FIGURES = (
    "open_minutes",
    "booked_minutes",
    "used_minutes",
    "booked_share",
    "used_share",
    "bookings",
    "no_shows",
    "late_cancellations",
)
"""The utilisation figures, in the utilisation table and in each month or week of a trend."""
UTILISATION_COLUMNS = ("key", "label", *BOOKED_FIGURES, "downtime_minutes")


def _booked_figures(r: UtilisationRow | TrendFigures) -> dict[str, Any]:
    return {
        "open_minutes": _minutes(r.open_minutes),
        "booked_minutes": _minutes(r.booked_minutes),
        "used_minutes": _minutes(r.used_minutes),
        "booked_share": r.booked_share,
        "used_share": r.used_share,
        "bookings": r.bookings,
        "no_shows": r.no_shows,
        "late_cancellations": r.late_cancellations,
    }


def utilisation_table(
    rows: Sequence[UtilisationRow], first: date, last: date, *, lang: Lang = DEFAULT_LANGUAGE
) -> Table:
    return Table(
        "utilisation",
        first,
        last,
        UTILISATION_COLUMNS,
        [
            {
                "key": r.key,
                "label": pick(lang, r.label, r.label_en),
                **_booked_figures(r),
                "downtime_minutes": _minutes(r.downtime_minutes),
            }
            for r in rows
        ],
    )


def heatmap_table(cells: Sequence[HeatCell], first: date, last: date) -> Table:
    return Table(
        "heatmap",
        first,
        last,
        ("weekday", "hour", "booked_share"),
        [{"weekday": c.weekday, "hour": c.hour, "booked_share": c.booked_share} for c in cells],
    )


def people_table(figures: PeopleFigures, first: date, last: date) -> Table:
    """Unique people, new and returning; if either of new and returning is hidden, both are (else
    the hidden one would be people minus the other). With the days they were counted over."""
    out = []
    for r in figures.rows:
        people = rules.shown(r.people)
        new, returning = rules.shown(r.new_people), rules.shown(r.returning_people)
        if people is None or new is None or returning is None:
            new = returning = None
        suppressed = None in (people, new, returning)
        out.append(
            {
                "key": r.key,
                "people": people,
                "new_people": new,
                "returning_people": returning,
                "suppressed": suppressed,
            }
        )
    return Table(
        "people",
        first,
        last,
        ("key", "people", "new_people", "returning_people", "suppressed"),
        out,
        (figures.counted_from, figures.counted_to),
    )


WORKSHOP_COLUMNS = (
    "slug",
    "title",
    "sessions",
    "places",
    "confirmed",
    "attended",
    "waitlist_peak",
    "fill_rate",
    "certifications_granted",
    "certified_then_booked",
)


def workshops_table(
    rows: Sequence[WorkshopRow], first: date, last: date, *, lang: Lang = DEFAULT_LANGUAGE
) -> Table:
    return Table(
        "workshops",
        first,
        last,
        WORKSHOP_COLUMNS,
        [
            {
                "slug": r.slug,
                "title": pick(lang, r.title, r.title_en),
                "sessions": r.sessions,
                "places": r.places,
                "confirmed": r.confirmed,
                "attended": r.attended,
                "waitlist_peak": r.waitlist_peak,
                "fill_rate": r.fill_rate,
                "certifications_granted": r.certifications_granted,
                "certified_then_booked": r.certified_then_booked,
            }
            for r in rows
        ],
    )


def demand_table(rows: Sequence[DemandRow], first: date, last: date) -> Table:
    return Table(
        "demand", first, last, ("key", "refused"), [{"key": r.key, "refused": r.refused} for r in rows]
    )


LOAN_COLUMNS = ("key", "label", *LOAN_FIGURES)


def loans_table(rows: Sequence[LoanRow], first: date, last: date, *, lang: Lang = DEFAULT_LANGUAGE) -> Table:
    return Table(
        "loans",
        first,
        last,
        LOAN_COLUMNS,
        [
            {
                "key": r.key,
                "label": pick(lang, r.label, r.label_en),
                **{n: getattr(r, n) for n in LOAN_FIGURES},
            }
            for r in rows
        ],
    )


TREND_FIGURES = (
    *BOOKED_FIGURES,
    "people",
    "new_people",
    "people_suppressed",
    "people_counted_from",
    "people_counted_to",
    "refused",
    "loans",
    "workshop_sessions",
    "workshop_attended",
)
TREND_COLUMNS = (
    "first_day",
    "last_day",
    *TREND_FIGURES,
    "previous_first_day",
    "previous_last_day",
    *(f"previous_{name}" for name in TREND_FIGURES),
)


def _trend_figures(figures: TrendFigures) -> dict[str, Any]:
    """A month's or week's figures; people pass through `rules.shown` like every count of people."""
    people = new = None
    suppressed = False
    if figures.people is not None and figures.new_people is not None:
        # As in people_table: new people are hidden when they or the returning ones (people
        # less new) are 1 to 4, else the hidden count would follow from the other two.
        people = rules.shown(figures.people)
        new = rules.shown(figures.new_people)
        if people is None or new is None or rules.shown(figures.people - figures.new_people) is None:
            new = None
        suppressed = people is None or new is None
    return {
        **_booked_figures(figures),
        "people": people,
        "new_people": new,
        "people_suppressed": suppressed,
        "people_counted_from": figures.counted_from,
        "people_counted_to": figures.counted_to,
        "refused": figures.refused,
        "loans": figures.loans,
        "workshop_sessions": figures.workshop_sessions,
        "workshop_attended": figures.workshop_attended,
    }


def trend_table(points: Sequence[TrendPoint], granularity: str) -> Table:
    """One row per month or week, oldest first, its figures and the same days' a year earlier."""
    rows = []
    for point in points:
        previous = _trend_figures(point.previous)
        rows.append(
            {
                "first_day": point.current.first,
                "last_day": point.current.last,
                **_trend_figures(point.current),
                "previous_first_day": point.previous.first,
                "previous_last_day": point.previous.last,
                **{f"previous_{name}": value for name, value in previous.items()},
            }
        )
    return Table(
        f"trend-{granularity}", points[0].current.first, points[-1].current.last, TREND_COLUMNS, rows
    )
