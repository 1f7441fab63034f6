"""SQLite through aiosqlite with one hand-off to its thread per statement.

aiosqlite runs every call on a thread of its own, and SQLAlchemy's adapter makes four calls for
a statement (open a cursor, execute, fetch the rows, close the cursor): four hand-offs between
the event loop and that thread, each a queue, a wake-up and a future. A booking's seven
statements took 28 of them (docs/benchmarks.md, "One hand-off per statement"). Here a statement
is one call: the whole life of its cursor runs on the thread, which hands back the rows with the
description, row count and last row id.

Some statements need no hand-off of their own; they wait and travel with the connection's next
call (the database sees the same statements in the same order; an error of a waiting statement
is reported by that next call, as the same error):
- a `BEGIN` (a lock that cannot be had is refused at the transaction's first statement);
- a write whose result nobody reads, marked by the execution option `send_with_next`
  (`db.SEND_WITH_NEXT`): a booking's audit entry and mail go with its COMMIT.
A `COMMIT` or `ROLLBACK` with no transaction open (the pool's reset of every connection it takes
back, a lookup outside a transaction) is not sent at all, as it would do nothing; a rollback
drops what waits. A booking took 10 hand-offs, now 5.

A transaction marked `on_loop` (the execution option `sqlite_on_loop`: token lookups and short
writes such as a booking, `Database.write(short=True)`) runs its statements on the event loop's
thread, where a hand-off cost more than the statement (a booking: 5 hand-offs -> 0, its CPU
2.6 -> 2.0 ms). Nothing may wait there: such a connection does not wait for another's lock
(busy timeout 0), and a statement refused as busy (another process writing) is run again on
aiosqlite's thread, which waits up to `PATIENCE_MS` as every other statement does. Nor does its
COMMIT checkpoint the log (writing and syncing the database file, 5 ms here): `Database.write`
does that on the thread now and then. Only statements known to be short may be marked: a long
read on the loop would stall every request.

Everything else (errors, streaming cursors) is SQLAlchemy's aiosqlite adapter unchanged;
`make_engine` passes this module to it.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT, await_

PATIENCE_MS = 30_000
"""How long a statement on aiosqlite's thread waits for another connection's lock."""

ON_LOOP = ("PRAGMA busy_timeout = 0", "PRAGMA wal_autocheckpoint = 0")
PATIENT = (f"PRAGMA busy_timeout = {PATIENCE_MS}", "PRAGMA wal_autocheckpoint = 1000")
"""A connection on the loop neither waits for other connections' locks nor checkpoints the log
inside a COMMIT (writing and syncing the database file, 5 ms here); on the thread it does both,
as SQLite does by default (1,000: pages in the log)."""

R = TypeVar("R")

Outcome = tuple[Any, int, int | None, list[Any]]
"""What a statement leaves: description, row count, last row id, rows."""

Waiting = list[tuple[str, Any]]
"""Statements and their parameters that travel with the next call."""


def _send(connection: sqlite3.Connection, waiting: Waiting) -> None:
    """Each sent statement leaves the list: after a refusal as busy, the rest is sent again."""
    while waiting:
        operation, parameters = waiting[0]
        connection.execute(operation, () if parameters is None else parameters).close()
        del waiting[0]


def _whole_statement(
    connection: sqlite3.Connection, waiting: Waiting, operation: str, parameters: Any, many: bool
) -> Outcome:
    """On aiosqlite's thread: what waits, then a cursor from opening to closing."""
    _send(connection, waiting)
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


async def _nothing() -> None:
    """Done at once: awaited without a hand-off or a turn of the event loop."""


def _commit_after(connection: sqlite3.Connection, waiting: Waiting) -> None:
    """What waits, then COMMIT."""
    _send(connection, waiting)
    connection.commit()


def _rollback(connection: sqlite3.Connection) -> None:
    connection.rollback()


