"""The pure rules of the statistics: age bands, suppression, spans and hour cells (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from library.catalog.hours import DatedException, Period, WeeklyPeriod
from library.stats import rules, tables
from library.stats.queries import PeopleFigures, PeopleRow

BERLIN = ZoneInfo("Europe/Berlin")


def test_age_bands_change_on_the_birthday() -> None:
    born = date(2014, 6, 15)
    assert rules.age_band(born, date(2026, 6, 14)) == "under_12"
    assert rules.age_band(born, date(2026, 6, 15)) == "12_17"
    assert rules.age_band(date(1961, 1, 1), date(2026, 1, 1)) == "65_plus"
    assert rules.age_band(date(1961, 1, 2), date(2026, 1, 1)) == "27_64"
    assert rules.age_band(None, date(2026, 1, 1)) == rules.UNKNOWN_AGE


def test_counts_of_one_to_four_people_are_never_shown() -> None:
    assert [rules.shown(n) for n in (0, 1, 4, 5, 12)] == [0, None, None, 5, 12]
    table = tables.people_table(
        PeopleFigures(
            [PeopleRow("space", 9, 2), PeopleRow("knowhow", 12, 6), PeopleRow("networking", 3, 3)],
            date(2026, 1, 1),
            date(2026, 1, 31),
        ),
        date(2026, 1, 1),
        date(2026, 1, 31),
    )
    rows = {row["key"]: row for row in table.rows}
    # 2 new would be 9 - 7 returning: both hidden, the total shown.
    assert (rows["space"]["people"], rows["space"]["new_people"], rows["space"]["returning_people"]) == (
        9,
        None,
        None,
    )
    assert rows["space"]["suppressed"] is True
    assert (
        rows["knowhow"]["new_people"],
        rows["knowhow"]["returning_people"],
        rows["knowhow"]["suppressed"],
    ) == (
        6,
        6,
        False,
    )
    assert rows["networking"]["people"] is None
    assert b",9,," in table.csv()


def test_open_time_skips_closures_and_keeps_staffed_periods_apart() -> None:
    weekly = (
        WeeklyPeriod(1, Period(time(10), time(14))),
        WeeklyPeriod(1, Period(time(14), time(18), staffed=False)),
    )
    closed = (DatedException(date(2026, 11, 9), date(2026, 11, 9), closed=True),)
    opened = rules.open_time(date(2026, 11, 2), date(2026, 11, 15), BERLIN, weekly, closed)
    assert rules.total_minutes(opened.every) == 480  # two Mondays, one closed; periods joined
    assert rules.total_minutes(opened.staffed) == 240
    assert len(opened.every) == 1


def test_overlap_counts_overlapping_blocks_once() -> None:
    day = [rules.Span(datetime(2026, 11, 2, 9, tzinfo=UTC), datetime(2026, 11, 2, 17, tzinfo=UTC))]
    blocks = [
        rules.Span(datetime(2026, 11, 2, 8, tzinfo=UTC), datetime(2026, 11, 2, 10, tzinfo=UTC)),
        rules.Span(datetime(2026, 11, 2, 9, 30, tzinfo=UTC), datetime(2026, 11, 2, 11, tzinfo=UTC)),
    ]
    assert rules.total_minutes(rules.overlap(day, blocks)) == 120


def test_hour_cells_count_the_repeated_autumn_hour_twice() -> None:
    night = rules.Span(
        datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 25, 3, tzinfo=UTC)
    )  # 01:00 CEST to 04:00 CET: four hours
    cells = rules.hour_cells([night], BERLIN)
    assert cells == {(7, 1): 60, (7, 2): 120, (7, 3): 60}
    assert rules.period_bounds(date(2026, 3, 29), date(2026, 3, 29), BERLIN).minutes == 23 * 60


def test_people_are_counted_over_whole_months_where_retention_has_kept_the_days() -> None:
    kept = date(2026, 8, 27)
    # Nothing kept, or the period wholly after the kept days: exactly the period.
    assert rules.counted_period(date(2026, 8, 10), date(2026, 8, 12), None) == (
        date(2026, 8, 10),
        date(2026, 8, 12),
    )
    assert rules.counted_period(date(2026, 8, 28), date(2026, 9, 3), kept) == (
        date(2026, 8, 28),
        date(2026, 9, 3),
    )
    # Whole months stay as they are (the presets), also across the kept edge.
    assert rules.counted_period(date(2026, 7, 1), date(2026, 7, 31), kept) == (
        date(2026, 7, 1),
        date(2026, 7, 31),
    )
    assert rules.counted_period(date(2026, 1, 1), date(2026, 12, 31), kept) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    # A mid-month period in kept days: its months, but never past the kept edge.
    assert rules.counted_period(date(2026, 7, 10), date(2026, 7, 20), kept) == (
        date(2026, 7, 1),
        date(2026, 7, 31),
    )
    assert rules.counted_period(date(2026, 8, 10), date(2026, 8, 12), kept) == (date(2026, 8, 1), kept)
    assert rules.counted_period(date(2026, 2, 10), date(2026, 9, 5), kept) == (
        date(2026, 2, 1),
        date(2026, 9, 5),
    )
    assert rules.month_end(date(2028, 2, 3)) == date(2028, 2, 29)
    assert rules.month_end(date(2026, 12, 3)) == date(2026, 12, 31)


def test_a_trend_is_twelve_months_to_the_last_day_beside_the_same_days_a_year_earlier() -> None:
    months = rules.trend_buckets(date(2026, 12, 5), "month")
    assert len(months) == 12
    assert (months[0].first, months[0].last) == (date(2026, 1, 1), date(2026, 1, 31))
    assert (months[-1].first, months[-1].last) == (date(2026, 12, 1), date(2026, 12, 5))
    assert (months[-1].previous_first, months[-1].previous_last) == (date(2025, 12, 1), date(2025, 12, 5))
    # A whole February is compared with a whole February, leap day included.
    february = rules.trend_buckets(date(2025, 2, 28), "month")[-1]
    assert (february.previous_first, february.previous_last) == (date(2024, 2, 1), date(2024, 2, 29))
    # A leap day as the last day: a year earlier the month ends on the 28th.
    leap = rules.trend_buckets(date(2028, 2, 29), "month")[-1]
    assert (leap.previous_first, leap.previous_last) == (date(2027, 2, 1), date(2027, 2, 28))
    clipped = rules.trend_buckets(date(2024, 3, 30), "month")[-1]
    assert clipped.previous_last == date(2023, 3, 30)


def test_a_weekly_trend_is_52_weeks_from_monday_beside_the_weeks_52_weeks_earlier() -> None:
    weeks = rules.trend_buckets(date(2026, 12, 2), "week")  # a Wednesday
    assert len(weeks) == 52
    assert (weeks[-1].first, weeks[-1].last) == (date(2026, 11, 30), date(2026, 12, 2))
    assert (weeks[-1].previous_first, weeks[-1].previous_last) == (date(2025, 12, 1), date(2025, 12, 3))
    assert all(w.first.weekday() == 0 and w.previous_first.weekday() == 0 for w in weeks)
    assert all(b.first == a.last + timedelta(days=1) for a, b in pairwise(weeks))
    assert weeks[0].first == date(2025, 12, 8)
    assert weeks[0].previous_first == weeks[-1].previous_first - timedelta(weeks=51)
