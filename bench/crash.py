"""kill -9 under load: the server dies in the middle of requests, starts again on the same
database, and nothing it answered is lost.

The visitors of bench/load.py sign in, then go their rounds for `--duration` seconds (default
40). At evenly spaced moments (`--kills`, default 1) the server gets SIGKILL and is started
again on the same port and database while the visitors carry on; their requests meanwhile get
no answer and are counted as such. Afterwards the database checks of bench/load.py run: no
overlapping bookings, no session over capacity, no lost notification, and every booking a
visitor saw accepted (201) there with the status it saw last. Exits non-zero when one fails.

    .venv/bin/python -m bench.crash --engine sqlite
    .venv/bin/python -m bench.crash --engine postgresql --kills 2

tests/system/test_crash.py runs the same, shorter, on both engines.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from types import TracebackType

from bench.booking_http import free_port
from bench.load import (
    ENGINES,
    Tally,
    check_database,
    fresh_library,
    library_server,
    options,
    print_checks,
    print_tally,
    run_rounds,
    signed_in_visitors,
)
from bench.synthetic import DATA_DIR, drop_database, library_revision

ServerStarter = Callable[[], AbstractContextManager[int]]
"""Starts `library serve` on a fixed address; the context yields its process id once it answers."""


class KillableServer:
    """A server that can be killed with SIGKILL and started again on the same address."""

    def __init__(self, start: ServerStarter) -> None:
        self.start = start
        self.running = ExitStack()
        self.pid = 0

    def __enter__(self) -> KillableServer:
        self.pid = self.running.enter_context(self.start())
        return self

    def kill_and_restart(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self.running.close()  # only collects the dead process
        self.pid = self.running.enter_context(self.start())

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.running.close()


async def load_through_kills(
    base_url: str,
    start_server: ServerStarter,
    *,
    visitors: int,
    seconds: float,
    kills: int,
    seed: int,
    think: float,
) -> tuple[Tally, list[float]]:
    """Visitors against a server killed `kills` times in their rounds; what they saw, and how many
    seconds each restart took until the server answered again."""
    tally = Tally()
    restarts: list[float] = []
    with KillableServer(start_server) as server:
        async with signed_in_visitors(base_url, count=visitors, seed=seed, think=think, tally=tally) as crowd:
            rounds = asyncio.ensure_future(run_rounds(crowd, seconds, tally))
            began = time.monotonic()
            for kill in range(1, kills + 1):
                await asyncio.sleep(began + seconds * kill / (kills + 1) - time.monotonic())
                killed = time.monotonic()
                await asyncio.to_thread(server.kill_and_restart)
                restarts.append(time.monotonic() - killed)
            await rounds
    return tally, restarts


def main(argv: Sequence[str] | None = None) -> int:
    parser = options("Visitors against `library serve` killed with SIGKILL, then database checks.", 40)
    parser.add_argument("--kills", type=int, default=1, help="times the server is killed")
    args = parser.parse_args(argv)
    engine, kills = ENGINES[args.engine], args.kills
    print(
        f"library at {library_revision()}; {os.cpu_count()} CPUs; {engine}; {args.visitors} visitors "
        f"for {args.duration:g} s; kill -9 {kills} times"
    )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    url = fresh_library(engine, "bench_crash")
    port = free_port()
    generation = itertools.count(1)
    try:
        tally, restarts = asyncio.run(
            load_through_kills(
                f"http://127.0.0.1:{port}",
                lambda: library_server(url, port, f"crash-{engine}-{next(generation)}.log"),
                visitors=args.visitors,
                seconds=args.duration,
                kills=kills,
                seed=args.seed,
                think=args.think,
            )
        )
        print_tally(engine, tally)
        downtimes = ", ".join(f"{seconds:.1f} s" for seconds in restarts)
        print(f"\n{engine}: after each kill the server answered again in {downtimes}")
        passed = print_checks(engine, url, tally, check_database(url, tally))
    finally:
        if not args.keep:
            drop_database(url)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
