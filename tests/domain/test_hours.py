"""Pure rules: a day's opening hours, the request language and the effective booking policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from library.catalog.hours import (
    DatedException,
    DayHours,
    Period,
    WeeklyPeriod,
    hours_between,
    hours_on,
    local_instant,
)
from library.catalog.policy import DEFAULT_POLICY, POLICY_FIELDS, BookingPolicy, effective_policy
from library.i18n import negotiate_language

BERLIN = ZoneInfo("Europe/Berlin")


def period(start: str, end: str, staffed: bool = True) -> Period:
    return Period(time.fromisoformat(start), time.fromisoformat(end), staffed)


# Tuesday 10-19; Saturday 14-19 self-service and 10-14 staffed (given out of order on purpose).
WEEK = [
    WeeklyPeriod(2, period("10:00", "19:00")),
    WeeklyPeriod(6, period("14:00", "19:00", staffed=False)),
    WeeklyPeriod(6, period("10:00", "14:00")),
]
TUESDAY = date(2026, 12, 1)
SATURDAY = date(2026, 12, 5)
SUNDAY = date(2026, 12, 6)


# --- hours_on and hours_between ----------------------------------------------------------


def test_weekly_hours_apply_by_iso_weekday() -> None:
    day = hours_on(TUESDAY, WEEK, [])
    assert day == DayHours(TUESDAY, (period("10:00", "19:00"),))
    assert not day.closed
    assert day.exception is None


def test_periods_of_a_day_come_sorted_by_start() -> None:
    day = hours_on(SATURDAY, WEEK, [])
    assert day.periods == (period("10:00", "14:00"), period("14:00", "19:00", staffed=False))
    assert [p.staffed for p in day.periods] == [True, False]


def test_a_day_without_periods_is_closed() -> None:
    day = hours_on(SUNDAY, WEEK, [])
    assert day.periods == ()
    assert day.closed
    assert day.exception is None


def test_closure_covers_its_dates_inclusively() -> None:
    christmas = DatedException(date(2026, 12, 24), date(2026, 12, 26), True, "Weihnachten", "Christmas")
    days = hours_between(date(2026, 12, 22), date(2026, 12, 27), WEEK, [christmas])
    by_date = {d.day: d for d in days}
    assert not by_date[date(2026, 12, 22)].closed  # a Tuesday
    assert by_date[date(2026, 12, 22)].exception is None
    for closed in (date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)):
        assert by_date[closed].closed
        assert by_date[closed].exception is christmas
    assert by_date[date(2026, 12, 26)].periods == ()  # a Saturday, closed all day
    assert by_date[date(2026, 12, 27)].exception is None


def test_closure_ignores_periods_it_happens_to_carry() -> None:
    odd = DatedException(TUESDAY, TUESDAY, True, periods=(period("10:00", "12:00"),))
    assert hours_on(TUESDAY, WEEK, [odd]).periods == ()


def test_special_hours_replace_the_weekly_hours() -> None:
    special = DatedException(
        TUESDAY,
        TUESDAY,
        False,
        "Kurzer Tag",
        periods=(period("13:00", "15:00", staffed=False), period("09:00", "12:00")),
    )
    day = hours_on(TUESDAY, WEEK, [special])
    assert day.periods == (period("09:00", "12:00"), period("13:00", "15:00", staffed=False))
    assert not day.closed
    assert day.exception is special


def test_special_hours_can_open_a_normally_closed_day() -> None:
    sunday_opening = DatedException(SUNDAY, SUNDAY, False, "Lesesonntag", periods=(period("11:00", "17:00"),))
    assert hours_on(SUNDAY, WEEK, [sunday_opening]).periods == (period("11:00", "17:00"),)


def test_the_last_of_overlapping_exceptions_wins() -> None:
    holidays = DatedException(date(2026, 12, 1), date(2026, 12, 10), True, "Inventur")
    open_day = DatedException(
        SATURDAY, SATURDAY, False, "Tag der offenen Tür", periods=(period("10:00", "16:00"),)
    )
    assert hours_on(SATURDAY, WEEK, [holidays, open_day]).exception is open_day
    assert hours_on(SATURDAY, WEEK, [open_day, holidays]).exception is holidays
    assert hours_on(SATURDAY, WEEK, [open_day, holidays]).closed
    assert hours_on(TUESDAY, WEEK, [holidays, open_day]).exception is holidays


def test_hours_between_gives_every_date_once_in_order() -> None:
    days = hours_between(date(2026, 12, 28), date(2027, 1, 3), WEEK, [])
    assert [d.day for d in days] == [date(2026, 12, 28) + timedelta(days=n) for n in range(7)]
    assert hours_between(TUESDAY, TUESDAY, WEEK, []) == [hours_on(TUESDAY, WEEK, [])]


# --- local_instant -----------------------------------------------------------------------


def test_local_instant_is_the_wall_clock_time_in_the_zone() -> None:
    winter = local_instant(date(2026, 12, 3), time(14, 0), BERLIN)
    summer = local_instant(date(2027, 7, 3), time(14, 0), BERLIN)
    assert winter.utcoffset() is not None
    assert winter == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    assert summer == datetime(2027, 7, 3, 12, 0, tzinfo=UTC)
    assert winter.astimezone(BERLIN).isoformat() == "2026-12-03T14:00:00+01:00"
    assert summer.astimezone(BERLIN).isoformat() == "2027-07-03T14:00:00+02:00"


def test_local_instants_around_the_change_of_time() -> None:
    spring = [local_instant(date(2027, 3, day), time(10, 0), BERLIN) for day in (27, 28)]
    assert [moment.astimezone(BERLIN).utcoffset() for moment in spring] == [
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    assert spring[1] - spring[0] == timedelta(hours=23)  # a day of 23 hours
    autumn = [local_instant(date(2027, 10, day), time(10, 0), BERLIN) for day in (30, 31)]
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    # From 01:00 to 04:00 in the night of the change is two hours of real time.
    opens = local_instant(date(2027, 3, 28), time(1, 0), BERLIN)
    closes = local_instant(date(2027, 3, 28), time(4, 0), BERLIN)
    assert closes - opens == timedelta(hours=2)


# --- negotiate_language ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "de"),
        ("", "de"),
        ("de", "de"),
        ("en", "en"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("en;q=0.8, de;q=0.9", "de"),
        ("de;q=0.5, en;q=0.9", "en"),
        ("fr", "de"),
        ("fr-FR, it;q=0.9", "de"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "en"),
        ("*", "de"),
        ("en;q=0", "de"),
        ("en;q=0, de;q=0.1", "de"),
        ("en;q=abc, de;q=0.5", "de"),
        ("de, en", "de"),
        ("en, de", "en"),
        (" en ; q=0.7 , fr", "en"),
        ("english", "de"),
    ],
)
def test_negotiate_language(header: str | None, expected: str) -> None:
    assert negotiate_language(header) == expected


# --- effective_policy --------------------------------------------------------------------


@dataclass
class Row:
    """Stands in for a policy row: every field None unless set."""

    slot_minutes: int | None = None
    min_minutes: int | None = None
    max_minutes: int | None = None
    horizon_days: int | None = None
    lead_minutes: int | None = None
    setup_minutes: int | None = None
    buffer_minutes: int | None = None
    max_active_bookings: int | None = None
    max_minutes_per_week: int | None = None
    max_minutes_per_day: int | None = None
    max_bookings_per_day: int | None = None
    cancel_until_minutes: int | None = None
    checkin_window_minutes: int | None = None


def test_without_rows_the_defaults_apply() -> None:
    assert effective_policy(None, None) == DEFAULT_POLICY
    assert effective_policy(Row(), Row()) == DEFAULT_POLICY


def test_the_defaults_are_those_documented() -> None:
    assert DEFAULT_POLICY.slot_minutes == 30
    assert DEFAULT_POLICY.min_minutes <= DEFAULT_POLICY.max_minutes
    assert set(POLICY_FIELDS) == set(DEFAULT_POLICY.as_dict())


def test_location_overrides_defaults_and_resource_overrides_location() -> None:
    location = Row(slot_minutes=15, max_minutes=180, horizon_days=14, cancel_until_minutes=120)
    resource = Row(slot_minutes=60, buffer_minutes=15, max_minutes_per_week=240)
    policy = effective_policy(location, resource)
    assert policy.slot_minutes == 60  # resource
    assert policy.buffer_minutes == 15  # resource
    assert policy.max_minutes_per_week == 240  # resource
    assert policy.max_minutes == 180  # location
    assert policy.horizon_days == 14  # location
    assert policy.cancel_until_minutes == 120  # location
    assert policy.min_minutes == DEFAULT_POLICY.min_minutes
    assert policy.checkin_window_minutes == DEFAULT_POLICY.checkin_window_minutes
    assert policy.max_active_bookings == DEFAULT_POLICY.max_active_bookings


def test_resource_alone_overrides_defaults() -> None:
    policy = effective_policy(None, Row(min_minutes=60, max_minutes=60))
    assert (policy.min_minutes, policy.max_minutes) == (60, 60)
    assert policy.slot_minutes == DEFAULT_POLICY.slot_minutes


def test_zero_is_a_value_not_a_gap() -> None:
    policy = effective_policy(Row(lead_minutes=60, cancel_until_minutes=30), Row(lead_minutes=0))
    assert policy.lead_minutes == 0
    policy = effective_policy(Row(cancel_until_minutes=0), None)
    assert policy.cancel_until_minutes == 0


def test_unset_resource_fields_fall_through_to_the_location() -> None:
    policy = effective_policy(
        Row(max_active_bookings=2, max_minutes_per_week=300), Row(max_active_bookings=None)
    )
    assert policy.max_active_bookings == 2
    assert policy.max_minutes_per_week == 300


def test_another_base_can_be_given() -> None:
    base = BookingPolicy(slot_minutes=10, min_minutes=10, max_minutes=20)
    policy = effective_policy(Row(max_minutes=30), None, base=base)
    assert (policy.slot_minutes, policy.min_minutes, policy.max_minutes) == (10, 10, 30)


def test_effective_policy_does_not_change_its_inputs() -> None:
    location = Row(slot_minutes=15)
    effective_policy(location, Row(slot_minutes=60))
    assert location.slot_minutes == 15
    assert DEFAULT_POLICY.slot_minutes == 30


def test_as_dict_has_every_field() -> None:
    policy = effective_policy(Row(slot_minutes=15), None).as_dict()
    assert list(policy) == list(POLICY_FIELDS)
    assert policy["slot_minutes"] == 15
