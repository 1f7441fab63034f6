"""Keeping the person-based figures of days that retention is about to anonymise.

`library.privacy.anonymise_expired` calls `keep_before_retention` first, in its transaction:
the people of every day up to the one holding the cut-off are counted into anonymous daily
rows, each person's first visit is kept with their account, each person who came gets monthly
markers under an opaque key (`PersonMonth`: this key came in this month, here, for this factor),
and certification grants whose uptake booking is about to lose its person are marked. Reports
read those rows for the kept days, so a report of last year gives the same numbers after
retention as before, and unique people of kept months stay unique.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import User, UserCertification
from library.booking.models import Booking
from library.catalog.models import Location
from library.stats.models import KeptThrough, KeptUptake, PersonFirstVisit, PersonKey, PersonMonth
from library.stats.queries import age_band, first_days, uptake_booking, visits_of_people
from library.stats.sql import as_date, day_text, least

BEGINNING = date(2000, 1, 1)
"""Where the first run starts counting: before any booking this service has held."""


async def keep_before_retention(session: AsyncSession, cutoff: datetime) -> date | None:
    """Count the days up to the cut-off's local day into the kept figures; the last day kept."""
    zones = (await session.scalars(select(Location.timezone).distinct())).all()
    if not zones:
        return None
    through = max(cutoff.astimezone(ZoneInfo(zone)).date() for zone in zones)
    kept: date | None = await session.scalar(select(KeptThrough.day))
    if kept is not None and kept >= through:
        return kept
    first = BEGINNING if kept is None else kept + timedelta(days=1)
    await _keep_first_visits(session, first, through)
    await _keep_person_months(session, first, through)
    await _forget_keys_of_deleted(session, cutoff)
    await session.execute(
        insert(KeptUptake).from_select(
            ["user_certification_id"],
            select(UserCertification.id).where(
                uptake_booking(UserCertification).where(Booking.end_at < cutoff).exists(),
                ~select(KeptUptake.user_certification_id)
                .where(KeptUptake.user_certification_id == UserCertification.id)
                .exists(),
            ),
        )
    )
    if kept is None:
        session.add(KeptThrough(id=1, day=through))
    else:
        await session.execute(update(KeptThrough).values(day=through))
    await session.flush()
    return through


async def _keep_first_visits(session: AsyncSession, first: date, through: date) -> None:
    """The first day of everyone who came on a day up to `through`, before those visits go nameless."""
    # Only those who came on the newly kept days.
    came = _leaving(first, through).subquery("came")
    leaving = select(came.c.user_id).distinct()
    firsts = first_days(leaving).subquery("firsts")
    kept_or_named = least(day_text(PersonFirstVisit.first_day), firsts.c.first_day)
    merged = (
        select(
            firsts.c.user_id,
            as_date(func.coalesce(kept_or_named, firsts.c.first_day)),
        )
        .select_from(firsts)
        .outerjoin(PersonFirstVisit, PersonFirstVisit.user_id == firsts.c.user_id)
    )
    rows = (await session.execute(merged)).all()
    if not rows:
        return
    await session.execute(delete(PersonFirstVisit).where(PersonFirstVisit.user_id.in_([r[0] for r in rows])))
    await session.execute(
        insert(PersonFirstVisit), [{"user_id": user_id, "first_day": _as_day(day)} for user_id, day in rows]
    )


def _leaving(first: date, through: date) -> Select[Any]:
    """Who came on the local days `first` to `through` (user_id, day, location_id, factor)."""
    # A day's margin either side for the zones; the local day narrows it.
    lower = datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC)
    upper = datetime.combine(through + timedelta(days=2), time(), tzinfo=UTC)
    around = visits_of_people(lower, upper).subquery("around")
    return select(around.c.user_id, around.c.day, around.c.location_id, around.c.factor).where(
        around.c.day >= first.isoformat(), around.c.day <= through.isoformat()
    )


async def _keep_person_months(session: AsyncSession, first: date, through: date) -> None:
    """Monthly markers under each person's opaque key for the local days `first` to `through`.

    Keys are made for those who have none yet; markers already written (a month kept over two
    runs) are left as they are. Runs after `_keep_first_visits`, whose first days it reads.
    """
    visits = _leaving(first, through).subquery("visits")
    unkeyed = (
        await session.scalars(
            select(visits.c.user_id)
            .where(~select(PersonKey.user_id).where(PersonKey.user_id == visits.c.user_id).exists())
            .distinct()
        )
    ).all()
    if unkeyed:
        await session.execute(
            insert(PersonKey), [{"user_id": user_id, "key": new_person_key()} for user_id in unkeyed]
        )
    month_of_visit = func.substr(visits.c.day, 1, 7)
    first_month = func.coalesce(func.substr(day_text(PersonFirstVisit.first_day), 1, 7), month_of_visit)
    markers = (
        select(
            PersonKey.key.label("key"),
            as_date(month_of_visit.concat("-01")).label("month"),
            visits.c.location_id.label("location_id"),
            visits.c.factor.label("factor"),
            age_band(visits.c.day, day_text(User.birth_date)).label("age_band"),
            as_date(first_month.concat("-01")).label("first_month"),
        )
        .select_from(visits)
        .join(PersonKey, PersonKey.user_id == visits.c.user_id)
        .join(User, User.id == visits.c.user_id)
        .outerjoin(PersonFirstVisit, PersonFirstVisit.user_id == visits.c.user_id)
        .distinct()
        .subquery("markers")
    )
    m = markers.c
    await session.execute(
        insert(PersonMonth).from_select(
            ["key", "month", "location_id", "factor", "age_band", "first_month"],
            select(m.key, m.month, m.location_id, m.factor, m.age_band, m.first_month).where(
                ~select(PersonMonth.key)
                .where(
                    and_(
                        PersonMonth.key == m.key,
                        PersonMonth.month == m.month,
                        PersonMonth.location_id == m.location_id,
                        PersonMonth.factor == m.factor,
                        PersonMonth.age_band == m.age_band,
                    )
                )
                .exists()
            ),
        )
    )


DELETED_MARGIN = timedelta(days=2)
"""A deleted account's last visit (one under way when it was deleted) ends within this."""


async def _forget_keys_of_deleted(session: AsyncSession, cutoff: datetime) -> None:
    """The keys of accounts deleted well before the cut-off: all their visits are kept as
    markers now, and the markers stay with a number that leads to no one.

    Not at the deletion itself: the deleted account's visits of the last 90 days are still
    counted from the bookings under that key, and without it they would count as a second
    person beside the markers of the same months.
    """
    deleted = select(User.id).where(User.deleted_at.is_not(None), User.deleted_at < cutoff - DELETED_MARGIN)
    await session.execute(delete(PersonKey).where(PersonKey.user_id.in_(deleted)))


def new_person_key() -> int:
    """A random positive 62-bit number: opaque, and never the negative stand-in of a live account."""
    return secrets.randbits(62) + 1


def _as_day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
