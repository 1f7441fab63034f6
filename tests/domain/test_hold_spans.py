"""Which span of a freed interval a waiting person is offered: pure, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from library.booking.holds import spans_in
from library.booking.intervals import Interval
from library.booking.lending import DAY_MINUTES, loan_hold_days, loan_hold_fits, loan_pickups, loan_span
from library.booking.rules import Refusal
from tests.support.times import BERLIN


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 2, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def test_the_earliest_aligned_span_of_each_unit_in_the_window_earliest_first() -> None:
    free = [(1, [Interval(at(14, 10), at(17))]), (2, [Interval(at(13), at(14, 30))])]
    found = spans_in(Interval(at(14), at(16)), 60, free, BERLIN, 30)
    assert [(unit, span) for _, unit, span in found] == [(1, Interval(at(14, 30), at(15, 30)))]


def test_a_span_the_person_holds_already_is_stepped_over() -> None:
    free = [(1, [Interval(at(14), at(17))])]
    theirs = [Interval(at(14), at(15))]
    (found,) = spans_in(Interval(at(14), at(17)), 60, free, BERLIN, 30, theirs)
    assert found[2] == Interval(at(15), at(16))
    assert spans_in(Interval(at(14), at(15, 30)), 60, free, BERLIN, 30, theirs) == []


def test_a_loan_hold_counts_whole_days_up_to_loan_days() -> None:
    assert loan_hold_days(None, 7) == 7
    assert loan_hold_days(2 * DAY_MINUTES, 7) == 2
    assert loan_hold_days(90, 7) == Refusal("hold_whole_days")
    assert loan_hold_days(8 * DAY_MINUTES, 7) == Refusal("loan_too_long", {"loan_days": 7})


def test_a_thing_is_offered_from_each_open_pickup_day_with_the_whole_loan_in_the_window() -> None:
    # Tuesday 1 to Monday 7 December in Ulm; Sunday 6 is closed.
    window = Interval(datetime(2026, 12, 1, 12, tzinfo=BERLIN), datetime(2026, 12, 8, tzinfo=BERLIN))
    closed = {date(2026, 12, 6)}

    def is_open(day: date) -> bool:
        return day not in closed

    today = date(2026, 12, 2)
    pickups = loan_pickups(window, 2, BERLIN, is_open, today)
    assert pickups == [
        (date(2026, 12, 2), date(2026, 12, 4)),
        (date(2026, 12, 3), date(2026, 12, 5)),
        (date(2026, 12, 4), date(2026, 12, 5)),  # the due day falls on the closed Sunday: Saturday
        (date(2026, 12, 5), date(2026, 12, 7)),
    ]
    assert loan_hold_fits(window, 6, BERLIN)
    assert not loan_hold_fits(window, 7, BERLIN)
    assert loan_span(*pickups[0], BERLIN) == Interval(
        datetime(2026, 12, 2, tzinfo=BERLIN).astimezone(UTC),
        datetime(2026, 12, 5, tzinfo=BERLIN).astimezone(UTC),
    )
