"""Build a synthetic library into a database, for the benchmarks.

One location `bench` (Europe/Berlin, open Monday to Saturday 08:00-20:00 with staff, a
location default policy that sets nothing), N resources (rooms with one unit, workspaces with
five, devices with two), a few hundred users and M bookings. The bookings lie on the opening
hours of the past two years and the next four weeks, at an even density, so most of them are
in the past as in a real library: completed (some cancelled or no-shows) before the anchor,
confirmed (some cancelled) after it. They are generated unit by unit in time order and never
overlap on a unit; the occupied span equals the booked span.

The schema comes from the project's migrations; the rows go in with SQLAlchemy Core
`insert()` in batches of 10,000 on a synchronous connection. A `bench_meta` table records
what was built (sizes, seed, anchor instant), so the other scripts can reuse a database.

    .venv/bin/python -m bench.synthetic --engine sqlite --resources 200 --bookings 10000
    .venv/bin/python -m bench.synthetic --url postgresql://postgres@127.0.0.1/bench_demo \
        --resources 1000 --bookings 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url

from library import migrations
from library.accounts.models import Language, Role, User
from library.booking.models import ACTIVE_STATUS_SQL, BookingPurpose, BookingStatus
from library.catalog.hours import local_instant
from library.catalog.models import (
    Factor,
    Location,
    OpeningPeriod,
    Policy,
    Resource,
    ResourceKind,
    Unit,
    UnitCondition,
    UnitStatus,
)
from library.config import normalise_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "var" / "bench"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

FORMAT_VERSION = "1"  # change it when the generated data changes: cached databases are then rebuilt
LOCATION_SLUG = "bench"
ZONE_NAME = "Europe/Berlin"
ZONE = ZoneInfo(ZONE_NAME)
OPENS, CLOSES = wall_time(8), wall_time(20)
SLOT = timedelta(minutes=30)
SLOTS_PER_DAY = 24  # 08:00-20:00 in half hours
PAST_DAYS = 730
FUTURE_DAYS = 28
BATCH = 10_000
DEFAULT_USERS = 300
DEFAULT_SEED = 2026

# Four rooms, three workspaces and three devices in every ten resources.
KIND_CYCLE = (ResourceKind.ROOM,) * 4 + (ResourceKind.WORKSPACE,) * 3 + (ResourceKind.DEVICE,) * 3
UNITS_PER_KIND = {ResourceKind.ROOM: 1, ResourceKind.WORKSPACE: 5, ResourceKind.DEVICE: 2}
FACTORS_PER_KIND = {
    ResourceKind.ROOM: (Factor.SPACE, Factor.NETWORKING),
    ResourceKind.WORKSPACE: (Factor.INNOVATION, Factor.SPACE, Factor.KNOWHOW),
    ResourceKind.DEVICE: (Factor.TECHNOLOGY, Factor.INNOVATION),
}
NAMES_PER_KIND = {
    ResourceKind.ROOM: ("Gruppenraum", "Group room"),
    ResourceKind.WORKSPACE: ("Arbeitsplätze", "Workspaces"),
    ResourceKind.DEVICE: ("Gerät", "Device"),
}

bench_metadata = MetaData()
bench_meta = Table(
    "bench_meta",
    bench_metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)


@dataclass(frozen=True)
class BuildInfo:
    """What a synthetic database holds (read back from its bench_meta table)."""

    url: str
    resources: int
    requested: int
    bookings: int
    users: int
    seed: int
    anchor: datetime
    build_seconds: float


@dataclass(frozen=True)
class UnitRow:
    id: int
    resource_id: int


# --- URLs and databases ------------------------------------------------------------------------


def default_url(engine: str, resources: int, bookings: int, *, name: str | None = None) -> str:
    """Where a library of this size lives: an SQLite file under var/bench or a bench_* database."""
    name = name or f"bench_r{resources}_b{bookings}"
    if engine == "sqlite":
        return f"sqlite+aiosqlite:///{DATA_DIR / (name + '.sqlite3')}"
    if engine == "postgresql":
        url = make_url(normalise_database_url(POSTGRES_URL)).set(database=name)
        return url.render_as_string(hide_password=False)
    raise ValueError(f"unknown engine {engine!r} (sqlite or postgresql)")


def engine_name(url: str) -> str:
    return "sqlite" if normalise_database_url(url).startswith("sqlite") else "postgresql"


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (pysqlite, or psycopg in sync mode)."""
    parsed = make_url(normalise_database_url(url))
    if parsed.drivername == "sqlite+aiosqlite":
        parsed = parsed.set(drivername="sqlite+pysqlite")
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path:
    database = make_url(normalise_database_url(url)).database
    if not database:
        raise ValueError(f"{url} names no SQLite file")
    return Path(database)


