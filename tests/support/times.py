"""The test clock's week in Ulm: the instant it stands at, the days after it, times as the API writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

TEST_NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Ulm
BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = date(2026, 12, 2)
THURSDAY = date(2026, 12, 3)
FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)


def at(day: date, hour: int, minute: int = 0) -> str:
    """A time of day in Ulm as the API reads and writes it (ISO 8601 with the offset)."""
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).isoformat()


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A time of day in Ulm as the database keeps it (UTC)."""
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)
