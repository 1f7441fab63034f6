"""Booking creation over real HTTP, against a trivial one-row-insert endpoint on the same stack.

For each engine the script builds a fresh synthetic library (bench/synthetic.py: by default
1,000 resources with 2,500 units, 100,000 bookings and 300 users), gives every user an API
token (library.accounts.service.issue_token_within), and plans distinct free slots: one hour on the
hour in the next three weeks, inside the opening hours, on a resource with a free unit, never
two planned bookings overlapping on one resource, and within each person's quota. Then:

  1. the trivial app (bench/trivial_app.py: POST /hits inserts one row through the same
     `library.db.Database` engine setup), served by uvicorn in a subprocess with one worker;
  2. `library serve` (one worker, LIBRARY_SCHEDULER=off) in a subprocess on the same database,
     answering POST /api/v1/bookings with a bearer token;

each get `--warmup` requests, then `--requests` requests from `--concurrency` concurrent httpx
clients (throughput), then `--sequential` requests from one client alone (latency without
queueing). It prints requests per second, latency percentiles, the server's CPU time per
request (from /proc), the ratio of the two rates under concurrency (target: booking >= 40% of
the trivial endpoint), and checks afterwards that no two active bookings overlap on a unit.

    .venv/bin/python -m bench.booking_http
    .venv/bin/python -m bench.booking_http --engines sqlite --requests 500 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select

from bench.synthetic import (
    DATA_DIR,
    DEFAULT_SEED,
    PROJECT_ROOT,
    ZONE,
    build,
    default_url,
    drop_database,
    engine_name,
    library_revision,
    overlapping_bookings,
    sync_url,
)
from library.accounts.models import User
from library.accounts.service import issue_token_within
from library.booking.models import ACTIVE_STATUSES, Booking
from library.catalog.hours import local_instant
from library.catalog.models import Resource, Unit, UnitStatus
from library.catalog.policy import DEFAULT_POLICY
from library.config import normalise_database_url
from library.db import Database

TARGET_RATIO = 0.40
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
LIBRARY = [str(VENV_BIN / "python"), "-m", "library.cli"]
BOOKING_HOURS = range(8, 20)  # local start hours of the one-hour bookings (open 08:00-20:00)
PLAN_DAYS = range(1, 22)  # from tomorrow, three weeks: inside the 28-day horizon


@dataclass(frozen=True)
class Call:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Outcome:
    name: str
    concurrency: int
    requests: int
    seconds: float
    latencies: list[float]
    statuses: Counter[int]
    server_cpu_seconds: float | None
    client_cpu_seconds: float
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


# --- preparing the database --------------------------------------------------------------------


async def issue_tokens(url: str, now: datetime) -> dict[int, str]:
    """A one-day API token for every user, each made by issue_token_within in one write transaction."""
    db = Database(normalise_database_url(url), pool_size=1)
    tokens = {}
    try:
        async with db.write() as session:
            for user in (await session.scalars(select(User).order_by(User.id))).all():
                token, _ = await issue_token_within(session, user, now, timedelta(days=1))
                tokens[user.id] = token
    finally:
        await db.dispose()
    return tokens


def plan_bookings(url: str, count: int, tokens: Mapping[int, str], now: datetime, seed: int) -> list[Call]:
    """`count` booking requests for distinct slots that are free now and allowed for their user."""
    rng = random.Random(seed)
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            resources = conn.execute(
                select(Resource.id, Resource.slug).where(Resource.active.is_(True))
            ).all()
            units = dict(
                conn.execute(
                    select(Unit.resource_id, func.count())
                    .where(Unit.status == UnitStatus.AVAILABLE)
                    .group_by(Unit.resource_id)
                ).all()
            )
            taken: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
            for resource_id, start, end in conn.execute(
                select(Booking.resource_id, Booking.occupied_start, Booking.occupied_end).where(
                    Booking.status.in_(ACTIVE_STATUSES), Booking.occupied_end > now
                )
            ):
                taken[resource_id].append((start, end))
            active: Counter[tuple[int, int]] = Counter()
            for user_id, resource_id, upcoming in conn.execute(
                select(Booking.user_id, Booking.resource_id, func.count())
                .where(Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > now)
                .group_by(Booking.user_id, Booking.resource_id)
            ):
                if user_id is not None:
                    active[(user_id, resource_id)] = upcoming
    finally:
        engine.dispose()
    quota = DEFAULT_POLICY.max_active_bookings or count
    today = now.astimezone(ZONE).date()
    days = [today + timedelta(days=n) for n in PLAN_DAYS if (today + timedelta(days=n)).isoweekday() <= 6]
    planned: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    user_ids = list(tokens)
    calls: list[Call] = []
    attempts = 0
    while len(calls) < count:
        attempts += 1
        if attempts > count * 200:
            raise RuntimeError(f"found only {len(calls)} free slots for {count} requests")
        resource_id, slug = rng.choice(resources)
        start = local_instant(rng.choice(days), wall_time(rng.choice(BOOKING_HOURS)), ZONE)
        end = start + timedelta(hours=1)
        if any(s < end and start < e for s, e in planned[resource_id]):
            continue
        if sum(1 for s, e in taken[resource_id] if s < end and start < e) >= units.get(resource_id, 0):
            continue
        user_id = rng.choice(user_ids)
        if active[(user_id, resource_id)] >= quota:
            continue
        active[(user_id, resource_id)] += 1
        planned[resource_id].append((start, end))
        calls.append(
            Call(
                "/api/v1/bookings",
                {
                    "resource": slug,
                    "start": start.astimezone(ZONE).isoformat(),
                    "end": end.astimezone(ZONE).isoformat(),
                },
                {"authorization": f"Bearer {tokens[user_id]}"},
            )
        )
    return calls


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process (Linux /proc), or None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(command: Sequence[str], env: Mapping[str, str], port: int, log: Path) -> Iterator[int]:
    """Run a server subprocess until the block ends; yields its pid once it answers HTTP."""
    with log.open("w") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own fixed command lines
            list(command),
            env={**os.environ, **env},
            cwd=PROJECT_ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited with {process.returncode}; see {log}")
                try:
                    httpx.get(f"http://127.0.0.1:{port}/bench-ready-probe", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{command[0]} did not answer in 60 s; see {log}") from None
                    time.sleep(0.2)
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def fire(
    base_url: str, calls: Sequence[Call], concurrency: int
) -> tuple[float, list[float], Counter[int], list[str]]:
    """Send the calls from `concurrency` clients sharing one connection pool; wall time, latencies."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    pending = iter(calls)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as client:

        async def worker() -> None:
            for call in pending:
                began = time.perf_counter()
                response = await client.post(call.path, json=call.body, headers=call.headers)
                latencies.append(time.perf_counter() - began)
                statuses[response.status_code] += 1
                if response.status_code >= 300 and len(errors) < 5:
                    errors.append(f"{response.status_code} {response.text[:300]}")

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - began
    return seconds, latencies, statuses, errors


