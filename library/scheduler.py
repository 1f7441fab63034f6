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

from library.booking.service import release_no_shows
from library.clock import Clock
from library.config import Settings
from library.db import Database
from library.workshops.service import expire_offers

log = logging.getLogger("library.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Database, Clock, Settings], Awaitable[int]]


async def _no_shows(db: Database, clock: Clock, settings: Settings) -> int:
    return await release_no_shows(db, now=clock.now(), base_url=settings.base_url)


async def _lapsed_offers(db: Database, clock: Clock, settings: Settings) -> int:
    return await expire_offers(db, now=clock.now(), base_url=settings.base_url)


JOBS: tuple[Job, ...] = (Job("release_no_shows", _no_shows), Job("expire_offers", _lapsed_offers))


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
