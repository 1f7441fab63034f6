"""Engines, sessions and the column types every model shares.

SQLite is the embedded default and PostgreSQL the production engine. The differences that
matter for correctness live here: on SQLite every write transaction starts with
`BEGIN IMMEDIATE`, so check-then-insert sequences are serialised; on PostgreSQL the
exclusion constraints and row locks do that job.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Enum,
    Index,
    Insert,
    Integer,
    MetaData,
    Table,
    UniqueConstraint,
    event,
    insert,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from library.sqlite_driver import ONE_TRIP_DBAPI, PATIENCE_MS

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SEND_WITH_NEXT = {"send_with_next": True}
"""Execution options of a write whose result nobody reads: on SQLite it travels with the
transaction's next statement or its COMMIT (library.sqlite_driver), one hand-off fewer."""


def table_of(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


def plain_insert(model: type[Base], *, send_with_next: bool = False) -> Insert:
    """A Core INSERT into the model's table, built once and executed with a row of values: no
    statement, cache key or ORM unit of work per call, for the writes of a booking's hot path."""
    statement = insert(table_of(model))
    return statement.execution_options(**SEND_WITH_NEXT) if send_with_next else statement


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, always stored and returned in UTC.

    SQLite has no time zones: values are stored as naive UTC text of one fixed format, which
    keeps them comparable as strings (the overlap trigger relies on that).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored as an instant")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONData = JSON().with_variant(JSONB(), "postgresql")


def str_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, storing the enum's values."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


def escape_like(text: str) -> str:
    """Search text taken literally: % and _ are not wildcards here."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def _local_datetime(value: str | None, zone: str | None) -> str | None:
    """A stored UTC instant as local wall-clock text 'YYYY-MM-DD HH:MM:SS' in the zone."""
    if value is None or zone is None:
        return None
    instant = datetime.fromisoformat(value).replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    return instant.strftime("%Y-%m-%d %H:%M:%S")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when and how transactions begin.
        dbapi_connection.isolation_level = None
        # SQLite's own lower() folds only ASCII; searching "übung" must find "Übungsraum".
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        # SQLite knows no time zones: statistics group instants by local day and hour with these.
        dbapi_connection.create_function("local_datetime", 2, _local_datetime, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={PATIENCE_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def mark_send_with_next(
        _conn: Any, cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
    ) -> None:
        if context is not None and context.execution_options.get("send_with_next"):
            cursor.send_with_next = True

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        conn.connection.dbapi_connection.on_loop = options.get("sqlite_on_loop", False)
        mode = options.get("sqlite_begin", "DEFERRED")
        if mode != "NONE":  # NONE: a lone read runs in SQLite's own autocommit (see Database.lookup)
            conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, pool_size: int, autocommit: bool = False) -> AsyncEngine:
    """On PostgreSQL the pool keeps `pool_size` connections and opens half as many more for a
    burst, closing those as they come back; `autocommit`: each statement runs on its own.

    The kept connections must cover the usual number of requests at once: with 10 kept and 16
    clients, six connections were opened and closed over and over (195 server processes in a
    20-second run, each new one preparing its statements again); with 20 kept the booking ran
    at 508-538 requests a second instead of 355-458 (docs/benchmarks.md). At the default size
    (`LIBRARY_DATABASE_POOL`, 20) a process holds at most 30 connections and 15 for lookups."""
    # A statement's values (e-mail addresses, names) stay out of error messages, hence out of logs.
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            # The event loop's thread runs some transactions' statements (library.sqlite_driver).
            connect_args={"timeout": PATIENCE_MS / 1000, "check_same_thread": False},
            hide_parameters=True,
            module=ONE_TRIP_DBAPI,
        )
        _configure_sqlite(engine)
        return engine
    options: dict[str, Any] = {"hide_parameters": True}
    if autocommit:
        options["isolation_level"] = "AUTOCOMMIT"
    if pool_size == 0:
        return create_async_engine(url, poolclass=NullPool, **options)
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size // 2, **options)
    _ping_after_idle(engine)
    return engine


CHECKPOINT_AFTER = 100
"""SQLite: a short write's COMMIT, on the event loop, does not checkpoint the log as other
COMMITs do at 1,000 pages (library.sqlite_driver); after so many short writes the process
checkpoints it. A booking adds about 21 pages to the log, so it stays near 2,000 pages (8 MB)."""


IDLE_BEFORE_PING = 2.0
"""Seconds a pooled PostgreSQL connection may rest before it is tested on its way out."""


def _ping_after_idle(engine: AsyncEngine) -> None:
    """Test a pooled connection before use only if it rested a while.

    SQLAlchemy's `pool_pre_ping` tests every connection at every checkout with a statement of
    its own (and, with psycopg, the transaction it opens): 0.2 ms of a booking's 2.2 ms of CPU,
    as a booking checks out two connections. A connection that served a moment ago is alive as
    far as anyone can tell; one that rested may have been dropped (a restarted server, a
    firewall's idle timeout). A failed test makes the pool replace the connection, as
    `pool_pre_ping` would; a connection lost within the moment fails its statement, which marks
    every connection of the pool as stale.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def rested_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def ping_if_rested(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in = record.info.get("checked_in")
        if checked_in is None or time.monotonic() - checked_in <= IDLE_BEFORE_PING:
            return  # new, or back a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("a pooled connection was lost while it rested") from error


class Database:
    """One engine per process (on PostgreSQL a small second one for lookups), with a read, a
    write and a lookup way into it."""

    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._read = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write = self._writer()
        self._short_write = self._writer(sqlite_on_loop=True) if self.is_sqlite else self._write
        # On PostgreSQL lookups have a pool of their own that stays in autocommit: switching a
        # shared connection there and back at every checkout cost each request 0.07 ms of CPU.
        self._lookup_engine = (
            None if self.is_sqlite else make_engine(url, pool_size=(pool_size + 1) // 2, autocommit=True)
        )
        self._lookup = self._lookup_engine or self.engine.execution_options(
            sqlite_begin="NONE", sqlite_on_loop=True
        )
        self._short_writes = 0
        # SQLite takes one writer at a time; the others would sleep in its busy handler and
        # retry. Queueing them here in the process is fairer and much faster under load.
        self._write_turn = asyncio.Lock() if self.is_sqlite else None

    def _writer(self, **sqlite_options: Any) -> async_sessionmaker[AsyncSession]:
        engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE", **sqlite_options)
            if self.is_sqlite
            else self.engine
        )
        return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read() as session:
            yield session

    @asynccontextmanager
    async def lookup(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one short read statement outside a transaction: no BEGIN and no
        ROLLBACK around it, and no ORM (on SQLite it runs on the event loop's thread, see
        `write`). Every API request asks who its token belongs to, and those two round trips and
        the ORM's work were a third of a booking's CPU."""
        async with self._lookup.connect() as connection:
            yield connection

    @asynccontextmanager
    async def write(self, *, short: bool = False) -> AsyncIterator[AsyncSession]:
        """A transaction that commits on success and rolls back on any error.

        `short`: a few statements, each reading or writing a few rows by an index (a booking).
        On SQLite they then run on the event loop's thread, without a hand-off to aiosqlite's
        (library.sqlite_driver): a fifth of a booking's CPU. A long statement there would stall
        every other request for its duration; it belongs in a transaction that is not short."""
        sessions = self._short_write if short else self._write
        async with self._write_turn or contextlib.nullcontext(), sessions() as session, session.begin():
            yield session
        if short and self.is_sqlite:
            self._short_writes += 1
            if self._short_writes % CHECKPOINT_AFTER == 0:
                await self._checkpoint()

    async def _checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file, on aiosqlite's thread and
        after the write turn, so that neither the event loop nor the other writers wait for it;
        a reader still using part of the log keeps that part (PASSIVE)."""
        async with self.engine.execution_options(sqlite_begin="NONE").connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._lookup_engine is not None:
            await self._lookup_engine.dispose()


BigId = BigInteger().with_variant(Integer(), "sqlite")
"""Primary keys: 64-bit on PostgreSQL, SQLite's rowid alias (INTEGER PRIMARY KEY) there."""


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


SQLITE_UNIQUE = "UNIQUE constraint failed: "
SQLITE_CHECK = "CHECK constraint failed: "


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint or unique index that refused a write, the same on both engines.

    PostgreSQL names it. SQLite names a unique key by its columns ("users.email"), found here
    among the models' keys; a CHECK by its name; a trigger standing in for a PostgreSQL
    constraint raises that constraint's name as its message.
    """
    diagnostic = getattr(error.orig, "diag", None)
    if diagnostic is not None:
        name = diagnostic.constraint_name
        return name if isinstance(name, str) else None
    message = str(error.orig)
    if message.startswith(SQLITE_UNIQUE):
        return _unique_key(message.removeprefix(SQLITE_UNIQUE).split(", "))
    if message.startswith(SQLITE_CHECK):
        return message.removeprefix(SQLITE_CHECK)
    return message if message.isidentifier() else None


def _unique_key(qualified_columns: list[str]) -> str | None:
    """The unique constraint or unique index over these `table.column`s, by its name."""
    table_name = qualified_columns[0].partition(".")[0]
    table = Base.metadata.tables.get(table_name)
    if table is None:
        return None
    columns = [qualified.partition(".")[2] for qualified in qualified_columns]
    keys: list[UniqueConstraint | Index] = [
        key for key in table.constraints if isinstance(key, UniqueConstraint)
    ]
    keys += [index for index in table.indexes if index.unique]
    for key in keys:
        if [column.name for column in key.columns] == columns and isinstance(key.name, str):
            return key.name
    return None
