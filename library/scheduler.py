"""Background jobs on a schedule, in `library serve` by default or alone in `library worker`.

Nothing depends on a cron job someone has to remember. Every job is safe to run twice and
from several processes at once (row locks with SKIP LOCKED on PostgreSQL; SQLite has one
writer at a time), so each `library serve` process may run the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from library.booking.holds import sweep_holds
from library.booking.loans import send_reminders as send_loan_reminders
from library.booking.service import complete_bookings, release_no_shows
from library.clock import Clock
from library.config import Settings
from library.db import Database
from library.notify.reminders import (
    queue_booking_reminders,
    queue_certification_notices,
    queue_registration_reminders,
)
from library.notify.worker import send_due
from library.opendata.observations import record_observations
from library.opendata.push import push_due
from library.privacy import anonymise_expired
from library.stats.rollup import roll_up
from library.workshops.service import draw_closed_lotteries, expire_offers

log = logging.getLogger("library.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Database, Clock, Settings], Awaitable[int]]


async def _no_shows(db: Database, clock: Clock, settings: Settings) -> int:
    return await release_no_shows(db, now=clock.now())


async def _completed(db: Database, clock: Clock, settings: Settings) -> int:
    return await complete_bookings(db, now=clock.now())


async def _loan_reminders(db: Database, clock: Clock, settings: Settings) -> int:
    return await send_loan_reminders(db, now=clock.now())


async def _lapsed_offers(db: Database, clock: Clock, settings: Settings) -> int:
    return await expire_offers(db, now=clock.now())


async def _holds(db: Database, clock: Clock, settings: Settings) -> int:
    return await sweep_holds(db, now=clock.now())


async def _lotteries(db: Database, clock: Clock, settings: Settings) -> int:
    return await draw_closed_lotteries(db, now=clock.now())


async def _retention(db: Database, clock: Clock, settings: Settings) -> int:
    async with db.write() as session:
        anonymised = await anonymise_expired(session, clock.now(), settings.retention_days)
    return anonymised.total


async def _stats_rollup(db: Database, clock: Clock, settings: Settings) -> int:
    async with db.write() as session:
        return await roll_up(session, clock.now())


async def _reminders(db: Database, clock: Clock, settings: Settings) -> int:
    now, hours = clock.now(), settings.reminder_hours
    bookings = await queue_booking_reminders(db, now=now, hours=hours)
    return bookings + await queue_registration_reminders(db, now=now, hours=hours)


async def _certification_notices(db: Database, clock: Clock, settings: Settings) -> int:
    return await queue_certification_notices(db, now=clock.now(), days=settings.certification_notice_days)


async def _observations(db: Database, clock: Clock, settings: Settings) -> int:
    return await record_observations(
        db, now=clock.now(), keep_days=settings.observation_days, push=bool(settings.sta_push_url)
    )


async def _push_observations(db: Database, clock: Clock, settings: Settings) -> int:
    """Send queued observations to the city's SensorThings server, where one is set."""
    if not settings.sta_push_url:
        return 0
    return await push_due(db, now=clock.now(), url=settings.sta_push_url)


OUTBOX_BATCH = 200
_said_once: set[str] = set()


async def _send_outbox(db: Database, clock: Clock, settings: Settings) -> int:
    """Send due notifications; without LIBRARY_SMTP_URL they wait in the outbox (said once)."""
    if not settings.smtp_url:
        if "no_smtp" not in _said_once:
            _said_once.add("no_smtp")
            log.warning("LIBRARY_SMTP_URL is not set: notifications stay queued in the outbox until it is")
        return 0
    return await send_due(
        db,
        now=clock.now(),
        smtp_url=settings.smtp_url,
        base_url=settings.base_url,
        batch=OUTBOX_BATCH,
        secret_key=settings.secret_key,
    )


JOBS: tuple[Job, ...] = (
    Job("release_no_shows", _no_shows),
    Job("complete_bookings", _completed),
    Job("loan_reminders", _loan_reminders),
    Job("expire_offers", _lapsed_offers),
    # After the no-shows: the time they free is offered to whoever waits for it in the same tick.
    Job("offer_held_slots", _holds),
    Job("draw_lotteries", _lotteries),
    Job("queue_reminders", _reminders),
    Job("queue_certification_notices", _certification_notices),
    Job("anonymise_expired", _retention),
    # After the no-shows and completions of this tick, so closed days have their last statuses.
    Job("roll_up_statistics", _stats_rollup),
    Job("record_observations", _observations),
    Job("push_observations", _push_observations),
    # Last, so the mails of this tick's no-shows and lapsed offers go out in the same tick.
    Job("send_outbox", _send_outbox),
)


async def run_jobs_once(db: Database, clock: Clock, settings: Settings) -> dict[str, int]:
    """One tick: every job once. A failing job is logged and does not stop the others."""
    results: dict[str, int] = {}
    for job in JOBS:
        try:
            results[job.name] = await job.run(db, clock, settings)
        except Exception:
            log.exception("scheduled job %s failed", job.name)
            results[job.name] = -1
    return results


async def run_forever(db: Database, clock: Clock, settings: Settings, *, interval_seconds: float) -> None:
    log.info("scheduler running every %s seconds", interval_seconds)
    while True:
        results = await run_jobs_once(db, clock, settings)
        if any(results.values()):
            log.info("scheduler tick: %s", results)
        await asyncio.sleep(interval_seconds)
