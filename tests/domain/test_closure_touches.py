"""Which bookings and sessions a closure or special hours touch (pure rule)."""

from __future__ import annotations

from datetime import date, time

from library.catalog.hours import DatedException, Period, exception_touches
from tests.support.times import BERLIN, THURSDAY, WEDNESDAY, utc

CLOSED = DatedException(WEDNESDAY, WEDNESDAY, closed=True)
AFTERNOON = DatedException(WEDNESDAY, WEDNESDAY, closed=False, periods=(Period(time(13), time(18)),))


def test_a_closed_day_touches_all_on_it_and_nothing_on_other_days() -> None:
    assert exception_touches(utc(WEDNESDAY, 10), utc(WEDNESDAY, 11), CLOSED, BERLIN)
    assert exception_touches(utc(WEDNESDAY, 0), utc(WEDNESDAY, 1), CLOSED, BERLIN)
    assert not exception_touches(utc(THURSDAY, 0), utc(THURSDAY, 1), CLOSED, BERLIN)
    assert not exception_touches(utc(date(2026, 12, 1), 23), utc(WEDNESDAY, 0), CLOSED, BERLIN)


def test_special_hours_touch_only_what_lies_outside_every_period() -> None:
    assert exception_touches(utc(WEDNESDAY, 10), utc(WEDNESDAY, 11), AFTERNOON, BERLIN)
    assert exception_touches(utc(WEDNESDAY, 17), utc(WEDNESDAY, 19), AFTERNOON, BERLIN)
    assert not exception_touches(utc(WEDNESDAY, 14), utc(WEDNESDAY, 16), AFTERNOON, BERLIN)
    assert not exception_touches(utc(WEDNESDAY, 13), utc(WEDNESDAY, 18), AFTERNOON, BERLIN)
