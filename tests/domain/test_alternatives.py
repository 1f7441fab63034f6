"""Alternatives to a taken slot: nearest times first, then other resources, only bookable ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from library.booking.alternatives import MAX_ALTERNATIVES, choose_alternatives, fitting_starts, nearest_times
from library.booking.availability import Occupation, free_per_unit
from library.booking.intervals import Interval
from library.catalog.hours import DayHours, Period
from library.catalog.policy import BookingPolicy

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 12, 7)
POLICY = BookingPolicy(slot_minutes=30, min_minutes=30, max_minutes=240)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def week(first: date, days: int = 3) -> list[DayHours]:
    return [DayHours(first + timedelta(days=n), (Period(time(10), time(18)),)) for n in range(days)]


def free_of(taken: list[Occupation], units: tuple[int, ...]) -> list[Interval]:
    per_day = free_per_unit(
        week(MONDAY), BERLIN, POLICY, needs_staff=False, unit_ids=units, occupations=taken, now=None
    )
    return [interval for _, per_unit in per_day for intervals in per_unit for interval in intervals]


def test_same_day_nearest_first_then_following_days_at_the_same_time() -> None:
    wanted = Interval(local(MONDAY, 14), local(MONDAY, 15))
    taken = [Occupation(1, local(MONDAY, 11), local(MONDAY, 17))]
    times = nearest_times(
        wanted, fitting_starts(free_of(taken, (1,)), timedelta(hours=1), BERLIN, 30), BERLIN
    )
    assert times[0] == Interval(local(MONDAY, 17), local(MONDAY, 18))  # 3 hours after
    assert times[1] == Interval(local(MONDAY, 10), local(MONDAY, 11))  # 4 hours before
    assert times[2] == Interval(local(MONDAY + timedelta(days=1), 14), local(MONDAY + timedelta(days=1), 15))


def test_other_resources_follow_and_only_bookable_ones_are_offered() -> None:
    wanted = Interval(local(MONDAY, 14), local(MONDAY, 15))
    times = [Interval(local(MONDAY, h), local(MONDAY, h + 1)) for h in (15, 13, 16, 12, 17, 11)]
    refused_for_this_person = {("raum-3", wanted)}
    chosen = choose_alternatives(
        wanted,
        times,
        ["raum-2", "raum-3"],
        lambda slug, interval: (slug, interval) not in refused_for_this_person,
        "raum-1",
    )
    assert len(chosen) == MAX_ALTERNATIVES
    assert [a.resource_slug for a in chosen] == ["raum-1", "raum-1", "raum-1", "raum-1", "raum-2"]
    assert chosen[0].interval == times[0]


def test_earlier_days_are_never_offered() -> None:
    wanted = Interval(local(MONDAY, 14), local(MONDAY, 15))
    yesterday = Interval(local(MONDAY - timedelta(days=1), 14), local(MONDAY - timedelta(days=1), 15))
    assert nearest_times(wanted, [yesterday], BERLIN) == []


@st.composite
def bookings(draw: st.DrawFn) -> list[Occupation]:
    found = []
    for _ in range(draw(st.integers(0, 10))):
        day = MONDAY + timedelta(days=draw(st.integers(0, 2)))
        start = local(day, 10) + timedelta(minutes=30 * draw(st.integers(0, 15)))
        found.append(
            Occupation(
                draw(st.integers(1, 2)), start, start + timedelta(minutes=30 * draw(st.integers(1, 6)))
            )
        )
    return found


@settings(max_examples=200, deadline=None)
@given(taken=bookings(), hour=st.integers(10, 16), length=st.integers(1, 4))
def test_every_offered_time_is_free_on_some_unit(taken: list[Occupation], hour: int, length: int) -> None:
    wanted = Interval(local(MONDAY, hour), local(MONDAY, hour) + timedelta(minutes=30 * length))
    days = free_of(taken, (1, 2))
    for offer in nearest_times(wanted, fitting_starts(days, wanted.end - wanted.start, BERLIN, 30), BERLIN)[
        :MAX_ALTERNATIVES
    ]:
        assert offer.end - offer.start == wanted.end - wanted.start
        assert any(
            not any(o.unit_id == unit and Interval(o.start, o.end).overlaps(offer) for o in taken)
            for unit in (1, 2)
        )
