"""Which span of a freed interval a waiting person is offered: pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime

from library.booking.holds import spans_in
from library.booking.intervals import Interval
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
