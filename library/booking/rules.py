"""The house rules of a booking: pure checks that name the first rule broken, and the
lifecycle of a booking once made (which status may follow which, the cancel deadline, the
check-in window, when a booking is a no-show).

Every check answers with a `Refusal` whose code is part of the API contract (API.md), so
programs can branch on it and people read a sentence made from its parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from library.booking.availability import (
    MINUTE,
    bookable_windows,
    earliest_start,
    horizon_end,
    is_aligned,
    opening_windows,
)
from library.booking.intervals import Interval
from library.booking.models import ACTIVE_STATUSES, BookingStatus
from library.catalog.hours import DayHours
from library.catalog.policy import BookingPolicy

OVERRIDE_LONGEST = timedelta(days=31)
OVERRIDE_BACK = timedelta(days=366)
OVERRIDE_AHEAD = timedelta(days=5 * 366)
SERIES_REACH = timedelta(days=2 * 366)
"""Bounds for what skips the house rules (API.md, Conventions): a typo in a staff override
(a year 9999, a ten-year booking) must not hold a unit for ever; a series, anyone's, ends too."""


def override_out_of_bounds(start: datetime, end: datetime, now: datetime) -> str | None:
    """The field of a booking that skips the house rules and leaves the bounds, or None."""
    if not now - OVERRIDE_BACK <= start <= now + OVERRIDE_AHEAD:
        return "start"
    if end - start > OVERRIDE_LONGEST or end > now + OVERRIDE_AHEAD:
        return "end"
    return None


@dataclass(frozen=True)
class Refusal:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    message_key: str | None = None  # a variant sentence for the same code

    @property
    def judged_age(self) -> bool:
        """Refused for the age a known birth date gives: that date then binds the person
        (accounts.people), so it cannot be edited around the refusal."""
        return self.code in ("min_age", "max_age") and self.message_key != "min_age_unknown"


@dataclass(frozen=True)
class ResourceFacts:
    """What the rules need to know about a resource."""

    id: int
    slug: str
    name: str
    name_en: str | None
    location_id: int
    kind: str
    factor: str
    active: bool
    needs_staff: bool
    requires_approval: bool
    min_age: int | None
    required_certification: str | None
    policy: BookingPolicy
    unit_ids: tuple[int, ...]


@dataclass(frozen=True)
class HeldCertification:
    key: str
    expires_at: datetime | None
    since: datetime | None = None
    """When it starts to hold: one granted for attending a workshop holds from the session's start."""


@dataclass(frozen=True)
class Booker:
    """The person a booking is for, as far as the rules care."""

    birth_date: date | None
    certifications: Sequence[HeldCertification] = ()


@dataclass(frozen=True)
class Usage:
    """The booker's other bookings of this resource, for the quotas."""

    active_upcoming: int = 0
    minutes_in_week: int = 0
    minutes_on_day: int = 0
    bookings_on_day: int = 0


