"""The dates of a series keep their local time across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from library.booking.intervals import Interval
from library.booking.series import MAX_OCCURRENCES, Repeat, occurrences

BERLIN = ZoneInfo("Europe/Berlin")


def first(day: date, hour: int) -> Interval:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN).astimezone(UTC)
    return Interval(start, start + timedelta(hours=1))


def test_weekly_across_the_spring_change_keeps_14_oclock() -> None:
    dates = occurrences(first(date(2027, 3, 20), 14), Repeat("weekly", count=3), BERLIN)
    assert [d.start.astimezone(BERLIN).hour for d in dates] == [14, 14, 14]
    assert [d.start.astimezone(BERLIN).utcoffset() for d in dates] == [
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    assert all(d.end - d.start == timedelta(hours=1) for d in dates)


def test_daily_with_interval_until_a_date_across_the_autumn_change() -> None:
    dates = occurrences(
        first(date(2026, 10, 22), 9), Repeat("daily", interval=2, until=date(2026, 10, 28)), BERLIN
    )
    assert [d.start.astimezone(BERLIN).date().day for d in dates] == [22, 24, 26, 28]
    assert {d.start.astimezone(BERLIN).hour for d in dates} == {9}


def test_a_series_never_runs_past_its_maximum() -> None:
    assert (
        len(occurrences(first(date(2026, 12, 2), 9), Repeat("daily", count=500), BERLIN)) == MAX_OCCURRENCES
    )
    assert (
        len(occurrences(first(date(2026, 12, 2), 9), Repeat("weekly", until=date(2030, 1, 1)), BERLIN))
        == MAX_OCCURRENCES
    )
