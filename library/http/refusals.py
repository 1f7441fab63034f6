"""A refused booking as the API and the pages answer it.

The booking engine refuses a missing or expired certification by naming its key only: workshops
sit above booking (their sessions book rooms through it), so the certification's name and the
workshop that grants it are looked up here, with the one query the resource page and the expiry
mail use too. A person sees them in their language, never the internal key.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from library.accounts.models import Certification, User
from library.booking.errors import Renewal, refused
from library.booking.intervals import Interval
from library.booking.queries import load_booker
from library.booking.rules import Refusal, ResourceFacts, check_person_rules
from library.db import Database
from library.errors import Bilingual, NotAllowed
from library.workshops.queries import renewing_workshop


async def booking_refused(db: Database, refusal: Refusal, now: datetime) -> NotAllowed:
    """The refusal as the person reads it; a missing certification by its name, with the workshop
    that gives it, if any (its slug in the answer as `workshop`)."""
    if refusal.code != "certification_required":
        return refused(refusal)
    key = str(refusal.params["certification"])
    async with db.read() as session:
        certification = await session.scalar(select(Certification).where(Certification.key == key))
        workshop = await renewing_workshop(session, key, now)
    if certification is not None:
        named = Bilingual(certification.name, certification.name_en)
        refusal = replace(refusal, params={**refusal.params, "certification": named})
    if workshop is None:
        return refused(refusal)
    return refused(refusal, Renewal(workshop.slug, Bilingual(workshop.title, workshop.title_en)))


async def person_refused(
    db: Database, user: User, resource: ResourceFacts, zone: ZoneInfo, now: datetime
) -> NotAllowed | None:
    """Why this person may not book the resource at all (age, a missing induction), before any
    form is filled in: the booking engine's own person rules, as of today."""
    async with db.read() as session:
        booker = await load_booker(session, user)
    refusal = check_person_rules(Interval(now, now + timedelta(minutes=1)), resource, booker, zone)
    return None if refusal is None else await booking_refused(db, refusal, now)
