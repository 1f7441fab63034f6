"""How availability and the day overview cost grows with the catalogue and the booking history.

For each engine (SQLite file, PostgreSQL) x resources (200, 1000) x bookings (10,000 and
1,000,000) the script builds a synthetic library (bench/synthetic.py; built databases are kept
under var/bench and in PostgreSQL databases named bench_r<resources>_b<bookings>, and reused
until --rebuild), then calls through the whole application in-process (Litestar's
AsyncTestClient on create_app, so routing, the controller, the queries, the pure availability
functions and the JSON encoding are all measured):

  (a) GET /api/v1/resources/<a workspace with 5 units>/availability for 7 days
  (b) GET /api/v1/locations/bench/day for one day, every resource

each `--calls` times after `--warmup` calls, with the clock set to the library's anchor
instant ("now" of the synthetic data), the day after it as the first day asked for. The
libraries of one engine and catalogue size run side by side and their calls alternate, so
that drift in the machine's speed does not bias the growth ratio. It prints
median and p95 milliseconds, the SQL statements per call (counted with a before_cursor_execute
listener on the app's engine; SQLite's BEGIN is not counted as a query) and the time spent in
the database driver, then how the medians grow from 10,000 to 1,000,000 bookings.

    .venv/bin/python -m bench.availability
    .venv/bin/python -m bench.availability --engines sqlite --resources 200 --bookings 10000 --calls 20
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event

from bench.synthetic import (
    DATA_DIR,
    DEFAULT_SEED,
    LOCATION_SLUG,
    ZONE,
    BuildInfo,
    default_url,
    ensure_built,
    library_revision,
)
from library.app import create_app
from library.clock import SettableClock
from library.config import Settings, normalise_database_url

AVAILABILITY_RESOURCE = "workspace-0005"  # the first workspace: five units
TARGET_DAY_QUERIES = 5
TARGET_GROWTH = 1.5


class StatementCounter:
    """Counts the SQL statements an engine sends and the time the driver takes for them."""

    def __init__(self) -> None:
        self.statements = 0
        self.seconds = 0.0
        self._started = 0.0

    def reset(self) -> None:
        self.statements = 0
        self.seconds = 0.0

    def before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            self.statements += 1
        self._started = time.perf_counter()

    def after(self, *_args: Any) -> None:
        self.seconds += time.perf_counter() - self._started


@dataclass(frozen=True)
class Measurement:
    engine: str
    resources: int
    bookings: int
    case: str
    median_ms: float
    p95_ms: float
    queries: int
    sql_ms: float
    response_kb: float


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def first_open_day_after(moment: datetime) -> date:
    day = moment.astimezone(ZONE).date() + timedelta(days=1)
    return day + timedelta(days=1) if day.isoweekday() == 7 else day


CASES = ("availability 1 resource x 7 days", "day overview, all resources")


def cases_for(anchor: datetime) -> list[tuple[str, str]]:
    day = first_open_day_after(anchor)
    last = day + timedelta(days=6)
    return list(
        zip(
            CASES,
            (
                f"/api/v1/resources/{AVAILABILITY_RESOURCE}/availability?from={day}&to={last}",
                f"/api/v1/locations/{LOCATION_SLUG}/day?date={day}",
            ),
            strict=True,
        )
    )


def settings_for(info: BuildInfo) -> Settings:
    return Settings(
        database_url=normalise_database_url(info.url),
        secret_key=secrets.token_urlsafe(32),
        var_dir=DATA_DIR,
        run_scheduler=False,
    )


@dataclass
class Subject:
    """One running app on one synthetic database, with the statement counter on its engine."""

    info: BuildInfo
    client: AsyncTestClient[Litestar]
    counter: StatementCounter
    paths: list[str]
    durations: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    sql_seconds: list[float] = field(default_factory=list)
    size: int = 0

    async def call(self, path: str) -> None:
        self.counter.reset()
        began = time.perf_counter()
        response = await self.client.get(path)
        elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
        self.durations.append(elapsed)
        self.statements.append(self.counter.statements)
        self.sql_seconds.append(self.counter.seconds)
        self.size = len(response.content)


async def measure_together(
    infos: Sequence[BuildInfo], engine: str, *, calls: int, warmup: int
) -> list[Measurement]:
    """Measure the libraries side by side: their calls alternate, so drift hits all alike."""
    results = []
    async with AsyncExitStack() as stack:
        subjects = []
        for info in infos:
            app: Litestar = create_app(settings_for(info), SettableClock(info.anchor))
            client = await stack.enter_async_context(AsyncTestClient(app=app))
            counter = StatementCounter()
            sync_engine = app.state.db.engine.sync_engine
            event.listen(sync_engine, "before_cursor_execute", counter.before)
            event.listen(sync_engine, "after_cursor_execute", counter.after)
            subjects.append(Subject(info, client, counter, [path for _, path in cases_for(info.anchor)]))
        for index, case in enumerate(CASES):
            for subject in subjects:
                subject.durations, subject.statements, subject.sql_seconds = [], [], []
            for _ in range(warmup):
                for subject in subjects:
                    await subject.call(subject.paths[index])
            for subject in subjects:
                subject.durations, subject.statements, subject.sql_seconds = [], [], []
            gc.collect()
            for _ in range(calls):
                for subject in subjects:
                    await subject.call(subject.paths[index])
            for subject in subjects:
                results.append(
                    Measurement(
                        engine=engine,
                        resources=subject.info.resources,
                        bookings=subject.info.bookings,
                        case=case,
                        median_ms=statistics.median(subject.durations) * 1000,
                        p95_ms=percentile(subject.durations, 0.95) * 1000,
                        queries=max(subject.statements),
                        sql_ms=statistics.median(subject.sql_seconds) * 1000,
                        response_kb=subject.size / 1024,
                    )
                )
    return results


def print_results(results: Sequence[Measurement]) -> None:
    print()
    print("| engine | resources | bookings | call | median ms | p95 ms | SQL queries | SQL ms | response |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for m in results:
        print(
            f"| {m.engine} | {m.resources:,} | {m.bookings:,} | {m.case} | {m.median_ms:.1f} | "
            f"{m.p95_ms:.1f} | {m.queries} | {m.sql_ms:.1f} | {m.response_kb:.0f} KiB |"
        )


def print_growth(results: Sequence[Measurement]) -> None:
    by_key = {(m.engine, m.resources, m.case, m.bookings): m for m in results}
    sizes = sorted({m.bookings for m in results})
    if len(sizes) < 2:
        return
    small, large = sizes[0], sizes[-1]
    print()
    print(f"Growth from {small:,} to {large:,} bookings (ratio of medians; target for availability: <= 1.5)")
    print()
    print(f"| engine | resources | call | median ms at {small:,} | at {large:,} | ratio | SQL ms ratio |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for engine, resources, case, bookings in by_key:
        if bookings != small or (engine, resources, case, large) not in by_key:
            continue
        low, high = by_key[(engine, resources, case, small)], by_key[(engine, resources, case, large)]
        sql_ratio = high.sql_ms / low.sql_ms if low.sql_ms else float("nan")
        print(
            f"| {engine} | {resources:,} | {case} | {low.median_ms:.1f} | {high.median_ms:.1f} | "
            f"{high.median_ms / low.median_ms:.2f}x | {sql_ratio:.2f}x |"
        )


def print_targets(results: Sequence[Measurement]) -> None:
    print()
    sizes = sorted({m.bookings for m in results})
    by_key = {(m.engine, m.resources, m.case, m.bookings): m for m in results}
    for (engine, resources, case, bookings), high in by_key.items():
        low = by_key.get((engine, resources, case, sizes[0]))
        if not case.startswith("availability") or bookings != sizes[-1] or low is None or low is high:
            continue
        ratio = high.median_ms / low.median_ms
        verdict = "met" if ratio <= TARGET_GROWTH else "NOT met"
        print(
            f"target: availability at {bookings:,} bookings <= {TARGET_GROWTH}x its cost at {sizes[0]:,} "
            f"({engine}, {resources:,} resources): {ratio:.2f}x, {verdict}"
        )
    for m in results:
        if m.case.startswith("day overview") and m.resources == max(r.resources for r in results):
            verdict = "met" if m.queries <= TARGET_DAY_QUERIES else "NOT met"
            print(
                f"target: day overview of {m.resources:,} resources in <= {TARGET_DAY_QUERIES} queries "
                f"({m.engine}, {m.bookings:,} bookings): {m.queries} queries, {verdict}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Availability and day overview under growing data.")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--resources", default="200,1000")
    parser.add_argument("--bookings", default="10000,1000000")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # no line per request
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(f"library at {library_revision()}; {os.cpu_count()} CPUs; calls {args.calls} after {args.warmup}")
    began = time.perf_counter()
    results: list[Measurement] = []
    for engine in args.engines.split(","):
        for resources in (int(n) for n in args.resources.split(",")):
            infos = []
            for bookings in (int(n) for n in args.bookings.split(",")):
                url = default_url(engine, resources, bookings)
                info, built = ensure_built(url, resources, bookings, seed=args.seed, rebuild=args.rebuild)
                if not built:
                    print(
                        f"reusing {engine} r={resources} b={info.bookings:,}, built in {info.build_seconds} s"
                    )
                infos.append(info)
            measured_from = time.perf_counter()
            found = asyncio.run(measure_together(infos, engine, calls=args.calls, warmup=args.warmup))
            results.extend(found)
            print(
                f"  measured {engine} r={resources} in {time.perf_counter() - measured_from:.1f} s",
                flush=True,
            )
    print_results(results)
    print_growth(results)
    print_targets(results)
    print(f"\ntotal time {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
