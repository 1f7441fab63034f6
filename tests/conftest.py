"""Test databases on both engines.

Every test that asks for `database_url` runs once on SQLite and once on PostgreSQL. The
PostgreSQL run needs LIBRARY_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1/test);
without it those runs are skipped, and `.ci/run` fails when that happens in CI.
Each test gets a fresh, migrated database: a copy of a migrated SQLite file, or a PostgreSQL
database made from a migrated template.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from library import migrations
from library.app import create_app
from library.clock import SettableClock
from library.config import Settings, normalise_database_url
from library.db import Database
from tests.live import free_port

POSTGRES_URL = os.environ.get("LIBRARY_TEST_POSTGRES_URL", "")
TEMPLATE_DB = f"library_template_{os.getpid()}"


def _admin_conninfo(url: str) -> str:
    parsed = make_url(normalise_database_url(url)).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _database_url_for(url: str, name: str) -> str:
    return make_url(normalise_database_url(url)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need LIBRARY_TEST_POSTGRES_URL")
    with _postgres_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"')
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    migrations.upgrade(_database_url_for(POSTGRES_URL, TEMPLATE_DB))
    yield TEMPLATE_DB
    with _postgres_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')


def fresh_sqlite_url(template: Path, directory: Path) -> str:
    path = directory / f"{uuid.uuid4().hex}.sqlite3"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(_admin_conninfo(POSTGRES_URL), autocommit=True)


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database of each engine."""
    if request.param == "sqlite":
        yield fresh_sqlite_url(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    template = request.getfixturevalue("postgres_template")
    name = f"library_test_{uuid.uuid4().hex[:12]}"
    with _postgres_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _database_url_for(POSTGRES_URL, name)
    with _postgres_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each engine with no schema at all, for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need LIBRARY_TEST_POSTGRES_URL")
    name = f"library_empty_{uuid.uuid4().hex[:12]}"
    with _postgres_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _database_url_for(POSTGRES_URL, name)
    with _postgres_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, pool_size=5)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh migrated SQLite database, for tests of what only SQLite does."""
    database = Database(fresh_sqlite_url(sqlite_template, tmp_path), pool_size=5)
    yield database
    await database.dispose()


TEST_NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Ulm


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(TEST_NOW)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url, secret_key="test-secret-key", var_dir=tmp_path, run_scheduler=False
    )


@pytest.fixture
async def client(settings: Settings, clock: SettableClock) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The whole application over HTTP (in-process), on the test database."""
    async with AsyncTestClient(app=create_app(settings, clock)) as test_client:
        yield test_client


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """`library serve` as people run it, with the scheduler ticking every second."""
    port = free_port()
    env = {
        **os.environ,
        "LIBRARY_DATABASE_URL": database_url,
        "LIBRARY_SECRET_KEY": "live-test-secret",
        "LIBRARY_VAR_DIR": str(tmp_path),
        "LIBRARY_SCHEDULER_INTERVAL": "1",
    }
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "library.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "server.log", "w"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/v1/factors", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "server.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        yield client


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI (LIBRARY_FORBID_SKIPS=1) a skipped test is a failed test: nothing may hide there."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("LIBRARY_FORBID_SKIPS") == "1" and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"