def usage_of(bookings: Sequence[tuple[Interval, str]], now: datetime, week: Interval, day: Interval) -> Usage:
    """Quota usage from the booker's counted bookings of one resource (upcoming and used)."""
    in_week = [b for b, _ in bookings if week.start <= b.start < week.end]
    on_day = [b for b, _ in bookings if day.start <= b.start < day.end]
    return Usage(
        active_upcoming=sum(1 for b, status in bookings if status in ACTIVE_STATUSES and b.end > now),
        minutes_in_week=sum(int((b.end - b.start) / MINUTE) for b in in_week),
        minutes_on_day=sum(int((b.end - b.start) / MINUTE) for b in on_day),
        bookings_on_day=len(on_day),
    )


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_time_rules(
    booking: Interval,
    resource: ResourceFacts,
    day: DayHours,
    zone: ZoneInfo,
    now: datetime,
) -> Refusal | None:
    """Grid, length, lead time, horizon and opening hours."""
    policy = resource.policy
    if not resource.active or not resource.unit_ids:
        return Refusal("resource_unavailable")
    if resource.kind == "loan":
        return Refusal("lent_by_days")
    if not (
        is_aligned(booking.start, zone, policy.slot_minutes)
        and is_aligned(booking.end, zone, policy.slot_minutes)
    ):
        return Refusal("not_aligned", {"slot_minutes": policy.slot_minutes})
    minutes = int((booking.end - booking.start) / MINUTE)
    if minutes < policy.min_minutes:
        return Refusal("too_short", {"min_minutes": policy.min_minutes})
    if minutes > policy.max_minutes:
        return Refusal("too_long", {"max_minutes": policy.max_minutes})
    if booking.start < earliest_start(now, policy):
        return Refusal("too_soon", {"lead_minutes": policy.lead_minutes})
    if booking.end > horizon_end(now, zone, policy.horizon_days):
        return Refusal("beyond_horizon", {"horizon_days": policy.horizon_days})
    if day.closed:
        reason = day.exception.reason if day.exception else ""
        return Refusal("closed", {"reason": reason})
    if not any(w.contains(booking) for w in opening_windows(day, zone, needs_staff=False)):
        return Refusal("outside_opening_hours")
    if not any(
        w.contains(booking)
        for w in bookable_windows(day, zone, policy, needs_staff=resource.needs_staff, now=None)
    ):
        return Refusal("needs_staff")
    return None


def check_person_rules(
    booking: Interval, resource: ResourceFacts, booker: Booker, zone: ZoneInfo
) -> Refusal | None:
    """Minimum age and the required certification, both as on the day of the booking."""
    if resource.min_age is not None:
        if booker.birth_date is None:
            return Refusal("min_age", {"min_age": resource.min_age}, message_key="min_age_unknown")
        if age_on(booker.birth_date, booking.start.astimezone(zone).date()) < resource.min_age:
            return Refusal("min_age", {"min_age": resource.min_age})
    required = resource.required_certification
    if required is not None:
        held = [
            c
            for c in booker.certifications
            if c.key == required and (c.since is None or c.since <= booking.start)
        ]
        if not held:
            return Refusal("certification_required", {"certification": required})
        if all(c.expires_at is not None and c.expires_at <= booking.start for c in held):
            expired = max(c.expires_at for c in held if c.expires_at is not None)
            return Refusal(
                "certification_required",
                {"certification": required, "expired_at": expired},
                message_key="certification_expired",
            )
    return None


def check_quotas(booking: Interval, policy: BookingPolicy, usage: Usage) -> Refusal | None:
    minutes = int((booking.end - booking.start) / MINUTE)
    if policy.max_active_bookings is not None and usage.active_upcoming >= policy.max_active_bookings:
        return Refusal("quota_active", {"max_active_bookings": policy.max_active_bookings})
    if (
        policy.max_minutes_per_week is not None
        and usage.minutes_in_week + minutes > policy.max_minutes_per_week
    ):
        return Refusal("quota_week", {"max_minutes_per_week": policy.max_minutes_per_week})
    if policy.max_bookings_per_day is not None and usage.bookings_on_day >= policy.max_bookings_per_day:
        return Refusal("quota_day", {"max_bookings_per_day": policy.max_bookings_per_day})
    if policy.max_minutes_per_day is not None and usage.minutes_on_day + minutes > policy.max_minutes_per_day:
        return Refusal("quota_day", {"max_minutes_per_day": policy.max_minutes_per_day}, "quota_day_minutes")
    return None


def check_booking(
    booking: Interval,
    resource: ResourceFacts,
    day: DayHours,
    zone: ZoneInfo,
    now: datetime,
    booker: Booker,
    usage: Usage,
) -> Refusal | None:
    """The first house rule this booking breaks, or None. Conflicts are checked separately."""
    return (
        check_time_rules(booking, resource, day, zone, now)
        or check_person_rules(booking, resource, booker, zone)
        or check_quotas(booking, resource.policy, usage)
    )


