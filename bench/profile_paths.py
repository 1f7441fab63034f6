"""Where the time of one answer goes: cProfile over many calls of one path, in-process.

The read cases use a synthetic library of bench/availability.py (built if missing) and its two
calls, the one-resource availability and the day overview. The booking case builds a fresh
library `bench_profile_booking` as bench/booking_http.py does (its planner finds free slots
within every quota), posts the bookings with bearer tokens and drops it afterwards. All calls
go through the whole app in this thread (routing, authentication, the handler, encoding):

    .venv/bin/python -m bench.profile_paths --engine sqlite --case day --calls 100
    .venv/bin/python -m bench.profile_paths --engine postgresql --case booking --sort tottime

It prints the time per call and the top of the profile (cumulative time by default).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from litestar import Litestar

from bench.availability import cases_for, settings_for
from bench.booking_http import issue_tokens, plan_bookings
from bench.synthetic import build, default_url, drop_database, ensure_built
from library.app import create_app
from library.clock import Clock, SettableClock, SystemClock

WARMUP = 10
Call = tuple[str, dict[str, Any] | None, dict[str, str]]
"""A path, a JSON body to post (None: a GET) and headers."""


async def profile_calls(
    app: Litestar, calls: Sequence[Call], expect: int, *, profiled: bool = True, cpu_timer: bool = False
) -> tuple[cProfile.Profile, float, float]:
    """Make the calls after the first WARMUP ones under the profiler (unless not `profiled`):
    the profile, the seconds and the CPU seconds of this process (client and app)."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # in this thread: cProfile sees it
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def call(path: str, body: dict[str, Any] | None, headers: dict[str, str]) -> None:
            if body is None:
                response = await client.get(path, headers=headers)
            else:
                response = await client.post(path, json=body, headers=headers)
            if response.status_code != expect:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")

        for path, body, headers in calls[:WARMUP]:
            await call(path, body, headers)
        # Wall time counts waiting (for the database, for aiosqlite's thread); CPU time shows
        # what the process itself spends, steadier on a busy machine.
        profiler = cProfile.Profile(time.process_time) if cpu_timer else cProfile.Profile()
        began, cpu = time.perf_counter(), time.process_time()
        if profiled:
            profiler.enable()
        for path, body, headers in calls[WARMUP:]:
            await call(path, body, headers)
        profiler.disable()
    return profiler, time.perf_counter() - began, time.process_time() - cpu


def read_case(
    engine: str, case: str, resources: int, bookings: int, calls: int
) -> tuple[Litestar, list[Call]]:
    info, _ = ensure_built(default_url(engine, resources, bookings), resources, bookings)
    path = dict(zip(("availability", "day"), (p for _, p in cases_for(info.anchor)), strict=True))[case]
    clock: Clock = SettableClock(info.anchor)
    return create_app(settings_for(info), clock), [(path, None, {})] * (WARMUP + calls)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile one path in-process.")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--case", choices=("availability", "day", "booking"), default="day")
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--bookings", type=int, help="default 1,000,000 (100,000 for the booking case)")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--no-profile", action="store_true", help="only the time and CPU per call")
    parser.add_argument("--cpu-timer", action="store_true", help="profile CPU time instead of wall time")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    url = None
    if args.case == "booking":
        url = default_url(args.engine, args.resources, 0, name="bench_profile_booking")
        info = build(url, args.resources, args.bookings or 100_000)
        now = datetime.now(UTC)
        tokens = asyncio.run(issue_tokens(url, now))
        planned = plan_bookings(url, WARMUP + args.calls, tokens, now, 1)
        app = create_app(settings_for(info), SystemClock())
        calls: list[Call] = [(c.path, c.body, c.headers) for c in planned]
        expect = 201
    else:
        app, calls = read_case(args.engine, args.case, args.resources, args.bookings or 1_000_000, args.calls)
        expect = 200
    try:
        profiler, seconds, cpu = asyncio.run(
            profile_calls(app, calls, expect, profiled=not args.no_profile, cpu_timer=args.cpu_timer)
        )
    finally:
        if url is not None:
            drop_database(url)
    under = "" if args.no_profile else " under the profiler"
    print(
        f"{args.case} on {args.engine}: {seconds / args.calls * 1000:.2f} ms and "
        f"{cpu / args.calls * 1000:.2f} ms CPU (client and app) per call{under}"
    )
    if not args.no_profile:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
