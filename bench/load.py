"""Visitors under load: a hundred people using the service at once for two minutes.

A fresh database gets the Ulm catalogue (`library db upgrade`, then `library seed`), and
`library serve` runs on it in its own process. `--visitors` simulated visitors use the JSON
API over HTTP. Each registers an account and gets a token (a phase of its own, timed apart:
argon2 makes these the costliest requests), then for `--duration` seconds goes rounds: looks
through the catalogue, one resource and its free times, books a random free slot from
tomorrow on, sometimes lists and cancels one of its bookings, signs up for an open workshop
session and sometimes cancels a registration.

The script prints requests per second of the rounds, latency percentiles and the answers per
kind of request (every 5xx is a failure), then checks the database itself (`check_database`):

- no two active bookings of one unit overlap (a self-join on the occupied spans);
- no workshop session holds more people than its capacity, and no first-come session has a
  free place while someone waits;
- no lost notification: every change the code announces (a visitor's new booking; a new or
  promoted workshop registration, each audited) has exactly one outbox message;
- every booking the visitors saw accepted (201) is there, with the status they saw last.

It exits non-zero when a check fails or any answer was a 5xx.

    .venv/bin/python -m bench.load --engine sqlite
    .venv/bin/python -m bench.load --engine postgresql --duration 120 --visitors 100

bench/crash.py runs the same visitors while it kills the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, create_engine, func, select

from bench.booking_http import VENV_BIN, free_port, percentile, server
from bench.synthetic import (
    DATA_DIR,
    PROJECT_ROOT,
    ZONE,
    default_url,
    drop_database,
    library_revision,
    reset_database,
    sync_url,
)
from library.audit.models import AuditEntry
from library.booking.models import ACTIVE_STATUS_SQL, Booking, BookingStatus
from library.config import normalise_database_url
from library.outbox.models import OutboxMessage
from library.workshops.models import (
    HOLDING_STATUSES,
    Registration,
    RegistrationStatus,
    SignupMode,
    WorkshopSession,
)

PASSWORD = "Ulmer-Spatz-unter-Last-2026"  # noqa: S105 - of made-up test accounts
BIRTH_DATE = "1990-05-17"  # an adult: no workshop or device is refused for age
BOOKING_DAYS = 7  # from tomorrow on: no booking starts during a run, so no job changes its status
CANCEL_BOOKING, SIGN_UP, CANCEL_REGISTRATION = 0.3, 0.3, 0.3  # chances per round of a visitor
RETRY_PAUSE = 0.5  # seconds a visitor waits after a request got no answer (the server is down)
REQUEST_TIMEOUT = 60.0
SIGN_IN_LIMIT = 600.0  # seconds for all visitors to register and get their tokens
SIGN_IN_KINDS = ("register", "token")
ENGINES = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql"}


# --- what the visitors saw ---------------------------------------------------------------------


@dataclass
class Tally:
    """Answers, latencies and accepted bookings, by kind of request, over all visitors."""

    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    answers: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    unanswered: Counter[str] = field(default_factory=Counter)
    unanswered_why: Counter[str] = field(default_factory=Counter)
    """The httpx errors of the requests without an answer, by name."""
    server_errors: list[str] = field(default_factory=list)
    bookings: dict[int, str] = field(default_factory=dict)
    """Every booking answered with 201, and the status the visitor saw last."""
    unsure: set[int] = field(default_factory=set)
    """Bookings whose cancellation got no answer: either status is right."""
    sign_in_seconds: float = 0.0
    seconds: float = 0.0
    """How long the rounds took, after everybody had signed in."""

    @property
    def round_requests(self) -> int:
        """Answers to requests of the rounds (not registering or signing in)."""
        return sum(sum(self.answers[kind].values()) for kind in self.answers if kind not in SIGN_IN_KINDS)

    @property
    def server_error_count(self) -> int:
        return sum(n for answers in self.answers.values() for label, n in answers.items() if label[0] == "5")


def answer_label(response: httpx.Response) -> str:
    """The status, with the problem's code for a refusal: `201`, `409 slot_taken`."""
    if response.status_code < 400:
        return str(response.status_code)
    try:
        code = response.json().get("code", "")
    except ValueError:
        code = ""
    return f"{response.status_code} {code}".strip()


