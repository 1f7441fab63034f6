"""Who may sign up when, what state a session is in, and the lottery draw: pure rules."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from library.booking.rules import Booker, Refusal, age_on


@dataclass(frozen=True)
class SessionFacts:
    start: datetime
    capacity: int
    registration_opens: datetime
    registration_closes: datetime
    lottery: bool
    drawn: bool
    cancelled: bool
    online_capacity: int | None = None  # a hybrid session's online places, beside `capacity`


@dataclass(frozen=True)
class WorkshopFacts:
    min_age: int | None
    max_age: int | None
    required_certification: str | None


def session_state(session: SessionFacts, now: datetime, confirmed: int, online_confirmed: int = 0) -> str:
    """upcoming, open, full (waitlist open), closed or drawn (API.md, Workshops).

    `confirmed` counts every place held, `online_confirmed` those of them online; a hybrid
    session is full once both its room and its online places are.
    """
    if session.lottery and session.drawn:
        return "drawn"
    if session.cancelled or now >= session.registration_closes:
        return "closed"
    if now < session.registration_opens:
        return "upcoming"
    if session.lottery:
        return "open"
    if session.online_capacity is None:
        return "full" if confirmed >= session.capacity else "open"
    room_full = confirmed - online_confirmed >= session.capacity
    return "full" if room_full and online_confirmed >= session.online_capacity else "open"


def participations(attendance_mode: str) -> tuple[str, ...]:
    """The ways to take part a session offers: the room, online, or (hybrid) either."""
    return {"in_person": ("in_person",), "online": ("online",)}.get(attendance_mode, ("in_person", "online"))


def participation_for(attendance_mode: str, asked: str | None) -> str | None:
    """How a person takes part: as asked where the session offers it, else its first way (the room
    of a hybrid session); None where the session does not offer what was asked."""
    offered = participations(attendance_mode)
    if asked is None:
        return offered[0]
    return asked if asked in offered else None


def places(capacity: int, online_capacity: int | None, participation: str) -> int:
    """The places of one kind: a hybrid session's online places are its own; any other session's
    places (in the room, or all online) are its `capacity`."""
    if participation == "online" and online_capacity is not None:
        return online_capacity
    return capacity


def check_registration(
    workshop: WorkshopFacts, session: SessionFacts, booker: Booker, now: datetime, zone: ZoneInfo
) -> Refusal | None:
    """The first rule a sign-up breaks: the window, the age range, a required certification."""
    if (
        session.cancelled
        or session.drawn
        or not (session.registration_opens <= now < session.registration_closes)
    ):
        return Refusal("registration_closed")
    return check_person(workshop, session.start, booker, zone)


def check_person(workshop: WorkshopFacts, start: datetime, booker: Booker, zone: ZoneInfo) -> Refusal | None:
    """Whether this person may attend a session starting at `start`: the age range on its day and a
    certification valid then. A page asks this before it offers a sign-up button."""
    day = start.astimezone(zone).date()
    if workshop.min_age is not None or workshop.max_age is not None:
        if booker.birth_date is None:
            return Refusal("min_age", {"min_age": workshop.min_age or 0}, message_key="min_age_unknown")
        age = age_on(booker.birth_date, day)
        if workshop.min_age is not None and age < workshop.min_age:
            return Refusal("min_age", {"min_age": workshop.min_age})
        if workshop.max_age is not None and age > workshop.max_age:
            return Refusal("max_age", {"max_age": workshop.max_age})
    required = workshop.required_certification
    if required is not None and not any(
        c.key == required and (c.expires_at is None or c.expires_at > start) for c in booker.certifications
    ):
        return Refusal("certification_required", {"certification": required})
    return None


@dataclass(frozen=True)
class Entrant:
    registration_id: int
    won_recently: bool  # a place in this workshop not long ago: ranked after the others


@dataclass(frozen=True)
class DrawResult:
    winners: tuple[int, ...]
    waitlist: tuple[int, ...]


def draw_places(entrants: Sequence[Entrant], capacity: int, seed: str) -> DrawResult:
    """Shuffle with a recorded seed (same seed and entrants, same result), people who won
    recently after the others, then the first `capacity` get places and the rest wait in order."""
    ordered = sorted(entrants, key=lambda e: e.registration_id)
    random.Random(seed).shuffle(ordered)  # noqa: S311 - fairness, not secrecy: the seed is published
    ranked = sorted(ordered, key=lambda e: e.won_recently)  # stable: keeps the drawn order within each group
    ids = tuple(e.registration_id for e in ranked)
    return DrawResult(winners=ids[:capacity], waitlist=ids[capacity:])


def certification_expiry(granted: datetime, valid_months: int | None) -> datetime | None:
    """Valid for whole months from the day it was earned; None: never expires."""
    if valid_months is None:
        return None
    months = granted.month - 1 + valid_months
    year, month = granted.year + months // 12, months % 12 + 1
    day = min(granted.day, _days_in_month(year, month))
    return granted.replace(year=year, month=month, day=day)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - date(year, month, 1)).days


def online_capacity_problem(attendance_mode: str, online_capacity: int | None) -> str | None:
    """Why a session's online places do not fit its attendance mode (an error code), or None."""
    if online_capacity is not None and attendance_mode != "hybrid":
        return "online_capacity_needs_hybrid"
    return None


def stream_problem(attendance_mode: str, stream_url: str | None) -> str | None:
    """Why a session's stream cannot be used (an error code), or None: https only, online or hybrid."""
    if stream_url is None:
        return None
    parts = urlsplit(stream_url)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in stream_url):
        return "stream_url_not_https"
    if attendance_mode == "in_person":
        return "stream_needs_online_mode"
    return None


def stream_visible(*, stream_public: bool, confirmed: bool, online: bool = True) -> bool:
    """Who sees the stream's address: confirmed participants who take part online, and everyone
    where it is public. Someone with a place in the room of a hybrid session does not: the link
    is what an online place is, and those are counted; where the stream is public it is theirs too."""
    return stream_public or (confirmed and online)


def moved_to(
    spans: Sequence[tuple[datetime, datetime]],
    first_day: date,
    chosen: Mapping[int, date],
    zone: ZoneInfo,
) -> list[tuple[datetime, datetime]]:
    """Where a copied workshop's sessions go: the first session to `first_day`, the others as many
    local days after it as before (or to the day `chosen` for their place in `spans`), each at
    the same local times of day, so a copy across a clock change still starts at 10:00."""
    if not spans:
        return []
    origin = spans[0][0].astimezone(zone).date()
    moved = []
    for index, (start, end) in enumerate(spans):
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        day = chosen.get(index, first_day + (local_start.date() - origin))
        end_day = day + (local_end.date() - local_start.date())
        moved.append(
            (
                datetime.combine(day, local_start.time(), zone).astimezone(UTC),
                datetime.combine(end_day, local_end.time(), zone).astimezone(UTC),
            )
        )
    return moved
