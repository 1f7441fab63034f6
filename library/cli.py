"""The `library` command: migrate, seed, manage users, serve, run background work."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

import click

from library.config import PROJECT_ROOT, ConfigurationError, Settings

DEMO_STAFF_HINT = "staff@demo.ulm.example"


def load_settings() -> Settings:
    """The settings from the environment, with passwords hashed at their cost (seed, `users create`)."""
    from library.accounts.passwords import use_password_hashing

    try:
        settings = Settings.from_env()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    use_password_hashing(settings.password_hashing)
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Bookings, workshops and inventory for the Ulm smart library.

    Configuration comes from the environment: LIBRARY_DATABASE_URL (default: an SQLite file
    under var/), LIBRARY_SECRET_KEY, LIBRARY_BASE_URL, LIBRARY_SMTP_URL, LIBRARY_TIMEZONE.
    """


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to migrate to.")
def db_upgrade(revision: str) -> None:
    """Migrate the configured database to the newest schema."""
    from library import migrations

    settings = load_settings()
    migrations.upgrade(settings.database_url, revision)
    click.echo(f"Database is at revision {revision}.")


@main.command()
@click.option("--demo", is_flag=True, help="Also add demo accounts and bookings.")
@click.option(
    "--dir",
    "--seed-dir",
    "seed_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=PROJECT_ROOT / "seed",
    show_default=True,
    help="Folder with the catalogue's data files: another town's seed/ folder (docs/adopting.md).",
)
def seed(demo: bool, seed_dir: Path) -> None:
    """Load the catalogue from seed/ (safe to run again: it updates in place)."""
    from library.db import Database
    from library.seeding.files import SeedError
    from library.seeding.load import load_seed

    settings = load_settings()

    async def run() -> str:
        database = Database(settings.database_url, pool_size=0)
        try:
            report = await load_seed(database, seed_dir, demo=demo, media_root=settings.media_root)
        finally:
            await database.dispose()
        return report.summary()

    try:
        click.echo(asyncio.run(run()))
    except SeedError as exc:
        raise click.ClickException(str(exc)) from exc


@main.group()
def users() -> None:
    """Accounts."""


@users.command("create")
@click.option("--email", required=True, help="E-mail address, used to sign in.")
@click.option("--name", required=True, help="The person's name.")
@click.option(
    "--role", type=click.Choice(["visitor", "staff", "admin"]), default="visitor", show_default=True
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create an account. The password is read from standard input, never from the command line."""
    from library.accounts import service
    from library.accounts.models import Role
    from library.db import Database
    from library.errors import LibraryError

    if not password_stdin:
        raise click.UsageError("Give --password-stdin and pipe the password in.")
    password = sys.stdin.readline().rstrip("\r\n")
    settings = load_settings()

    async def run() -> int:
        database = Database(settings.database_url, pool_size=0)
        try:
            async with database.write() as session:
                user = await service.register(
                    session, email=email, password=password, name=name, role=Role(role)
                )
            return user.id
        finally:
            await database.dispose()

    try:
        user_id = asyncio.run(run())
    except LibraryError as problem:
        raise click.ClickException(problem.detail("en")) from problem
    click.echo(f"Created {role} {email} (id {user_id}).")


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Copy the whole database into FILE, safely while the service runs.

    SQLite: an SQLite file made with the online backup API. PostgreSQL: a pg_dump archive
    (custom format; pg_dump must be on PATH).
    """
    from library.backup import BackupError, backup

    settings = load_settings()
    try:
        backup(settings.database_url, file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up the database to {file}.")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace everything a non-empty database holds.")
def restore_command(file: Path, force: bool) -> None:
    """Bring FILE (made by `library backup`) back into the configured database.

    The database must be empty (a new SQLite file, or a newly created PostgreSQL database)
    unless --force is given. Stop `library serve` and `library worker` first. PostgreSQL
    needs pg_restore on PATH. Afterwards run `library db upgrade` if the backup is older
    than this version.
    """
    from library.backup import BackupError, restore

    settings = load_settings()
    try:
        restore(settings.database_url, file, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored the database from {file}.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Server processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the pages and the API."""
    import uvicorn

    load_settings()  # fail early and clearly on bad configuration
    click.echo(f"Serving on http://{host}:{port} (API docs: http://{host}:{port}/schema)")
    uvicorn.run(
        "library.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        access_log=False,
    )


@main.command()
def worker() -> None:
    """Run background jobs (no-show release, and later notifications and retention) alone.

    `library serve` runs them in-process by default; set LIBRARY_SCHEDULER=off there when
    a separate worker does the job.
    """
    import logging

    from library.clock import SystemClock
    from library.db import Database
    from library.scheduler import run_forever

    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def run() -> None:
        database = Database(settings.database_url, pool_size=2)
        try:
            await run_forever(
                database, SystemClock(), settings, interval_seconds=settings.scheduler_interval_seconds
            )
        finally:
            await database.dispose()

    click.echo(f"Worker running every {settings.scheduler_interval_seconds:g} s; stop with Ctrl-C.")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