def admin_conninfo(url: str) -> tuple[str, str]:
    """A libpq connection string to the server's `postgres` database, and the database's name."""
    parsed = make_url(normalise_database_url(url))
    name = parsed.database or ""
    if not name.startswith("bench_"):
        raise ValueError(f"refusing to touch database {name!r}: benchmark databases are named bench_*")
    admin = parsed.set(drivername="postgresql", database="postgres")
    return admin.render_as_string(hide_password=False), name


def postgres_database_exists(url: str) -> bool:
    conninfo, name = admin_conninfo(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def reset_database(url: str) -> None:
    """Remove the database (SQLite file, or PostgreSQL bench_* database) and make it empty again."""
    if engine_name(url) == "sqlite":
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    conninfo, name = admin_conninfo(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    if engine_name(url) == "sqlite":
        path = sqlite_path(url)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    conninfo, name = admin_conninfo(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_all() -> list[str]:
    """Remove the SQLite files under var/bench and the PostgreSQL databases named bench_*."""
    dropped = []
    if DATA_DIR.exists():
        for path in sorted(DATA_DIR.glob("*.sqlite3*")):
            path.unlink()
            dropped.append(str(path.relative_to(PROJECT_ROOT)))
    conninfo, _ = admin_conninfo(default_url("postgresql", 0, 0))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        names = [
            str(name)
            for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'")
        ]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            dropped.append(f"postgresql database {name}")
    return dropped


def loading_engine(url: str) -> Engine:
    """A synchronous engine for bulk loading; on SQLite without fsyncs (a benchmark database)."""
    engine = create_engine(sync_url(url))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def fast_sqlite(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # No rollback journal while loading (a crashed build is simply built again).
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
            cursor.close()

    return engine


def schema_head() -> str:
    """The newest migration of the project, which a cached database must have been built with."""
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    return str(script.get_current_head())


def read_meta(url: str) -> BuildInfo | None:
    """What an existing synthetic database holds, or None when there is none (or it is unfinished)."""
    if engine_name(url) == "sqlite":
        if not sqlite_path(url).exists():
            return None
    elif not postgres_database_exists(url):
        return None
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            if not sa_inspect(conn).has_table("bench_meta"):
                return None
            values: dict[str, str] = {key: value for key, value in conn.execute(bench_meta.select()).tuples()}
    finally:
        engine.dispose()
    if values.get("version") != FORMAT_VERSION or "build_seconds" not in values:
        return None
    if values.get("schema") != schema_head():
        return None  # built before a newer migration: build it again
    return BuildInfo(
        url=url,
        resources=int(values["resources"]),
        requested=int(values["requested_bookings"]),
        bookings=int(values["bookings"]),
        users=int(values["users"]),
        seed=int(values["seed"]),
        anchor=datetime.fromisoformat(values["anchor"]),
        build_seconds=float(values["build_seconds"]),
    )


def ensure_built(
    url: str, resources: int, bookings: int, *, seed: int = DEFAULT_SEED, rebuild: bool = False
) -> tuple[BuildInfo, bool]:
    """A database of this size: the cached one if it matches, else a new build (and True)."""
    if not rebuild:
        found = read_meta(url)
        if found is not None and (found.resources, found.requested, found.seed) == (
            resources,
            bookings,
            seed,
        ):
            return found, False
    return build(url, resources, bookings, seed), True


# --- the generated rows ------------------------------------------------------------------------


def opening_days(first: date, last: date) -> list[date]:
    """Monday to Saturday between first and last, both included."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.isoweekday() <= 6]


def unit_count(resources: int) -> int:
    return sum(UNITS_PER_KIND[KIND_CYCLE[i % len(KIND_CYCLE)]] for i in range(resources))


def resource_rows(count: int, location_id: int, rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for index in range(1, count + 1):
        kind = KIND_CYCLE[(index - 1) % len(KIND_CYCLE)]
        name, name_en = NAMES_PER_KIND[kind]
        rows.append(
            {
                "slug": f"{kind.value}-{index:04d}",
                "location_id": location_id,
                "kind": kind,
                "factor": rng.choice(FACTORS_PER_KIND[kind]),
                "name": f"{name} {index}",
                "name_en": f"{name_en} {index}",
                "description": f"Synthetisches Angebot {index} für Benchmarks.",
                "description_en": f"Synthetic offer {index} for benchmarks.",
                "capacity": 6 if kind is ResourceKind.ROOM else 1,
                "features": [],
                "requires_approval": False,
                "required_certification_id": None,
                "min_age": None,
                "needs_staff": False,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


BOOKING_COLUMNS = (
    "unit_id",
    "resource_id",
    "user_id",
    "created_by_id",
    "purpose",
    "status",
    "note",
    "start_at",
    "end_at",
    "occupied_start",
    "occupied_end",
    "created_at",
    "updated_at",
    "checked_in_at",
    "cancelled_at",
)
INSTANT_COLUMNS = frozenset(BOOKING_COLUMNS[7:])


def sqlite_instant(moment: datetime) -> str:
    """An instant as the models store it on SQLite: naive UTC text of one fixed width."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def postgres_instant(moment: datetime) -> datetime:
    return moment


def bookings_for_loading(dialect: str) -> Table:
    """The bookings table as plain columns, to load rows without per-value conversions.

    The models' UTC type and enum validation convert every value on its way in, which is most
    of the load time for a million rows. SQLite gets the text the model would have written,
    PostgreSQL aware datetimes.
    """
    instant: String | DateTime = String(26) if dialect == "sqlite" else DateTime(timezone=True)
    return Table(
        "bookings",
        MetaData(),
        Column("id", Integer, primary_key=True),
        *(Column(name, instant if name in INSTANT_COLUMNS else String(20)) for name in BOOKING_COLUMNS[4:]),
        *(Column(name, Integer) for name in BOOKING_COLUMNS[:4]),
    )


Row = tuple[Any, ...]


def booking_rows(
    units: Sequence[UnitRow],
    total: int,
    openings: Sequence[datetime],
    anchor: datetime,
    user_ids: Sequence[int],
    rng: random.Random,
    instant: Callable[[datetime], Any],
) -> Iterator[Row]:
    """Bookings unit by unit, in time order, never overlapping on a unit (BOOKING_COLUMNS order).

    A unit's opening hours are a line of half-hour slots; its share of the bookings cuts that
    line into equal chunks and each chunk holds one booking of one to three hours (at least one
    slot) that does not cross the end of its day. Opening hours (08:00-20:00) never contain a
    daylight-saving change, so slot n of a day starts n half hours after that day's opening.
    """
    # Every slot boundary of every day as an instant and as the value to store, computed once.
    grid = [[opening + n * SLOT for n in range(SLOTS_PER_DAY + 1)] for opening in openings]
    stored = [[instant(moment) for moment in day] for day in grid]
    anchor_value = instant(anchor)
    visitor = BookingPurpose.VISITOR.value
    completed, cancelled = BookingStatus.COMPLETED.value, BookingStatus.CANCELLED.value
    no_show, confirmed = BookingStatus.NO_SHOW.value, BookingStatus.CONFIRMED.value
    checked_in = BookingStatus.CHECKED_IN.value
    slots = len(openings) * SLOTS_PER_DAY
    per_unit, extra = divmod(total, len(units))
    randrange, randint, random_draw, choice = rng.randrange, rng.randint, rng.random, rng.choice
    for position, unit in enumerate(units):
        count = min(slots, per_unit + (1 if position < extra else 0))
        if count == 0:
            continue
        chunk = slots / count
        for n in range(count):
            low = int(n * chunk)
            high = max(int((n + 1) * chunk), low + 1)
            first = randrange(low, high)
            day, slot = divmod(first, SLOTS_PER_DAY)
            length = max(1, min(randint(2, 6), SLOTS_PER_DAY - slot, high - first))
            start, end = grid[day][slot], grid[day][slot + length]
            start_value, end_value = stored[day][slot], stored[day][slot + length]
            # Booked 0-14 opening days before, at the same time of day; never after the anchor.
            made_day = max(0, day - randint(0, 14))
            created = anchor_value if grid[made_day][slot] > anchor else stored[made_day][slot]
            draw = random_draw()
            cancelled_at = None
            checked_in_at = None
            if end <= anchor:
                if draw < 0.88:
                    status, checked_in_at = completed, start_value
                elif draw < 0.96:
                    status, cancelled_at = cancelled, created
                else:
                    status = no_show
            elif start >= anchor:
                if draw < 0.92:
                    status = confirmed
                else:
                    status, cancelled_at = cancelled, created
            else:
                status, checked_in_at = checked_in, start_value
            user_id = choice(user_ids)
            yield (
                unit.id,
                unit.resource_id,
                user_id,
                user_id,
                visitor,
                status,
                "",
                start_value,
                end_value,
                start_value,
                end_value,
                created,
                created,
                checked_in_at,
                cancelled_at,
            )


def batches(rows: Iterator[Row]) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_batched(conn: Connection, rows: Iterator[Row]) -> int:
    """SQLite: Core insert() executemany, BATCH rows at a time, committing after each batch."""
    table = bookings_for_loading(conn.dialect.name)
    done = 0
    for batch in batches(rows):
        conn.execute(insert(table), [dict(zip(BOOKING_COLUMNS, row, strict=True)) for row in batch])
        conn.commit()
        done += len(batch)
    return done


def copy_batched(conn: Connection, rows: Iterator[Row]) -> int:
    """PostgreSQL: COPY ... FROM STDIN through psycopg, BATCH rows per COPY and commit."""
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    done = 0
    for batch in batches(rows):
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY bookings ({', '.join(BOOKING_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in batch:
                copy.write_row(row)
        driver.commit()
        done += len(batch)
    return done


@contextmanager
def secondary_indexes_dropped(conn: Connection, table: str) -> Iterator[None]:
    """Drop a table's secondary indexes and triggers (SQLite), or its secondary indexes, foreign
    keys and exclusion constraint (PostgreSQL); recreate them afterwards.

    Building an index over loaded rows is many times faster than keeping it up to date row by
    row, and one join checks a foreign key faster than a trigger per row. The schema afterwards
    is the migrated one: the objects are recreated from their own definitions, and recreating a
    PostgreSQL constraint checks every row again. (SQLite's loading connection does not enforce
    foreign keys: the pragma is off unless a connection turns it on.)
    """
    if conn.dialect.name == "sqlite":
        saved = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            (table,),
        ).all()
        for kind, name, _ in saved:
            conn.exec_driver_sql(f'DROP {kind} "{name}"')
        recreate = [definition for _, _, definition in saved]
    else:
        constraints = conn.exec_driver_sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %(table)s::regclass AND contype IN ('x', 'f')",
            {"table": table},
        ).all()
        indexes = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %(table)s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %(table)s::regclass)",
            {"table": table},
        ).all()
        for name, _ in constraints:
            conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        recreate = [definition for _, definition in indexes] + [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints
        ]
    conn.commit()
    yield
    for statement in recreate:
        conn.exec_driver_sql(statement)
    conn.commit()


def overlapping_bookings(conn: Connection) -> int:
    """Active bookings that overlap the one before them on their unit (must be 0)."""
    return int(
        conn.exec_driver_sql(
            "SELECT count(*) FROM (SELECT occupied_start, lag(occupied_end) OVER "
            "(PARTITION BY unit_id ORDER BY occupied_start) AS previous_end FROM bookings "
            f"WHERE status IN {ACTIVE_STATUS_SQL}) AS ordered WHERE occupied_start < previous_end"
        ).scalar_one()
    )


# --- building ----------------------------------------------------------------------------------


def default_anchor() -> datetime:
    """The instant the synthetic bookings are laid around: this hour (the benchmarks' "now")."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def build(
    url: str,
    resources: int,
    bookings: int,
    seed: int = DEFAULT_SEED,
    *,
    users: int = DEFAULT_USERS,
    anchor: datetime | None = None,
    quiet: bool = False,
) -> BuildInfo:
    """Make the database empty, migrate it and fill it with a synthetic library."""
    began = time.perf_counter()
    anchor = anchor or default_anchor()
    rng = random.Random(seed)
    reset_database(url)
    migrations.upgrade(normalise_database_url(url))
    migrated = time.perf_counter()
    engine = loading_engine(url)
    try:
        with engine.connect() as conn:
            location_id = conn.execute(
                insert(Location)
                .values(
                    slug=LOCATION_SLUG,
                    name="Benchmark-Bibliothek",
                    name_en="Benchmark library",
                    address="Vestgasse 1, 89073 Ulm",
                    timezone=ZONE_NAME,
                    description="",
                    position=0,
                )
                .returning(Location.id)
            ).scalar_one()
            conn.execute(
                insert(OpeningPeriod),
                [
                    {
                        "location_id": location_id,
                        "weekday": weekday,
                        "start_time": OPENS,
                        "end_time": CLOSES,
                        "staffed": True,
                    }
                    for weekday in range(1, 7)
                ],
            )
            # A location default policy that sets nothing, max_active_bookings among it (NULL).
            conn.execute(insert(Policy).values(location_id=location_id, max_active_bookings=None))
            conn.execute(insert(Resource), resource_rows(resources, location_id, rng, anchor))
            resource_ids = dict(conn.execute(select(Resource.slug, Resource.id)).all())
            conn.execute(
                insert(Policy),
                [
                    {"resource_id": resource_id, "slot_minutes": 60, "min_minutes": 60}
                    for slug, resource_id in resource_ids.items()
                    if slug.startswith(ResourceKind.DEVICE.value)
                ],
            )
            unit_rows = []
            for slug, resource_id in sorted(resource_ids.items(), key=lambda item: item[1]):
                kind = ResourceKind(slug.split("-")[0])
                for number in range(1, UNITS_PER_KIND[kind] + 1):
                    unit_rows.append(
                        {
                            "resource_id": resource_id,
                            "label": f"{kind.value} {number}" if kind is not ResourceKind.ROOM else "Raum",
                            "inventory_number": f"BENCH-{resource_id:05d}-{number}",
                            "serial_number": None,
                            "condition": UnitCondition.GOOD,
                            "status": UnitStatus.AVAILABLE,
                            "notes": "",
                        }
                    )
            conn.execute(insert(Unit), unit_rows)
            units = [
                UnitRow(unit_id, resource_id)
                for unit_id, resource_id in conn.execute(select(Unit.id, Unit.resource_id).order_by(Unit.id))
            ]
            conn.execute(
                insert(User),
                [
                    {
                        "email": f"besucher{number:04d}@bench.example",
                        "name": f"Besucherin {number}",
                        "password_hash": None,
                        "role": Role.VISITOR,
                        "birth_date": date(1950 + number % 55, 1 + number % 12, 1 + number % 28),
                        "language": Language.EN if number % 4 == 0 else Language.DE,
                        "is_active": True,
                        "created_at": anchor - timedelta(days=PAST_DAYS + 30),
                        "deleted_at": None,
                    }
                    for number in range(1, users + 1)
                ],
            )
            user_ids = list(conn.execute(select(User.id).order_by(User.id)).scalars())
            conn.commit()
            catalogue = time.perf_counter()
            local_today = anchor.astimezone(ZONE).date()
            days = opening_days(
                local_today - timedelta(days=PAST_DAYS), local_today + timedelta(days=FUTURE_DAYS - 1)
            )
            openings = [local_instant(day, OPENS, ZONE) for day in days]
            is_sqlite = engine.dialect.name == "sqlite"
            rows = booking_rows(
                units,
                bookings,
                openings,
                anchor,
                user_ids,
                rng,
                sqlite_instant if is_sqlite else postgres_instant,
            )
            with secondary_indexes_dropped(conn, "bookings"):
                inserted = insert_batched(conn, rows) if is_sqlite else copy_batched(conn, rows)
                loaded = time.perf_counter()
            indexed = time.perf_counter()
            overlaps = overlapping_bookings(conn)
            if overlaps:
                raise RuntimeError(f"the generator made {overlaps} overlapping bookings")
            if is_sqlite:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                conn.commit()
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        analysed = time.perf_counter()
        seconds = analysed - began
        with engine.begin() as conn:
            bench_metadata.create_all(conn)
            conn.execute(
                insert(bench_meta),
                [
                    {"key": key, "value": str(value)}
                    for key, value in {
                        "version": FORMAT_VERSION,
                        "schema": schema_head(),
                        "resources": resources,
                        "requested_bookings": bookings,
                        "bookings": inserted,
                        "users": len(user_ids),
                        "seed": seed,
                        "anchor": anchor.isoformat(),
                        "build_seconds": f"{seconds:.1f}",
                    }.items()
                ],
            )
    finally:
        engine.dispose()
    if not quiet:
        load = loaded - catalogue
        print(
            f"built {engine_name(url)} r={resources} b={inserted:,} in {seconds:.1f} s "
            f"(migrate {migrated - began:.1f} s, catalogue {catalogue - migrated:.1f} s, "
            f"bookings {load:.1f} s = {inserted / max(load, 1e-9):,.0f} rows/s, "
            f"indexes {indexed - loaded:.1f} s, analyse {analysed - indexed:.1f} s)",
            flush=True,
        )
    return BuildInfo(url, resources, bookings, inserted, len(user_ids), seed, anchor, seconds)


def library_revision() -> str:
    """The commit measured, for the record (with a mark when the work tree has changes)."""
    git = shutil.which("git")
    if git is None:
        return "unknown revision"
    try:
        commit = subprocess.run(  # noqa: S603 - a fixed git command line
            [git, "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603 - a fixed git command line
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"commit {commit}" + (" with uncommitted changes" if dirty else "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="database URL (PostgreSQL databases must be named bench_*)")
    where.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=DEFAULT_USERS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--drop-all", action="store_true", help="remove every cached benchmark database (var/bench, bench_*)"
    )
    args = parser.parse_args(argv)
    if args.drop_all:
        for dropped in drop_all():
            print(f"dropped {dropped}")
        return 0
    url = args.url or default_url(args.engine, args.resources, args.bookings)
    info = build(url, args.resources, args.bookings, args.seed, users=args.users)
    print(f"{info.url}  anchor {info.anchor.isoformat()}  users {info.users}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
