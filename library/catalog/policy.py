"""The effective house rules of a resource: its overrides, else its location's, else defaults.

House rules are catalogue data (set on locations and resources); booking reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

POLICY_FIELDS = (
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "horizon_days",
    "lead_minutes",
    "setup_minutes",
    "buffer_minutes",
    "max_active_bookings",
    "max_minutes_per_week",
    "max_minutes_per_day",
    "max_bookings_per_day",
    "cancel_until_minutes",
    "checkin_window_minutes",
    "loan_days",
    "max_renewals",
    "hold_offer_minutes",
)


@dataclass(frozen=True)
class BookingPolicy:
    """Time rules for booking one resource. A quota of None means no limit."""

    slot_minutes: int = 30
    min_minutes: int = 30
    max_minutes: int = 240
    horizon_days: int = 28
    lead_minutes: int = 0
    setup_minutes: int = 0
    buffer_minutes: int = 0
    max_active_bookings: int | None = 5
    max_minutes_per_week: int | None = None
    max_minutes_per_day: int | None = None
    max_bookings_per_day: int | None = None
    cancel_until_minutes: int = 60
    checkin_window_minutes: int = 15
    loan_days: int = 14
    max_renewals: int = 2
    # None: 30 minutes for rooms and devices, a day for things lent (see hold_offer_minutes_for).
    hold_offer_minutes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULT_POLICY = BookingPolicy()


def overrides_of(row: object | None) -> dict[str, Any]:
    """The fields a policy row sets, leaving out those it leaves to the level above."""
    if row is None:
        return {}
    return {name: value for name in POLICY_FIELDS if (value := getattr(row, name, None)) is not None}


def hold_offer_minutes_for(policy: BookingPolicy, kind: str) -> int:
    """How long a freed slot stays offered to the first person waiting: a day for a thing to
    take home (people need time to come), half an hour for a room or device used in the house."""
    if policy.hold_offer_minutes is not None:
        return policy.hold_offer_minutes
    return 24 * 60 if kind == "loan" else 30


def effective_policy(
    location_policy: object | None,
    resource_policy: object | None,
    base: BookingPolicy = DEFAULT_POLICY,
) -> BookingPolicy:
    return replace(base, **{**overrides_of(location_policy), **overrides_of(resource_policy)})
