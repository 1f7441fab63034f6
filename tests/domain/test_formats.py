"""Dates and times as each language writes them: British English (24 hours, day first), German."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from library.i18n import (
    format_date,
    format_span,
    format_time,
    format_typed_date,
    parse_typed_date,
    typed_date_pattern,
)

ULM = ZoneInfo("Europe/Berlin")
AFTERNOON = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 14:00 in Ulm


def test_english_uses_the_24_hour_clock_and_day_before_month() -> None:
    assert format_time(AFTERNOON, "en", ULM) == "14:00"
    assert format_date(AFTERNOON, "en", ULM) == "Wednesday, 2 December 2026"
    assert (
        format_span(AFTERNOON, AFTERNOON.replace(hour=15), "en", ULM)
        == "Wednesday, 2 December 2026, 14:00–16:00"
    )
    assert format_date(AFTERNOON, "de", ULM) == "Mittwoch, 2. Dezember 2026"
    assert format_time(AFTERNOON, "de", ULM) == "14:00"


def test_a_typed_date_in_each_language_and_iso_are_read() -> None:
    assert format_typed_date(date(2026, 12, 12), "de") == "12.12.2026"
    assert format_typed_date(date(2026, 12, 12), "en") == "12/12/2026"
    assert typed_date_pattern("de") == "TT.MM.JJJJ"
    assert parse_typed_date("12.12.2026", "de") == date(2026, 12, 12)
    assert parse_typed_date("1/2/2026", "en") == date(2026, 2, 1)  # day first
    assert parse_typed_date("2026-12-12", "de") == date(2026, 12, 12)


@pytest.mark.parametrize("text", ["12.12.26", "12/12/2026x", "31.02.2026", "", "12-12-2026"])
def test_other_typed_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_typed_date(text, "de")