def measure(
    name: str, base_url: str, pid: int, warmup: Sequence[Call], calls: Sequence[Call], concurrency: int
) -> Outcome:
    asyncio.run(fire(base_url, warmup, concurrency))
    cpu_before, client_before = cpu_seconds(pid), time.process_time()
    seconds, latencies, statuses, errors = asyncio.run(fire(base_url, calls, concurrency))
    cpu_after, client_after = cpu_seconds(pid), time.process_time()
    server_cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return Outcome(
        name,
        concurrency,
        len(calls),
        seconds,
        latencies,
        statuses,
        server_cpu,
        client_after - client_before,
        errors,
    )


def measure_phases(
    name: str, base_url: str, pid: int, calls: Sequence[Call], args: argparse.Namespace
) -> list[Outcome]:
    """Warm up, then the concurrent run (throughput), then one client alone (latency)."""
    warmup, rest = calls[: args.warmup], calls[args.warmup :]
    concurrent, alone = rest[: args.requests], rest[args.requests : args.requests + args.sequential]
    outcomes = [measure(name, base_url, pid, warmup, concurrent, args.concurrency)]
    if alone:
        outcomes.append(measure(name, base_url, pid, [], alone, 1))
    return outcomes


# --- the run -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def run_engine(engine: str, args: argparse.Namespace) -> list[Outcome]:
    url = default_url(engine, args.resources, args.bookings, name=args.database)
    info = build(url, args.resources, args.bookings, args.seed, users=args.users)
    now = datetime.now(UTC)
    tokens = asyncio.run(issue_tokens(url, now))
    total = args.warmup + args.requests + args.sequential
    bookings = plan_bookings(url, total, tokens, now, args.seed)
    print(
        f"{engine}: {info.resources:,} resources, {info.bookings:,} bookings, {len(tokens)} users with tokens"
    )
    env = {
        "LIBRARY_DATABASE_URL": normalise_database_url(url),
        "LIBRARY_SECRET_KEY": secrets.token_urlsafe(32),
        "LIBRARY_SCHEDULER": "off",
        "LIBRARY_VAR_DIR": str(DATA_DIR),
    }
    outcomes = []
    port = free_port()
    trivial_calls = [Call("/hits", {"note": f"hit {n}"}, {}) for n in range(total)]
    uvicorn = [str(VENV_BIN / "python"), "-m", "uvicorn", "--factory", "bench.trivial_app:create_app"]
    with server(
        [
            *uvicorn,
            "--app-dir",
            str(PROJECT_ROOT),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env,
        port,
        DATA_DIR / f"trivial-{engine}.log",
    ) as pid:
        outcomes.extend(
            measure_phases(
                "trivial insert (POST /hits)", f"http://127.0.0.1:{port}", pid, trivial_calls, args
            )
        )
    port = free_port()
    with server(
        # `-m` from the project root: this checkout's code, also from a second worktree of it (the
        # `library` script imports the package installed in .venv, the checkout it was made from).
        [*LIBRARY, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env,
        port,
        DATA_DIR / f"serve-{engine}.log",
    ) as pid:
        outcomes.extend(
            measure_phases("booking (POST /api/v1/bookings)", f"http://127.0.0.1:{port}", pid, bookings, args)
        )
    check = create_engine(sync_url(url))
    try:
        with check.connect() as conn:
            overlaps = overlapping_bookings(conn)
    finally:
        check.dispose()
    print(f"{engine}: overlapping active bookings after the run: {overlaps}")
    if not args.keep:
        drop_database(url)
    return outcomes


def print_table(results: Sequence[tuple[str, Outcome]]) -> None:
    print()
    print(
        "| engine | endpoint | requests | concurrency | 2xx | other | req/s | p50 ms | p95 ms | p99 ms "
        "| server CPU ms/req | client CPU ms/req |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for engine, o in results:
        ok = sum(n for status, n in o.statuses.items() if 200 <= status < 300)
        other = ", ".join(
            f"{n}x{status}" for status, n in sorted(o.statuses.items()) if not 200 <= status < 300
        )
        server_cpu = (
            f"{o.server_cpu_seconds / o.requests * 1000:.2f}" if o.server_cpu_seconds is not None else "n/a"
        )
        print(
            f"| {engine} | {o.name} | {o.requests:,} | {o.concurrency} | {ok:,} | {other or 0} "
            f"| {o.rate:,.0f} | "
            f"{statistics.median(o.latencies) * 1000:.1f} | {percentile(o.latencies, 0.95) * 1000:.1f} | "
            f"{percentile(o.latencies, 0.99) * 1000:.1f} | {server_cpu} | "
            f"{o.client_cpu_seconds / o.requests * 1000:.2f} |"
        )
    print()
    for engine in dict.fromkeys(engine for engine, _ in results):
        most = max(o.concurrency for e, o in results if e == engine)
        trivial, booking = (o for e, o in results if e == engine and o.concurrency == most)
        ratio = booking.rate / trivial.rate
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(
            f"target ({engine}): booking rate >= {TARGET_RATIO:.0%} of the trivial endpoint's: "
            f"{booking.rate:,.0f} / {trivial.rate:,.0f} req/s = {ratio:.0%}, {verdict}"
        )
        for o in (trivial, booking):
            for error in o.errors:
                print(f"  {o.name} answered {error}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Booking creation over HTTP against a trivial insert.")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--sequential", type=int, default=200, help="requests from one client alone afterwards, for latency"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--database", default="bench_booking_http", help="the database's name (dropped and made anew)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(
        f"library at {library_revision()}; {os.cpu_count()} CPUs; {args.requests} requests after "
        f"{args.warmup}, {args.concurrency} concurrent clients; servers with 1 worker"
    )
    began = time.perf_counter()
    results: list[tuple[str, Outcome]] = []
    for engine in args.engines.split(","):
        if engine_name(default_url(engine, 1, 1)) != engine:
            raise SystemExit(f"unknown engine {engine}")
        results.extend((engine, outcome) for outcome in run_engine(engine, args))
    print_table(results)
    print(f"\ntotal time {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
