"""The house rules of a loan: pure checks over plain values, beside the booking rules they reuse.

A loan is lent for whole local days, from the start of the pickup day to the end of the due
day; pickup and return happen at the desk, so both days must be open days. The person rules
(age, certification) and the quotas are the booking rules' own (`booking.rules`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from library.booking.intervals import Interval
from library.booking.rules import Booker, Refusal, ResourceFacts, Usage, check_person_rules, check_quotas
from library.catalog.hours import local_instant

LENDABLE_KIND = "loan"

REMINDER_OFFSETS: tuple[int, ...] = (-2, 0, 1, 3, 7)
"""Days after the due day on which a reminder goes out: two days before, on the day, then
overdue after 1, 3 and 7 days. A loan's `reminder_stage` counts how many have gone out."""

REMINDER_KINDS: tuple[str, ...] = (
    "loan.due_soon",
    "loan.due_today",
    "loan.overdue",
    "loan.overdue",
    "loan.overdue",
)
"""The outbox kind of each reminder, in the order of REMINDER_OFFSETS."""

LAST_REMINDER = len(REMINDER_OFFSETS)
"""After the last reminder the loan is left to the staff's overdue list."""


def loan_span(pickup: date, due: date, zone: ZoneInfo) -> Interval:
    """What a loan holds its unit for: from the start of the pickup day to the end of the due day."""
    return Interval(
        local_instant(pickup, time(0), zone), local_instant(due + timedelta(days=1), time(0), zone)
    )


DAY_MINUTES = 24 * 60
"""A hold on a thing lent for days counts its length in whole days, as minutes (API.md `minutes`)."""


def loan_hold_days(minutes: int | None, loan_days: int) -> int | Refusal:
    """The days a thing is wanted for (due day minus pickup day, as `loan_days` counts), from a
    hold's `minutes`: whole days, at least one, at most `loan_days`; by default `loan_days`."""
    if minutes is None:
        return loan_days
    if minutes % DAY_MINUTES:
        return Refusal("hold_whole_days")
    if minutes > loan_days * DAY_MINUTES:
        return Refusal("loan_too_long", {"loan_days": loan_days})
    return minutes // DAY_MINUTES


def window_days(window: Interval, zone: ZoneInfo) -> tuple[date, date]:
    """The local days a window of instants touches, first and last: a loan's whole days."""
    return window.start.astimezone(zone).date(), (window.end - timedelta(microseconds=1)).astimezone(
        zone
    ).date()


def loan_hold_fits(window: Interval, days: int, zone: ZoneInfo) -> bool:
    """Whether a loan of `days` (pickup to due day) fits in the local days of the window."""
    first, last = window_days(window, zone)
    return (last - first).days >= days


def loan_pickups(
    window: Interval, days: int, zone: ZoneInfo, is_open: Callable[[date], bool], today: date
) -> list[tuple[date, date]]:
    """The (pickup, due) days a hold could be offered, earliest first: each open day of the
    window from today on as pickup, its due day as a reservation without one would get it
    (`default_due`), and the whole loan within the window's days."""
    first, last = window_days(window, zone)
    found = []
    pickup = max(first, today)
    while pickup <= last:
        if is_open(pickup):
            due = default_due(pickup, days, is_open)
            if due <= last:
                found.append((pickup, due))
        pickup += timedelta(days=1)
    return found


def last_open_day(first: date, last: date, is_open: Callable[[date], bool]) -> date | None:
    """The latest open day from `first` to `last`, or None when all are closed."""
    day = last
    while day >= first:
        if is_open(day):
            return day
        day -= timedelta(days=1)
    return None


def default_due(pickup: date, loan_days: int, is_open: Callable[[date], bool]) -> date:
    """The due day when none is asked for: the last open day within `loan_days` after pickup."""
    return last_open_day(pickup, pickup + timedelta(days=loan_days), is_open) or pickup + timedelta(
        days=loan_days
    )


def renewed_due(due: date, loan_days: int, is_open: Callable[[date], bool]) -> date:
    """A renewal's new due day: the last open day within `loan_days` after the old one."""
    later = due + timedelta(days=1)
    return last_open_day(later, due + timedelta(days=loan_days), is_open) or due + timedelta(days=loan_days)


def check_loan_dates(
    pickup: date,
    due: date,
    resource: ResourceFacts,
    is_open: Callable[[date], bool],
    today: date,
) -> Refusal | None:
    """Kind, dates and opening days: the first rule the dates break, or None."""
    policy = resource.policy
    if resource.kind != LENDABLE_KIND:
        return Refusal("not_for_loan")
    if not resource.active or not resource.unit_ids:
        return Refusal("resource_unavailable")
    if pickup < today:
        return Refusal("pickup_in_past")
    if pickup > today + timedelta(days=policy.horizon_days):
        return Refusal("beyond_horizon", {"horizon_days": policy.horizon_days})
    if due < pickup:
        return Refusal("due_before_pickup")
    if (due - pickup).days > policy.loan_days:
        return Refusal("loan_too_long", {"loan_days": policy.loan_days})
    if not is_open(pickup):
        return Refusal("pickup_closed")
    if not is_open(due):
        return Refusal("due_closed")
    return None


def check_loan(
    pickup: date,
    due: date,
    resource: ResourceFacts,
    is_open: Callable[[date], bool],
    today: date,
    zone: ZoneInfo,
    booker: Booker,
    usage: Usage,
) -> Refusal | None:
    """The first house rule a loan breaks: its dates, then the booking rules for the person
    (age, certification on the pickup day) and the quotas that count bookings (a loan counts
    as one; minutes a week or a day are the measure of time slots, not of days lent).
    Conflicts are the database's."""
    span = loan_span(pickup, due, zone)
    counted = replace(resource.policy, max_minutes_per_week=None, max_minutes_per_day=None)
    return (
        check_loan_dates(pickup, due, resource, is_open, today)
        or check_person_rules(span, resource, booker, zone)
        or check_quotas(span, counted, usage)
    )


def check_renewal(renewals: int, max_renewals: int) -> Refusal | None:
    """A loan is renewed at most `max_renewals` times."""
    if renewals >= max_renewals:
        return Refusal("renewal_refused", {"reason": "max_renewals", "max_renewals": max_renewals})
    return None


def unknown_parts(named: Sequence[str], parts: Sequence[str]) -> list[str]:
    """The items of a checklist or of the missing parts that are not parts of the thing."""
    return [item for item in named if item not in parts]


def reminder_due(due: date, today: date, sent: int) -> int | None:
    """The reminder stage to send today, or None: the latest one whose day has come and that has
    not gone out; earlier ones missed (the worker was down) are not sent late."""
    reached = sum(1 for offset in REMINDER_OFFSETS if due + timedelta(days=offset) <= today)
    return reached if reached > sent else None


def days_overdue(due: date, today: date) -> int:
    return max(0, (today - due).days)
