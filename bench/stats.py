"""How long the statistics take on a large library (issue: a year's figures under 500 ms).

Builds (or reuses) the synthetic library of bench/synthetic.py on PostgreSQL with 1,000
resources and 1,000,000 bookings over two years, in its own database `bench_stats_r1000_b1000000`,
then measures, each `--calls` times after one warm-up call:

  (a) a year's utilisation by factor      (library.stats.queries.utilisation)
  (b) a year's weekday-by-hour heatmap     (library.stats.queries.heatmap)
  (b2) the trend by month and by week       (library.stats.trends.trend: twelve months or 52
      weeks to the year's last day, each beside the same days a year earlier: two years)
  (c) GET /staff/stats/report?month=…      (the whole monthly report page, in-process through
      Litestar's AsyncTestClient, signed in as a staff account the script adds)

and prints median and p95 milliseconds as a Markdown table. The year is the twelve months
before the data's anchor instant. Before measuring it brings what the scheduler keeps up to the
anchor: the daily roll-up, and retention (people forgotten after 90 days, their days counted from
retention's monthly markers), as a library that has been running would have them.

    .venv/bin/python -m bench.stats
    .venv/bin/python -m bench.stats --calls 5 --rebuild
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from datetime import time as wall_time

from litestar.testing import AsyncTestClient
from sqlalchemy import create_engine, insert, select

from bench.synthetic import DATA_DIR, ZONE, default_url, ensure_built, sync_url
from library.accounts.models import Role, User
from library.accounts.passwords import hash_password, use_password_hashing
from library.app import create_app
from library.clock import SettableClock
from library.config import Settings, normalise_database_url
from library.db import Database
from library.privacy import anonymise_expired
from library.stats import queries, trends
from library.stats.rollup import roll_up

RESOURCES, BOOKINGS = 1000, 1_000_000
RETENTION_DAYS = 90
NAME = f"bench_stats_r{RESOURCES}_b{BOOKINGS}"
STAFF_EMAIL, STAFF_PASSWORD = "bench-staff@example.org", "Bench-Statistik-2026"
BUDGET_MS = {
    "utilisation by factor, one year": 500,
    "heatmap, one year": 500,
    "trend by month, a year beside the year before": 500,
    "trend by week, a year beside the year before": 500,
    "monthly report page": 1000,
}


def add_staff(url: str) -> None:
    """One staff account to sign in with (idempotent)."""
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        if conn.execute(select(User.id).where(User.email == STAFF_EMAIL)).first() is None:
            conn.execute(
                insert(User).values(
                    email=STAFF_EMAIL,
                    name="Bench Staff",
                    role=Role.STAFF,
                    password_hash=hash_password(STAFF_PASSWORD),
                    language="de",
                    is_active=True,
                )
            )
    engine.dispose()


async def bring_retention(url: str, now: datetime) -> tuple[int, float]:
    """What the scheduler does every day: people forgotten after the retention period (90 days), so
    that the older days' unique people come from retention's monthly markers, as in production."""
    db = Database(url, pool_size=2)
    start = time.perf_counter()
    async with db.write() as session:
        done = await anonymise_expired(session, now, RETENTION_DAYS)
    await db.dispose()
    return done.total, time.perf_counter() - start


async def bring_roll_up(url: str, now: datetime) -> tuple[int, float]:
    """What the scheduler keeps: the daily roll-up up to the closed edge (the first time, all days)."""
    db = Database(url, pool_size=2)
    start = time.perf_counter()
    async with db.write() as session:
        counted = await roll_up(session, now)
    await db.dispose()
    return counted, time.perf_counter() - start


async def timed(call: Callable[[], Awaitable[object]], calls: int) -> list[float]:
    await call()  # warm-up: catalogue caches, prepared statements, the templates
    results = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        results.append((time.perf_counter() - start) * 1000)
    return results


async def measure(url: str, anchor_day: date, calls: int) -> dict[str, list[float]]:
    last = anchor_day.replace(day=1) - timedelta(days=1)
    first = last.replace(year=last.year - 1) + timedelta(days=1)
    month = last.replace(day=1)
    db = Database(url, pool_size=2)

    async def utilisation() -> object:
        async with db.read() as session:
            return await queries.utilisation(session, first, last, group_by="factor")

    async def heatmap() -> object:
        async with db.read() as session:
            return await queries.heatmap(session, first, last)

    async def by_month() -> object:
        async with db.read() as session:
            return await trends.trend(session, last, "month")

    async def by_week() -> object:
        async with db.read() as session:
            return await trends.trend(session, last, "week")

    results = {
        "utilisation by factor, one year": await timed(utilisation, calls),
        "heatmap, one year": await timed(heatmap, calls),
        "trend by month, a year beside the year before": await timed(by_month, calls),
        "trend by week, a year beside the year before": await timed(by_week, calls),
    }
    await db.dispose()
    settings = Settings(
        database_url=normalise_database_url(url),
        secret_key=secrets.token_urlsafe(32),
        var_dir=DATA_DIR,
        run_scheduler=False,
        password_hashing="fast",  # noqa: S106 - the name of a hashing cost, not a password
    )
    clock = SettableClock(datetime.combine(anchor_day, wall_time(12), tzinfo=ZONE))
    async with AsyncTestClient(app=create_app(settings, clock)) as client:
        form = await client.get("/login")
        token = re.search(r'name="_csrf_token"\s+value="([^"]+)"', form.text)
        assert token is not None
        signed_in = await client.post(
            "/login",
            data={
                "email": STAFF_EMAIL,
                "password": STAFF_PASSWORD,
                "next": "/",
                "_csrf_token": token.group(1),
            },
            follow_redirects=False,
        )
        assert signed_in.status_code in (302, 303), signed_in.status_code

        async def report() -> object:
            answer = await client.get("/staff/stats/report", params={"month": month.strftime("%Y-%m")})
            assert answer.status_code == 200, answer.status_code
            return answer

        results["monthly report page"] = await timed(report, calls)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--database", default=NAME, help=f"the bench_* database to use (default {NAME})")
    args = parser.parse_args(argv)
    use_password_hashing("fast")
    url = default_url("postgresql", RESOURCES, BOOKINGS, name=args.database)
    info, built = ensure_built(url, RESOURCES, BOOKINGS, rebuild=args.rebuild)
    add_staff(url)
    anchor_day = info.anchor.astimezone(ZONE).date()
    rolled_days, rolled_seconds = asyncio.run(bring_roll_up(url, info.anchor))
    forgotten, forgetting_seconds = asyncio.run(bring_retention(url, info.anchor))
    print(
        f"{args.database}: {info.resources} resources, {info.bookings:,} bookings, {info.users} users"
        + (f", built in {info.build_seconds:.0f} s" if built else "")
        + f"; the year to {anchor_day.replace(day=1) - timedelta(days=1)}"
        + f"; daily roll-up: {rolled_days} days counted in {rolled_seconds:.1f} s"
        + f"; retention: {forgotten:,} rows forgotten in {forgetting_seconds:.1f} s"
    )
    results = asyncio.run(measure(url, anchor_day, args.calls))
    print("\n| what | median ms | p95 ms | budget ms |\n| --- | ---: | ---: | ---: |")
    within = True
    for name, values in results.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        median = statistics.median(values)
        within &= median < BUDGET_MS[name]
        print(f"| {name} | {median:.0f} | {p95:.0f} | {BUDGET_MS[name]} |")
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
