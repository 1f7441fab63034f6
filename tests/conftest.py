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
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.engine import make_url

from library import migrations
from library.accounts.passwords import use_password_hashing
from library.app import create_app
from library.clock import SettableClock
from library.config import Settings, normalise_database_url
from library.db import Database
from library.i18n import Lang
from tests.support.browser import launch_chromium
from tests.support.engines import ENGINES
from tests.support.live_server import library_env, serving
from tests.support.times import TEST_NOW

pytest_plugins = ["tests.support.mail"]  # the `smtp` fixture

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
        # FILE_COPY: copying a small template is faster than writing it through the WAL.
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
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


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(TEST_NOW)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test hashes passwords cheaply: in this process, and in the `library` commands it runs.

    The standard cost is tested on its own (tests/domain/test_passwords.py).
    """
    monkeypatch.setenv("LIBRARY_PASSWORD_HASHING", "fast")
    use_password_hashing("fast")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        var_dir=tmp_path,
        run_scheduler=False,
        password_hashing="fast",
    )


_APPS: dict[Settings, Litestar] = {}


def app_for(settings: Settings, clock: SettableClock) -> Litestar:
    """The application on these settings and this clock.

    Building it (routes, the OpenAPI document) costs more than most tests, so it is built once
    per session for each kind of settings and pointed at each test's database and clock, which
    it reads from its state (see create_app).
    """
    kind = replace(settings, database_url="", var_dir=Path(), media_dir=None)
    app = _APPS.get(kind)
    if app is None:
        app = _APPS[kind] = create_app(settings, clock)
    app.state.settings = settings
    app.state.clock = clock
    return app


@pytest.fixture
async def client(settings: Settings, clock: SettableClock) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The whole application over HTTP (in-process), on the test database."""
    async with AsyncTestClient(app=app_for(settings, clock)) as test_client:
        yield test_client


@pytest.fixture
async def verifying_client(
    settings: Settings, clock: SettableClock
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The application as production runs it, with LIBRARY_VERIFY_EMAIL=on."""
    async with AsyncTestClient(app=app_for(replace(settings, verify_email=True), clock)) as test_client:
        yield test_client


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """`library serve` as people run it, with the scheduler ticking every second."""
    with serving(database_url, tmp_path, scheduler_interval="1") as base:
        yield base


@pytest.fixture(scope="session")
def demo_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`library serve` on SQLite with the Ulm catalogue and demo data, shared by the browser tests.

    Tests share its data: they add what they need (a new visitor, a booking) and never expect
    the demo data to be untouched by other tests. Every browser test's new visitor registers
    from 127.0.0.1, so the per-address registration limit is raised for this server.
    """
    directory = tmp_path_factory.mktemp("demo")
    database_url = fresh_sqlite_url(sqlite_template, directory)
    subprocess.run(
        [sys.executable, "-m", "library.cli", "seed", "--demo"],
        env=library_env(database_url, directory),
        check=True,
    )
    with serving(database_url, directory, registrations_per_hour="1000") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module; each test gets its own context (`page`).

    Playwright's synchronous API keeps an event loop running while it is open, which would stop
    asyncio in any other test: so it closes with the module, and a module of browser tests holds
    no async tests or fixtures.
    """
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def lang() -> Lang:
    """The language a browser test's page asks for; parametrise `lang` with LANGUAGES to try both."""
    return "de"


@pytest.fixture
def page(demo_server: str, browser: Browser, lang: Lang) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies), sending Accept-Language: `lang`.

    `page.goto("/login")` opens a path of the demo server.
    """
    context = browser.new_context(
        base_url=demo_server, locale=lang, extra_http_headers={"Accept-Language": lang}
    )
    yield context.new_page()
    context.close()


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
