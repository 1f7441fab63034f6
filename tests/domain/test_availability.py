"""Pure rules of availability: opening windows, buffers, blocks, units, the grid, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from library.booking.availability import (
    DayAvailability,
    Occupation,
    aligned_at_or_after,
    bookable_windows,
    busy_intervals,
    horizon_end,
    is_aligned,
    resource_availability,
)
from library.booking.intervals import Interval, merge, subtract
from library.catalog.hours import DayHours, Period
from library.catalog.policy import BookingPolicy

BERLIN = ZoneInfo("Europe/Berlin")
SATURDAY = date(2026, 12, 5)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def saturday_hours(day: date = SATURDAY) -> DayHours:
    """The Zentralbibliothek's Saturday: staffed 10-14, service-free 14-19."""
    return DayHours(day, (Period(time(10), time(14), True), Period(time(14), time(19), False)))


def free_as_local(days: list[DayAvailability]) -> list[tuple[str, str, int]]:
    result = []
    for day in days:
        for f in day.free:
            result.append(
                (
                    f.start.astimezone(BERLIN).strftime("%H:%M"),
                    f.end.astimezone(BERLIN).strftime("%H:%M"),
                    f.units,
                )
            )
    return result


def availability(
    occupations: list[Occupation],
    *,
    units: tuple[int, ...] = (1,),
    policy: BookingPolicy | None = None,
    needs_staff: bool = False,
    now: datetime | None = None,
    day: DayHours | None = None,
) -> list[tuple[str, str, int]]:
    return free_as_local(
        resource_availability(
            [day or saturday_hours()],
            BERLIN,
            policy or BookingPolicy(),
            needs_staff=needs_staff,
            unit_ids=units,
            occupations=occupations,
            now=now,
        )
    )


def test_a_free_day_is_the_opening_hours() -> None:
    assert availability([]) == [("10:00", "19:00", 1)]


def test_offers_needing_staff_only_get_staffed_periods() -> None:
    assert availability([], needs_staff=True) == [("10:00", "14:00", 1)]


def test_a_booking_and_its_buffer_are_cut_out() -> None:
    booked = Occupation(1, local(SATURDAY, 11), local(SATURDAY, 12, 30))  # 11-12 plus 30 min cool-down
    policy = BookingPolicy(buffer_minutes=30)
    # A new booking's own cool-down must end before 11:00, so it must end by 10:30.
    assert availability([booked], policy=policy) == [("10:00", "10:30", 1), ("12:30", "19:00", 1)]


def test_units_are_counted_and_intervals_split_where_the_count_changes() -> None:
    booked = Occupation(1, local(SATURDAY, 11), local(SATURDAY, 12))
    assert availability([booked], units=(1, 2)) == [
        ("10:00", "11:00", 2),
        ("11:00", "12:00", 1),
        ("12:00", "19:00", 2),
    ]


def test_blocked_units_are_not_free() -> None:
    block = Occupation(1, local(SATURDAY, 9), local(SATURDAY, 15), is_block=True)
    assert availability([block]) == [("15:00", "19:00", 1)]


def test_lead_time_and_now_cut_the_start_off_the_grid() -> None:
    now = local(SATURDAY, 10, 50)
    assert availability([], now=now.astimezone(UTC), policy=BookingPolicy(lead_minutes=15)) == [
        ("11:05", "19:00", 1)
    ]


def test_fragments_too_short_for_a_booking_are_dropped() -> None:
    policy = BookingPolicy(slot_minutes=30, min_minutes=60)
    booked = [
        Occupation(1, local(SATURDAY, 10, 30), local(SATURDAY, 12)),
        Occupation(1, local(SATURDAY, 12, 30), local(SATURDAY, 19)),
    ]
    assert availability(booked, policy=policy) == []


def test_closed_days_have_nothing_free() -> None:
    assert availability([], day=DayHours(SATURDAY, ())) == []


def test_horizon_ends_at_the_end_of_the_last_local_day() -> None:
    now = local(date(2026, 12, 1), 15).astimezone(UTC)
    assert horizon_end(now, BERLIN, 4) == local(date(2026, 12, 6), 0)
    assert availability([], now=now, policy=BookingPolicy(horizon_days=3)) == []
    assert availability([], now=now, policy=BookingPolicy(horizon_days=4)) == [("10:00", "19:00", 1)]


def test_slot_grid_counts_from_local_midnight() -> None:
    assert is_aligned(local(SATURDAY, 14, 30), BERLIN, 30)
    assert not is_aligned(local(SATURDAY, 14, 15), BERLIN, 30)
    assert is_aligned(local(SATURDAY, 14, 15), BERLIN, 15)
    assert aligned_at_or_after(local(SATURDAY, 10, 1), BERLIN, 30) == local(SATURDAY, 10, 30)
    assert aligned_at_or_after(local(SATURDAY, 10, 30), BERLIN, 30) == local(SATURDAY, 10, 30)


def test_spring_forward_day_has_an_hour_less_in_utc_but_the_same_local_hours() -> None:
    spring = date(2027, 3, 28)  # last Sunday of March: 02:00 jumps to 03:00
    day = DayHours(spring, (Period(time(1), time(4)),))
    free = resource_availability(
        [day], BERLIN, BookingPolicy(), needs_staff=False, unit_ids=(1,), occupations=[], now=None
    )[0].free
    assert len(free) == 1
    assert free[0].start == datetime(2027, 3, 28, 0, 0, tzinfo=UTC)  # 01:00 CET
    assert free[0].end == datetime(2027, 3, 28, 2, 0, tzinfo=UTC)  # 04:00 CEST: two real hours
    assert is_aligned(free[0].end, BERLIN, 30)


