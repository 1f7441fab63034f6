"""Keeping the person-based figures of days that retention is about to anonymise.

`library.privacy.anonymise_expired` calls `keep_before_retention` first, in its transaction:
the people of every day up to the one holding the cut-off are counted into anonymous daily
rows, each person's first visit is kept with their account, and certification grants whose
uptake booking is about to lose its person are marked. Reports read those rows for the kept
days, so a report of last year gives the same numbers after retention as before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from library.accounts.models import UserCertification
from library.booking.models import Booking
from library.catalog.models import Location
from library.stats.models import KeptThrough, KeptUptake, PeopleDay, PersonFirstVisit
from library.stats.queries import first_days, live_people, uptake_booking, visits_of_people
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
    await count_people_days(session, first, through)
    await _keep_first_visits(session, first, through)
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


async def count_people_days(session: AsyncSession, first: date, last: date) -> None:
    """Replace the people figures of the local days `first` to `last` by a fresh count.

    Retention does it for the days it is about to anonymise (and they stay so from then on),
    the roll-up for the closed days after those.
    """
    await session.execute(delete(PeopleDay).where(PeopleDay.day >= first, PeopleDay.day <= last))
    counted = live_people(first, last).subquery("counted")
    await session.execute(
        insert(PeopleDay).from_select(
            ["day", "location_id", "factor", "age_band", "people", "new_people"],
            select(
                as_date(counted.c.day),
                counted.c.location_id,
                counted.c.factor,
                counted.c.age_band,
                counted.c.people,
                counted.c.new_people,
            ),
        )
    )


async def _keep_first_visits(session: AsyncSession, first: date, through: date) -> None:
    """The first day of everyone who came on a day up to `through`, before those visits go nameless."""
    # Only those who came on the newly kept days; a day's margin either side for the zones.
    lower = datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC)
    upper = datetime.combine(through + timedelta(days=2), time(), tzinfo=UTC)
    around = visits_of_people(lower, upper).subquery("around")
    leaving = (
        select(around.c.user_id)
        .where(around.c.day >= first.isoformat(), around.c.day <= through.isoformat())
        .distinct()
    )
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


def _as_day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
