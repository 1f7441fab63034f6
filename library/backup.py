"""Backing up the database into one file, and bringing that file back.

- SQLite: the sqlite3 online backup API copies a consistent snapshot page by page, safe while
  `library serve` keeps writing. The backup is itself an SQLite database file.
- PostgreSQL: `pg_dump --format=custom`, brought back by `pg_restore`; both come from PATH and
  must be of the server's major version or newer. The dump holds the schema with its overlap
  guarantee (the exclusion constraint and the btree_gist extension it needs).

The backup file is readable by its owner only. A restore goes into an empty database (no
tables at all) unless it is forced, and then it replaces everything the target held. It is all
or nothing: a restore that fails leaves the target as it was.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

from library.config import normalise_database_url


class BackupError(RuntimeError):
    """A backup or restore that cannot be done, in a sentence for the operator."""


def backup(database_url: str, target: Path) -> None:
    """Write the whole database to `target`; the file appears only once it is complete."""
    url = make_url(normalise_database_url(database_url))
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_file(url), partial)
        else:
            _run(_tool("pg_dump"), "--format=custom", f"--file={partial}", url=url)
        partial.chmod(0o600)  # it holds personal data and password hashes: for the operator's eyes only
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def restore(database_url: str, source: Path, *, force: bool = False) -> None:
    """Bring a backup of `backup` back into the configured database (see the module's rules)."""
    if not source.is_file():
        raise BackupError(f"There is no backup file {source}.")
    url = make_url(normalise_database_url(database_url))
    sqlite = url.get_backend_name() == "sqlite"
    tables = _sqlite_tables(url) if sqlite else _postgres_tables(url)
    if tables and not force:
        raise BackupError(
            f"The target database is not empty ({tables} tables). Restore into a new, empty "
            "database, or give --force to replace everything it holds."
        )
    if sqlite:
        _sqlite_restore(source, _sqlite_file(url))
        return
    _run(
        _tool("pg_restore"),
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-acl",
        "--no-comments",  # COMMENT ON EXTENSION needs its owner; the schema has no other comments
        *(["--clean", "--if-exists"] if tables else []),
        str(source),
        url=url,
    )


# --- SQLite --------------------------------------------------------------------------------------


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


def _sqlite_backup(database: Path, target: Path) -> None:
    if not database.is_file():
        raise BackupError(f"There is no database file {database}.")
    with closing(sqlite3.connect(database)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)


def _sqlite_tables(url: URL) -> int:
    database = _sqlite_file(url)
    if not database.exists():
        return 0
    with closing(sqlite3.connect(database)) as conn:
        return int(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])


def _sqlite_restore(source: Path, database: Path) -> None:
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_copy:
        try:
            verdict = backup_copy.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not an SQLite backup: {error}.") from error
        if verdict != "ok":
            raise BackupError(f"{source} is damaged: {verdict}.")
        database.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(database)) as target:
            backup_copy.backup(target)


# --- PostgreSQL ----------------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client programs of the "
            "server's major version or newer (e.g. the postgresql-client package)."
        )
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The database as a libpq URI for the command line, its password kept in the environment."""
    plain = url.set(drivername="postgresql", password=None)
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


def _postgres_tables(url: URL) -> int:
    conninfo, env = _libpq(url)
    with psycopg.connect(conninfo, password=env.get("PGPASSWORD")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    return int(row[0]) if row else 0


def _run(program: str, *arguments: str, url: URL) -> None:
    conninfo, env = _libpq(url)
    done = subprocess.run(  # noqa: S603 - a PostgreSQL client program with our own arguments
        [program, f"--dbname={conninfo}", *arguments], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{Path(program).name} failed: {done.stderr.strip()}")
