"""Every house rule as a pure function, one refusal code at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from library.booking.intervals import Interval
from library.booking.models import BookingStatus
from library.booking.rules import (
    NEXT_STATUSES,
    Booker,
    CheckInWindow,
    HeldCertification,
    ResourceFacts,
    Usage,
    age_on,
    cancel_deadline,
    check_booking,
    checkin_window,
    is_no_show,
    may_become,
    occupied_span,
    statuses_before,
    usage_of,
)
from library.catalog.hours import DatedException, DayHours, Period
from library.catalog.policy import BookingPolicy

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Ulm
SATURDAY = date(2026, 12, 5)
HOURS = DayHours(SATURDAY, (Period(time(10), time(14), True), Period(time(14), time(19), False)))
ADULT = Booker(date(1990, 1, 1))

DEVICE = ResourceFacts(
    id=1,
    slug="lasercutter",
    name="Lasercutter",
    name_en="Laser cutter",
    location_id=1,
    kind="device",
    factor="technology",
    active=True,
    needs_staff=False,
    requires_approval=False,
    min_age=None,
    required_certification=None,
    policy=BookingPolicy(),
    unit_ids=(1,),
)


def slot(hour: int, minute: int = 0, minutes: int = 60, day: date = SATURDAY) -> Interval:
    start = datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)
    return Interval(start, start + timedelta(minutes=minutes))


def code(
    booking: Interval,
    resource: ResourceFacts = DEVICE,
    booker: Booker = ADULT,
    usage: Usage | None = None,
    hours: DayHours = HOURS,
    now: datetime = NOW,
) -> str | None:
    refusal = check_booking(booking, resource, hours, BERLIN, now, booker, usage or Usage())
    return refusal.code if refusal else None


def with_policy(**changes: int) -> ResourceFacts:
    return replace(DEVICE, policy=replace(BookingPolicy(), **changes))


def test_a_booking_within_every_rule_passes() -> None:
    assert code(slot(11)) is None


@pytest.mark.parametrize(
    ("booking", "resource", "expected"),
    [
        (slot(11, 15), DEVICE, "not_aligned"),
        (slot(11, minutes=45), DEVICE, "not_aligned"),
        (slot(11, minutes=30), with_policy(min_minutes=60), "too_short"),
        (slot(10, minutes=300), DEVICE, "too_long"),
        (slot(9), DEVICE, "outside_opening_hours"),
        (slot(18, 30), DEVICE, "outside_opening_hours"),
        (slot(15), replace(DEVICE, needs_staff=True), "needs_staff"),
        (slot(13, 30), replace(DEVICE, needs_staff=True), "needs_staff"),  # runs into the unstaffed part
        (slot(11), replace(DEVICE, active=False), "resource_unavailable"),
        (slot(11), replace(DEVICE, unit_ids=()), "resource_unavailable"),
    ],
)
def test_time_rules(booking: Interval, resource: ResourceFacts, expected: str) -> None:
    assert code(booking, resource) == expected


def test_lead_time_and_horizon() -> None:
    assert code(slot(11, day=date(2026, 12, 1)), with_policy(lead_minutes=120), now=NOW) == "too_soon"
    assert code(slot(11, day=date(2026, 12, 5)), with_policy(horizon_days=3)) == "beyond_horizon"
    assert code(slot(11, day=date(2026, 12, 5)), with_policy(horizon_days=4)) is None


def test_closed_days() -> None:
    closed = DayHours(SATURDAY, (), DatedException(SATURDAY, SATURDAY, True, "Weihnachten"))
    assert code(slot(11), hours=closed) == "closed"


def test_minimum_age_on_the_day_of_the_booking() -> None:
    sixteen = replace(DEVICE, min_age=16)
    assert code(slot(11), sixteen, Booker(date(2010, 12, 6))) == "min_age"  # sixteen the day after
    assert code(slot(11), sixteen, Booker(date(2010, 12, 5))) is None  # sixteen that day
    refusal = check_booking(slot(11), sixteen, HOURS, BERLIN, NOW, Booker(None), Usage())
    assert refusal is not None
    assert refusal.code == "min_age"
    assert refusal.message_key == "min_age_unknown"  # asked for, not guessed
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17


def test_certifications_held_expired_and_missing() -> None:
    needs = replace(DEVICE, required_certification="laser-cutter")
    expired_on = datetime(2026, 11, 1, tzinfo=UTC)
    assert code(slot(11), needs) == "certification_required"
    assert code(slot(11), needs, Booker(date(1990, 1, 1), (HeldCertification("laser-cutter", None),))) is None
    refusal = check_booking(
        slot(11),
        needs,
        HOURS,
        BERLIN,
        NOW,
        Booker(date(1990, 1, 1), (HeldCertification("laser-cutter", expired_on),)),
        Usage(),
    )
    assert refusal is not None
    assert refusal.message_key == "certification_expired"
    assert refusal.params["expired_at"] == expired_on
    # Valid now but expiring before the booking: refused too.
    expires_friday = datetime(2026, 12, 4, tzinfo=UTC)
    assert code(
        slot(11), needs, Booker(date(1990, 1, 1), (HeldCertification("laser-cutter", expires_friday),))
    ) == ("certification_required")


def test_quotas() -> None:
    assert (
        code(slot(11), with_policy(max_active_bookings=2), usage=Usage(active_upcoming=2)) == "quota_active"
    )
    assert (
        code(slot(11), with_policy(max_minutes_per_week=120), usage=Usage(minutes_in_week=90)) == "quota_week"
    )
    assert code(slot(11), with_policy(max_minutes_per_week=120), usage=Usage(minutes_in_week=60)) is None
    assert (
        code(slot(11, minutes=30), with_policy(max_bookings_per_day=1), usage=Usage(bookings_on_day=1))
        == "quota_day"
    )
    assert code(slot(11), with_policy(max_minutes_per_day=60), usage=Usage(minutes_on_day=30)) == "quota_day"


def test_usage_counts_upcoming_and_used_time() -> None:
    week = Interval(datetime(2026, 11, 30, 23, tzinfo=UTC), datetime(2026, 12, 7, 23, tzinfo=UTC))
    day = Interval(datetime(2026, 12, 4, 23, tzinfo=UTC), datetime(2026, 12, 5, 23, tzinfo=UTC))
    bookings = [
        (slot(11), "confirmed"),
        (slot(15, minutes=30), "completed"),
        (slot(11, day=date(2026, 12, 2)), "checked_in"),
    ]
    usage = usage_of(bookings, NOW, week, day)
    assert usage == Usage(active_upcoming=2, minutes_in_week=150, minutes_on_day=90, bookings_on_day=2)


def test_the_occupied_span_adds_setup_and_buffer() -> None:
    held = occupied_span(slot(11), replace(BookingPolicy(), setup_minutes=15, buffer_minutes=30))
    assert held == Interval(slot(11).start - timedelta(minutes=15), slot(11).end + timedelta(minutes=30))


def test_each_status_has_its_followers_and_the_final_ones_none() -> None:
    assert set(NEXT_STATUSES) == set(BookingStatus)
    assert may_become(BookingStatus.PENDING, BookingStatus.CONFIRMED)
    assert may_become(BookingStatus.CONFIRMED, BookingStatus.NO_SHOW)
    assert may_become(BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)
    assert not may_become(BookingStatus.CONFIRMED, BookingStatus.REJECTED)  # approved stays approved
    assert not may_become(BookingStatus.CHECKED_IN, BookingStatus.CANCELLED)
    final = (BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.REJECTED, BookingStatus.NO_SHOW)
    assert all(not NEXT_STATUSES[status] for status in final)
    assert statuses_before(BookingStatus.CANCELLED) == (BookingStatus.PENDING, BookingStatus.CONFIRMED)
    assert statuses_before(BookingStatus.COMPLETED) == (BookingStatus.CHECKED_IN,)


def test_the_cancel_deadline_is_cancel_until_minutes_before_the_start() -> None:
    policy = replace(BookingPolicy(), cancel_until_minutes=120)
    assert cancel_deadline(slot(11).start, policy) == slot(9).start


def test_the_checkin_window_opens_before_the_start_and_closes_after_it_but_not_after_the_end() -> None:
    policy = replace(BookingPolicy(), checkin_window_minutes=15)
    window = checkin_window(slot(11), policy)
    assert window == CheckInWindow(slot(10, 45).start, slot(11, 15).start)
    assert window.is_open(window.opens)
    assert window.is_open(window.closes)
    assert not window.is_open(window.opens - timedelta(seconds=1))
    assert not window.is_open(window.closes + timedelta(seconds=1))
    short = checkin_window(slot(11, minutes=10), policy)
    assert short.closes == slot(11, minutes=10).end


def test_a_booking_is_a_no_show_once_its_checkin_window_after_the_start_has_passed() -> None:
    policy = replace(BookingPolicy(), checkin_window_minutes=15)
    start = slot(11).start
    assert not is_no_show(start, policy, start + timedelta(minutes=14))
    assert is_no_show(start, policy, start + timedelta(minutes=15))
