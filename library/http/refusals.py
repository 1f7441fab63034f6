"""A refused booking as the API and the pages answer it.

The booking engine refuses a missing or expired certification by naming the certification only:
workshops sit above booking (their sessions book rooms through it), so the workshop that grants
it is asked for here, with the one query the resource page and the expiry mail use too.
"""

from __future__ import annotations

from datetime import datetime

from library.booking.errors import Renewal, refused
from library.booking.rules import Refusal
from library.db import Database
from library.errors import NotAllowed
from library.workshops.queries import renewing_workshop


async def booking_refused(db: Database, refusal: Refusal, now: datetime) -> NotAllowed:
    """The refusal as the person reads it; a missing certification also names its workshop, if any."""
    if refusal.code != "certification_required":
        return refused(refusal)
    async with db.read() as session:
        workshop = await renewing_workshop(session, str(refusal.params["certification"]), now)
    if workshop is None:
        return refused(refusal)
    return refused(refusal, Renewal(workshop.slug, workshop.title))
