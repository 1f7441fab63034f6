"""Where a copied workshop's sessions go (`workshops.rules.moved_to`): pure, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from library.workshops.rules import moved_to

BERLIN = ZoneInfo("Europe/Berlin")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN).astimezone(UTC)


def test_sessions_keep_their_distance_and_their_local_times_across_a_clock_change() -> None:
    spans = [
        (local(date(2026, 3, 20), 10), local(date(2026, 3, 20), 12)),  # before summer time
        (local(date(2026, 3, 23), 18), local(date(2026, 3, 23), 19, 30)),
    ]
    moved = moved_to(spans, date(2026, 3, 27), {}, BERLIN)  # summer time from 29 March
    assert moved == [
        (local(date(2026, 3, 27), 10), local(date(2026, 3, 27), 12)),
        (local(date(2026, 3, 30), 18), local(date(2026, 3, 30), 19, 30)),
    ]
    assert moved[1][0].hour == 16  # 18:00 in Ulm is 16:00 UTC in summer, not 17:00


def test_a_session_given_its_own_day_goes_there_and_one_over_midnight_stays_over_midnight() -> None:
    spans = [
        (local(date(2026, 12, 4), 14), local(date(2026, 12, 4), 16)),
        (local(date(2026, 12, 5), 22), local(date(2026, 12, 6), 1)),
    ]
    moved = moved_to(spans, date(2027, 1, 8), {1: date(2027, 1, 15)}, BERLIN)
    assert moved == [
        (local(date(2027, 1, 8), 14), local(date(2027, 1, 8), 16)),
        (local(date(2027, 1, 15), 22), local(date(2027, 1, 16), 1)),
    ]
    assert moved_to([], date(2027, 1, 8), {}, BERLIN) == []