def answered(response: httpx.Response | None, status: int) -> Any:
    """The answer's JSON when it has this status, else None."""
    return response.json() if response is not None and response.status_code == status else None


# --- one visitor -------------------------------------------------------------------------------


@dataclass
class Visitor:
    email: str
    client: httpx.AsyncClient
    tally: Tally
    rng: random.Random
    think: float
    headers: dict[str, str] = field(default_factory=dict)
    bookings: list[int] = field(default_factory=list)
    registrations: list[int] = field(default_factory=list)

    async def call(self, kind: str, method: str, path: str, **request: Any) -> httpx.Response | None:
        """One request; None when it got no answer (the server was down or died meanwhile)."""
        began = time.perf_counter()
        try:
            response = await self.client.request(method, path, headers=self.headers, **request)
        except httpx.TransportError as error:
            self.tally.unanswered[kind] += 1
            self.tally.unanswered_why[type(error).__name__] += 1
            await asyncio.sleep(RETRY_PAUSE)
            return None
        self.tally.latencies[kind].append(time.perf_counter() - began)
        self.tally.answers[kind][answer_label(response)] += 1
        if response.status_code >= 500 and len(self.tally.server_errors) < 10:
            self.tally.server_errors.append(f"{kind} {method} {path}: {response.text[:500]}")
        return response

    async def rounds(self, until: float) -> None:
        while time.monotonic() < until:
            await self.book_something()
            if self.bookings and self.rng.random() < CANCEL_BOOKING:
                await self.cancel_a_booking()
            if self.rng.random() < SIGN_UP:
                await self.sign_up()
            if self.registrations and self.rng.random() < CANCEL_REGISTRATION:
                await self.cancel_a_registration()
            await asyncio.sleep(self.rng.uniform(0, self.think))

    async def sign_in(self, until: float) -> None:
        """Register (an answer lost in a crash may have registered already: 409) and get a token."""
        account = {"email": self.email, "password": PASSWORD}
        while "authorization" not in self.headers and time.monotonic() < until:
            registered = await self.call(
                "register",
                "POST",
                "/api/v1/auth/register",
                json={**account, "name": "Lasttest", "birth_date": BIRTH_DATE},
            )
            if registered is None or registered.status_code not in (201, 409):
                continue
            token = answered(await self.call("token", "POST", "/api/v1/auth/tokens", json=account), 201)
            if token is not None:
                self.headers["authorization"] = f"Bearer {token['token']}"

    async def book_something(self) -> None:
        catalogue = answered(await self.call("resources", "GET", "/api/v1/resources?limit=100"), 200)
        if not catalogue:
            return
        slug = self.rng.choice(catalogue["items"])["slug"]
        resource = answered(await self.call("resource", "GET", f"/api/v1/resources/{slug}"), 200)
        if not resource:
            return
        tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
        free = answered(
            await self.call(
                "availability",
                "GET",
                f"/api/v1/resources/{slug}/availability",
                params={
                    "from": tomorrow.isoformat(),
                    "to": (tomorrow + timedelta(days=BOOKING_DAYS)).isoformat(),
                },
            ),
            200,
        )
        periods = [period for day in (free or {"days": []})["days"] for period in day["free"]]
        if not periods:
            return
        start, end = self.slot_in(self.rng.choice(periods), resource["policy"])
        if start >= end:
            return
        booking = answered(
            await self.call(
                "book",
                "POST",
                "/api/v1/bookings",
                json={"resource": slug, "start": start.isoformat(), "end": end.isoformat()},
            ),
            201,
        )
        if booking is not None:
            self.tally.bookings[booking["id"]] = booking["status"]
            self.bookings.append(booking["id"])

    def slot_in(self, period: Mapping[str, str], policy: Mapping[str, Any]) -> tuple[datetime, datetime]:
        """A random stretch of one or two minimum lengths on the slot grid inside a free period."""
        free_from, free_until = datetime.fromisoformat(period["start"]), datetime.fromisoformat(period["end"])
        step = timedelta(minutes=policy["slot_minutes"])
        length = max(step, timedelta(minutes=policy["min_minutes"])) * self.rng.choice((1, 2))
        if policy["max_minutes"]:
            length = min(length, timedelta(minutes=policy["max_minutes"]))
        positions = (free_until - free_from - length) // step + 1
        if positions < 1:
            return free_from, free_from
        start = free_from + step * self.rng.randrange(positions)
        return start, start + length

    async def cancel_a_booking(self) -> None:
        await self.call("my bookings", "GET", "/api/v1/bookings")
        booking_id = self.bookings.pop(self.rng.randrange(len(self.bookings)))
        self.tally.unsure.add(booking_id)
        cancelled = await self.call(
            "cancel booking", "POST", f"/api/v1/bookings/{booking_id}/cancel", json={}
        )
        if cancelled is None:
            return
        self.tally.unsure.discard(booking_id)
        if cancelled.status_code == 200:
            self.tally.bookings[booking_id] = cancelled.json()["status"]

    async def sign_up(self) -> None:
        workshops = answered(await self.call("workshops", "GET", "/api/v1/workshops?limit=100"), 200)
        sessions = [
            s for w in (workshops or {"items": []})["items"] for s in w["sessions"] if s["state"] == "open"
        ]
        if not sessions:
            return
        session_id = self.rng.choice(sessions)["id"]
        path = f"/api/v1/workshop-sessions/{session_id}/registrations"
        registration = answered(await self.call("sign up", "POST", path), 201)
        if registration is not None:
            self.registrations.append(registration["id"])

    async def cancel_a_registration(self) -> None:
        registration_id = self.registrations.pop(self.rng.randrange(len(self.registrations)))
        await self.call("cancel registration", "POST", f"/api/v1/registrations/{registration_id}/cancel")


