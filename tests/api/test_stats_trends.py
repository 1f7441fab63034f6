"""GET /api/v1/stats/trends: each month or week has the figures the other statistics give for its
days, beside the same days a year earlier, before and after the roll-up and retention; on both
engines, with the files read back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import load_workbook

from library.booking.models import BookingStatus
from library.db import Database
from library.privacy import anonymise_expired
from library.stats.models import RefusalEvent
from library.stats.rollup import roll_up
from tests.api.test_stats import add_workshop, local, people_in_november, staff_token, stats, visitors
from tests.support.api import Client
from tests.support.booking_rows import insert_booking, row
from tests.support.factories import assert_problem, bearer, get_token

UTILISATION = ("open_minutes", "booked_minutes", "used_minutes", "bookings", "no_shows", "late_cancellations")


async def a_year_of_figures(db: Database) -> None:
    """People in November (test_stats), a course in August with bookings after it, a booking and a
    no-show a year earlier, and two refused attempts in November."""
    made = await people_in_november(db)
    makers = await visitors(db, 7, "maker", date(2000, 2, 2))
    await add_workshop(db, made, makers)
    room = made["room"]
    for day, hour, status in (
        (date(2025, 11, 12), 10, BookingStatus.COMPLETED),
        (date(2025, 11, 19), 14, BookingStatus.NO_SHOW),
    ):
        await insert_booking(
            db,
            row(
                room.id,
                room.units[0].id,
                local(day, hour),
                local(day, hour + 2),
                user_id=makers[6].id,
                status=status,
            ),
        )
    async with db.write() as session:
        for hour in (9, 17):
            at = local(date(2026, 11, 20), hour)
            session.add(RefusalEvent(resource_id=room.id, start_at=at, end_at=at, code="slot_taken", at=at))


async def figures_of(client: Client, token: str, first: str, last: str) -> dict[str, Any]:
    """The utilisation of all resources and the refused attempts of the days `first` to `last`."""
    period = {"from": first, "to": last}
    rows = (await stats(client, token, "utilisation", group_by="location", **period))["rows"]
    totals = {name: sum(r[name] for r in rows) for name in UTILISATION}
    demand = (await stats(client, token, "demand", **period))["rows"]
    return {**totals, "refused": sum(r["refused"] for r in demand)}


def own(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    return {name: row[prefix + name] for name in (*UTILISATION, "refused")}


async def test_each_month_has_the_figures_of_its_days_before_and_after_roll_up_and_retention(
    client: Client, db: Database
) -> None:
    await a_year_of_figures(db)
    staff = await staff_token(client)
    answer = await stats(client, staff, "trends", to="2026-11-30")
    assert (answer["from"], answer["to"]) == ("2025-12-01", "2026-11-30")
    months = answer["rows"]
    assert [m["first_day"] for m in months[:2]] == ["2025-12-01", "2026-01-01"]
    assert [(m["first_day"], m["last_day"]) for m in months[-1:]] == [("2026-11-01", "2026-11-30")]
    assert months[-1]["previous_first_day"] == "2025-11-01"
    for month in months:
        assert own(month) == await figures_of(client, staff, month["first_day"], month["last_day"])
        assert own(month, "previous_") == await figures_of(
            client, staff, month["previous_first_day"], month["previous_last_day"]
        )
    by_month = {m["first_day"][:7]: m for m in months}
    november = by_month["2026-11"]
    # 6 adults and 3 children, all for the first time; 12 bookings, 3 of them no-shows.
    assert (november["people"], november["new_people"], november["people_suppressed"]) == (9, 9, False)
    assert (november["bookings"], november["no_shows"], november["refused"]) == (12, 3, 2)
    # A year earlier: one maker, two bookings, one of them a no-show; one person is never shown.
    assert (november["previous_bookings"], november["previous_no_shows"]) == (2, 1)
    assert november["previous_booked_minutes"] == 240
    assert (november["previous_people"], november["previous_people_suppressed"]) == (None, True)
    # August: the course, 5 took part (new), 4 attended; September: 2 makers on the cutter.
    august = by_month["2026-08"]
    assert (august["people"], august["new_people"]) == (5, 5)
    assert (august["workshop_sessions"], august["workshop_attended"]) == (1, 4)
    assert (by_month["2026-09"]["people"], by_month["2026-09"]["people_suppressed"]) == (None, True)
    assert (by_month["2026-07"]["people"], by_month["2026-07"]["people_suppressed"]) == (0, False)
    assert november["booked_share"] == round(november["booked_minutes"] / november["open_minutes"], 4)

    # The roll-up takes over the closed days, retention forgets the people: the same trend.
    async with db.write() as session:
        await roll_up(session, datetime(2026, 12, 5, 12, tzinfo=UTC))
    assert await stats(client, staff, "trends", to="2026-11-30") == answer
    async with db.write() as session:
        assert (await anonymise_expired(session, datetime(2027, 6, 1, tzinfo=UTC), 90)).total > 0
    assert await stats(client, staff, "trends", to="2026-11-30") == answer
    # Weeks in days retention has kept are known by month only: their people are not counted.
    weeks = (await stats(client, staff, "trends", to="2026-11-30", granularity="week"))["rows"]
    assert all(w["people"] is None and not w["people_suppressed"] for w in weeks)
    assert sum(w["bookings"] for w in weeks if w["first_day"] >= "2026-11-02") == november["bookings"]


async def test_each_week_has_the_figures_of_its_days_and_52_weeks_earlier(
    client: Client, db: Database
) -> None:
    await a_year_of_figures(db)
    staff = await staff_token(client)
    weeks = (await stats(client, staff, "trends", to="2026-11-22", granularity="week"))["rows"]
    assert len(weeks) == 52
    assert (weeks[-1]["first_day"], weeks[-1]["last_day"]) == ("2026-11-16", "2026-11-22")
    assert (weeks[-1]["previous_first_day"], weeks[-1]["previous_last_day"]) == ("2025-11-17", "2025-11-23")
    assert all(date.fromisoformat(w["first_day"]).weekday() == 0 for w in weeks)
    for week in weeks[-3:]:
        assert own(week) == await figures_of(client, staff, week["first_day"], week["last_day"])
        assert own(week, "previous_") == await figures_of(
            client, staff, week["previous_first_day"], week["previous_last_day"]
        )
    tenth, twentieth = weeks[-2], weeks[-1]
    # The week of the 10th: 6 adults and a child, all new.
    assert (tenth["people"], tenth["new_people"]) == (7, 7)
    # The week of the 20th: 2 adults and 3 children, 2 of them new: 5 shown, new (2) and
    # returning (3) hidden.
    assert (twentieth["people"], twentieth["new_people"], twentieth["people_suppressed"]) == (5, None, True)
    assert twentieth["previous_no_shows"] == 1
    # A trend that ends mid-week ends there, and so does the week a year earlier.
    short = (await stats(client, staff, "trends", to="2026-11-18", granularity="week"))["rows"][-1]
    assert (short["first_day"], short["last_day"]) == ("2026-11-16", "2026-11-18")
    assert (short["previous_first_day"], short["previous_last_day"]) == ("2025-11-17", "2025-11-19")
    assert own(short) == await figures_of(client, staff, "2026-11-16", "2026-11-18")


async def test_the_trend_downloads_and_refuses_what_it_cannot_answer(client: Client, db: Database) -> None:
    await a_year_of_figures(db)
    staff = await staff_token(client)
    exported = await stats(client, staff, "trends", to="2026-11-30", format="csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(lines) == 12
    assert (lines[-1]["first_day"], lines[-1]["people"], lines[-1]["previous_people"]) == (
        "2026-11-01",
        "9",
        "",
    )
    assert lines[-1]["previous_people_suppressed"] == "true"
    workbook = await stats(client, staff, "trends", to="2026-11-30", format="xlsx", granularity="week")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    header, *values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 52
    last = dict(zip(header, values[-1], strict=True))
    assert isinstance(last["first_day"], datetime)
    assert last["first_day"].date() == date(2026, 11, 30)
    assert isinstance(last["open_minutes"], int | float)
    assert isinstance(last["bookings"], int)

    visitor = await get_token(client)
    assert_problem(await client.get("/api/v1/stats/trends", headers=bearer(visitor)), 403, "forbidden")
    daily = await client.get("/api/v1/stats/trends", params={"granularity": "day"}, headers=bearer(staff))
    assert daily.status_code == 422
    far = await client.get("/api/v1/stats/trends", params={"to": "9999-12-31"}, headers=bearer(staff))
    assert_problem(far, 422, "invalid_query")
    document = (await client.get("/schema/openapi.json")).json()
    content = document["paths"]["/api/v1/stats/trends"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(content)
