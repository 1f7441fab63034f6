"""Where the time of one answer goes: cProfile over many calls of one path, in-process.

Uses a synthetic library of bench/availability.py (built if missing) and its two cases, the
one-resource availability and the day overview, called through the whole app as there:

    .venv/bin/python -m bench.profile_paths --engine sqlite --case day --calls 100
    .venv/bin/python -m bench.profile_paths --engine postgresql --case availability --sort tottime

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

import httpx

from bench.availability import cases_for, settings_for
from bench.synthetic import default_url, ensure_built
from library.app import create_app
from library.clock import SettableClock

CASE_INDEX = {"availability": 0, "day": 1}


async def profile(
    url: str, resources: int, bookings: int, case: str, calls: int, sort: str, top: int
) -> None:
    info, _ = ensure_built(url, resources, bookings)
    path = cases_for(info.anchor)[CASE_INDEX[case]][1]
    app = create_app(settings_for(info), SettableClock(info.anchor))
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # in this thread: cProfile sees it
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(10):
            assert (await client.get(path)).status_code == 200
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.enable()
        for _ in range(calls):
            await client.get(path)
        profiler.disable()
        elapsed = time.perf_counter() - began
    print(f"{case} on {url}: {elapsed / calls * 1000:.2f} ms per call under the profiler")
    pstats.Stats(profiler).sort_stats(sort).print_stats(top)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile one read path in-process.")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--case", choices=sorted(CASE_INDEX), default="day")
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    url = default_url(args.engine, args.resources, args.bookings)
    asyncio.run(profile(url, args.resources, args.bookings, args.case, args.calls, args.sort, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