def occupied_span(booking: Interval, policy: BookingPolicy) -> Interval:
    """What the unit is held for: setup time before, buffer (e.g. cool-down) after."""
    return Interval(
        booking.start - policy.setup_minutes * MINUTE, booking.end + policy.buffer_minutes * MINUTE
    )


NEXT_STATUSES: Mapping[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.PENDING: frozenset(
        {BookingStatus.CONFIRMED, BookingStatus.REJECTED, BookingStatus.CANCELLED}
    ),
    BookingStatus.CONFIRMED: frozenset(
        {BookingStatus.CHECKED_IN, BookingStatus.CANCELLED, BookingStatus.NO_SHOW}
    ),
    BookingStatus.CHECKED_IN: frozenset({BookingStatus.COMPLETED}),
    BookingStatus.COMPLETED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.REJECTED: frozenset(),
    BookingStatus.NO_SHOW: frozenset(),
}
"""Which status may follow which: staff approve or reject a pending booking, the visitor checks
in or the scheduler releases a no-show, a checked-in booking completes once over. The last four
are final."""


def may_become(current: BookingStatus, new: BookingStatus) -> bool:
    return new in NEXT_STATUSES[current]


def statuses_before(new: BookingStatus) -> tuple[BookingStatus, ...]:
    """The statuses a booking may move to `new` from: what a scheduled change selects."""
    return tuple(status for status, following in NEXT_STATUSES.items() if new in following)


def cancel_deadline(start: datetime, policy: BookingPolicy) -> datetime:
    """The last moment the booker may cancel; staff may cancel later."""
    return start - timedelta(minutes=policy.cancel_until_minutes)


@dataclass(frozen=True)
class CheckInWindow:
    opens: datetime
    closes: datetime

    def is_open(self, now: datetime) -> bool:
        return self.opens <= now <= self.closes


def checkin_window(booking: Interval, policy: BookingPolicy) -> CheckInWindow:
    """When the visitor may check in: from `checkin_window_minutes` before the start until as
    long after it, but not past the end."""
    window = timedelta(minutes=policy.checkin_window_minutes)
    return CheckInWindow(booking.start - window, min(booking.start + window, booking.end))


def is_no_show(start: datetime, policy: BookingPolicy, now: datetime) -> bool:
    """A confirmed booking not checked in `checkin_window_minutes` after its start is released."""
    return now >= start + timedelta(minutes=policy.checkin_window_minutes)


MOVABLE_STATUSES: frozenset[BookingStatus] = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED})
"""A booking may be moved before anyone has arrived for it; a move keeps its status."""


def may_move(status: BookingStatus) -> bool:
    return status in MOVABLE_STATUSES


def usage_without(usage: Usage, booking: Interval, now: datetime, week: Interval, day: Interval) -> Usage:
    """Quota usage as it is without one of the person's active bookings: a move must not count
    the booking it moves against the place it moves to."""
    minutes = int((booking.end - booking.start) / MINUTE)
    in_week = week.start <= booking.start < week.end
    on_day = day.start <= booking.start < day.end
    return Usage(
        active_upcoming=max(0, usage.active_upcoming - (1 if booking.end > now else 0)),
        minutes_in_week=max(0, usage.minutes_in_week - (minutes if in_week else 0)),
        minutes_on_day=max(0, usage.minutes_on_day - (minutes if on_day else 0)),
        bookings_on_day=max(0, usage.bookings_on_day - (1 if on_day else 0)),
    )


CHECK_IN_UNDO = timedelta(minutes=10)
"""How long a check-in can be taken back (a click on the wrong row at the desk)."""


def may_undo_check_in(status: BookingStatus, checked_in_at: datetime | None, now: datetime) -> bool:
    """A check-in is undone back to confirmed within `CHECK_IN_UNDO` of it, never later."""
    return (
        status is BookingStatus.CHECKED_IN
        and checked_in_at is not None
        and checked_in_at <= now <= checked_in_at + CHECK_IN_UNDO
    )
