"""`library seed`: load the catalogue (and, on request, the demo data) in one transaction.

Everything is read and checked before the database is touched. Rows are keyed by natural keys
(location slug, certification key, resource slug, unit label within its resource, user email,
workshop slug, a workshop session by its workshop, start and room), so that loading twice
changes nothing and editing a file updates rows in place. What staff added in the application
(resources, units, dated exceptions, workshops, sessions) is left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from library.db import Database
from library.seeding.catalogue import read_catalogue
from library.seeding.certifications import upsert_certifications
from library.seeding.demo import read_demo, seed_bookings, upsert_users
from library.seeding.locations import upsert_locations
from library.seeding.photos import read_photos, seed_photos
from library.seeding.report import SeedReport
from library.seeding.resources import upsert_resources
from library.seeding.workshops import seed_sessions, system_user, upsert_workshops

SEED_LOCK_KEY = 0x5EED_0001  # PostgreSQL advisory lock: one seed run at a time


async def load_seed(
    db: Database,
    seed_dir: Path,
    *,
    demo: bool = False,
    now: datetime | None = None,
    media_root: Path | None = None,
) -> SeedReport:
    """Load the catalogue (and with `demo` the demo accounts and bookings) idempotently; with
    `media_root` also the photos of photos.yaml, each in its own transaction afterwards (their
    files are written outside the database, the way an upload is)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("load_seed needs an aware datetime for 'now'")
    catalogue = read_catalogue(seed_dir)
    zone = ZoneInfo(catalogue.locations[0].timezone if catalogue.locations else "Europe/Berlin")
    today = now.astimezone(zone).date()  # the library's "today", for ages
    demo_data = read_demo(seed_dir, catalogue) if demo else None
    photos = read_photos(seed_dir) if media_root is not None else []

    report = SeedReport()
    async with db.write() as session:
        if not db.is_sqlite:
            # SQLite serialises writers already (BEGIN IMMEDIATE); on PostgreSQL two seed runs at
            # once would otherwise both insert the same new rows and one would fail.
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEED_LOCK_KEY})
        certifications = await upsert_certifications(session, catalogue.certifications, report)
        locations = await upsert_locations(session, catalogue.locations, report)
        await session.flush()
        resources = await upsert_resources(session, catalogue.resources, locations, certifications, report)
        await session.flush()
        if catalogue.workshops:
            workshops = await upsert_workshops(session, catalogue.workshops, certifications, report)
            await session.flush()
            if any(spec.sessions for spec in catalogue.workshops):
                system = await system_user(session, report)
                await seed_sessions(session, catalogue.workshops, workshops, resources, system, now, report)
        if demo_data is not None:
            users = await upsert_users(session, demo_data.users, certifications, now, today, report)
            await session.flush()
            await seed_bookings(session, demo_data.bookings, users, resources, now, report)
    if media_root is not None:
        await seed_photos(db, photos, media_root, now, report)
    return report