@asynccontextmanager
async def signed_in_visitors(
    base_url: str, *, count: int, seed: int, think: float, tally: Tally
) -> AsyncIterator[list[Visitor]]:
    """`count` visitors sharing one connection pool, each registered and holding a token.

    Signing in is a phase of its own, timed apart: argon2 makes it the costliest request.
    """
    run = secrets.token_hex(3)  # a rerun on the same database registers new accounts
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT) as client:
        visitors = [
            Visitor(f"load-{run}-{n}@example.org", client, tally, random.Random(seed * 1000 + n), think)
            for n in range(count)
        ]
        began = time.monotonic()
        await asyncio.gather(*(visitor.sign_in(began + SIGN_IN_LIMIT) for visitor in visitors))
        tally.sign_in_seconds = time.monotonic() - began
        yield visitors


async def run_rounds(visitors: Sequence[Visitor], seconds: float, tally: Tally) -> None:
    began = time.monotonic()
    await asyncio.gather(*(visitor.rounds(began + seconds) for visitor in visitors))
    tally.seconds = time.monotonic() - began


async def run_visitors(base_url: str, *, visitors: int, seconds: float, seed: int, think: float) -> Tally:
    """`visitors` visitors sign in, then go their rounds for `seconds`; what they saw."""
    tally = Tally()
    async with signed_in_visitors(base_url, count=visitors, seed=seed, think=think, tally=tally) as crowd:
        await run_rounds(crowd, seconds, tally)
    return tally


# --- what the database holds -------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    problems: int


def overlapping_pairs(conn: Connection) -> int:
    """Pairs of active bookings of one unit whose occupied spans overlap."""
    return int(
        conn.exec_driver_sql(
            "SELECT count(*) FROM bookings AS a JOIN bookings AS b "
            "ON a.unit_id = b.unit_id AND a.id < b.id "
            "AND a.occupied_start < b.occupied_end AND b.occupied_start < a.occupied_end "
            f"WHERE a.status IN {ACTIVE_STATUS_SQL} AND b.status IN {ACTIVE_STATUS_SQL}"
        ).scalar_one()
    )


def registrations_in(status: Sequence[RegistrationStatus]) -> Any:
    return (
        select(func.count())
        .where(Registration.session_id == WorkshopSession.id, Registration.status.in_(status))
        .scalar_subquery()
    )


def sessions_over_capacity(conn: Connection) -> int:
    held = registrations_in(HOLDING_STATUSES)
    return int(conn.scalar(select(func.count()).where(held > WorkshopSession.capacity)) or 0)


