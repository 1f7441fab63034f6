"""SQLite through aiosqlite with one hand-off to its thread per statement.

aiosqlite runs every call on a thread of its own, and SQLAlchemy's adapter makes four calls for
a statement (open a cursor, execute, fetch the rows, close the cursor): four hand-offs between
the event loop and that thread, each a queue, a wake-up and a future. A booking's seven
statements took 28 of them (docs/benchmarks.md, "One hand-off per statement"). Here a statement
is one call: the whole life of its cursor runs on the thread, which hands back the rows with the
description, row count and last row id.

Two more hand-offs go: a `BEGIN` waits and travels with the transaction's first statement (the
database sees the same statements in the same order, and a lock that cannot be had is refused
at that statement, as the same error), and a `COMMIT` or `ROLLBACK` with no transaction open
(the pool's reset of every connection it takes back, a lookup outside a transaction) is not
sent at all, as it would do nothing. A booking took 10 hand-offs, now 7. Everything else
(errors, streaming cursors) is SQLAlchemy's aiosqlite adapter unchanged; `make_engine` passes
this module to it.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT, await_

Outcome = tuple[Any, int, int | None, list[Any]]
"""What a statement leaves: description, row count, last row id, rows."""


def _whole_statement(
    connection: sqlite3.Connection, begin: str | None, operation: str, parameters: Any, many: bool
) -> Outcome:
    """On aiosqlite's thread: the transaction's `begin` if it waits, then a cursor from opening
    to closing."""
    if begin is not None:
        connection.execute(begin).close()
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


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement is one call on aiosqlite's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")
    _adapt_connection: OneTripConnection

    def __init__(self, adapt_connection: Any) -> None:  # no cursor is opened up front
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = deque()
        self._soft_closed_memoized = EMPTY_DICT
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

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
        if isinstance(operation, str) and operation.startswith("BEGIN") and not parameters:
            self._adapt_connection.waiting_begin = operation
            self._description, self._rowcount, self._lastrowid = None, -1, None
            self._rows.clear()
            return None
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
        driver: Any = self._connection  # an aiosqlite.Connection: `_execute` queues for its thread
        connection = self._adapt_connection
        async with connection._execute_mutex:
            begin, connection.waiting_begin = connection.waiting_begin, None
            outcome: Outcome = await driver._execute(
                _whole_statement, driver._conn, begin, operation, parameters, many
            )
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = deque(rows)

    async def _async_soft_close(self) -> None:
        return  # the cursor closed on the thread already

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Transactions begin with their first statement; ending none sends nothing."""

    __slots__ = ("waiting_begin",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.waiting_begin: str | None = None

    def _transaction_open(self) -> bool:
        """Whether there is something to end; a `BEGIN` still waiting is simply dropped. Asked
        between statements, while aiosqlite's thread has nothing of this connection's to run."""
        if self.waiting_begin is not None:
            self.waiting_begin = None
            return False
        driver = self._connection._connection  # the sqlite3 connection, None once closed
        return driver is not None and driver.in_transaction

    def commit(self) -> None:
        if self._transaction_open():
            super().commit()

    def rollback(self) -> None:
        if self._transaction_open():
            super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI adapter with `OneTripConnection`s."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


ONE_TRIP_DBAPI = OneTripDBAPI(aiosqlite, sqlite3)