def _set(connection: sqlite3.Connection, pragmas: tuple[str, ...]) -> None:
    for pragma in pragmas:
        connection.execute(pragma).close()


def _patiently(connection: sqlite3.Connection, call: Callable[..., R], *args: Any) -> R:
    """On aiosqlite's thread: wait for other connections' locks and checkpoint again, then the call."""
    _set(connection, PATIENT)
    return call(connection, *args)


def _is_busy(error: sqlite3.OperationalError) -> bool:
    """Refused because another connection holds a lock (any of SQLITE_BUSY's extended codes)."""
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY  # not every error has one


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement is one call on aiosqlite's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount", "send_with_next")
    _adapt_connection: OneTripConnection

    def __init__(self, adapt_connection: Any) -> None:  # no cursor is opened up front
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = deque()
        self._soft_closed_memoized = EMPTY_DICT
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self.send_with_next = False

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass  # rows are all fetched at once anyway

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if self.send_with_next or (operation.startswith("BEGIN") and not parameters):
            self._adapt_connection.waiting.append((operation, parameters))
            self._description, self._rowcount, self._lastrowid = None, -1, None  # not known yet
            self._rows.clear()
            return await_(_nothing())  # SQLAlchemy's AsyncConnection insists that a statement awaits
        try:
            return await_(self._run(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        try:
            return await_(self._run(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection = self._adapt_connection
        async with connection._execute_mutex:
            waiting, connection.waiting = connection.waiting, []
            outcome = await connection.call(_whole_statement, waiting, operation, parameters, many)
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = deque(rows)

    async def _async_soft_close(self) -> None:
        return  # the cursor closed on the thread already

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Statements that wait travel with the next call; ending no transaction sends nothing."""

    __slots__ = ("on_loop", "patient", "waiting")
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.waiting: Waiting = []
        self.on_loop = False  # set at every begin, from the execution option `sqlite_on_loop`
        self.patient = True  # waits for other connections' locks and checkpoints (PATIENT)

    async def call(self, function: Callable[..., R], *args: Any) -> R:
        """`function(sqlite3 connection, *args)` on the event loop's thread if this transaction
        is `on_loop` and no other connection's lock is in the way, otherwise on aiosqlite's."""
        driver: Any = self._connection  # an aiosqlite.Connection: `_execute` queues for its thread
        if self.on_loop:
            if self.patient:
                _set(driver._conn, ON_LOOP)
                self.patient = False
            try:
                return function(driver._conn, *args)
            except sqlite3.OperationalError as error:
                # Only what began nothing is sent again: a BEGIN (still first in `waiting`) or a
                # statement outside a transaction. Inside one, SQLite's answer stands.
                if not _is_busy(error) or driver._conn.in_transaction:
                    raise
        if not self.patient:
            self.patient = True
            return await driver._execute(_patiently, driver._conn, function, *args)  # type: ignore[no-any-return]
        return await driver._execute(function, driver._conn, *args)  # type: ignore[no-any-return]

    def _in_transaction(self) -> bool:
        """Asked between statements, while aiosqlite's thread has nothing of this connection's."""
        driver = self._connection._connection  # the sqlite3 connection, None once closed
        return driver is not None and driver.in_transaction

    def commit(self) -> None:
        waiting, self.waiting = self.waiting, []
        if any(not operation.startswith("BEGIN") for operation, _ in waiting):
            self._end(_commit_after, waiting)
        elif self._in_transaction():  # a BEGIN alone has nothing to commit
            self._end(_commit_after, [])

    def rollback(self) -> None:
        self.waiting = []  # never sent, nothing to undo
        if self._in_transaction():
            self._end(_rollback)

    def _end(self, function: Callable[..., None], *args: Any) -> None:
        try:
            await_(self.call(function, *args))
        except Exception as error:
            self._handle_exception(error)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI adapter with `OneTripConnection`s."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


ONE_TRIP_DBAPI = OneTripDBAPI(aiosqlite, sqlite3)