def sessions_waiting_beside_a_free_place(conn: Connection) -> int:
    held, waiting = registrations_in(HOLDING_STATUSES), registrations_in([RegistrationStatus.WAITLISTED])
    return int(
        conn.scalar(
            select(func.count()).where(
                WorkshopSession.mode == SignupMode.FIRST_COME, held < WorkshopSession.capacity, waiting > 0
            )
        )
        or 0
    )


BOOKING_NEWS = {f"booking.{BookingStatus.CONFIRMED.value}", f"booking.{BookingStatus.PENDING.value}"}
REGISTRATION_NEWS = {f"registration.{status.value}" for status in RegistrationStatus}


def notifications(conn: Connection) -> tuple[int, int]:
    """Announced changes without their outbox message, and messages without their change.

    A visitor's own booking (not of a series) is announced when it is made; a workshop
    registration when it is made and when it moves up from the waitlist. Each such change
    writes an audit entry and its message in one transaction: they must pair up one to one.
    """
    personal = {
        booking_id
        for (booking_id,) in conn.execute(
            select(Booking.id).where(Booking.user_id.is_not(None), Booking.series_id.is_(None))
        )
    }
    announced: Counter[tuple[str, int]] = Counter()
    for object_type, object_id, _action in conn.execute(
        select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.action).where(
            AuditEntry.action.in_(("booking.create", "registration.create", "registration.promote"))
        )
    ):
        if object_type == "registration" or int(object_id) in personal:
            announced[(object_type, int(object_id))] += 1
    queued: Counter[tuple[str, int]] = Counter()
    for kind, payload in conn.execute(select(OutboxMessage.kind, OutboxMessage.payload)):
        if kind in BOOKING_NEWS:
            queued[("booking", int(payload["booking_id"]))] += 1
        elif kind in REGISTRATION_NEWS:
            queued[("registration", int(payload["registration_id"]))] += 1
    return sum((announced - queued).values()), sum((queued - announced).values())


def bookings_not_as_seen(conn: Connection, tally: Tally) -> int:
    """Accepted bookings missing from the database, or in another status than the visitor saw."""
    stored = {
        booking_id: status.value for booking_id, status in conn.execute(select(Booking.id, Booking.status))
    }
    wrong = 0
    for booking_id, seen in tally.bookings.items():
        status = stored.get(booking_id)
        unsure_but_cancelled = booking_id in tally.unsure and status == BookingStatus.CANCELLED.value
        if status != seen and not unsure_but_cancelled:
            wrong += 1
    return wrong


def check_database(url: str, tally: Tally) -> list[Check]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            lost, unexplained = notifications(conn)
            return [
                Check("overlapping active bookings (pairs)", overlapping_pairs(conn)),
                Check("workshop sessions over capacity", sessions_over_capacity(conn)),
                Check(
                    "first-come sessions with a free place and a waitlist",
                    sessions_waiting_beside_a_free_place(conn),
                ),
                Check("lost notifications (announced change, no outbox message)", lost),
                Check("outbox messages without their change", unexplained),
                Check("accepted bookings missing or not as last seen", bookings_not_as_seen(conn, tally)),
            ]
    finally:
        engine.dispose()


