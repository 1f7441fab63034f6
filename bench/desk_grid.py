"""How fast the desk's day grid renders: 100 resources, 1,000 bookings on one day.

For each engine the script builds a fresh library (an SQLite file under var/bench, or the
PostgreSQL database `bench_desk_grid`): one location open 08:00-20:00, 100 resources with one
unit each (so 100 rows), ten 45-minute bookings per unit on the measured day (1,000 bookings,
a mix of confirmed, pending, checked-in and no-show) and a block on every tenth unit. Then it
asks for `GET /staff/desk?date=<day>` as a signed-in member of staff through the whole
application in-process (Litestar's AsyncTestClient on create_app: routing, the session lookup,
the six grid queries, the layout and the Jinja render), `--calls` times after `--warmup`, and
prints the median and p95 milliseconds, the SQL statements per page (counted with a
before_cursor_execute listener; SQLite's BEGIN not counted) and the page size.

    .venv/bin/python -m bench.desk_grid
    .venv/bin/python -m bench.desk_grid --engines sqlite --calls 20
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import event

from bench.synthetic import DATA_DIR, ZONE, default_url, reset_database
from library.accounts.models import Role, User
from library.accounts.service import start_session_within
from library.app import create_app
from library.booking.models import Booking, BookingStatus
from library.catalog.models import Factor, Location, OpeningPeriod, Resource, ResourceKind, Unit, UnitBlock
from library.clock import SettableClock
from library.config import Settings, normalise_database_url
from library.db import Database
from library.http.viewer import SESSION_COOKIE
from library.migrations import upgrade

RESOURCES = 100
PER_UNIT = 10
DAY = date(2026, 12, 2)  # a Wednesday
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
TARGET_MS = 150.0
TARGET_QUERIES = 6
STATUSES = (
    BookingStatus.CONFIRMED,
    BookingStatus.CONFIRMED,
    BookingStatus.PENDING,
    BookingStatus.CHECKED_IN,
    BookingStatus.NO_SHOW,
)


async def build(db: Database) -> str:
    """The library and a staff session; returns the session id for the cookie."""
    async with db.write() as session:
        location = Location(slug="bench", name="Bench", timezone="Europe/Berlin")
        location.opening_periods = [
            OpeningPeriod(weekday=weekday, start_time=clock_time(8), end_time=clock_time(20), staffed=True)
            for weekday in range(1, 7)
        ]
        people = [
            User(email=f"person{i}@example.org", name=f"Person {i}", password_hash=None) for i in range(50)
        ]
        staff = User(email="staff@example.org", name="Staff", password_hash=None, role=Role.STAFF)
        session.add_all([location, staff, *people])
        await session.flush()
        factors, kinds = list(Factor), list(ResourceKind)
        units: list[Unit] = []
        for number in range(RESOURCES):
            resource = Resource(
                slug=f"resource-{number:03d}",
                name=f"Resource {number:03d}",
                kind=kinds[number % len(kinds)],
                factor=factors[number % len(factors)],
                location_id=location.id,
            )
            unit = Unit(label=f"R{number:03d}-1", resource=resource)
            session.add_all([resource, unit])
            units.append(unit)
        await session.flush()
        start = datetime.combine(DAY, clock_time(8), tzinfo=ZONE).astimezone(UTC)
        for index, unit in enumerate(units):
            for slot in range(PER_UNIT):
                begins = start + timedelta(minutes=60 * slot + 15 * (index % 3))
                ends = begins + timedelta(minutes=45)
                session.add(
                    Booking(
                        unit_id=unit.id,
                        resource_id=unit.resource_id,
                        user_id=people[(index + slot) % len(people)].id,
                        start_at=begins,
                        end_at=ends,
                        occupied_start=begins,
                        occupied_end=ends,
                        status=STATUSES[(index + slot) % len(STATUSES)],
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
            if index % 10 == 0:
                session.add(
                    UnitBlock(
                        unit_id=unit.id,
                        start_at=start + timedelta(hours=11),
                        end_at=start + timedelta(hours=12),
                        reason="Wartung",
                        created_at=NOW,
                    )
                )
        session_id, _ = await start_session_within(session, staff, NOW, timedelta(days=1))
    return session_id


async def measure(engine: str, *, calls: int, warmup: int) -> dict[str, Any]:
    url = normalise_database_url(default_url(engine, RESOURCES, RESOURCES * PER_UNIT, name="bench_desk_grid"))
    reset_database(url)
    await asyncio.to_thread(upgrade, url)
    settings = Settings(
        database_url=url, secret_key=secrets.token_urlsafe(32), var_dir=DATA_DIR, run_scheduler=False
    )
    app = create_app(settings, SettableClock(NOW))
    statements = 0

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        nonlocal statements
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements += 1

    durations: list[float] = []
    per_page: set[int] = set()
    async with AsyncTestClient(app=app) as client:
        session_id = await build(app.state.db)
        client.cookies.set(SESSION_COOKIE, session_id)
        event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", count)
        size = 0
        for number in range(warmup + calls):
            statements = 0
            started = time.perf_counter()
            response = await client.get(f"/staff/desk?location=bench&date={DAY.isoformat()}")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{engine}: status {response.status_code}: {response.text[:500]}")
            if number >= warmup:
                durations.append(elapsed)
                per_page.add(statements)
                size = len(response.content)
        event.remove(app.state.db.engine.sync_engine, "before_cursor_execute", count)
    durations.sort()
    return {
        "engine": engine,
        "median": statistics.median(durations),
        "p95": durations[max(0, int(len(durations) * 0.95) - 1)],
        "statements": sorted(per_page),
        "kib": size / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    options = parser.parse_args(argv)
    logging.disable(logging.INFO)
    print(f"Day grid: {RESOURCES} resources (one unit each), {RESOURCES * PER_UNIT} bookings on {DAY}\n")
    print("| engine | median ms | p95 ms | SQL statements per page (grid + session) | page KiB | target |")
    print("|---|---:|---:|---:|---:|---|")
    for engine in options.engines:
        result = asyncio.run(measure(engine, calls=options.calls, warmup=options.warmup))
        met = result["median"] < TARGET_MS
        print(
            f"| {engine} | {result['median']:.1f} | {result['p95']:.1f} | "
            f"{', '.join(str(s) for s in result['statements'])} | {result['kib']:.0f} | "
            f"{'met' if met else 'missed'} (< {TARGET_MS:.0f} ms) |"
        )


if __name__ == "__main__":
    main()
