"""`library backup` and `library restore` as an operator uses them, on both engines.

A database filled with the Ulm catalogue and the demo data is backed up, restored into a new,
empty database, and compared table by table; the restored database still refuses overlapping
bookings by itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import library.models  # noqa: F401 - every table in Base.metadata, to count them all
from library.accounts.models import User
from library.booking.models import ACTIVE_STATUSES, Booking
from library.cli import main
from library.config import PROJECT_ROOT
from library.db import Base, Database
from library.seeding.load import load_seed
from tests.support.booking_rows import expect_overlap_refused, row


@pytest.fixture
def restore_target(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new database on the same engine and server as `database_url`, with no tables at all."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"library_restored_{uuid.uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def invoke(database_url: str, *arguments: str) -> Result:
    return CliRunner().invoke(main, list(arguments), env={"LIBRARY_DATABASE_URL": database_url})


async def row_counts(url: str) -> dict[str, int]:
    database = Database(url, pool_size=0)
    try:
        async with database.read() as session:
            return {
                table.name: (await session.scalar(select(func.count()).select_from(table))) or 0
                for table in Base.metadata.sorted_tables
            }
    finally:
        await database.dispose()


async def first_active_booking(url: str) -> dict[str, Any]:
    database = Database(url, pool_size=0)
    try:
        async with database.read() as session:
            found = await session.execute(
                select(Booking.__table__).where(Booking.status.in_(ACTIVE_STATUSES)).order_by(Booking.id)
            )
            return dict(found.mappings().first() or {})
    finally:
        await database.dispose()


async def filled(db: Database) -> dict[str, int]:
    await load_seed(db, PROJECT_ROOT / "seed", demo=True)
    counts = await row_counts(db.url)
    assert counts["bookings"] > 0
    assert counts["users"] > 1
    assert counts["workshop_sessions"] > 0
    return counts


async def test_a_backup_restores_into_an_empty_database(
    db: Database, restore_target: str, tmp_path: Path
) -> None:
    counts = await filled(db)
    archive = tmp_path / "library.backup"

    backed_up = invoke(db.url, "backup", str(archive))
    assert backed_up.exit_code == 0, backed_up.output
    assert archive.stat().st_mode & 0o077 == 0  # personal data: nobody but its owner reads it
    restored = invoke(restore_target, "restore", str(archive))
    assert restored.exit_code == 0, restored.output

    assert await row_counts(restore_target) == counts
    booking = await first_active_booking(restore_target)
    assert booking == await first_active_booking(db.url)
    copy = Database(restore_target, pool_size=0)
    try:
        await expect_overlap_refused(
            copy,
            row(
                booking["resource_id"], booking["unit_id"], booking["occupied_start"], booking["occupied_end"]
            ),
        )
    finally:
        await copy.dispose()


async def test_restore_refuses_a_database_with_tables_unless_forced(db: Database, tmp_path: Path) -> None:
    counts = await filled(db)
    archive = tmp_path / "library.backup"
    assert invoke(db.url, "backup", str(archive)).exit_code == 0
    async with db.write() as session:
        session.add(User(email="after-the-backup@example.org", name="Later"))

    refused = invoke(db.url, "restore", str(archive))
    assert refused.exit_code != 0
    assert "not empty" in refused.output
    assert (await row_counts(db.url))["users"] == counts["users"] + 1

    await db.dispose()  # the pool's connections would keep the old file or block pg_restore's drops
    forced = invoke(db.url, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert await row_counts(db.url) == counts


def test_restore_names_a_missing_postgres_tool(
    restore_target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "library.backup"
    archive.write_bytes(b"not a backup")
    monkeypatch.setenv("PATH", str(tmp_path))
    refused = invoke(restore_target, "restore", str(archive))
    assert refused.exit_code != 0
    if make_url(restore_target).get_backend_name() == "sqlite":
        assert "not an SQLite backup" in refused.output
    else:
        assert "pg_restore was not found on PATH" in refused.output