def database_counts(url: str) -> dict[str, int]:
    """Rows written, for the report."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return {
                "bookings": int(conn.scalar(select(func.count()).select_from(Booking)) or 0),
                "registrations": int(conn.scalar(select(func.count()).select_from(Registration)) or 0),
                "outbox messages": int(conn.scalar(select(func.count()).select_from(OutboxMessage)) or 0),
            }
    finally:
        engine.dispose()


# --- the run -----------------------------------------------------------------------------------


def library_env(url: str) -> dict[str, str]:
    """The server's settings; every simulated visitor registers from 127.0.0.1, so the
    per-address registration limit is raised to let them all in."""
    return {
        "LIBRARY_DATABASE_URL": normalise_database_url(url),
        "LIBRARY_SECRET_KEY": "bench-load-secret",
        "LIBRARY_VAR_DIR": str(DATA_DIR),
        "LIBRARY_REGISTRATIONS_PER_HOUR": "100000",
    }


def fresh_library(engine: str, name: str) -> str:
    """A new database with the Ulm catalogue, made as an operator makes one."""
    url = default_url(engine, 0, 0, name=name)
    reset_database(url)
    for command in (["db", "upgrade"], ["seed"]):
        subprocess.run(  # noqa: S603 - our own command
            [str(VENV_BIN / "library"), *command],
            env={**os.environ, **library_env(url)},
            cwd=PROJECT_ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return url


@contextmanager
def library_server(url: str, port: int, log_name: str) -> Iterator[int]:
    """`library serve` (one worker, the scheduler on as in production) on the database; its pid."""
    command = [str(VENV_BIN / "library"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    base = {"LIBRARY_BASE_URL": f"http://127.0.0.1:{port}"}
    with server(command, {**library_env(url), **base}, port, DATA_DIR / log_name) as pid:
        yield pid


def print_tally(engine: str, tally: Tally) -> None:
    unanswered = sum(tally.unanswered.values())
    rate = tally.round_requests / tally.seconds
    print(
        f"\n{engine}: {tally.answers['token']['201']} visitors registered and got tokens in "
        f"{tally.sign_in_seconds:.0f} s; then {tally.round_requests:,} answers in {tally.seconds:.0f} s "
        f"= {rate:,.1f} req/s; {tally.server_error_count} answers 5xx in all; "
        f"{unanswered} requests without an answer (refused, cut off, or none in {REQUEST_TIMEOUT:g} s)"
    )
    print("\n| request | answers | p50 ms | p95 ms | p99 ms | no answer | answers by status |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for kind in sorted(tally.latencies, key=lambda k: -len(tally.latencies[k])):
        latencies = [s * 1000 for s in tally.latencies[kind]]
        p50, p95, p99 = (percentile(latencies, fraction) for fraction in (0.5, 0.95, 0.99))
        statuses = ", ".join(f"{label}: {n:,}" for label, n in tally.answers[kind].most_common())
        print(
            f"| {kind} | {len(latencies):,} | {p50:.0f} | {p95:.0f} | {p99:.0f} "
            f"| {tally.unanswered[kind]} | {statuses} |"
        )
    if tally.unanswered_why:
        print(
            "\nwithout an answer: " + ", ".join(f"{n} {why}" for why, n in tally.unanswered_why.most_common())
        )
    for error in tally.server_errors:
        print(f"  5xx: {error}")


def print_checks(engine: str, url: str, tally: Tally, checks: Sequence[Check]) -> bool:
    """The database checks as a table; True when all passed and no answer was a 5xx."""
    counts = ", ".join(f"{n:,} {what}" for what, n in database_counts(url).items())
    print(f"\n{engine}: the database holds {counts}; {len(tally.bookings):,} bookings were accepted (201)")
    print("\n| check | problems |\n|---|---:|")
    for check in checks:
        print(f"| {check.name} | {check.problems} |")
    print(f"| answers 5xx | {tally.server_error_count} |")
    passed = all(check.problems == 0 for check in checks) and tally.server_error_count == 0
    print(f"\n{engine}: {'all checks passed' if passed else 'FAILED'}")
    return passed


def options(description: str, duration: float) -> argparse.ArgumentParser:
    """The command line options of the load and the crash run."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--engine", choices=sorted(ENGINES), default="sqlite")
    parser.add_argument("--duration", type=float, default=duration, help="seconds of rounds after signing in")
    parser.add_argument("--visitors", type=int, default=100)
    parser.add_argument(
        "--think", type=float, default=0.2, help="most seconds a visitor waits between rounds"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = options("A hundred visitors against `library serve`, then database checks.", 120).parse_args(argv)
    engine = ENGINES[args.engine]
    print(
        f"library at {library_revision()}; {os.cpu_count()} CPUs; {engine}; {args.visitors} visitors "
        f"for {args.duration:g} s; server with 1 worker"
    )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    url = fresh_library(engine, "bench_load")
    port = free_port()
    try:
        with library_server(url, port, f"load-{engine}.log"):
            tally = asyncio.run(
                run_visitors(
                    f"http://127.0.0.1:{port}",
                    visitors=args.visitors,
                    seconds=args.duration,
                    seed=args.seed,
                    think=args.think,
                )
            )
        print_tally(engine, tally)
        passed = print_checks(engine, url, tally, check_database(url, tally))
    finally:
        if not args.keep:
            drop_database(url)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
