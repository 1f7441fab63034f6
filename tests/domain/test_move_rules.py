"""The pure rules behind moving a booking and taking a check-in back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from library.booking.intervals import Interval
from library.booking.models import BookingStatus
from library.booking.rules import CHECK_IN_UNDO, Usage, may_move, may_undo_check_in, usage_without

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
WEEK = Interval(datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC))
DAY = Interval(datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC))


def test_only_bookings_nobody_has_arrived_for_move() -> None:
    assert may_move(BookingStatus.PENDING)
    assert may_move(BookingStatus.CONFIRMED)
    for status in set(BookingStatus) - {BookingStatus.PENDING, BookingStatus.CONFIRMED}:
        assert not may_move(status), status


def test_a_moved_booking_does_not_count_against_its_new_place() -> None:
    usage = Usage(active_upcoming=2, minutes_in_week=180, minutes_on_day=120, bookings_on_day=1)
    moving = Interval(datetime(2026, 12, 2, 13, tzinfo=UTC), datetime(2026, 12, 2, 15, tzinfo=UTC))

    assert usage_without(usage, moving, NOW, WEEK, DAY) == Usage(1, 60, 0, 0)


def test_a_booking_of_another_day_leaves_that_days_usage() -> None:
    usage = Usage(active_upcoming=1, minutes_in_week=60, minutes_on_day=0, bookings_on_day=0)
    other_day = Interval(datetime(2026, 12, 4, 13, tzinfo=UTC), datetime(2026, 12, 4, 14, tzinfo=UTC))

    assert usage_without(usage, other_day, NOW, WEEK, DAY) == Usage(0, 0, 0, 0)


def test_a_check_in_is_undone_within_ten_minutes_only() -> None:
    checked = NOW
    assert may_undo_check_in(BookingStatus.CHECKED_IN, checked, NOW + CHECK_IN_UNDO)
    assert not may_undo_check_in(
        BookingStatus.CHECKED_IN, checked, NOW + CHECK_IN_UNDO + timedelta(seconds=1)
    )
    assert not may_undo_check_in(BookingStatus.CHECKED_IN, None, NOW)
    assert not may_undo_check_in(BookingStatus.COMPLETED, checked, NOW)
