"""The SQLite engine serialises writers with BEGIN IMMEDIATE and leaves readers alone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from library.db import Database


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