def test_fall_back_day_has_an_hour_more() -> None:
    autumn = date(2026, 10, 25)  # last Sunday of October: 03:00 goes back to 02:00
    day = DayHours(autumn, (Period(time(1), time(4)),))
    free = resource_availability(
        [day], BERLIN, BookingPolicy(), needs_staff=False, unit_ids=(1,), occupations=[], now=None
    )[0].free
    assert free[0].end - free[0].start == timedelta(hours=4)  # 01:00 CEST to 04:00 CET


def test_normal_library_hours_are_unchanged_across_the_dst_changes() -> None:
    for sunday in (date(2027, 3, 28), date(2026, 10, 25)):
        day = DayHours(sunday, (Period(time(10), time(18)),))
        windows = bookable_windows(day, BERLIN, BookingPolicy(), needs_staff=False, now=None)
        assert [(w.start.astimezone(BERLIN).hour, w.end.astimezone(BERLIN).hour) for w in windows] == [
            (10, 18)
        ]
        assert windows[0].end - windows[0].start == timedelta(hours=8)


def test_busy_intervals_count_occupied_units_within_opening_hours() -> None:
    occupations = [
        Occupation(1, local(SATURDAY, 9), local(SATURDAY, 11)),
        Occupation(2, local(SATURDAY, 10, 30), local(SATURDAY, 12)),
    ]
    busy = busy_intervals(saturday_hours(), BERLIN, (1, 2), occupations)
    assert [
        (b.start.astimezone(BERLIN).strftime("%H:%M"), b.end.astimezone(BERLIN).strftime("%H:%M"), b.units)
        for b in busy
    ] == [
        ("10:00", "10:30", 1),
        ("10:30", "11:00", 2),
        ("11:00", "12:00", 1),
    ]


def test_merge_and_subtract() -> None:
    a = Interval(local(SATURDAY, 10), local(SATURDAY, 12))
    b = Interval(local(SATURDAY, 12), local(SATURDAY, 13))
    c = Interval(local(SATURDAY, 15), local(SATURDAY, 16))
    assert merge([c, b, a]) == [Interval(a.start, b.end), c]
    day = [Interval(local(SATURDAY, 9), local(SATURDAY, 18))]
    assert subtract(day, merge([a, c])) == [
        Interval(local(SATURDAY, 9), local(SATURDAY, 10)),
        Interval(local(SATURDAY, 12), local(SATURDAY, 15)),
        Interval(local(SATURDAY, 16), local(SATURDAY, 18)),
    ]


quarter_hours = st.integers(min_value=0, max_value=4 * 12)


@st.composite
def occupations_strategy(draw: st.DrawFn) -> list[Occupation]:
    result = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        unit = draw(st.integers(min_value=1, max_value=3))
        start = draw(quarter_hours)
        length = draw(st.integers(min_value=1, max_value=16))
        begin = local(SATURDAY, 8) + timedelta(minutes=15 * start)
        result.append(Occupation(unit, begin, begin + timedelta(minutes=15 * length), draw(st.booleans())))
    return result


def units_free_at(
    moment: datetime, occupations: list[Occupation], policy: BookingPolicy, units: tuple[int, ...]
) -> int:
    """Units on which a booking could start or continue at `moment`, buffers counted."""
    before, after = timedelta(minutes=policy.buffer_minutes), timedelta(minutes=policy.setup_minutes)
    return sum(
        1
        for unit in units
        if not any(o.unit_id == unit and o.start - before <= moment < o.end + after for o in occupations)
    )


POLICIES = st.builds(
    lambda slot, setup, buffer: BookingPolicy(
        slot_minutes=slot, min_minutes=slot, setup_minutes=setup, buffer_minutes=buffer
    ),
    st.sampled_from([15, 30, 60]),
    st.sampled_from([0, 15, 30]),
    st.sampled_from([0, 15, 30]),
)


@settings(max_examples=300, deadline=None)
@given(occupations=occupations_strategy(), policy=POLICIES)
def test_free_counts_never_exceed_the_units_left_free_by_occupations(
    occupations: list[Occupation], policy: BookingPolicy
) -> None:
    units = (1, 2, 3)
    days = resource_availability(
        [saturday_hours()],
        BERLIN,
        policy,
        needs_staff=False,
        unit_ids=units,
        occupations=occupations,
        now=None,
    )
    for tally in days[0].free:
        moment = tally.start
        while moment < tally.end:
            # Never more than truly free; fewer where a free scrap is too short to book.
            assert units_free_at(moment, occupations, policy, units) >= tally.units
            moment += timedelta(minutes=5)


@settings(max_examples=300, deadline=None)
@given(occupations=occupations_strategy(), policy=POLICIES)
def test_every_aligned_slot_in_a_free_interval_of_one_unit_misses_every_occupation(
    occupations: list[Occupation], policy: BookingPolicy
) -> None:
    mine = [o for o in occupations if o.unit_id == 1]
    days = resource_availability(
        [saturday_hours()], BERLIN, policy, needs_staff=False, unit_ids=(1,), occupations=mine, now=None
    )
    slot = timedelta(minutes=policy.slot_minutes)
    for tally in days[0].free:
        start = aligned_at_or_after(tally.start, BERLIN, policy.slot_minutes)
        while start + slot <= tally.end:
            held = Interval(
                start - timedelta(minutes=policy.setup_minutes),
                start + slot + timedelta(minutes=policy.buffer_minutes),
            )
            assert not any(Interval(o.start, o.end).overlaps(held) for o in mine)
            start += slot
