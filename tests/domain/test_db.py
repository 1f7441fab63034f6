"""The SQLite engine serialises writers with BEGIN IMMEDIATE and leaves readers alone; a refused
write names its constraint the same way on both engines."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import QueuePool

from library import db as db_module
from library import sqlite_driver
from library.accounts.models import User
from library.catalog.models import Unit
from library.config import ConfigurationError, Settings
from library.db import SEND_WITH_NEXT, Base, Database, violated_constraint
from tests.support import factories
from tests.support.engines import POSTGRES_ONLY
from tests.support.statements import statements_on


def sqlite_path(sqlite_db: Database) -> Path:
    return Path(str(make_url(sqlite_db.url).database))


def try_to_write(path: Path) -> None:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_write_transaction_holds_the_write_lock_from_its_start(sqlite_db: Database) -> None:
    async with sqlite_db.write() as session:
        await session.execute(text("SELECT 1"))  # nothing written yet, but the lock is taken
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            try_to_write(sqlite_path(sqlite_db))
    try_to_write(sqlite_path(sqlite_db))  # released at commit


async def test_a_read_transaction_does_not_block_writers(sqlite_db: Database) -> None:
    async with sqlite_db.read() as session:
        await session.execute(text("SELECT 1"))
        try_to_write(sqlite_path(sqlite_db))


async def test_a_refused_write_names_its_constraint_on_either_engine(db: Database) -> None:
    """Callers tell refusals apart by the constraint's name, never by the engine's wording:
    a unique column, a unique key over two columns, and a unique index."""
    location = await factories.create_location(db)
    resource = await factories.create_resource(db, location, "gruppenraum", units=["A"])
    anna = await factories.create_user(db, "anna@example.org")
    async with db.write() as session:
        (await session.get_one(User, anna.id)).calendar_token_hash = "0" * 64
    refused: list[tuple[Base, str]] = [
        (User(email="anna@example.org", name="Anna"), "uq_users_email"),
        (Unit(resource_id=resource.id, label="A"), "uq_units_resource_id_label"),
        (
            User(email="ben@example.org", name="Ben", calendar_token_hash="0" * 64),
            "ix_users_calendar_token_hash",
        ),
    ]
    for row, constraint in refused:
        with pytest.raises(IntegrityError) as error:
            async with db.write() as session:
                session.add(row)
        assert violated_constraint(error.value) == constraint


def count_hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, the name of each function aiosqlite's thread is handed, in order ("patiently
    f" for f run after the connection's wait for other connections' locks is set back)."""
    calls: list[str] = []
    queue: Any = aiosqlite.Connection._execute  # untyped in aiosqlite

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(fn, "__name__", "?")
        calls.append(f"patiently {args[1].__name__}" if name == "_patiently" else name)
        return await queue(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def test_each_sqlite_statement_is_one_hand_off_to_the_driver_thread(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """library.sqlite_driver: a statement's cursor lives on aiosqlite's thread from opening to
    closing, and hands back its rows, row count and last row id in one call."""
    async with sqlite_db.write() as session:  # the connection is opened before counting
        await session.execute(text("SELECT 1"))
    calls = count_hand_offs(monkeypatch)
    async with sqlite_db.write() as session:
        connection = await session.connection()
        await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
        added = await connection.execute(text("INSERT INTO notes (body) VALUES ('a'), ('b') RETURNING id"))
        assert sorted(added.scalars()) == [1, 2]
        many = await connection.execute(
            text("INSERT INTO notes (body) VALUES (:body)"), [{"body": "c"}, {"body": "d"}]
        )
        assert many.rowcount == 2
        changed = await connection.execute(text("UPDATE notes SET body = 'x' WHERE id > 1"))
        assert changed.rowcount == 3
        rows = (await connection.execute(text("SELECT id, body FROM notes ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, "a"), (2, "x"), (3, "x"), (4, "x")]
        with pytest.raises(IntegrityError):
            async with connection.begin_nested():
                await connection.execute(text("INSERT INTO notes (id, body) VALUES (1, 'again')"))
    # Five statements (BEGIN travels with the first), the savepoint with its insert and its
    # rollback: one call each; then COMMIT. The pool's reset as the connection goes back finds
    # no transaction open and sends nothing.
    assert calls == ["_whole_statement"] * 8 + ["_commit_after"]
    calls.clear()
    async with sqlite_db.write() as session:
        await session.connection()  # begun and ended with nothing in it: nothing to send
    async with sqlite_db.read() as session:
        assert (await session.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 4
    assert calls == ["_whole_statement", "_rollback"]  # a read transaction ends in a ROLLBACK


async def test_a_short_write_and_a_lookup_run_on_the_event_loop_and_wait_for_a_lock_on_the_thread(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short write and a lookup make no hand-off; when another process holds the write lock,
    the short write waits for it on aiosqlite's thread while the event loop goes on, and
    afterwards runs on the loop again."""
    async with sqlite_db.write() as session:
        await session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    calls = count_hand_offs(monkeypatch)
    async with sqlite_db.write(short=True) as session:
        await session.execute(text("INSERT INTO notes (body) VALUES ('a')"))
        assert (await session.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 1

    async def rolled_back() -> None:
        async with sqlite_db.write(short=True) as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('undone')"))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await rolled_back()
    async with sqlite_db.lookup() as connection:
        assert (await connection.execute(text("SELECT body FROM notes"))).scalars().all() == ["a"]
    assert calls == []

    # Another process holds the write lock and lets go of it from its own thread in 0.3 s.
    other = sqlite3.connect(sqlite_path(sqlite_db), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")

    def release() -> None:
        other.execute("INSERT INTO notes (body) VALUES ('other')")
        other.execute("COMMIT")

    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    releaser, ticker = threading.Timer(0.3, release), asyncio.create_task(tick())
    releaser.start()
    try:
        async with sqlite_db.write(short=True) as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('b')"))
    finally:
        ticker.cancel()
        releaser.join()
        other.close()
    assert ticks >= 10  # the loop ran on while the write waited for the lock
    assert calls == ["patiently _whole_statement"]  # BEGIN and INSERT waited there; COMMIT on the loop
    calls.clear()
    async with sqlite_db.write(short=True) as session:
        await session.execute(text("INSERT INTO notes (body) VALUES ('c')"))
    assert calls == []
    async with sqlite_db.write() as session:  # not short: on the thread
        rows = (await session.execute(text("SELECT body FROM notes ORDER BY id"))).scalars().all()
    assert rows == ["a", "other", "b", "c"]
    assert calls == ["patiently _whole_statement", "_commit_after"]


async def test_commits_on_the_event_loop_leave_checkpoints_to_the_thread(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short write's COMMIT, on the loop, never checkpoints the log (that writes and syncs the
    database file); after every CHECKPOINT_AFTER short writes one checkpoint runs on the thread."""
    monkeypatch.setattr(db_module, "CHECKPOINT_AFTER", 3)
    async with sqlite_db.write() as session:
        await session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    calls = count_hand_offs(monkeypatch)
    with statements_on(sqlite_db) as statements:
        for n in range(6):
            async with sqlite_db.write(short=True) as session:
                await session.execute(text("INSERT INTO notes (body) VALUES (:n)"), {"n": str(n)})
                # neither waits for other connections' locks nor checkpoints on the loop
                assert await waiting_pragmas(session) == [0, 0]
    checkpoints = [s for s in statements if s.startswith("PRAGMA wal_checkpoint")]
    assert checkpoints == ["PRAGMA wal_checkpoint(PASSIVE)"] * 2
    assert len(calls) == 2  # the two checkpoints, on the thread
    async with sqlite_db.write() as session:  # on the thread: as SQLite does by default
        assert await waiting_pragmas(session) == [sqlite_driver.PATIENCE_MS, 1000]
        assert (await session.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 6


async def waiting_pragmas(session: AsyncSession) -> list[int]:
    """The connection's busy timeout and the log's size in pages at which a COMMIT checkpoints."""
    return [
        (await session.execute(text(f"PRAGMA {name}"))).scalar_one()
        for name in ("busy_timeout", "wal_autocheckpoint")
    ]


async def test_a_write_sent_with_next_travels_with_the_next_call_or_the_commit(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write marked SEND_WITH_NEXT waits for the connection's next call: a statement, whose
    call reports the waiting write's error, or the COMMIT; a rollback drops it unsent."""
    async with sqlite_db.write() as session:
        await session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    calls = count_hand_offs(monkeypatch)
    later = text("INSERT INTO notes (id, body) VALUES (:id, :body)").execution_options(**SEND_WITH_NEXT)
    async with sqlite_db.write() as session:
        connection = await session.connection()  # SQLAlchemy's Core connection, as bookings use
        await connection.execute(later, {"id": 1, "body": "a"})
        await connection.execute(later, {"id": 2, "body": "b"})
        assert calls == []  # BEGIN and both writes wait
        assert (await session.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 2
        await session.execute(later, {"id": 3, "body": "c"})
    assert calls == ["_whole_statement", "_commit_after"]

    async def refused_at_next_statement() -> None:
        async with sqlite_db.write() as session:
            await session.execute(later, {"id": 1, "body": "again"})
            await session.execute(text("SELECT 1"))  # reports the waiting write's refusal

    async def refused_at_commit() -> None:
        async with sqlite_db.write() as session:
            await session.execute(later, {"id": 4, "body": "d"})
            await session.execute(later, {"id": 2, "body": "again"})

    async def rolled_back_unsent() -> None:
        async with sqlite_db.write() as session:
            await session.execute(later, {"id": 5, "body": "e"})
            raise RuntimeError("rolled back before it was sent")

    with pytest.raises(IntegrityError):
        await refused_at_next_statement()
    with pytest.raises(IntegrityError):
        await refused_at_commit()  # nothing of that transaction stays
    with pytest.raises(RuntimeError):
        await rolled_back_unsent()
    async with sqlite_db.lookup() as connection:
        rows = (await connection.execute(text("SELECT id FROM notes ORDER BY id"))).scalars().all()
    assert rows == [1, 2, 3]


async def _backend_of(db: Database) -> int:
    async with db.read() as session:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


@POSTGRES_ONLY
async def test_a_pooled_connection_is_tested_only_after_it_rested(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """library.db._ping_after_idle: no test (a statement of its own) for a connection that
    served a moment ago; one that rested and was lost meanwhile is replaced before use."""
    pings: list[object] = []
    ping = db.engine.dialect.do_ping

    def counted(connection: Any) -> bool:
        pings.append(connection)
        return ping(connection)

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted)
    first = await _backend_of(db)
    assert await _backend_of(db) == first
    assert pings == []  # back a moment ago: used as it is
    other = Database(db.url, pool_size=1)
    try:  # the pooled connection's server process is ended
        async with other.lookup() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    finally:
        await other.dispose()
    monkeypatch.setattr("library.db.IDLE_BEFORE_PING", 0.0)
    second = await _backend_of(db)  # tested, found lost, replaced: the request is served
    assert second != first
    assert len(pings) >= 1


def test_the_pool_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LIBRARY_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("LIBRARY_SECRET_KEY", "from-the-environment")
    monkeypatch.delenv("LIBRARY_DATABASE_POOL", raising=False)
    assert Settings.from_env().database_pool == 20
    monkeypatch.setenv("LIBRARY_DATABASE_POOL", "8")
    assert Settings.from_env().database_pool == 8
    monkeypatch.setenv("LIBRARY_DATABASE_POOL", "0")
    with pytest.raises(ConfigurationError, match="LIBRARY_DATABASE_POOL"):
        Settings.from_env()


@POSTGRES_ONLY
async def test_a_postgresql_pool_keeps_its_size_and_half_as_many_for_lookups(db: Database) -> None:
    """library.db.make_engine: the kept connections, and half as many more for a burst."""
    sized = Database(db.url, pool_size=8)
    try:
        pools = [sized.engine.pool, sized._lookup.pool]  # the lookups' own engine
        sizes = [(pool.size(), pool._max_overflow) for pool in pools if isinstance(pool, QueuePool)]
        assert sizes == [(8, 4), (4, 2)]
        async with sized.lookup() as connection:  # stays in autocommit: no transaction to end
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
            driver: Any = (await connection.get_raw_connection()).driver_connection
            assert driver.info.transaction_status == 0  # idle, not in a transaction
    finally:
        await sized.dispose()
