"""The statistics pages: filters, charts with their tables, suppressed counts, downloads, the report."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from library.booking.models import BookingStatus
from library.db import Database
from library.privacy import anonymise_expired
from tests.api.test_stats import people_in_november
from tests.api.test_stats_loans import things_lent
from tests.api.test_stats_trends import a_year_of_figures
from tests.support.api import Client
from tests.support.booking_rows import insert_booking, row
from tests.support.forms import sign_in
from tests.support.times import BERLIN


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN).astimezone(UTC)


async def test_only_staff_see_statistics(client: Client, db: Database) -> None:
    await people_in_november(db)
    assert (await client.get("/staff/stats", follow_redirects=False)).status_code in (302, 303)
    await sign_in(client, "anna@example.org")
    assert (await client.get("/staff/stats")).status_code == 403
    assert (await client.get("/staff/stats/report")).status_code == 403


async def test_the_page_shows_charts_tables_and_suppressed_counts(client: Client, db: Database) -> None:
    made = await people_in_november(db)
    room = made["room"]
    await insert_booking(
        db,
        row(
            room.id,
            room.units[0].id,
            local(date(2026, 11, 2), 10),
            local(date(2026, 11, 2), 12),
            status=BookingStatus.CHECKED_IN,
        ),
    )
    await sign_in(client, "staff@example.org")
    page = await client.get("/staff/stats", params={"period": "last_month"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "1. November 2026" in html or "Sonntag, 1. November 2026" in html
    for chart in ("chart-utilisation", "chart-trend-booked-share", "chart-heatmap"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
    assert "<script" not in html.split("<main", 1)[1]
    # The people table: space 6 different people shown (all new), technology 3 hidden.
    people = html.split('id="people-heading"', 1)[1].split("</section>", 1)[0]
    assert people.count("<td>6</td><td>6</td><td>0</td>") == 2  # space, 27 to 64
    assert people.count('class="suppressed"') == 3 + 3  # technology, under 12
    # What is counted is said: different people, each once however often they came.
    assert "Verschiedene Personen nach Faktor" in people
    assert "Jede Person zählt im Zeitraum einmal" in people
    assert "in ganzen Monaten" not in people  # nothing kept: the days exactly
    assert "/api/v1/stats/people?from=2026-11-01&amp;to=2026-11-30&amp;group_by=factor&amp;format=csv" in html
    download = await client.get(
        "/api/v1/stats/people?from=2026-11-01&to=2026-11-30&group_by=factor&format=csv"
    )
    assert download.status_code == 200
    assert download.content.startswith(b"\xef\xbb\xbf")

    english = await client.get(
        "/staff/stats",
        params={"period": "custom", "date_from": "2026-11-01", "date_to": "2026-11-30"},
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 200
    assert "Unique people by factor" in english.text

    # Once retention has kept November, a few of its days are counted over the month, and said so.
    async with db.write() as session:
        await anonymise_expired(session, datetime(2027, 6, 1, tzinfo=UTC), 90)
    kept = await client.get(
        "/staff/stats", params={"period": "custom", "date_from": "2026-11-10", "date_to": "2026-11-20"}
    )
    assert kept.status_code == 200
    kept_people = kept.text.split('id="people-heading"', 1)[1].split("</section>", 1)[0]
    assert "in ganzen Monaten" in kept_people
    assert kept_people.count("<td>6</td><td>6</td><td>0</td>") == 2


async def test_wrong_filters_are_shown_next_to_their_fields(client: Client, db: Database) -> None:
    await people_in_november(db)
    await sign_in(client, "staff@example.org")
    page = await client.get(
        "/staff/stats",
        params={"period": "custom", "date_from": "2026-11-30", "date_to": "2026-11-01", "factor": "colour"},
    )
    assert page.status_code == 422
    assert 'value="2026-11-30"' in page.text
    assert page.text.count("field-error") >= 2
    far = await client.get(
        "/staff/stats", params={"period": "custom", "date_from": "2026-11-01", "date_to": "9999-12-31"}
    )
    assert far.status_code == 422


async def test_the_monthly_report_prints_the_month(client: Client, db: Database) -> None:
    await people_in_november(db)
    await sign_in(client, "staff@example.org")
    page = await client.get("/staff/stats/report", params={"month": "2026-11"})
    assert page.status_code == 200, page.text
    assert "November 2026" in page.text
    assert 'id="utilisation-heading"' in page.text
    wrong = await client.get("/staff/stats/report", params={"month": "November"})
    assert wrong.status_code == 422


def loans_section(html: str) -> str:
    return html.split('id="loans-heading"', 1)[1].split("</section>", 1)[0]


async def test_the_loans_section_shows_the_loan_figures_in_both_languages(
    client: Client, db: Database
) -> None:
    await things_lent(db)
    await sign_in(client, "staff@example.org")
    page = await client.get("/staff/stats", params={"period": "last_month"})
    assert page.status_code == 200, page.text
    section = loans_section(page.text)
    assert 'aria-labelledby="chart-loans-title chart-loans-desc"' in section
    # Technology: 2 loans, 26 days out, 2 renewals, 1 on time, 1 late, 1 overdue by 3 days,
    # 1 damaged, 1 with a part missing (tests/api/test_stats_loans.py works them out).
    assert re.search(
        r"Technologie</th><td>2</td><td>26</td>\s*<td>2</td><td>1</td><td>1</td>\s*<td>1</td><td>3</td><td>1</td>\s*<td>1</td>",
        section,
    ), section
    assert (
        "2 Ausleihen ausgegeben, Dinge an 26 Tagen in diesem Zeitraum verliehen;"
        " Stand Montag, 30. November 2026: 1 überfällig." in section
    )
    assert (
        "/api/v1/stats/loans?from=2026-11-01&amp;to=2026-11-30&amp;group_by=factor&amp;format=xlsx" in section
    )
    technology_only = await client.get(
        "/staff/stats", params={"period": "last_month", "factor": "innovation"}
    )
    assert "Technologie</th>" not in loans_section(technology_only.text)
    english = await client.get(
        "/staff/stats", params={"period": "last_month"}, headers={"Accept-Language": "en"}
    )
    english_section = loans_section(english.text)
    assert "Loans by factor" in english_section
    assert "2 loans handed out, things out on 26 days in this period; 1 overdue as of" in english_section


async def test_the_monthly_report_has_the_loans_per_factor(client: Client, db: Database) -> None:
    await things_lent(db)
    await sign_in(client, "staff@example.org")
    for language, heading in (("de", "Ausleihen nach Faktor"), ("en", "Loans by factor")):
        page = await client.get(
            "/staff/stats/report", params={"month": "2026-11"}, headers={"Accept-Language": language}
        )
        assert page.status_code == 200, page.text
        section = loans_section(page.text)
        assert heading in section
        assert re.search(r"</th><td>2</td><td>26</td>", section), section


def trend_section(html: str) -> str:
    return html.split('id="trend-heading"', 1)[1].split("</section>", 1)[0]


async def test_the_trend_shows_each_figure_by_month_or_week_beside_a_year_earlier(
    client: Client, db: Database
) -> None:
    await a_year_of_figures(db)
    await sign_in(client, "staff@example.org")
    page = await client.get("/staff/stats", params={"period": "last_month"})
    assert page.status_code == 200, page.text
    section = trend_section(page.text)
    assert "Verlauf nach Monat" in section
    for figure in ("booked-share", "bookings", "people", "refused"):
        assert f'aria-labelledby="chart-trend-{figure}-title chart-trend-{figure}-desc"' in section
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', section, re.S)
    assert [name for name, _ in rows][-2:] == ["Oktober 2026", "November 2026"]
    assert len(rows) == 12
    november = re.findall(r"<td>(.*?)</td>", rows[-1][1], re.S)
    # Bookings now and a year earlier, then no-shows, then unique people (9; a year earlier 1,
    # never shown).
    assert november[4:8] == ["12", "2", "3", "1"]
    assert november[8] == "9"
    assert 'class="suppressed"' in november[9]
    assert "/api/v1/stats/trends?to=2026-11-30&amp;granularity=month&amp;format=csv" in section

    switch = re.search(r'<a href="(/staff/stats\?[^"]*trend=week[^"]*)#trend-heading"', section)
    assert switch is not None
    weekly = await client.get(switch.group(1).replace("&amp;", "&"))
    assert weekly.status_code == 200
    weeks = trend_section(weekly.text)
    assert "Verlauf nach Woche" in weeks
    assert weeks.count('<tr><th scope="row">KW ') == 52
    assert "/api/v1/stats/trends?to=2026-11-30&amp;granularity=week&amp;format=xlsx" in weeks

    english = await client.get(
        "/staff/stats", params={"period": "last_month", "trend": "week"}, headers={"Accept-Language": "en"}
    )
    assert "Trend by week" in trend_section(english.text)
    assert '<th scope="row">Week 48, ' in english.text
    wrong = await client.get("/staff/stats", params={"period": "last_month", "trend": "hour"})
    assert wrong.status_code == 422
    assert "Bitte wählen Sie Monat oder Woche." in wrong.text
